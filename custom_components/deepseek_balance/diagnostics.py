"""Diagnostics: what the last polls saw, without the API key."""

from dataclasses import asdict, is_dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant

from .coordinator import DeepSeekConfigEntry

TO_REDACT = {CONF_API_KEY}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: DeepSeekConfigEntry
) -> dict[str, Any]:
    """Return the entry, what the last poll saw and how the last polls went."""
    config_entry = async_redact_data(entry.as_dict(), TO_REDACT)
    if entry.state is not ConfigEntryState.LOADED:
        # Asked for while setting up, retrying or reloading: no poll to report.
        return {"config_entry": config_entry, "state": entry.state.value}
    coordinator = entry.runtime_data
    data = coordinator.data
    probe = coordinator.rate_limit_probe
    since = coordinator.outage.since
    # The client error behind the coordinator's last failure.
    error = coordinator.last_exception
    cause = None if error is None else error.__cause__ or error
    return {
        "config_entry": config_entry,
        "poll_interval_seconds": _json_safe(coordinator.update_interval),
        "api_status": coordinator.api_status,
        "activities": [
            {"kind": event.event_type, **event.attributes} for event in data.activities
        ],
        "last_update_success": coordinator.last_update_success,
        # Set while polls fail, within the grace too, when the figures stay shown.
        "failing_for_seconds": _json_safe(
            None if since is None else timedelta(seconds=hass.loop.time() - since)
        ),
        "last_success_time": _json_safe(coordinator.last_update_success_time),
        "last_error": cause and {"kind": type(cause).__name__, "message": str(cause)},
        "balance": _json_safe(data.balance),
        "rate_limits": _json_safe(data.rate_limits),
        "rate_limit_probe": {
            "last_run": _json_safe(probe.last_run),
            "headers_seen": probe.headers_seen,
            "failures_in_a_row": probe.failures,
        },
        "spend": _json_safe(data.spend),
        "low_balance": data.low_balance,
        "last_known": {
            "low_balance": coordinator.memory.last_known.low_balance,
            "available": coordinator.memory.last_known.available,
        },
        "sensors_shown": {
            "currencies": data.currencies_shown,
            "rate_limits": data.rate_limits_shown,
        },
        "history_samples": {
            currency: len(history.samples)
            for currency, history in coordinator.memory.history.currencies.items()
        },
    }


def _json_safe(value: Any) -> Any:
    """Amounts as exact strings and durations as seconds, for the JSON download."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    match value:
        case Decimal():
            return str(value)
        case timedelta():
            return value.total_seconds()
        case datetime():
            return value.isoformat()
        case dict():
            return {key: _json_safe(item) for key, item in value.items()}
        case list() | tuple():
            return [_json_safe(item) for item in value]
    return value
