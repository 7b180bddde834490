"""A real ``hass`` process and the simulator, driven only through public APIs.

The tests run in file order against one Home Assistant: set up, look, break,
recover, reconfigure, remove, then read the log. The browser looks at the demo's
dashboard in ``test_dashboard.py``.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scripts.harness import (
    HomeAssistantApi,
    SimulatorControl,
    free_port,
    start_hass,
    start_simulator,
    stop,
    tracebacks,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

API_KEY = "sk-e2e-secret-1a2b"
NEW_KEY = "sk-e2e-rotated-1a2b"
USER, PASSWORD = "e2e", "e2e-password-0000"
P = "deepseek_1a2b"  # entity ID prefix of an entry titled "DeepSeek ••••1a2b"
TOTAL = f"sensor.{P}_total_balance_cny"
STATUS = f"sensor.{P}_api_status"
# A poll asked for inside Home Assistant's 10 s debounce runs when it ends.
POLL_WITHIN = 30


@dataclass
class Live:
    """The running instance and how to reach it."""

    config_dir: Path
    api: HomeAssistantApi
    simulator: SimulatorControl
    simulator_url: str
    entry_id: str = ""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """Start the simulator and ``hass``, onboard, and stop both at the end."""
    config_dir = tmp_path_factory.mktemp("hass")
    simulator_port, hass_port = free_port(), free_port()
    write_config(config_dir, http_port=hass_port)
    processes = [start_simulator(simulator_port, API_KEY), start_hass(config_dir)]
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, f"http://127.0.0.1:{hass_port}")
            await api.wait_until_up(within=120)
            await api.onboard("End to end", USER, PASSWORD)
            simulator_url = f"http://127.0.0.1:{simulator_port}"
            yield Live(
                config_dir, api, SimulatorControl(session, simulator_url), simulator_url
            )
            await api.close()
    finally:
        for process in reversed(processes):
            stop(process)


async def poll_until(live: Live, entity_id: str, expected: str) -> None:
    """Ask for a poll, then wait until ``entity_id`` shows ``expected``."""
    await live.api.update_entity(STATUS)

    async def shown() -> bool:
        return await live.api.state(entity_id) == expected

    await wait_for(shown, within=POLL_WITHIN)


async def test_config_flow_shows_a_wrong_key_then_creates_the_entry(
    live: Live,
) -> None:
    flow = await live.api.start_flow("deepseek_balance")
    assert flow["step_id"] == "user"

    wrong = await live.api.configure(
        flow["flow_id"],
        {"api_key": "sk-wrong", "advanced": {"base_url": live.simulator_url}},
    )
    assert wrong["type"] == "form"
    assert wrong["errors"] == {"base": "invalid_auth"}

    created = await live.api.configure(
        flow["flow_id"],
        {"api_key": API_KEY, "advanced": {"base_url": live.simulator_url}},
    )
    assert created["type"] == "create_entry"
    assert created["title"] == "DeepSeek ••••1a2b"
    live.entry_id = created["result"]["entry_id"]


async def test_a_real_account_shows_its_entities_and_no_rate_limits(
    live: Live,
) -> None:
    expected = {
        f"sensor.{P}_total_balance_cny": "110.00",
        f"sensor.{P}_granted_balance_cny": "10.00",
        f"sensor.{P}_top_up_balance_cny": "100.00",
        f"sensor.{P}_spend_today_cny": "0",
        f"sensor.{P}_spend_this_month_cny": "0",
        f"sensor.{P}_spend_per_day_cny": "unknown",
        f"sensor.{P}_projected_spend_cny": "unknown",
        f"sensor.{P}_days_remaining": "unknown",
        f"sensor.{P}_api_status": "ok",
        f"binary_sensor.{P}_account_available": "on",
        f"binary_sensor.{P}_low_balance": "off",
        f"binary_sensor.{P}_monthly_budget": "off",
        f"event.{P}_balance_activity": "unknown",
    }

    states = await live.api.states()

    assert {
        entity_id: states[entity_id]["state"]
        for entity_id in states
        if entity_id.split(".")[1].startswith(P)
    } == expected
    # DeepSeek sends no rate-limit headers: no rate-limit sensor exists at all.
    registry = await live.api.ws({"type": "config/entity_registry/list"})
    assert not [
        entity["entity_id"]
        for entity in registry
        if entity["platform"] == "deepseek_balance"
        and ("requests" in entity["entity_id"] or "tokens" in entity["entity_id"])
    ]


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ("rate_limited", "rate_limited"),
        ("server_error", "api_error"),
        ("bad_gateway_html", "api_error"),
        ("malformed_json", "api_error"),
    ],
)
async def test_api_failure_makes_entities_unavailable_then_recovers(
    live: Live, scenario: str, status: str
) -> None:
    await live.simulator.set(scenario=scenario)

    await poll_until(live, STATUS, status)
    assert await live.api.state(TOTAL) == "unavailable"

    await live.simulator.set(scenario="normal")
    await poll_until(live, TOTAL, "110.00")
    assert await live.api.state(STATUS) == "ok"


async def test_refused_key_starts_reauth_and_a_new_key_recovers(live: Live) -> None:
    await live.simulator.set(api_key=NEW_KEY)
    await poll_until(live, STATUS, "auth_failed")
    assert await live.api.state(TOTAL) == "unavailable"

    async def reauth_flows() -> list[dict[str, Any]]:
        flows = await live.api.ws({"type": "config_entries/flow/progress"})
        return [
            flow
            for flow in flows
            if flow["handler"] == "deepseek_balance"
            and flow["context"]["source"] == "reauth"
        ]

    flows = await wait_for(reauth_flows, within=POLL_WITHIN)
    assert len(flows) == 1
    assert flows[0]["context"]["entry_id"] == live.entry_id

    done = await live.api.configure(flows[0]["flow_id"], {"api_key": NEW_KEY})
    assert done == {**done, "type": "abort", "reason": "reauth_successful"}

    async def values_back() -> bool:
        return await live.api.state(TOTAL) == "110.00"

    await wait_for(values_back, within=POLL_WITHIN)


async def test_options_flow_changes_the_poll_interval(live: Live) -> None:
    form = await live.api.post(
        "/api/config/config_entries/options/flow", {"handler": live.entry_id}
    )
    assert form["step_id"] == "init"

    done = await live.api.post(
        f"/api/config/config_entries/options/flow/{form['flow_id']}",
        {"scan_interval": 45, "low_balance_threshold": 0, "low_balance_days": 0},
    )
    assert done["type"] == "create_entry"

    async def interval() -> bool:
        diagnostics = await live.api.get(
            f"/api/diagnostics/config_entry/{live.entry_id}"
        )
        # While the entry reloads, its diagnostics carry no poll interval yet.
        return diagnostics["data"].get("poll_interval_seconds") == 45

    await wait_for(interval, within=POLL_WITHIN)


async def test_removing_the_entry_removes_its_entities_and_device(
    live: Live,
) -> None:
    await live.api.delete(f"/api/config/config_entries/entry/{live.entry_id}")

    entities = await live.api.ws({"type": "config/entity_registry/list"})
    devices = await live.api.ws({"type": "config/device_registry/list"})
    assert [e for e in entities if e["platform"] == "deepseek_balance"] == []
    assert [d for d in devices if live.entry_id in d["config_entries"]] == []
    assert not [s for s in await live.api.states() if s.startswith(f"sensor.{P}")]


async def test_log_has_no_traceback_from_the_integration_and_no_key(
    live: Live,
) -> None:
    log = (live.config_dir / "hass.out").read_text()  # everything hass printed

    ours = [
        traceback
        for traceback in tracebacks(log)
        if "custom_components/deepseek_balance" in traceback
    ]

    assert ours == []
    # Run with --skip-pip: the live environment holds all Home Assistant imports.
    assert "ModuleNotFoundError" not in log
    assert API_KEY not in log
    assert NEW_KEY not in log
    # The outages above were logged once when they began and once when they ended.
    assert "Fetching DeepSeek ••••1a2b data recovered" in log
