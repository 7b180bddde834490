"""Figures that spend can hide are marked, and clock steps lose nothing.

DeepSeek takes fees from granted credit first, then from paid credit; the API
shows balances only. Money that arrives in the same interval as spend from the
same part shows only the net of the two.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import itertools

from custom_components.deepseek_balance.activity import Activity, ActivityKind
from custom_components.deepseek_balance.api import Balance, CurrencyBalance
from custom_components.deepseek_balance.history import (
    BalanceHistory,
    Calendar,
    SpendFigures,
)

START = datetime(2026, 11, 20, 18, tzinfo=UTC)
POLL = timedelta(seconds=30)


def balance(granted: str, topped_up: str) -> Balance:
    g, t = Decimal(granted), Decimal(topped_up)
    return Balance(is_available=True, balances=(CurrencyBalance("CNY", g + t, g, t),))


def polled(
    history: BalanceHistory, at: datetime, granted: str, topped_up: str
) -> list[Activity]:
    return history.record(at, balance(granted, topped_up), UTC, POLL)


def figures_at(history: BalanceHistory, now: datetime) -> SpendFigures:
    return history.figures(now, Calendar.of(now, UTC))["CNY"]


def test_a_top_up_overnight_with_spend_from_paid_credit_is_a_lower_bound() -> None:
    """Off overnight, 20.00 spent and 100.00 topped up: 80.00 arrived at least."""
    history = BalanceHistory()
    polled(history, START, "0", "50")
    morning = START + timedelta(hours=14)  # 08:00 the next day

    arrived = polled(history, morning, "0", "130")

    assert arrived == [Activity(ActivityKind.TOP_UP, "CNY", Decimal(80), exact=False)]
    figures = figures_at(history, morning)
    assert (figures.today, figures.today_complete) == (Decimal(0), False)
    assert (figures.month, figures.month_complete) == (Decimal(0), False)


def test_the_unknown_interval_is_left_out_of_the_average() -> None:
    """Not counted as no spend: the average is of the time spend was seen."""
    history = BalanceHistory()
    paid = Decimal(100)
    at = START
    for _ in range(7):  # 0.25 an hour, seen every hour for 6 hours
        history.record(at, balance("0", str(paid)), UTC, timedelta(hours=1))
        paid -= Decimal("0.25")
        at += timedelta(hours=1)
    gap_end = at + timedelta(hours=10)  # then a gap of 11 hours with a top-up
    history.record(gap_end, balance("0", "150"), UTC, timedelta(hours=1))

    figures = figures_at(history, gap_end)

    assert figures.daily_average == Decimal("6.00")  # 1.50 over 6 hours
    assert figures.days_remaining == Decimal("25.0")


def test_a_top_up_while_granted_credit_lasted_is_exact() -> None:
    """Granted credit left and none added: every fee came out of it."""
    history = BalanceHistory()
    polled(history, START, "10", "50")
    morning = START + timedelta(hours=14)

    arrived = polled(history, morning, "4", "150")

    assert arrived == [Activity(ActivityKind.TOP_UP, "CNY", Decimal(100))]
    figures = figures_at(history, morning)
    assert (figures.month, figures.month_complete) == (Decimal(6), True)


def test_a_grant_after_a_gap_is_a_lower_bound() -> None:
    """Fees come out of granted credit first: some may have come out of this."""
    history = BalanceHistory()
    polled(history, START, "0", "50")

    arrived = polled(history, START + timedelta(hours=3), "10", "50")

    assert arrived == [Activity(ActivityKind.GRANT, "CNY", Decimal(10), exact=False)]


def test_within_one_poll_a_rise_counts_as_exact() -> None:
    """What can hide is one poll's spend: the least any figure can tell apart."""
    history = BalanceHistory()
    polled(history, START, "0", "50")
    polled(history, START + POLL, "0", "50")  # unchanged, still read

    arrived = polled(history, START + 2 * POLL, "0", "149.90")

    assert arrived == [Activity(ActivityKind.TOP_UP, "CNY", Decimal("99.90"))]
    assert figures_at(history, START + 2 * POLL).today_complete


def test_one_poll_is_measured_from_the_last_reading_not_the_last_change() -> None:
    history = BalanceHistory()
    polled(history, START, "0", "50")
    for poll in range(1, 120):  # an hour of readings that change nothing
        polled(history, START + poll * POLL, "0", "50")

    arrived = polled(history, START + 120 * POLL, "0", "150")

    assert arrived[0].exact


def test_a_reading_from_a_clock_set_back_neither_reorders_nor_goes_negative() -> None:
    """NTP steps the clock back 3 hours between two polls."""
    history = BalanceHistory()
    polled(history, START, "0", "50")
    polled(history, START + POLL, "0", "49")
    back = START + POLL - timedelta(hours=3)

    polled(history, back, "0", "48")

    samples = history.currencies["CNY"].samples
    assert [sample.at for sample in samples] == sorted(s.at for s in samples)
    assert figures_at(history, back).today == Decimal(2)
    assert BalanceHistory.from_dict(history.as_dict()).as_dict() == history.as_dict()


def test_the_clock_forward_and_back_again_loses_nothing() -> None:
    """A day ahead by mistake, then right again: the spend of both is kept."""
    history = BalanceHistory()
    polled(history, START, "0", "50")
    polled(history, START + timedelta(days=1), "0", "49")  # the wrong clock
    polled(history, START + POLL, "0", "48")  # the right one again

    polled(history, START + 2 * POLL, "0", "47")

    assert figures_at(history, START + 2 * POLL).today == Decimal(3)


def test_a_store_with_readings_out_of_time_order_loads_with_its_history() -> None:
    """Written by 0.2.0 after the clock was set back, as it kept them."""
    stored = {
        "currencies": {
            "CNY": {
                "since": 1_764_000_000,
                "samples": [
                    [1_764_000_000, "0", "120.00", "20.00", "100.00"],
                    [1_764_003_600, "1.00", "119.00", "19.00", "100.00"],
                    [1_763_990_000, "2.00", "118.00", "18.00", "100.00"],
                ],
            }
        }
    }

    history = BalanceHistory.from_dict(stored)

    samples = history.currencies["CNY"].samples
    assert [sample.spent for sample in samples] == [0, 1, 2]
    assert [sample.at for sample in samples] == sorted(s.at for s in samples)
    assert history.currencies["CNY"].since <= samples[0].at


def test_a_stored_running_total_beyond_one_answers_cap_is_read() -> None:
    """Many answers add up to more than one answer may say."""
    stored = {
        "currencies": {
            "CNY": {
                "since": 1_764_000_000,
                "samples": [
                    [1_764_000_000, "5000000000000.00", "120.00", "20.00", "100.00"]
                ],
            }
        }
    }

    history = BalanceHistory.from_dict(stored)

    assert history.currencies["CNY"].samples[0].spent == Decimal(5 * 10**12)


def test_the_seven_day_average_is_exact_after_thinning() -> None:
    """Its window starts on a local hour, which the thinned series keeps."""
    history = BalanceHistory()
    readings: list[tuple[datetime, Decimal]] = []
    paid = Decimal(1000)
    at = START
    for step in range(9 * 24 * 12):  # every 5 minutes for 9 days, uneven spend
        history.record(at, balance("0", str(paid)), UTC, timedelta(minutes=5))
        readings.append((at, paid))
        paid -= Decimal(step % 7) / 100
        at += timedelta(minutes=5)
    now = readings[-1][0] + timedelta(minutes=2)
    window_start = (now - timedelta(days=7)).replace(minute=0, second=0)
    spent = sum(
        before - after
        for (_, before), (moment, after) in itertools.pairwise(readings)
        if moment >= window_start
    )
    days = Decimal((now - window_start).total_seconds()) / 86400

    assert len(history.currencies["CNY"].samples) < len(readings) / 2  # thinned
    assert figures_at(history, now).daily_average == (spent / days).quantize(
        Decimal("0.01")
    )
