"""Sensor and binary sensor entities, pinned by snapshots."""

from decimal import Decimal
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.deepseek_balance.const import DOMAIN
from custom_components.deepseek_balance.sensor import CURRENCY_SENSORS
from deepseek_simulator import CurrencyAccount, DeepSeekSimulator, Scenario

from .conftest import ENTRY_ID, advance, setup_integration, state_of


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.freeze_time("2026-11-27 12:00:00+00:00")  # "Spend today" resets by date
@pytest.mark.parametrize(
    "platform", [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.EVENT]
)
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    platform: Platform,
) -> None:
    """Every entity there can be: behind a gateway that adds rate-limit headers."""
    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.deepseek_balance.PLATFORMS", [platform]):
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


def currency_sensors(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> dict[str, list[str]]:
    """The sensor keys of each currency, read from the registry's unique IDs."""
    found: dict[str, list[str]] = {}
    keys = {description.key for description in CURRENCY_SENSORS}
    for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id):
        currency, _, key = entity.unique_id.removeprefix(
            f"{entry.entry_id}_"
        ).partition("_")
        if key in keys:
            found.setdefault(currency.upper(), []).append(key)
    return found


async def test_a_zero_row_beside_the_funded_one_adds_nothing(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY
    await setup_integration(hass, mock_config_entry)

    sensors = currency_sensors(entity_registry, mock_config_entry)

    assert list(sensors) == ["CNY"]
    assert sorted(sensors["CNY"]) == [
        "average_daily_spend",
        "balance_left",
        "days_remaining",
        "granted_balance",
        "projected_spend_this_month",
        "spend_this_month",
        "spend_today",
        "topped_up_balance",
        "total_balance",
    ]
    assert state_of(hass, "sensor.deepseek_0000_total_balance_cny") == "110.00"


async def test_the_only_row_of_an_empty_account_shows(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.accounts = {"CNY": CurrencyAccount(Decimal(0), Decimal(0))}
    await setup_integration(hass, mock_config_entry)

    assert list(currency_sensors(entity_registry, mock_config_entry)) == ["CNY"]
    assert state_of(hass, "sensor.deepseek_0000_total_balance_cny") == "0.00"


async def test_a_currency_appears_when_funded_and_stays_when_empty_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY
    await setup_integration(hass, mock_config_entry)

    simulator.state.scenario = Scenario.NORMAL
    simulator.state.top_up("USD", Decimal("5.00"))
    await advance(hass, freezer, 31)
    assert state_of(hass, "sensor.deepseek_0000_total_balance_usd") == "5.00"

    simulator.state.spend("USD", Decimal("5.00"))
    await advance(hass, freezer, 31)
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert sorted(currency_sensors(entity_registry, mock_config_entry)) == [
        "CNY",
        "USD",
    ]
    assert state_of(hass, "sensor.deepseek_0000_total_balance_usd") == "0.00"


async def test_the_only_row_shows_even_when_its_amounts_are_unreadable(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.accounts = {"CNY": CurrencyAccount(Decimal("NaN"), Decimal("NaN"))}
    await setup_integration(hass, mock_config_entry)

    assert list(currency_sensors(entity_registry, mock_config_entry)) == ["CNY"]
    assert state_of(hass, "sensor.deepseek_0000_total_balance_cny") == "unavailable"


@pytest.mark.parametrize(
    ("changes", "rate_limits_stay"),
    [
        pytest.param({}, False, id="untouched"),
        pytest.param({"name": "Gateway requests left"}, True, id="renamed"),
        pytest.param({"area_id": "office"}, True, id="in an area"),
    ],
)
async def test_sensors_an_older_release_created_for_nothing_are_removed(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    hass_storage: dict[str, Any],
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    changes: dict[str, Any],
    rate_limits_stay: bool,
) -> None:
    """0.1.0 made rate-limit sensors for every account and sensors for zero rows.

    When its entry is migrated, what showed a figure (a currency in its history,
    USD's zero row too) stays; so does what the user renamed or put in an area
    (the rate-limit sensors come as one group); what never showed one goes.
    """
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, minor_version=1)

    def registered(suffix: str, **changes: Any) -> er.RegistryEntry:
        entry = entity_registry.async_get_or_create(
            "sensor", DOMAIN, f"{ENTRY_ID}_{suffix}", config_entry=mock_config_entry
        )
        return entity_registry.async_update_entity(entry.entity_id, **changes)

    registered("cny_total_balance")
    registered("usd_total_balance")  # in its history: it showed 0.00
    registered("eur_total_balance")  # never listed: never a figure
    requests = registered("requests_remaining", **changes)
    series = {"since": 1_764_000_000, "samples": [[1_764_000_000, "0", "0", "0", "0"]]}
    hass_storage[f"{DOMAIN}.{ENTRY_ID}"] = {  # a store of 0.1.0: history only
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{ENTRY_ID}",
        "data": {"currencies": {"CNY": series, "USD": series}},
    }

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert list(currency_sensors(entity_registry, mock_config_entry)) == [
        "CNY",
        "USD",
    ]
    kept = entity_registry.async_get(requests.entity_id)
    assert (kept is not None) is rate_limits_stay
    if rate_limits_stay:
        assert state_of(hass, requests.entity_id) == STATE_UNKNOWN  # no headers


async def test_a_duration_is_named_after_its_currency_only_beside_another(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    days = "sensor.deepseek_0000_days_remaining"
    assert hass.states.get(days).name == "DeepSeek ••••0000 Days remaining"  # type: ignore[union-attr]

    simulator.state.top_up("USD", Decimal("5.00"))
    await advance(hass, freezer, 31)
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert hass.states.get(days).name == "DeepSeek ••••0000 Days remaining (CNY)"  # type: ignore[union-attr]
    usd = hass.states.get("sensor.deepseek_0000_days_remaining_usd")
    assert usd is not None
    assert usd.name == "DeepSeek ••••0000 Days remaining (USD)"


async def test_balance_left_is_a_share_of_the_total_after_the_last_arrival(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """100 % at the first reading and after a top-up or a grant, then falling."""
    left = "sensor.deepseek_0000_balance_left_of_last_top_up"
    shown = [state_of(hass, left)]  # 110.00
    for change, currency_amount in (
        (simulator.state.spend, "11.00"),  # 99.00 of 110.00
        (simulator.state.top_up, "50.00"),  # 149.00
        (simulator.state.spend, "74.50"),  # half of it
        (simulator.state.grant, "10.00"),  # 84.50
        (simulator.state.spend, "21.125"),  # a quarter of it
    ):
        change("CNY", Decimal(currency_amount))
        await advance(hass, freezer, 31)
        shown.append(state_of(hass, left))

    assert shown == ["100", "90", "100", "50", "100", "75"]
    state = hass.states.get(left)
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "%"
    assert state.name == "DeepSeek ••••0000 Balance left of last top-up"
