"""What can happen to an account between two polls: the Balance activity events."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ActivityKind(StrEnum):
    """The event types of the "Balance activity" event entity."""

    TOP_UP = "top_up"
    GRANT = "grant"
    LOW_BALANCE = "low_balance"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    OVER_BUDGET = "over_budget"


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
        match self.kind:
            case ActivityKind.TOP_UP | ActivityKind.GRANT:
                return {
                    "amount": _number(self.amount),
                    "currency": self.currency,
                    "exact": self.exact,
                }
            case ActivityKind.LOW_BALANCE:
                return {
                    "amount": _number(self.amount),
                    "currency": self.currency,
                    "days_remaining": _number(self.days_remaining),
                }
            case ActivityKind.OVER_BUDGET:  # the amount is the month's projection
                return {
                    "amount": _number(self.amount),
                    "spend": _number(self.spend),
                    "budget": _number(self.budget),
                    "currency": self.currency,
                }
        return {}

    @property
    def event(self) -> ActivityEvent:
        """The event that tells of it."""
        return ActivityEvent(self.kind, self.attributes)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


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
