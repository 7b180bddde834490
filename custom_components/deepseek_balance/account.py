"""One poll's view of the account, from the answer and the entry's memory.

No Home Assistant here: ``observe`` takes the answer and the memory, updates the
memory and returns an immutable view. Every activity is found by comparing the
answer with the memory, which survives restarts and reloads, so money that arrived
while Home Assistant was off, or a limit crossed by an options change, is reported
once, at the first poll that sees it, and an unchanged account reports nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .activity import Activity, ActivityKind
from .api import Balance, CurrencyBalance, RateLimits
from .const import CONF_LOW_BALANCE_DAYS, CONF_LOW_BALANCE_THRESHOLD
from .history import SpendFigures
from .memory import EntryMemory


class ApiStatus(StrEnum):
    """Why the account looks the way it does: the state of the API status sensor.

    A failed poll's status is the translation key of its error.
    """

    OK = "ok"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    CONNECTION_ERROR = "connection_error"
    API_ERROR = "api_error"


@dataclass(frozen=True, slots=True)
class LowBalanceLimits:
    """The options' limits: below an amount, or lasting fewer days; 0 is off."""

    threshold: Decimal
    days: Decimal

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> LowBalanceLimits:
        """The limits an entry's options set."""
        return cls(
            threshold=Decimal(str(options.get(CONF_LOW_BALANCE_THRESHOLD, 0))),
            days=Decimal(str(options.get(CONF_LOW_BALANCE_DAYS, 0))),
        )


@dataclass(frozen=True)
class DeepSeekData:
    """One poll's view of the account; equal views notify no entity.

    ``rate_limits`` is what the last probe read, kept between probes.
    ``activities`` happened since the poll before.
    """

    balance: Balance
    rate_limits: RateLimits | None
    spend: Mapping[str, SpendFigures]
    low_balance: bool | None
    activities: tuple[Activity, ...] = ()

    @property
    def api_status(self) -> ApiStatus:
        """A successful poll's status: whether the balance can pay for calls."""
        if self.balance.is_available is False:
            return ApiStatus.ACCOUNT_UNAVAILABLE
        return ApiStatus.OK

    def balance_of(self, currency: str) -> CurrencyBalance | None:
        """The first row of a currency, if the account reports it."""
        return next(
            (row for row in self.balance.balances if row.currency == currency), None
        )


@dataclass(frozen=True, slots=True)
class Poll:
    """What one poll brought: the balance, the rate limits known, and when."""

    balance: Balance
    rate_limits: RateLimits | None
    at: datetime
    day_start: datetime  # local midnight, when "Spend today" began


def observe(memory: EntryMemory, poll: Poll, limits: LowBalanceLimits) -> DeepSeekData:
    """The view of one poll; the memory learns what the poll found."""
    balance = poll.balance
    activities = memory.history.record(poll.at, balance)
    spend = memory.history.figures(poll.at, poll.day_start)
    primary = balance.primary
    low_balance = is_low(primary, spend, limits)
    last_known = memory.last_known
    if (
        low_balance
        and last_known.low_balance is False
        and primary is not None
        and primary.total is not None
    ):
        figures = spend.get(primary.currency)
        activities.append(
            Activity(
                ActivityKind.LOW_BALANCE,
                currency=primary.currency,
                amount=primary.total,
                days_remaining=None if figures is None else figures.days_remaining,
            )
        )
    if balance.is_available is False and last_known.available is True:
        activities.append(Activity(ActivityKind.ACCOUNT_UNAVAILABLE))
    last_known.remember(low_balance=low_balance, available=balance.is_available)
    return DeepSeekData(
        balance=balance,
        rate_limits=poll.rate_limits,
        spend=spend,
        low_balance=low_balance,
        activities=tuple(activities),
    )


def api_status(data: DeepSeekData | None, error: BaseException | None) -> ApiStatus:
    """The status after a poll: its error's, or what its answer says."""
    if error is not None:
        key = getattr(error, "translation_key", None)
        return ApiStatus(key) if key in set(ApiStatus) else ApiStatus.API_ERROR
    return ApiStatus.OK if data is None else data.api_status


def is_low(
    primary: CurrencyBalance | None,
    spend: Mapping[str, SpendFigures],
    limits: LowBalanceLimits,
) -> bool | None:
    """Low when the funded currency is below the threshold or runs out too soon.

    A limit of 0 is off. An unknown forecast (too little history) is not low; an
    unknown balance with a limit set is unknown.
    """
    if limits.threshold <= 0 and limits.days <= 0:
        return False
    if primary is None or primary.total is None:
        return None
    figures = spend.get(primary.currency)
    forecast = None if figures is None else figures.days_remaining
    return (limits.threshold > 0 and primary.total < limits.threshold) or (
        limits.days > 0 and forecast is not None and forecast < limits.days
    )
