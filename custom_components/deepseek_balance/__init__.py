"""The DeepSeek Balance integration: a DeepSeek API account in Home Assistant."""

from homeassistant.const import CONF_API_KEY, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryError
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import dt as dt_util

from .api import DeepSeekClient
from .const import CONF_BASE_URL, DOMAIN
from .coordinator import DeepSeekConfigEntry, DeepSeekCoordinator
from .migration import (
    ADOPTING,
    LIMIT_CURRENCY,
    async_adopt_entry,
    async_pin_limit_currency,
    async_remove_sensors_made_up_front,
    is_other_integration_entry,
)
from .repair_issue import (
    async_track_availability,
    async_withdraw_settled_duplicate_issues,
    duplicate_issue_id,
    repair_issue_id,
)
from .services import async_setup_services
from .storage import EntryStore

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.EVENT, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions: an entry not loaded is then refused with a reason."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Check the key with a first poll, then set up the entities."""
    if not entry.data[CONF_API_KEY]:
        # An entry adopted from the other integration may hold none: ask for one.
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="no_api_key",
            translation_placeholders={"title": entry.title},
        )
    try:
        client = DeepSeekClient(
            async_get_clientsession(hass),
            entry.data[CONF_API_KEY],
            clock=dt_util.utcnow,
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
    async_withdraw_settled_duplicate_issues(hass)
    return True


async def async_migrate_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Bring an entry of version 1.1 or 1.2 to 1.3; newer minor versions read as is."""
    if entry.minor_version < ADOPTING:
        if is_other_integration_entry(entry):
            await async_adopt_entry(hass, entry)
        else:  # an entry of 0.1.0
            await async_remove_sensors_made_up_front(hass, entry)
    if entry.minor_version < LIMIT_CURRENCY:
        await async_pin_limit_currency(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> bool:
    """Unload the platforms; the coordinator stops and writes its memory itself."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> None:
    """Forget the entry's memory and withdraw its repair issues."""
    await EntryStore(hass, entry.entry_id).async_remove()
    ir.async_delete_issue(hass, DOMAIN, repair_issue_id(entry.entry_id))
    ir.async_delete_issue(hass, DOMAIN, duplicate_issue_id(entry.entry_id))
    async_withdraw_settled_duplicate_issues(hass)
