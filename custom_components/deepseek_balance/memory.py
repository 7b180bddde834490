"""What an entry remembers across restarts; no Home Assistant here.

The balance history; the last known low-balance state and availability, so each of
their changes is reported once, restarts and reloads included; and the sensors the
entry has shown, as a sensor stays once it has appeared.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .activity import ActivityKind, FiredActivity
from .history import CURRENCY_CODE, BalanceHistory, UnreadableMemoryError


@dataclass
class ShownSensors:
    """The currencies whose sensors exist, and whether the rate-limit ones do."""

    currencies: list[str] = field(default_factory=list)  # in order of appearance
    rate_limits: bool = False
    # False only from a store of 0.1.0: it kept no such list, and made the
    # sensors of every currency and the rate limits up front, shown or not.
    listed: bool = True
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

    def mark_listed(self) -> None:
        """The list is complete from now on: the sensors beyond it were removed."""
        self.listed = True
        self.revision += 1


@dataclass
class LastKnown:
    """The last known state of what fires an event when it begins; the last event."""

    low_balance: bool | None = None
    available: bool | None = None
    activity: FiredActivity | None = None
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

    def remember_fired(self, activity: FiredActivity) -> None:
        """Keep the event the activity entity fired last."""
        if activity != self.activity:
            self.activity = activity
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
                "activity": _fired_as_dict(self.last_known.activity),
            },
            "sensors": {
                "currencies": self.sensors.currencies,
                "rate_limits": self.sensors.rate_limits,
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> EntryMemory:
        """Inverse of ``as_dict``; raises ``UnreadableMemoryError`` for anything else.

        A store of minor version 1 has neither the last known state nor the
        sensors shown, one of minor version 2 no last known state, one of minor
        version 3 no last event.
        """
        if not isinstance(data, dict):
            raise UnreadableMemoryError("the stored memory is not an object")
        last_known = data.get("last_known", {})
        if not isinstance(last_known, dict):
            raise UnreadableMemoryError("last_known is not an object")
        return cls(
            BalanceHistory.from_dict(data),
            LastKnown(
                low_balance=_stored_flag(last_known, "low_balance"),
                available=_stored_flag(last_known, "available"),
                activity=_stored_fired(last_known.get("activity")),
            ),
            _stored_sensors(data["sensors"])
            if "sensors" in data
            else ShownSensors(listed=False),
        )


def _stored_flag(data: dict[str, Any], key: str) -> bool | None:
    """A known state: on, off or ``None`` (not known)."""
    if not isinstance(value := data.get(key), bool | None):
        raise UnreadableMemoryError(f"{key} is not true, false or null")
    return value


def _stored_sensors(data: Any) -> ShownSensors:
    """The sensors shown, as ``EntryMemory.as_dict`` writes them."""
    if not isinstance(data, dict):
        raise UnreadableMemoryError("sensors is not an object")
    currencies = data.get("currencies", [])
    if not isinstance(currencies, list) or not all(
        isinstance(code, str) and CURRENCY_CODE.fullmatch(code) for code in currencies
    ):
        raise UnreadableMemoryError("sensors.currencies is not a list of codes")
    if not isinstance(rate_limits := data.get("rate_limits", False), bool):
        raise UnreadableMemoryError("sensors.rate_limits is not true or false")
    return ShownSensors(
        currencies=list(dict.fromkeys(currencies)), rate_limits=rate_limits
    )


def _fired_as_dict(activity: FiredActivity | None) -> dict[str, Any] | None:
    if activity is None:
        return None
    return {
        "event_type": activity.event_type,
        "fired_at": activity.fired_at,
        "attributes": dict(activity.attributes),
    }


def _stored_fired(data: Any) -> FiredActivity | None:
    """The last event, as ``_fired_as_dict`` writes it."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise UnreadableMemoryError("last_known.activity is not an object")
    event_type, fired_at, attributes = (
        data.get(key) for key in ("event_type", "fired_at", "attributes")
    )
    if event_type not in set(ActivityKind):
        raise UnreadableMemoryError("last_known.activity has no event type")
    if not isinstance(fired_at, str) or not _is_aware_time(fired_at):
        raise UnreadableMemoryError("last_known.activity has no time")
    if not isinstance(attributes, dict) or not all(
        isinstance(value, bool | int | float | str | None)
        for value in attributes.values()
    ):
        raise UnreadableMemoryError("last_known.activity has no attributes")
    return FiredActivity(ActivityKind(event_type), fired_at, attributes)


def _is_aware_time(text: str) -> bool:
    """Whether ``text`` is an ISO time with its offset, as event states are."""
    try:
        return datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False
