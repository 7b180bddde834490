"""Sensors: the balances of every currency, the rate limits and the API status."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import re
from typing import Any, Final, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account import ApiStatus, DeepSeekData
from .api import CurrencyBalance, RateLimit, RateLimits
from .coordinator import DeepSeekConfigEntry, DeepSeekCoordinator
from .entity import DeepSeekEntity
from .history import SpendFigures

# The coordinator fetches for every entity at once.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class DeepSeekCurrencySensorDescription(SensorEntityDescription):
    """A figure of one currency; the currency fills in the name and the unit."""

    value_fn: Callable[[DeepSeekData, str], Decimal | None]
    unit_fn: Callable[[str], str] = lambda currency: currency
    last_reset_fn: Callable[[DeepSeekData, str], datetime | None] = (
        lambda _data, _currency: None
    )
    # Balances are unavailable when unreadable; a forecast is just not known yet.
    unavailable_without_value: bool = False
    # The name while the account has one currency, when the unit does not say it.
    translation_key_one_currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class DeepSeekRateLimitSensorDescription(SensorEntityDescription):
    """A figure read from the rate-limit headers."""

    value_fn: Callable[[RateLimits], float | None]


def _balance(
    pick: Callable[[CurrencyBalance], Decimal | None],
) -> Callable[[DeepSeekData, str], Decimal | None]:
    def value(data: DeepSeekData, currency: str) -> Decimal | None:
        row = data.balance_of(currency)
        return None if row is None else pick(row)

    return value


def _spend(pick: Callable[[SpendFigures], Any]) -> Callable[[DeepSeekData, str], Any]:
    def value(data: DeepSeekData, currency: str) -> Any:
        figures = data.spend.get(currency)
        return None if figures is None else pick(figures)

    return value


CURRENCY_SENSORS: tuple[DeepSeekCurrencySensorDescription, ...] = (
    *(
        DeepSeekCurrencySensorDescription(
            key=key,
            translation_key=key,
            device_class=SensorDeviceClass.MONETARY,
            state_class=SensorStateClass.TOTAL,
            suggested_display_precision=2,
            unavailable_without_value=True,
            value_fn=_balance(pick),
        )
        for key, pick in (
            ("total_balance", lambda row: row.total),
            ("granted_balance", lambda row: row.granted),
            ("topped_up_balance", lambda row: row.topped_up),
        )
    ),
    DeepSeekCurrencySensorDescription(
        key="spend_today",
        translation_key="spend_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.today),
        last_reset_fn=_spend(lambda figures: figures.day_start),
    ),
    # Money, shown as every amount is; a monetary sensor cannot be a measurement,
    # and its mean would say nothing the balance's statistics do not.
    DeepSeekCurrencySensorDescription(
        key="average_daily_spend",
        translation_key="average_daily_spend",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.daily_average),
    ),
    DeepSeekCurrencySensorDescription(
        key="days_remaining",
        translation_key="days_remaining",
        translation_key_one_currency="days_remaining_one_currency",
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        unit_fn=lambda _currency: UnitOfTime.DAYS,
        value_fn=_spend(lambda figures: figures.days_remaining),
    ),
)


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


def _rate_limit_sensors(
    kind: str, dimension: Callable[[RateLimits], RateLimit]
) -> tuple[DeepSeekRateLimitSensorDescription, ...]:
    """Limit, remaining and reset sensors of one dimension: requests or tokens.

    The counts take their unit ("requests", "tokens") from the translations.
    """
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

CURRENCY_SENSOR_KEYS: Final = tuple(description.key for description in CURRENCY_SENSORS)
RATE_LIMIT_SENSOR_KEYS: Final = tuple(
    description.key for description in RATE_LIMIT_SENSORS
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
    """Add each sensor once there is something to show, and keep it from then on.

    The entry's store remembers what was shown, so a restart brings every such
    sensor back. So does the entity registry: for an entry adopted from the other
    deepseek_balance integration, or whose memory started afresh, a registered
    sensor is one the user has. Only 0.1.0 registered sensors that were never
    shown (it made them up front, and its store lists none): those are removed.
    """
    coordinator = entry.runtime_data
    shown = coordinator.memory.sensors
    registry = er.async_get(hass)
    registered = er.async_entries_for_config_entry(registry, entry.entry_id)
    if shown.listed:
        currencies, rate_limits = _registered_sensors(entry.entry_id, registered)
        if shown.show(currencies, rate_limits=rate_limits):
            coordinator.store.async_schedule_save(coordinator.memory, soon=True)
    added_currencies: set[str] = set()
    rate_limits_added = False
    unique_ids: set[str] = set()

    @callback
    def add_what_there_is_to_show() -> None:
        nonlocal rate_limits_added
        data = coordinator.data
        if shown.show(
            currencies_to_show(data),
            rate_limits=data.rate_limits is not None and data.rate_limits.present,
        ):
            coordinator.store.async_schedule_save(coordinator.memory, soon=True)
        entities: list[SensorEntity] = [
            DeepSeekCurrencySensor(
                coordinator,
                description,
                currency,
                one_currency=len(shown.currencies) == 1,
            )
            for currency in shown.currencies
            if currency not in added_currencies
            for description in CURRENCY_SENSORS
        ]
        added_currencies.update(shown.currencies)
        if shown.rate_limits and not rate_limits_added:
            rate_limits_added = True
            entities += (
                DeepSeekRateLimitSensor(coordinator, description)
                for description in RATE_LIMIT_SENSORS
            )
        if entities:
            unique_ids.update(str(entity.unique_id) for entity in entities)
            async_add_entities(entities)

    api_status = DeepSeekApiStatusSensor(coordinator, API_STATUS_SENSOR)
    unique_ids.add(str(api_status.unique_id))
    async_add_entities([api_status])
    add_what_there_is_to_show()
    entry.async_on_unload(coordinator.async_add_listener(add_what_there_is_to_show))
    if not shown.listed:
        for registry_entry in registered:
            if (
                registry_entry.domain == SENSOR_DOMAIN
                and registry_entry.unique_id not in unique_ids
            ):
                registry.async_remove(registry_entry.entity_id)
        shown.mark_listed()
        coordinator.store.async_schedule_save(coordinator.memory, soon=True)


def _registered_sensors(
    entry_id: str, registered: Iterable[er.RegistryEntry]
) -> tuple[list[str], bool]:
    """The currencies, and whether the rate limits, the registry has sensors of."""
    currency_sensor = re.compile(
        rf"{re.escape(entry_id)}_([a-z]{{3}})_({'|'.join(CURRENCY_SENSOR_KEYS)})"
    )
    rate_limit_sensors = {f"{entry_id}_{key}" for key in RATE_LIMIT_SENSOR_KEYS}
    currencies: list[str] = []
    rate_limits = False
    for registry_entry in registered:
        if registry_entry.domain != SENSOR_DOMAIN:
            continue
        if match := currency_sensor.fullmatch(registry_entry.unique_id):
            currencies.append(match[1].upper())
        rate_limits |= registry_entry.unique_id in rate_limit_sensors
    return currencies, rate_limits


def currencies_to_show(data: DeepSeekData) -> list[str]:
    """The currencies that hold money; while none does, the funded one.

    A zero row beside the funded one (USD beside CNY, often) adds nothing; the only
    row of a new, empty account still shows, even with its amounts unreadable.
    """
    rows = data.balance.balances
    if holding := [row.currency for row in rows if row.holds_money]:
        return holding
    if data.funded_currency is not None:
        return [data.funded_currency]
    return [rows[0].currency] if rows else []


class DeepSeekCurrencySensor(DeepSeekEntity, SensorEntity):
    """One figure of one currency, named after it: "Total balance (CNY)"."""

    entity_description: DeepSeekCurrencySensorDescription

    def __init__(
        self,
        coordinator: DeepSeekCoordinator,
        description: DeepSeekCurrencySensorDescription,
        currency: str,
        *,
        one_currency: bool,
    ) -> None:
        """Bind the description to a currency, named after it if there are more."""
        super().__init__(
            coordinator, description, f"{currency.lower()}_{description.key}"
        )
        self.currency = currency
        self._attr_native_unit_of_measurement = description.unit_fn(currency)
        if one_currency and description.translation_key_one_currency:
            self._attr_translation_key = description.translation_key_one_currency
        self._attr_translation_placeholders = {"currency": currency}

    @property
    @override
    def available(self) -> bool:
        """Unavailable when the currency is gone or a balance was unreadable."""
        data = self.coordinator.data
        return (
            super().available
            and data.balance_of(self.currency) is not None
            and not (
                self.entity_description.unavailable_without_value
                and self.native_value is None
            )
        )

    @property
    @override
    def native_value(self) -> Decimal | None:
        return self.entity_description.value_fn(self.coordinator.data, self.currency)

    @property
    @override
    def last_reset(self) -> datetime | None:
        return self.entity_description.last_reset_fn(
            self.coordinator.data, self.currency
        )


class DeepSeekRateLimitSensor(DeepSeekEntity, SensorEntity):
    """A rate-limit figure; unknown while the answers carry no such header."""

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
        return self.coordinator.api_status
