"""The demo's DeepSeek account: last month and this one so far behind it.

``scripts/develop`` (demo mode) starts the simulator with this history, then hands
the same history to Home Assistant as the integration's stored history and as long-term
statistics, so the dashboard is full from the first minute. Nothing here is used
outside demo mode.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Final
from zoneinfo import ZoneInfo

DEMO_TIME_ZONE: Final = "Asia/Shanghai"
CURRENCY: Final = "CNY"
WEEK: Final = timedelta(days=7)
STEP: Final = timedelta(minutes=5)
CENT: Final = Decimal("0.01")

# CNY an hour by local hour of day: quiet nights, busy office hours.
DAILY_RHYTHM: Final = tuple(
    Decimal(rate)
    for rate in (
        "0.05", "0.03", "0.02", "0.02", "0.02", "0.03", "0.08", "0.15",
        "0.30", "0.45", "0.50", "0.48", "0.35", "0.40", "0.50", "0.52",
        "0.48", "0.40", "0.30", "0.28", "0.30", "0.25", "0.15", "0.08",
    )
)  # fmt: skip
# Monday to Sunday: some days busier than others, weekends quiet.
WEEKDAY_FACTOR: Final = tuple(
    Decimal(factor) for factor in ("1.0", "1.15", "0.9", "1.2", "0.85", "0.45", "0.5")
)

START_GRANTED: Final = Decimal("3.20")
START_TOPPED_UP: Final = Decimal("21.40")
TOP_UP: Final = Decimal(100)
TOP_UP_AFTER: Final = timedelta(days=3, hours=2, minutes=12)  # from the week's start
DAY_BEFORE_THE_WEEK: Final = Decimal(6)  # CNY more at the start, for each such day
# Lands once Home Assistant watches, so the dashboard shows it as the last activity.
GRANT: Final = Decimal("10.00")


def spending_rate(moment: datetime) -> Decimal:
    """CNY an hour at ``moment``, by its local hour and weekday."""
    local = moment.astimezone(ZoneInfo(DEMO_TIME_ZONE))
    return DAILY_RHYTHM[local.hour] * WEEKDAY_FACTOR[local.weekday()]


@dataclass(frozen=True, slots=True)
class Reading:
    """The account at one moment of the week."""

    at: datetime
    granted: Decimal
    topped_up: Decimal

    @property
    def total(self) -> Decimal:
        """DeepSeek's total is the sum of both parts."""
        return self.granted + self.topped_up


def demo_history(now: datetime) -> list[Reading]:
    """The account every 5 minutes up to ``now``, oldest first.

    From the local midnight that began last month, so that the month chart sets a
    whole month beside this one. Spending is charged in whole cents, granted
    credit first, as DeepSeek does; the top-up lands on the fourth day of the last
    week. Each day before that week starts with about a day's spending more, so the
    week looks the same.
    """
    week_start = now - WEEK
    local = now.astimezone(ZoneInfo(DEMO_TIME_ZONE))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = (month_start - timedelta(days=1)).replace(day=1)
    extra_days = (week_start - start) // STEP * STEP / timedelta(days=1)
    granted = START_GRANTED
    topped_up = START_TOPPED_UP + DAY_BEFORE_THE_WEEK * Decimal(str(extra_days))
    topped_up = topped_up.quantize(CENT)
    owed = Decimal(0)
    readings = [Reading(start, granted, topped_up)]
    before = start
    for at in _steps(start, now):
        hours = Decimal((at - before).total_seconds()) / 3600
        owed += spending_rate(before) * hours
        cents = owed.quantize(CENT, rounding=ROUND_DOWN)
        owed -= cents
        from_granted = min(cents, granted)
        granted -= from_granted
        topped_up -= cents - from_granted
        if before < week_start + TOP_UP_AFTER <= at:
            topped_up += TOP_UP
        readings.append(Reading(at, granted, topped_up))
        before = at
    return readings


def _steps(start: datetime, end: datetime) -> Iterator[datetime]:
    """Every 5 minutes after ``start``, and ``end`` itself last."""
    at = start + STEP
    while at < end:
        yield at
        at += STEP
    yield end
