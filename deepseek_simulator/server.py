"""A DeepSeek API look-alike for the tests, the benchmarks and the offline demo.

By default it answers as the real API does: ``/user/balance`` with one CNY row shaped
like DeepSeek's documented example, ``/v1/models`` (also ``/models``) without any
``x-ratelimit-*`` header. It checks the bearer key, and can switch at run time to
the other answers the integration must handle: rate-limit headers as a gateway may
add them, a zero USD row, hostile answers (or any raw answer at all), and every
failure. It counts requests and TCP connections
so tests can assert "one request per poll" and "no new connection per poll".

Run it alone with ``python -m deepseek_simulator --port 8765``; the control
endpoints under ``/_simulator/`` switch scenarios and change the account.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
import json
from pathlib import Path
import random
from typing import Any

from aiohttp import web

from .demo import Reading, demo_history, spending_rate

DEFAULT_API_KEY = "sk-test-0000"
CONTROL_PREFIX = "/_simulator"


class Scenario(StrEnum):
    """The ways the simulated API can answer."""

    NORMAL = "normal"
    RATE_LIMIT_HEADERS = "rate_limit_headers"
    USD_ZERO_THEN_CNY = "usd_zero_then_cny"
    NUMBER_AMOUNTS = "number_amounts"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_GATEWAY_HTML = "bad_gateway_html"
    MALFORMED_JSON = "malformed_json"
    EMPTY_OBJECT = "empty_object"
    EMPTY_BALANCE_INFOS = "empty_balance_infos"
    SLOW = "slow"
    DROP_CONNECTION = "drop_connection"
    RATE_LIMITED_WITHOUT_RETRY_AFTER = "rate_limited_without_retry_after"
    TRUNCATED_JSON = "truncated_json"
    # Hostile answers: well-formed JSON that no real account sends.
    HUGE_AMOUNT = "huge_amount"
    INCONSISTENT_PARTS = "inconsistent_parts"
    JUNK_CURRENCY = "junk_currency"
    # The first row's currency again, first and with other (consistent) amounts.
    DISAGREEING_ROWS = "disagreeing_rows"


# The seeded mix of the chaos mode, in parts per hundred of requests.
CHAOS_MIX: dict[Scenario, int] = {
    Scenario.NORMAL: 28,
    Scenario.RATE_LIMIT_HEADERS: 10,
    Scenario.ACCOUNT_UNAVAILABLE: 6,
    Scenario.SERVER_ERROR: 5,
    Scenario.BAD_GATEWAY_HTML: 5,
    Scenario.RATE_LIMITED: 5,
    Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER: 4,
    Scenario.MALFORMED_JSON: 5,
    Scenario.TRUNCATED_JSON: 5,
    Scenario.EMPTY_OBJECT: 4,
    Scenario.DROP_CONNECTION: 6,
    Scenario.SLOW: 5,
    Scenario.HUGE_AMOUNT: 3,
    Scenario.INCONSISTENT_PARTS: 3,
    Scenario.JUNK_CURRENCY: 3,
    Scenario.DISAGREEING_ROWS: 3,
}


def chaos_plan(seed: int, path: str, length: int) -> list[Scenario]:
    """What the chaos mode answers on a path in each of ``length`` polls.

    Tests call it too, so they know what each poll will meet.
    """
    rng = random.Random(f"{seed}:{path}")  # noqa: S311 - a test mix, not a secret
    return rng.choices(list(CHAOS_MIX), weights=list(CHAOS_MIX.values()), k=length)


@dataclass
class CurrencyAccount:
    """What the simulated account holds in one currency."""

    granted: Decimal
    topped_up: Decimal

    @property
    def total(self) -> Decimal:
        """DeepSeek's total is the sum of both parts."""
        return self.granted + self.topped_up


def default_accounts() -> dict[str, CurrencyAccount]:
    """DeepSeek's documented example: 110.00 CNY, 10.00 of it granted."""
    return {"CNY": CurrencyAccount(granted=Decimal("10.00"), topped_up=Decimal(100))}


def gateway_rate_limit_headers() -> dict[str, str]:
    """All six rate-limit headers, as an OpenAI-compatible gateway sends them."""
    return {
        "x-ratelimit-limit-requests": "10000",
        "x-ratelimit-remaining-requests": "9999",
        "x-ratelimit-reset-requests": "6m0s",
        "x-ratelimit-limit-tokens": "5000000",
        "x-ratelimit-remaining-tokens": "4999000",
        "x-ratelimit-reset-tokens": "20ms",
    }


@dataclass
class SimulatorState:
    """Everything a test can change or read while the simulator runs."""

    api_key: str = DEFAULT_API_KEY
    scenario: Scenario = Scenario.NORMAL
    is_available: bool | None = True  # None: the answer does not say
    accounts: dict[str, CurrencyAccount] = field(default_factory=default_accounts)
    rate_limit_headers: dict[str, str] = field(
        default_factory=gateway_rate_limit_headers
    )
    retry_after: str | None = "120"
    # An answer to /user/balance sent as it is, instead of the account's: JSON,
    # or text for what JSON encoders refuse to write.
    raw_balance: Any = None
    # Chaos mode: each poll's scenario, per path. Indexed by poll, not by request:
    # a client may resend a GET whose kept-alive connection was dropped.
    chaos: dict[str, list[Scenario]] = field(default_factory=dict)
    chaos_poll: int = 0
    # The next request's answer, before ``scenario`` again: a failure gone at once.
    next_answer: Scenario | None = None
    # One path's scenario, before ``scenario``: a gateway refusing only /v1/models.
    path_scenarios: dict[str, Scenario] = field(default_factory=dict)
    latency: float = 0.0
    slow_seconds: float = 30.0
    # A busy account: what each balance request finds spent since the one before.
    spend_per_request: Decimal = Decimal(0)
    requests: Counter[str] = field(default_factory=Counter)
    peers: set[tuple[str, int]] = field(default_factory=set)
    in_flight: int = 0
    max_in_flight: int = 0
    _change: asyncio.Future[None] | None = None
    # The demo: its week of readings, the CNY an hour it spends at each moment
    # (charged on each balance request) and the file that keeps its account.
    history: list[Reading] = field(default_factory=list)
    spending_rate: Callable[[datetime], Decimal] = lambda _: Decimal(0)
    state_file: Path | None = None
    _drained_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _drain_owed: Decimal = Decimal(0)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Until ``condition`` holds; it is checked as requests come and go.

        Tests wait on it where the loop's clock stands still.
        """
        while not condition():
            self._change = self._change or asyncio.get_running_loop().create_future()
            await self._change

    def changed(self) -> None:
        """Wake whoever waits for a request to come or go."""
        if self._change is not None and not self._change.done():
            self._change.set_result(None)
        self._change = None

    @property
    def connections(self) -> int:
        """TCP connections opened so far (each has its own client port)."""
        return len(self.peers)

    def spend(self, currency: str, amount: Decimal) -> None:
        """Charge usage the way DeepSeek does: granted credit first."""
        account = self.accounts[currency]
        from_granted = min(amount, account.granted)
        account.granted -= from_granted
        account.topped_up -= amount - from_granted

    def drain(self) -> None:
        """Spend at ``spending_rate``, in whole CNY cents, since the last time."""
        now = datetime.now(UTC)
        hours = Decimal((now - self._drained_at).total_seconds()) / 3600
        self._drain_owed += self.spending_rate(now) * hours
        self._drained_at = now
        cents = self._drain_owed.quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        if cents and "CNY" in self.accounts:
            self.spend("CNY", cents)
            self._drain_owed -= cents
            self.save()

    def start_demo(self) -> None:
        """The demo account: its saved state, or a new week of spending behind it."""
        self.spending_rate = spending_rate
        if self.state_file is not None and self.state_file.exists():
            saved = json.loads(self.state_file.read_text())
            self.accounts = {
                currency: CurrencyAccount(Decimal(granted), Decimal(topped_up))
                for currency, (granted, topped_up) in saved["accounts"].items()
            }
            return
        self.history = demo_history(datetime.now(UTC).replace(microsecond=0))
        last = self.history[-1]
        self.accounts = {"CNY": CurrencyAccount(last.granted, last.topped_up)}
        self.save()

    def save(self) -> None:
        """Keep the account in ``state_file``, so a restarted demo carries on."""
        if self.state_file is None:
            return
        accounts = {
            currency: [str(account.granted), str(account.topped_up)]
            for currency, account in self.accounts.items()
        }
        self.state_file.write_text(json.dumps({"accounts": accounts}))

    def top_up(self, currency: str, amount: Decimal) -> None:
        """Add paid credit, opening the currency if the account had none."""
        self.accounts.setdefault(currency, CurrencyAccount(Decimal(0), Decimal(0)))
        self.accounts[currency].topped_up += amount

    def grant(self, currency: str, amount: Decimal) -> None:
        """Add promotional credit."""
        self.accounts.setdefault(currency, CurrencyAccount(Decimal(0), Decimal(0)))
        self.accounts[currency].granted += amount

    def apply(self, changes: dict[str, Any]) -> None:
        """Apply a control request: scenario, key, latency, availability, money."""
        self.scenario = Scenario(changes.get("scenario", self.scenario))
        self.api_key = changes.get("api_key", self.api_key)
        self.latency = float(changes.get("latency", self.latency))
        self.is_available = changes.get("is_available", self.is_available)
        self.raw_balance = changes.get("raw_balance", self.raw_balance)
        for action in (self.spend, self.top_up, self.grant):
            for currency, amount in changes.get(action.__name__, {}).items():
                action(currency, Decimal(amount))
        self.save()

    def start_chaos(self, seed: int, polls: int) -> None:
        """Answer ``polls`` polls from the seeded mix; set ``chaos_poll`` for each."""
        self.chaos = {
            path: chaos_plan(seed, path, polls)
            for path in ("/user/balance", "/v1/models")
        }
        self.chaos_poll = 0

    def scenario_for(self, path: str) -> Scenario:
        """The scenario of this request: the chaos plan's, or the set one."""
        if plan := self.chaos.get(path):
            return plan[self.chaos_poll]
        if (once := self.next_answer) is not None:
            self.next_answer = None
            return once
        return self.path_scenarios.get(path, self.scenario)

    def balance_body(self, scenario: Scenario | None = None) -> dict[str, Any]:
        """The ``/user/balance`` JSON for the current account and scenario."""
        scenario = scenario or self.scenario
        numbers = scenario is Scenario.NUMBER_AMOUNTS
        rows = [
            {
                "currency": currency,
                "total_balance": _amount(account.total, as_number=numbers),
                "granted_balance": _amount(account.granted, as_number=numbers),
                "topped_up_balance": _amount(account.topped_up, as_number=numbers),
            }
            for currency, account in self.accounts.items()
        ]
        if scenario is Scenario.USD_ZERO_THEN_CNY:
            zero = _amount(Decimal(0), as_number=False)
            rows.insert(
                0,
                {
                    "currency": "USD",
                    "total_balance": zero,
                    "granted_balance": zero,
                    "topped_up_balance": zero,
                },
            )
        if scenario is Scenario.EMPTY_BALANCE_INFOS:
            rows = []
        if scenario is Scenario.HUGE_AMOUNT:
            rows[0]["total_balance"] = 1e308
        if scenario is Scenario.INCONSISTENT_PARTS:
            first = next(iter(self.accounts.values()))
            rows[0]["total_balance"] = _amount(first.total + 100, as_number=False)
        if scenario is Scenario.JUNK_CURRENCY:
            rows.append({**rows[0], "currency": "<script>alert(1)</script>"})
        if scenario is Scenario.DISAGREEING_ROWS:
            wrong = _amount(Decimal(50), as_number=False)
            rows.insert(
                0,
                {
                    **rows[0],
                    "total_balance": wrong,
                    "granted_balance": _amount(Decimal(0), as_number=False),
                    "topped_up_balance": wrong,
                },
            )
        if self.is_available is None:
            return {"balance_infos": rows}
        available = self.is_available and scenario is not Scenario.ACCOUNT_UNAVAILABLE
        return {"is_available": available, "balance_infos": rows}


def _amount(value: Decimal, *, as_number: bool) -> str | float:
    return float(value) if as_number else f"{value:.2f}"


_BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_MODELS_BODY = {
    "object": "list",
    "data": [
        {"id": "deepseek-chat", "object": "model", "owned_by": "deepseek"},
        {"id": "deepseek-reasoner", "object": "model", "owned_by": "deepseek"},
    ],
}


def _error(status: int, message: str, kind: str) -> web.Response:
    """An error in DeepSeek's own JSON shape."""
    body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return web.json_response(body, status=status)


def exhausted_rate_limit_headers() -> dict[str, str]:
    """The rate-limit headers of a gateway's 429 (OpenAI's, LiteLLM's): none left."""
    return {
        **gateway_rate_limit_headers(),
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m30s",
    }


def _rate_limited(retry_after: str | None) -> web.Response:
    """A 429 as a gateway in front of DeepSeek sends it, with its headers."""
    response = _error(429, "Rate limit reached", "rate_limit_error")
    response.headers.update(exhausted_rate_limit_headers())
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


_FAULT_ANSWERS: dict[Scenario, Callable[[SimulatorState], web.Response]] = {
    Scenario.UNAUTHORIZED: lambda _: _error(
        401, "Authentication Fails", "authentication_error"
    ),
    Scenario.RATE_LIMITED: lambda state: _rate_limited(state.retry_after),
    Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER: lambda _: _rate_limited(None),
    Scenario.SERVER_ERROR: lambda _: _error(500, "Server error", "server_error"),
    Scenario.BAD_GATEWAY_HTML: lambda _: web.Response(
        status=502, text=_BAD_GATEWAY_PAGE, content_type="text/html"
    ),
    Scenario.MALFORMED_JSON: lambda _: web.Response(
        text='{"is_available": true, "balance_infos": [{"curr',
        content_type="application/json",
    ),
    Scenario.EMPTY_OBJECT: lambda _: web.json_response({}),
}


async def _fault(
    request: web.Request, state: SimulatorState, scenario: Scenario
) -> web.Response | None:
    """The answer of a failure scenario, or ``None`` to answer normally."""
    if scenario is Scenario.TRUNCATED_JSON:
        # Promise a longer body than is sent, then hang up mid-way.
        cut = web.StreamResponse(headers={"Content-Type": "application/json"})
        cut.content_length = 200
        await cut.prepare(request)
        await cut.write(b'{"is_available": true, "balance_infos": [{"curr')
    hang_up = scenario in (Scenario.DROP_CONNECTION, Scenario.TRUNCATED_JSON)
    if hang_up and request.transport is not None:
        request.transport.abort()
    if scenario in (Scenario.SLOW, Scenario.DROP_CONNECTION, Scenario.TRUNCATED_JSON):
        # Past the client's timeout; a lost connection cancels the handler sooner.
        await asyncio.sleep(state.slow_seconds)
    if answer := _FAULT_ANSWERS.get(scenario):
        return answer(state)
    return None


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Routes:
    """The simulator's HTTP handlers, all reading one ``SimulatorState``."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    @web.middleware
    async def observe(
        self, request: web.Request, handler: Handler
    ) -> web.StreamResponse:
        """Count API requests and connections, and add the simulated latency."""
        if request.path.startswith(CONTROL_PREFIX):
            return await handler(request)
        state = self.state
        if request.transport is not None:
            state.peers.add(request.transport.get_extra_info("peername")[:2])
        state.requests[request.path] += 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
        state.changed()
        try:
            await asyncio.sleep(state.latency)
            return await handler(request)
        finally:
            state.in_flight -= 1
            state.changed()

    async def _refusal(
        self, request: web.Request, scenario: Scenario
    ) -> web.Response | None:
        """The scenario's failure, or 401 for a wrong key, or ``None``."""
        if (fault := await _fault(request, self.state, scenario)) is not None:
            return fault
        if request.headers.get("Authorization") != f"Bearer {self.state.api_key}":
            return _error(401, "Authentication Fails", "authentication_error")
        return None

    async def balance(self, request: web.Request) -> web.Response:
        """``GET /user/balance``."""
        scenario = self.state.scenario_for("/user/balance")
        if refusal := await self._refusal(request, scenario):
            return refusal
        self.state.drain()
        if self.state.spend_per_request and "CNY" in self.state.accounts:
            self.state.spend("CNY", self.state.spend_per_request)
        if isinstance(raw := self.state.raw_balance, str):
            return web.Response(text=raw, content_type="application/json")
        if raw is not None:
            return web.json_response(raw)
        return web.json_response(self.state.balance_body(scenario))

    async def models(self, request: web.Request) -> web.Response:
        """``GET /v1/models``: the answer whose headers carry the rate limits."""
        scenario = self.state.scenario_for("/v1/models")
        if refusal := await self._refusal(request, scenario):
            return refusal
        headers = (
            self.state.rate_limit_headers
            if scenario is Scenario.RATE_LIMIT_HEADERS
            else {}
        )
        return web.json_response(_MODELS_BODY, headers=headers)

    async def control(self, request: web.Request) -> web.Response:
        """Read the counters, or POST changes (see ``SimulatorState.apply``)."""
        if request.method == "POST":
            self.state.apply(await request.json())
        return web.json_response(
            {
                "scenario": self.state.scenario,
                "requests": dict(self.state.requests),
                "connections": self.state.connections,
                "balance": self.state.balance_body(),
            },
            dumps=lambda data: json.dumps(data, default=str),
        )

    async def history(self, _: web.Request) -> web.Response:
        """The demo's week of CNY readings, oldest first (empty outside the demo)."""
        return web.json_response(
            [
                [reading.at.isoformat(), str(reading.granted), str(reading.topped_up)]
                for reading in self.state.history
            ]
        )


def _create_app(state: SimulatorState) -> web.Application:
    routes = _Routes(state)
    app = web.Application(middlewares=[routes.observe])
    app.router.add_get("/user/balance", routes.balance)
    app.router.add_get("/v1/models", routes.models)
    app.router.add_get("/models", routes.models)
    app.router.add_route("*", f"{CONTROL_PREFIX}/state", routes.control)
    app.router.add_get(f"{CONTROL_PREFIX}/history", routes.history)
    return app


@dataclass
class DeepSeekSimulator:
    """A running simulator: its state and the base URL to point a client at."""

    state: SimulatorState
    url: str


@asynccontextmanager
async def serve_app(
    app: web.Application, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve an aiohttp app on loopback until the block ends; yields its base URL.

    Handlers are cancelled when their client goes away, so a slow answer does not
    outlive the test that asked for it.
    """
    runner = web.AppRunner(
        app, handler_cancellation=True, access_log=None, shutdown_timeout=0.1
    )
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    try:
        yield f"http://{host}:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def run_simulator(
    state: SimulatorState | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[DeepSeekSimulator]:
    """Serve the simulator on loopback until the block ends."""
    state = state or SimulatorState()
    async with serve_app(_create_app(state), host=host, port=port) as url:
        yield DeepSeekSimulator(state=state, url=url)
