"""Sensor and binary sensor entities, pinned by snapshots."""

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from .deepseek_simulator import DeepSeekSimulator, Scenario


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-11-27 12:00:00+00:00")  # "Spend today" resets by date
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT]
)
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    mock_config_entry: MockConfigEntry,
    platform: Platform,
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.deepseek_balance.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_zero_usd_row_and_funded_cny_both_shown(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get("sensor.deepseek_0000_total_balance_usd").state == "0.00"
    assert hass.states.get("sensor.deepseek_0000_total_balance_cny").state == "110.00"


async def test_reset_sensors_are_disabled_by_default(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    for key in ("requests_reset", "tokens_reset"):
        entry = entity_registry.async_get(f"sensor.deepseek_0000_{key}")
        assert entry is not None
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
