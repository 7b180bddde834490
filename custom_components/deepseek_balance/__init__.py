"""The DeepSeek Balance integration: a DeepSeek API account in Home Assistant."""

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import DeepSeekClient
from .const import CONF_BASE_URL, DOMAIN
from .coordinator import DeepSeekConfigEntry, DeepSeekCoordinator
from .repair_issue import async_track_availability, repair_issue_id
from .storage import EntryStore

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Check the key with a first poll, then set up the entities."""
    try:
        client = DeepSeekClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            base_url=entry.data[CONF_BASE_URL],
        )
    except ValueError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_url",
            translation_placeholders={"title": entry.title},
        ) from err
    coordinator = DeepSeekCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_track_availability(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Unload the platforms; the coordinator stops and writes its memory itself."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> None:
    """Forget the entry's memory and withdraw its repair issue."""
    await EntryStore(hass, entry.entry_id).async_remove()
    ir.async_delete_issue(hass, DOMAIN, repair_issue_id(entry.entry_id))
