"""System health: whether each base URL's API answers, and the accounts loaded."""

from typing import Any

from homeassistant.components import system_health
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback

from .api import BALANCE_PATH, DEFAULT_BASE_URL
from .const import CONF_BASE_URL, DOMAIN


@callback
def async_register(
    hass: HomeAssistant, register: system_health.SystemHealthRegistration
) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """DeepSeek's own API under its label; a gateway under its URL, as it has none."""
    entries = hass.config_entries.async_entries(DOMAIN)
    loaded = sum(entry.state is ConfigEntryState.LOADED for entry in entries)
    info: dict[str, Any] = {"loaded_accounts": loaded}
    for entry in entries:
        url = entry.data.get(CONF_BASE_URL, DEFAULT_BASE_URL).rstrip("/")
        label = "can_reach_server" if url == DEFAULT_BASE_URL else url
        if label not in info:
            info[label] = system_health.async_check_can_reach_url(
                hass, url + BALANCE_PATH
            )
    return info
