"""Keeps an entry's memory in ``.storage``, without a write on every poll."""

from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .memory import EntryMemory

STORAGE_VERSION: Final = 1
# 2 adds the sensors shown, 3 the last known state; an older store lacks them.
STORAGE_MINOR_VERSION: Final = 3
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
        self._saved_revision = 0
        self._save_pending = False

    async def async_load(self) -> EntryMemory:
        """The stored memory, or an empty one."""
        stored = await self._store.async_load()
        return EntryMemory() if stored is None else EntryMemory.from_dict(stored)

    @callback
    def async_schedule_save(self, memory: EntryMemory, *, soon: bool = False) -> None:
        """Write within ``SAVE_DELAY`` (or ``soon``, at once) if something changed.

        Only the first call of a delay schedules: ``Store.async_delay_save`` pushes
        a pending write back on every call, which polls faster than the delay would
        postpone for ever. A write asked for ``soon`` replaces a pending one.
        """
        if memory.revision == self._saved_revision:
            return
        if self._save_pending and not soon:
            return
        self._save_pending = True

        def data() -> dict[str, Any]:
            self._save_pending = False
            self._saved_revision = memory.revision
            return memory.as_dict()

        self._store.async_delay_save(data, 0 if soon else SAVE_DELAY)

    async def async_save_now(self, memory: EntryMemory) -> None:
        """Write at once (on unload) what is new, replacing a pending delayed write."""
        if memory.revision == self._saved_revision and not self._save_pending:
            return
        self._save_pending = False
        self._saved_revision = memory.revision
        await self._store.async_save(memory.as_dict())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
