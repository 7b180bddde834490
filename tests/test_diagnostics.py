"""Diagnostics: what the last polls saw, never the API key."""

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.deepseek_balance.account import FAILURE_GRACE
from deepseek_simulator import DEFAULT_API_KEY, DeepSeekSimulator, Scenario

from .conftest import advance


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics == snapshot(
        exclude=props(
            "base_url",
            "created_at",
            "modified_at",
            "last_success_time",
            "day_start",
            "month_start",
            "month_since",
            "first_estimate_at",
            "last_run",
        )
    )
    assert diagnostics["config_entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["last_success_time"] is not None
    assert diagnostics["rate_limit_probe"]["last_run"] is not None
    assert DEFAULT_API_KEY not in json.dumps(diagnostics)


async def test_diagnostics_after_a_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.SERVER_ERROR
    await advance(hass, freezer, 30)
    for _ in range(int(FAILURE_GRACE.total_seconds()) // 30):
        await advance(hass, freezer, 30)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics["api_status"] == "api_error"
    assert diagnostics["last_update_success"] is False
    assert diagnostics["failing_for_seconds"] == FAILURE_GRACE.total_seconds()
    assert diagnostics["last_error"] == {
        "kind": "DeepSeekResponseError",
        "message": "Unexpected answer (HTTP 500)",
    }
    assert diagnostics["balance"]["balances"][0]["total"] == "110.00"
    assert DEFAULT_API_KEY not in json.dumps(diagnostics)


async def test_diagnostics_of_an_entry_that_is_not_loaded(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Asked for while the entry retries its setup: no traceback, no key."""
    simulator.state.scenario = Scenario.SERVER_ERROR
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )

    assert diagnostics["state"] == "setup_retry"
    assert diagnostics["config_entry"]["data"]["api_key"] == "**REDACTED**"
    assert DEFAULT_API_KEY not in json.dumps(diagnostics)
