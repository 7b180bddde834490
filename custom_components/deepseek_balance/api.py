"""Client of the DeepSeek API's account endpoints; only aiohttp, so a library."""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from http import HTTPStatus
import json
import logging
import math
import os
import re
from typing import Any, Final, override

import aiohttp
from yarl import URL

DEFAULT_BASE_URL: Final = "https://api.deepseek.com"
BASE_URL_ENV_VAR: Final = "DEEPSEEK_BASE_URL"
MIN_RETRY_TIMEOUT: Final = 1.0  # a retry with less time than this is not made
MAX_BODY_BYTES: Final = 1024 * 1024

BALANCE_PATH: Final = "/user/balance"
MODELS_PATH: Final = "/v1/models"
RATE_LIMIT_HEADER_PREFIX: Final = "x-ratelimit-"
# A balance_infos row's amounts, in CurrencyBalance's order.
AMOUNT_NAMES: Final = ("total_balance", "granted_balance", "topped_up_balance")

# What a real account can say. Beyond it a figure is unreadable, never believed.
MAX_AMOUNT: Final = Decimal(10) ** 12
# With 13 digits before the point and 12 after, sums of amounts stay exact within
# Decimal's 28 digits, and no quotient of two amounts overflows.
MAX_AMOUNT_PLACES: Final = 12
MAX_COUNT: Final = 10**12  # requests, tokens and seconds in the rate-limit headers
CONSISTENCY_TOLERANCE: Final = Decimal("0.01")

_LOGGER = logging.getLogger(__name__)

# A Unix timestamp is told from a number of seconds by its size (2001-09-09 onwards).
_UNIX_TIMESTAMP_FLOOR: Final = 1_000_000_000
_UNSIGNED_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_UNSIGNED_INTEGER = re.compile(r"\d+")
_CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")  # ISO 4217's shape
# Go time.Duration text, as DeepSeek (like OpenAI) sends it: "6m0s", "1h2m3.5s".
_GO_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ns|us|µs|μs|ms|s|m|h))+")
_GO_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)")
_GO_UNIT_SECONDS: Final = {
    "ns": Decimal("1e-9"),
    **dict.fromkeys(("us", "µs", "μs"), Decimal("1e-6")),
    "ms": Decimal("1e-3"),
    "s": Decimal(1),
    "m": Decimal(60),
    "h": Decimal(3600),
}


class DeepSeekError(Exception):
    """Base class of every error this client raises."""


class DeepSeekAuthError(DeepSeekError):
    """The API key was refused (HTTP 401 or 403)."""


class DeepSeekConnectionError(DeepSeekError):
    """The API could not be reached: DNS, refused, reset or timed out."""


class DeepSeekRateLimitError(DeepSeekError):
    """DeepSeek asked the caller to slow down (HTTP 429, or 503 with Retry-After)."""

    def __init__(
        self, message: str, retry_after: float | None, rate_limits: RateLimits
    ) -> None:
        """Keep the wait asked for, if any, and the limits a gateway's 429 carries."""
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limits = rate_limits


class DeepSeekResponseError(DeepSeekError):
    """The API answered with something this client cannot trust."""

    def __init__(self, message: str, status: int) -> None:
        """Keep the HTTP status, so callers can tell a 5xx from a bad 200."""
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Timing:
    """Seconds a call may take, a retry included; under a poll interval: no overlap."""

    request_timeout: float = 10.0
    retry_delay: float = 2.0
    call_budget: float = 25.0


@dataclass(frozen=True, slots=True)
class CurrencyBalance:
    """One ``balance_infos`` row; ``None`` amounts were unreadable, never zero."""

    currency: str
    total: Decimal | None
    granted: Decimal | None
    topped_up: Decimal | None

    @property
    def holds_money(self) -> bool:
        """Whether any readable amount is other than zero (``None`` and 0 are not)."""
        return any((self.total, self.granted, self.topped_up))

    @property
    def is_readable(self) -> bool:
        """Whether all three amounts were read."""
        return None not in (self.total, self.granted, self.topped_up)

    @property
    def is_consistent(self) -> bool:
        """Whether the parts add up to the total within a cent, or cannot be checked."""
        if self.total is None or self.granted is None or self.topped_up is None:
            return True
        return abs(self.total - self.granted - self.topped_up) <= CONSISTENCY_TOLERANCE


@dataclass(frozen=True, slots=True)
class Notice:
    """Something set aside or distrusted; the same ``kind`` each time it recurs."""

    kind: str
    message: str


@dataclass(frozen=True, slots=True)
class Balance:
    """The answer of ``/user/balance``: one row per currency, in DeepSeek's order."""

    # Whether the account can pay: DeepSeek's verdict, never guessed from amounts.
    is_available: bool | None
    balances: tuple[CurrencyBalance, ...]
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One rate-limit dimension; ``None`` where DeepSeek did not say."""

    limit: int | None = None
    remaining: int | None = None
    reset_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Request and token limits read from the ``x-ratelimit-*`` headers."""

    requests: RateLimit = field(default_factory=RateLimit)
    tokens: RateLimit = field(default_factory=RateLimit)

    @property
    def present(self) -> bool:
        """Whether the answer said anything: DeepSeek itself normally does not."""
        return self.requests != RateLimit() or self.tokens != RateLimit()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One poll; ``rate_limits`` is ``None`` when not probed or the probe failed."""

    balance: Balance
    rate_limits: RateLimits | None


def validate_base_url(base_url: str) -> URL:
    """Accept only a plain http(s) origin and path, so the key goes nowhere else."""
    try:
        url = URL(base_url.strip())
    except (TypeError, ValueError) as err:
        raise ValueError("The base URL is not a URL") from err
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("The base URL must be an http:// or https:// URL with a host")
    if url.user is not None or url.password is not None:
        raise ValueError("The base URL must not carry credentials")
    if url.query_string or url.fragment:
        raise ValueError("The base URL must not have a query or a fragment")
    return url


class DeepSeekClient:
    """Reads the balance and rate limits of one DeepSeek API key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        clock: Callable[[], datetime],
        base_url: str = DEFAULT_BASE_URL,
        timing: Timing = Timing(),
    ) -> None:
        """Bind the key to one base URL; ``clock``: now, for headers naming a moment."""
        self._session = session
        url = validate_base_url(base_url)
        # The base URL requests go to, without a trailing slash.
        self.base_url: Final = str(url).rstrip("/")
        self._urls: Final = {
            path: url.with_path(url.path.rstrip("/") + path)
            for path in (BALANCE_PATH, MODELS_PATH)
        }
        self._timing = timing
        self._clock = clock
        self._headers: Final = {
            "Authorization": f"Bearer {api_key}",
            "Accept": "application/json",
        }
        # An answer equal to the last one is not decoded again.
        self._last_balance: tuple[bytes, Balance] | None = None

    @override
    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key=<redacted>)"

    async def balance(self) -> Balance:
        """Fetch ``/user/balance``; an unchanged answer gives the same object."""
        status, _, body = await self._get(BALANCE_PATH)
        if self._last_balance is not None and self._last_balance[0] == body:
            return self._last_balance[1]
        balance = parse_balance(decode_json(body, status))
        self._last_balance = (body, balance)
        return balance

    async def rate_limits(self) -> RateLimits:
        """Probe ``/v1/models``, whose answer carries the rate-limit headers."""
        _, headers, _ = await self._get(MODELS_PATH)
        return parse_rate_limits(headers, now=self._clock())

    async def snapshot(self, *, probe_rate_limits: bool = True) -> Snapshot:
        """The balance and rate limits; a failed probe must not hide a good balance."""
        if not probe_rate_limits:
            return Snapshot(balance=await self.balance(), rate_limits=None)
        balance, probed = await asyncio.gather(
            self.balance(), self.rate_limits(), return_exceptions=True
        )
        if isinstance(balance, BaseException):
            raise balance
        rate_limits: RateLimits | None = None
        if isinstance(probed, DeepSeekRateLimitError) and probed.rate_limits.present:
            rate_limits = probed.rate_limits  # refused, it still read the limits hit
        elif isinstance(probed, DeepSeekError):
            _LOGGER.debug("Rate-limit probe failed: %s", probed)
        elif isinstance(probed, BaseException):
            raise probed
        else:
            rate_limits = probed
        return Snapshot(balance=balance, rate_limits=rate_limits)

    async def _get(self, path: str) -> tuple[int, Mapping[str, str], bytes]:
        """GET a path, once more after a passing failure, within the call's budget."""
        timing = self._timing
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timing.call_budget
        try:
            return await self._get_once(path, timing.request_timeout)
        except (DeepSeekConnectionError, DeepSeekResponseError) as err:
            left = deadline - loop.time() - timing.retry_delay
            # No answer, or a plain 5xx, may be gone a second later; nothing else is.
            passing = (
                isinstance(err, DeepSeekConnectionError)
                or err.status >= HTTPStatus.INTERNAL_SERVER_ERROR
            )
            if not passing or left < MIN_RETRY_TIMEOUT:
                raise
            _LOGGER.debug("Asking %s again in %g s: %s", path, timing.retry_delay, err)
        await asyncio.sleep(timing.retry_delay)
        return await self._get_once(path, min(timing.request_timeout, left))

    async def _get_once(
        self, path: str, within: float
    ) -> tuple[int, Mapping[str, str], bytes]:
        """GET a path, map failures to typed errors, return status, headers, body."""
        url = self._urls[path]
        try:
            async with self._session.get(
                url,
                headers=self._headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=within),
            ) as response:
                body = await _read_capped(response)
        except TimeoutError as err:
            raise DeepSeekConnectionError(
                f"No answer from {url.host} within {within:g} s"
            ) from err
        except aiohttp.ClientError as err:
            raise DeepSeekConnectionError(
                f"Connection to {url.host} failed: {type(err).__name__}"
            ) from err
        raise_for_status(response.status, response.headers, now=self._clock())
        if len(body) > MAX_BODY_BYTES:
            raise DeepSeekResponseError(
                f"Answer larger than {MAX_BODY_BYTES} bytes", response.status
            )
        return response.status, response.headers, body


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    """Read the body, stopping one chunk past the cap; compressed ones may inflate."""
    length = response.content_length
    if (
        length is not None
        and length <= MAX_BODY_BYTES
        and "Content-Encoding" not in response.headers
    ):
        return await response.read()
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            break
    return bytes(body)


def raise_for_status(status: int, headers: Mapping[str, str], *, now: datetime) -> None:
    """Turn an HTTP status into the matching typed error; 2xx passes."""
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return
    if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
        raise DeepSeekAuthError(f"The API key was refused (HTTP {status})")
    retry_after = parse_retry_after(headers.get("Retry-After"), now=now)
    if status == HTTPStatus.TOO_MANY_REQUESTS or (
        status == HTTPStatus.SERVICE_UNAVAILABLE and retry_after is not None
    ):
        raise DeepSeekRateLimitError(
            f"Rate limited by DeepSeek (HTTP {status})",
            retry_after,
            parse_rate_limits(headers, now=now),
        )
    if HTTPStatus.MULTIPLE_CHOICES <= status < HTTPStatus.BAD_REQUEST:
        raise DeepSeekResponseError(
            f"Redirect (HTTP {status}) not followed: the key stays with the API host",
            status,
        )
    raise DeepSeekResponseError(f"Unexpected answer (HTTP {status})", status)


def decode_json(body: bytes, status: int) -> Any:
    """JSON with numbers as ``Decimal``: a huge integer spoils one amount, not all."""
    try:
        return json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, RecursionError) as err:
        raise DeepSeekResponseError("The answer is not valid JSON", status) from err


def parse_balance(data: Any) -> Balance:
    """A ``Balance`` from decoded JSON, every currency kept; a wrong shape raises."""
    if not isinstance(data, dict) or not isinstance(
        items := data.get("balance_infos"), list
    ):
        raise DeepSeekResponseError("The balance answer has no balance_infos list", 200)
    is_available = data.get("is_available")
    if not isinstance(is_available, bool | None):
        raise DeepSeekResponseError("is_available is not a boolean", 200)
    rows: dict[str, CurrencyBalance] = {}
    disagreeing: set[str] = set()
    notices: dict[str, str] = {}  # the first message of each kind
    for item in items:
        if not isinstance(item, dict):
            raise DeepSeekResponseError("A balance_infos row is not an object", 200)
        # DeepSeek's own currency when the row names none.
        named = item.get("currency")
        if (currency := "CNY" if named is None else currency_code(named)) is None:
            notices.setdefault(
                "invalid_currency",
                f"ignored a balance_infos row whose currency, {_described(named)}, "
                "is not a three-letter code",
            )
            continue
        row = CurrencyBalance(
            currency, *(parse_amount(item.get(name)) for name in AMOUNT_NAMES)
        )
        if rows.setdefault(currency, row) != row:
            disagreeing.add(currency)
    for currency, row in rows.items():
        if currency in disagreeing:
            # Neither row can be believed: the currency is unreadable in this answer.
            rows[currency] = CurrencyBalance(currency, None, None, None)
            notices.setdefault(
                "duplicate_currency",
                f"balance_infos lists {currency} more than once, with different "
                f"amounts; {currency} is unreadable in this answer",
            )
        elif (notice := _distrusted(row)) is not None:
            notices.setdefault(notice.kind, notice.message)
    return Balance(
        is_available=is_available,
        balances=tuple(rows.values()),
        notices=tuple(Notice(kind, message) for kind, message in notices.items()),
    )


def default_base_url() -> str:
    """DEEPSEEK_BASE_URL, a gateway as OPENAI_BASE_URL is, else DeepSeek's own."""
    return os.environ.get(BASE_URL_ENV_VAR, "").strip().rstrip("/") or DEFAULT_BASE_URL


def currency_code(value: Any) -> str | None:
    """An ISO 4217-shaped code in upper case, or ``None``: the one way to read one."""
    if isinstance(value, str) and _CURRENCY_CODE.fullmatch(code := value.strip()):
        return code.upper()
    return None


def _described(value: Any) -> str:
    """What was sent, by type and size: its text could echo anything, a key too."""
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    return f"a JSON {type(value).__name__}"


def _distrusted(row: CurrencyBalance) -> Notice | None:
    """A notice for a row's unreadable amounts, or for parts that contradict it."""
    amounts = zip(AMOUNT_NAMES, (row.total, row.granted, row.topped_up), strict=True)
    if unreadable := [name for name, amount in amounts if amount is None]:
        return Notice(
            "unreadable_amount",
            f"{row.currency}: {', '.join(unreadable)} is unreadable "
            f"(missing, not a number, or beyond {MAX_AMOUNT:,})",
        )
    if not row.is_consistent:
        return Notice(
            "inconsistent_parts",
            f"{row.currency}: granted_balance + topped_up_balance is not "
            "total_balance; the row is shown as sent but not used for spend, "
            "forecasts or events",
        )
    return None


def parse_amount(value: Any) -> Decimal | None:
    """An amount from a string or number, else ``None``; nothing rounds: no overflow."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation, ValueError:
        return None
    if (
        not amount.is_finite()
        or amount.copy_abs() > MAX_AMOUNT
        or int(amount.as_tuple().exponent) < -MAX_AMOUNT_PLACES
    ):
        return None
    return amount


def parse_rate_limits(headers: Mapping[str, str], *, now: datetime) -> RateLimits:
    """Read ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``; never raises."""
    lowered = {name.lower(): value for name, value in headers.items()}

    def dimension(kind: str) -> RateLimit:
        prefix = RATE_LIMIT_HEADER_PREFIX
        return RateLimit(
            limit=parse_count(lowered.get(f"{prefix}limit-{kind}")),
            remaining=parse_count(lowered.get(f"{prefix}remaining-{kind}")),
            reset_after=parse_reset(lowered.get(f"{prefix}reset-{kind}"), now=now),
        )

    return RateLimits(requests=dimension("requests"), tokens=dimension("tokens"))


def parse_count(value: str | None) -> int | None:
    """A whole number from 0 to ``MAX_COUNT``, or ``None``."""
    if value is None or not _UNSIGNED_INTEGER.fullmatch(text := value.strip()):
        return None
    digits = text.lstrip("0") or "0"
    # Never convert a huge one.
    if len(digits) > len(str(MAX_COUNT)) or (count := int(digits)) > MAX_COUNT:
        return None
    return count


def parse_reset(value: str | None, *, now: datetime) -> timedelta | None:
    """Time until a reset: a Go duration (``6m0s``), seconds, Unix or RFC 3339 time."""
    if value is None or not (text := value.strip()):
        return None
    try:
        if _GO_DURATION.fullmatch(text):
            seconds = sum(
                Decimal(number) * _GO_UNIT_SECONDS[unit]
                for number, unit in _GO_DURATION_PART.findall(text)
            )
            reset_after = timedelta(seconds=float(seconds))
        elif not _UNSIGNED_NUMBER.fullmatch(text):
            reset_after = _until(datetime.fromisoformat(text), now)
        elif (seconds := Decimal(text)) < _UNIX_TIMESTAMP_FLOOR:
            reset_after = timedelta(seconds=float(seconds))
        else:
            reset_after = _until(datetime.fromtimestamp(float(seconds), UTC), now)
    except ValueError, OverflowError, OSError:
        return None
    return None if reset_after.total_seconds() > MAX_COUNT else reset_after


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: seconds or an HTTP-date."""
    if value is None or not (text := value.strip()):
        return None
    if _UNSIGNED_NUMBER.fullmatch(text):
        seconds = float(text)
        return seconds if seconds != math.inf else None
    try:
        return _until(parsedate_to_datetime(text), now).total_seconds()
    except ValueError, TypeError, OverflowError:
        return None


def _until(moment: datetime, now: datetime) -> timedelta:
    """Time from ``now`` to ``moment``, never negative; naive times are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))
