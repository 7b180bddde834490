"""Spend, arrivals and the forecast, from balance series alone."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from homeassistant.helpers.json import json_bytes

from custom_components.deepseek_balance.activity import Activity, ActivityKind
from custom_components.deepseek_balance.api import Balance, CurrencyBalance
from custom_components.deepseek_balance.history import (
    BalanceHistory,
    Calendar,
    SpendFigures,
)

START = datetime(2026, 11, 20, tzinfo=UTC)
HOUR = timedelta(hours=1)


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
