"""One poll's view of the account, from the answer and the entry's memory.

No Home Assistant here: ``observe`` takes the answer and the memory, updates the
memory and returns an immutable view. Every activity is found by comparing the
answer with the memory, which survives restarts and reloads, so money that arrived
while Home Assistant was off, or a limit crossed by an options change, is reported
once, at the first poll that sees it, and an unchanged account reports nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from .activity import Activity, ActivityKind, FiredActivity
from .api import Balance, CurrencyBalance, Notice, RateLimits
from .const import CONF_LOW_BALANCE_DAYS, CONF_LOW_BALANCE_THRESHOLD
from .history import SpendFigures
from .memory import EntryMemory

MAX_CURRENCIES: Final = 4  # an entry follows at most these; DeepSeek uses CNY and USD


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
    UNREADABLE_BALANCE = "unreadable_balance"


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
    funded_currency: str | None = None  # judged by trusted totals
    last_fired: FiredActivity | None = None  # before this poll's activities

    @property
    def api_status(self) -> ApiStatus:
        """A successful poll's status: can the balance pay, could it be read.

        A currency DeepSeek no longer lists only makes its own sensors unavailable.
        """
        if self.balance.is_available is False:
            return ApiStatus.ACCOUNT_UNAVAILABLE
        rows = self.balance.balances
        if not rows or not all(row.is_readable for row in rows):
            return ApiStatus.UNREADABLE_BALANCE
        return ApiStatus.OK

    def balance_of(self, currency: str) -> CurrencyBalance | None:
        """The row of a currency, if this answer lists it."""
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
    """The view of one poll; the memory learns what the poll found.

    Spend figures exist only for currencies whose total was read. A row whose
    parts contradict its total is shown as sent, but judged by its last trusted
    total, so it can neither raise an alert nor pick another funded currency.
    """
    balance = _followed(memory, poll.balance)
    activities = memory.history.record(poll.at, balance)
    read = {row.currency for row in balance.balances if row.total is not None}
    spend = {
        currency: figures
        for currency, figures in memory.history.figures(poll.at, poll.day_start).items()
        if currency in read
    }
    totals = {row.currency: _trusted_total(memory, row) for row in balance.balances}
    funded = funded_currency(totals)
    total = None if funded is None else totals[funded]
    figures = None if funded is None else spend.get(funded)
    low_balance = is_low(total, figures, limits)
    last_known = memory.last_known
    if low_balance and last_known.low_balance is False and total is not None:
        activities.append(
            Activity(
                ActivityKind.LOW_BALANCE,
                currency=funded,
                amount=total,
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
        funded_currency=funded,
        last_fired=last_known.activity,
    )


def _followed(memory: EntryMemory, balance: Balance) -> Balance:
    """The answer without the currencies beyond the ones the entry follows.

    The entry follows the first ``MAX_CURRENCIES`` currencies it sees, for good:
    an answer full of made-up currencies can neither add entities without end
    nor push out the ones followed.
    """
    followed = memory.history.currencies
    room = MAX_CURRENCIES - len(followed)
    rows = []
    for row in balance.balances:
        if row.currency in followed:
            rows.append(row)
        elif room > 0:
            rows.append(row)
            room -= 1
    if len(rows) == len(balance.balances):
        return balance
    notice = Notice(
        kind="too_many_currencies",
        message=(
            f"balance_infos lists more than the {MAX_CURRENCIES} currencies an entry "
            "follows (the first it saw); the others are ignored"
        ),
    )
    return replace(balance, balances=tuple(rows), notices=(*balance.notices, notice))


def _trusted_total(memory: EntryMemory, row: CurrencyBalance) -> Decimal | None:
    """A row's total; for a row that contradicts itself, the last trusted one."""
    if row.total is None or row.is_consistent:
        return row.total
    return memory.history.last_total(row.currency)


def funded_currency(totals: Mapping[str, Decimal | None]) -> str | None:
    """The currency the account runs on: the largest known total, CNY on a tie.

    A zero USD row listed before the funded CNY one is not it.
    """
    known = [
        (total, currency == "CNY", currency)
        for currency, total in totals.items()
        if total is not None
    ]
    if not known:
        return None
    # max() keeps the first of equal keys, so a tie between others goes by order.
    return max(known, key=lambda item: item[:2])[2]


def api_status(data: DeepSeekData | None, error: BaseException | None) -> ApiStatus:
    """The status after a poll: its error's, or what its answer says."""
    if error is not None:
        key = getattr(error, "translation_key", None)
        return ApiStatus(key) if key in set(ApiStatus) else ApiStatus.API_ERROR
    return ApiStatus.OK if data is None else data.api_status


def is_low(
    total: Decimal | None, figures: SpendFigures | None, limits: LowBalanceLimits
) -> bool | None:
    """Low when the funded currency is below the threshold or runs out too soon.

    A limit of 0 is off. An unknown forecast (too little history) is not low; an
    unknown balance with a limit set is unknown.
    """
    if limits.threshold <= 0 and limits.days <= 0:
        return False
    if total is None:
        return None
    forecast = None if figures is None else figures.days_remaining
    return (limits.threshold > 0 and total < limits.threshold) or (
        limits.days > 0 and forecast is not None and forecast < limits.days
    )
