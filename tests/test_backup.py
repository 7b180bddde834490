"""A backup holds each entry's store as it is when the backup is taken."""

from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.backup.const import DATA_MANAGER
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.deepseek_balance.const import DOMAIN
from deepseek_simulator import DeepSeekSimulator

from .conftest import ENTRY_ID, advance


async def test_a_backup_holds_the_history_of_the_last_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Spend seen a minute ago waits for the store's 5-minute delay: not here."""
    assert await async_setup_component(hass, "backup", {})
    await hass.async_block_till_done()
    simulator.state.spend("CNY", Decimal("1.50"))
    await advance(hass, freezer, 31)
    stored = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["currencies"]["CNY"]
    assert stored["samples"][-1][2] == "110.00"  # the fall waits for the delay

    await hass.data[DATA_MANAGER].async_pre_backup_actions()

    stored = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["currencies"]["CNY"]
    assert stored["samples"][-1][2] == "108.50"
