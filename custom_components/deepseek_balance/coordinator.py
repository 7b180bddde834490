"""Polls DeepSeek and tells the entities what the account looks like."""

from datetime import timedelta
from enum import StrEnum
import logging
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import (
    TimestampDataUpdateCoordinator,
    UpdateFailed,
)

from .api import (
    DeepSeekAuthError,
    DeepSeekClient,
    DeepSeekConnectionError,
    DeepSeekRateLimitError,
    DeepSeekResponseError,
    Snapshot,
)
from .const import DEFAULT_SCAN_INTERVAL, DOMAIN, MAX_SCAN_INTERVAL

_LOGGER = logging.getLogger(__name__)

type DeepSeekConfigEntry = ConfigEntry[DeepSeekCoordinator]


class ApiStatus(StrEnum):
    """Why the account looks the way it does: the state of the API status sensor."""

    OK = "ok"
    ACCOUNT_UNAVAILABLE = "account_unavailable"
    AUTH_FAILED = "auth_failed"
    RATE_LIMITED = "rate_limited"
    CONNECTION_ERROR = "connection_error"
    API_ERROR = "api_error"


class DeepSeekCoordinator(TimestampDataUpdateCoordinator[Snapshot]):
    """Fetches one ``Snapshot`` per poll; equal snapshots notify nobody."""

    config_entry: DeepSeekConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: DeepSeekConfigEntry,
        client: DeepSeekClient,
    ) -> None:
        """Poll at the interval chosen in the options, 30 s unless changed."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=config_entry,
            name=DOMAIN,
            update_interval=timedelta(
                seconds=config_entry.options.get(
                    CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
                )
            ),
            always_update=False,
        )
        self.client = client
        self.api_status = ApiStatus.OK
        self._status_before_refresh = ApiStatus.OK
        self._failing_before_refresh = False

    @override
    async def _async_update_data(self) -> Snapshot:
        self._status_before_refresh = self.api_status
        self._failing_before_refresh = not self.last_update_success
        try:
            snapshot = await self.client.snapshot()
        except DeepSeekAuthError as err:
            self.api_status = ApiStatus.AUTH_FAILED
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed"
            ) from err
        except DeepSeekRateLimitError as err:
            self.api_status = ApiStatus.RATE_LIMITED
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                retry_after=self._retry_delay(err.retry_after),
            ) from err
        except (DeepSeekConnectionError, DeepSeekResponseError) as err:
            self.api_status = (
                ApiStatus.CONNECTION_ERROR
                if isinstance(err, DeepSeekConnectionError)
                else ApiStatus.API_ERROR
            )
            # Each failure's exception text is keyed by its API status.
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=self.api_status.value,
                translation_placeholders={"error": str(err)},
            ) from err
        self.api_status = (
            ApiStatus.ACCOUNT_UNAVAILABLE
            if snapshot.balance.is_available is False
            else ApiStatus.OK
        )
        return snapshot

    def _retry_delay(self, retry_after: float | None) -> float | None:
        """Wait at least as long as DeepSeek asks, never less than one interval.

        The wait is capped at the longest poll interval, so a wild header cannot
        stop polling for good.
        """
        if retry_after is None or self.update_interval is None:
            return None
        interval = self.update_interval.total_seconds()
        return min(max(retry_after, interval), MAX_SCAN_INTERVAL.total_seconds())

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        super()._async_refresh_finished()
        # Between two failures the base class tells no listener; the API status
        # sensor must still show that the kind of failure changed.
        if (
            self._failing_before_refresh
            and not self.last_update_success
            and self.api_status is not self._status_before_refresh
        ):
            self.async_update_listeners()
