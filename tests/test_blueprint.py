"""The blueprints are valid and notify with the figures."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint import models
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from deepseek_simulator import DeepSeekSimulator

from .conftest import ENTRY_ID, advance, setup_integration

BLUEPRINT = (
    Path(__file__).parent.parent
    / "blueprints/automation/deepseek_balance/low_balance_notify.yaml"
)
INPUTS = {
    "low_balance": "binary_sensor.deepseek_1a2b_low_balance",
    "balance": "sensor.deepseek_1a2b_total_balance_cny",
    "days_remaining": "sensor.deepseek_1a2b_days_remaining",
    "notify_action": "notify.phone",
}


WEEKLY_BLUEPRINT = BLUEPRINT.with_name("weekly_spending_report.yaml")
WEEKLY_INPUTS = {
    "account": ENTRY_ID,
    "weekday": "mon",
    "time": "09:00:00",
    "notify_action": "notify.phone",
}
BUDGET_BLUEPRINT = BLUEPRINT.with_name("monthly_budget_notify.yaml")
BUDGET_INPUTS = {
    "activity": "event.deepseek_1a2b_balance_activity",
    "monthly_budget": "binary_sensor.deepseek_1a2b_monthly_budget",
    "notify_action": "notify.phone",
}


def install_blueprint(config_dir: str, blueprint: Path) -> None:
    """Copy the blueprint where Home Assistant looks for it, as a user would."""
    target = Path(config_dir) / "blueprints/automation/deepseek_balance"
    target.mkdir(parents=True, exist_ok=True)
    (target / blueprint.name).write_text(blueprint.read_text())


async def async_use_blueprint(
    hass: HomeAssistant, blueprint: Path, inputs: dict[str, str]
) -> None:
    """Install the blueprint and set up an automation made from it."""
    await hass.async_add_executor_job(install_blueprint, hass.config.path(), blueprint)
    config: dict[str, Any] = {
        AUTOMATION_DOMAIN: {
            "use_blueprint": {
                "path": f"deepseek_balance/{blueprint.name}",
                "input": inputs,
            }
        }
    }
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, config)


@pytest.mark.parametrize(
    ("path", "inputs"),
    [
        (BLUEPRINT, INPUTS),
        (BUDGET_BLUEPRINT, BUDGET_INPUTS),
        (WEEKLY_BLUEPRINT, WEEKLY_INPUTS),
    ],
)
def test_blueprint_is_valid(path: Path, inputs: dict[str, str]) -> None:
    blueprint = models.Blueprint(
        load_yaml_dict(path),
        expected_domain=AUTOMATION_DOMAIN,
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )

    assert set(blueprint.inputs) == set(inputs)


async def test_blueprint_notifies_with_balance_and_days(
    hass: HomeAssistant, phone: list[ServiceCall]
) -> None:
    hass.states.async_set(INPUTS["low_balance"], "off")
    hass.states.async_set(INPUTS["balance"], "18.40", {"unit_of_measurement": "CNY"})
    hass.states.async_set(INPUTS["days_remaining"], "3.06")
    await async_use_blueprint(hass, BLUEPRINT, INPUTS)

    hass.states.async_set(INPUTS["low_balance"], "on")
    await hass.async_block_till_done()

    assert len(phone) == 1
    assert phone[0].data == {
        "title": "DeepSeek balance is low",
        "message": "18.40 CNY left, about 3.1 days at the current pace.",
    }


async def test_the_budget_blueprint_notifies_once_with_the_month(
    hass: HomeAssistant, phone: list[ServiceCall]
) -> None:
    activity = BUDGET_INPUTS["activity"]
    hass.states.async_set(activity, "unknown")  # never fired yet
    hass.states.async_set(BUDGET_INPUTS["monthly_budget"], "on", {"budget": 150.0})
    await async_use_blueprint(hass, BUDGET_BLUEPRINT, BUDGET_INPUTS)
    over = {"event_type": "over_budget", "amount": 163.2, "spend": 92.4}
    over |= {"budget": 150.0}
    over |= {"currency": "CNY"}

    # The first event ever: news.
    hass.states.async_set(activity, "2026-12-14T09:00:00.000+00:00", over)
    await hass.async_block_till_done()
    # A reload or a restart restores the last event: no news.
    hass.states.async_set(activity, "unavailable")
    hass.states.async_set(activity, "2026-12-14T09:00:00.000+00:00", over)
    # Another kind of activity: not this automation's.
    hass.states.async_set(
        activity, "2026-12-14T10:00:00.000+00:00", {"event_type": "top_up"}
    )
    hass.states.async_set(activity, "2026-12-15T09:00:00.000+00:00", over)
    await hass.async_block_till_done()

    told = {
        "title": "DeepSeek is over its monthly budget",
        "message": "This month: 92.4 CNY spent, 163.2 projected, against a budget "
        "of 150.0 CNY.",
    }
    assert [call.data for call in phone] == [told, told]


async def test_the_budget_blueprint_says_at_least_of_a_month_not_wholly_known(
    hass: HomeAssistant, phone: list[ServiceCall]
) -> None:
    activity = BUDGET_INPUTS["activity"]
    hass.states.async_set(activity, "unknown")
    hass.states.async_set(
        BUDGET_INPUTS["monthly_budget"],
        "on",
        {"budget": 150.0, "complete": False},
    )
    await async_use_blueprint(hass, BUDGET_BLUEPRINT, BUDGET_INPUTS)
    over = {"event_type": "over_budget", "amount": 163.2, "spend": 92.4}
    over |= {"budget": 150.0}
    over |= {"currency": "CNY"}

    hass.states.async_set(activity, "2026-12-14T09:00:00.000+00:00", over)
    await hass.async_block_till_done()

    told = "This month: at least 92.4 CNY spent, 163.2 projected, against a budget"
    assert [call.data["message"] for call in phone] == [f"{told} of 150.0 CNY."]


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: 3600}])
async def test_the_weekly_report_tells_the_week_its_busiest_day_and_the_balance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    phone: list[ServiceCall],
) -> None:
    """From Sunday 15 November on; the report on Monday the 23rd covers 16 to 22."""
    zone = ZoneInfo(hass.config.time_zone)

    async def spend_until(day: int, hour: int, amount: str) -> None:
        simulator.state.spend("CNY", Decimal(amount))
        moment = datetime(2026, 11, day, hour, tzinfo=zone)
        await advance(hass, freezer, (moment - datetime.now(zone)).total_seconds())

    freezer.move_to(datetime(2026, 11, 15, 20, tzinfo=zone))
    await setup_integration(hass, mock_config_entry)
    await spend_until(16, 10, "1.20")  # Monday
    await spend_until(18, 15, "3.40")  # Wednesday
    await spend_until(20, 11, "0.80")  # Friday
    await spend_until(22, 20, "0")
    await async_use_blueprint(hass, WEEKLY_BLUEPRINT, WEEKLY_INPUTS)

    await spend_until(23, 9, "0")  # Monday, 09:00: the report
    await hass.async_block_till_done()

    assert [call.data for call in phone] == [
        {
            "title": "DeepSeek weekly spending",
            "message": "5.40 CNY spent in the last 7 days, the most on Wednesday "
            "(3.40). Balance: 104.60 CNY.",
        }
    ]
    # Its time trigger would outlive the test.
    await hass.services.async_call(
        AUTOMATION_DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
    )
