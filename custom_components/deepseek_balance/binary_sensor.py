"""Binary sensor: whether the balance can still pay for API calls."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Snapshot
from .coordinator import DeepSeekConfigEntry
from .entity import DeepSeekEntity

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DeepSeekBinarySensorDescription(BinarySensorEntityDescription):
    """A yes/no fact about the account."""

    is_on_fn: Callable[[Snapshot], bool | None]


BINARY_SENSORS: tuple[DeepSeekBinarySensorDescription, ...] = (
    # No device class: "connectivity" would claim the API is reachable, while this
    # says whether the balance can pay for calls.
    DeepSeekBinarySensorDescription(
        key="account_available",
        translation_key="account_available",
        is_on_fn=lambda snapshot: snapshot.balance.is_available,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DeepSeekConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors."""
    async_add_entities(
        DeepSeekBinarySensor(entry.runtime_data, description)
        for description in BINARY_SENSORS
    )


class DeepSeekBinarySensor(DeepSeekEntity, BinarySensorEntity):
    """A binary sensor whose state comes from the latest snapshot."""

    entity_description: DeepSeekBinarySensorDescription

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.coordinator.data)
