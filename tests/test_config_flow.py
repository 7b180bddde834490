"""Every path of the config, reauth, reconfigure and options flows."""

from decimal import Decimal
import json
from typing import Any
from unittest.mock import patch

from aiohttp.test_utils import TestClient
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.deepseek_balance.api import (
    DeepSeekAuthError,
    DeepSeekConnectionError,
)
from custom_components.deepseek_balance.const import (
    CONF_BASE_URL,
    CONF_LIMIT_CURRENCY,
    CONF_LOW_BALANCE_DAYS,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_MONTHLY_BUDGET,
    DOMAIN,
    SECTION_ADVANCED,
)
from deepseek_simulator import (
    DEFAULT_API_KEY,
    CurrencyAccount,
    DeepSeekSimulator,
    Scenario,
)

from .conftest import ENTRY_TITLE
from .frontend import FLOW_URL, open_form, press_submit

NEW_KEY = "sk-test-1a2b"


def credentials(api_key: str, base_url: str) -> dict[str, Any]:
    return {CONF_API_KEY: api_key, SECTION_ADVANCED: {CONF_BASE_URL: base_url}}


def suggested_value(result: Any, field: str, section: str | None = None) -> Any:
    """The value the form pre-fills for a field, optionally inside a section."""
    schema = result["data_schema"].schema
    if section is not None:
        schema = next(value for key, value in schema.items() if key == section)
        schema = schema.schema.schema
    for key in schema:
        if key == field:
            return (key.description or {}).get("suggested_value")
    raise KeyError(field)


async def test_user_flow_creates_the_entry(
    hass: HomeAssistant, simulator: DeepSeekSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(f"  {DEFAULT_API_KEY} ", f"{simulator.url}/")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ENTRY_TITLE
    assert result["data"] == {
        CONF_API_KEY: DEFAULT_API_KEY,
        CONF_BASE_URL: simulator.url,
    }
    assert simulator.state.requests["/user/balance"] >= 1


async def test_deepseek_base_url_in_the_environment_is_the_default(
    hass: HomeAssistant, simulator: DeepSeekSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As OPENAI_BASE_URL is for OpenAI's SDK: a gateway for every new entry."""
    monkeypatch.setenv("DEEPSEEK_BASE_URL", f" {simulator.url}/ ")
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["description_placeholders"]["default_base_url"] == simulator.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEFAULT_API_KEY, SECTION_ADVANCED: {}}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_BASE_URL] == simulator.url


ENVIRONMENT_KEY = "sk-environment-secret-7f3a"


async def test_an_environment_key_is_named_by_its_end_and_used_when_empty(
    hass: HomeAssistant, simulator: DeepSeekSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", ENVIRONMENT_KEY)
    simulator.state.api_key = ENVIRONMENT_KEY
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "environment_key"
    assert result["description_placeholders"]["key_end"] == "7f3a"
    assert suggested_value(result, CONF_API_KEY) is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {SECTION_ADVANCED: {CONF_BASE_URL: simulator.url}}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_API_KEY] == ENVIRONMENT_KEY
    assert result["title"] == "DeepSeek ••••7f3a"


async def test_a_typed_key_wins_over_the_environment_key(
    hass: HomeAssistant, simulator: DeepSeekSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", ENVIRONMENT_KEY)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(DEFAULT_API_KEY, simulator.url)
    )

    assert result["data"][CONF_API_KEY] == DEFAULT_API_KEY


async def test_the_environment_key_never_reaches_the_browser(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: DeepSeekSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flow's JSON, as the frontend gets it: form, error and result."""
    monkeypatch.setenv("DEEPSEEK_API_KEY", ENVIRONMENT_KEY)
    simulator.state.api_key = ENVIRONMENT_KEY
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    answers = []

    response = await client.post(
        "/api/config/config_entries/flow", json={"handler": DOMAIN}
    )
    answers.append(await response.text())
    flow_id = json.loads(answers[0])["flow_id"]
    for base_url in ("ftp://nowhere.invalid", simulator.url):  # an error, then done
        response = await client.post(
            f"/api/config/config_entries/flow/{flow_id}",
            json={SECTION_ADVANCED: {CONF_BASE_URL: base_url}},
        )
        answers.append(await response.text())

    assert json.loads(answers[-1])["type"] == "create_entry"
    assert not [answer for answer in answers if ENVIRONMENT_KEY[:-4] in answer]
    assert "7f3a" in answers[0]  # the end of the key is how the form names it


async def test_an_environment_key_gone_before_the_answer_asks_again(
    hass: HomeAssistant, simulator: DeepSeekSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", ENVIRONMENT_KEY)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    monkeypatch.delenv("DEEPSEEK_API_KEY")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {SECTION_ADVANCED: {CONF_BASE_URL: simulator.url}}
    )

    assert result["step_id"] == "user"
    assert result["errors"] == {}
    assert simulator.state.requests == {}  # no request without a key


async def test_an_empty_key_is_refused_without_a_request(
    hass: HomeAssistant, simulator: DeepSeekSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials("  ", simulator.url)
    )

    assert result["errors"] == {"base": "invalid_auth"}
    assert simulator.state.requests == {}


async def test_without_an_environment_key_the_field_is_required(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["step_id"] == "user"

    with pytest.raises(InvalidData):
        await hass.config_entries.flow.async_configure(
            result["flow_id"], {SECTION_ADVANCED: {CONF_BASE_URL: "http://x.invalid"}}
        )


def advanced_is_expanded(result: Any) -> bool:
    advanced = result["data_schema"].schema[SECTION_ADVANCED]
    return not advanced.options["collapsed"]


@pytest.mark.parametrize(
    ("base_url", "scenario", "error", "expanded"),
    [
        ("ftp://api.deepseek.com", Scenario.NORMAL, "invalid_url", True),
        (None, Scenario.SERVER_ERROR, "cannot_connect", True),  # a proxy's URL
        (None, Scenario.UNAUTHORIZED, "invalid_auth", True),  # a typed URL stays
    ],
)
async def test_an_error_of_the_base_url_shows_the_advanced_section(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    base_url: str | None,
    scenario: Scenario,
    error: str,
    expanded: bool,
) -> None:
    simulator.state.scenario = scenario
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert not advanced_is_expanded(result)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(DEFAULT_API_KEY, base_url or simulator.url)
    )

    assert result["errors"] == {"base": error}
    assert advanced_is_expanded(result) is expanded


async def test_deepseek_unreachable_at_its_own_url_shows_the_url(
    hass: HomeAssistant,
) -> None:
    """An error at this base URL comes with the URL in sight; never reached here."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(
        "custom_components.deepseek_balance.config_flow.DeepSeekClient.balance",
        side_effect=DeepSeekConnectionError("unreachable"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], credentials(DEFAULT_API_KEY, "https://api.deepseek.com")
        )

    assert result["errors"] == {"base": "cannot_connect"}
    assert advanced_is_expanded(result)


async def test_a_refused_key_at_the_default_url_keeps_the_section_closed(
    hass: HomeAssistant,
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(
        "custom_components.deepseek_balance.config_flow.DeepSeekClient.balance",
        side_effect=DeepSeekAuthError("refused"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], credentials(DEFAULT_API_KEY, "https://api.deepseek.com")
        )

    assert result["errors"] == {"base": "invalid_auth"}
    assert not advanced_is_expanded(result)


async def test_the_forms_of_an_entry_at_a_gateway_show_its_url(
    hass: HomeAssistant, simulator: DeepSeekSimulator, init_integration: MockConfigEntry
) -> None:
    reconfigure = await init_integration.start_reconfigure_flow(hass)
    reauth = await init_integration.start_reauth_flow(hass)

    for form in (reconfigure, reauth):
        assert advanced_is_expanded(form)
        assert suggested_value(form, CONF_BASE_URL, SECTION_ADVANCED) == simulator.url
        assert suggested_value(form, CONF_API_KEY) is None  # never sent back


async def test_a_new_key_alone_keeps_the_entrys_url(
    hass: HomeAssistant, simulator: DeepSeekSimulator, init_integration: MockConfigEntry
) -> None:
    simulator.state.api_key = NEW_KEY
    reauth = await init_integration.start_reauth_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"], {CONF_API_KEY: NEW_KEY}
    )

    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_BASE_URL] == simulator.url


@pytest.mark.parametrize(
    ("typed_key", "scenario", "base_url", "error"),
    [
        ("sk-test-wrong", Scenario.NORMAL, None, "invalid_auth"),
        (DEFAULT_API_KEY, Scenario.UNAUTHORIZED, None, "invalid_auth"),
        (DEFAULT_API_KEY, Scenario.SERVER_ERROR, None, "cannot_connect"),
        (DEFAULT_API_KEY, Scenario.BAD_GATEWAY_HTML, None, "cannot_connect"),
        (DEFAULT_API_KEY, Scenario.RATE_LIMITED, None, "cannot_connect"),
        (DEFAULT_API_KEY, Scenario.DROP_CONNECTION, None, "cannot_connect"),
        (DEFAULT_API_KEY, Scenario.NORMAL, "ftp://api.deepseek.com", "invalid_url"),
        (DEFAULT_API_KEY, Scenario.NORMAL, "not a url", "invalid_url"),
    ],
)
async def test_user_flow_errors_recover(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    typed_key: str,
    scenario: Scenario,
    base_url: str | None,
    error: str,
) -> None:
    simulator.state.scenario = scenario
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(typed_key, base_url or simulator.url)
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    simulator.state.scenario = Scenario.NORMAL
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(DEFAULT_API_KEY, simulator.url)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_unexpected_error_recovers(
    hass: HomeAssistant, simulator: DeepSeekSimulator
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    with patch(
        "custom_components.deepseek_balance.config_flow.DeepSeekClient.balance",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], credentials(DEFAULT_API_KEY, simulator.url)
        )

    assert result["errors"] == {"base": "unknown"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(DEFAULT_API_KEY, simulator.url)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_key_and_base_url_cannot_be_added_twice(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(DEFAULT_API_KEY, f"{simulator.url}/")
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_replaces_the_key_and_reloads(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    simulator.state.api_key = NEW_KEY
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["name"] == ENTRY_TITLE

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: DEFAULT_API_KEY}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: NEW_KEY}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_API_KEY] == NEW_KEY
    assert init_integration.data[CONF_BASE_URL] == simulator.url
    assert init_integration.title == "DeepSeek ••••1a2b"
    state = hass.states.get("sensor.deepseek_0000_total_balance_cny")
    assert state is not None
    assert state.state == "110.00"


async def test_reconfigure_changes_key_and_base_url(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"
    assert suggested_value(result, CONF_BASE_URL, SECTION_ADVANCED) == simulator.url
    assert suggested_value(result, CONF_API_KEY) is None  # never sent to the browser

    simulator.state.scenario = Scenario.SERVER_ERROR
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(NEW_KEY, f"{simulator.url}/proxy")
    )
    assert result["errors"] == {"base": "cannot_connect"}

    simulator.state.scenario = Scenario.NORMAL
    simulator.state.api_key = NEW_KEY
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(NEW_KEY, f"{simulator.url}/")
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data == {
        CONF_API_KEY: NEW_KEY,
        CONF_BASE_URL: simulator.url,
    }
    assert init_integration.title == "DeepSeek ••••1a2b"


@pytest.mark.parametrize("flow", ["reauth", "reconfigure"])
async def test_a_title_the_user_chose_survives_a_new_key(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    flow: str,
) -> None:
    hass.config_entries.async_update_entry(init_integration, title="Work account")
    simulator.state.api_key = NEW_KEY
    if flow == "reauth":
        result = await init_integration.start_reauth_flow(hass)
        user_input: dict[str, Any] = {CONF_API_KEY: NEW_KEY}
    else:
        result = await init_integration.start_reconfigure_flow(hass)
        user_input = credentials(NEW_KEY, simulator.url)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    await hass.async_block_till_done()

    assert result["reason"] == f"{flow}_successful"
    assert init_integration.data[CONF_API_KEY] == NEW_KEY
    assert init_integration.title == "Work account"


async def test_reconfigure_without_a_key_keeps_the_current_one(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    result = await init_integration.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {SECTION_ADVANCED: {CONF_BASE_URL: f"{simulator.url}/"}}
    )
    await hass.async_block_till_done()

    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_API_KEY] == DEFAULT_API_KEY


async def test_reconfigure_to_another_entrys_account_aborts(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    other = MockConfigEntry(
        domain=DOMAIN,
        title="DeepSeek ••••1a2b",
        data={CONF_API_KEY: NEW_KEY, CONF_BASE_URL: simulator.url},
    )
    other.add_to_hass(hass)
    simulator.state.api_key = NEW_KEY
    result = await init_integration.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(NEW_KEY, simulator.url)
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert init_integration.data[CONF_API_KEY] == DEFAULT_API_KEY


async def test_options_flow_sets_the_poll_interval(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 300}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert init_integration.options == {
        CONF_SCAN_INTERVAL: 300,
        CONF_LOW_BALANCE_THRESHOLD: 0,
        CONF_MONTHLY_BUDGET: 0,
        CONF_LOW_BALANCE_DAYS: 0,
        CONF_LIMIT_CURRENCY: "CNY",  # the account's only one
    }
    coordinator = init_integration.runtime_data
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 300


def unit_of(result: Any, field: str) -> str | None:
    selector = next(v for k, v in result["data_schema"].schema.items() if k == field)
    return selector.config.get("unit_of_measurement")


async def test_the_low_balance_amount_is_in_the_funded_currency(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A USD account's limit reads USD; before any poll, DeepSeek's own CNY."""
    mock_config_entry.add_to_hass(hass)
    before = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    simulator.state.accounts = {"USD": CurrencyAccount(Decimal(0), Decimal(25))}
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)

    loaded = await hass.config_entries.options.async_init(mock_config_entry.entry_id)

    assert unit_of(before, CONF_LOW_BALANCE_THRESHOLD) == "CNY"
    assert unit_of(loaded, CONF_LOW_BALANCE_THRESHOLD) == "USD"
    assert loaded["description_placeholders"]["currency"] == "USD"
    assert unit_of(loaded, CONF_LOW_BALANCE_DAYS) == "d"


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        (CONF_SCAN_INTERVAL, 29, "interval_out_of_range"),
        (CONF_SCAN_INTERVAL, 3601, "interval_out_of_range"),
        (CONF_LOW_BALANCE_THRESHOLD, -5, "amount_out_of_range"),
        (CONF_MONTHLY_BUDGET, 10**15, "amount_out_of_range"),
        (CONF_LOW_BALANCE_DAYS, 366, "days_out_of_range"),
    ],
)
async def test_an_option_out_of_range_is_refused_with_its_range(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    option: str,
    value: float,
    error: str,
) -> None:
    """A translated error of the flow's own, which names the range, not HA's."""
    result = await hass.config_entries.options.async_init(init_integration.entry_id)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {option: value}
    )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {option: error}
    assert result["description_placeholders"] == {
        "title": ENTRY_TITLE,
        "currency": "CNY",
        "min_interval": "30",
        "max_interval": "3600",
        "max_amount": "1\u202f000\u202f000\u202f000",
        "max_days": "365",
    }
    assert init_integration.options == {}
    # What was typed stays in the form, to be corrected.
    assert suggested_value(result, option) == value


async def test_user_form_as_the_frontend_receives_it(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The schema, section included, serialises over Home Assistant's HTTP API."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()

    response = await client.post(
        "/api/config/config_entries/flow", json={"handler": DOMAIN}
    )

    assert response.status == 200
    form = await response.json()
    api_key, advanced = form["data_schema"]
    assert api_key["name"] == CONF_API_KEY
    assert api_key["selector"] == {
        "text": {"multiline": False, "multiple": False, "type": "password"}
    }
    assert advanced["type"] == "expandable"
    assert advanced["expanded"] is False
    assert advanced["schema"][0]["name"] == CONF_BASE_URL
    assert advanced["schema"][0]["default"] == "https://api.deepseek.com"


@pytest.fixture
async def browser(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> TestClient:
    """Home Assistant's HTTP API, as the frontend's dialogs use it."""
    assert await async_setup_component(hass, "config", {})
    return await hass_client()


async def test_a_key_alone_adds_the_account_as_the_browser_sends_it(
    browser: TestClient, simulator: DeepSeekSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Advanced section comes filled: Submit with only the key is enough."""
    monkeypatch.setenv("DEEPSEEK_BASE_URL", simulator.url)  # the default, here
    form = await open_form(browser, FLOW_URL, handler=DOMAIN)

    done = await press_submit(
        browser, form, {CONF_API_KEY: DEFAULT_API_KEY}, url=FLOW_URL
    )

    assert done["type"] == "create_entry"
    assert done["result"]["title"] == ENTRY_TITLE


async def test_a_url_typed_before_a_wrong_key_survives_it(
    browser: TestClient, simulator: DeepSeekSimulator
) -> None:
    """After an error only the key is typed again; the key is never sent back."""
    form = await open_form(browser, FLOW_URL, handler=DOMAIN)
    typed_url = {SECTION_ADVANCED: {CONF_BASE_URL: simulator.url}}

    wrong = await press_submit(
        browser, form, {CONF_API_KEY: "sk-wrong", **typed_url}, url=FLOW_URL
    )
    assert wrong["errors"] == {"base": "invalid_auth"}
    assert "sk-wrong" not in json.dumps(wrong)
    done = await press_submit(
        browser, wrong, {CONF_API_KEY: DEFAULT_API_KEY}, url=FLOW_URL
    )

    assert done["type"] == "create_entry"


async def test_reconfigure_submitted_unchanged_keeps_the_connection(
    hass: HomeAssistant,
    browser: TestClient,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    form = await open_form(
        browser, FLOW_URL, handler=DOMAIN, entry_id=init_integration.entry_id
    )

    done = await press_submit(browser, form, {}, url=FLOW_URL)

    assert done == {**done, "type": "abort", "reason": "reconfigure_successful"}
    assert done.get("translation_domain") in (None, DOMAIN)  # the text is ours
    assert init_integration.data[CONF_BASE_URL] == simulator.url


async def test_reauth_with_the_key_alone_keeps_the_entrys_url(
    hass: HomeAssistant,
    browser: TestClient,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
) -> None:
    started = await init_integration.start_reauth_flow(hass)
    form = await open_form(browser, f"{FLOW_URL}/{started['flow_id']}")

    done = await press_submit(
        browser, form, {CONF_API_KEY: DEFAULT_API_KEY}, url=FLOW_URL
    )

    assert done == {**done, "type": "abort", "reason": "reauth_successful"}
    assert done.get("translation_domain") in (None, DOMAIN)
    assert init_integration.data[CONF_BASE_URL] == simulator.url
