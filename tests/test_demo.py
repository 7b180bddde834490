"""The demo's history: a realistic account, and what Home Assistant gets of it."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
import itertools
from zoneinfo import ZoneInfo

from custom_components.deepseek_balance.history import BalanceHistory, Calendar
from deepseek_simulator.demo import (
    DEMO_TIME_ZONE,
    START_GRANTED,
    START_TOPPED_UP,
    TOP_UP,
    Reading,
    demo_history,
    spending_rate,
)
from scripts.demo_seed import DemoSeed, demo_seed

NOW = datetime(2026, 11, 28, 4, 3, 38, tzinfo=UTC)  # 12:03 on a Saturday in Shanghai
ZONE = ZoneInfo(DEMO_TIME_ZONE)


@cache
def readings_until_now() -> list[Reading]:
    """The demo's two months, worked out once: it takes a few seconds."""
    return demo_history(NOW)


@cache
def seed_until_now() -> DemoSeed:
    return demo_seed(readings_until_now(), ZONE)


def test_last_month_and_this_one_are_five_minute_readings_with_one_top_up() -> None:
    """Last month whole, so that the month chart sets a month beside this one."""
    readings = readings_until_now()

    assert readings[0].at == datetime(2026, 10, 1, tzinfo=ZONE)  # last month's 1st
    assert readings[-1].at == NOW
    steps = [b.at - a.at for a, b in itertools.pairwise(readings)]
    assert set(steps[:-1]) == {timedelta(minutes=5)}
    assert timedelta(0) < steps[-1] <= timedelta(minutes=5)  # up to now
    rises = [
        b.topped_up - a.topped_up
        for a, b in itertools.pairwise(readings)
        if b.topped_up > a.topped_up
    ]
    assert len(rises) == 1
    assert TOP_UP < rises[0] + Decimal(1) <= TOP_UP + 1  # less the step's spending
    assert all(b.granted <= a.granted for a, b in itertools.pairwise(readings))
    assert readings[0].granted == START_GRANTED
    assert readings[0].topped_up > START_TOPPED_UP  # a day's spend for each day more
    assert all(
        reading.total == reading.total.quantize(Decimal("0.01")) for reading in readings
    )


def test_spending_has_a_daily_rhythm() -> None:
    def rate(hour: int, day: int = 25) -> Decimal:
        return spending_rate(datetime(2026, 11, day, hour, 30, tzinfo=ZONE))

    assert rate(15) > 10 * rate(3)  # busy afternoons, quiet nights
    assert rate(15, day=29) < rate(15)  # a Sunday is quieter than a Wednesday


def test_granted_credit_is_spent_first() -> None:
    readings = readings_until_now()
    first_paid_spend = next(
        b for a, b in itertools.pairwise(readings) if b.topped_up < a.topped_up
    )

    assert first_paid_spend.granted == 0


def test_the_seed_is_the_history_the_integration_would_have_kept() -> None:
    readings = readings_until_now()

    seed = seed_until_now()

    history = BalanceHistory.from_dict(seed.history)
    figures = history.figures(NOW, Calendar.of(NOW, ZONE))
    # What a poll can see: every fall of a part (the top-up hides its step's spend).
    spent = sum(
        max(a.granted - b.granted, Decimal(0))
        + max(a.topped_up - b.topped_up, Decimal(0))
        for a, b in itertools.pairwise(readings)
        if b.at > NOW - timedelta(days=7)  # the average's window
    )
    assert history.currencies["CNY"].samples[-1].total == readings[-1].total
    assert figures["CNY"].daily_average == (spent / 7).quantize(Decimal("0.01"))
    assert figures["CNY"].days_remaining is not None
    assert figures["CNY"].today > 0


def test_the_statistics_cover_every_whole_hour_and_reset_at_midnight() -> None:
    seed = seed_until_now()
    spend = seed.spend_statistics()
    balance = seed.balance_statistics()

    starts = [datetime.fromisoformat(row["start"]) for row in spend]
    first = datetime(2026, 10, 1, 1, tzinfo=ZONE)  # the first whole hour
    assert starts[0] == first
    assert starts[-1] == datetime(2026, 11, 28, 3, tzinfo=UTC)  # last one ended
    assert len(starts) == (starts[-1] - first) // timedelta(hours=1) + 1
    assert [row["start"] for row in balance] == [row["start"] for row in spend]
    # The recorder's own sums go on from 0 after the import.
    assert spend[-1]["sum"] == balance[-1]["sum"] == 0
    resets = {row["last_reset"] for row in spend}
    assert len(resets) == 31 + 28  # 1 October to 28 November, local days
    months = {row["last_reset"] for row in seed.month_statistics()}
    assert months == {
        datetime(2026, 10, 1, tzinfo=ZONE).isoformat(),
        datetime(2026, 11, 1, tzinfo=ZONE).isoformat(),
    }
    midnight_rows = [
        row
        for row in spend
        if datetime.fromisoformat(row["start"]).astimezone(ZONE).hour == 0
    ]
    assert all(row["state"] < 0.2 for row in midnight_rows)  # quiet first hour
