"""Adopting the entries and entities of the other deepseek_balance integration.

Its users switch by replacing its files with these; Home Assistant keeps its entry
(version 1.1, the API key alone, an update interval in the options) and entities.
"""

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import (
    async_import_statistics,
    get_metadata,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.deepseek_balance.api import BASE_URL_ENV_VAR
from custom_components.deepseek_balance.const import (
    CONF_BASE_URL,
    CONF_LIMIT_CURRENCY,
    DOMAIN,
)
from deepseek_simulator import CurrencyAccount, DeepSeekSimulator

from .conftest import ENTRY_ID, state_of

OTHER_TITLE = "Deepseek Balance"  # what the other integration names every entry
OLD = "deepseek_account"  # its device's name, so its entity IDs' prefix


@pytest.fixture(autouse=True)
def base_url_of_the_simulator(
    monkeypatch: pytest.MonkeyPatch, simulator: DeepSeekSimulator
) -> None:
    """Point the default base URL at the simulator: no test leaves 127.0.0.1."""
    monkeypatch.setenv(BASE_URL_ENV_VAR, simulator.url)


def other_entry(
    api_key: str,
    *,
    data: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    title: str = OTHER_TITLE,
    entry_id: str = ENTRY_ID,
) -> MockConfigEntry:
    """An entry as the other integration's config and options flows leave it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        entry_id=entry_id,
        version=1,
        minor_version=1,
        data={CONF_API_KEY: api_key} if data is None else data,
        options={"update_interval": 300} if options is None else options,
    )


def register_old_entities(
    hass: HomeAssistant, entry: MockConfigEntry, currencies: list[str]
) -> dict[str, str]:
    """The other integration's device and entities: entity ID → its unique ID."""
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, entry.entry_id)},
        name="Deepseek Account",
        manufacturer="Deepseek",
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    registry = er.async_get(hass)
    unique_ids = {
        f"{entry.entry_id}_{currency}_{key}": (
            "sensor",
            f"{OLD}_{key}" + (f"_{number}" if number > 1 else ""),
        )
        for number, currency in enumerate(currencies, start=1)
        for key in ("total_balance", "granted_balance", "topped_up_balance")
    }
    unique_ids[f"{entry.entry_id}_is_available"] = (
        "binary_sensor",
        f"{OLD}_api_available",
    )
    return {
        registry.async_get_or_create(
            domain,
            DOMAIN,
            unique_id,
            config_entry=entry,
            device_id=device.id,
            suggested_object_id=object_id,
            has_entity_name=True,
        ).entity_id: unique_id
        for unique_id, (domain, object_id) in unique_ids.items()
    }


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries()}:
        entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    ("data", "options", "interval"),
    [
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": 300}, 300),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": 600.0}, 600),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": 60}, 60),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": 86400}, 3600),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": 5}, 30),
        ({CONF_API_KEY: "sk-test-0000", "update_interval": 900}, {}, 900),
        ({CONF_API_KEY: " sk-test-0000 "}, {"update_interval": 120}, 120),
        ({CONF_API_KEY: "sk-test-0000"}, {}, None),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": "often"}, None),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": None}, None),
        ({CONF_API_KEY: "sk-test-0000"}, {"update_interval": True}, None),
    ],
)
async def test_the_other_integrations_entry_is_adopted(
    hass: HomeAssistant,
    simulator: DeepSeekSimulator,
    data: dict[str, Any],
    options: dict[str, Any],
    interval: int | None,
) -> None:
    entry = other_entry("", data=data, options=options)

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 3)
    assert dict(entry.data) == {
        CONF_API_KEY: "sk-test-0000",
        CONF_BASE_URL: simulator.url,
    }
    assert dict(entry.options) == (
        {CONF_LIMIT_CURRENCY: "CNY"}
        | ({} if interval is None else {CONF_SCAN_INTERVAL: interval})
    )
    assert entry.runtime_data.update_interval == timedelta(seconds=interval or 30)
    assert entry.title == "DeepSeek ••••0000"  # this integration's automatic one
    assert state_of(hass, "sensor.deepseek_0000_total_balance_cny") == "110.00"


async def test_a_title_the_user_gave_is_kept(hass: HomeAssistant, api_key: str) -> None:
    entry = other_entry(api_key, title="Work account")

    await set_up(hass, entry)

    assert entry.title == "Work account"
    assert state_of(hass, "sensor.work_account_total_balance_cny") == "110.00"


@pytest.mark.parametrize(
    ("currencies", "accounts"),
    [
        (["CNY"], {"CNY": CurrencyAccount(Decimal("10.00"), Decimal(100))}),
        (  # a zero USD row beside CNY: its old entities stay, and keep reporting
            ["USD", "CNY"],
            {
                "USD": CurrencyAccount(Decimal(0), Decimal(0)),
                "CNY": CurrencyAccount(Decimal("10.00"), Decimal(100)),
            },
        ),
    ],
)
async def test_the_old_entities_become_this_integrations_and_keep_reporting(
    hass: HomeAssistant,
    api_key: str,
    simulator: DeepSeekSimulator,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
    currencies: list[str],
    accounts: dict[str, CurrencyAccount],
) -> None:
    simulator.state.accounts = accounts
    entry = other_entry(api_key)
    old = register_old_entities(hass, entry, currencies)
    office = area_registry.async_create("Office")
    entity_registry.async_update_entity(
        f"sensor.{OLD}_total_balance", name="Wallet", area_id=office.id
    )

    await set_up(hass, entry)

    adopted = {entity_id: entity_registry.async_get(entity_id) for entity_id in old}
    assert None not in adopted.values()  # no old entity deleted
    states = {entity_id: state_of(hass, entity_id) for entity_id in old}
    expected = {f"binary_sensor.{OLD}_api_available": "on"}
    for number, currency in enumerate(currencies, start=1):
        suffix = f"_{number}" if number > 1 else ""
        account = accounts[currency]
        expected |= {
            f"sensor.{OLD}_total_balance{suffix}": f"{account.total:.2f}",
            f"sensor.{OLD}_granted_balance{suffix}": f"{account.granted:.2f}",
            f"sensor.{OLD}_topped_up_balance{suffix}": f"{account.topped_up:.2f}",
        }
    assert states == expected
    unique_ids = {
        entity_id: str(registry_entry.unique_id).removeprefix(f"{ENTRY_ID}_")
        for entity_id, registry_entry in adopted.items()
        if registry_entry is not None
    }
    assert unique_ids[f"sensor.{OLD}_total_balance"] == (
        f"{currencies[0].lower()}_total_balance"
    )
    assert unique_ids[f"binary_sensor.{OLD}_api_available"] == "account_available"
    wallet = entity_registry.async_get(f"sensor.{OLD}_total_balance")
    assert wallet is not None
    assert (wallet.name, wallet.area_id) == ("Wallet", office.id)
    assert hass.states.get(f"sensor.{OLD}_total_balance").name == "Wallet"  # type: ignore[union-attr]
    # Its other entities appear as usual, on the same device.
    assert state_of(hass, "binary_sensor.deepseek_0000_low_balance") == "off"
    assert state_of(hass, "sensor.deepseek_0000_api_status") == "ok"
    assert len(dr.async_entries_for_config_entry(dr.async_get(hass), ENTRY_ID)) == 1


async def test_a_second_start_changes_nothing(
    hass: HomeAssistant, api_key: str, entity_registry: er.EntityRegistry
) -> None:
    entry = other_entry(api_key)
    register_old_entities(hass, entry, ["CNY"])
    await set_up(hass, entry)
    before = (
        dict(entry.data),
        dict(entry.options),
        entry.title,
        sorted(
            (e.entity_id, e.unique_id)
            for e in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        ),
    )

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert (
        dict(entry.data),
        dict(entry.options),
        entry.title,
        sorted(
            (e.entity_id, e.unique_id)
            for e in er.async_entries_for_config_entry(entity_registry, ENTRY_ID)
        ),
    ) == before
    assert state_of(hass, f"sensor.{OLD}_total_balance") == "110.00"


async def test_an_old_entity_it_cannot_place_is_left_alone(
    hass: HomeAssistant, api_key: str, entity_registry: er.EntityRegistry
) -> None:
    """A unique ID it does not know, or whose new one is taken, stays as it is."""
    entry = other_entry(api_key)
    entry.add_to_hass(hass)
    strange = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{ENTRY_ID}_CNY_frozen_balance", config_entry=entry
    )
    taken = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{ENTRY_ID}_cny_total_balance", config_entry=entry
    )
    old = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{ENTRY_ID}_CNY_total_balance", config_entry=entry
    )

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    for registry_entry in (strange, taken, old):
        kept = entity_registry.async_get(registry_entry.entity_id)
        assert kept is not None
        assert kept.unique_id == registry_entry.unique_id
    assert state_of(hass, taken.entity_id) == "110.00"


async def test_an_entry_that_duplicates_another_loads_with_a_repair(
    hass: HomeAssistant,
    api_key: str,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_up(hass, mock_config_entry)  # this integration's, for the same key
    adopted = other_entry(api_key, entry_id="01JOTHERINTEGRATIONENTRY")

    await set_up(hass, adopted)

    assert adopted.state is ConfigEntryState.LOADED
    assert mock_config_entry.state is ConfigEntryState.LOADED
    issue = issue_registry.async_get_issue(
        DOMAIN, "duplicate_entry_01JOTHERINTEGRATIONENTRY"
    )
    assert issue is not None
    assert issue.translation_key == "duplicate_entry"
    assert issue.translation_placeholders == {
        "title": "DeepSeek ••••0000",
        "other_title": "DeepSeek ••••0000",
    }
    assert issue.severity is ir.IssueSeverity.WARNING
    assert len(issue_registry.issues) == 1

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.async_get_issue(DOMAIN, issue.issue_id) is None
    assert adopted.state is ConfigEntryState.LOADED


async def test_the_repair_goes_when_the_adopted_duplicate_is_removed(
    hass: HomeAssistant,
    api_key: str,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_up(hass, mock_config_entry)
    adopted = other_entry(api_key, entry_id="01JOTHERINTEGRATIONENTRY")
    await set_up(hass, adopted)
    assert len(issue_registry.issues) == 1

    await hass.config_entries.async_remove(adopted.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.issues == {}


async def test_the_repair_goes_when_the_duplicate_gets_another_key(
    hass: HomeAssistant,
    api_key: str,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await set_up(hass, mock_config_entry)
    adopted = other_entry(api_key, entry_id="01JOTHERINTEGRATIONENTRY")
    await set_up(hass, adopted)

    hass.config_entries.async_update_entry(
        adopted, data={**adopted.data, CONF_API_KEY: "sk-test-other"}
    )
    simulator.state.api_key = "sk-test-other"
    assert await hass.config_entries.async_reload(adopted.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.issues == {}


async def test_an_entry_without_a_key_asks_for_one(
    hass: HomeAssistant, simulator: DeepSeekSimulator
) -> None:
    entry = other_entry("", data={})

    await set_up(hass, entry)

    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason == "DeepSeek •••• holds no API key. Enter one to start updates"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert simulator.state.requests["/user/balance"] == 0

    done = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_API_KEY: "sk-test-0000"}
    )
    await hass.async_block_till_done()

    assert done["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert entry.title == "DeepSeek ••••0000"


async def test_this_integrations_own_entry_of_version_1_1_is_kept_as_it_is(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    data = dict(mock_config_entry.data)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, minor_version=1)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert (mock_config_entry.version, mock_config_entry.minor_version) == (1, 3)
    assert dict(mock_config_entry.data) == data
    assert mock_config_entry.title == "DeepSeek ••••0000"


async def test_an_entry_of_a_newer_minor_version_loads_as_it_is(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, minor_version=7)

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert mock_config_entry.minor_version == 7


async def test_the_adopted_balances_keep_their_long_term_statistics(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    freezer: FrozenDateTimeFactory,
    api_key: str,
) -> None:
    """The old sensors were measurements (a mean), these are totals (a sum).

    Home Assistant reports the change until the next five-minute compile, which
    turns the statistics into a sum; the hours before keep their means.
    """
    now = dt_util.utcnow()
    period = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    period += timedelta(minutes=5)  # the next five minutes compiled
    hour = period.replace(minute=0)
    freezer.move_to(period)
    assert await async_setup_component(hass, "sensor", {})
    entry = other_entry(api_key)
    register_old_entities(hass, entry, ["CNY"])
    total = f"sensor.{OLD}_total_balance"
    async_import_statistics(  # what the other integration recorded before
        hass,
        {
            "mean_type": StatisticMeanType.ARITHMETIC,
            "has_sum": False,
            "name": None,
            "source": "recorder",
            "statistic_id": total,
            "unit_class": None,
            "unit_of_measurement": "CNY",
        },
        [
            {"start": hour - timedelta(hours=hours), "mean": 112.0, "min": 111.0}
            for hours in (2, 1)
        ],
    )
    await async_wait_recording_done(hass)

    await set_up(hass, entry)
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json_auto_id({"type": "recorder/validate_statistics"})
    before_compile = (await client.receive_json())["result"]

    freezer.move_to(period + timedelta(minutes=5, seconds=30))
    do_adhoc_statistics(hass, start=period)
    await async_wait_recording_done(hass)
    await client.send_json_auto_id({"type": "recorder/validate_statistics"})
    after_compile = (await client.receive_json())["result"]

    assert before_compile == {
        total: [
            {
                "type": "mean_type_changed",
                "data": {
                    "statistic_id": total,
                    "metadata_mean_type": StatisticMeanType.ARITHMETIC,
                    "state_mean_type": StatisticMeanType.NONE,
                },
            }
        ]
    }
    assert after_compile == {}
    metadata = await recorder_mock.async_add_executor_job(
        partial(get_metadata, hass, statistic_ids={total})
    )
    assert metadata[total][1]["has_sum"] is True
    assert state_of(hass, total) == "110.00"


@pytest.mark.parametrize(
    ("totals", "currency"),
    [
        ({"CNY": "48.00", "USD": "49.00"}, "USD"),  # the larger, as 0.2.0 chose
        ({"CNY": "50.00", "USD": "49.00"}, "CNY"),
        ({}, "CNY"),  # no history yet: DeepSeek's own
    ],
)
async def test_an_entry_of_0_2_0_keeps_its_limits_in_the_currency_shown(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    mock_config_entry: MockConfigEntry,
    totals: dict[str, str],
    currency: str,
) -> None:
    """0.2.0 judged the limits by the funded currency of the last answer."""
    hass_storage[f"{DOMAIN}.{ENTRY_ID}"] = {
        "version": 1,
        "minor_version": 5,
        "key": f"{DOMAIN}.{ENTRY_ID}",
        "data": {
            "currencies": {
                code: {
                    "since": 1_764_000_000,
                    "samples": [[1_764_000_000, "0", total, "0", total]],
                }
                for code, total in totals.items()
            }
        },
    }
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, minor_version=2, options={"low_balance_threshold": 20}
    )

    await set_up(hass, mock_config_entry)

    assert mock_config_entry.minor_version == 3
    assert mock_config_entry.options == {
        "low_balance_threshold": 20,
        CONF_LIMIT_CURRENCY: currency,
    }
