"""The base of every DeepSeek Balance entity: one service device per entry."""

from typing import Any, override

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, USAGE_URL
from .coordinator import DeepSeekCoordinator


class DeepSeekEntity(CoordinatorEntity[DeepSeekCoordinator]):
    """An entity of the account's service device, unique by entry: no account ID."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: DeepSeekCoordinator,
        description: EntityDescription,
        unique_suffix: str | None = None,
    ) -> None:
        """Name the entity by its description, within the entry's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{unique_suffix or description.key}"
        self._attr_device_info = DeviceInfo(
            entry_type=DeviceEntryType.SERVICE,
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer="DeepSeek",
            name=entry.title,
            configuration_url=USAGE_URL,
        )

    _shown: tuple[Any, ...] | None = None

    def shown_now(self) -> tuple[Any, ...]:
        """What the entity shows now, as cheaply as it can be told apart."""
        return (self.available, self.extra_state_attributes)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what it shows changed: a poll changes few."""
        if (shown := self.shown_now()) != self._shown:
            self._shown = shown
            self.async_write_ha_state()
