"""The month's spend, its projection and a monthly budget, across a month's end.

Home Assistant runs in New York (UTC-5 in winter); time moves by the hour.
"""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.deepseek_balance.const import CONF_MONTHLY_BUDGET
from deepseek_simulator import DeepSeekSimulator

from .conftest import Fired, advance, setup_integration, state_of

ZONE = ZoneInfo("America/New_York")
HOUR = 3600
MONTH = "sensor.deepseek_0000_spend_this_month_cny"
PROJECTED = "sensor.deepseek_0000_projected_spend_cny"
AVERAGE = "sensor.deepseek_0000_spend_per_day_cny"
OVER = "binary_sensor.deepseek_0000_monthly_budget"


@pytest.fixture
async def new_york(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Home Assistant in New York, on 30 November at 18:00 local time."""
    await hass.config.async_set_time_zone("America/New_York")
    freezer.move_to(datetime(2026, 11, 30, 18, tzinfo=ZONE))


async def spend_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    hours: int,
    amount: str = "0.25",
) -> None:
    """Spend ``amount`` in each of ``hours`` hours, a poll at each hour's end."""
    for _ in range(hours):
        simulator.state.spend("CNY", Decimal(amount))
        await advance(hass, freezer, HOUR)


def number(hass: HomeAssistant, entity_id: str) -> Decimal:
    return Decimal(state_of(hass, entity_id))


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
@pytest.mark.usefixtures("new_york")
async def test_spend_this_month_counts_from_the_1st_local_midnight(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    await setup_integration(hass, mock_config_entry)  # 30 Nov, 18:00
    await spend_hourly(hass, freezer, simulator, 5)  # falls seen 19:00 … 23:00

    november = hass.states.get(MONTH)
    assert november is not None
    assert november.state == "1.25"  # since the entry began, this month
    assert november.attributes["since"] == "2026-11-30T18:00:00-05:00"

    # 00:00 … 02:00 on the 1st: a fall first seen after midnight is December's.
    await spend_hourly(hass, freezer, simulator, 3)

    december = hass.states.get(MONTH)
    assert december is not None
    assert december.state == "0.75"
    assert december.attributes["since"] == "2026-12-01T00:00:00-05:00"
    assert december.attributes["last_reset"] == "2026-12-01T00:00:00-05:00"
    assert december.attributes["state_class"] == "total"


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
@pytest.mark.usefixtures("new_york")
async def test_the_projection_is_spend_plus_the_average_for_the_days_left(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    await setup_integration(hass, mock_config_entry)
    await spend_hourly(hass, freezer, simulator, 5)
    assert state_of(hass, PROJECTED) == "unknown"  # no average before 6 hours

    await spend_hourly(hass, freezer, simulator, 10)  # to 1 Dec, 09:00

    now = datetime(2026, 12, 1, 9, tzinfo=ZONE)
    days_left = Decimal((datetime(2027, 1, 1, tzinfo=ZONE) - now).total_seconds())
    days_left /= 86400  # 30.625
    expected = number(hass, MONTH) + number(hass, AVERAGE) * days_left
    assert number(hass, MONTH) == Decimal("2.50")  # 00:00 … 09:00
    assert number(hass, AVERAGE) == Decimal("6.00")  # 3.75 over 15 hours
    assert state_of(hass, PROJECTED) == f"{expected.quantize(Decimal('0.01'))}"
    assert state_of(hass, PROJECTED) == "186.25"
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "*Spend this month* 2.50" in readme
    assert (
        "*Projected spend* 186.25 (2.50 + 6.00 \N{MULTIPLICATION SIGN}\n30.625"
        in readme
    )


def budget_attributes(hass: HomeAssistant) -> dict[str, Any]:
    """The budget's attributes, with this month's spend and projection beside."""
    state = hass.states.get(OVER)
    assert state is not None
    return {
        "budget": state.attributes["budget"],
        "currency": state.attributes["currency"],
        "spend": float(state_of(hass, "sensor.deepseek_0000_spend_this_month_cny")),
        "projection": float(state_of(hass, "sensor.deepseek_0000_projected_spend_cny")),
    }


@pytest.mark.parametrize(
    "options", [{CONF_SCAN_INTERVAL: HOUR, CONF_MONTHLY_BUDGET: 100}]
)
@pytest.mark.usefixtures("new_york")
async def test_over_budget_turns_on_and_off_with_the_projection_and_fires_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    freezer.move_to(datetime(2026, 12, 2, 0, tzinfo=ZONE))
    await setup_integration(hass, mock_config_entry)
    await spend_hourly(hass, freezer, simulator, 6, "0.10")  # 2.40 a day: 72.40
    assert state_of(hass, OVER) == "off"

    await spend_hourly(hass, freezer, simulator, 1, "1.00")  # the average jumps
    assert state_of(hass, OVER) == "on"
    attributes = budget_attributes(hass)
    assert attributes["budget"] == 100.0
    assert attributes["spend"] == 1.60
    assert attributes["projection"] > 100
    assert attributes["currency"] == "CNY"
    over = [event for event in fired if event[0] == "over_budget"]
    assert over == [
        (
            "over_budget",
            {
                "amount": attributes["projection"],
                "spend": 1.60,
                "budget": 100.0,
                "currency": "CNY",
            },
        )
    ]

    # Still over after a reload and a restart: nothing fires again.
    assert await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, OVER) == "on"

    # Nothing spent for a day: the average, and the projection, fall below.
    await advance(hass, freezer, 20 * HOUR)
    await advance(hass, freezer, HOUR)
    assert state_of(hass, OVER) == "off"

    await spend_hourly(hass, freezer, simulator, 3, "3.00")  # and back over
    assert state_of(hass, OVER) == "on"
    assert [kind for kind, _ in fired].count("over_budget") == 2


@pytest.mark.parametrize(
    "options", [{CONF_SCAN_INTERVAL: HOUR, CONF_MONTHLY_BUDGET: 10}]
)
@pytest.mark.usefixtures("new_york")
async def test_raising_the_budget_turns_it_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    await setup_integration(hass, mock_config_entry)
    await spend_hourly(hass, freezer, simulator, 7)
    assert state_of(hass, OVER) == "on"

    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**mock_config_entry.options, CONF_MONTHLY_BUDGET: 500}
    )
    await hass.async_block_till_done()

    assert state_of(hass, OVER) == "off"
    assert budget_attributes(hass)["budget"] == 500.0


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: HOUR}])
@pytest.mark.usefixtures("new_york")
async def test_without_a_budget_it_is_off(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    await setup_integration(hass, mock_config_entry)
    await spend_hourly(hass, freezer, simulator, 8, "5.00")

    assert state_of(hass, OVER) == "off"


@pytest.mark.parametrize(
    "options", [{CONF_SCAN_INTERVAL: HOUR, CONF_MONTHLY_BUDGET: 20}]
)
@pytest.mark.usefixtures("new_york")
async def test_a_new_month_starts_afresh(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """Over in November, and over again in December: December's turn fires too."""
    freezer.move_to(datetime(2026, 11, 29, 12, tzinfo=ZONE))
    await setup_integration(hass, mock_config_entry)
    await spend_hourly(hass, freezer, simulator, 24, "1.00")  # 24 in November
    assert state_of(hass, OVER) == "on"
    assert [kind for kind, _ in fired].count("over_budget") == 1

    freezer.move_to(datetime(2026, 11, 30, 23, 30, tzinfo=ZONE))
    await spend_hourly(hass, freezer, simulator, 2, "1.00")  # into December

    assert state_of(hass, MONTH) != "0"
    assert state_of(hass, OVER) == "on"  # the projection of December is over
    assert [kind for kind, _ in fired].count("over_budget") == 2


@pytest.mark.usefixtures("new_york")
async def test_the_history_keeps_a_sample_a_day_for_two_months(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The spend of a month ago is still known to the day, in local days."""
    await setup_integration(hass, mock_config_entry)
    history = mock_config_entry.runtime_data.memory.history.currencies["CNY"]
    for _ in range(70 * 4):  # 70 days, a fall every 6 hours
        simulator.state.spend("CNY", Decimal("0.01"))
        await advance(hass, freezer, 6 * HOUR)

    now = datetime.now(ZONE)
    old = [s for s in history.samples if now.timestamp() - s.at > 8 * 86400]
    days = [datetime.fromtimestamp(s.at, ZONE).date() for s in old]
    assert len(days) == len(set(days))  # one a day: the day's last
    assert max(now.timestamp() - s.at for s in old) <= (63 + 1) * 86400
    assert len(old) >= 55
    assert all(datetime.fromtimestamp(s.at, ZONE).hour == 18 for s in old[1:])
