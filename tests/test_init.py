"""Setting up, polling, failing, recovering and unloading the integration."""

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.deepseek_balance.account import (
    FAILURE_GRACE,
    RATE_LIMITED_GRACE,
)
from custom_components.deepseek_balance.const import CONF_BASE_URL, DOMAIN
from deepseek_simulator import CurrencyAccount, DeepSeekSimulator, Scenario

from .conftest import ACTIVITY, advance, setup_integration, state_of

TOTAL_CNY = "sensor.deepseek_0000_total_balance_cny"
GRANTED_CNY = "sensor.deepseek_0000_granted_balance_cny"
TOPPED_UP_CNY = "sensor.deepseek_0000_top_up_balance_cny"
API_STATUS = "sensor.deepseek_0000_api_status"
ACCOUNT_AVAILABLE = "binary_sensor.deepseek_0000_account_available"
BALANCE_PATH = "/user/balance"


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert init_integration.state is ConfigEntryState.LOADED
    assert state_of(hass, TOTAL_CNY) == "110.00"
    assert state_of(hass, GRANTED_CNY) == "10.00"
    assert state_of(hass, TOPPED_UP_CNY) == "100.00"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert state_of(hass, TOTAL_CNY) == STATE_UNAVAILABLE


async def test_unload_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    requests_at_unload = simulator.state.requests[BALANCE_PATH]

    await advance(hass, freezer, 300)

    assert simulator.state.requests[BALANCE_PATH] == requests_at_unload


async def test_one_service_device(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )

    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, init_integration.entry_id)}
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "DeepSeek"
    assert device.name == "DeepSeek ••••0000"
    assert device.configuration_url == "https://platform.deepseek.com/usage"


async def test_the_client_uses_home_assistants_shared_session(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No session of its own: every request goes through Home Assistant's."""
    async_get_clientsession(hass)
    created: list[aiohttp.ClientSession] = []
    make_session = aiohttp.ClientSession.__init__

    def counted(session: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        created.append(session)
        make_session(session, *args, **kwargs)

    with patch.object(aiohttp.ClientSession, "__init__", counted):
        await setup_integration(hass, mock_config_entry)
        await advance(hass, freezer, 31)

    assert simulator.state.requests[BALANCE_PATH] == 2
    assert created == []


async def test_reload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.LOADED
    assert state_of(hass, TOTAL_CNY) == "110.00"


@pytest.mark.parametrize(
    ("scenario", "state"),
    [
        (Scenario.RATE_LIMITED, ConfigEntryState.SETUP_RETRY),
        (Scenario.SERVER_ERROR, ConfigEntryState.SETUP_RETRY),
        (Scenario.MALFORMED_JSON, ConfigEntryState.SETUP_RETRY),
        (Scenario.DROP_CONNECTION, ConfigEntryState.SETUP_RETRY),
        (Scenario.UNAUTHORIZED, ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_setup_failures(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    scenario: Scenario,
    state: ConfigEntryState,
) -> None:
    simulator.state.scenario = scenario
    mock_config_entry.add_to_hass(hass)

    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is state
    reauth_flows = [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(reauth_flows) == (1 if scenario is Scenario.UNAUTHORIZED else 0)


async def test_setup_refuses_a_stored_base_url_it_cannot_trust(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_BASE_URL: "file:///etc/passwd"},
    )

    await hass.config_entries.async_setup(mock_config_entry.entry_id)

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason == (
        "The stored API base URL of DeepSeek ••••0000 is not a valid http:// or "
        "https:// URL; "
        "reconfigure the entry"
    )


@pytest.mark.parametrize(
    ("scenario", "api_status"),
    [
        (Scenario.RATE_LIMITED, "rate_limited"),
        (Scenario.SERVER_ERROR, "api_error"),
        (Scenario.BAD_GATEWAY_HTML, "api_error"),
        (Scenario.MALFORMED_JSON, "api_error"),
        (Scenario.EMPTY_OBJECT, "api_error"),
        (Scenario.DROP_CONNECTION, "connection_error"),
    ],
)
async def test_a_failed_poll_keeps_the_figures_and_the_status_says_why(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    scenario: Scenario,
    api_status: str,
) -> None:
    simulator.state.scenario = scenario

    await advance(hass, freezer, 30)

    assert state_of(hass, TOTAL_CNY) == "110.00"
    assert state_of(hass, ACCOUNT_AVAILABLE) == STATE_ON
    assert state_of(hass, ACTIVITY) == STATE_UNKNOWN  # no event yet, still none
    assert state_of(hass, API_STATUS) == api_status

    simulator.state.scenario = Scenario.NORMAL
    simulator.state.spend("CNY", Decimal("0.50"))
    await advance(hass, freezer, 120)  # past any Retry-After

    assert state_of(hass, TOTAL_CNY) == "109.50"
    assert state_of(hass, GRANTED_CNY) == "9.50"
    assert state_of(hass, API_STATUS) == "ok"


@pytest.mark.parametrize(
    ("scenario", "api_status", "grace"),
    [
        (Scenario.SERVER_ERROR, "api_error", FAILURE_GRACE),
        (Scenario.DROP_CONNECTION, "connection_error", FAILURE_GRACE),
        (Scenario.RATE_LIMITED, "rate_limited", RATE_LIMITED_GRACE),
    ],
)
async def test_past_the_grace_the_figures_go_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    scenario: Scenario,
    api_status: str,
    grace: timedelta,
) -> None:
    simulator.state.scenario = scenario
    await advance(hass, freezer, 30)  # the first failed poll
    for _ in range(int(grace.total_seconds()) // 30 - 1):
        await advance(hass, freezer, 30)
    assert state_of(hass, TOTAL_CNY) == "110.00"

    await advance(hass, freezer, 30)

    assert state_of(hass, TOTAL_CNY) == STATE_UNAVAILABLE
    assert state_of(hass, ACCOUNT_AVAILABLE) == STATE_UNAVAILABLE
    assert state_of(hass, API_STATUS) == api_status
    assert state_of(hass, ACTIVITY) == STATE_UNKNOWN

    simulator.state.scenario = Scenario.NORMAL
    await advance(hass, freezer, 150)
    assert state_of(hass, TOTAL_CNY) == "110.00"


async def test_answer_slower_than_the_timeout_is_a_connection_error(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.SLOW
    freezer.tick(30)
    async_fire_time_changed(hass)
    # The loop's clock stands still: wait until the balance request is in flight,
    # then move time past the 10 s request timeout.
    await simulator.state.wait_until(lambda: simulator.state.in_flight == 1)
    requests = simulator.state.requests[BALANCE_PATH]
    freezer.tick(11)
    async_fire_time_changed(hass)
    # Asked again once, within the poll's 25 s: no answer either.
    await simulator.state.wait_until(
        lambda: (
            simulator.state.requests[BALANCE_PATH] == requests + 1
            and simulator.state.in_flight == 1
        )
    )
    assert state_of(hass, API_STATUS) == "ok"  # the poll has not failed yet

    await advance(hass, freezer, 11)

    assert state_of(hass, TOTAL_CNY) == "110.00"  # within the grace
    assert state_of(hass, API_STATUS) == "connection_error"


async def test_a_short_outage_is_a_warning_and_its_end_is_said(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.state.scenario = Scenario.SERVER_ERROR
    for _ in range(5):
        await advance(hass, freezer, 30)
    simulator.state.scenario = Scenario.NORMAL
    for _ in range(3):
        await advance(hass, freezer, 30)

    assert logged(caplog) == [
        (
            "WARNING",
            (
                "DeepSeek ••••0000: The DeepSeek API gave an answer that cannot be "
                "used: Unexpected answer (HTTP 500); the last figures stay shown for "
                "up to 10 minutes"
            ),
        ),
        ("INFO", "DeepSeek ••••0000: DeepSeek answers again"),
    ]


async def test_a_429_is_a_warning_that_says_how_long_it_waits(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMITED  # Retry-After: 120
    for _ in range(5):
        await advance(hass, freezer, 30)

    assert logged(caplog) == [
        (
            "WARNING",
            (
                "DeepSeek ••••0000: DeepSeek asked to wait 120 s before the next "
                "request; the last figures stay shown for up to 60 minutes"
            ),
        ),
    ]


async def test_an_outage_past_the_grace_is_an_error_naming_the_account_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.state.scenario = Scenario.DROP_CONNECTION
    await advance(hass, freezer, 30)
    simulator.state.scenario = Scenario.SERVER_ERROR
    for _ in range(int(FAILURE_GRACE.total_seconds()) // 30 + 2):
        await advance(hass, freezer, 30)

    (warning, error) = logged(caplog)  # one line as it began, one past the grace
    assert warning[0] == "WARNING"
    assert "Connection to 127.0.0.1 failed" in warning[1]
    assert error == (
        "ERROR",
        (
            "Error fetching DeepSeek ••••0000 data: The DeepSeek API gave an answer "
            "that cannot be used: Unexpected answer (HTTP 500)"
        ),
    )


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    """What the integration's loggers said at INFO or above."""
    return [
        (record.levelname, record.getMessage())
        for record in caplog.records
        if record.name.startswith("custom_components")
        and record.levelno >= logging.INFO
    ]


async def test_status_follows_a_change_of_failure_kind(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.SERVER_ERROR
    await advance(hass, freezer, 30)
    assert state_of(hass, API_STATUS) == "api_error"

    simulator.state.scenario = Scenario.DROP_CONNECTION
    await advance(hass, freezer, 30)

    assert state_of(hass, API_STATUS) == "connection_error"


async def test_auth_failure_opens_one_reauth_flow_and_stops_polling(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.api_key = "sk-test-rotated"
    await advance(hass, freezer, 30)
    requests_after_failure = simulator.state.requests[BALANCE_PATH]

    for _ in range(4):
        await advance(hass, freezer, 30)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id
    assert simulator.state.requests[BALANCE_PATH] == requests_after_failure
    assert state_of(hass, TOTAL_CNY) == STATE_UNAVAILABLE
    assert state_of(hass, API_STATUS) == "auth_failed"


async def test_retry_after_delays_the_next_poll(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMITED  # Retry-After: 120
    await advance(hass, freezer, 30)
    requests_after_429 = simulator.state.requests[BALANCE_PATH]
    simulator.state.scenario = Scenario.NORMAL

    # Home Assistant schedules on whole seconds plus a sub-second jitter.
    for _ in range(5):
        await advance(hass, freezer, 23)  # 115 s: the 30 s interval would poll
    assert simulator.state.requests[BALANCE_PATH] == requests_after_429
    assert state_of(hass, TOTAL_CNY) == "110.00"
    assert state_of(hass, API_STATUS) == "rate_limited"

    await advance(hass, freezer, 10)
    assert simulator.state.requests[BALANCE_PATH] == requests_after_429 + 1
    assert state_of(hass, TOTAL_CNY) == "110.00"


async def test_unchanged_account_writes_no_state(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    changes: list[Event] = []
    hass.bus.async_listen(EVENT_STATE_CHANGED, changes.append)
    polls_before = simulator.state.requests[BALANCE_PATH]

    for _ in range(5):
        await advance(hass, freezer, 30)

    assert simulator.state.requests[BALANCE_PATH] == polls_before + 5
    assert changes == []


async def test_currency_that_appears_later_gets_sensors_without_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    assert hass.states.get("sensor.deepseek_0000_total_balance_usd") is None

    simulator.state.top_up("USD", Decimal("5.25"))
    await advance(hass, freezer, 30)

    state = hass.states.get("sensor.deepseek_0000_total_balance_usd")
    assert state is not None
    assert state.state == "5.25"
    assert state.attributes["unit_of_measurement"] == "USD"
    assert state.attributes["friendly_name"] == "DeepSeek ••••0000 Total balance (USD)"
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    assert sum(entry.unique_id.endswith("_usd_total_balance") for entry in entries) == 1


async def test_currency_that_disappears_goes_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.EMPTY_BALANCE_INFOS
    await advance(hass, freezer, 30)

    assert state_of(hass, TOTAL_CNY) == STATE_UNAVAILABLE
    assert state_of(hass, API_STATUS) == "unreadable_balance"  # no row at all


async def test_a_currency_no_longer_listed_is_unavailable_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.accounts["USD"] = CurrencyAccount(Decimal(0), Decimal(5))
    await advance(hass, freezer, 30)
    assert state_of(hass, "sensor.deepseek_0000_total_balance_usd") == "5.00"

    del simulator.state.accounts["USD"]
    await advance(hass, freezer, 30)

    assert state_of(hass, "sensor.deepseek_0000_total_balance_usd") == (
        STATE_UNAVAILABLE
    )
    assert state_of(hass, TOTAL_CNY) == "110.00"
    assert state_of(hass, API_STATUS) == "ok"


async def test_unreadable_amount_is_unavailable_never_zero(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.accounts["CNY"].granted = Decimal("NaN")
    await advance(hass, freezer, 30)

    assert state_of(hass, GRANTED_CNY) == STATE_UNAVAILABLE
    assert state_of(hass, TOTAL_CNY) == STATE_UNAVAILABLE  # NaN + 100 is NaN too
    assert state_of(hass, TOPPED_UP_CNY) == "100.00"
    assert state_of(hass, API_STATUS) == "unreadable_balance"


async def test_account_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.is_available = False
    await advance(hass, freezer, 30)

    assert state_of(hass, ACCOUNT_AVAILABLE) == STATE_OFF
    assert state_of(hass, API_STATUS) == "account_unavailable"
    assert state_of(hass, TOTAL_CNY) == "110.00"


async def test_rate_limited_without_retry_after_keeps_the_interval(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.scenario = Scenario.RATE_LIMITED
    simulator.state.retry_after = None
    await advance(hass, freezer, 30)
    assert state_of(hass, API_STATUS) == "rate_limited"
    simulator.state.scenario = Scenario.NORMAL

    await advance(hass, freezer, 31)

    assert state_of(hass, TOTAL_CNY) == "110.00"


@pytest.fixture
def retry_waiting() -> Iterator[asyncio.Event]:
    """Set once the client waits to ask again: the loop's clock can then move."""
    waiting = asyncio.Event()

    class Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("Asking /user/balance again"):
                waiting.set()

    logger = logging.getLogger("custom_components.deepseek_balance.api")
    handler, level = Handler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield waiting
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.mark.parametrize(
    "scenario",
    [Scenario.SERVER_ERROR, Scenario.BAD_GATEWAY_HTML, Scenario.TRUNCATED_JSON],
)
async def test_one_failed_request_blanks_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    real_retry_delay: None,
    retry_waiting: asyncio.Event,
    init_integration: MockConfigEntry,
    scenario: Scenario,
) -> None:
    """A failure gone two seconds later is asked again within the poll."""
    changes: list[Event] = []
    hass.bus.async_listen(EVENT_STATE_CHANGED, changes.append)
    asked = simulator.state.requests[BALANCE_PATH]
    simulator.state.next_answer = scenario

    freezer.tick(30)
    async_fire_time_changed(hass)
    await retry_waiting.wait()
    await advance(hass, freezer, 2)  # the retry, two seconds later

    assert simulator.state.requests[BALANCE_PATH] == asked + 2
    assert changes == []  # nothing went unavailable, nothing flickered
    assert state_of(hass, API_STATUS) == "ok"


async def test_a_request_that_fails_again_makes_the_poll_fail(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    real_retry_delay: None,
    retry_waiting: asyncio.Event,
    init_integration: MockConfigEntry,
) -> None:
    asked = simulator.state.requests[BALANCE_PATH]
    simulator.state.scenario = Scenario.SERVER_ERROR

    freezer.tick(30)
    async_fire_time_changed(hass)
    await retry_waiting.wait()
    assert state_of(hass, API_STATUS) == "ok"  # not before the retry
    await advance(hass, freezer, 2)

    assert simulator.state.requests[BALANCE_PATH] == asked + 2
    assert state_of(hass, API_STATUS) == "api_error"
