"""Spend, top-ups and grants from balances alone: differences of running totals."""

from bisect import bisect_left
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
import functools
import itertools
from typing import Any, Final

from .activity import Activity, ActivityKind
from .api import (
    MAX_AMOUNT_PLACES,
    Balance,
    CurrencyBalance,
    currency_code,
    parse_amount,
)

# Thinning: every change for 2 h, the last sample of each 5 minutes to 48 h, of each
# hour to 8 days, of each day to 63 days (this month and the last), then the newest
# older one as the anchor. Buckets are local time's, so "today" starts on one.
KEEP_ALL: Final = timedelta(hours=2)
FINE_BUCKET: Final = timedelta(minutes=5)
KEEP_FINE: Final = timedelta(hours=48)
COARSE_BUCKET: Final = timedelta(hours=1)
KEEP_COARSE: Final = timedelta(days=8)
DAY_BUCKET: Final = timedelta(days=1)
KEEP_DAILY: Final = timedelta(days=63)
KEPT_DAYS: Final = 62  # the local days before today that KEEP_DAILY always spans

AVERAGE_WINDOW: Final = timedelta(days=7)
MIN_AVERAGE_SPAN: Final = timedelta(hours=6)
CENT: Final = Decimal("0.01")
DAY_SECONDS: Final = Decimal(86400)
TENTH: Final = Decimal("0.1")
MAX_STORED_TIME: Final = 2**40  # Unix seconds: beyond the year 36000
# A running total adds up many answers, each within the API's cap: its own cap
# keeps sums of it, with 12 decimal places, exact within Decimal's 28 digits.
MAX_RUNNING_TOTAL: Final = Decimal(10) ** 15
# A reading within one and a half poll intervals after the last is the next poll's.
ONE_POLL: Final = 1.5


class UnreadableMemoryError(Exception):
    """A stored memory that is not in the shape this release writes."""


@dataclass(frozen=True, slots=True)
class Sample:
    """The balance at one moment, and everything spent from the first sample on."""

    at: int  # Unix seconds
    spent: Decimal
    total: Decimal
    granted: Decimal | None
    topped_up: Decimal | None
    # Running on as ``spent`` does: the seconds whose spend is not wholly known (money
    # arrived where spend could hide), the part of ``spent`` seen in them, and what
    # arrived as top-ups and as grants.
    blind: int = 0
    blind_spent: Decimal = Decimal(0)
    top_ups: Decimal = Decimal(0)
    grants: Decimal = Decimal(0)

    def as_list(self) -> list[Any]:
        """Compact form for the store: amounts as exact strings."""
        running = map(str, (self.blind_spent, self.top_ups, self.grants))
        amounts = (None if v is None else str(v) for v in (self.spent, *self.row))
        return [self.at, *amounts, self.blind, *running]

    @classmethod
    def from_list(cls, item: Any) -> Sample:
        """Inverse of ``as_list``, five items before 0.3.0; else raises."""
        if not isinstance(item, list) or len(item) not in (5, len(fields(cls))):
            raise UnreadableMemoryError("a sample is not a list of five or nine")
        at, spent, total, granted, topped_up, *rest = item
        blind, *running = rest or [0, "0", "0", "0"]
        return cls(
            _stored_time(at),
            _stored_running_total(spent),
            _stored_amount(total),
            None if granted is None else _stored_amount(granted),
            None if topped_up is None else _stored_amount(topped_up),
            _stored_time(blind),
            *map(_stored_running_total, running),
        )

    @property
    def row(self) -> tuple[Decimal, Decimal | None, Decimal | None]:
        """The three amounts DeepSeek reported."""
        return (self.total, self.granted, self.topped_up)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Where today and this month began, and where they end, in local time."""

    day_start: datetime
    day_end: datetime
    month_start: datetime
    month_end: datetime

    @classmethod
    def of(cls, now: datetime, time_zone: tzinfo) -> Calendar:
        """The calendar of the local day ``now`` falls on, in ``time_zone``."""
        day = now.astimezone(time_zone).date()
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        starts = (day, day + timedelta(days=1), first, following)
        return cls(*(datetime.combine(start, time(), time_zone) for start in starts))


@dataclass(frozen=True, slots=True)
class SpendFigures:
    """What the history says about one currency at one moment."""

    today: Decimal
    day_start: datetime
    daily_average: Decimal | None
    days_remaining: Decimal | None
    month: Decimal
    month_start: datetime
    month_since: datetime  # the 1st's local midnight, or the series' start if later
    projected_month: Decimal | None
    # When the estimates, unknown until the series spans MIN_AVERAGE_SPAN, will be.
    first_estimate_at: datetime | None = None
    # False while the day (month) holds spend not wholly known: then a lower bound.
    today_complete: bool = True
    month_complete: bool = True
    # The total in whole % of its highest since the last top-up or grant.
    balance_left: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Spending:
    """Spent, topped up and granted in a span; not ``complete``, lower bounds."""

    spent: Decimal = Decimal(0)
    top_ups: Decimal = Decimal(0)
    grants: Decimal = Decimal(0)
    complete: bool = True


def _stored_amount(value: Any) -> Decimal:
    """An amount as ``Sample.as_list`` writes it; anything else raises."""
    amount = parse_amount(value) if isinstance(value, str) else None
    if amount is None:
        raise UnreadableMemoryError("a stored amount is not an amount")
    return amount


def _stored_running_total(value: Any) -> Decimal:
    """A running total as ``Sample.as_list`` writes it, within its own, larger cap."""
    try:
        amount = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        amount = None
    if (
        amount is None
        or not amount.is_finite()
        or not 0 <= amount <= MAX_RUNNING_TOTAL
        or int(amount.as_tuple().exponent) < -MAX_AMOUNT_PLACES
    ):
        raise UnreadableMemoryError("a stored running total is not one")
    return amount


def _stored_time(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_STORED_TIME:
        raise UnreadableMemoryError("a stored time is not Unix seconds")
    return value


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _parts(
    granted: Decimal | None, topped_up: Decimal | None
) -> tuple[Decimal, Decimal] | None:
    return None if granted is None or topped_up is None else (granted, topped_up)


@dataclass(frozen=True, slots=True)
class Change:
    """One currency between readings; not ``complete``, ``spent`` is a lower bound."""

    spent: Decimal
    arrivals: list[Activity]
    complete: bool


def _compare(
    before: Sample, after: CurrencyBalance, total: Decimal, *, one_poll: bool
) -> Change:
    """Spend and arrivals between two readings of one currency.

    Fees come from granted credit first, so spend can hide in a grant, and in a
    top-up unless granted credit lasted; within one poll, a rise counts as exact.
    """
    old_parts = _parts(before.granted, before.topped_up)
    new_parts = _parts(after.granted, after.topped_up)
    if old_parts is None or new_parts is None:
        rose = total > before.total
        return Change(max(before.total - total, Decimal(0)), [], one_poll or not rose)
    (old_granted, old_paid), (new_granted, new_paid) = old_parts, new_parts
    granted_lasted = Decimal(0) < new_granted <= old_granted
    spent = max(old_granted - new_granted, Decimal(0))
    spent += max(old_paid - new_paid, Decimal(0))
    arrivals = [
        Activity(
            kind, after.currency, new - old, exact=one_poll or not could_hide_spend
        )
        for kind, old, new, could_hide_spend in (
            (ActivityKind.GRANT, old_granted, new_granted, True),
            (ActivityKind.TOP_UP, old_paid, new_paid, not granted_lasted),
        )
        if new > old
    ]
    return Change(spent, arrivals, all(arrival.exact for arrival in arrivals))


@dataclass(frozen=True, slots=True)
class _Estimates:
    """The figures that are estimates; ``None`` while too little is known."""

    average: Decimal | None = None
    remaining: Decimal | None = None
    projected: Decimal | None = None
    first_estimate_at: datetime | None = None


# What comes before a series: nothing spent, nothing arrived.
_ORIGIN: Final = Sample(0, Decimal(0), Decimal(0), None, None)


class CurrencyHistory:
    """The thinned sample series of one currency."""

    def __init__(self, samples: list[Sample], since: int) -> None:
        """Start from stored samples; ``since`` is when the series began."""
        self.samples = samples
        self.since = since
        self.arrivals_since = since  # top-ups and grants count from then
        self.peak = Decimal(0)  # the highest total since the last top-up or grant
        self.revision = 0  # counts added samples, so the store writes only news
        self._thinned_bucket = 0
        # The last reading, changed or not: a sample is added only on a change.
        self.last_read: int | None = None
        self._arrivals = 0  # counts readings that saw money arrive
        self._estimates: tuple[tuple[int, int], _Estimates] | None = None

    def record(
        self, at: int, row: CurrencyBalance, time_zone: tzinfo, poll_seconds: int
    ) -> list[Activity]:
        """Add a reading; return the money that arrived since the last one."""
        if (total := row.total) is None or not row.is_consistent:
            return []  # wait for a reading that can be trusted
        if not self.samples:
            self.samples = [Sample(at, Decimal(0), total, row.granted, row.topped_up)]
            self.since = self.arrivals_since = self.last_read = at
            self.peak = total
            self.revision += 1
            return []
        # Since the last reading; unknown (not one poll) after the clock went back.
        since_last = at - (self.last_read or self.samples[-1].at)
        self.last_read = at
        if at < self.samples[-1].at:
            self._retime_after(at)
        last = self.samples[-1]
        change = _compare(
            last, row, total, one_poll=0 <= since_last <= ONE_POLL * poll_seconds
        )
        if (total, row.granted, row.topped_up) != last.row:
            # An unknown interval counts a second at least, so that it shows.
            blind = 0 if change.complete else max(since_last, 1)
            arrived = {arrival.kind: arrival.amount for arrival in change.arrivals}
            sample = Sample(
                at,
                last.spent + change.spent,
                total,
                row.granted,
                row.topped_up,
                last.blind + blind,
                last.blind_spent + (0 if change.complete else change.spent),
                last.top_ups + (arrived.get(ActivityKind.TOP_UP) or 0),
                last.grants + (arrived.get(ActivityKind.GRANT) or 0),
            )
            self.samples.append(sample)
            self.peak = total if arrived else max(self.peak, total)
            self.revision += 1
            if max(sample.spent, sample.top_ups, sample.grants) > MAX_RUNNING_TOTAL / 2:
                self._rebase()
        self._arrivals += bool(change.arrivals)
        self._thin(at, time_zone)
        return change.arrivals

    def _retime_after(self, at: int) -> None:
        """The clock was set back: what was stamped after ``at`` moves to ``at``."""
        self.samples = [
            replace(sample, at=at) if sample.at > at else sample
            for sample in self.samples
        ]
        self.since = min(self.since, at)
        self.arrivals_since = min(self.arrivals_since, at)
        self.revision += 1

    def _rebase(self) -> None:
        """Restart the running totals, within their cap; only differences count."""
        first = self.samples[0]
        self.samples = [
            replace(
                sample,
                **{
                    name: getattr(sample, name) - getattr(first, name)
                    for name in ("spent", "blind_spent", "top_ups", "grants")
                },
            )
            for sample in self.samples
        ]

    def _totals_before(self, at: int) -> Sample:
        """The totals before ``at``: buckets start there, so thinning changes none."""
        if at <= self.since:
            return _ORIGIN  # even when thinning has dropped the first sample
        index = bisect_left(self.samples, at, key=lambda sample: sample.at)
        return self.samples[max(index - 1, 0)]

    def spending(self, first: date, last: date, now: datetime) -> list[Spending]:
        """Each local day's from ``first`` to ``last``, complete if wholly known."""
        known_since = max(self.since, self.arrivals_since)
        days = (first + timedelta(days=n) for n in range((last - first).days + 2))
        starts = [datetime.combine(day, time(), now.tzinfo) for day in days]
        bounds = [(start, self._totals_before(_timestamp(start))) for start in starts]
        return [
            Spending(
                end.spent - begin.spent,
                end.top_ups - begin.top_ups,
                end.grants - begin.grants,
                complete=end.blind == begin.blind
                and known_since <= _timestamp(start) <= _timestamp(now)
                and now - start <= KEEP_DAILY,
            )
            for (start, begin), (_, end) in itertools.pairwise(bounds)
        ]

    def figures(self, now: datetime, calendar: Calendar) -> SpendFigures:
        """Spend today and this month, the average daily spend, the forecasts."""
        last = self.samples[-1]
        day = self._totals_before(_timestamp(calendar.day_start))
        month = self._totals_before(_timestamp(calendar.month_start))
        since = datetime.fromtimestamp(self.since, calendar.month_start.tzinfo)
        month_spent = last.spent - month.spent
        estimates = self._estimates_at(now, calendar, month_spent)
        share = max(last.total, Decimal(0)) * 100 / self.peak if self.peak > 0 else None
        return SpendFigures(
            today=last.spent - day.spent,
            day_start=calendar.day_start,
            daily_average=estimates.average,
            days_remaining=estimates.remaining,
            month=month_spent,
            month_start=calendar.month_start,
            month_since=max(calendar.month_start, since),
            projected_month=estimates.projected,
            first_estimate_at=estimates.first_estimate_at,
            today_complete=last.blind == day.blind,
            month_complete=last.blind == month.blind,
            balance_left=None if share is None else _rounded(share, Decimal(1)),
        )

    def _estimates_at(
        self, now: datetime, calendar: Calendar, month_spent: Decimal
    ) -> _Estimates:
        """The estimates, afresh once per 5 minutes or arrival to spare the recorder."""
        key = (_timestamp(now) // int(FINE_BUCKET.total_seconds()), self._arrivals)
        if self._estimates is not None and self._estimates[0] == key:
            return self._estimates[1]
        last = self.samples[-1]
        time_zone = calendar.month_start.tzinfo or UTC
        window_start = max(
            _bucket_start(_timestamp(now - AVERAGE_WINDOW), COARSE_BUCKET, time_zone),
            self.since,
        )
        window = self._totals_before(window_start)
        known = timedelta(
            seconds=_timestamp(now) - window_start - (last.blind - window.blind)
        )
        known_spent = (last.spent - window.spent) - (
            last.blind_spent - window.blind_spent
        )
        estimates = _Estimates()
        if known < MIN_AVERAGE_SPAN:
            first = (now + MIN_AVERAGE_SPAN - known).astimezone(time_zone)
            estimates = _Estimates(first_estimate_at=first)
        else:
            exact = known_spent / (Decimal(known.total_seconds()) / DAY_SECONDS)
            if (average := _rounded(exact, CENT)) is not None:
                left = Decimal((calendar.month_end - now).total_seconds())
                days = max(last.total, Decimal(0)) / exact if exact > 0 else None
                estimates = _Estimates(
                    average=average,
                    remaining=None if days is None else _rounded(days, TENTH),
                    projected=_rounded(
                        month_spent + average * left / DAY_SECONDS, CENT
                    ),
                )
        self._estimates = (key, estimates)
        return estimates

    def _thin(self, at: int, time_zone: tzinfo) -> None:
        """Drop what the retention tiers no longer need, once per 5 minutes."""
        bucket = at // int(FINE_BUCKET.total_seconds())
        if bucket == self._thinned_bucket:
            return
        self._thinned_bucket = bucket
        pairs = itertools.pairwise(self.samples)
        kept = [
            sample for sample, after in pairs if _keep(sample, after, at, time_zone)
        ]
        self.samples = [*kept, self.samples[-1]]


def _rounded(value: Decimal, step: Decimal) -> Decimal | None:
    """``value`` to a multiple of ``step``; ``None`` when too large (a tiny spend's)."""
    try:
        return value.quantize(step)
    except InvalidOperation:
        return None


def _keep(sample: Sample, following: Sample, now: int, time_zone: tzinfo) -> bool:
    """Whether a sample that is not the newest survives thinning."""
    age = timedelta(seconds=now - sample.at)
    if age <= KEEP_ALL:
        return True
    if age > KEEP_DAILY:
        # The newest sample beyond the tiers anchors the start of the series.
        return timedelta(seconds=now - following.at) <= KEEP_DAILY
    tiers = ((KEEP_FINE, FINE_BUCKET), (KEEP_COARSE, COARSE_BUCKET))
    size = next((bucket for keep, bucket in tiers if age <= keep), DAY_BUCKET)
    # The last of its local bucket.
    return _bucket_start(sample.at, size, time_zone) != _bucket_start(
        following.at, size, time_zone
    )


@functools.lru_cache(maxsize=20_000)  # the series spans about 6,000 quarters
def _offset(time_zone: tzinfo, quarter: int) -> int:
    """The zone's offset from UTC in seconds; it changes on quarter hours only."""
    moment = datetime.fromtimestamp(quarter * 900, time_zone)
    return int((moment.utcoffset() or timedelta(0)).total_seconds())


def _bucket_start(at: int, size: timedelta, time_zone: tzinfo) -> int:
    offset = _offset(time_zone, at // 900)
    seconds = int(size.total_seconds())
    return (at + offset) // seconds * seconds - offset


class BalanceHistory:
    """The histories of every currency an account has reported."""

    def __init__(self, currencies: dict[str, CurrencyHistory] | None = None) -> None:
        """Start empty, or from ``from_dict``."""
        self.currencies = currencies or {}

    def record(
        self,
        when: datetime,
        balance: Balance,
        time_zone: tzinfo = UTC,
        poll_interval: timedelta = timedelta(seconds=30),
    ) -> list[Activity]:
        """Add one poll's balances; return the money that arrived."""
        at = _timestamp(when)
        poll_seconds = int(poll_interval.total_seconds())
        arrivals: list[Activity] = []
        for row in balance.balances:
            history = self.currencies.setdefault(row.currency, CurrencyHistory([], at))
            arrivals += history.record(at, row, time_zone, poll_seconds)
        return arrivals

    def note_unchanged(self, when: datetime, balance: Balance) -> None:
        """A poll whose answer equals the last one: only its time is news."""
        at = _timestamp(when)
        for row in balance.balances:
            if (history := self.currencies.get(row.currency)) is not None:
                history.last_read = at

    def last_total(self, currency: str) -> Decimal | None:
        """The last total recorded for a currency: the last one that was trusted."""
        history = self.currencies.get(currency)
        return history.samples[-1].total if history and history.samples else None

    @property
    def revision(self) -> int:
        """Grows whenever a sample is added to any currency."""
        return sum(history.revision for history in self.currencies.values())

    def figures(self, now: datetime, calendar: Calendar) -> dict[str, SpendFigures]:
        """Spend figures of every currency with at least one sample."""
        return {
            currency: history.figures(now, calendar)
            for currency, history in self.currencies.items()
            if history.samples
        }

    def as_dict(self) -> dict[str, Any]:
        """What the store keeps."""
        return {
            "currencies": {
                currency: {
                    "since": history.since,
                    "arrivals_since": history.arrivals_since,
                    "peak": str(history.peak),
                    "samples": [sample.as_list() for sample in history.samples],
                }
                for currency, history in self.currencies.items()
            }
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BalanceHistory:
        """Inverse of ``as_dict``; anything else, or spend going back, raises."""
        currencies = data.get("currencies")
        if not isinstance(currencies, dict):
            raise UnreadableMemoryError("currencies is not an object")
        items = currencies.items()
        return cls({code: _stored_series(code, series) for code, series in items})


def _stored_series(currency: str, stored: Any) -> CurrencyHistory:
    if currency_code(currency) != currency or not isinstance(stored, dict):
        raise UnreadableMemoryError("a stored currency is not a code with its series")
    since = _stored_time(stored.get("since"))
    if not isinstance(items := stored.get("samples"), list):
        raise UnreadableMemoryError("samples is not a list")
    samples = [Sample.from_list(item) for item in items]
    if any(
        getattr(after, name) < getattr(before, name)
        for before, after in itertools.pairwise(samples)
        for name in ("spent", "blind", "blind_spent", "top_ups", "grants")
    ):
        raise UnreadableMemoryError("a stored series goes back in spend")
    # Readings stamped by a clock set back later are kept, in the order read,
    # each at the earliest time of those after it, as recording them now would.
    for index in range(len(samples) - 2, -1, -1):
        if samples[index].at > samples[index + 1].at:
            samples[index] = replace(samples[index], at=samples[index + 1].at)
    if samples:
        since = min(since, samples[0].at)
    history = CurrencyHistory(samples, since)
    # A store of 0.2.0 counted no arrivals, and kept no peak: its highest total.
    last = samples[-1].at if samples else since
    history.arrivals_since = _stored_time(stored.get("arrivals_since", last))
    highest = max((sample.total for sample in samples), default=Decimal(0))
    history.peak = _stored_amount(stored.get("peak", str(highest)))
    return history
