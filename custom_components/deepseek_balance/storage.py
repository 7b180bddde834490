"""What an entry remembers across restarts, written without a save on every poll.

The balance history; the last known low-balance state and availability, so each of
their changes is reported once, restarts and reloads included; and the sensors the
entry has shown, as a sensor stays once it has appeared.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .history import BalanceHistory

STORAGE_VERSION: Final = 1
# 2 adds the sensors shown and the last known state; a store of 1 has neither.
STORAGE_MINOR_VERSION: Final = 2
SAVE_DELAY: Final = 300  # seconds


@dataclass
class ShownSensors:
    """The currencies whose sensors exist, and whether the rate-limit ones do."""

    currencies: list[str] = field(default_factory=list)  # in order of appearance
    rate_limits: bool = False
    revision: int = 0  # counts changes, so the store writes only news

    def show(self, currencies: Iterable[str], *, rate_limits: bool) -> bool:
        """Add what there is to show now; return whether anything is new."""
        new = [c for c in dict.fromkeys(currencies) if c not in self.currencies]
        newly_rate_limits = rate_limits and not self.rate_limits
        if not new and not newly_rate_limits:
            return False
        self.currencies += new
        self.rate_limits |= rate_limits
        self.revision += 1
        return True


@dataclass
class LastKnown:
    """The last known state of what fires an event when it begins."""

    low_balance: bool | None = None
    available: bool | None = None
    revision: int = 0

    def remember(self, *, low_balance: bool | None, available: bool | None) -> None:
        """Keep what a poll found; ``None`` (unknown) keeps what was known."""
        known = (
            self.low_balance if low_balance is None else low_balance,
            self.available if available is None else available,
        )
        if known != (self.low_balance, self.available):
            self.low_balance, self.available = known
            self.revision += 1


@dataclass
class EntryMemory:
    """Everything an entry keeps in its store."""

    history: BalanceHistory = field(default_factory=BalanceHistory)
    last_known: LastKnown = field(default_factory=LastKnown)
    sensors: ShownSensors = field(default_factory=ShownSensors)

    @property
    def revision(self) -> int:
        """Grows whenever something worth writing changed."""
        return self.history.revision + self.last_known.revision + self.sensors.revision

    def as_dict(self) -> dict[str, Any]:
        """What the store keeps."""
        return {
            **self.history.as_dict(),
            "last_known": {
                "low_balance": self.last_known.low_balance,
                "available": self.last_known.available,
            },
            "sensors": {
                "currencies": self.sensors.currencies,
                "rate_limits": self.sensors.rate_limits,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EntryMemory:
        """Inverse of ``as_dict``; a store of minor version 1 knows neither."""
        last_known = data.get("last_known", {})
        sensors = data.get("sensors", {})
        return cls(
            BalanceHistory.from_dict(data),
            LastKnown(
                low_balance=last_known.get("low_balance"),
                available=last_known.get("available"),
            ),
            ShownSensors(
                currencies=list(sensors.get("currencies", [])),
                rate_limits=bool(sensors.get("rate_limits", False)),
            ),
        )


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
        """Write at once (on unload), replacing any pending delayed write."""
        self._save_pending = False
        self._saved_revision = memory.revision
        await self._store.async_save(memory.as_dict())

    async def async_remove(self) -> None:
        """Delete the file when the entry is removed."""
        await self._store.async_remove()
