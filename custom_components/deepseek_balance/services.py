"""The get_spending action: an account's spend, day by day, from its history."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

try:
    import probatio
except ImportError:  # pragma: no cover - the floor suite, on 2026.3.1, runs it
    import voluptuous as probatio  # type: ignore[no-redef]  # noqa: TID251

from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import DeepSeekConfigEntry
from .history import CENT, KEPT_DAYS, Spending

GET_SPENDING_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional("start_date"): cv.date,
        probatio.Optional("end_date"): cv.date,
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions, whatever state the entries are in."""
    hass.services.async_register(
        DOMAIN,
        "get_spending",
        _async_get_spending,
        schema=GET_SPENDING_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


async def _async_get_spending(call: ServiceCall) -> dict[str, Any]:
    """Each local day's spend, top-ups and grants by currency, and their sums."""
    entry: DeepSeekConfigEntry = service.async_get_config_entry(
        call.hass, DOMAIN, call.data[ATTR_CONFIG_ENTRY_ID]
    )
    now = dt_util.now()
    today = now.date()
    start: date = call.data.get("start_date", today.replace(day=1))
    end: date = call.data.get("end_date", today)
    dates = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if end < start:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="end_before_start",
            translation_placeholders=dates,
        )
    if start < (first := today - timedelta(days=KEPT_DAYS)):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="start_too_old",
            translation_placeholders={"start_date": str(start), "oldest": str(first)},
        )
    currencies = {}
    for currency, series in entry.runtime_data.memory.history.currencies.items():
        if not series.samples:
            continue
        days = series.spending(start, end, now)
        currencies[currency] = {
            **_figures(days),
            "balance": _cents(series.samples[-1].total),
            "days": [
                {"date": (start + timedelta(days=n)).isoformat(), **_figures([day])}
                for n, day in enumerate(days)
            ],
        }
    return {**dates, "currencies": currencies}


def _figures(days: list[Spending]) -> dict[str, Any]:
    """The sums of ``days``, complete if each day is."""
    return {
        name: _cents(sum((getattr(day, name) for day in days), Decimal(0)))
        for name in ("spent", "top_ups", "grants")
    } | {"complete": all(day.complete for day in days)}


def _cents(amount: Decimal) -> float:
    """To the cent, without float noise: 7.5, never 7.4999999."""
    return float(amount.quantize(CENT))
