"""The README's automations, run as a user pastes them, against a real entry.

An automation on *Balance activity* must tell of each event once: never again
after a failed poll, a reload, or a set-up that waited for DeepSeek.
"""

from decimal import Decimal
from pathlib import Path
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from deepseek_simulator import DeepSeekSimulator, Scenario

from .conftest import ACTIVITY, advance, setup_integration

README = Path(__file__).parent.parent / "README.md"


def readme_automations() -> list[dict[str, Any]]:
    """Every automation in the README's YAML, for this test's entry and phone."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(), re.DOTALL)
    return [
        automation
        for block in blocks
        if block.startswith("automation:")
        for automation in yaml.safe_load(
            block.replace("deepseek_1a2b", "deepseek_0000").replace(
                "notify.notify", "notify.phone"
            )
        )["automation"]
    ]


def test_the_readme_has_automations_on_the_activity_entity() -> None:
    """Guard the reader: the test below must have something to run."""
    on_activity = [
        automation["alias"]
        for automation in readme_automations()
        if ACTIVITY in str(automation["triggers"])
    ]

    assert len(on_activity) >= 2


@pytest.fixture
async def notifications(
    hass: HomeAssistant, init_integration: MockConfigEntry, phone: list[ServiceCall]
) -> list[ServiceCall]:
    """The README's automations set up, their notifications recorded."""
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: readme_automations()}
    )
    await hass.async_block_till_done()
    return phone


async def test_a_top_up_is_told_once_through_failures_and_reloads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    notifications: list[ServiceCall],
) -> None:
    simulator.state.top_up("CNY", Decimal(5))
    await advance(hass, freezer, 31)
    assert [call.data["message"] for call in notifications] == ["5.0 CNY arrived."]

    simulator.state.scenario = Scenario.SERVER_ERROR  # a failed poll
    await advance(hass, freezer, 31)
    simulator.state.scenario = Scenario.NORMAL
    await advance(hass, freezer, 31)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    simulator.state.scenario = Scenario.SERVER_ERROR  # a reload that must wait
    assert not await hass.config_entries.async_reload(init_integration.entry_id)
    simulator.state.scenario = Scenario.NORMAL
    await advance(hass, freezer, 31)
    assert init_integration.state is ConfigEntryState.LOADED

    assert len(notifications) == 1


async def test_a_top_up_that_spend_may_hide_in_is_told_as_at_least(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    notifications: list[ServiceCall],
) -> None:
    """Off overnight with no granted credit: 20 spent, 100 topped up."""
    simulator.state.spend("CNY", Decimal(10))  # the granted credit is gone
    await advance(hass, freezer, 31)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    simulator.state.spend("CNY", Decimal(20))
    simulator.state.top_up("CNY", Decimal(100))
    freezer.tick(10 * 3600)
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()

    assert [call.data["message"] for call in notifications] == [
        "At least 80.0 CNY arrived."
    ]


async def test_a_top_up_while_home_assistant_was_off_reaches_them_at_the_start(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    phone: list[ServiceCall],
) -> None:
    """Set up before automations listen, as at a start: it fires once they do."""
    await setup_integration(hass, mock_config_entry)  # the run before
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    simulator.state.top_up("CNY", Decimal(5))  # while Home Assistant is off
    hass.set_state(CoreState.not_running)
    assert await async_setup_component(
        hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: readme_automations()}
    )
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert phone == []  # nobody listens yet

    await hass.async_start()
    await hass.async_block_till_done()

    assert [call.data["message"] for call in phone] == ["5.0 CNY arrived."]
