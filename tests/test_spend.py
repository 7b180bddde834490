"""Spend, forecast, low balance, activity events and the repair, in Home Assistant."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_SCAN_INTERVAL, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.deepseek_balance.account import (
    DeepSeekData,
    EntryMemory,
    Limits,
    PollTime,
    funded_currency,
    is_low,
    remember_poll,
)
from custom_components.deepseek_balance.activity import ActivityEvent, FiredActivity
from custom_components.deepseek_balance.api import Balance, CurrencyBalance, Snapshot
from custom_components.deepseek_balance.const import (
    CONF_LOW_BALANCE_DAYS,
    CONF_LOW_BALANCE_THRESHOLD,
)
from custom_components.deepseek_balance.history import SpendFigures
from deepseek_simulator import DeepSeekSimulator

from .conftest import ENTRY_ID, ENTRY_TITLE, advance, setup_integration

HOUR = 3600
SPEND_TODAY = "sensor.deepseek_0000_spend_today_cny"
AVERAGE = "sensor.deepseek_0000_spend_per_day_cny"
DAYS_REMAINING = "sensor.deepseek_0000_days_remaining"
LOW_BALANCE = "binary_sensor.deepseek_0000_low_balance"
ACTIVITY = "event.deepseek_0000_balance_activity"
REPAIR = ("deepseek_balance", f"account_unavailable_{ENTRY_ID}")


def state(hass: HomeAssistant, entity_id: str) -> Any:
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current


@pytest.fixture
def options() -> dict[str, Any]:
    """Polling hourly, unless a test parametrizes other options."""
    return {CONF_SCAN_INTERVAL: HOUR}


@pytest.fixture
async def started(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The entry set up at 2026-11-20 00:00 UTC, in a UTC Home Assistant."""
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-11-20 00:00:00+00:00")
    await setup_integration(hass, mock_config_entry)
    return mock_config_entry


async def spend_hourly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    hours: int,
    per_hour: str = "0.25",
) -> None:
    for _ in range(hours):
        simulator.state.spend("CNY", Decimal(per_hour))
        await advance(hass, freezer, HOUR)


@pytest.mark.usefixtures("started")
async def test_steady_spend_gives_average_and_days_remaining(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    await spend_hourly(hass, freezer, simulator, 5)
    assert state(hass, AVERAGE).state == STATE_UNKNOWN  # under 6 h of history
    assert state(hass, DAYS_REMAINING).state == STATE_UNKNOWN

    await spend_hourly(hass, freezer, simulator, 25)  # now 06:00 on day two

    assert state(hass, SPEND_TODAY).state == "1.75"
    assert state(hass, AVERAGE).state == "6.00"
    assert state(hass, AVERAGE).attributes["unit_of_measurement"] == "CNY"
    assert state(hass, AVERAGE).attributes["device_class"] == "monetary"
    assert state(hass, DAYS_REMAINING).state == "17.1"  # 102.50 / 6.00


ESTIMATES = (AVERAGE, DAYS_REMAINING, "sensor.deepseek_0000_projected_spend_cny")


@pytest.mark.usefixtures("started")
async def test_a_new_entry_says_when_its_estimates_will_be_known(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    """Unknown for six hours, with the time they will be known, then known."""
    await spend_hourly(hass, freezer, simulator, 5)
    for entity_id in ESTIMATES:
        assert state(hass, entity_id).state == STATE_UNKNOWN
        assert state(hass, entity_id).attributes["first_estimate_at"] == (
            "2026-11-20T06:00:00+00:00"  # six hours after the entry's first poll
        )

    await spend_hourly(hass, freezer, simulator, 1)

    for entity_id in ESTIMATES:
        assert state(hass, entity_id).state != STATE_UNKNOWN
        assert "first_estimate_at" not in state(hass, entity_id).attributes


@pytest.mark.usefixtures("started")
async def test_midnight_resets_spend_today(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    await spend_hourly(hass, freezer, simulator, 23)
    assert state(hass, SPEND_TODAY).state == "5.75"
    assert state(hass, SPEND_TODAY).attributes["last_reset"] == (
        "2026-11-20T00:00:00+00:00"
    )

    await advance(hass, freezer, HOUR)  # 00:00 on day two, nothing spent

    assert state(hass, SPEND_TODAY).state == "0.00"
    assert state(hass, SPEND_TODAY).attributes["last_reset"] == (
        "2026-11-21T00:00:00+00:00"
    )


@pytest.mark.parametrize(
    ("arrival", "event_type", "amount"),
    [("top_up", "top_up", 50.0), ("grant", "grant", 5.0)],
)
@pytest.mark.usefixtures("started")
async def test_money_arriving_is_an_event_never_negative_spend(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    arrival: str,
    event_type: str,
    amount: float,
) -> None:
    await spend_hourly(hass, freezer, simulator, 2)

    getattr(simulator.state, arrival)("CNY", Decimal(amount))
    await advance(hass, freezer, HOUR)

    event = state(hass, ACTIVITY)
    assert event.attributes["event_type"] == event_type
    assert event.attributes["amount"] == amount
    assert event.attributes["currency"] == "CNY"
    assert state(hass, SPEND_TODAY).state == "0.50"


async def test_history_survives_a_restart(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    started: MockConfigEntry,
) -> None:
    await spend_hourly(hass, freezer, simulator, 8)
    assert await hass.config_entries.async_unload(started.entry_id)
    stored = hass_storage[f"deepseek_balance.{ENTRY_ID}"]
    assert stored["version"] == 1
    assert len(stored["data"]["currencies"]["CNY"]["samples"]) == 9

    simulator.state.spend("CNY", Decimal("0.25"))
    await advance(hass, freezer, HOUR)  # Home Assistant was off for this hour
    assert await hass.config_entries.async_setup(started.entry_id)
    await hass.async_block_till_done()

    assert state(hass, SPEND_TODAY).state == "2.25"
    assert state(hass, AVERAGE).state == "6.00"


@pytest.mark.parametrize("options", [{CONF_SCAN_INTERVAL: 30}])
@pytest.mark.usefixtures("started")
async def test_history_is_written_with_a_delay_not_every_poll(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
) -> None:
    key = f"deepseek_balance.{ENTRY_ID}"
    # What fires events, first known at set-up, is written at once with the reading.
    await advance(hass, freezer, 0)
    assert len(hass_storage[key]["data"]["currencies"]["CNY"]["samples"]) == 1
    for _ in range(9):  # 4.5 minutes of 30-second polls, spending each time
        simulator.state.spend("CNY", Decimal("0.01"))
        await advance(hass, freezer, 30)
    assert len(hass_storage[key]["data"]["currencies"]["CNY"]["samples"]) == 1

    await advance(hass, freezer, 61)  # 300 s after the first fall, at 30 s

    samples = hass_storage[key]["data"]["currencies"]["CNY"]["samples"]
    assert len(samples) == 10  # the first reading and nine falls


async def test_removing_the_entry_deletes_its_history(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    started: MockConfigEntry,
) -> None:
    await spend_hourly(hass, freezer, simulator, 1)
    assert await hass.config_entries.async_unload(started.entry_id)
    assert f"deepseek_balance.{ENTRY_ID}" in hass_storage

    await hass.config_entries.async_remove(started.entry_id)

    assert f"deepseek_balance.{ENTRY_ID}" not in hass_storage


@pytest.mark.parametrize(
    "options", [{CONF_SCAN_INTERVAL: HOUR, CONF_LOW_BALANCE_THRESHOLD: 109}]
)
@pytest.mark.usefixtures("started")
async def test_low_balance_follows_the_threshold(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    assert state(hass, LOW_BALANCE).state == "off"  # 110.00

    await spend_hourly(hass, freezer, simulator, 1, per_hour="1.50")

    assert state(hass, LOW_BALANCE).state == "on"  # 108.50
    event = state(hass, ACTIVITY)
    assert event.attributes["event_type"] == "low_balance"
    assert event.attributes["amount"] == 108.5
    assert event.attributes["days_remaining"] is None

    simulator.state.top_up("CNY", Decimal(10))
    await advance(hass, freezer, HOUR)

    assert state(hass, LOW_BALANCE).state == "off"


@pytest.mark.parametrize(
    "options", [{CONF_SCAN_INTERVAL: HOUR, CONF_LOW_BALANCE_DAYS: 7}]
)
@pytest.mark.usefixtures("started")
async def test_low_balance_follows_the_days_remaining(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    await spend_hourly(hass, freezer, simulator, 6, per_hour="0.25")
    assert state(hass, DAYS_REMAINING).state == "18.1"  # 108.50 at 6.00 a day
    assert state(hass, LOW_BALANCE).state == "off"

    await spend_hourly(hass, freezer, simulator, 1, per_hour="13.00")  # 16.00/h

    # 95.50 left after spending 14.50 in 7 h: 49.71 a day, 1.9 days.
    assert state(hass, DAYS_REMAINING).state == "1.9"
    assert state(hass, LOW_BALANCE).state == "on"


@pytest.mark.usefixtures("started")
async def test_low_balance_off_when_no_limit_is_set(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: DeepSeekSimulator
) -> None:
    await spend_hourly(hass, freezer, simulator, 1, per_hour="109.99")

    assert state(hass, LOW_BALANCE).state == "off"


@pytest.mark.usefixtures("started")
async def test_account_unavailable_raises_and_clears_the_repair(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    simulator: DeepSeekSimulator,
) -> None:
    assert issue_registry.async_get_issue(*REPAIR) is None

    simulator.state.is_available = False
    await advance(hass, freezer, HOUR)

    issue = issue_registry.async_get_issue(*REPAIR)
    assert issue is not None
    assert issue.translation_key == "account_unavailable"
    assert issue.learn_more_url == "https://platform.deepseek.com/top_up"
    assert issue.translation_placeholders == {
        "title": ENTRY_TITLE,
        "url": "https://platform.deepseek.com/top_up",
    }
    assert state(hass, ACTIVITY).attributes["event_type"] == "account_unavailable"

    simulator.state.is_available = True
    await advance(hass, freezer, HOUR)

    assert issue_registry.async_get_issue(*REPAIR) is None


@pytest.mark.usefixtures("started")
@pytest.mark.parametrize(
    ("is_available", "binary_sensor", "status", "repair", "event"),
    [
        (False, "off", "account_unavailable", True, "account_unavailable"),
        (None, "unknown", "ok", False, None),  # a gateway that does not say
    ],
)
async def test_whether_the_account_can_pay_reads_alike_everywhere(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    simulator: DeepSeekSimulator,
    is_available: bool | None,
    binary_sensor: str,
    status: str,
    repair: bool,
    event: str | None,
) -> None:
    """The binary sensor, the API status, the repair and the event agree."""
    simulator.state.is_available = is_available
    await advance(hass, freezer, HOUR)

    assert state(hass, "binary_sensor.deepseek_0000_account_available").state == (
        binary_sensor
    )
    assert state(hass, "sensor.deepseek_0000_api_status").state == status
    assert (issue_registry.async_get_issue(*REPAIR) is not None) is repair
    assert state(hass, ACTIVITY).attributes.get("event_type") == event


async def test_the_repair_is_raised_again_after_a_restart_while_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Repairs do not outlive a restart: the first poll after it raises it anew."""
    simulator.state.is_available = False
    await setup_integration(hass, mock_config_entry)
    assert issue_registry.async_get_issue(*REPAIR) is not None
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    ir.async_delete_issue(hass, *REPAIR)  # as a restart forgets it

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert issue_registry.async_get_issue(*REPAIR) is not None


MIDNIGHT = datetime(2026, 11, 20, tzinfo=UTC)
FORECAST = SpendFigures(
    today=Decimal(0),
    day_start=MIDNIGHT,
    daily_average=Decimal(10),
    days_remaining=Decimal(5),
    month=Decimal(0),
    month_start=MIDNIGHT.replace(day=1),
    month_since=MIDNIGHT.replace(day=1),
    projected_month=Decimal(100),
)
LEFT = Decimal(50)


@pytest.mark.parametrize(
    ("total", "figures", "threshold", "days", "expected"),
    [
        (LEFT, FORECAST, 0, 0, False),
        (LEFT, FORECAST, 60, 0, True),
        (LEFT, FORECAST, 40, 0, False),
        (LEFT, FORECAST, 0, 6, True),
        (LEFT, FORECAST, 0, 4, False),
        (LEFT, None, 0, 6, False),  # no forecast yet: not low
        (None, FORECAST, 60, 0, None),  # no total to judge: cannot tell
        (None, FORECAST, 0, 0, False),
    ],
)
def test_is_low(
    total: Decimal | None,
    figures: SpendFigures | None,
    threshold: int,
    days: int,
    expected: bool | None,
) -> None:
    limits = Limits(Decimal(threshold), Decimal(days))

    assert is_low(total, figures, limits) is expected


@pytest.mark.parametrize(
    ("totals", "funded"),
    [
        ({"USD": "0", "CNY": "5"}, "CNY"),
        ({"USD": "7", "CNY": "5"}, "USD"),
        ({"USD": "5", "CNY": "5"}, "CNY"),
        ({"USD": None, "EUR": "0"}, "EUR"),
        ({"USD": None}, None),
        ({}, None),
    ],
)
def test_the_funded_currency_has_the_largest_known_total(
    totals: dict[str, str | None], funded: str | None
) -> None:
    known = {c: None if t is None else Decimal(t) for c, t in totals.items()}

    assert funded_currency(known) == funded


POLL = timedelta(seconds=30)


def fire(memory: EntryMemory, data: DeepSeekData) -> list[ActivityEvent]:
    """The events a poll leaves to fire, fired as the event entity fires them."""
    if events := list(data.activities):
        last = events[-1]
        fired_at = "2026-11-20T00:00:00.000+00:00"
        memory.last_known.note_fired(
            events, FiredActivity(last.event_type, fired_at, last.attributes)
        )
    return events


def poll(
    memory: EntryMemory,
    at: datetime,
    *rows: tuple[str, str, str, str],
    limits: Limits,
) -> DeepSeekData:
    """One poll of these rows at ``at``, remembered."""
    balance = Balance(
        is_available=True,
        balances=tuple(
            CurrencyBalance(c, Decimal(t), Decimal(g), Decimal(u))
            for c, t, g, u in rows
        ),
    )
    return remember_poll(
        memory,
        Snapshot(balance=balance, rate_limits=None),
        PollTime(at, UTC, timedelta(seconds=30)),
        limits,
    )


def test_a_contradictory_row_neither_alerts_nor_takes_over() -> None:
    """USD's row claims 500 its parts do not hold: CNY stays the funded one."""
    memory = EntryMemory()
    limits = Limits(Decimal(20), Decimal(0))
    start = datetime(2026, 11, 20, 1, tzinfo=UTC)
    cny = ("CNY", "100", "0", "100")
    poll(memory, start, ("USD", "0", "0", "0"), cny, limits=limits)

    data = poll(
        memory, start.replace(hour=2), ("USD", "500", "0", "0"), cny, limits=limits
    )

    assert data.funded_currency == "CNY"
    assert data.low_balance is False
    assert data.activities == ()


def test_an_entry_follows_the_first_four_currencies_it_sees() -> None:
    memory = EntryMemory()
    limits = Limits(Decimal(0), Decimal(0))
    start = datetime(2026, 11, 20, 1, tzinfo=UTC)
    poll(memory, start, ("CNY", "1", "0", "1"), limits=limits)

    data = poll(
        memory,
        start.replace(hour=2),
        *((code, "1", "0", "1") for code in ("AAA", "AAB", "AAC", "AAD", "CNY")),
        limits=limits,
    )

    assert [row.currency for row in data.balance.balances] == [
        "AAA",
        "AAB",
        "AAC",
        "CNY",
    ]
    assert [notice.kind for notice in data.balance.notices] == ["too_many_currencies"]
    assert list(memory.history.currencies) == ["CNY", "AAA", "AAB", "AAC"]


def test_limits_keep_their_currency_when_the_amounts_cross() -> None:
    """CNY 50 falls to 48 beside USD 49: the CNY limits stay on CNY."""
    memory = EntryMemory()
    limits = Limits(Decimal(49), Decimal(0), Decimal(1), currency="CNY")
    start = datetime(2026, 11, 20, 1, tzinfo=UTC)
    usd = ("USD", "49", "0", "49")
    poll(memory, start, ("CNY", "50", "0", "50"), usd, limits=limits)

    data = poll(memory, start + POLL, ("CNY", "48", "0", "48"), usd, limits=limits)

    assert data.funded_currency == "USD"  # the larger amount, in another currency
    assert data.limit_currency == "CNY"
    assert data.low_balance is True  # 48 CNY is below 49 CNY
    assert [(e.event_type, e.attributes["currency"]) for e in fire(memory, data)] == [
        ("low_balance", "CNY"),
        ("over_budget", "CNY"),
    ]


def test_over_budget_fires_once_a_month_whatever_the_rows_do() -> None:
    memory = EntryMemory()
    limits = Limits(Decimal(0), Decimal(0), Decimal(1), currency="CNY")
    start = datetime(2026, 11, 20, 1, tzinfo=UTC)
    fired = []
    for step, (cny, usd) in enumerate(
        [("50", "49"), ("48", "49"), ("48", "47"), ("46", "47"), ("45", "44")]
    ):
        data = poll(
            memory,
            start + step * POLL,
            ("CNY", cny, "0", cny),
            ("USD", usd, "0", usd),
            limits=limits,
        )
        fired += [
            e.event_type for e in fire(memory, data) if e.event_type == "over_budget"
        ]

    assert fired == ["over_budget"]  # once, though the larger currency flips
