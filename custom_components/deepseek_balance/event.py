"""Event entity: money arriving, the balance running low, the account stopping."""

from typing import override

from homeassistant.components.event import (
    EventEntity,
    EventEntityDescription,
    EventExtraStoredData,
)
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.start import async_at_started

from .account import DeepSeekData
from .activity import ActivityKind, FiredActivity
from .coordinator import DeepSeekConfigEntry
from .entity import DeepSeekEntity

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0

BALANCE_ACTIVITY = EventEntityDescription(
    key="balance_activity",
    translation_key="balance_activity",
    event_types=[kind.value for kind in ActivityKind],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DeepSeekConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity."""
    async_add_entities([DeepSeekActivityEvent(entry.runtime_data, BALANCE_ACTIVITY)])


class DeepSeekActivityEvent(DeepSeekEntity, EventEntity):
    """Fires each poll's activities once HA runs, after the restored last event."""

    _fired_for: DeepSeekData | None = None
    _firing = False  # from Home Assistant's start and the first state written

    @property
    @override
    def available(self) -> bool:
        """Always: back from unavailable, the same event would look new to triggers."""
        return True

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self.async_on_remove(async_at_started(self.hass, self._async_start_firing))

    @callback
    def _async_start_firing(self, _hass: HomeAssistant) -> None:
        """Fire what waits on the loop's next turn, after the state added is written."""
        self.coordinator.config_entry.async_create_task(
            self.hass, self._async_fire_waiting(), eager_start=False
        )

    async def _async_fire_waiting(self) -> None:
        self._firing = True
        self._fire_new_activities()

    @override
    async def async_get_last_state(self) -> State | None:
        """The last event's time, from the entry's store."""
        fired = self.coordinator.data.last_fired
        return None if fired is None else State(self.entity_id, fired.fired_at)

    @override
    async def async_get_last_event_data(self) -> EventExtraStoredData | None:
        """The last event's type and attributes, from the entry's store."""
        if (fired := self.coordinator.data.last_fired) is None:
            return None
        return EventExtraStoredData(fired.event_type, dict(fired.attributes))

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        if not (self._firing and self._fire_new_activities()):
            super()._handle_coordinator_update()

    def _fire_new_activities(self) -> bool:
        """Fire the events of a poll not fired yet; return whether any fired."""
        data = self.coordinator.data
        if data is self._fired_for:
            return False
        self._fired_for = data
        if not (events := data.activities):
            return False
        for event in events:
            self._trigger_event(event.event_type.value, dict(event.attributes))
            self.async_write_ha_state()
        last = events[-1]
        fired_at = str(self.state)  # the time it fired, as the state shows it
        self.coordinator.async_note_fired(
            events, FiredActivity(last.event_type, fired_at, last.attributes)
        )
        return True
