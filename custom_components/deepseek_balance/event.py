"""Event entity: money arriving, the balance running low, the account stopping."""

from typing import Any, override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ActivityType, DeepSeekConfigEntry, activity_signal
from .entity import DeepSeekEntity

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0

BALANCE_ACTIVITY = EventEntityDescription(
    key="balance_activity",
    translation_key="balance_activity",
    event_types=[activity.value for activity in ActivityType],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DeepSeekConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity."""
    async_add_entities([DeepSeekActivityEvent(entry.runtime_data, BALANCE_ACTIVITY)])


class DeepSeekActivityEvent(DeepSeekEntity, EventEntity):
    """Fires what the coordinator announces, so automations need no templates."""

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                activity_signal(self.coordinator.config_entry.entry_id),
                self._handle_activity,
            )
        )

    @callback
    def _handle_activity(
        self, activity: ActivityType, attributes: dict[str, Any]
    ) -> None:
        self._trigger_event(activity.value, attributes)
        self.async_write_ha_state()
