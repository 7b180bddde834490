"""The get_spending action: each local day's figures, from the entry's history.

Home Assistant runs in Shanghai (UTC+8), so a local day is not a UTC day; time
moves by the hour, a poll at each step.
"""

from datetime import datetime
from decimal import Decimal
import json
from pathlib import Path
import re
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.script import DOMAIN as SCRIPT_DOMAIN
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.deepseek_balance.const import DOMAIN
from deepseek_simulator import CurrencyAccount, DeepSeekSimulator

from .conftest import advance, setup_integration

ZONE = ZoneInfo("Asia/Shanghai")
HOUR = 3600
README = Path(__file__).parent.parent / "README.md"

# The two days of test_each_local_day_has_its_own_figures, as the README shows them.
TWO_DAYS = {
    "start_date": "2026-11-20",
    "end_date": "2026-11-21",
    "currencies": {
        "CNY": {
            "spent": 7.75,
            "top_ups": 50.0,
            "grants": 5.0,
            "complete": True,
            "balance": 156.75,
            "days": [
                {
                    "date": "2026-11-20",
                    "spent": 1.5,
                    "top_ups": 50.0,
                    "grants": 5.0,
                    "complete": True,
                },
                {
                    "date": "2026-11-21",
                    "spent": 6.25,
                    "top_ups": 0.0,
                    "grants": 0.0,
                    "complete": True,
                },
            ],
        }
    },
}


@pytest.fixture
async def shanghai(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Home Assistant in Shanghai, on 19 November at 20:00 local time."""
    await hass.config.async_set_time_zone("Asia/Shanghai")
    freezer.move_to(datetime(2026, 11, 19, 20, tzinfo=ZONE))


async def get_spending(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, "get_spending", data, blocking=True, return_response=True
    )
    assert response is not None
    return dict(response)


async def poll_at(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, day: int, hour: int
) -> None:
    """Move on to ``hour`` o'clock of ``day`` November, local time, and poll."""
    moment = datetime(2026, 11, day, hour, tzinfo=ZONE)
    await advance(hass, freezer, (moment - datetime.now(ZONE)).total_seconds())


@pytest.fixture
async def two_days(
    hass: HomeAssistant,
    shanghai: None,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """From 19 November at 20:00 to the 21st at 08:00: spend, a top-up, a grant."""
    account = simulator.state
    await setup_integration(hass, mock_config_entry)  # 110.00, 10.00 granted
    account.spend("CNY", Decimal("0.50"))
    await poll_at(hass, freezer, 19, 21)
    account.spend("CNY", Decimal("1.00"))
    await poll_at(hass, freezer, 20, 9)
    account.top_up("CNY", Decimal(50))
    await poll_at(hass, freezer, 20, 10)
    account.spend("CNY", Decimal("0.50"))
    await poll_at(hass, freezer, 20, 11)
    account.grant("CNY", Decimal(5))
    await poll_at(hass, freezer, 20, 12)
    account.spend("CNY", Decimal("2.25"))  # spent late on the 20th, seen at 00:00
    await poll_at(hass, freezer, 21, 0)
    account.spend("CNY", Decimal("4.00"))
    await poll_at(hass, freezer, 21, 8)
    return mock_config_entry


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
async def test_each_local_day_has_its_own_figures(
    hass: HomeAssistant, two_days: MockConfigEntry
) -> None:
    response = await get_spending(
        hass,
        config_entry_id=two_days.entry_id,
        start_date="2026-11-20",
        end_date="2026-11-21",
    )

    assert response == TWO_DAYS
    readme = README.read_text(encoding="utf-8")
    assert json.dumps(TWO_DAYS, indent=2) in readme


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
async def test_by_default_from_the_1st_of_the_month_to_today(
    hass: HomeAssistant, two_days: MockConfigEntry
) -> None:
    """Days before the entry began, and the one it began on, are not complete."""
    response = await get_spending(hass, config_entry_id=two_days.entry_id)

    cny = response["currencies"]["CNY"]
    assert (response["start_date"], response["end_date"]) == (
        "2026-11-01",
        "2026-11-21",
    )
    assert [day["date"] for day in cny["days"]] == [
        f"2026-11-{day:02}" for day in range(1, 22)
    ]
    assert [day["complete"] for day in cny["days"]] == 19 * [False] + [True, True]
    assert cny["days"][18] == {
        "date": "2026-11-19",
        "spent": 0.5,  # since 20:00
        "top_ups": 0.0,
        "grants": 0.0,
        "complete": False,
    }
    assert (cny["spent"], cny["complete"]) == (8.25, False)


async def test_an_account_with_two_currencies_has_both(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    simulator.state.accounts["USD"] = CurrencyAccount(Decimal(0), Decimal("20.00"))
    await setup_integration(hass, mock_config_entry)
    simulator.state.spend("USD", Decimal("0.10"))
    simulator.state.spend("USD", Decimal("0.20"))
    await advance(hass, freezer, 31)

    response = await get_spending(hass, config_entry_id=mock_config_entry.entry_id)

    currencies = response["currencies"]
    assert list(currencies) == ["CNY", "USD"]
    assert (currencies["USD"]["spent"], currencies["USD"]["balance"]) == (0.3, 19.7)
    assert (currencies["CNY"]["spent"], currencies["CNY"]["balance"]) == (0.0, 110.0)


@pytest.mark.parametrize(
    ("data", "key", "placeholders"),
    [
        (
            {"start_date": "2026-11-21", "end_date": "2026-11-20"},
            "end_before_start",
            {"start_date": "2026-11-21", "end_date": "2026-11-20"},
        ),
        (
            {"start_date": "2026-09-17"},  # 63 days before the 19th
            "start_too_old",
            {"start_date": "2026-09-17", "oldest": "2026-09-18"},
        ),
    ],
)
@pytest.mark.usefixtures("shanghai")
async def test_dates_the_history_cannot_answer_are_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, str],
    key: str,
    placeholders: dict[str, str],
) -> None:
    with pytest.raises(ServiceValidationError) as refused:
        await get_spending(hass, config_entry_id=init_integration.entry_id, **data)

    assert refused.value.translation_domain == DOMAIN
    assert refused.value.translation_key == key
    assert refused.value.translation_placeholders == placeholders


async def test_an_entry_not_loaded_or_not_ours_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    other = MockConfigEntry(domain="sun", title="Sun")
    other.add_to_hass(hass)
    assert await hass.config_entries.async_unload(init_integration.entry_id)

    refused = []
    for entry_id in (init_integration.entry_id, other.entry_id):
        with pytest.raises(ServiceValidationError) as error:
            await get_spending(hass, config_entry_id=entry_id)
        refused.append(error.value.translation_key)

    assert refused == [
        "service_config_entry_not_loaded",
        "service_config_entry_wrong_domain",
    ]


def readme_script() -> dict[str, Any]:
    """The README's script for Assist, for this test's entry."""
    blocks = re.findall(r"```yaml\n(script:.*?)```", README.read_text(), re.DOTALL)
    (block,) = blocks
    script: dict[str, Any] = yaml.safe_load(
        block.replace("deepseek_1a2b", "deepseek_0000")
    )["script"]
    return script


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
async def test_the_readmes_script_answers_what_the_week_cost(
    hass: HomeAssistant, two_days: MockConfigEntry
) -> None:
    assert await async_setup_component(
        hass, SCRIPT_DOMAIN, {SCRIPT_DOMAIN: readme_script()}
    )

    answer = await hass.services.async_call(
        SCRIPT_DOMAIN,
        "deepseek_cost_this_week",
        blocking=True,
        return_response=True,
    )

    assert answer == {
        "answer": "In the last 7 days DeepSeek cost at least 8.25 CNY; "
        "156.75 CNY is left."
    }
