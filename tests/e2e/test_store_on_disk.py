"""Stores damaged on disk, read by a real Home Assistant from its own files.

Each entry finds a different damage in ``.storage``: one that is not JSON (Home
Assistant sets it aside itself), and files that are JSON but not a store's
envelope, or one of a newer release. Every entry loads and shows the balance; its
file is kept beside the store exactly as it was; nothing the user had is lost.
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

API_KEY = "sk-e2e-store-7c3d"
USER, PASSWORD = "e2e", "e2e-password-0000"
# Each entry's store file as it is on disk, and the reason the warning gives.
DAMAGED = {
    "01JSTOREDAMAGEDNOTJSON000001": ('{"version": 1, "data": {"curr', None),
    "01JSTOREDAMAGEDLISTFILE00002": ("[1, 2, 3]", "it is not a Home Assistant store"),
    "01JSTOREDAMAGEDSTRINGFILE003": ('"yes"', "it is not a Home Assistant store"),
    "01JSTOREDAMAGEDNULLFILE00004": ("null", "it is not a Home Assistant store"),
    "01JSTOREDAMAGEDNOVERSION0005": (
        json.dumps({"key": "x", "data": {"currencies": {}}}),
        "it is not a Home Assistant store",
    ),
    "01JSTOREDAMAGEDNEWERMAJOR006": (
        json.dumps({"version": 2, "minor_version": 1, "key": "x", "data": {}}),
        "it was written by a newer release (version 2)",
    ),
}


def write_entries(config_dir: Path, base_url: str) -> None:
    """One entry per damage, each at this release's version, and its store."""
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    entries = [
        {
            "entry_id": entry_id,
            "version": 1,
            "minor_version": 3,
            "domain": DOMAIN,
            "title": f"DeepSeek {number}",
            "data": {"api_key": API_KEY, "base_url": base_url},
            "options": {"currency": "CNY"},
            "source": "user",
            "unique_id": None,
        }
        for number, entry_id in enumerate(DAMAGED, start=1)
    ]
    (storage / "core.config_entries").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": "core.config_entries",
                "data": {"entries": entries},
            }
        )
    )
    for entry_id, (text, _) in DAMAGED.items():
        (storage / f"{DOMAIN}.{entry_id}").write_text(text)


@dataclass
class Damaged:
    """The instance that started on the damaged stores."""

    config_dir: Path
    api: HomeAssistantApi
    hass: subprocess.Popen[bytes]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def damaged(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Damaged]:
    """The simulator, and ``hass`` started on the damaged stores."""
    config_dir = tmp_path_factory.mktemp("hass-damaged-stores")
    simulator_port, hass_port = free_port(), free_port()
    write_config(config_dir, http_port=hass_port)
    write_entries(config_dir, f"http://127.0.0.1:{simulator_port}")
    simulator = start_simulator(simulator_port, API_KEY)
    instance: Damaged | None = None
    try:
        hass = start_hass(config_dir)
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, f"http://127.0.0.1:{hass_port}")
            instance = Damaged(config_dir, api, hass)
            await api.wait_until_up(within=120)
            await api.onboard("Damaged", USER, PASSWORD)
            yield instance
            await api.close()
    finally:
        if instance is not None:
            stop(instance.hass)
        stop(simulator)


async def test_every_entry_loads_and_shows_its_balance(damaged: Damaged) -> None:
    async def loaded() -> list[dict[str, Any]] | None:
        entries = await damaged.api.entries()
        states = {entry["state"] for entry in entries}
        return entries if states == {"loaded"} else None

    entries = await wait_for(loaded, within=90)

    assert {entry["entry_id"] for entry in entries} == set(DAMAGED)
    states = await damaged.api.states()
    totals = [
        state["state"]
        for entity_id, state in states.items()
        if entity_id.startswith("sensor.deepseek_")
        and "_total_balance_cny" in entity_id
    ]
    assert totals == ["110.00"] * len(DAMAGED)


async def test_each_file_is_kept_as_it_was_beside_a_fresh_store(
    damaged: Damaged,
) -> None:
    storage = damaged.config_dir / ".storage"
    log = (damaged.config_dir / "hass.out").read_text()

    for entry_id, (text, reason) in DAMAGED.items():
        store = storage / f"{DOMAIN}.{entry_id}"
        (kept,) = storage.glob(f"{store.name}.corrupt.*")
        assert kept.read_text() == text, entry_id
        if reason is not None:
            assert f"{store} cannot be read ({reason}); it was kept as {kept}" in log
    assert [t for t in tracebacks(log) if "deepseek_balance" in t] == []
