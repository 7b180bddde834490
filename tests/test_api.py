"""The standalone DeepSeek client, over real HTTP against the simulator."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import gzip
import json
import socket
from typing import Any, override

import aiohttp
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
import pytest

from custom_components.deepseek_balance.api import (
    MAX_BODY_BYTES,
    Balance,
    CurrencyBalance,
    DeepSeekAuthError,
    DeepSeekClient,
    DeepSeekConnectionError,
    DeepSeekError,
    DeepSeekRateLimitError,
    DeepSeekResponseError,
    RateLimit,
    RateLimits,
    Snapshot,
    Timing,
    parse_amount,
    parse_balance,
    parse_count,
    parse_rate_limits,
    parse_reset,
    parse_retry_after,
)
from deepseek_simulator import (
    DEFAULT_API_KEY,
    DeepSeekSimulator,
    Scenario,
    serve_app,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CNY_ACCOUNT = CurrencyBalance(
    currency="CNY",
    total=Decimal("110.00"),
    granted=Decimal("10.00"),
    topped_up=Decimal("100.00"),
)


def now() -> datetime:
    """The clock a library user hands the client."""
    return datetime.now(UTC)


def make_client(
    session: aiohttp.ClientSession, url: str, **kwargs: Any
) -> DeepSeekClient:
    return DeepSeekClient(session, DEFAULT_API_KEY, clock=now, base_url=url, **kwargs)


@asynccontextmanager
async def serve_handler(
    handler: Any, path: str = "/user/balance"
) -> AsyncIterator[str]:
    """A one-route server for answers the simulator has no scenario for."""
    app = web.Application()
    app.router.add_get(path, handler)
    async with serve_app(app) as url:
        yield url


async def test_simulator_answers_as_deepseek_documents_by_default(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    """The suite's usual path is the real one: DeepSeek's example, no rate limits."""
    async with session.get(
        f"{simulator.url}/user/balance",
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
    ) as response:
        balance = await response.json()
    async with session.get(
        f"{simulator.url}/v1/models",
        headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
    ) as response:
        models_headers = [name.lower() for name in response.headers]

    assert balance == {
        "is_available": True,
        "balance_infos": [
            {
                "currency": "CNY",
                "total_balance": "110.00",
                "granted_balance": "10.00",
                "topped_up_balance": "100.00",
            }
        ],
    }
    assert [name for name in models_headers if name.startswith("x-ratelimit-")] == []


async def test_snapshot_of_a_real_account_has_no_rate_limits(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    snapshot = await make_client(session, simulator.url).snapshot()

    assert snapshot.balance == Balance(is_available=True, balances=(CNY_ACCOUNT,))
    assert snapshot.rate_limits == RateLimits()
    assert not snapshot.rate_limits.present


async def test_snapshot_without_the_probe_makes_one_request(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    snapshot = await make_client(session, simulator.url).snapshot(
        probe_rate_limits=False
    )

    assert snapshot == Snapshot(
        balance=Balance(is_available=True, balances=(CNY_ACCOUNT,)), rate_limits=None
    )
    assert simulator.state.requests == {"/user/balance": 1}


async def test_snapshot_reads_rate_limits_a_gateway_adds(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS

    snapshot = await make_client(session, simulator.url).snapshot()

    assert snapshot.balance == Balance(is_available=True, balances=(CNY_ACCOUNT,))
    assert snapshot.rate_limits is not None
    assert snapshot.rate_limits.requests == RateLimit(
        limit=10000, remaining=9999, reset_after=timedelta(minutes=6)
    )
    assert snapshot.rate_limits.tokens == RateLimit(
        limit=5000000, remaining=4999000, reset_after=timedelta(milliseconds=20)
    )
    assert snapshot.rate_limits.present


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (
            Scenario.USD_ZERO_THEN_CNY,
            Balance(
                is_available=True,
                balances=(
                    CurrencyBalance(
                        "USD", Decimal("0.00"), Decimal("0.00"), Decimal("0.00")
                    ),
                    CNY_ACCOUNT,
                ),
            ),
        ),
        (
            Scenario.NUMBER_AMOUNTS,
            Balance(
                is_available=True,
                balances=(
                    CurrencyBalance("CNY", Decimal(110), Decimal(10), Decimal(100)),
                ),
            ),
        ),
        (
            Scenario.ACCOUNT_UNAVAILABLE,
            Balance(is_available=False, balances=(CNY_ACCOUNT,)),
        ),
        (Scenario.EMPTY_BALANCE_INFOS, Balance(is_available=True, balances=())),
    ],
)
async def test_balance_scenarios(
    session: aiohttp.ClientSession,
    simulator: DeepSeekSimulator,
    scenario: Scenario,
    expected: Balance,
) -> None:
    simulator.state.scenario = scenario

    balance = await make_client(session, simulator.url).balance()

    assert balance == expected


async def test_zero_usd_row_before_funded_cny_keeps_both_in_order(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY

    balance = await make_client(session, simulator.url).balance()

    assert [row.currency for row in balance.balances] == ["USD", "CNY"]
    assert balance.balances[1] == CNY_ACCOUNT


@pytest.mark.parametrize(
    ("scenario", "error", "status"),
    [
        (Scenario.UNAUTHORIZED, DeepSeekAuthError, None),
        (Scenario.RATE_LIMITED, DeepSeekRateLimitError, None),
        (Scenario.SERVER_ERROR, DeepSeekResponseError, 500),
        (Scenario.BAD_GATEWAY_HTML, DeepSeekResponseError, 502),
        (Scenario.MALFORMED_JSON, DeepSeekResponseError, 200),
        (Scenario.EMPTY_OBJECT, DeepSeekResponseError, 200),
        (Scenario.SLOW, DeepSeekConnectionError, None),
        (Scenario.DROP_CONNECTION, DeepSeekConnectionError, None),
        (Scenario.TRUNCATED_JSON, DeepSeekConnectionError, None),
        (Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER, DeepSeekRateLimitError, None),
    ],
)
async def test_failure_scenarios_raise_typed_errors_without_the_key(
    session: aiohttp.ClientSession,
    simulator: DeepSeekSimulator,
    scenario: Scenario,
    error: type[DeepSeekError],
    status: int | None,
) -> None:
    simulator.state.scenario = scenario
    client = make_client(
        session, simulator.url, timing=Timing(request_timeout=0.3, retry_delay=0)
    )

    with pytest.raises(error) as caught:
        await client.snapshot()

    assert getattr(caught.value, "status", None) == status
    assert DEFAULT_API_KEY not in str(caught.value)
    assert DEFAULT_API_KEY not in repr(caught.value)


async def test_rate_limited_carries_retry_after(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMITED

    with pytest.raises(DeepSeekRateLimitError) as caught:
        await make_client(session, simulator.url).balance()

    assert caught.value.retry_after == 120


async def test_rate_limited_without_retry_after(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMITED
    simulator.state.retry_after = None

    with pytest.raises(DeepSeekRateLimitError) as caught:
        await make_client(session, simulator.url).balance()

    assert caught.value.retry_after is None


async def test_wrong_key_is_an_auth_error(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    client = DeepSeekClient(session, "sk-test-wrong", clock=now, base_url=simulator.url)

    with pytest.raises(DeepSeekAuthError):
        await client.balance()
    with pytest.raises(DeepSeekAuthError):
        await client.rate_limits()


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (403, {}, DeepSeekAuthError, None),
        (503, {"Retry-After": "30"}, DeepSeekRateLimitError, 30.0),
        (
            503,
            {"Retry-After": "Fri, 27 Nov 2099 12:00:00 GMT"},
            DeepSeekRateLimitError,
            None,  # an HTTP-date: checked to be in the future below
        ),
        (503, {}, DeepSeekResponseError, None),
        (404, {}, DeepSeekResponseError, None),
    ],
)
async def test_status_mapping(
    session: aiohttp.ClientSession,
    status: int,
    headers: dict[str, str],
    error: type[DeepSeekError],
    retry_after: float | None,
) -> None:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response({}, status=status, headers=headers)

    async with serve_handler(handler) as url:
        with pytest.raises(error) as caught:
            await make_client(session, url).balance()

    if isinstance(caught.value, DeepSeekRateLimitError) and retry_after is None:
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 0
    elif isinstance(caught.value, DeepSeekRateLimitError):
        assert caught.value.retry_after == retry_after
    if isinstance(caught.value, DeepSeekResponseError):
        assert caught.value.status == status


async def test_sends_bearer_key_and_accepts_json(
    session: aiohttp.ClientSession,
) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers)
        return web.json_response({"balance_infos": []})

    async with serve_handler(handler) as url:
        await make_client(session, url).balance()

    assert seen[0]["Authorization"] == f"Bearer {DEFAULT_API_KEY}"
    assert seen[0]["Accept"] == "application/json"


async def test_redirect_is_not_followed_with_the_key(
    session: aiohttp.ClientSession,
) -> None:
    stolen: list[str | None] = []

    async def elsewhere(request: web.Request) -> web.Response:
        stolen.append(request.headers.get("Authorization"))
        return web.json_response({"balance_infos": []})

    async with serve_handler(elsewhere, "/steal") as thief_url:

        async def redirect(_: web.Request) -> web.Response:
            raise web.HTTPFound(f"{thief_url}/steal")

        async with serve_handler(redirect) as url:
            with pytest.raises(DeepSeekResponseError) as caught:
                await make_client(session, url).balance()

    assert caught.value.status == 302
    assert stolen == []


PADDING = "x" * MAX_BODY_BYTES


async def declared_length(_: web.Request) -> web.StreamResponse:
    return web.json_response({"balance_infos": [], "padding": PADDING})


async def no_length(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(json.dumps({"balance_infos": [], "p": PADDING}).encode())
    await response.write_eof()
    return response


async def inflating(_: web.Request) -> web.StreamResponse:
    """A small declared length, but gzip: counted as it inflates, not trusted."""
    body = gzip.compress(json.dumps({"balance_infos": [], "p": PADDING}).encode())
    return web.Response(
        body=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )


@pytest.mark.parametrize("handler", [declared_length, no_length, inflating])
async def test_oversized_body_is_refused(
    session: aiohttp.ClientSession, handler: Any
) -> None:
    async with serve_handler(handler) as url:
        with pytest.raises(DeepSeekResponseError, match="larger than"):
            await make_client(session, url).balance()


async def test_an_unchanged_answer_is_not_decoded_again(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    client = make_client(session, simulator.url)
    first = await client.balance()

    same = await client.balance()
    simulator.state.spend("CNY", Decimal("0.01"))
    changed = await client.balance()

    assert same is first
    assert changed.balances[0].total == Decimal("109.99")


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]

    with pytest.raises(DeepSeekConnectionError):
        await make_client(session, f"http://127.0.0.1:{free_port}").balance()


class FailingResolver(AbstractResolver):
    """A resolver whose every lookup fails, as DNS does for an unknown host."""

    @override
    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
    ) -> list[ResolveResult]:
        raise OSError(socket.EAI_NONAME, f"Name or service not known: {host}")

    @override
    async def close(self) -> None:
        """Nothing to release."""


async def test_dns_failure_is_a_connection_error() -> None:
    connector = aiohttp.TCPConnector(resolver=FailingResolver())
    async with aiohttp.ClientSession(connector=connector) as dns_less:
        with pytest.raises(DeepSeekConnectionError):
            await make_client(dns_less, "https://api.deepseek.invalid").balance()


async def test_failed_rate_limit_probe_keeps_a_good_balance(
    session: aiohttp.ClientSession,
) -> None:
    async def balance(_: web.Request) -> web.Response:
        return web.json_response({"is_available": True, "balance_infos": []})

    app = web.Application()
    app.router.add_get("/user/balance", balance)  # /v1/models answers 404
    async with serve_app(app) as url:
        snapshot = await make_client(session, url).snapshot()

    assert snapshot.balance == Balance(is_available=True, balances=())
    assert snapshot.rate_limits is None


async def test_failed_balance_is_never_success_even_with_good_limits(
    session: aiohttp.ClientSession,
) -> None:
    async def models(_: web.Request) -> web.Response:
        return web.json_response({}, headers={"x-ratelimit-limit-requests": "1"})

    async with serve_handler(models, "/v1/models") as url:
        with pytest.raises(DeepSeekResponseError):
            await make_client(session, url).snapshot()


async def test_snapshot_costs_one_round_trip_and_reuses_the_connection(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    simulator.state.latency = 0.1
    client = make_client(session, simulator.url)
    await client.snapshot()
    connections_after_warm_up = simulator.state.connections

    simulator.state.max_in_flight = 0

    await client.snapshot()

    # Both requests were in flight at once: the probe never waits for the balance.
    assert simulator.state.max_in_flight == 2
    assert simulator.state.connections == connections_after_warm_up


def test_repr_hides_the_key(session: aiohttp.ClientSession) -> None:
    client = DeepSeekClient(session, "sk-test-secret-1a2b", clock=now)

    assert "sk-test-secret" not in repr(client)
    assert "1a2b" not in repr(client)
    assert client.base_url == "https://api.deepseek.com"


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://api.deepseek.com",
        "file:///etc/passwd",
        "api.deepseek.com",
        "https://user:pass@api.deepseek.com",
        "https://api.deepseek.com/?key=1",
        "https://api.deepseek.com/#frag",
        "https://",
    ],
)
def test_refuses_base_urls_that_could_leak_the_key(
    session: aiohttp.ClientSession, base_url: str
) -> None:
    with pytest.raises(ValueError, match="base URL"):
        DeepSeekClient(session, DEFAULT_API_KEY, clock=now, base_url=base_url)


async def test_base_url_with_path_prefix(session: aiohttp.ClientSession) -> None:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response({"balance_infos": []})

    async with serve_handler(handler, "/proxy/deepseek/user/balance") as url:
        balance = await make_client(session, f"{url}/proxy/deepseek/").balance()

    assert balance == Balance(is_available=None, balances=())


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            {"total_balance": "1.5", "granted_balance": 0, "topped_up_balance": 1.5},
            CurrencyBalance("CNY", Decimal("1.5"), Decimal(0), Decimal("1.5")),
        ),
        (
            {"currency": "usd", "total_balance": "NaN", "granted_balance": "inf"},
            CurrencyBalance("USD", None, None, None),
        ),
        (
            {"currency": None, "total_balance": "abc", "topped_up_balance": True},
            CurrencyBalance("CNY", None, None, None),
        ),
        (
            {"total_balance": [], "granted_balance": {}, "topped_up_balance": " 2 "},
            CurrencyBalance("CNY", None, None, Decimal(2)),
        ),
    ],
)
def test_amount_parsing_never_invents_a_zero(
    row: dict[str, Any], expected: CurrencyBalance
) -> None:
    balance = parse_balance({"balance_infos": [row]})

    assert balance.balances == (expected,)
    assert balance.is_available is None


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"balance_infos": "none"},
        {"balance_infos": [1]},
        {"balance_infos": [], "is_available": "yes"},
    ],
)
def test_wrong_shapes_are_response_errors(body: Any) -> None:
    with pytest.raises(DeepSeekResponseError):
        parse_balance(body)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1000000000000", Decimal(10) ** 12),
        ("-1000000000000.00", Decimal("-1000000000000.00")),
        ("1000000000000.01", None),
        (1e308, None),
        ("1e13", None),
        ("-1e13", None),
        ("0.000000000001", Decimal("1E-12")),  # 12 places
        ("0.0000000000001", None),
        ("1." + "0" * 300, None),
        ("1e1000000", None),  # beyond Decimal's exponent: must not overflow
        ("-1e1000000", None),
        ("1e-999999", None),
        (Decimal("9" * 5000), None),  # a JSON integer too long for int()
        ("Infinity", None),
        ("sNaN", None),
    ],
)
def test_amounts_beyond_any_real_balance_are_unreadable(
    value: Any, expected: Decimal | None
) -> None:
    assert parse_amount(value) == expected


def row(currency: Any, total: str = "1.00", granted: str = "0.00") -> dict[str, Any]:
    """A balance_infos row whose parts add up, unless told otherwise."""
    return {
        "currency": currency,
        "total_balance": total,
        "granted_balance": granted,
        "topped_up_balance": total,
    }


@pytest.mark.parametrize(
    ("rows", "currencies", "notices"),
    [
        ([row(" usd ")], ["USD"], []),
        (
            [row("CNY"), row("<b>"), row(7), row(""), row("EURO"), row("C1Y")],
            ["CNY"],
            ["invalid_currency"],
        ),
        (
            [row("CNY", "5.00"), row("CNY", "500.00"), row("cny")],
            ["CNY"],
            ["duplicate_currency"],
        ),
        ([row("CNY"), row("cny"), row(" CNY ")], ["CNY"], []),
        (
            [row(code) for code in ("CNY", "USD", "EUR", "GBP", "JPY", "CHF")],
            ["CNY", "USD", "EUR", "GBP", "JPY", "CHF"],  # the entry caps, not this
            [],
        ),
        (
            [row("CNY", total="abc"), row("USD", granted="0.02")],
            ["CNY", "USD"],
            ["unreadable_amount", "inconsistent_parts"],
        ),
    ],
)
def test_each_currency_is_a_three_letter_code_kept_once(
    rows: list[dict[str, Any]], currencies: list[str], notices: list[str]
) -> None:
    balance = parse_balance({"balance_infos": rows})

    assert [row.currency for row in balance.balances] == currencies
    assert [notice.kind for notice in balance.notices] == notices


def test_two_rows_of_one_currency_that_disagree_make_it_unreadable() -> None:
    """Neither row is believed, whichever comes first; the other currency stays."""
    balance = parse_balance(
        {
            "balance_infos": [
                row("CNY", "50.00"),
                row("USD", "5.00"),
                row("CNY", "108.25"),
            ]
        }
    )

    assert balance.balances == (
        CurrencyBalance("CNY", None, None, None),
        CurrencyBalance("USD", Decimal("5.00"), Decimal("0.00"), Decimal("5.00")),
    )
    (notice,) = balance.notices
    assert notice.kind == "duplicate_currency"
    assert notice.message == (
        "balance_infos lists CNY more than once, with different amounts; "
        "CNY is unreadable in this answer"
    )


def test_identical_rows_of_one_currency_are_one_row() -> None:
    """The same amounts, as text or as a number, say nothing new."""
    same = {**row("CNY", "108.25"), "total_balance": 108.25}
    balance = parse_balance({"balance_infos": [row("CNY", "108.25"), same]})

    assert balance.balances == (
        CurrencyBalance("CNY", Decimal("108.25"), Decimal("0.00"), Decimal("108.25")),
    )
    assert balance.notices == ()


def test_a_notice_never_repeats_what_was_sent() -> None:
    """A server could echo anything in a currency field, the key too."""
    balance = parse_balance({"balance_infos": [row(DEFAULT_API_KEY)]})

    (notice,) = balance.notices
    assert DEFAULT_API_KEY not in notice.message
    assert f"a text of {len(DEFAULT_API_KEY)} characters" in notice.message


@pytest.mark.parametrize(
    ("amounts", "consistent"),
    [
        (("110.00", "10.00", "100.00"), True),
        (("110.01", "10.00", "100.00"), True),  # within a cent
        (("110.02", "10.00", "100.00"), False),
        (("110.00", "5.00", "5.00"), False),
        (("110.00", None, "5.00"), True),  # cannot be checked
    ],
)
def test_parts_must_add_up_to_the_total(
    amounts: tuple[str, str | None, str], consistent: bool
) -> None:
    total, granted, topped_up = (None if a is None else Decimal(a) for a in amounts)

    assert CurrencyBalance("CNY", total, granted, topped_up).is_consistent is consistent


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0),
        ("1000000000000", 10**12),
        ("0001000000000000", 10**12),
        ("0" * 5000 + "1", 1),  # padded past int()'s digit limit
        ("1000000000001", None),
        ("9" * 300, None),
        ("9" * 5000, None),
        ("-5", None),
        ("1e5", None),
    ],
)
def test_counts_beyond_any_real_limit_are_unreadable(
    value: str, expected: int | None
) -> None:
    assert parse_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1s", timedelta(seconds=1)),
        ("6m0s", timedelta(minutes=6)),
        ("20ms", timedelta(milliseconds=20)),
        ("1h2m3.5s", timedelta(hours=1, minutes=2, seconds=3.5)),
        ("250us", timedelta(microseconds=250)),
        ("17", timedelta(seconds=17)),
        ("0.5", timedelta(seconds=0.5)),
        (str(int(NOW.timestamp()) + 90), timedelta(seconds=90)),
        ("2026-11-27T12:01:00Z", timedelta(minutes=1)),
        ("2026-11-27T13:00:00+01:00", timedelta(0)),
        ("2026-11-27T11:00:00Z", timedelta(0)),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1x", None),
        ("9" * 30 + "h", None),
        ("9" * 5000, None),
        ("277777777h", timedelta(hours=277777777)),  # just under 10^12 s
        ("277777778h", None),  # just over
        (None, None),
    ],
)
def test_reset_formats(value: str | None, expected: timedelta | None) -> None:
    assert parse_reset(value, now=NOW) == expected


def test_rate_limit_headers_any_case_and_malformed() -> None:
    limits = parse_rate_limits(
        {
            "X-RateLimit-Limit-Requests": "60",
            "x-ratelimit-remaining-requests": "-1",
            "X-RATELIMIT-RESET-REQUESTS": "1s",
            "x-ratelimit-limit-tokens": "many",
            "Content-Type": "application/json",
        },
        now=NOW,
    )

    assert limits.requests == RateLimit(60, None, timedelta(seconds=1))
    assert limits.tokens == RateLimit()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("1.5", 1.5),
        ("Fri, 27 Nov 2026 12:02:00 GMT", 120.0),
        ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),
        ("later", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("amounts", "holds_money"),
    [
        (("0.00", "0.00", "0.00"), False),
        ((None, None, None), False),
        (("0", None, "0"), False),
        (("0.01", "0", "0.01"), True),
        ((None, "5", None), True),
        (("-1.20", "0", "-1.20"), True),  # owing money is something to show
    ],
)
def test_holds_money(
    amounts: tuple[str | None, str | None, str | None], holds_money: bool
) -> None:
    total, granted, topped_up = (None if a is None else Decimal(a) for a in amounts)

    row = CurrencyBalance("USD", total, granted, topped_up)

    assert row.holds_money is holds_money


@pytest.mark.parametrize(
    "scenario",
    [
        Scenario.SERVER_ERROR,
        Scenario.BAD_GATEWAY_HTML,
        Scenario.TRUNCATED_JSON,  # a hang-up before the GET: aiohttp resends it
    ],
)
async def test_a_failure_gone_a_moment_later_is_asked_again_once(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator, scenario: Scenario
) -> None:
    simulator.state.next_answer = scenario
    client = make_client(session, simulator.url, timing=Timing(retry_delay=0.2))
    started = asyncio.get_running_loop().time()

    balance = await client.balance()

    assert balance.balances[0].total == Decimal("110.00")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert simulator.state.requests["/user/balance"] in (2, 3)  # a resent GET too


async def test_by_default_a_failed_request_is_asked_again_two_seconds_later() -> None:
    assert Timing() == Timing(request_timeout=10, retry_delay=2, call_budget=25)


@pytest.mark.parametrize(
    ("scenario", "error"),
    [
        (Scenario.UNAUTHORIZED, DeepSeekAuthError),
        (Scenario.RATE_LIMITED, DeepSeekRateLimitError),
        (Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER, DeepSeekRateLimitError),
        (Scenario.MALFORMED_JSON, DeepSeekResponseError),
        (Scenario.EMPTY_OBJECT, DeepSeekResponseError),
    ],
)
async def test_a_refusal_or_a_request_to_wait_is_never_asked_again(
    session: aiohttp.ClientSession,
    simulator: DeepSeekSimulator,
    scenario: Scenario,
    error: type[DeepSeekError],
) -> None:
    simulator.state.next_answer = scenario
    client = make_client(session, simulator.url, timing=Timing(retry_delay=0))

    with pytest.raises(error):
        await client.balance()

    assert simulator.state.requests["/user/balance"] == 1


async def test_a_server_that_says_when_to_come_back_is_not_asked_again(
    session: aiohttp.ClientSession,
) -> None:
    asked = 0

    async def unavailable(_: web.Request) -> web.Response:
        nonlocal asked
        asked += 1
        return web.Response(status=503, headers={"Retry-After": "30"})

    async with serve_handler(unavailable) as url:
        client = make_client(session, url, timing=Timing(retry_delay=0))
        with pytest.raises(DeepSeekRateLimitError):
            await client.balance()

    assert asked == 1


async def test_a_retry_never_runs_past_the_calls_budget(
    session: aiohttp.ClientSession, simulator: DeepSeekSimulator
) -> None:
    """After a 0.3 s timeout, a 0.2 s wait leaves less than a second of 0.6 s."""
    simulator.state.scenario = Scenario.SLOW
    client = make_client(
        session,
        simulator.url,
        timing=Timing(request_timeout=0.3, retry_delay=0.2, call_budget=0.6),
    )

    with pytest.raises(DeepSeekConnectionError):
        await client.balance()

    assert simulator.state.requests["/user/balance"] == 1


async def test_moments_in_headers_are_read_against_the_callers_clock(
    session: aiohttp.ClientSession,
) -> None:
    """A Retry-After date is so many seconds after the time the caller hands in."""

    async def busy(_: web.Request) -> web.Response:
        return web.Response(
            status=429, headers={"Retry-After": "Fri, 27 Nov 2026 12:01:30 GMT"}
        )

    async with serve_handler(busy) as url:
        client = DeepSeekClient(
            session,
            DEFAULT_API_KEY,
            clock=lambda: datetime(2026, 11, 27, 12, 0, tzinfo=UTC),
            base_url=url,
        )
        with pytest.raises(DeepSeekRateLimitError) as caught:
            await client.balance()

    assert caught.value.retry_after == 90
