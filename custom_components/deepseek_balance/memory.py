"""What an entry remembers across restarts; no Home Assistant here.

The balance history; the last known low-balance state and availability, so each of
their changes is reported once, restarts and reloads included; and the sensors the
entry has shown, as a sensor stays once it has appeared.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .history import BalanceHistory


@dataclass
class ShownSensors:
    """The currencies whose sensors exist, and whether the rate-limit ones do."""

    currencies: list[str] = field(default_factory=list)  # in order of appearance
    rate_limits: bool = False
    revision: int = 0  # counts changes, so the store writes only news

    def show(self, currencies: Iterable[str], *, rate_limits: bool) -> bool:
        """Add what there is to show now; return whether anything is new."""
        new = [c for c in dict.fromkeys(currencies) if c not in self.currencies]
        newly_rate_limits = rate_limits and not self.rate_limits
        if not new and not newly_rate_limits:
            return False
        self.currencies += new
        self.rate_limits |= rate_limits
        self.revision += 1
        return True


@dataclass
class LastKnown:
    """The last known state of what fires an event when it begins."""

    low_balance: bool | None = None
    available: bool | None = None
    revision: int = 0

    def remember(self, *, low_balance: bool | None, available: bool | None) -> None:
        """Keep what a poll found; ``None`` (unknown) keeps what was known."""
        known = (
            self.low_balance if low_balance is None else low_balance,
            self.available if available is None else available,
        )
        if known != (self.low_balance, self.available):
            self.low_balance, self.available = known
            self.revision += 1


@dataclass
class EntryMemory:
    """Everything an entry keeps in its store."""

    history: BalanceHistory = field(default_factory=BalanceHistory)
    last_known: LastKnown = field(default_factory=LastKnown)
    sensors: ShownSensors = field(default_factory=ShownSensors)

    @property
    def revision(self) -> int:
        """Grows whenever something worth writing changed."""
        return self.history.revision + self.last_known.revision + self.sensors.revision

    def as_dict(self) -> dict[str, Any]:
        """What the store keeps."""
        return {
            **self.history.as_dict(),
            "last_known": {
                "low_balance": self.last_known.low_balance,
                "available": self.last_known.available,
            },
            "sensors": {
                "currencies": self.sensors.currencies,
                "rate_limits": self.sensors.rate_limits,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntryMemory:
        """Inverse of ``as_dict``; a store of minor version 1 knows neither."""
        last_known = data.get("last_known", {})
        sensors = data.get("sensors", {})
        return cls(
            BalanceHistory.from_dict(data),
            LastKnown(
                low_balance=last_known.get("low_balance"),
                available=last_known.get("available"),
            ),
            ShownSensors(
                currencies=list(sensors.get("currencies", [])),
                rate_limits=bool(sensors.get("rate_limits", False)),
            ),
        )
