"""Properties of the client's parsers over any input the network could send."""

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
import json
from typing import Any

from hypothesis import given, settings, strategies as st

from custom_components.deepseek_balance.api import (
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

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
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
    for row in balance.balances:
        for amount in (row.total, row.granted, row.topped_up):
            assert amount is None or amount.is_finite()


@given(st.binary(max_size=200))
def test_any_bytes_give_a_balance_or_a_response_error(body: bytes) -> None:
    with contextlib.suppress(DeepSeekResponseError):
        parse_body(body)


amounts = st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str)


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

    assert balance.is_available is is_available
    assert [
        (r.currency, r.total, r.granted, r.topped_up) for r in balance.balances
    ] == [(c, Decimal(t), Decimal(g), Decimal(u)) for c, t, g, u in rows]


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


@given(st.dictionaries(header_names, st.text()))
@settings(max_examples=400)
def test_any_headers_give_rate_limits_without_raising(
    headers: dict[str, str],
) -> None:
    limits = parse_rate_limits(headers, now=NOW)

    assert isinstance(limits, RateLimits)
    for dimension in (limits.requests, limits.tokens):
        assert dimension.limit is None or dimension.limit >= 0
        assert dimension.remaining is None or dimension.remaining >= 0
        assert dimension.reset_after is None or dimension.reset_after.days >= 0
