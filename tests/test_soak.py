"""Fault-injection soak: 2,000 polls of a seeded mix of failures, time moved.

The simulator's chaos plan is computed here too, so every poll's expected outcome
is known before it runs and checked after it.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import itertools
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.deepseek_balance.account import (
    FAILURE_GRACE,
    RATE_LIMITED_GRACE,
)
from custom_components.deepseek_balance.api import DeepSeekClient
from custom_components.deepseek_balance.history import BalanceHistory, Calendar
from deepseek_simulator import (
    DEFAULT_API_KEY,
    DeepSeekSimulator,
    Scenario,
    chaos_plan,
)

from .conftest import Fired, advance
from .test_secrets import assert_key_never_logged

SEED = 20261127
POLLS = 2000
BALANCE, MODELS = "/user/balance", "/v1/models"
# Answers that no real account sends, each set aside with one warning.
ODD = {
    Scenario.HUGE_AMOUNT: "CNY: total_balance is unreadable",
    Scenario.INCONSISTENT_PARTS: "CNY: granted_balance + topped_up_balance is not",
    Scenario.JUNK_CURRENCY: "is not a three-letter code",
    Scenario.DISAGREEING_ROWS: "lists CNY more than once, with different amounts",
}
GOOD = {
    Scenario.NORMAL,
    Scenario.RATE_LIMIT_HEADERS,
    Scenario.ACCOUNT_UNAVAILABLE,
    *ODD,
}
# /v1/models answers 200 to these; only its headers are read, never its body.
ANSWERED = GOOD | {Scenario.MALFORMED_JSON, Scenario.EMPTY_OBJECT}
FAILURE_STATUS = {
    Scenario.SERVER_ERROR: "api_error",
    Scenario.BAD_GATEWAY_HTML: "api_error",
    Scenario.MALFORMED_JSON: "api_error",
    Scenario.EMPTY_OBJECT: "api_error",
    Scenario.RATE_LIMITED: "rate_limited",
    Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER: "rate_limited",
    Scenario.TRUNCATED_JSON: "connection_error",
    Scenario.DROP_CONNECTION: "connection_error",
    Scenario.SLOW: "connection_error",
}
# Answers that are often gone a second later: asked again once within the poll.
ASKED_AGAIN = {
    Scenario.SERVER_ERROR,
    Scenario.BAD_GATEWAY_HTML,
    Scenario.DROP_CONNECTION,
    Scenario.TRUNCATED_JSON,
    Scenario.SLOW,
}
P = "deepseek_0000"
REQUESTS_REMAINING = f"sensor.{P}_requests_remaining"
INTERVAL = 31  # the 30 s interval, plus Home Assistant's sub-second jitter
RETRY_AFTER = 120


# Answers whose headers say what is left: a gateway's, and a gateway's 429 (none).
REMAINING = {
    Scenario.RATE_LIMIT_HEADERS: "9999",
    Scenario.RATE_LIMITED: "0",
    Scenario.RATE_LIMITED_WITHOUT_RETRY_AFTER: "0",
}


class ProbeModel:
    """What the rate-limit probe should do, worked out independently of its code.

    It asks /v1/models at the first poll, on every poll while the last answer
    carried headers, and otherwise about 10 minutes after the last probe. A failed
    probe keeps the figures until three fail in a row. A probe counts only when the
    balance beside it succeeded; a 429 of the balance itself counts as one, for it
    carries the headers too.
    """

    def __init__(self) -> None:
        """No probe yet: the first poll asks."""
        self.last_run: datetime | None = None
        self.carried = False
        self.ever_carried = False
        self.remaining = "unknown"
        self.failures = 0

    @property
    def requests_remaining(self) -> str | None:
        """*Requests remaining*; ``None`` while it does not exist."""
        if not self.ever_carried:
            return None
        return self.remaining if self.carried else "unknown"

    def is_due(self, now: datetime) -> bool:
        """Whether a poll at ``now`` asks /v1/models."""
        return (
            self.last_run is None
            or self.carried
            or now - self.last_run >= timedelta(minutes=10, seconds=-5)
        )

    def record(self, now: datetime, models: Scenario) -> None:
        """A probe that counted: whether it was answered, and with headers."""
        self.last_run = now
        if models in ANSWERED or models in REMAINING:
            self.carried = models in REMAINING
            self.remaining = REMAINING.get(models, self.remaining)
            self.ever_carried |= self.carried
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= 3:
            self.carried = False


class FinishedCalls:
    """The client's calls that returned or raised, counted as they finish.

    The loop's clock stands still during a slow poll; a test waits on these
    instead of spinning until the fast answers have been read.
    """

    def __init__(self, client: DeepSeekClient) -> None:
        """Count the client's two calls; ``snapshot`` goes through them."""
        self.count: Counter[str] = Counter()
        self._change: asyncio.Future[None] | None = None
        for name in ("balance", "rate_limits"):
            setattr(client, name, self._counted(name, getattr(client, name)))

    def _counted(
        self, name: str, call: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[object]]:
        async def counted() -> object:
            try:
                return await call()
            finally:
                self.count[name] += 1
                if self._change is not None:
                    self._change.set_result(None)
                    self._change = None

        return counted

    async def wait_for(self, name: str, count: int) -> None:
        """Until ``name`` has finished ``count`` times."""
        while self.count[name] < count:
            self._change = self._change or asyncio.get_running_loop().create_future()
            await self._change


async def settle(
    simulator: DeepSeekSimulator,
    calls: FinishedCalls,
    slow: list[str],
    fast: list[str],
    before: tuple[Counter[str], Counter[str]],
) -> None:
    """Until every request came, the fast ones were read, and the slow ones wait."""
    state, (requests, finished) = simulator.state, before
    paths = {"balance": BALANCE, "rate_limits": MODELS}
    await state.wait_until(
        lambda: (
            all(
                state.requests[paths[name]] > requests[paths[name]]
                for name in slow + fast
            )
            and state.in_flight == len(slow)
        )
    )
    for name in fast:
        await calls.wait_for(name, finished[name] + 1)


def integration_tasks() -> set[asyncio.Task[object]]:
    """Running tasks, less the simulator's own request handlers."""
    return {task for task in asyncio.all_tasks() if "RequestHandler" not in repr(task)}


def expected_states(
    simulator: DeepSeekSimulator, balance: Scenario, probe: ProbeModel
) -> dict[str, str | None]:
    """Each entity's state after a good poll; ``None`` where it does not exist yet."""
    total = simulator.state.accounts["CNY"].total
    unavailable = balance is Scenario.ACCOUNT_UNAVAILABLE
    expected: dict[str, str | None] = {
        f"sensor.{P}_total_balance_cny": {
            Scenario.HUGE_AMOUNT: "unavailable",
            Scenario.INCONSISTENT_PARTS: f"{total + 100:.2f}",  # as sent
            Scenario.DISAGREEING_ROWS: "unavailable",
        }.get(balance, f"{total:.2f}"),
        f"binary_sensor.{P}_account_available": "off" if unavailable else "on",
        f"sensor.{P}_api_status": {
            Scenario.ACCOUNT_UNAVAILABLE: "account_unavailable",
            Scenario.HUGE_AMOUNT: "unreadable_balance",
            Scenario.DISAGREEING_ROWS: "unreadable_balance",
        }.get(balance, "ok"),
        REQUESTS_REMAINING: probe.requests_remaining,
    }
    return expected


def within_grace(failing_for: timedelta, balance: Scenario) -> bool:
    """Whether the last figures still stay shown this long after the first failure."""
    rate_limited = FAILURE_STATUS[balance] == "rate_limited"
    return failing_for < (RATE_LIMITED_GRACE if rate_limited else FAILURE_GRACE)


def expected_failure_states(
    balance: Scenario,
    shown: dict[str, str | None],
    failing_for: timedelta,
    probe: ProbeModel,
) -> dict[str, str | None]:
    """After a failed poll: the last good poll's states within the grace, if any.

    The rate limits are the ones last read, a 429's included.
    """
    status = {f"sensor.{P}_api_status": FAILURE_STATUS[balance]}
    if within_grace(failing_for, balance):
        return shown | status | {REQUESTS_REMAINING: probe.requests_remaining}
    return (
        {
            entity_id: None if state is None else "unavailable"
            for entity_id, state in shown.items()
        }
        | status
        | {REQUESTS_REMAINING: probe.requests_remaining and "unavailable"}
    )


class OutageModel:
    """What the entities show through failed polls, worked out independently.

    Within the grace from an outage's first failed poll they keep the last good
    poll's states; past it they are unavailable. Only the status says why.
    """

    def __init__(self, shown: dict[str, str | None]) -> None:
        """Start after a good poll that showed ``shown``."""
        self.shown = shown
        self.failing_since: datetime | None = None
        self.past_grace = False
        self.outages = self.long_outages = self.recoveries = 0

    def states_after(
        self,
        balance: Scenario,
        polled_at: datetime,
        good: dict[str, str | None],
        probe: ProbeModel,
    ) -> dict[str, str | None]:
        """The states after a poll answered ``balance``; ``good`` if it is good."""
        if balance in GOOD:
            self.recoveries += self.failing_since is not None
            self.failing_since, self.shown = None, good
            return good
        if self.failing_since is None:
            self.outages += 1
            self.failing_since, self.past_grace = polled_at, False
        failing_for = polled_at - self.failing_since
        if not within_grace(failing_for, balance) and not self.past_grace:
            self.long_outages += 1
            self.past_grace = True
        return expected_failure_states(balance, self.shown, failing_for, probe)


def attempts(answer: Scenario) -> tuple[int, ...]:
    """How many requests one call makes: a retry, and a resent GET, may add one."""
    return (2, 3, 4) if answer in ASKED_AGAIN else (1, 2)


async def run_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    calls: FinishedCalls,
    probe: ProbeModel,
    on_balance: Scenario,
    on_models: Scenario,
) -> tuple[bool, datetime]:
    """One poll: the balance asked once, the rate limits only when due; its time.

    A request that fails in a way worth asking again is asked once more. A dropped
    kept-alive connection is resent once, so each attempt may count twice.
    """
    requests = Counter(simulator.state.requests)
    freezer.tick(INTERVAL)
    now = dt_util.utcnow()
    probed = probe.is_due(now)
    answers = {"balance": on_balance, **({"rate_limits": on_models} if probed else {})}
    slow = [name for name, answer in answers.items() if answer is Scenario.SLOW]
    async_fire_time_changed(hass)
    if slow:
        fast = [name for name in answers if name not in slow]
        await settle(simulator, calls, slow, fast, (requests, Counter(calls.count)))
        first_attempts = Counter(simulator.state.requests)
        freezer.tick(11)  # past the 10 s request timeout: each is asked again
        async_fire_time_changed(hass)
        await settle(simulator, calls, slow, [], (first_attempts, calls.count))
        await advance(hass, freezer, 11)  # and times out again
    else:
        await hass.async_block_till_done(wait_background_tasks=True)
    assert simulator.state.requests[BALANCE] - requests[BALANCE] in attempts(on_balance)
    models_asked = simulator.state.requests[MODELS] - requests[MODELS]
    assert models_asked in (attempts(on_models) if probed else (0,))
    if probed and on_balance in GOOD:
        probe.record(now, on_models)
    elif FAILURE_STATUS.get(on_balance) == "rate_limited":
        probe.record(now, on_balance)  # the balance's own 429, with its headers
    return probed, now


@pytest.fixture(autouse=True)
def before_a_months_end(freezer: FrozenDateTimeFactory) -> None:
    """Start at 08:00 on 30 November, Pacific time: the polls cross into December."""
    freezer.move_to("2026-11-30 16:00:00+00:00")


# Answers whose CNY total is believed, and recorded: where spend can be seen.
TRUSTED = {Scenario.NORMAL, Scenario.RATE_LIMIT_HEADERS, Scenario.ACCOUNT_UNAVAILABLE}
TRUSTED |= {Scenario.JUNK_CURRENCY}


async def test_soak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    coordinator = init_integration.runtime_data
    calls = FinishedCalls(coordinator.client)
    balances = chaos_plan(SEED, BALANCE, POLLS)
    models = chaos_plan(SEED, MODELS, POLLS)
    simulator.state.start_chaos(SEED, POLLS)
    tasks_before = len(integration_tasks())
    listeners_before = sum(hass.bus.async_listeners().values())
    faults: Counter[str] = Counter()
    retry_afters_honoured = probes = 0
    probe = ProbeModel()
    probe.record(dt_util.utcnow(), Scenario.NORMAL)  # set-up's first poll
    outage = OutageModel(expected_states(simulator, Scenario.NORMAL, probe))

    readings: list[tuple[datetime, Decimal]] = []
    for poll, (on_balance, on_models) in enumerate(zip(balances, models, strict=True)):
        if poll % 7 == 0:
            simulator.state.spend("CNY", Decimal("0.01"))
        simulator.state.chaos_poll = poll
        probed, polled_at = await run_poll(
            hass, freezer, simulator, calls, probe, on_balance, on_models
        )
        requests_after = simulator.state.requests[BALANCE]
        probes += probed

        if on_balance in TRUSTED:
            readings.append((dt_util.now(), simulator.state.accounts["CNY"].total))
        expected = outage.states_after(
            on_balance, polled_at, expected_states(simulator, on_balance, probe), probe
        )
        states = {
            entity_id: state.state if (state := hass.states.get(entity_id)) else None
            for entity_id in expected
        }
        assert states == expected, (poll, on_balance, on_models, vars(probe))

        faults[on_balance.value] += 1
        if probed:
            faults[f"models: {on_models.value}"] += 1
        if on_balance is Scenario.RATE_LIMITED:
            # The next poll waits the 120 s DeepSeek asked for, not 30 s: nothing
            # by T+90, then the loop's next step reaches T+121.
            await advance(hass, freezer, RETRY_AFTER + 1 - INTERVAL)
            assert simulator.state.requests[BALANCE] == requests_after, poll
            retry_afters_honoured += 1

    assert_logged_once_per_outage(caplog.records, outage)
    for scenario, notice in ODD.items():
        assert sum(notice in r.getMessage() for r in caplog.records) == 1, scenario
    assert len(integration_tasks()) <= tasks_before
    assert sum(hass.bus.async_listeners().values()) <= listeners_before
    history = coordinator.memory.history.currencies["CNY"].samples
    assert len(history) < 1_500
    # Nothing arrived and nothing was invented: all that left was spent.
    assert history[-1].spent == Decimal(110) - history[-1].total
    assert {kind for kind, _ in fired} == {"account_unavailable"}
    assert_december_spent_as_seen(coordinator.memory.history, readings)

    await assert_nothing_runs_after_unload(hass, freezer, simulator, init_integration)
    with capsys.disabled():
        print(f"\nSoak: {POLLS} polls, seed {SEED}")  # noqa: T201
        for fault, count in sorted(faults.items()):
            print(f"  {fault:<45} {count:>5}")  # noqa: T201
        print(  # noqa: T201
            f"  outages {outage.outages} ({outage.long_outages} past the grace), "
            f"recoveries {outage.recoveries}, Retry-After honoured "
            f"{retry_afters_honoured}, rate-limit probes {probes}, "
            f"history samples {len(history)}"
        )


def assert_december_spent_as_seen(
    history: BalanceHistory, readings: list[tuple[datetime, Decimal]]
) -> None:
    """December's spend: each fall first seen after the 1st's midnight, once."""
    now = dt_util.now()
    calendar = Calendar.of(now, now.tzinfo or UTC)
    assert readings[0][0] < calendar.month_start < readings[-1][0]
    december = sum(
        max(before - after, Decimal(0))
        for (_, before), (at, after) in itertools.pairwise(readings)
        if at >= calendar.month_start
    )

    assert history.figures(now, calendar)["CNY"].month == december


def assert_logged_once_per_outage(
    records: list[logging.LogRecord], outage: OutageModel
) -> None:
    """A warning as an outage starts, an error past its grace, a line as it ends.

    No traceback, and no key.
    """
    ours = [
        record
        for record in records
        if record.name.startswith("custom_components")
        and record.levelno >= logging.INFO
        and not any(notice in record.getMessage() for notice in ODD.values())
    ]
    assert [r for r in records if r.exc_info and r.levelno >= logging.WARNING] == []
    assert sum(r.levelno == logging.WARNING for r in ours) == outage.outages
    assert sum(r.levelno == logging.ERROR for r in ours) == outage.long_outages
    assert sum(r.levelno == logging.INFO for r in ours) == outage.recoveries
    assert len(ours) == outage.outages + outage.long_outages + outage.recoveries
    assert_key_never_logged(records, DEFAULT_API_KEY)


async def assert_nothing_runs_after_unload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    entry: MockConfigEntry,
) -> None:
    """No poll, retry or probe is left behind: DeepSeek hears nothing more."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    requests = Counter(simulator.state.requests)
    for _ in range(3):  # past the longest wait: an hour's interval or Retry-After
        await advance(hass, freezer, 3600)
    assert simulator.state.requests == requests
