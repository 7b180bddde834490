"""Backups hold each entry's store as it is when they are taken."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from .const import DOMAIN
from .coordinator import DeepSeekConfigEntry


async def async_pre_backup(hass: HomeAssistant) -> None:
    """Write the saves still waiting for their delay (up to 5 minutes of history)."""
    entries: list[DeepSeekConfigEntry] = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.state is ConfigEntryState.LOADED:
            coordinator = entry.runtime_data
            await coordinator.store.async_save_now(coordinator.memory)


async def async_post_backup(hass: HomeAssistant) -> None:
    """Nothing to resume: writing went on as usual."""
