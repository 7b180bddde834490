"""Properties of the client's parsers over any input the network could send."""

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
import json
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.deepseek_balance.api import (
    MAX_AMOUNT,
    MAX_COUNT,
    RATE_LIMIT_HEADER_PREFIX,
    Balance,
    DeepSeekResponseError,
    RateLimits,
    decode_json,
    parse_balance,
    parse_rate_limits,
)

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
BALANCE_KEYS = ["currency", "total_balance", "granted_balance", "topped_up_balance"]

# Numbers as text too, with exponents far beyond what Decimal or float can hold.
numeric_text = st.from_regex(
    r"-?[0-9]{1,3}(\.[0-9]{1,20})?[eE][+-]?[0-9]{1,9}", fullmatch=True
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | numeric_text
)
any_json = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(BALANCE_KEYS) | st.text(), children)
    ),
    max_leaves=20,
)
# Bodies shaped like DeepSeek's, with anything in the slots: the likely way to break.
balance_like = st.fixed_dictionaries(
    {
        "balance_infos": st.lists(
            st.dictionaries(st.sampled_from(BALANCE_KEYS), any_json)
        )
    },
    optional={"is_available": any_json},
)


def parse_body(body: bytes) -> Balance:
    return parse_balance(decode_json(body, 200))


@given(st.one_of(any_json, balance_like))
@settings(max_examples=400)
def test_any_json_body_gives_a_balance_or_a_response_error(value: Any) -> None:
    body = json.dumps(value).encode()
    try:
        balance = parse_body(body)
    except DeepSeekResponseError:
        return
    assert isinstance(balance, Balance)
    currencies = [row.currency for row in balance.balances]
    assert len(currencies) == len(set(currencies))
    for row in balance.balances:
        assert len(row.currency) == 3
        assert row.currency.isascii()
        assert row.currency.isalpha()
        assert row.currency.isupper()
        for amount in (row.total, row.granted, row.topped_up):
            assert amount is None or abs(amount) <= MAX_AMOUNT


@given(st.binary(max_size=200))
def test_any_bytes_give_a_balance_or_a_response_error(body: bytes) -> None:
    with contextlib.suppress(DeepSeekResponseError):
        parse_body(body)


amounts = st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2).map(str)


@given(
    st.lists(
        st.tuples(st.sampled_from(["CNY", "USD"]), amounts, amounts, amounts),
        max_size=3,
    ),
    st.booleans(),
)
def test_well_formed_amounts_come_back_exactly(
    rows: list[tuple[str, str, str, str]], is_available: bool
) -> None:
    body = {
        "is_available": is_available,
        "balance_infos": [dict(zip(BALANCE_KEYS, row, strict=True)) for row in rows],
    }

    balance = parse_body(json.dumps(body).encode())

    # A currency's rows count as one if they agree, else as unreadable.
    readings: dict[str, set[tuple[Decimal | None, ...]]] = {}
    for currency, *parts in rows:
        readings.setdefault(currency, set()).add(tuple(map(Decimal, parts)))
    assert balance.is_available is is_available
    assert [
        (r.currency, r.total, r.granted, r.topped_up) for r in balance.balances
    ] == [
        (currency, *(next(iter(seen)) if len(seen) == 1 else (None, None, None)))
        for currency, seen in readings.items()
    ]


# Counts as text: padded, long, signed, or with an exponent.
header_values = (
    st.text() | st.from_regex(r"0{0,5000}[0-9]{1,400}", fullmatch=True) | numeric_text
)
header_names = (
    st.sampled_from(
        [
            f"{RATE_LIMIT_HEADER_PREFIX}{kind}-{dimension}"
            for kind in ("limit", "remaining", "reset")
            for dimension in ("requests", "tokens")
        ]
    ).map(lambda name: name.upper() if len(name) % 2 else name)
    | st.text()
)


@given(st.dictionaries(header_names, header_values))
@settings(max_examples=400)
def test_any_headers_give_rate_limits_without_raising(
    headers: dict[str, str],
) -> None:
    limits = parse_rate_limits(headers, now=NOW)

    assert isinstance(limits, RateLimits)
    for dimension in (limits.requests, limits.tokens):
        assert dimension.limit is None or 0 <= dimension.limit <= MAX_COUNT
        assert dimension.remaining is None or 0 <= dimension.remaining <= MAX_COUNT
        assert dimension.reset_after is None or (
            0 <= dimension.reset_after.total_seconds() <= MAX_COUNT
        )
