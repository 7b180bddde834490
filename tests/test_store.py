"""A store this release cannot read never keeps the entry from loading.

Read from real files, as Home Assistant reads ``.storage``: the test harness's
in-memory storage cannot hold a file that is not a store at all.
"""

from collections.abc import Callable
import json
import logging
from pathlib import Path
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from hypothesis import given, strategies as st
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.deepseek_balance.const import CONF_LOW_BALANCE_THRESHOLD, DOMAIN
from custom_components.deepseek_balance.history import UnreadableMemoryError
from custom_components.deepseek_balance.storage import memory_as_dict, memory_from_dict
from deepseek_simulator import DeepSeekSimulator, Scenario

from .conftest import ENTRY_ID, Fired, setup_integration, state_of

KEY = f"{DOMAIN}.{ENTRY_ID}"
GOOD_MEMORY = {
    "currencies": {
        "CNY": {
            "since": 1_764_000_000,
            "samples": [[1_764_000_000, "0", "120.00", "20.00", "100.00"]],
        }
    },
    "last_known": {"low_balance": False, "available": True},
}


def envelope(data: Any, *, version: int = 1, minor_version: int = 3) -> Any:
    return {
        "version": version,
        "minor_version": minor_version,
        "key": KEY,
        "data": data,
    }


# The shapes real installations hand over, and what the warning says of each.
DAMAGED = {
    "last_known is a word": (
        envelope({**GOOD_MEMORY, "last_known": "yes"}),
        "last_known is not an object",
    ),
    "an event that is a word": (
        envelope({**GOOD_MEMORY, "last_known": {"activity": "top_up"}}),
        "last_known.activity is not an object",
    ),
    "an event of no known type": (
        envelope({**GOOD_MEMORY, "last_known": {"activity": {"event_type": "x"}}}),
        "last_known.activity has no event type",
    ),
    "an event without an offset": (
        envelope(
            {
                **GOOD_MEMORY,
                "last_known": {
                    "activity": {
                        "event_type": "grant",
                        "fired_at": "2026-12-01T10:00:00",
                        "attributes": {},
                    }
                },
            }
        ),
        "last_known.activity has no time",
    ),
    "an event with a list for an attribute": (
        envelope(
            {
                **GOOD_MEMORY,
                "last_known": {
                    "activity": {
                        "event_type": "grant",
                        "fired_at": "2026-12-01T10:00:00+00:00",
                        "attributes": {"amount": [1]},
                    }
                },
            }
        ),
        "last_known.activity has no attributes",
    ),
    "a foreign document": (
        envelope({"entries": [{"name": "lamp"}]}),
        "currencies is not an object",
    ),
    "a list for the memory": (
        envelope([1, 2, 3]),
        "the stored memory is not an object",
    ),
    "a newer major version": (
        envelope(GOOD_MEMORY, version=2, minor_version=1),
        "it was written by a newer release (version 2)",
    ),
    "a series going back in spend": (
        envelope(
            {
                **GOOD_MEMORY,
                "currencies": {
                    "CNY": {
                        "since": 1_764_000_000,
                        "samples": [
                            [1_764_000_000, "1.00", "119.00", "19.00", "100.00"],
                            [1_764_003_600, "0", "120.00", "20.00", "100.00"],
                        ],
                    }
                },
            }
        ),
        "a stored series goes back in spend",
    ),
    "an amount that is no number": (
        envelope(
            {
                **GOOD_MEMORY,
                "currencies": {
                    "CNY": {
                        "since": 1_764_000_000,
                        "samples": [[1_764_000_000, "0", "NaN", "20.00", "100.00"]],
                    }
                },
            }
        ),
        "a stored amount is not an amount",
    ),
}


@pytest.fixture
def hass_config_dir(hass_tmp_config_dir: str) -> str:
    """A configuration directory of this test's own, with a real .storage."""
    return hass_tmp_config_dir


@pytest.fixture
def store_file(hass: HomeAssistant) -> Path:
    """The entry's store on disk, where a damaged one is set aside from."""
    path = Path(hass.config.path(".storage", KEY))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def write_store(store_file: Path, hass_storage: dict[str, Any]) -> Callable[[Any], str]:
    """Write a store's document to disk; the harness hands it to Home Assistant.

    A file that is not a store's envelope at all is tests/e2e/test_store_on_disk.py's.
    """

    def write_document(document: Any) -> str:
        hass_storage[KEY] = document
        return write(store_file, json.dumps(document))

    return write_document


def set_aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt.*"))


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return text


def read(path: Path) -> str:
    return path.read_text()


@pytest.mark.parametrize("options", [{CONF_LOW_BALANCE_THRESHOLD: 500}])
@pytest.mark.parametrize(("document", "reason"), DAMAGED.values(), ids=list(DAMAGED))
async def test_an_unreadable_store_is_kept_aside_and_the_entry_loads(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    store_file: Path,
    write_store: Callable[[Any], str],
    mock_config_entry: MockConfigEntry,
    fired: Fired,
    caplog: pytest.LogCaptureFixture,
    document: Any,
    reason: str,
) -> None:
    freezer.move_to("2026-12-01 10:00:00+00:00")
    text = write_store(document)

    await setup_integration(hass, mock_config_entry)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert state_of(hass, "sensor.deepseek_0000_total_balance_cny") == "110.00"
    kept = store_file.with_name(f"{KEY}.corrupt.2026-12-01T10:00:00+00:00")
    assert set_aside(store_file) == [kept]
    assert read(kept) == text  # exactly as it was
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    expected = (
        f"{store_file} cannot be read ({reason}); it was kept as {kept}, and the "
        "history starts afresh"
    )
    assert [r.getMessage() for r in warnings if "deepseek" in r.name] == [expected]
    assert [r for r in caplog.records if r.exc_info] == []
    # A fresh memory is a first start: low from the start is no news.
    assert state_of(hass, "binary_sensor.deepseek_0000_low_balance") == "on"
    assert fired == []


async def test_sensors_the_user_has_stay_when_the_memory_starts_afresh(
    hass: HomeAssistant,
    store_file: Path,
    write_store: Callable[[Any], str],
    simulator: DeepSeekSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """USD sensors, shown once and now at zero, are not taken away.

    The entity registry, not the store, knows which sensors the user has.
    """
    simulator.state.scenario = Scenario.USD_ZERO_THEN_CNY
    mock_config_entry.add_to_hass(hass)
    usd = entity_registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{ENTRY_ID}_usd_total_balance",
        config_entry=mock_config_entry,
    )
    write_store(envelope({**GOOD_MEMORY, "last_known": "yes"}))

    await setup_integration(hass, mock_config_entry)

    assert len(set_aside(store_file)) == 1  # the memory started afresh
    assert state_of(hass, usd.entity_id) == "0.00"


async def test_a_store_of_this_release_is_read(
    hass: HomeAssistant,
    store_file: Path,
    write_store: Callable[[Any], str],
    mock_config_entry: MockConfigEntry,
    fired: Fired,
) -> None:
    """The same path reads a good store: 120.00 before, 110.00 now is spend."""
    write_store(envelope(GOOD_MEMORY))

    await setup_integration(hass, mock_config_entry)

    assert set_aside(store_file) == []
    assert state_of(hass, "sensor.deepseek_0000_spend_today_cny") == "10.00"
    assert fired == []


async def test_a_file_kept_aside_before_is_never_overwritten(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    store_file: Path,
    write_store: Callable[[Any], str],
    mock_config_entry: MockConfigEntry,
) -> None:
    freezer.move_to("2026-12-01 10:00:00+00:00")
    earlier = store_file.with_name(f"{KEY}.corrupt.2026-12-01T10:00:00+00:00")
    write(earlier, "the first one")
    write_store(envelope([1]))

    await setup_integration(hass, mock_config_entry)

    assert read(earlier) == "the first one"
    assert set_aside(store_file) == [earlier, earlier.with_name(f"{earlier.name}.1")]


async def test_a_file_that_cannot_be_moved_is_never_overwritten(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    store_file: Path,
    write_store: Callable[[Any], str],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    text = write_store(envelope([1]))

    with patch.object(Path, "rename", side_effect=OSError("Read-only file system")):
        await setup_integration(hass, mock_config_entry)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)

    assert mock_config_entry.state is ConfigEntryState.NOT_LOADED
    # Nothing written over it, not even at unload.
    assert hass_storage[KEY]["data"] == [1]
    assert read(store_file) == text
    assert "nor moved aside (Read-only file system)" in caplog.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.sampled_from(["currencies", "CNY", "since", "samples", "last_known"])
            | st.text(max_size=4),
            children,
            max_size=5,
        )
    ),
    max_leaves=30,
)


@given(json_values)
def test_reading_any_json_value_returns_a_memory_or_says_why(value: Any) -> None:
    try:
        memory = memory_from_dict(value)
    except UnreadableMemoryError:
        return
    assert memory_as_dict(memory_from_dict(memory_as_dict(memory))) == memory_as_dict(
        memory
    )


@given(
    st.lists(
        st.tuples(
            st.integers(0, 2**40),
            st.decimals(0, 10**9, places=2),
            st.decimals(-(10**9), 10**9, places=2),
        ),
        max_size=5,
    )
)
def test_a_store_as_written_reads_back(samples: list[tuple[int, Any, Any]]) -> None:
    samples.sort()
    spent = sorted(spend for _, spend, _ in samples)
    document = {
        "currencies": {
            "CNY": {
                "since": samples[0][0] if samples else 0,
                "arrivals_since": samples[0][0] if samples else 0,
                "peak": str(max((total for *_, total in samples), default=0)),
                "samples": [
                    [at, str(total_spent), str(total), None, None, 0, "0", "0", "0"]
                    for (at, _, total), total_spent in zip(samples, spent, strict=True)
                ],
            }
        },
        "last_known": {
            "low_balance": None,
            "available": True,
            "activity": {
                "event_type": "top_up",
                "fired_at": "2026-12-01T10:00:00.123+00:00",
                "attributes": {"amount": 10.0, "currency": "CNY", "exact": True},
            },
            "pending": [
                {"event_type": "low_balance", "attributes": {"amount": 9.5}},
            ],
            "over_budget": False,
            "budget_month": "2026-12",
        },
    }

    assert memory_as_dict(memory_from_dict(document)) == document
