"""The DeepSeek Balance integration: a DeepSeek API account in Home Assistant."""

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import DeepSeekClient
from .const import CONF_BASE_URL, DOMAIN
from .coordinator import DeepSeekConfigEntry, DeepSeekCoordinator

PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


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
            translation_domain=DOMAIN, translation_key="invalid_url"
        ) from err
    coordinator = DeepSeekCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Unload the platforms; the coordinator stops itself with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
