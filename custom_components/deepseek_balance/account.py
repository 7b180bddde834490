"""One poll's view of the account, from its answer and the entry's memory; no HA."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from propcache.api import cached_property

from .activity import Activity, ActivityEvent, ActivityKind, FiredActivity
from .api import (
    Balance,
    CurrencyBalance,
    DeepSeekAuthError,
    DeepSeekConnectionError,
    DeepSeekRateLimitError,
    Notice,
    RateLimits,
    Snapshot,
)
from .const import (
    CONF_LIMIT_CURRENCY,
    CONF_LOW_BALANCE_DAYS,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_MONTHLY_BUDGET,
    DEEPSEEK_CURRENCY,
    MAX_SCAN_INTERVAL,
)
from .history import FINE_BUCKET, BalanceHistory, Calendar, SpendFigures

MAX_CURRENCIES: Final = 4  # an entry follows at most these; DeepSeek uses CNY and USD


@dataclass
class LastKnown:
    """The last known state of what fires an event when it begins; the last event."""

    low_balance: bool | None = None
    available: bool | None = None
    activity: FiredActivity | None = None
    pending: list[ActivityEvent] = field(default_factory=list)  # not fired yet
    over_budget: bool | None = None
    budget_month: str | None = None  # "2026-12": the month over_budget is of
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

    def over_budget_in(self, month: str) -> bool | None:
        """Whether it was over budget in ``month``; a new month starts afresh."""
        if self.over_budget is None or self.budget_month == month:
            return self.over_budget
        return False

    def remember_budget(self, *, over_budget: bool | None, month: str) -> None:
        """Keep whether this month is over budget; ``None`` keeps what was known."""
        known = (self.over_budget, self.budget_month)
        if over_budget is not None and (over_budget, month) != known:
            self.over_budget, self.budget_month = over_budget, month
            self.revision += 1

    def add_pending(self, events: Iterable[ActivityEvent]) -> None:
        """Keep events a poll found until they have fired."""
        if events := list(events):
            self.pending += events
            self.revision += 1

    def note_fired(self, events: Sequence[ActivityEvent], last: FiredActivity) -> None:
        """The first ``events`` pending have fired, ``last`` the last of them."""
        self.pending = self.pending[len(events) :]
        self.activity = last
        self.revision += 1


@dataclass
class EntryMemory:
    """Everything an entry keeps in its store, and the last poll's view."""

    history: BalanceHistory = field(default_factory=BalanceHistory)
    last_known: LastKnown = field(default_factory=LastKnown)
    # The last answer, its view, and when an equal answer can change no figure: until
    # the next 5-minute boundary, where estimates, days and months begin. Not stored.
    last_view: tuple[Snapshot, DeepSeekData, datetime, datetime] | None = field(
        default=None, repr=False, compare=False
    )
    # Today's calendar, kept until the day ends. Not stored.
    calendar: Calendar | None = field(default=None, repr=False, compare=False)

    def view_of_unchanged(
        self, snapshot: Snapshot, at: datetime
    ) -> DeepSeekData | None:
        """The last view, if an answer equal to the last one can change nothing."""
        if self.last_view is None or self.last_known.pending:
            return None
        answer, view, since, until = self.last_view
        if (
            view.activities  # fired since: a view without them is needed
            or snapshot.balance is not answer.balance
            or snapshot.rate_limits != answer.rate_limits
            or not since <= at < until
        ):
            return None
        self.history.note_unchanged(at, answer.balance)
        return view

    @property
    def revision(self) -> int:
        """Grows whenever something worth writing changed."""
        return self.history.revision + self.last_known.revision


class ApiStatus(StrEnum):
    """The API status sensor's state; a failed poll's is its error's translation key."""

    OK = "ok"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    CONNECTION_ERROR = "connection_error"
    API_ERROR = "api_error"
    UNREADABLE_BALANCE = "unreadable_balance"


@dataclass(frozen=True, slots=True)
class Limits:
    """The options' limits, 0 for off, in ``currency`` or else the funded one."""

    threshold: Decimal
    days: Decimal
    monthly_budget: Decimal = Decimal(0)
    # Stored with the amounts: the funded currency can change, the amounts cannot.
    currency: str | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Limits:
        """The limits an entry's options set."""
        return cls(
            threshold=Decimal(str(options.get(CONF_LOW_BALANCE_THRESHOLD, 0))),
            days=Decimal(str(options.get(CONF_LOW_BALANCE_DAYS, 0))),
            monthly_budget=Decimal(str(options.get(CONF_MONTHLY_BUDGET, 0))),
            currency=options.get(CONF_LIMIT_CURRENCY),
        )


@dataclass(frozen=True)
class DeepSeekData:
    """One poll's view of the account; equal views notify no entity."""

    balance: Balance
    rate_limits: RateLimits | None  # the last probe's, kept between probes
    spend: Mapping[str, SpendFigures]
    low_balance: bool | None
    # Not fired yet: this poll's, and earlier ones' while Home Assistant started.
    activities: tuple[ActivityEvent, ...] = ()
    funded_currency: str | None = None  # judged by trusted totals
    limit_currency: str | None = None  # the limits' and the budget's
    last_fired: FiredActivity | None = None  # the last event that fired
    # The sensors this answer gives reason to have (the platform keeps them).
    currencies_shown: tuple[str, ...] = ()
    rate_limits_shown: bool = False
    # On while this month's spend or its projection is above the budget.
    over_budget: bool | None = None
    monthly_budget: Decimal = Decimal(0)
    # Set while polls fail within their grace: why these figures are the last ones.
    failure: ApiStatus | None = None

    def balance_of(self, currency: str) -> CurrencyBalance | None:
        """The row of a currency, if this answer lists it."""
        return self._rows.get(currency)

    @cached_property
    def _rows(self) -> dict[str, CurrencyBalance]:
        return {row.currency: row for row in self.balance.balances}


@dataclass(frozen=True, slots=True)
class PollTime:
    """When a poll ran, where its days begin; the interval tells a gap from a poll."""

    at: datetime
    time_zone: tzinfo
    interval: timedelta


def remember_poll(
    memory: EntryMemory, snapshot: Snapshot, poll: PollTime, limits: Limits
) -> DeepSeekData:
    """Record what a poll brought in the memory; return the view of it."""
    at, time_zone = poll.at, poll.time_zone
    if (unchanged := memory.view_of_unchanged(snapshot, at)) is not None:
        return unchanged
    balance = _keep_followed_currencies(memory, snapshot.balance)
    activities = memory.history.record(at, balance, time_zone, poll.interval)
    calendar = memory.calendar
    if not (
        calendar is not None
        and calendar.day_start.tzinfo is time_zone
        and calendar.day_start <= at < calendar.day_end
    ):
        calendar = memory.calendar = Calendar.of(at, time_zone)
    read = {row.currency for row in balance.balances if row.total is not None}
    spend = {
        currency: figures
        for currency, figures in memory.history.figures(at, calendar).items()
        if currency in read
    }
    # A row shown as sent but contradicting itself can neither alert nor pick the
    # funded currency: it is judged by its last trusted total.
    totals = {row.currency: _trusted_total(memory, row) for row in balance.balances}
    funded = funded_currency(totals)
    judged = limits.currency or funded  # never another currency than the limits'
    total = None if judged is None else totals.get(judged)
    figures = None if judged is None else spend.get(judged)
    low_balance = is_low(total, figures, limits)
    last_known = memory.last_known
    if low_balance and last_known.low_balance is False:
        activities.append(
            Activity(
                ActivityKind.LOW_BALANCE,
                currency=judged,
                amount=total,
                days_remaining=None if figures is None else figures.days_remaining,
            )
        )
    if balance.is_available is False and last_known.available is True:
        activities.append(Activity(ActivityKind.ACCOUNT_UNAVAILABLE))
    over_budget = is_over_budget(figures, limits.monthly_budget)
    month = calendar.month_start.strftime("%Y-%m")
    if (
        over_budget
        and last_known.over_budget_in(month) is False
        and figures is not None
    ):
        activities.append(
            Activity(
                ActivityKind.OVER_BUDGET,
                currency=judged,
                amount=figures.projected_month,
                spend=figures.month,
                budget=limits.monthly_budget,
            )
        )
    last_known.remember(low_balance=low_balance, available=balance.is_available)
    last_known.remember_budget(over_budget=over_budget, month=month)
    last_known.add_pending(activity.event for activity in activities)
    rate_limits = snapshot.rate_limits
    view = DeepSeekData(
        balance=balance,
        rate_limits=rate_limits,
        spend=spend,
        low_balance=low_balance,
        activities=tuple(last_known.pending),
        funded_currency=funded,
        limit_currency=judged,
        last_fired=last_known.activity,
        currencies_shown=tuple(currencies_to_show(balance, funded)),
        rate_limits_shown=rate_limits is not None and rate_limits.present,
        over_budget=over_budget,
        monthly_budget=limits.monthly_budget,
    )
    boundary = int(FINE_BUCKET.total_seconds())
    until = datetime.fromtimestamp(
        (int(at.timestamp()) // boundary + 1) * boundary, UTC
    )
    memory.last_view = (snapshot, view, at, until)
    return view


def currencies_to_show(balance: Balance, funded: str | None) -> list[str]:
    """The currencies that hold money; while none does, the funded or the only one."""
    rows = balance.balances
    if holding := [row.currency for row in rows if row.holds_money]:
        return holding
    if funded is not None:
        return [funded]
    return [rows[0].currency] if rows else []


def _keep_followed_currencies(memory: EntryMemory, balance: Balance) -> Balance:
    """Keep the first ``MAX_CURRENCIES`` seen, for good: no entities without end."""
    followed = memory.history.currencies
    new = [row.currency for row in balance.balances if row.currency not in followed]
    kept = {*followed, *new[: max(MAX_CURRENCIES - len(followed), 0)]}
    rows = [row for row in balance.balances if row.currency in kept]
    if len(rows) == len(balance.balances):
        return balance
    notice = Notice(
        "too_many_currencies",
        f"balance_infos lists more than the {MAX_CURRENCIES} currencies an entry "
        "follows (the first it saw); the others are ignored",
    )
    return replace(balance, balances=tuple(rows), notices=(*balance.notices, notice))


def _trusted_total(memory: EntryMemory, row: CurrencyBalance) -> Decimal | None:
    """A row's total; for a row that contradicts itself, the last trusted one."""
    if row.total is None or row.is_consistent:
        return row.total
    return memory.history.last_total(row.currency)


def funded_currency(totals: Mapping[str, Decimal | None]) -> str | None:
    """The currency the account runs on: the largest known total, CNY on a tie."""
    known = {currency: total for currency, total in totals.items() if total is not None}
    # max() keeps the first of equal keys, so a tie between others goes by order.
    return max(
        known,
        key=lambda currency: (known[currency], currency == DEEPSEEK_CURRENCY),
        default=None,
    )


# Each kind of client error, first match wins; any other is the API's.
_ERROR_STATUS: Final = (
    (DeepSeekAuthError, ApiStatus.AUTH_FAILED),
    (DeepSeekRateLimitError, ApiStatus.RATE_LIMITED),
    (DeepSeekConnectionError, ApiStatus.CONNECTION_ERROR),
)


def api_status(balance: Balance | None, error: BaseException | None) -> ApiStatus:
    """The status after a poll: its error's, or what its answer says."""
    if error is not None:
        return next(
            (status for kind, status in _ERROR_STATUS if isinstance(error, kind)),
            ApiStatus.API_ERROR,
        )
    if balance is not None and balance.is_available is False:
        return ApiStatus.ACCOUNT_UNAVAILABLE
    if balance is not None and not (
        balance.balances and all(row.is_readable for row in balance.balances)
    ):
        return ApiStatus.UNREADABLE_BALANCE
    return ApiStatus.OK


def is_over_budget(figures: SpendFigures | None, budget: Decimal) -> bool | None:
    """Over while this month's spend, or its projection, is above the budget."""
    if budget <= 0:
        return False
    if figures is None:
        return None
    projected = figures.projected_month
    return figures.month > budget or (projected is not None and projected > budget)


def is_low(
    total: Decimal | None, figures: SpendFigures | None, limits: Limits
) -> bool | None:
    """Below the threshold, or running out too soon; an unknown forecast is not low."""
    if limits.threshold <= 0 and limits.days <= 0:
        return False
    if total is None:
        return None
    forecast = None if figures is None else figures.days_remaining
    return (limits.threshold > 0 and total < limits.threshold) or (
        limits.days > 0 and forecast is not None and forecast < limits.days
    )


# Rate-limit headers ride on /v1/models's answer, from a gateway: DeepSeek sends none.
# Asking at every poll would double the requests of an account that never gets any.
IDLE_PROBE_INTERVAL: Final = timedelta(minutes=10)
# Home Assistant starts a poll up to a second early; 20 polls of 30 s are 10 minutes.
IDLE_PROBE_SLACK: Final = timedelta(seconds=5)
# A failed probe keeps the last figures; this many in a row make them unknown.
FAILURES_BEFORE_BACK_OFF: Final = 3


@dataclass
class RateLimitProbe:
    """Probe at every poll while the answers carry rate limits, else every 10 min."""

    last_run: datetime | None = None  # due at once: to find out what the account sends
    rate_limits: RateLimits | None = None
    failures: int = 0

    @property
    def headers_seen(self) -> bool:
        """Whether the figures come from an answer that carried rate limits."""
        return self.rate_limits is not None and self.rate_limits.present

    def is_due(self, now: datetime) -> bool:
        """Whether this poll should ask ``/v1/models`` beside the balance."""
        return (
            self.last_run is None
            or self.headers_seen
            or now - self.last_run >= IDLE_PROBE_INTERVAL - IDLE_PROBE_SLACK
        )

    def record(self, now: datetime, rate_limits: RateLimits | None) -> None:
        """Keep what a probe read; ``None`` means it failed."""
        self.last_run = now
        self.failures = 0 if rate_limits is not None else self.failures + 1
        if rate_limits is not None or self.failures >= FAILURES_BEFORE_BACK_OFF:
            self.rate_limits = rate_limits


# How long the last figures stay shown, saying why, while polls fail: a minute-old
# balance beats a blank panel. Asking to wait (429), DeepSeek is answering: longer.
FAILURE_GRACE: Final = timedelta(minutes=10)
RATE_LIMITED_GRACE: Final = timedelta(hours=1)


def grace(status: ApiStatus) -> timedelta:
    """How long the last figures stay shown, failing for ``status``."""
    return RATE_LIMITED_GRACE if status is ApiStatus.RATE_LIMITED else FAILURE_GRACE


@dataclass
class Outage:
    """Since when polls fail, until when to wait; in the loop's monotonic seconds."""

    since: float | None = None
    quiet_until: float | None = None

    def quiet_for(self, clock: float) -> float | None:
        """The seconds DeepSeek still asked to wait, if it asked."""
        if self.quiet_until is None or clock >= self.quiet_until:
            return None
        return self.quiet_until - clock

    def wait(self, clock: float, retry_after: float, interval: float) -> None:
        """Wait as asked, within one interval and the longest (against wild headers)."""
        longest = MAX_SCAN_INTERVAL.total_seconds()
        self.quiet_until = clock + min(max(retry_after, interval), longest)

    def note_failure(self, clock: float) -> bool:
        """Count a failed poll in the outage; return whether it began it."""
        if began := self.since is None:
            self.since = clock
        return began

    def within_grace(self, clock: float, status: ApiStatus) -> bool:
        """Whether the last figures may still be shown, failing for ``status``."""
        return (
            self.since is not None
            and clock - self.since < grace(status).total_seconds()
        )

    def end(self) -> bool:
        """An answer came: return whether it ended an outage."""
        ended = self.since is not None
        self.since = self.quiet_until = None
        return ended
