"""What can happen to an account between two polls: the Balance activity events."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final


class ActivityKind(StrEnum):
    """The event types of the "Balance activity" event entity."""

    TOP_UP = "top_up"
    GRANT = "grant"
    LOW_BALANCE = "low_balance"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    OVER_BUDGET = "over_budget"


# The attributes of each kind's event; over budget, the amount is the projection.
_ATTRIBUTES: Final = {
    ActivityKind.TOP_UP: ("amount", "currency", "exact"),
    ActivityKind.GRANT: ("amount", "currency", "exact"),
    ActivityKind.LOW_BALANCE: ("amount", "currency", "days_remaining"),
    ActivityKind.ACCOUNT_UNAVAILABLE: (),
    ActivityKind.OVER_BUDGET: ("amount", "spend", "budget", "currency"),
}


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing that happened, with what an automation needs to know about it."""

    kind: ActivityKind
    currency: str | None = None
    amount: Decimal | None = None
    days_remaining: Decimal | None = None
    budget: Decimal | None = None
    spend: Decimal | None = None  # this month's, beside its projection
    # Of money arriving: false when spend may hide in it, and ``amount`` is then
    # what certainly arrived, a lower bound.
    exact: bool = True

    @property
    def attributes(self) -> dict[str, Any]:
        """The event's attributes: what the kind of activity carries."""
        carried = {name: getattr(self, name) for name in _ATTRIBUTES[self.kind]}
        return {
            name: float(value) if isinstance(value, Decimal) else value
            for name, value in carried.items()
        }

    @property
    def event(self) -> ActivityEvent:
        """The event that tells of it."""
        return ActivityEvent(self.kind, self.attributes)


@dataclass(frozen=True, slots=True)
class ActivityEvent:
    """An event of Balance activity, kept in the store until it fires: none is lost."""

    event_type: ActivityKind
    attributes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FiredActivity:
    """The last event fired, as its state showed it; restored from the store alone."""

    event_type: ActivityKind
    fired_at: str  # the event entity's state: an ISO time to the millisecond
    attributes: Mapping[str, Any]
