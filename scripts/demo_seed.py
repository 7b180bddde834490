"""Turn the demo account's week into what Home Assistant would hold after it.

The readings are recorded through the integration's own ``BalanceHistory``, as if it
had polled all week, which gives both the stored history and, hour by hour, the
figures its sensors would have shown: the long-term statistics to import.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, Final

from custom_components.deepseek_balance.api import Balance, CurrencyBalance
from custom_components.deepseek_balance.history import BalanceHistory, Calendar
from deepseek_simulator.demo import CURRENCY, STEP, Reading

HOUR: Final = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class HourEnd:
    """The account at the end of one hour of the week."""

    start: datetime
    total: Decimal
    spent: Decimal  # everything spent since the week began
    spend_today: Decimal
    day_start: datetime
    spend_month: Decimal
    month_start: datetime


@dataclass(frozen=True, slots=True)
class DemoSeed:
    """The integration's stored history and the hourly rows behind the statistics."""

    history: dict[str, Any]
    hours: list[HourEnd]

    def balance_statistics(self) -> list[dict[str, Any]]:
        """Hourly rows of the total balance (state class total, no reset)."""
        last = self.hours[-1]
        return [
            {
                "start": hour.start.isoformat(),
                "state": float(hour.total),
                # Relative to the last imported hour: the recorder's own sums start
                # at 0 when it compiles the first hour after the import.
                "sum": float(hour.total - last.total),
            }
            for hour in self.hours
        ]

    def month_statistics(self) -> list[dict[str, Any]]:
        """Hourly rows of *Spend this month* (state class total, monthly reset)."""
        return self._spend_rows(
            lambda hour: hour.spend_month, lambda hour: hour.month_start
        )

    def spend_statistics(self) -> list[dict[str, Any]]:
        """Hourly rows of *Spend today* (state class total, reset at midnight)."""
        return self._spend_rows(
            lambda hour: hour.spend_today, lambda hour: hour.day_start
        )

    def _spend_rows(
        self,
        state: Callable[[HourEnd], Decimal],
        reset: Callable[[HourEnd], datetime],
    ) -> list[dict[str, Any]]:
        """Rows of a spend that restarts at ``reset``; one running sum for both."""
        last = self.hours[-1]
        return [
            {
                "start": hour.start.isoformat(),
                "state": float(state(hour)),
                "last_reset": reset(hour).isoformat(),
                "sum": float(hour.spent - last.spent),
            }
            for hour in self.hours
        ]


def demo_seed(readings: list[Reading], time_zone: tzinfo) -> DemoSeed:
    """Record the week reading by reading, and note every whole hour's end."""
    history = BalanceHistory()
    hours: list[HourEnd] = []
    # The first hour that starts after the first reading.
    next_end = readings[0].at.replace(minute=0, second=0, microsecond=0) + 2 * HOUR
    for reading in readings:
        while reading.at >= next_end:
            hours.append(_hour_end(history, next_end, time_zone))
            next_end += HOUR
        history.record(
            reading.at,
            time_zone=time_zone,
            poll_interval=STEP,  # the demo's readings are 5 minutes apart
            balance=Balance(
                is_available=True,
                balances=(
                    CurrencyBalance(
                        CURRENCY, reading.total, reading.granted, reading.topped_up
                    ),
                ),
            ),
        )
    return DemoSeed(history=history.as_dict(), hours=hours)


def _hour_end(history: BalanceHistory, end: datetime, time_zone: tzinfo) -> HourEnd:
    """What the sensors showed at the last second of the hour that ends at ``end``."""
    moment = end - timedelta(seconds=1)
    calendar = Calendar.of(moment, time_zone)
    day_start = calendar.day_start
    figures = history.figures(moment, calendar)[CURRENCY]
    last = history.currencies[CURRENCY].samples[-1]
    return HourEnd(
        start=end - HOUR,
        total=last.total,
        spent=last.spent,
        spend_today=figures.today,
        day_start=day_start,
        spend_month=figures.month,
        month_start=calendar.month_start,
    )
