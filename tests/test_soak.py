"""Fault-injection soak: 2,000 polls of a seeded mix of failures, time moved.

The simulator's chaos plan is computed here too, so every poll's expected outcome
is known before it runs and checked after it.
"""

import asyncio
from collections import Counter
from decimal import Decimal
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from .conftest import advance
from .deepseek_simulator import (
    DEFAULT_API_KEY,
    DeepSeekSimulator,
    Scenario,
    chaos_plan,
)
from .test_secrets import assert_key_never_logged

SEED = 20261127
POLLS = 2000
BALANCE, MODELS = "/user/balance", "/v1/models"
PATHS = (BALANCE, MODELS)
GOOD = {Scenario.NORMAL, Scenario.ACCOUNT_UNAVAILABLE}
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
P = "deepseek_0000"
INTERVAL = 31  # the 30 s interval, plus Home Assistant's sub-second jitter
RETRY_AFTER = 120


async def settle(
    simulator: DeepSeekSimulator, slow: int, requests_before: Counter[str]
) -> None:
    """Yield to real I/O until both requests came and only the slow ones remain."""
    state = simulator.state
    for _ in range(10_000):
        arrived = all(state.requests[path] > requests_before[path] for path in PATHS)
        if arrived and state.in_flight == slow:
            break
        await asyncio.sleep(0)
    for _ in range(200):  # let the client read what has already been answered
        await asyncio.sleep(0)


def integration_tasks() -> set[asyncio.Task[object]]:
    """Running tasks, less the simulator's own request handlers."""
    return {task for task in asyncio.all_tasks() if "RequestHandler" not in repr(task)}


def expected_states(
    simulator: DeepSeekSimulator, balance: Scenario, models: Scenario
) -> dict[str, str]:
    if balance not in GOOD:
        return {
            f"sensor.{P}_total_balance_cny": "unavailable",
            f"sensor.{P}_requests_remaining": "unavailable",
            f"binary_sensor.{P}_account_available": "unavailable",
            f"sensor.{P}_api_status": FAILURE_STATUS[balance],
        }
    account = simulator.state.accounts["CNY"]
    unavailable = balance is Scenario.ACCOUNT_UNAVAILABLE
    return {
        f"sensor.{P}_total_balance_cny": f"{account.total:.2f}",
        f"sensor.{P}_requests_remaining": "9999" if models in GOOD else "unknown",
        f"binary_sensor.{P}_account_available": "off" if unavailable else "on",
        f"sensor.{P}_api_status": "account_unavailable" if unavailable else "ok",
    }


async def test_soak(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    coordinator = init_integration.runtime_data
    balances = chaos_plan(SEED, BALANCE, POLLS)
    models = chaos_plan(SEED, MODELS, POLLS)
    simulator.state.start_chaos(SEED, POLLS)
    tasks_before = len(integration_tasks())
    listeners_before = sum(hass.bus.async_listeners().values())
    faults: Counter[str] = Counter()
    outages = recoveries = retry_afters_honoured = 0
    good_before = True

    for poll, (on_balance, on_models) in enumerate(zip(balances, models, strict=True)):
        if poll % 7 == 0:
            simulator.state.spend("CNY", Decimal("0.01"))
        simulator.state.chaos_poll = poll
        requests = Counter(simulator.state.requests)
        requests_before = requests[BALANCE]
        slow = [on_balance, on_models].count(Scenario.SLOW)
        if slow:
            freezer.tick(INTERVAL)
            async_fire_time_changed(hass)
            await settle(simulator, slow, requests)
            await advance(hass, freezer, 11)  # past the 10 s request timeout
        else:
            await advance(hass, freezer, INTERVAL)
        # One poll, one request; a dropped kept-alive connection is resent once.
        assert simulator.state.requests[BALANCE] - requests_before in (1, 2), poll
        requests_after = simulator.state.requests[BALANCE]

        states = {
            entity_id: hass.states.get(entity_id).state  # type: ignore[union-attr]
            for entity_id in expected_states(simulator, on_balance, on_models)
        }
        assert states == expected_states(simulator, on_balance, on_models), poll

        faults[on_balance.value] += 1
        faults[f"models: {on_models.value}"] += 1
        good = on_balance in GOOD
        outages += good_before and not good
        recoveries += good and not good_before
        good_before = good
        if on_balance is Scenario.RATE_LIMITED:
            # The next poll waits the 120 s DeepSeek asked for, not 30 s: nothing
            # by T+90, then the loop's next step reaches T+121.
            await advance(hass, freezer, RETRY_AFTER + 1 - INTERVAL)
            assert simulator.state.requests[BALANCE] == requests_after, poll
            retry_afters_honoured += 1

    assert_logged_once_per_outage(caplog.records, outages, recoveries)
    assert len(integration_tasks()) <= tasks_before
    assert sum(hass.bus.async_listeners().values()) <= listeners_before
    samples = len(coordinator.history.currencies["CNY"].samples)
    assert samples < 1_500

    await assert_nothing_lingers_after_unload(hass, init_integration)
    with capsys.disabled():
        print(f"\nSoak: {POLLS} polls, seed {SEED}")  # noqa: T201
        for fault, count in sorted(faults.items()):
            print(f"  {fault:<45} {count:>5}")  # noqa: T201
        print(  # noqa: T201
            f"  outages {outages}, recoveries {recoveries}, Retry-After honoured "
            f"{retry_afters_honoured}, history samples {samples}"
        )


def assert_logged_once_per_outage(
    records: list[logging.LogRecord], outages: int, recoveries: int
) -> None:
    """One line when an outage starts, one when it ends; no traceback; no key."""
    ours = [
        record
        for record in records
        if record.name.startswith("custom_components")
        and record.levelno >= logging.INFO
    ]
    assert [r for r in records if r.exc_info and r.levelno >= logging.WARNING] == []
    assert sum(r.levelno == logging.ERROR for r in ours) == outages
    assert sum("recovered" in r.getMessage() for r in ours) == recoveries
    assert len(ours) == outages + recoveries
    assert_key_never_logged(records, DEFAULT_API_KEY)


async def assert_nothing_lingers_after_unload(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    coordinator = entry.runtime_data
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    lingering = [
        handle
        for handle in hass.loop._scheduled
        if not handle.cancelled() and "deepseek" in repr(handle).lower()
    ]
    assert lingering == []
    assert coordinator._unsub_refresh is None
