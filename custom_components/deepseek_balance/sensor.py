"""Sensors: the balances of every currency, the rate limits and the API status."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import CurrencyBalance, RateLimit, RateLimits
from .coordinator import ApiStatus, DeepSeekConfigEntry, DeepSeekCoordinator
from .entity import DeepSeekEntity

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DeepSeekBalanceSensorDescription(SensorEntityDescription):
    """A part of one currency's balance."""

    value_fn: Callable[[CurrencyBalance], Decimal | None]


@dataclass(frozen=True, kw_only=True)
class DeepSeekRateLimitSensorDescription(SensorEntityDescription):
    """A figure read from the rate-limit headers."""

    value_fn: Callable[[RateLimits], float | None]


BALANCE_SENSORS: tuple[DeepSeekBalanceSensorDescription, ...] = tuple(
    DeepSeekBalanceSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=value_fn,
    )
    for key, value_fn in (
        ("total_balance", lambda row: row.total),
        ("granted_balance", lambda row: row.granted),
        ("topped_up_balance", lambda row: row.topped_up),
    )
)


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


def _rate_limit_sensors(
    kind: str, dimension: Callable[[RateLimits], RateLimit]
) -> tuple[DeepSeekRateLimitSensorDescription, ...]:
    """Limit, remaining and reset sensors of one dimension: requests or tokens."""
    return (
        DeepSeekRateLimitSensorDescription(
            key=f"{kind}_limit",
            translation_key=f"{kind}_limit",
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda limits: dimension(limits).limit,
        ),
        DeepSeekRateLimitSensorDescription(
            key=f"{kind}_remaining",
            translation_key=f"{kind}_remaining",
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda limits: dimension(limits).remaining,
        ),
        DeepSeekRateLimitSensorDescription(
            key=f"{kind}_reset",
            translation_key=f"{kind}_reset",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.SECONDS,
            suggested_display_precision=0,
            entity_registry_enabled_default=False,
            value_fn=lambda limits: _seconds(dimension(limits).reset_after),
        ),
    )


RATE_LIMIT_SENSORS: tuple[DeepSeekRateLimitSensorDescription, ...] = (
    *_rate_limit_sensors("requests", lambda limits: limits.requests),
    *_rate_limit_sensors("tokens", lambda limits: limits.tokens),
)

API_STATUS_SENSOR = SensorEntityDescription(
    key="api_status",
    translation_key="api_status",
    device_class=SensorDeviceClass.ENUM,
    entity_category=EntityCategory.DIAGNOSTIC,
    options=[status.value for status in ApiStatus],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: DeepSeekConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the sensors, and balance sensors for each currency as it appears."""
    coordinator = entry.runtime_data
    known_currencies: set[str] = set()

    @callback
    def add_new_currencies() -> None:
        new = [
            currency
            for currency in dict.fromkeys(
                row.currency for row in coordinator.data.balance.balances
            )
            if currency not in known_currencies
        ]
        known_currencies.update(new)
        async_add_entities(
            DeepSeekBalanceSensor(coordinator, description, currency)
            for currency in new
            for description in BALANCE_SENSORS
        )

    add_new_currencies()
    entry.async_on_unload(coordinator.async_add_listener(add_new_currencies))
    async_add_entities(
        [
            *(
                DeepSeekRateLimitSensor(coordinator, description)
                for description in RATE_LIMIT_SENSORS
            ),
            DeepSeekApiStatusSensor(coordinator, API_STATUS_SENSOR),
        ]
    )


class DeepSeekBalanceSensor(DeepSeekEntity, SensorEntity):
    """One part of one currency's balance, in that currency."""

    entity_description: DeepSeekBalanceSensorDescription

    def __init__(
        self,
        coordinator: DeepSeekCoordinator,
        description: DeepSeekBalanceSensorDescription,
        currency: str,
    ) -> None:
        """Name the sensor after its currency, e.g. "Total balance (CNY)"."""
        super().__init__(
            coordinator, description, f"{currency.lower()}_{description.key}"
        )
        self.currency = currency
        self._attr_native_unit_of_measurement = currency
        self._attr_translation_placeholders = {"currency": currency}

    def _amount(self) -> Decimal | None:
        row = next(
            (
                row
                for row in self.coordinator.data.balance.balances
                if row.currency == self.currency
            ),
            None,
        )
        return None if row is None else self.entity_description.value_fn(row)

    @property
    @override
    def available(self) -> bool:
        """Unavailable when the currency is gone or its amount was unreadable."""
        return super().available and self._amount() is not None

    @property
    @override
    def native_value(self) -> Decimal | None:
        return self._amount()


class DeepSeekRateLimitSensor(DeepSeekEntity, SensorEntity):
    """A rate-limit figure; unknown when DeepSeek sends no such header."""

    entity_description: DeepSeekRateLimitSensorDescription

    @property
    @override
    def native_value(self) -> float | None:
        rate_limits = self.coordinator.data.rate_limits
        return (
            None
            if rate_limits is None
            else self.entity_description.value_fn(rate_limits)
        )


class DeepSeekApiStatusSensor(DeepSeekEntity, SensorEntity):
    """Why the other entities look as they do; available even when they are not."""

    @property
    @override
    def available(self) -> bool:
        return True

    @property
    @override
    def native_value(self) -> str:
        return self.coordinator.api_status.value
