"""Rate limits: probed only when worth it, shown only once an answer carries them."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.deepseek_balance.account import FAILURE_GRACE
from deepseek_simulator import DeepSeekSimulator, Scenario

from .conftest import advance, setup_integration, state_of

BALANCE, MODELS = "/user/balance", "/v1/models"
P = "sensor.deepseek_0000"
RATE_LIMIT_SENSORS = {
    f"{P}_{kind}_{figure}"
    for kind in ("requests", "tokens")
    for figure in ("limit", "remaining", "reset")
}
POLL = 31  # the 30 s interval, plus Home Assistant's sub-second jitter


def rate_limit_entities(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> set[str]:
    return {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.entity_id in RATE_LIMIT_SENSORS
    }


@pytest.fixture
async def behind_a_gateway(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The entry set up behind a gateway that adds the rate-limit headers."""
    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


async def test_a_real_account_makes_one_request_per_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """No headers: /v1/models is asked at set-up, then once every 10 minutes."""
    for _ in range(19):  # 589 s
        await advance(hass, freezer, POLL)
    assert simulator.state.requests == {BALANCE: 20, MODELS: 1}

    await advance(hass, freezer, POLL)  # 620 s: the probe is due again

    assert simulator.state.requests == {BALANCE: 21, MODELS: 2}
    assert rate_limit_entities(entity_registry, init_integration) == set()


async def test_rate_limit_sensors_appear_with_the_first_headers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS
    await advance(hass, freezer, POLL)
    assert rate_limit_entities(entity_registry, init_integration) == set()

    await advance(hass, freezer, 600)  # the next probe sees the headers

    assert rate_limit_entities(entity_registry, init_integration) == RATE_LIMIT_SENSORS
    requests = hass.states.get(f"{P}_requests_remaining")
    tokens = hass.states.get(f"{P}_tokens_limit")
    assert requests is not None
    assert tokens is not None
    assert (requests.state, requests.attributes["unit_of_measurement"]) == (
        "9999",
        "requests",
    )
    assert (tokens.state, tokens.attributes["unit_of_measurement"]) == (
        "5000000",
        "tokens",
    )
    for reset in (f"{P}_requests_reset", f"{P}_tokens_reset"):
        registry_entry = entity_registry.async_get(reset)
        assert registry_entry is not None
        assert registry_entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION


async def test_with_headers_every_poll_probes_and_their_loss_backs_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    behind_a_gateway: MockConfigEntry,
) -> None:
    for _ in range(3):
        await advance(hass, freezer, POLL)
    assert simulator.state.requests == {BALANCE: 4, MODELS: 4}

    simulator.state.scenario = Scenario.NORMAL  # the gateway stops sending them
    for _ in range(3):
        await advance(hass, freezer, POLL)

    assert simulator.state.requests == {BALANCE: 7, MODELS: 5}
    assert state_of(hass, f"{P}_requests_remaining") == STATE_UNKNOWN


async def test_rate_limit_sensors_stay_across_a_restart_without_headers(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    behind_a_gateway: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.NORMAL

    assert await hass.config_entries.async_reload(behind_a_gateway.entry_id)
    await hass.async_block_till_done()

    assert rate_limit_entities(entity_registry, behind_a_gateway) == RATE_LIMIT_SENSORS
    assert state_of(hass, f"{P}_requests_limit") == STATE_UNKNOWN


async def test_rate_limit_sensors_follow_the_balance_through_an_outage(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    behind_a_gateway: MockConfigEntry,
) -> None:
    """Their last figures stay within the grace, then go with the balance's."""
    simulator.state.scenario = Scenario.SERVER_ERROR
    await advance(hass, freezer, POLL)
    assert state_of(hass, f"{P}_requests_remaining") == "9999"

    for _ in range(int(FAILURE_GRACE.total_seconds()) // 30):
        await advance(hass, freezer, POLL)
    assert state_of(hass, f"{P}_requests_remaining") == STATE_UNAVAILABLE

    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS
    await advance(hass, freezer, POLL)
    assert state_of(hass, f"{P}_requests_remaining") == "9999"


@pytest.mark.parametrize(
    ("scenario", "headers_seen", "probed_again"),
    [(Scenario.NORMAL, False, False), (Scenario.RATE_LIMIT_HEADERS, True, True)],
)
async def test_diagnostics_say_when_the_probe_ran_and_what_it_saw(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    scenario: Scenario,
    headers_seen: bool,
    probed_again: bool,
) -> None:
    simulator.state.scenario = scenario
    await setup_integration(hass, mock_config_entry)
    set_up_at = dt_util.utcnow().isoformat()

    await advance(hass, freezer, POLL)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    probe = diagnostics["rate_limit_probe"]
    assert probe["headers_seen"] is headers_seen
    assert (probe["last_run"] == set_up_at) is not probed_again
    assert simulator.state.requests[MODELS] == 1 + probed_again


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param({MODELS: Scenario.RATE_LIMITED}, id="the probe"),
        pytest.param({BALANCE: Scenario.RATE_LIMITED}, id="the balance"),
    ],
)
async def test_a_429_shows_what_is_left_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    behind_a_gateway: MockConfigEntry,
    refused: dict[str, Scenario],
) -> None:
    """A gateway's 429 carries the headers at their most telling moment: 0."""
    assert state_of(hass, f"{P}_requests_remaining") == "9999"
    simulator.state.path_scenarios = refused

    for _ in range(3):
        await advance(hass, freezer, POLL)
        assert state_of(hass, f"{P}_requests_remaining") == "0"

    assert state_of(hass, f"{P}_requests_limit") == "10000"
    assert state_of(hass, f"{P}_total_balance_cny") == "110.00"
