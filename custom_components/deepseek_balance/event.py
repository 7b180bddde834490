"""Event entity: money arriving, the balance running low, the account stopping."""

from typing import override

from homeassistant.components.event import (
    EventEntity,
    EventEntityDescription,
    EventExtraStoredData,
)
from homeassistant.core import HomeAssistant, State, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

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
    """Fires each poll's activities, so automations need no templates.

    The poll that sets the entry up runs before this entity exists; what it found
    (a top-up while Home Assistant was off, a limit crossed by an options change)
    fires as soon as the entity is added.
    """

    _fired_for: DeepSeekData | None = None

    @property
    @override
    def available(self) -> bool:
        """Always: the last event is history, which a failed poll does not change.

        Unavailable, it would come back to the same event after every outage, and
        a state trigger would take that for a new one.
        """
        return True

    @override
    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        self._fire_new_activities()

    @override
    async def async_get_last_state(self) -> State | None:
        """The last state; its event's time from the entry's store if it has none.

        The state Home Assistant restores is the entity's last one, which holds
        no event time if it was unavailable then (a reload during an outage).
        """
        state = await super().async_get_last_state()
        if (fired := self._fired_without_time(state)) is not None:
            return State(self.entity_id, fired.fired_at)
        return state

    @override
    async def async_get_last_event_data(self) -> EventExtraStoredData | None:
        """The last event's type and attributes, with the time restored."""
        state = await super().async_get_last_state()
        if (fired := self._fired_without_time(state)) is not None:
            return EventExtraStoredData(fired.event_type, dict(fired.attributes))
        return await super().async_get_last_event_data()

    def _fired_without_time(self, state: State | None) -> FiredActivity | None:
        """The store's last event, when the restored state has no time of one."""
        if state is not None and dt_util.parse_datetime(state.state) is not None:
            return None
        return self.coordinator.data.last_fired

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        if not self._fire_new_activities():
            super()._handle_coordinator_update()

    def _fire_new_activities(self) -> bool:
        """Fire the activities of a poll not fired yet; return whether any fired."""
        data = self.coordinator.data
        if data is self._fired_for:
            return False
        self._fired_for = data
        if not data.activities:
            return False
        for activity in data.activities:
            self._trigger_event(activity.kind.value, activity.attributes)
            self.async_write_ha_state()
        return True
