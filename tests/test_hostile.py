"""Hostile and odd answers, each between good polls, through the real client.

Each case runs a day's first eight hours of steady spend, then two polls of the odd
answer, then a good poll. While it lasts, the entities must say what they can; after
the good poll, every figure must be what it would have been without it. No event
may fire for money that never moved, no entity may appear beyond the currency cap,
and no log record may carry a traceback or an error.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import product
import json
import logging
from string import ascii_uppercase
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.deepseek_balance.const import CONF_LOW_BALANCE_THRESHOLD
from custom_components.deepseek_balance.sensor import CURRENCY_SENSORS
from deepseek_simulator import DeepSeekSimulator, Scenario
from deepseek_simulator.server import gateway_rate_limit_headers

from .conftest import Fired, advance, setup_integration, state_of

HOUR = 3600
P = "deepseek_0000"

type Body = dict[str, Any]


def with_cny(**changes: object) -> Callable[[Body], Body]:
    """The good answer with some fields of its CNY row changed."""

    def change(body: Body) -> Body:
        (row,) = body["balance_infos"]
        return {**body, "balance_infos": [{**row, **changes}]}

    return change


def with_rows(*rows: Body) -> Callable[[Body], Body]:
    """The good answer with more rows after its CNY row."""

    def change(body: Body) -> Body:
        return {**body, "balance_infos": [*body["balance_infos"], *rows]}

    return change


def row(currency: str, total: str) -> Body:
    """A consistent row: all of it topped up."""
    return {
        "currency": currency,
        "total_balance": total,
        "granted_balance": "0.00",
        "topped_up_balance": total,
    }


@dataclass(frozen=True)
class Hostile:
    """One odd answer, and what the entities show while it lasts."""

    balance: Callable[[Body], Body | str] | None = None  # text: sent as it is
    headers: dict[str, str] = field(default_factory=dict)  # on /v1/models
    during: dict[str, str] = field(default_factory=dict)  # entity → state
    new_currencies: int = 0  # those it may add, within the cap
    threshold: int = 20  # Low balance below, in CNY
    notice: str | None = None  # the warning it is worth, logged once


UNREADABLE_TOTAL = {
    "sensor.total_balance_cny": "unavailable",
    "sensor.granted_balance_cny": "8.00",
    "sensor.spend_today_cny": "unknown",
    "sensor.spend_per_day_cny": "unknown",
    "sensor.days_remaining": "unknown",
    "sensor.api_status": "unreadable_balance",
    "binary_sensor.low_balance": "unknown",
}
DISAGREEING_ROWS = {  # neither row is believed
    "sensor.total_balance_cny": "unavailable",
    "sensor.granted_balance_cny": "unavailable",
    "sensor.top_up_balance_cny": "unavailable",
    "sensor.spend_today_cny": "unknown",
    "sensor.spend_per_day_cny": "unknown",
    "sensor.days_remaining": "unknown",
    "sensor.api_status": "unreadable_balance",
    "binary_sensor.low_balance": "unknown",
}
SHOWN_AS_SENT_NOT_USED = {
    "sensor.spend_today_cny": "2.00",
    "sensor.spend_per_day_cny": "5.33",  # 2.00 over 9 hours
    "sensor.days_remaining": "20.2",  # 108.00 / 5.33…
    "binary_sensor.low_balance": "off",
    "sensor.api_status": "ok",
}
UNCHANGED = {
    "sensor.total_balance_cny": "108.00",
    "sensor.spend_today_cny": "2.00",
    "sensor.api_status": "ok",
}
MANY_CURRENCIES = [
    row("".join(letters), "1.00") for letters in product(ascii_uppercase, repeat=3)
][:500]
NINES = "9" * 300


def with_long_integer_total(body: Body) -> str:
    """A total of 5,000 digits, a JSON integer longer than Python's int() takes."""
    return json.dumps(with_cny(total_balance="TOTAL")(body)).replace(
        '"TOTAL"', "9" * 5000
    )


CASES: dict[str, Hostile] = {
    "huge json number": Hostile(
        balance=with_cny(total_balance=1e308),
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "beyond any balance": Hostile(
        balance=with_cny(total_balance="10000000000000.00"),
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "more digits than a sum keeps": Hostile(
        balance=with_cny(total_balance="108." + "0" * 300),
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "an exponent beyond Decimal's": Hostile(
        balance=with_cny(total_balance="1e1000000"),
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "a JSON integer of 5,000 digits": Hostile(
        balance=with_long_integer_total,
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "a granted amount of 1e-999999": Hostile(
        balance=with_cny(granted_balance="1e-999999"),
        during={
            "sensor.granted_balance_cny": "unavailable",
            "sensor.total_balance_cny": "108.00",
            "sensor.spend_today_cny": "2.00",
            "sensor.api_status": "unreadable_balance",
        },
        notice="CNY: granted_balance is unreadable",
    ),
    "text for a total": Hostile(
        balance=with_cny(total_balance="abc"),
        during=UNREADABLE_TOTAL,
        notice="CNY: total_balance is unreadable",
    ),
    "total above its parts": Hostile(
        balance=with_cny(
            total_balance="110.00", granted_balance="5.00", topped_up_balance="5.00"
        ),
        during={
            "sensor.total_balance_cny": "110.00",
            "sensor.granted_balance_cny": "5.00",
            **SHOWN_AS_SENT_NOT_USED,
        },
        notice="CNY: granted_balance + topped_up_balance is not total_balance",
    ),
    "total below its parts and the threshold": Hostile(
        balance=with_cny(total_balance="5.00"),
        during={"sensor.total_balance_cny": "5.00", **SHOWN_AS_SENT_NOT_USED},
        notice="CNY: granted_balance + topped_up_balance is not total_balance",
    ),
    "a wrong CNY row before the true one": Hostile(
        balance=lambda body: {
            **body,
            "balance_infos": [row("CNY", "50.00"), *body["balance_infos"]],
        },
        threshold=100,  # the wrong row alone would be low
        during=DISAGREEING_ROWS,
        notice="balance_infos lists CNY more than once, with different amounts",
    ),
    "a second, larger CNY row": Hostile(
        balance=with_rows(row("CNY", "500.00")),
        threshold=200,
        during=DISAGREEING_ROWS,
        notice="balance_infos lists CNY more than once, with different amounts",
    ),
    "the CNY row twice": Hostile(
        balance=lambda body: {**body, "balance_infos": body["balance_infos"] * 2},
        during={**UNCHANGED, "sensor.granted_balance_cny": "8.00"},
    ),
    "a 300-letter currency": Hostile(
        balance=with_rows(row("X" * 300, "1.00")),
        during=UNCHANGED,
        notice="is not a three-letter code",
    ),
    "markup for a currency": Hostile(
        balance=with_rows(row("<script>alert(1)</script>", "1.00")),
        during=UNCHANGED,
        notice="is not a three-letter code",
    ),
    "500 currencies": Hostile(
        balance=with_rows(*MANY_CURRENCIES),
        during={**UNCHANGED, "sensor.total_balance_aaa": "1.00"},
        new_currencies=3,
        notice="more than the 4 currencies an entry follows",
    ),
    "four new currencies before CNY": Hostile(
        balance=lambda body: {
            **body,
            "balance_infos": [*MANY_CURRENCIES[:4], *body["balance_infos"]],
        },
        during=UNCHANGED,
        new_currencies=3,
        notice="more than the 4 currencies an entry follows",
    ),
    "markup in place of CNY": Hostile(
        balance=with_cny(currency="<b>"),
        during={  # no CNY row at all: all of its sensors are unavailable
            **dict.fromkeys(
                (name for name in UNREADABLE_TOTAL if name.endswith("_cny")),
                "unavailable",
            ),
            "sensor.api_status": "unreadable_balance",
            "binary_sensor.low_balance": "unknown",
        },
        notice="is not a three-letter code",
    ),
    "a contradictory USD row beside CNY": Hostile(
        balance=with_rows(
            {**row("USD", "500.00"), "topped_up_balance": "0.00"}  # 500 ≠ 0 + 0
        ),
        during={**UNCHANGED, "binary_sensor.low_balance": "off"},
        new_currencies=1,  # its sensors show what DeepSeek said
        notice="USD: granted_balance + topped_up_balance is not total_balance",
    ),
    "a count of 400 nines": Hostile(
        headers={"x-ratelimit-remaining-requests": "9" * 400},
        during={**UNCHANGED, "sensor.requests_remaining": "unknown"},
    ),
    "a count of 300 nines": Hostile(
        headers={"x-ratelimit-remaining-requests": NINES},
        during={**UNCHANGED, "sensor.requests_remaining": "unknown"},
    ),
    "a count padded with 5,000 zeros": Hostile(
        headers={"x-ratelimit-remaining-requests": "0" * 5000 + "7"},
        during={**UNCHANGED, "sensor.requests_remaining": "7"},
    ),
    "a limit beyond any real one": Hostile(
        headers={"x-ratelimit-limit-tokens": "10000000000000"},
        during={**UNCHANGED, "sensor.tokens_limit": "unknown"},
    ),
}


def entity_id(name: str) -> str:
    platform, key = name.split(".")
    return f"{platform}.{P}_{key}"


@pytest.mark.parametrize(
    ("case", "options"),
    [
        (case, {CONF_SCAN_INTERVAL: HOUR, CONF_LOW_BALANCE_THRESHOLD: case.threshold})
        for case in CASES.values()
    ],
    ids=list(CASES),
)
async def test_a_hostile_answer_between_good_polls(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    fired: Fired,
    caplog: pytest.LogCaptureFixture,
    case: Hostile,
) -> None:
    await hass.config.async_set_time_zone("UTC")
    freezer.move_to("2026-11-20 00:00:00+00:00")
    simulator.state.scenario = Scenario.RATE_LIMIT_HEADERS
    await setup_integration(hass, mock_config_entry)
    for _ in range(8):  # 2.00 CNY by 08:00, from the granted 10.00
        simulator.state.spend("CNY", Decimal("0.25"))
        await advance(hass, freezer, HOUR)
    entities_before = len(
        er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
    )

    good = simulator.state.balance_body()
    if case.balance is not None:
        simulator.state.raw_balance = case.balance(good)
    simulator.state.rate_limit_headers.update(case.headers)
    await advance(hass, freezer, HOUR)
    during = {name: state_of(hass, entity_id(name)) for name in case.during}
    await advance(hass, freezer, HOUR)

    simulator.state.raw_balance = None
    simulator.state.rate_limit_headers = gateway_rate_limit_headers()
    simulator.state.spend("CNY", Decimal("0.25"))
    await advance(hass, freezer, HOUR)  # 11:00

    assert during == case.during
    after = {
        name: state_of(hass, entity_id(name))
        for name in (
            "sensor.total_balance_cny",
            "sensor.granted_balance_cny",
            "sensor.top_up_balance_cny",
            "sensor.spend_today_cny",
            "sensor.spend_per_day_cny",
            "sensor.days_remaining",
            "sensor.requests_remaining",
            "sensor.tokens_limit",
            "sensor.api_status",
            "binary_sensor.low_balance",
        )
    }
    assert after == {
        "sensor.total_balance_cny": "107.75",
        "sensor.granted_balance_cny": "7.75",
        "sensor.top_up_balance_cny": "100.00",
        "sensor.spend_today_cny": "2.25",
        "sensor.spend_per_day_cny": "4.91",  # 2.25 over 11 hours
        "sensor.days_remaining": "21.9",  # 107.75 / 4.909…
        "sensor.requests_remaining": "9999",
        "sensor.tokens_limit": "5000000",
        "sensor.api_status": "ok",
        "binary_sensor.low_balance": "on" if case.threshold > 108 else "off",
    }
    assert fired == []
    entities_after = er.async_entries_for_config_entry(
        entity_registry, mock_config_entry.entry_id
    )
    per_currency = len(CURRENCY_SENSORS)
    assert len(entities_after) == entities_before + per_currency * case.new_currencies
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    if case.notice is not None:
        noticed = [r for r in caplog.records if case.notice in r.getMessage()]
        assert [r.levelno for r in noticed] == [logging.WARNING]


async def test_new_currencies_in_every_answer_stop_at_the_cap(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: DeepSeekSimulator,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    good = simulator.state.balance_body()
    for first in range(0, 300, 3):  # three new currencies beside CNY, every poll
        simulator.state.raw_balance = with_rows(*MANY_CURRENCIES[first : first + 3])(
            good
        )
        await advance(hass, freezer, 30)

    currencies = {
        entry.unique_id.split("_")[-3]
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
        if entry.unique_id.endswith("_total_balance")
    }
    assert currencies == {"cny", "aaa", "aab", "aac"}
    coordinator = init_integration.runtime_data
    assert list(coordinator.memory.history.currencies) == ["CNY", "AAA", "AAB", "AAC"]
