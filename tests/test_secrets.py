"""The API key never shows: not in logs, errors, states, diagnostics or reprs."""

from collections.abc import Iterable
import json
import logging

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.deepseek_balance.const import CONF_BASE_URL, DOMAIN
from deepseek_simulator import DeepSeekSimulator, Scenario, serve_app

from .conftest import advance, setup_integration

KEY = "sk-hygiene-7f3a9c2e5b1d"
ROTATED_KEY = "sk-hygiene-rotated-8e4b0a"
FAILURES = [
    Scenario.SERVER_ERROR,
    Scenario.BAD_GATEWAY_HTML,
    Scenario.MALFORMED_JSON,
    Scenario.TRUNCATED_JSON,
    Scenario.EMPTY_OBJECT,
    Scenario.RATE_LIMITED,
    Scenario.DROP_CONNECTION,
    Scenario.ACCOUNT_UNAVAILABLE,
]
FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")


def assert_key_never_logged(records: Iterable[logging.LogRecord], key: str) -> None:
    """Every record as a handler would write it: message, arguments, traceback."""
    for record in records:
        text = FORMATTER.format(record) + repr(record.args)
        assert key not in text, text
        assert key[-12:] not in text, text


@pytest.fixture
def api_key() -> str:
    """A key distinctive enough to be found wherever it leaks."""
    return KEY


async def test_key_never_shows_through_setup_failures_reauth_and_diagnostics(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    entry = mock_config_entry
    await setup_integration(hass, entry)
    for scenario in FAILURES:
        simulator.state.scenario = scenario
        await advance(hass, freezer, 31)
        simulator.state.scenario = Scenario.NORMAL
        await advance(hass, freezer, 121)
    simulator.state.api_key = ROTATED_KEY  # refused: reauth starts
    await advance(hass, freezer, 31)
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_API_KEY: ROTATED_KEY}
    )
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    states = json.dumps([state.as_dict() for state in hass.states.async_all()])
    for key in (KEY, ROTATED_KEY):
        assert_key_never_logged(caplog.records, key)
        assert key not in states
        assert key not in json.dumps(diagnostics)
        assert key not in repr(entry.runtime_data.client)
    assert entry.data[CONF_API_KEY] == ROTATED_KEY  # the reauth did happen
    assert any(r.levelno == logging.DEBUG for r in caplog.records)


async def test_a_redirect_never_carries_the_key_elsewhere(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    """A base URL that redirects: the flow fails and the other host gets nothing."""
    stolen: list[str | None] = []

    async def thief(request: web.Request) -> web.Response:
        stolen.append(request.headers.get("Authorization"))
        return web.json_response({"balance_infos": []})

    thief_app = web.Application()
    thief_app.router.add_get("/user/balance", thief)
    async with serve_app(thief_app) as thief_url:

        async def redirect(_: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(f"{thief_url}/user/balance")

        proxy_app = web.Application()
        proxy_app.router.add_get("/user/balance", redirect)
        async with serve_app(proxy_app) as proxy_url:
            result = await hass.config_entries.flow.async_init(
                DOMAIN, context={"source": SOURCE_USER}
            )
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"],
                {CONF_API_KEY: KEY, "advanced": {CONF_BASE_URL: proxy_url}},
            )

    assert result["errors"] == {"base": "cannot_connect"}
    assert stolen == []


@pytest.mark.parametrize(
    "base_url", ["ftp://api.deepseek.com", "file:///etc/passwd", "ws://127.0.0.1"]
)
async def test_base_url_other_than_http_is_refused(
    hass: HomeAssistant, base_url: str
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: KEY, "advanced": {CONF_BASE_URL: base_url}}
    )

    assert result["errors"] == {"base": "invalid_url"}
