"""Spend, top-ups and grants, worked out from the balance series alone.

DeepSeek reports balances, never spending. Each currency keeps a series of samples
carrying a running total of what was spent, so the spend between any two moments is
one subtraction. The series is thinned as it ages, which bounds its size.
"""

from bisect import bisect_left
from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
import re
from typing import Any, Final

from .activity import Activity, ActivityKind
from .api import Balance, CurrencyBalance, parse_amount

# Thinning: every change for 2 h, the last sample of each 5 minutes to 48 h, of each
# hour to 8 days, of each day to 63 days (this month and the last, whole), then only
# the newest older sample, as the anchor of the series. Buckets are local time's
# (the time zone's offset at each sample), so each starts at a local midnight, where
# "today" and "this month" begin.
KEEP_ALL: Final = timedelta(hours=2)
FINE_BUCKET: Final = timedelta(minutes=5)
KEEP_FINE: Final = timedelta(hours=48)
COARSE_BUCKET: Final = timedelta(hours=1)
KEEP_COARSE: Final = timedelta(days=8)
DAY_BUCKET: Final = timedelta(days=1)
KEEP_DAILY: Final = timedelta(days=63)

AVERAGE_WINDOW: Final = timedelta(days=7)
MIN_AVERAGE_SPAN: Final = timedelta(hours=6)
CENT: Final = Decimal("0.01")
DAY_SECONDS: Final = Decimal(86400)
TENTH: Final = Decimal("0.1")
MAX_STORED_TIME: Final = 2**40  # Unix seconds: beyond the year 36000
CURRENCY_CODE: Final = re.compile(r"[A-Z]{3}")  # a code as the client writes it


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

    def as_list(self) -> list[Any]:
        """Compact form for the store: amounts as exact strings."""
        return [self.at, str(self.spent), *map(_text, self.row)]

    @classmethod
    def from_list(cls, item: Any) -> Sample:
        """Inverse of ``as_list``; anything else raises ``UnreadableMemoryError``."""
        if not isinstance(item, list) or len(item) != len(fields(cls)):
            raise UnreadableMemoryError("a sample is not a list of five")
        at, spent, total, granted, topped_up = item
        return cls(
            at=_stored_time(at),
            spent=_stored_amount(spent),
            total=_stored_amount(total),
            granted=None if granted is None else _stored_amount(granted),
            topped_up=None if topped_up is None else _stored_amount(topped_up),
        )

    @property
    def row(self) -> tuple[Decimal, Decimal | None, Decimal | None]:
        """The three amounts DeepSeek reported."""
        return (self.total, self.granted, self.topped_up)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Where today and this month began, and where the month ends, in local time."""

    day_start: datetime
    month_start: datetime
    month_end: datetime

    @classmethod
    def of(cls, now: datetime, time_zone: tzinfo) -> Calendar:
        """The calendar of the local day ``now`` falls on, in ``time_zone``."""
        local = now.astimezone(time_zone)
        day = local.date()
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return cls(
            day_start=datetime.combine(day, time(), time_zone),
            month_start=datetime.combine(first, time(), time_zone),
            month_end=datetime.combine(following, time(), time_zone),
        )


@dataclass(frozen=True, slots=True)
class SpendFigures:
    """What the history says about one currency at one moment.

    ``month_since`` is when this month's spend began to be counted: the 1st's
    local midnight, or when the series began if that was later. The estimates
    (the average, the days remaining, the projection) need some history.
    """

    today: Decimal
    day_start: datetime
    daily_average: Decimal | None
    days_remaining: Decimal | None
    month: Decimal
    month_start: datetime
    month_since: datetime
    projected_month: Decimal | None
    # Until the series spans MIN_AVERAGE_SPAN, the estimates are unknown: when
    # they will be known.
    first_estimate_at: datetime | None = None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _stored_amount(value: Any) -> Decimal:
    """An amount as ``Sample.as_list`` writes it; anything else raises."""
    amount = parse_amount(value) if isinstance(value, str) else None
    if amount is None:
        raise UnreadableMemoryError("a stored amount is not an amount")
    return amount


def _stored_time(value: Any) -> int:
    """Unix seconds as ``Sample.as_list`` writes them."""
    if type(value) is not int or not 0 <= value <= MAX_STORED_TIME:
        raise UnreadableMemoryError("a stored time is not Unix seconds")
    return value


def _timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def _parts(
    granted: Decimal | None, topped_up: Decimal | None
) -> tuple[Decimal, Decimal] | None:
    return None if granted is None or topped_up is None else (granted, topped_up)


def _compare(
    before: Sample, after: CurrencyBalance, total: Decimal
) -> tuple[Decimal, list[Activity]]:
    """Spend and arrivals between two readings of one currency.

    With both parts known, a fall of either part is spend and a rise is a grant
    or a top-up, so a top-up and some spend in one interval are both seen. With a
    part unreadable only the totals are compared, and a rise cannot be named.
    """
    old_parts = _parts(before.granted, before.topped_up)
    new_parts = _parts(after.granted, after.topped_up)
    if old_parts is None or new_parts is None:
        return max(before.total - total, Decimal(0)), []
    spent = Decimal(0)
    arrivals = []
    for kind, old, new in zip(
        (ActivityKind.GRANT, ActivityKind.TOP_UP), old_parts, new_parts, strict=True
    ):
        if new < old:
            spent += old - new
        elif new > old:
            arrivals.append(Activity(kind, currency=after.currency, amount=new - old))
    return spent, arrivals


class CurrencyHistory:
    """The thinned sample series of one currency."""

    def __init__(self, samples: list[Sample], since: int) -> None:
        """Start from stored samples; ``since`` is when the series began."""
        self.samples = samples
        self.since = since
        self.revision = 0  # counts added samples, so the store writes only news
        self._thinned_bucket = 0
        self._local: _LocalTime | None = None

    def record(
        self, at: int, row: CurrencyBalance, time_zone: tzinfo
    ) -> list[Activity]:
        """Add a reading; return the money that arrived since the last one."""
        if (total := row.total) is None or not row.is_consistent:
            return []  # wait for a reading that can be trusted
        if not self.samples:
            self.samples.append(
                Sample(at, Decimal(0), total, row.granted, row.topped_up)
            )
            self.since = at
            self.revision += 1
            return []
        last = self.samples[-1]
        spent, arrivals = _compare(last, row, total)
        if (total, row.granted, row.topped_up) != last.row:
            self.samples.append(
                Sample(at, last.spent + spent, total, row.granted, row.topped_up)
            )
            self.revision += 1
        self._thin(at, time_zone)
        return arrivals

    def spent_before(self, at: int) -> Decimal:
        """Everything spent before ``at``: a reading at ``at`` counts after it.

        Thinning keeps the last sample of each bucket, and buckets start on the
        boundaries asked for here, so thinned and full series give one answer.
        """
        if at <= self.since:
            return Decimal(0)  # even when thinning has dropped the first sample
        index = bisect_left(self.samples, at, key=lambda sample: sample.at)
        return self.samples[max(index - 1, 0)].spent

    def figures(self, now: datetime, calendar: Calendar) -> SpendFigures:
        """Spend today and this month, the average daily spend, the forecasts.

        The month's projection is its spend so far plus the average (as shown,
        to the cent) for each day, or part of one, left in it.
        """
        last = self.samples[-1]
        today = last.spent - self.spent_before(_timestamp(calendar.day_start))
        month = last.spent - self.spent_before(_timestamp(calendar.month_start))
        month_since = max(
            calendar.month_start,
            datetime.fromtimestamp(self.since, calendar.month_start.tzinfo),
        )
        window_start = max(_timestamp(now - AVERAGE_WINDOW), self.since)
        span = timedelta(seconds=_timestamp(now) - window_start)
        average = remaining = projected = None
        if span >= MIN_AVERAGE_SPAN:
            days = Decimal(span.total_seconds()) / DAY_SECONDS
            exact = (last.spent - self.spent_before(window_start)) / days
            if exact > 0:
                remaining = _rounded(max(last.total, Decimal(0)) / exact, TENTH)
            if (average := _rounded(exact, CENT)) is not None:
                left = Decimal((calendar.month_end - now).total_seconds())
                projected = _rounded(month + average * left / DAY_SECONDS, CENT)
        first_estimate_at = None
        if span < MIN_AVERAGE_SPAN:
            first_estimate_at = datetime.fromtimestamp(
                self.since + int(MIN_AVERAGE_SPAN.total_seconds()),
                calendar.month_start.tzinfo,
            )
        return SpendFigures(
            today=today,
            day_start=calendar.day_start,
            daily_average=average,
            days_remaining=remaining,
            month=month,
            month_start=calendar.month_start,
            month_since=month_since,
            projected_month=projected,
            first_estimate_at=first_estimate_at,
        )

    def _thin(self, at: int, time_zone: tzinfo) -> None:
        """Drop what the retention tiers no longer need, once per 5 minutes."""
        bucket = at // int(FINE_BUCKET.total_seconds())
        if bucket == self._thinned_bucket:
            return
        self._thinned_bucket = bucket
        samples = self.samples
        if self._local is None or self._local.time_zone is not time_zone:
            self._local = _LocalTime(time_zone)
        local = self._local
        kept = []
        for index, sample in enumerate(samples):
            following = samples[index + 1] if index + 1 < len(samples) else None
            if following is None or _keep(sample, following, at, local):
                kept.append(sample)
        self.samples = kept


def _rounded(value: Decimal, step: Decimal) -> Decimal | None:
    """``value`` to a multiple of ``step``; ``None`` when it has too many digits.

    A tiny average spend makes the days remaining astronomically large; that is
    no forecast, and rounding it must not raise.
    """
    try:
        return value.quantize(step)
    except InvalidOperation:
        return None


def _keep(sample: Sample, following: Sample, now: int, local: _LocalTime) -> bool:
    """Whether a sample that is not the newest survives thinning."""
    age = timedelta(seconds=now - sample.at)
    if age <= KEEP_ALL:
        return True
    if age > KEEP_DAILY:
        # The newest sample beyond the tiers anchors the start of the series.
        return timedelta(seconds=now - following.at) <= KEEP_DAILY
    if age <= KEEP_FINE:
        size = FINE_BUCKET
    elif age <= KEEP_COARSE:
        size = COARSE_BUCKET
    else:
        size = DAY_BUCKET
    # The last of its local bucket.
    return local.bucket(sample.at, size) != local.bucket(following.at, size)


class _LocalTime:
    """Local time in one zone, its offset looked up once a quarter of an hour.

    Offsets change on the quarter hour in every zone in use, so a sample's offset
    is that of its quarter hour. The lookups are kept between thinnings, for the
    quarters the series spans (about 6,000).
    """

    MAX_KEPT: Final = 20_000

    def __init__(self, time_zone: tzinfo) -> None:
        self.time_zone = time_zone
        self._offsets: dict[int, int] = {}

    def bucket(self, at: int, size: timedelta) -> int:
        """The number of the ``size`` bucket of local time that ``at`` falls in."""
        quarter = at // 900
        if (offset := self._offsets.get(quarter)) is None:
            if len(self._offsets) >= self.MAX_KEPT:
                self._offsets.clear()
            moment = datetime.fromtimestamp(quarter * 900, self.time_zone)
            offset = int((moment.utcoffset() or timedelta(0)).total_seconds())
            self._offsets[quarter] = offset
        return (at + offset) // int(size.total_seconds())


class BalanceHistory:
    """The histories of every currency an account has reported."""

    def __init__(self, currencies: dict[str, CurrencyHistory] | None = None) -> None:
        """Start empty, or from ``from_dict``."""
        self.currencies = currencies or {}

    def record(
        self, when: datetime, balance: Balance, time_zone: tzinfo = UTC
    ) -> list[Activity]:
        """Add one poll's balances; return the money that arrived.

        ``time_zone`` is where the days and months of the thinned series begin.
        """
        at = _timestamp(when)
        arrivals: list[Activity] = []
        for row in balance.balances:
            history = self.currencies.setdefault(row.currency, CurrencyHistory([], at))
            arrivals += history.record(at, row, time_zone)
        return arrivals

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
                    "samples": [sample.as_list() for sample in history.samples],
                }
                for currency, history in self.currencies.items()
            }
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BalanceHistory:
        """Inverse of ``as_dict``; raises ``UnreadableMemoryError`` for anything else.

        A series out of order would give wrong figures, so it is refused too.
        """
        currencies = data.get("currencies")
        if not isinstance(currencies, dict):
            raise UnreadableMemoryError("currencies is not an object")
        return cls(
            {
                currency: _stored_series(currency, stored)
                for currency, stored in currencies.items()
            }
        )


def _stored_series(currency: str, stored: Any) -> CurrencyHistory:
    """One currency's series as ``BalanceHistory.as_dict`` writes it."""
    if not CURRENCY_CODE.fullmatch(currency) or not isinstance(stored, dict):
        raise UnreadableMemoryError("a stored currency is not a code with its series")
    since = _stored_time(stored.get("since"))
    if not isinstance(items := stored.get("samples"), list):
        raise UnreadableMemoryError("samples is not a list")
    samples = [Sample.from_list(item) for item in items]
    moments = [since, *(sample.at for sample in samples)]
    spent = [Decimal(0), *(sample.spent for sample in samples)]
    if moments != sorted(moments) or spent != sorted(spent):
        raise UnreadableMemoryError("a stored series goes back in time or in spend")
    return CurrencyHistory(samples, since)
