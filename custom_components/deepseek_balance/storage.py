"""Keeps an entry's memory in ``.storage``, without a write on every poll."""

from dataclasses import asdict
from datetime import datetime
import logging
from pathlib import Path
import re
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .account import EntryMemory, LastKnown
from .activity import ActivityEvent, ActivityKind, FiredActivity
from .const import DOMAIN
from .history import BalanceHistory, UnreadableMemoryError

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
# 2 adds the sensors shown, 3 the last known state, 4 the last event fired, 5 the
# month over budget, 6 the blind running totals of each sample and the events not
# fired yet, and leaves the sensors shown to the entity registry.
STORAGE_MINOR_VERSION: Final = 6
SAVE_DELAY: Final = 300  # seconds


class EntryStore:
    """One entry's memory, in ``.storage/deepseek_balance.<entry_id>``."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to its entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
        )
        self._hass = hass
        self._saved_revision = 0
        self._save_pending = False
        self._writable = True

    async def async_load(self) -> EntryMemory:
        """The stored memory, else an empty one: it must never keep the account away."""
        try:
            stored = await self._store.async_load()
            return EntryMemory() if stored is None else memory_from_dict(stored)
        except UnsupportedStorageVersionError as err:
            reason = f"it was written by a newer release (version {err.found_version})"
        except UnreadableMemoryError as err:
            reason = f"{err}"
        # Store raises these for JSON that is not shaped as its envelope at all.
        except KeyError, TypeError:
            reason = "it is not a Home Assistant store"
        # Set aside, as HA does with a document not JSON.
        await self._async_set_aside(reason)
        return EntryMemory()

    async def _async_set_aside(self, reason: str) -> None:
        """Move the unreadable file aside, or stop writing if it cannot be moved."""
        path = Path(self._store.path)
        suffix = f"corrupt.{dt_util.utcnow().isoformat()}"
        try:
            kept = await self._hass.async_add_executor_job(_move_aside, path, suffix)
        except OSError as err:
            self._writable = False
            _LOGGER.warning(
                "%s cannot be read (%s) nor moved aside (%s); the history starts "
                "afresh and is not saved, so that the file stays as it is",
                path,
                reason,
                err,
            )
            return
        _LOGGER.warning(
            "%s cannot be read (%s); it was kept as %s, and the history starts afresh",
            path,
            reason,
            kept or "nothing: the file is gone",
        )

    @callback
    def async_schedule_save(self, memory: EntryMemory, *, soon: bool) -> None:
        """Write within ``SAVE_DELAY`` (or ``soon``, at once) if something changed."""
        if memory.revision == self._saved_revision or not self._writable:
            return
        if self._save_pending and not soon:  # each call would push the write back
            return
        self._save_pending = True
        self._store.async_delay_save(
            lambda: self._written(memory), 0 if soon else SAVE_DELAY
        )

    async def async_save_now(self, memory: EntryMemory) -> None:
        """Write at once (on unload) what is new, replacing a pending delayed write."""
        if not self._writable or (
            memory.revision == self._saved_revision and not self._save_pending
        ):
            return
        await self._store.async_save(self._written(memory))

    def _written(self, memory: EntryMemory) -> dict[str, Any]:
        self._save_pending = False
        self._saved_revision = memory.revision
        return memory_as_dict(memory)

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()


def _move_aside(path: Path, suffix: str) -> Path | None:
    """Rename ``path`` to ``<path>.<suffix>``, numbered rather than overwriting."""
    if not path.exists():
        return None
    target = path.with_name(f"{path.name}.{suffix}")
    number = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{suffix}.{number}")
        number += 1
    path.rename(target)
    return target


def memory_as_dict(memory: EntryMemory) -> dict[str, Any]:
    """What the store keeps of an entry's memory: all its state but the revision."""
    last_known = asdict(memory.last_known)
    del last_known["revision"]
    return {**memory.history.as_dict(), "last_known": last_known}


def memory_from_dict(data: Any) -> EntryMemory:
    """Inverse of ``memory_as_dict``, older minor versions too; else raises."""
    if not isinstance(data, dict):
        raise UnreadableMemoryError("the stored memory is not an object")
    last_known = data.get("last_known", {})
    if not isinstance(last_known, dict):
        raise UnreadableMemoryError("last_known is not an object")
    return EntryMemory(
        BalanceHistory.from_dict(data),
        LastKnown(
            low_balance=_stored_flag(last_known, "low_balance"),
            available=_stored_flag(last_known, "available"),
            activity=_stored_fired(last_known.get("activity")),
            pending=_stored_pending(last_known.get("pending", [])),
            over_budget=_stored_flag(last_known, "over_budget"),
            budget_month=_stored_month(last_known.get("budget_month")),
        ),
    )


def _stored_flag(data: dict[str, Any], key: str) -> bool | None:
    """A known state: on, off or ``None`` (not known)."""
    if not isinstance(value := data.get(key), bool | None):
        raise UnreadableMemoryError(f"{key} is not true, false or null")
    return value


def _stored_fired(data: Any) -> FiredActivity | None:
    """The last event, as ``memory_as_dict`` writes it."""
    if data is None:
        return None
    event = _stored_event(data, "last_known.activity")
    fired_at = data.get("fired_at")
    try:  # an ISO time with its offset, as event states are
        aware = datetime.fromisoformat(fired_at).tzinfo is not None
    except TypeError, ValueError:
        aware = False
    if not aware:
        raise UnreadableMemoryError("last_known.activity has no time")
    return FiredActivity(event.event_type, fired_at, event.attributes)


def _stored_pending(data: Any) -> list[ActivityEvent]:
    """The events not fired yet, as ``memory_as_dict`` writes them."""
    if not isinstance(data, list):
        raise UnreadableMemoryError("last_known.pending is not a list")
    return [_stored_event(item, "a pending event") for item in data]


def _stored_event(data: Any, what: str) -> ActivityEvent:
    if not isinstance(data, dict):
        raise UnreadableMemoryError(f"{what} is not an object")
    event_type, attributes = data.get("event_type"), data.get("attributes")
    if event_type not in set(ActivityKind):
        raise UnreadableMemoryError(f"{what} has no event type")
    if not isinstance(attributes, dict) or not all(
        isinstance(value, bool | int | float | str | None)
        for value in attributes.values()
    ):
        raise UnreadableMemoryError(f"{what} has no attributes")
    return ActivityEvent(ActivityKind(event_type), attributes)


def _stored_month(value: Any) -> str | None:
    """A month as ``LastKnown.budget_month`` holds it: "2026-12", or ``None``."""
    if value is not None and not (
        isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value)
    ):
        raise UnreadableMemoryError("last_known.budget_month is not a month")
    return value
