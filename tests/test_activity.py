"""Balance activity events fire exactly once, restarts and reloads included.

A restart is an unload and a new set-up in the same Home Assistant: what the entry
stored survives it, as on disk.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_HOMEASSISTANT_FINAL_WRITE,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.deepseek_balance.const import (
    CONF_LOW_BALANCE_THRESHOLD,
    DOMAIN,
)
from deepseek_simulator import CurrencyAccount, DeepSeekSimulator, Scenario

from .conftest import ACTIVITY, ENTRY_ID, Fired, advance, setup_integration, state_of


async def restart(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    while_off: Callable[[], None] = lambda: None,
) -> None:
    """Unload the entry, let something happen, and set it up again."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    while_off()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def only_kinds(events: Fired) -> list[str]:
    return [kind for kind, _ in events]


@pytest.mark.parametrize("options", [{CONF_LOW_BALANCE_THRESHOLD: 500}])
async def test_a_new_entry_fires_nothing(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """Even when it starts low and unable to pay: that is where it starts."""
    simulator.state.is_available = False

    await setup_integration(hass, mock_config_entry)

    assert state_of(hass, "binary_sensor.deepseek_0000_low_balance") == "on"
    assert fired == []


@pytest.mark.parametrize("options", [{CONF_LOW_BALANCE_THRESHOLD: 500}])
async def test_a_restart_with_nothing_changed_fires_nothing(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """Not even for an account that is low and cannot pay: no change, no news."""
    simulator.state.is_available = False
    await setup_integration(hass, mock_config_entry)

    await restart(hass, mock_config_entry)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert fired == []


async def test_what_fired_is_written_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
) -> None:
    """Not 5 minutes later: a crash right after it must not fire it again."""
    simulator.state.top_up("CNY", Decimal(50))
    simulator.state.is_available = False

    await advance(hass, freezer, 31)
    await advance(hass, freezer, 0)  # the write, at once

    assert sorted(only_kinds(fired)) == ["account_unavailable", "top_up"]
    stored = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]
    assert stored["last_known"]["available"] is False
    assert stored["currencies"]["CNY"]["samples"][-1][2] == "160.00"


async def test_a_stop_writes_what_changed_since_the_last_write(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A stop unloads no entry: the store's final write keeps what is pending."""
    simulator.state.spend("CNY", Decimal("1.50"))
    await advance(hass, freezer, 31)
    samples = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["currencies"]["CNY"]
    assert samples["samples"][-1][2] == "110.00"  # the fall waits for the delay

    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()

    samples = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["currencies"]["CNY"]
    assert samples["samples"][-1][2] == "108.50"


async def test_a_top_up_overnight_with_spend_is_told_as_at_least(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """Off overnight, no granted credit: 20.00 spent, 100.00 topped up."""
    simulator.state.accounts = {"CNY": CurrencyAccount(Decimal(0), Decimal(50))}
    await setup_integration(hass, mock_config_entry)

    def overnight() -> None:
        simulator.state.spend("CNY", Decimal(20))
        simulator.state.top_up("CNY", Decimal(100))
        freezer.tick(10 * 3600)

    await restart(hass, mock_config_entry, overnight)

    assert fired == [("top_up", {"amount": 80.0, "currency": "CNY", "exact": False})]
    spend_today = hass.states.get("sensor.deepseek_0000_spend_today_cny")
    assert spend_today is not None
    assert spend_today.attributes["complete"] is False


async def test_a_top_up_while_home_assistant_was_off_fires_once(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
) -> None:
    await restart(
        hass, init_integration, lambda: simulator.state.top_up("CNY", Decimal(50))
    )
    assert fired == [("top_up", {"amount": 50.0, "currency": "CNY", "exact": True})]

    await restart(hass, init_integration)

    assert only_kinds(fired) == ["top_up"]


async def test_raising_the_threshold_fires_low_balance_once(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
) -> None:
    flow = await hass.config_entries.options.async_init(init_integration.entry_id)
    await hass.config_entries.options.async_configure(
        flow["flow_id"],
        {"scan_interval": 30, CONF_LOW_BALANCE_THRESHOLD: 200, "low_balance_days": 0},
    )
    await hass.async_block_till_done()  # the entry reloads with the new limit

    assert fired == [
        (
            "low_balance",
            {"amount": 110.0, "currency": "CNY", "days_remaining": None},
        )
    ]
    await restart(hass, init_integration)
    assert only_kinds(fired) == ["low_balance"]


@pytest.mark.parametrize("options", [{CONF_LOW_BALANCE_THRESHOLD: 100}])
async def test_falling_below_the_threshold_while_off_fires_once(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    await setup_integration(hass, mock_config_entry)

    await restart(
        hass, mock_config_entry, lambda: simulator.state.spend("CNY", Decimal(20))
    )

    assert only_kinds(fired) == ["low_balance"]


async def test_an_account_that_stopped_paying_while_off_fires_once(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
) -> None:
    def stop_paying() -> None:
        simulator.state.is_available = False

    await restart(hass, init_integration, stop_paying)
    assert fired == [("account_unavailable", {})]

    await restart(hass, init_integration)

    assert only_kinds(fired) == ["account_unavailable"]


async def test_the_last_event_survives_a_reload_during_an_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    fired: Fired,
) -> None:
    """Reloaded while unavailable, its restored state holds no event: the store does."""
    simulator.state.top_up("CNY", Decimal(10))
    await advance(hass, freezer, 31)
    event = hass.states.get(ACTIVITY)
    assert event is not None
    assert fired == [("top_up", {"amount": 10.0, "currency": "CNY", "exact": True})]
    simulator.state.scenario = Scenario.SERVER_ERROR
    await advance(hass, freezer, 31)
    assert state_of(hass, ACTIVITY) == event.state  # a failed poll changes no event

    assert not await hass.config_entries.async_reload(init_integration.entry_id)
    simulator.state.scenario = Scenario.NORMAL
    await advance(hass, freezer, 31)  # the set-up retries
    await restart(hass, init_integration)

    after = hass.states.get(ACTIVITY)
    assert after is not None
    assert (after.state, after.attributes) == (event.state, event.attributes)
    assert fired == [("top_up", {"amount": 10.0, "currency": "CNY", "exact": True})]


async def test_the_stored_last_event_is_the_one_that_fired_at_its_time(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """One source: the store, written with the time the entity shows."""
    simulator.state.top_up("CNY", Decimal(10))
    await advance(hass, freezer, 31)
    shown = hass.states.get(ACTIVITY)
    assert shown is not None
    await advance(hass, freezer, 0)  # the write "at once" is the next turn

    stored = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["last_known"]
    assert stored["activity"]["fired_at"] == shown.state
    assert stored["pending"] == []
    await restart(hass, init_integration)
    assert state_of(hass, ACTIVITY) == shown.state


async def test_events_a_crash_left_unfired_fire_at_the_next_start(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """Written as found, before they fired: a crash in between loses none."""
    hass_storage[f"{DOMAIN}.{ENTRY_ID}"] = {
        "version": 1,
        "minor_version": 6,
        "key": f"{DOMAIN}.{ENTRY_ID}",
        "data": {
            "currencies": {},
            "last_known": {
                "pending": [
                    {
                        "event_type": "top_up",
                        "attributes": {
                            "amount": 10.0,
                            "currency": "CNY",
                            "exact": True,
                        },
                    }
                ]
            },
        },
    }

    await setup_integration(hass, mock_config_entry)
    async_fire_time_changed(hass)  # the write "at once" is the next turn
    await hass.async_block_till_done()

    assert fired == [("top_up", {"amount": 10.0, "currency": "CNY", "exact": True})]
    pending = hass_storage[f"{DOMAIN}.{ENTRY_ID}"]["data"]["last_known"]["pending"]
    assert pending == []
