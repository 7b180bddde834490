"""Keeps the balance history across restarts, without a write on every poll."""

from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .history import BalanceHistory

STORAGE_VERSION: Final = 1
SAVE_DELAY: Final = 300  # seconds


class HistoryStore:
    """The history of one config entry, in ``.storage/deepseek_balance.<entry_id>``."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Bind the store to its entry."""
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}"
        )
        self._saved_revision = 0
        self._save_pending = False

    async def async_load(self) -> BalanceHistory:
        """The stored history, or an empty one."""
        stored = await self._store.async_load()
        return BalanceHistory() if stored is None else BalanceHistory.from_dict(stored)

    @callback
    def async_schedule_save(self, history: BalanceHistory) -> None:
        """Write within ``SAVE_DELAY`` if the history gained samples.

        Only the first call of a delay schedules: ``Store.async_delay_save`` pushes
        a pending write back on every call, which polls faster than the delay would
        postpone for ever.
        """
        if self._save_pending or history.revision == self._saved_revision:
            return
        self._save_pending = True

        def data() -> dict[str, Any]:
            self._save_pending = False
            self._saved_revision = history.revision
            return history.as_dict()

        self._store.async_delay_save(data, SAVE_DELAY)

    async def async_save_now(self, history: BalanceHistory) -> None:
        """Write at once (on unload), replacing any pending delayed write."""
        self._save_pending = False
        self._saved_revision = history.revision
        await self._store.async_save(history.as_dict())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
