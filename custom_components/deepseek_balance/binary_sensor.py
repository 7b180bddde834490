"""Binary sensors: whether the balance pays for API calls, and whether it is low."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

# Older releases define the device classes in the package itself, newer ones in
# .const with a re-export that mypy does not count as explicit.
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account import DeepSeekData
from .coordinator import DeepSeekConfigEntry
from .entity import DeepSeekEntity

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DeepSeekBinarySensorDescription(BinarySensorEntityDescription):
    """A yes/no fact about the account."""

    is_on_fn: Callable[[DeepSeekData], bool | None]
    attributes_fn: Callable[[DeepSeekData], dict[str, Any] | None] = lambda _data: None


def _budget_attributes(data: DeepSeekData) -> dict[str, Any]:
    """Not the spend: as an attribute it would write this sensor at every busy poll."""
    currency = data.limit_currency
    figures = None if currency is None else data.spend.get(currency)
    return {
        "budget": float(data.monthly_budget),
        "currency": currency,
        "complete": None if figures is None else figures.month_complete,
    }


BINARY_SENSORS: tuple[DeepSeekBinarySensorDescription, ...] = (
    # No device class: "connectivity" would claim the API is reachable, while this
    # says whether the balance can pay for calls.
    DeepSeekBinarySensorDescription(
        key="account_available",
        translation_key="account_available",
        is_on_fn=lambda data: data.balance.is_available,
    ),
    # On below the threshold or forecast set in the options.
    DeepSeekBinarySensorDescription(
        key="low_balance",
        translation_key="low_balance",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.low_balance,
    ),
    DeepSeekBinarySensorDescription(
        key="over_budget",
        translation_key="over_budget",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda data: data.over_budget,
        attributes_fn=_budget_attributes,
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
    """A binary sensor whose state comes from the latest poll."""

    entity_description: DeepSeekBinarySensorDescription

    @property
    @override
    def is_on(self) -> bool | None:
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.entity_description.attributes_fn(self.coordinator.data)

    @override
    def shown_now(self) -> tuple[Any, ...]:
        return (*super().shown_now(), self.is_on)
