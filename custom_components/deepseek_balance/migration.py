"""Adopts the entries of bobloblawlobslawbomb/deepseek_balance, of the same domain.

Its users replace its files with these; its entities, this integration's for the same
facts, keep their entity IDs, names, areas and recorded history.
"""

import logging
import math
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .account import funded_currency
from .api import AMOUNT_NAMES, currency_code, default_base_url
from .const import (
    CONF_BASE_URL,
    CONF_LIMIT_CURRENCY,
    DEEPSEEK_CURRENCY,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    entry_title,
)
from .repair_issue import async_raise_duplicate_issue
from .sensor import API_STATUS_SENSOR, CURRENCY_SENSORS
from .storage import EntryStore

_LOGGER = logging.getLogger(__name__)

# The minor versions of the config entry that each step brings an entry to.
ADOPTING: Final = 2
LIMIT_CURRENCY: Final = 3

OTHER_DEFAULT_TITLE: Final = "Deepseek Balance"
OTHER_UPDATE_INTERVAL: Final = "update_interval"


def is_other_integration_entry(entry: ConfigEntry) -> bool:
    """Whether the other integration made the entry: each of ours has a base URL."""
    return CONF_BASE_URL not in entry.data


async def async_pin_limit_currency(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Store the limits' currency: 0.2.0's, the store's last funded one, else CNY."""
    memory = await EntryStore(hass, entry.entry_id).async_load()
    totals = {
        currency: memory.history.last_total(currency)
        for currency in memory.history.currencies
    }
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            CONF_LIMIT_CURRENCY: funded_currency(totals) or DEEPSEEK_CURRENCY,
        },
        minor_version=LIMIT_CURRENCY,
    )


async def async_remove_sensors_made_up_front(
    hass: HomeAssistant, entry: ConfigEntry
) -> None:
    """Remove 0.1.0's up-front sensors that never showed a figure, unless set up."""
    prefix = f"{entry.entry_id}_"
    memory = await EntryStore(hass, entry.entry_id).async_load()
    # Those of a currency in its history showed one.
    seen = {f"{prefix}{API_STATUS_SENSOR.key}"} | {
        f"{prefix}{currency.lower()}_{description.key}"
        for currency in memory.history.currencies
        for description in CURRENCY_SENSORS
    }
    registry = er.async_get(hass)
    for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            registry_entry.domain == Platform.SENSOR
            and registry_entry.unique_id not in seen
            and not _set_up_by_user(registry_entry)
        ):
            registry.async_remove(registry_entry.entity_id)
    hass.config_entries.async_update_entry(entry, minor_version=ADOPTING)


def _set_up_by_user(registry_entry: er.RegistryEntry) -> bool:
    """Whether the user named, placed, labelled, hid or disabled the entity."""
    return any(
        (
            registry_entry.name,
            registry_entry.icon,
            registry_entry.area_id,
            registry_entry.labels,
            # Home Assistant lists the entity's own name among them.
            [alias for alias in registry_entry.aliases if isinstance(alias, str)],
            registry_entry.categories,
            registry_entry.hidden_by,
            registry_entry.disabled_by is er.RegistryEntryDisabler.USER,
        )
    )


async def async_adopt_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Make the other integration's entry and its entities this integration's."""
    api_key = entry.data.get(CONF_API_KEY)
    api_key = api_key.strip() if isinstance(api_key, str) else ""
    data = {CONF_API_KEY: api_key, CONF_BASE_URL: default_base_url()}
    options = {}
    if (interval := _update_interval(entry)) is not None:
        options[CONF_SCAN_INTERVAL] = interval
    # The automatic title; without a key, the one re-authentication replaces.
    title = entry_title(api_key) if entry.title == OTHER_DEFAULT_TITLE else entry.title
    # Checked and updated without an await between, so of two entries of one
    # account adopted at one start, the second one sees the first.
    duplicate_of = next(
        (
            other
            for other in hass.config_entries.async_entries(DOMAIN)
            if other.entry_id != entry.entry_id and dict(other.data) == data
        ),
        None,
    )
    hass.config_entries.async_update_entry(
        entry, title=title, data=data, options=options, minor_version=ADOPTING
    )
    if duplicate_of is not None:
        async_raise_duplicate_issue(hass, entry, duplicate_of)
    await er.async_migrate_entries(
        hass, entry.entry_id, lambda registry_entry: _adopted(hass, registry_entry)
    )
    _LOGGER.info("%s: adopted from the other deepseek_balance integration", title)


def _update_interval(entry: ConfigEntry) -> int | None:
    """The other integration's interval (options, then data), in this one's range."""
    value = entry.options.get(
        OTHER_UPDATE_INTERVAL, entry.data.get(OTHER_UPDATE_INTERVAL)
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(seconds := float(value)):
        return None
    low, high = MIN_SCAN_INTERVAL.total_seconds(), MAX_SCAN_INTERVAL.total_seconds()
    return round(min(max(seconds, low), high))


def _adopted(
    hass: HomeAssistant, registry_entry: er.RegistryEntry
) -> dict[str, Any] | None:
    """The unique ID of an old entity's fact; one taken already leaves it as it is."""
    prefix = f"{registry_entry.config_entry_id}_"
    if not registry_entry.unique_id.startswith(prefix):
        return None
    # After the prefix: availability, or a currency's balance by the API's name.
    suffix = registry_entry.unique_id.removeprefix(prefix)
    new_suffix = None
    if registry_entry.domain == Platform.BINARY_SENSOR and suffix == "is_available":
        new_suffix = "account_available"
    elif registry_entry.domain == Platform.SENSOR:
        currency, _, key = suffix.partition("_")
        if key in AMOUNT_NAMES and (code := currency_code(currency)):
            new_suffix = f"{code.lower()}_{key}"
    if new_suffix is None:
        return None
    unique_id = prefix + new_suffix
    if er.async_get(hass).async_get_entity_id(registry_entry.domain, DOMAIN, unique_id):
        return None
    return {"new_unique_id": unique_id}
