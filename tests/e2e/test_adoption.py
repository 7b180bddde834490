"""Switching from the other deepseek_balance integration, in a real Home Assistant.

Its users remove it in HACS and install this one: Home Assistant keeps its config
entry and entities. Its ``.storage`` is written here before ``hass`` starts, in the
oldest store formats Home Assistant migrates itself, so nothing of this release's
Home Assistant is assumed. Then ``hass`` starts twice.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
from pathlib import Path
import subprocess
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from scripts.harness import (
    DOMAIN,
    HomeAssistantApi,
    free_port,
    start_hass,
    start_simulator,
    stop,
    tracebacks,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

API_KEY = "sk-e2e-other-1a2b"
USER, PASSWORD = "e2e", "e2e-password-0000"
ENTRY_ID = "01JOTHERDEEPSEEKINTEGRATION"
# The other integration's entities: entity ID → unique ID, as it registered them.
OLD_ENTITIES = {
    "sensor.deepseek_account_total_balance": f"{ENTRY_ID}_CNY_total_balance",
    "sensor.deepseek_account_granted_balance": f"{ENTRY_ID}_CNY_granted_balance",
    "sensor.deepseek_account_topped_up_balance": f"{ENTRY_ID}_CNY_topped_up_balance",
    "binary_sensor.deepseek_account_api_available": f"{ENTRY_ID}_is_available",
}
ADOPTED_STATES = {
    "sensor.deepseek_account_total_balance": "110.00",
    "sensor.deepseek_account_granted_balance": "10.00",
    "sensor.deepseek_account_topped_up_balance": "100.00",
    "binary_sensor.deepseek_account_api_available": "on",
}


def store(key: str, data: dict[str, Any], *, version: int = 1) -> str:
    return json.dumps(
        {"version": version, "minor_version": 1, "key": key, "data": data}
    )


def write_other_integration(config_dir: Path) -> None:
    """Its config entry, its device and its four entities, as it left them."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    entry = {
        "entry_id": ENTRY_ID,
        "version": 1,
        "domain": DOMAIN,
        "title": "Deepseek Balance",
        "data": {"api_key": API_KEY},
        "options": {"update_interval": 300.0},
        "source": "user",
        "unique_id": None,
    }
    (storage / "core.config_entries").write_text(
        store("core.config_entries", {"entries": [entry]})
    )
    device_id = "0f7d0e3c5a5b4c8a9d6e1f2a3b4c5d6e"
    device = {
        "id": device_id,
        "config_entries": [ENTRY_ID],
        "connections": [],
        "identifiers": [[DOMAIN, ENTRY_ID]],
        "manufacturer": "Deepseek",
        "model": None,
        "name": "Deepseek Account",
        "sw_version": None,
        "entry_type": "service",
    }
    (storage / "core.device_registry").write_text(
        store("core.device_registry", {"devices": [device], "deleted_devices": []})
    )
    entities = [
        {
            "entity_id": entity_id,
            "platform": DOMAIN,
            "unique_id": unique_id,
            "config_entry_id": ENTRY_ID,
            "device_id": device_id,
            "original_name": None,
            "device_class": (
                "connectivity" if entity_id.startswith("binary_sensor") else "monetary"
            ),
            "capabilities": (
                None
                if entity_id.startswith("binary_sensor")
                else {"state_class": "measurement"}
            ),
            "unit_of_measurement": None if entity_id.startswith("binary") else "CNY",
        }
        for entity_id, unique_id in OLD_ENTITIES.items()
    ]
    (storage / "core.entity_registry").write_text(
        store("core.entity_registry", {"entities": entities, "deleted_entities": []})
    )


@dataclass
class Switched:
    """The instance that took the other integration's place."""

    config_dir: Path
    api: HomeAssistantApi
    environment: dict[str, str]
    hass: subprocess.Popen[bytes]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def switched(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Switched]:
    """The simulator, and ``hass`` started on the other integration's storage."""
    config_dir = tmp_path_factory.mktemp("hass-switched")
    simulator_port, hass_port = free_port(), free_port()
    write_config(config_dir, http_port=hass_port)
    write_other_integration(config_dir)
    environment = {"DEEPSEEK_BASE_URL": f"http://127.0.0.1:{simulator_port}"}
    simulator = start_simulator(simulator_port, API_KEY)
    instance: Switched | None = None
    try:
        hass = start_hass(config_dir, environment=environment)
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, f"http://127.0.0.1:{hass_port}")
            instance = Switched(config_dir, api, environment, hass)
            await api.wait_until_up(within=120)
            await api.onboard("Switched", USER, PASSWORD)
            yield instance
            await api.close()
    finally:
        if instance is not None:
            stop(instance.hass)
        stop(simulator)


async def adopted_states(api: HomeAssistantApi) -> dict[str, str] | None:
    """The old entity IDs' states, once all of them show a value."""
    states = await api.states()
    shown = {
        entity_id: states.get(entity_id, {}).get("state", "missing")
        for entity_id in ADOPTED_STATES
    }
    return shown if shown == ADOPTED_STATES else None


async def registry(api: HomeAssistantApi) -> dict[str, str]:
    """The integration's entities: entity ID → unique ID."""
    entities = await api.ws({"type": "config/entity_registry/list_for_display"})
    ids = {
        entity["ei"] for entity in entities["entities"] if entity.get("pl") == DOMAIN
    }
    details = await api.ws(
        {"type": "config/entity_registry/get_entries", "entity_ids": sorted(ids)}
    )
    return {entity_id: entry["unique_id"] for entity_id, entry in details.items()}


async def test_the_other_integrations_entry_loads_as_this_one(
    switched: Switched,
) -> None:
    async def loaded() -> list[dict[str, Any]] | None:
        entries = await switched.api.entries()
        return entries if [e["state"] for e in entries] == ["loaded"] else None

    (entry,) = await wait_for(loaded, within=60)

    assert entry["entry_id"] == ENTRY_ID
    assert entry["title"] == "DeepSeek ••••1a2b"


async def test_the_old_entity_ids_show_the_balance(switched: Switched) -> None:
    assert await wait_for(lambda: adopted_states(switched.api), within=60)

    unique_ids = await registry(switched.api)

    assert {entity_id: unique_ids[entity_id] for entity_id in OLD_ENTITIES} == {
        "sensor.deepseek_account_total_balance": f"{ENTRY_ID}_cny_total_balance",
        "sensor.deepseek_account_granted_balance": f"{ENTRY_ID}_cny_granted_balance",
        "sensor.deepseek_account_topped_up_balance": (
            f"{ENTRY_ID}_cny_topped_up_balance"
        ),
        "binary_sensor.deepseek_account_api_available": (
            f"{ENTRY_ID}_account_available"
        ),
    }
    # Its other entities appear as usual beside them.
    assert "sensor.deepseek_1a2b_spend_today_cny" in unique_ids
    total = (await switched.api.states())["sensor.deepseek_account_total_balance"]
    assert total["attributes"]["state_class"] == "total"
    assert total["attributes"]["unit_of_measurement"] == "CNY"


async def test_the_options_carry_the_update_interval(switched: Switched) -> None:
    diagnostics = await switched.api.get(f"/api/diagnostics/config_entry/{ENTRY_ID}")

    assert diagnostics["data"]["poll_interval_seconds"] == 300
    assert diagnostics["data"]["config_entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["data"]["config_entry"]["minor_version"] == 3


async def test_the_first_start_logged_no_traceback(switched: Switched) -> None:
    log = (switched.config_dir / "hass.out").read_text()

    assert [t for t in tracebacks(log) if "deepseek_balance" in t] == []
    assert "Error setting up entry" not in log
    assert "adopted from the other deepseek_balance integration" in log
    assert API_KEY not in log


async def test_a_second_start_changes_nothing(switched: Switched) -> None:
    api = switched.api
    await wait_for(lambda: adopted_states(api), within=60)
    await api.wait_until_running()
    before = (await api.entries(), await registry(api))

    await api.close()
    stop(switched.hass)
    switched.hass = start_hass(switched.config_dir, environment=switched.environment)
    await api.wait_until_up(within=120)
    await api.refresh(api.tokens["refresh_token"])
    assert await wait_for(lambda: adopted_states(api), within=60)
    assert (await api.entries(), await registry(api)) == before
    log = (switched.config_dir / "hass.out").read_text()
    assert [t for t in tracebacks(log) if "deepseek_balance" in t] == []
    assert log.count("adopted from the other deepseek_balance integration") == 1
