"""Sensors: the balances of every currency, the rate limits and the API status."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, Platform, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account import ApiStatus, DeepSeekData
from .api import CurrencyBalance, RateLimit, RateLimits, currency_code
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
    attributes_fn: Callable[[DeepSeekData, str], dict[str, Any] | None] = (
        lambda _data, _currency: None
    )


@dataclass(frozen=True, kw_only=True)
class DeepSeekRateLimitSensorDescription(SensorEntityDescription):
    """A figure read from the rate-limit headers."""

    value_fn: Callable[[RateLimits], float | None]


def _balance(
    pick: Callable[[CurrencyBalance], Decimal | None],
) -> Callable[[DeepSeekData, str], Decimal | None]:
    return lambda data, currency: (
        None if (row := data.balance_of(currency)) is None else pick(row)
    )


def _spend(pick: Callable[[SpendFigures], Any]) -> Callable[[DeepSeekData, str], Any]:
    return lambda data, currency: (
        None if (figures := data.spend.get(currency)) is None else pick(figures)
    )


# An estimate is unknown for a new entry's first hours: it says until when.
_estimate_attributes = _spend(
    lambda figures: (
        {"first_estimate_at": figures.first_estimate_at.isoformat()}
        if figures.first_estimate_at is not None
        else None
    )
)


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
        key="balance_left",
        translation_key="balance_left",
        translation_key_one_currency="balance_left_one_currency",
        state_class=SensorStateClass.MEASUREMENT,
        unit_fn=lambda _currency: PERCENTAGE,
        value_fn=_spend(lambda figures: figures.balance_left),
    ),
    DeepSeekCurrencySensorDescription(
        key="spend_today",
        translation_key="spend_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.today),
        last_reset_fn=_spend(lambda figures: figures.day_start),
        attributes_fn=_spend(lambda figures: {"complete": figures.today_complete}),
    ),
    # Money, shown as every amount is; a monetary sensor cannot be a measurement,
    # and its mean would say nothing the balance's statistics do not.
    DeepSeekCurrencySensorDescription(
        key="average_daily_spend",
        translation_key="average_daily_spend",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.daily_average),
        attributes_fn=_estimate_attributes,
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
        attributes_fn=_estimate_attributes,
    ),
    # Counted from the 1st's local midnight, or from when the entry began.
    DeepSeekCurrencySensorDescription(
        key="spend_this_month",
        translation_key="spend_this_month",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.month),
        last_reset_fn=_spend(lambda figures: figures.month_start),
        attributes_fn=_spend(
            lambda figures: {
                "since": figures.month_since.isoformat(),
                "complete": figures.month_complete,
            }
        ),
    ),
    DeepSeekCurrencySensorDescription(
        key="projected_spend_this_month",
        translation_key="projected_spend_this_month",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=_spend(lambda figures: figures.projected_month),
        attributes_fn=_estimate_attributes,
    ),
)


def _seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()


def _rate_limit_sensors(
    kind: str, dimension: Callable[[RateLimits], RateLimit]
) -> tuple[DeepSeekRateLimitSensorDescription, ...]:
    """Limit, remaining and reset sensors of requests or tokens (units translated)."""
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
    """Add each sensor once there is reason to (money held, limits sent); keep it."""
    coordinator = entry.runtime_data
    registered_currencies, registered_rate_limits = _registered(hass, entry)
    added_currencies: list[str] = []
    rate_limits_added = False

    @callback
    def add_what_exists() -> None:
        nonlocal rate_limits_added
        data = coordinator.data
        known = (*added_currencies, *registered_currencies, *data.currencies_shown)
        shown = list(dict.fromkeys(known))
        entities: list[SensorEntity] = [
            DeepSeekCurrencySensor(
                coordinator, description, currency, one_currency=len(shown) == 1
            )
            for currency in shown[len(added_currencies) :]
            for description in CURRENCY_SENSORS
        ]
        added_currencies[:] = shown
        if not rate_limits_added and (registered_rate_limits or data.rate_limits_shown):
            rate_limits_added = True
            entities += (
                DeepSeekRateLimitSensor(coordinator, description)
                for description in RATE_LIMIT_SENSORS
            )
        if entities:
            async_add_entities(entities)

    async_add_entities([DeepSeekApiStatusSensor(coordinator, API_STATUS_SENSOR)])
    add_what_exists()
    entry.async_on_unload(coordinator.async_add_listener(add_what_exists))


def _registered(
    hass: HomeAssistant, entry: DeepSeekConfigEntry
) -> tuple[list[str], bool]:
    """The currencies with sensors in the registry, and whether rate limits have."""
    suffixes = [
        registry_entry.unique_id.removeprefix(f"{entry.entry_id}_")
        for registry_entry in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if registry_entry.domain == Platform.SENSOR
    ]
    currency_keys = {description.key for description in CURRENCY_SENSORS}
    currencies = [
        code
        for currency, _, key in (suffix.partition("_") for suffix in suffixes)
        if key in currency_keys and (code := currency_code(currency))
    ]
    rate_limit_keys = {description.key for description in RATE_LIMIT_SENSORS}
    return currencies, not rate_limit_keys.isdisjoint(suffixes)


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
        gone = self.coordinator.data.balance_of(self.currency) is None
        description = self.entity_description
        unreadable = description.unavailable_without_value and self.native_value is None
        return super().available and not gone and not unreadable

    @property
    @override
    def native_value(self) -> Decimal | None:
        return self.entity_description.value_fn(self.coordinator.data, self.currency)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        return self.entity_description.attributes_fn(
            self.coordinator.data, self.currency
        )

    @property
    @override
    def last_reset(self) -> datetime | None:
        return self.entity_description.last_reset_fn(
            self.coordinator.data, self.currency
        )

    @override
    def shown_now(self) -> tuple[Any, ...]:
        return (*super().shown_now(), self.native_value, self.last_reset)


class DeepSeekRateLimitSensor(DeepSeekEntity, SensorEntity):
    """A rate-limit figure; unknown while the answers carry no such header."""

    entity_description: DeepSeekRateLimitSensorDescription

    @property
    @override
    def native_value(self) -> float | None:
        if (rate_limits := self.coordinator.data.rate_limits) is None:
            return None
        return self.entity_description.value_fn(rate_limits)

    @override
    def shown_now(self) -> tuple[Any, ...]:
        return (*super().shown_now(), self.native_value)


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

    @override
    def shown_now(self) -> tuple[Any, ...]:
        return (self.native_value,)
