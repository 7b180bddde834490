"""Spend, arrivals and the forecast, from balance series alone."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from homeassistant.helpers.json import json_bytes

from custom_components.deepseek_balance.activity import Activity, ActivityKind
from custom_components.deepseek_balance.api import Balance, CurrencyBalance
from custom_components.deepseek_balance.history import (
    KEEP_DAILY,
    BalanceHistory,
    Calendar,
    SpendFigures,
    Spending,
)

START = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def balance(granted: str, topped_up: str, currency: str = "CNY") -> Balance:
    g, t = Decimal(granted), Decimal(topped_up)
    return Balance(
        is_available=True, balances=(CurrencyBalance(currency, g + t, g, t),)
    )


def figures_at(history: BalanceHistory, now: datetime) -> SpendFigures:
    return history.figures(now, Calendar.of(now, UTC))["CNY"]


def test_worked_example_steady_spend() -> None:
    """0.25 CNY an hour for 30 hours from 110 CNY (10 granted, 100 paid)."""
    history = BalanceHistory()
    granted, topped_up = Decimal(10), Decimal(100)
    for hour in range(31):
        history.record(START + timedelta(hours=hour), balance(granted, topped_up))
        spend = Decimal("0.25")
        taken = min(spend, granted)
        granted, topped_up = granted - taken, topped_up - (spend - taken)

    figures = figures_at(history, START + timedelta(hours=30))

    # 30 h of history: 7.50 spent. The readings from 00:00 to 06:00 of day two
    # (seven of them; the one at midnight counts for the day it starts) saw 1.75.
    assert figures.today == Decimal("1.75")
    assert figures.daily_average == Decimal("6.00")
    # 102.50 left at 6.00 a day.
    assert figures.days_remaining == Decimal("17.1")


def test_too_little_history_gives_no_forecast() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"))
    history.record(START + timedelta(hours=5), balance("9", "100"))

    figures = figures_at(history, START + timedelta(hours=5, minutes=59))

    assert figures.today == Decimal(1)
    assert figures.daily_average is None
    assert figures.days_remaining is None


def test_no_spend_gives_no_days_remaining() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"))

    figures = figures_at(history, START + timedelta(hours=7))

    assert figures.daily_average == Decimal("0.00")
    assert figures.days_remaining is None


def test_top_up_with_spend_in_one_interval_is_both() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"))

    changes = history.record(START + timedelta(hours=1), balance("9", "150"))

    assert changes == [Activity(ActivityKind.TOP_UP, "CNY", Decimal(50))]
    assert figures_at(history, START + timedelta(hours=1)).today == Decimal(1)


def test_grant_is_told_from_a_top_up() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"), poll_interval=HOUR)

    changes = history.record(START + HOUR, balance("15", "100"), poll_interval=HOUR)

    assert changes == [Activity(ActivityKind.GRANT, "CNY", Decimal(5))]
    assert figures_at(history, START + timedelta(hours=1)).today == 0


def test_rise_with_unreadable_parts_is_not_negative_spend() -> None:
    history = BalanceHistory()
    unreadable = Balance(
        is_available=True, balances=(CurrencyBalance("CNY", Decimal(100), None, None),)
    )
    history.record(START, unreadable)
    risen = Balance(
        is_available=True, balances=(CurrencyBalance("CNY", Decimal(120), None, None),)
    )
    fallen = Balance(
        is_available=True, balances=(CurrencyBalance("CNY", Decimal(117), None, None),)
    )

    assert history.record(START + timedelta(hours=1), risen) == []
    history.record(START + timedelta(hours=2), fallen)

    assert figures_at(history, START + timedelta(hours=2)).today == Decimal(3)


def test_unreadable_total_is_skipped_not_counted() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"))
    broken = Balance(
        is_available=True, balances=(CurrencyBalance("CNY", None, None, None),)
    )

    history.record(START + timedelta(hours=1), broken)
    history.record(START + timedelta(hours=2), balance("10", "99"))

    assert figures_at(history, START + timedelta(hours=2)).today == Decimal(1)


def test_a_contradictory_row_is_not_recorded_and_invents_nothing() -> None:
    """A bogus rise then a fall: the next good reading meets the last good one."""
    history = BalanceHistory()
    history.record(START, balance("10", "100"))
    bogus = Balance(
        is_available=True,
        balances=(CurrencyBalance("CNY", Decimal(110), Decimal(5), Decimal(5)),),
    )

    assert history.record(START + timedelta(hours=1), bogus) == []
    assert history.record(START + timedelta(hours=2), balance("9", "100")) == []

    assert figures_at(history, START + timedelta(hours=2)).today == Decimal(1)
    assert history.last_total("CNY") == Decimal(109)


def test_a_forecast_too_large_to_round_is_none_not_an_error() -> None:
    """A spend of 10^-20 a week from 10^12: the balance outlasts any forecast."""
    history = BalanceHistory()
    history.record(START, balance("0", "1000000000000"))
    history.record(
        START + timedelta(days=7), balance("0", "999999999999.99999999999999999999")
    )

    figures = figures_at(history, START + timedelta(days=7))

    assert figures.daily_average == Decimal("0.00")
    assert figures.days_remaining is None


def test_gap_counts_the_spend_once_when_it_is_seen() -> None:
    """Home Assistant was off for two days: the drop lands when it is observed."""
    history = BalanceHistory()
    history.record(START, balance("10", "100"))
    back = START + timedelta(days=2, hours=12)

    history.record(back, balance("0", "90"))

    figures = figures_at(history, back)
    assert figures.today == Decimal(20)
    assert figures.daily_average == Decimal("8.00")  # 20 over 2.5 days


def test_each_currency_has_its_own_series() -> None:
    history = BalanceHistory()
    both = Balance(
        is_available=True,
        balances=(
            CurrencyBalance("USD", Decimal(0), Decimal(0), Decimal(0)),
            CurrencyBalance("CNY", Decimal(110), Decimal(10), Decimal(100)),
        ),
    )
    history.record(START, both)

    assert set(history.figures(START, Calendar.of(START, UTC))) == {"USD", "CNY"}


def test_round_trip_through_the_store_format() -> None:
    history = BalanceHistory()
    for hour in range(10):
        history.record(START + timedelta(hours=hour), balance("0", str(100 - hour)))
    now = START + timedelta(hours=10)

    restored = BalanceHistory.from_dict(history.as_dict())

    calendar = Calendar.of(now, UTC)
    assert restored.figures(now, calendar) == history.figures(now, calendar)
    assert restored.currencies["CNY"].since == history.currencies["CNY"].since


def test_a_month_of_thirty_second_polls_stays_small_and_right() -> None:
    """A busy account: the balance changes at every poll for 31 days."""
    history = BalanceHistory()
    polls = (31 * 24 + 12) * 120  # from 20 November to noon of 21 December
    topped_up = Decimal(100000)
    for poll in range(polls + 1):
        history.record(START + timedelta(seconds=30 * poll), balance("0", topped_up))
        topped_up -= Decimal("0.01")
    now = START + timedelta(seconds=30 * polls)

    size = len(json_bytes(history.as_dict()))
    figures = figures_at(history, now)

    assert size < 100_000, size
    assert len(history.currencies["CNY"].samples) < 1_500
    # 0.01 every 30 s is 28.80 a day, exactly what the thinned series says.
    assert figures.daily_average == Decimal("28.80")
    # 1,441 readings from 00:00:00 to 12:00:00, the one at midnight included.
    assert figures.today == Decimal("14.41")
    # From 1 December 00:00:00 on: 20 whole days and 1,441 readings more.
    assert figures.month == Decimal("0.01") * (20 * 2880 + 1441)


def test_the_day_buckets_are_local_days() -> None:
    """In Kolkata (UTC+5:30) the month still begins at local midnight, exactly."""
    kolkata = ZoneInfo("Asia/Kolkata")
    history = BalanceHistory()
    topped_up = Decimal(1000)
    start = datetime(2026, 11, 20, tzinfo=kolkata)
    for step in range(40 * 24 * 4 + 1):  # 40 days, a fall every 15 minutes
        history.record(
            start + timedelta(minutes=15 * step), balance("0", topped_up), kolkata
        )
        topped_up -= Decimal("0.01")
    now = start + timedelta(days=40)

    figures = history.figures(now, Calendar.of(now, kolkata))["CNY"]

    # 1 to 30 December 00:00 local: 29 days of 96 falls, and the one at 00:00.
    assert figures.month == Decimal("0.01") * (29 * 96 + 1)


def test_revision_counts_only_new_samples() -> None:
    history = BalanceHistory()
    history.record(START, balance("10", "100"))
    first = history.revision

    history.record(START + timedelta(minutes=1), balance("10", "100"))
    assert history.revision == first

    history.record(START + timedelta(minutes=2), balance("10", "99"))
    assert history.revision == first + 1


def test_the_first_week_counts_all_its_spend_after_thinning() -> None:
    """Thinning drops the very first sample; what came before it is still nothing."""
    history = BalanceHistory()
    topped_up = Decimal(200)
    for step in range(7 * 24 * 12 + 1):  # a week of 5-minute polls
        history.record(START + timedelta(minutes=5 * step), balance("0", topped_up))
        topped_up -= Decimal("0.05")  # 0.60 an hour: 14.40 a day
    assert history.currencies["CNY"].samples[0].at > int(START.timestamp())

    figures = figures_at(history, START + timedelta(days=7))

    assert figures.daily_average == Decimal("14.40")
    assert figures.days_remaining == Decimal("6.9")  # 99.20 left


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_each_local_day_has_its_spend_top_ups_and_grants() -> None:
    """In Shanghai (UTC+8): a fall first seen at local midnight is the new day's."""
    history = BalanceHistory()
    start = datetime(2026, 11, 19, 20, tzinfo=SHANGHAI)
    for hours, granted, topped_up in (
        (0, "10", "100"),
        (13, "9", "100"),  # 20 Nov 09:00: 1.00 spent
        (14, "9", "150"),  # a top-up of 50.00
        (15, "14", "150"),  # a grant of 5.00
        (28, "11.75", "150"),  # 21 Nov 00:00: 2.25 spent, seen at midnight
    ):
        history.record(
            start + hours * HOUR, balance(granted, topped_up), SHANGHAI, HOUR
        )
    now = start + 30 * HOUR

    days = history.currencies["CNY"].spending(
        date(2026, 11, 19), date(2026, 11, 22), now
    )

    assert days == [
        Spending(Decimal(0), complete=False),  # the entry began at 20:00
        Spending(Decimal(1), top_ups=Decimal(50), grants=Decimal(5)),
        Spending(Decimal("2.25")),
        Spending(complete=False),  # not begun
    ]


def test_a_day_that_spend_may_hide_in_is_not_complete() -> None:
    """Off overnight, 20.00 spent and 100.00 topped up: 80.00 at least arrived."""
    history = BalanceHistory()
    history.record(START - HOUR, balance("0", "50"))
    history.record(START + 8 * HOUR, balance("0", "130"))

    (day,) = history.currencies["CNY"].spending(
        START.date(), START.date(), START + 9 * HOUR
    )

    assert day == Spending(Decimal(0), top_ups=Decimal(80), complete=False)


def test_days_are_exact_after_thinning_and_beyond_the_kept_days_not_complete() -> None:
    """An old day's top-up and falls, thinned to a sample a day, still apart."""
    history = BalanceHistory()
    paid = Decimal(1000)
    for step in range(70 * 24 + 1):  # hourly for 70 days, a top-up on the 8th day
        history.record(START + step * HOUR, balance("0", paid), UTC, HOUR)
        paid += Decimal(100) if step == 7 * 24 + 12 else Decimal("-0.25")
    now = START + 70 * 24 * HOUR  # midnight: the day 63 days back is still kept
    oldest = (now - KEEP_DAILY).date()

    days = history.currencies["CNY"].spending(oldest - DAY, oldest + DAY, now)

    assert len(history.currencies["CNY"].samples) < 70 * 24 / 2  # thinned
    assert [day.complete for day in days] == [False, True, True]
    assert [(day.spent, day.top_ups) for day in days[1:]] == [
        (Decimal("5.75"), Decimal(100)),
        (Decimal("6.00"), Decimal(0)),
    ]


def test_a_store_of_0_2_0_knows_no_arrivals_before_it_was_read() -> None:
    """0.2.0 kept no top-ups: its days are lower bounds, the next ones exact."""
    stored = {
        "currencies": {
            "CNY": {
                "since": int((START - 2 * HOUR).timestamp()),
                "samples": [
                    [int((START - 2 * HOUR).timestamp()), "0", "110", "10", "100"],
                    [int((START + HOUR).timestamp()), "1", "109", "9", "100"],
                ],
            }
        }
    }
    history = BalanceHistory.from_dict(stored)
    history.record(START + 25 * HOUR, balance("9", "150"))

    days = history.currencies["CNY"].spending(
        START.date(), (START + DAY).date(), START + 26 * HOUR
    )

    assert days == [
        Spending(Decimal(1), complete=False),
        Spending(top_ups=Decimal(50)),
    ]
    restored = BalanceHistory.from_dict(history.as_dict())
    assert restored.as_dict() == history.as_dict()


def test_balance_left_is_a_share_of_the_total_after_the_last_arrival() -> None:
    """100 % at the first reading and after money arrives; kept through the store."""
    history = BalanceHistory()
    left = []
    for hours, granted, topped_up in (
        (0, "10", "100"),  # 110.00 at the first reading
        (1, "0", "99"),  # 11.00 spent
        (2, "0", "149"),  # a top-up of 50.00
        (3, "0", "74.50"),
        (4, "10", "74.50"),  # a grant of 10.00
        (5, "5", "74.50"),
    ):
        history.record(START + hours * HOUR, balance(granted, topped_up), UTC, HOUR)
        history = BalanceHistory.from_dict(history.as_dict())
        left.append(figures_at(history, START + hours * HOUR).balance_left)

    assert left == [100, 90, 100, 50, 100, 94]  # 79.50 of 84.50, in whole %
