"""Fixtures shared by every test: the DeepSeek simulator and a configured entry."""

from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any
from unittest.mock import PropertyMock, patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    CONF_API_KEY,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, ServiceCall
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import (
    HomeAssistantSnapshotExtension,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.deepseek_balance.api import DeepSeekClient, Timing
from custom_components.deepseek_balance.config_flow import DeepSeekConfigFlow
from custom_components.deepseek_balance.const import CONF_BASE_URL, DOMAIN, entry_title
from deepseek_simulator import (
    DEFAULT_API_KEY,
    DeepSeekSimulator,
    SimulatorState,
    run_simulator,
)

ENTRY_ID = "01JDEEPSEEKBALANCETESTENTRY"
ENTRY_TITLE = "DeepSeek ••••0000"
ACTIVITY = "event.deepseek_0000_balance_activity"

type Fired = list[tuple[str, dict[str, object]]]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load custom_components/ in every test that runs it.

    A recorder must be set up before Home Assistant starts, so it comes first.
    """
    if "hass" in request.fixturenames:
        if "recorder_mock" in request.fixturenames:
            request.getfixturevalue("recorder_mock")
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture(autouse=True)
def retry_at_once() -> Iterator[None]:
    """Ask a failed request again at once, not 2 s later: the loop's clock is frozen.

    The tests of the retry itself restore the delay with ``real_retry_delay``.
    """
    with patch(
        "custom_components.deepseek_balance.DeepSeekClient",
        partial(DeepSeekClient, timing=Timing(retry_delay=0)),
    ):
        yield


@pytest.fixture
def real_retry_delay(retry_at_once: None) -> Iterator[None]:
    """The client as the integration makes it: a retry 2 s after a failure."""
    with patch("custom_components.deepseek_balance.DeepSeekClient", DeepSeekClient):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's stable format, whichever plugin loads first."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Enable the entities that are disabled by default, as core's fixture does."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def api_key() -> str:
    """The key the simulator accepts and the entry holds; a module may pick another."""
    return DEFAULT_API_KEY


@pytest.fixture
def options() -> dict[str, Any]:
    """The entry's options: none, unless a test parametrizes them."""
    return {}


@pytest.fixture
async def simulator(
    socket_enabled: None, api_key: str
) -> AsyncIterator[DeepSeekSimulator]:
    """A fresh simulator on 127.0.0.1, answering as DeepSeek documents.

    ``socket_enabled`` lifts the harness's socket block; its allow-list still
    refuses every address but 127.0.0.1.
    """
    async with run_simulator(SimulatorState(api_key=api_key)) as running:
        yield running


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session, as a library user would inject."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def mock_config_entry(
    simulator: DeepSeekSimulator, api_key: str, options: dict[str, Any]
) -> MockConfigEntry:
    """An entry for the simulator's account, as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(api_key),
        entry_id=ENTRY_ID,
        version=DeepSeekConfigFlow.VERSION,
        minor_version=DeepSeekConfigFlow.MINOR_VERSION,
        data={CONF_API_KEY: api_key, CONF_BASE_URL: simulator.url},
        options=options,
    )


@pytest.fixture
def fired(hass: HomeAssistant) -> Fired:
    """Every event the activity entity fires: its type and attributes.

    A restored state repeats an old event's time; only a new time is a new event.
    """
    events: Fired = []
    seen: set[tuple[str, str]] = set()

    def record(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if (
            event.data["entity_id"] != ACTIVITY
            or state is None
            or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE)
            or (state.state, state.attributes["event_type"]) in seen
        ):
            return
        seen.add((state.state, state.attributes["event_type"]))
        own = set(state.attributes) - {"event_type", "event_types", "friendly_name"}
        events.append(
            (
                state.attributes["event_type"],
                {name: state.attributes[name] for name in sorted(own)},
            )
        )

    hass.bus.async_listen(EVENT_STATE_CHANGED, record)
    return events


async def setup_integration(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add the entry and set it up; its first poll must succeed."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The integration set up against the simulator."""
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """The state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.state


async def advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move time on and let every poll that falls due finish over real HTTP."""
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """The calls of ``notify.phone``, the notify action automations here use."""
    calls: list[ServiceCall] = []

    async def record(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("notify", "phone", record)
    return calls
