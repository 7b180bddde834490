"""Polls DeepSeek: fetches, turns the client's errors into HA's, hands over."""

from collections.abc import Iterable
from datetime import timedelta
import logging
from typing import Any, cast, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import (
    TimestampDataUpdateCoordinator,
    UpdateFailed,
)
from homeassistant.util import dt as dt_util

from .account import (
    ApiStatus,
    DeepSeekData,
    LowBalanceLimits,
    Poll,
    api_status,
    observe,
)
from .activity import FiredActivity
from .api import (
    DeepSeekAuthError,
    DeepSeekClient,
    DeepSeekConnectionError,
    DeepSeekRateLimitError,
    DeepSeekResponseError,
    Notice,
    Snapshot,
)
from .const import DEFAULT_SCAN_INTERVAL, DOMAIN, MAX_SCAN_INTERVAL
from .memory import EntryMemory
from .probe import RateLimitProbe
from .storage import EntryStore

_LOGGER = logging.getLogger(__name__)

type DeepSeekConfigEntry = ConfigEntry[DeepSeekCoordinator]


class DeepSeekCoordinator(TimestampDataUpdateCoordinator[DeepSeekData]):
    """One poll per interval; ``account.observe`` makes sense of each answer."""

    config_entry: DeepSeekConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: DeepSeekConfigEntry,
        client: DeepSeekClient,
    ) -> None:
        """Poll at the interval chosen in the options, 30 s unless changed.

        Log lines name the account by the entry's title.
        """
        options = config_entry.options
        super().__init__(
            hass,
            _LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=timedelta(
                seconds=options.get(
                    CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds()
                )
            ),
            always_update=False,
        )
        self.client = client
        self.store = EntryStore(hass, config_entry.entry_id)
        self.memory = EntryMemory()
        self.rate_limit_probe = RateLimitProbe()
        # Changing an option reloads the entry, so the limits are read once.
        self._limits = LowBalanceLimits.from_options(options)
        self._memory_loaded = False
        self._failure_before_refresh: ApiStatus | None = None
        self._noticed: set[str] = set()

    @property
    def api_status(self) -> ApiStatus:
        """Why the entities look as they do: the last poll's result or error."""
        return api_status(
            cast("DeepSeekData | None", self.data),  # None before the first success
            None if self.last_update_success else self.last_exception,
        )

    @override
    async def _async_setup(self) -> None:
        self.memory = await self.store.async_load()
        self._memory_loaded = True

    @override
    async def _async_update_data(self) -> DeepSeekData:
        self._failure_before_refresh = (
            None if self.last_update_success else self.api_status
        )
        now = dt_util.utcnow()
        probe = self.rate_limit_probe.is_due(now)
        snapshot = await self._async_fetch(probe_rate_limits=probe)
        if probe:
            self.rate_limit_probe.record(now, snapshot.rate_limits)
        known_before = self.memory.last_known.revision
        data = observe(
            self.memory,
            Poll(
                balance=snapshot.balance,
                rate_limits=self.rate_limit_probe.rate_limits,
                at=now,
                day_start=dt_util.start_of_local_day(),
            ),
            self._limits,
        )
        self._log_new_notices(data.balance.notices)
        # A change of the last known state is written at once, so a crash cannot
        # make the next one go unreported; with activities, once they have fired.
        self.store.async_schedule_save(
            self.memory,
            soon=not data.activities
            and self.memory.last_known.revision != known_before,
        )
        return data

    def _log_new_notices(self, notices: Iterable[Notice]) -> None:
        """Say what an answer set aside, once per kind: it may recur every poll."""
        for notice in notices:
            if notice.kind not in self._noticed:
                self._noticed.add(notice.kind)
                _LOGGER.warning("%s: %s", self.config_entry.title, notice.message)

    @callback
    def async_activities_fired(self, last: FiredActivity) -> None:
        """The event entity fired a poll's activities: write what they changed.

        Written only now, so a crash before the events fired repeats them at the
        next start instead of losing them; once written, they never fire again.
        The last one is kept as the entity showed it, to show it again.
        """
        self.memory.last_known.remember_fired(last)
        self.store.async_schedule_save(self.memory, soon=True)

    async def _async_fetch(self, *, probe_rate_limits: bool) -> Snapshot:
        """One snapshot; each error's translation key is its API status."""
        try:
            return await self.client.snapshot(probe_rate_limits=probe_rate_limits)
        except DeepSeekAuthError as err:
            raise ConfigEntryAuthFailed(**self._text(ApiStatus.AUTH_FAILED)) from err
        except DeepSeekRateLimitError as err:
            retry_after = self._retry_delay(err.retry_after)
            raise UpdateFailed(
                **self._text(ApiStatus.RATE_LIMITED), retry_after=retry_after
            ) from err
        except (DeepSeekConnectionError, DeepSeekResponseError) as err:
            status = (
                ApiStatus.CONNECTION_ERROR
                if isinstance(err, DeepSeekConnectionError)
                else ApiStatus.API_ERROR
            )
            raise UpdateFailed(**self._text(status, error=str(err))) from err

    def _text(self, status: ApiStatus, **placeholders: str) -> dict[str, Any]:
        """An error's translated text, naming the account."""
        return {
            "translation_domain": DOMAIN,
            "translation_key": status,
            "translation_placeholders": {
                "title": self.config_entry.title,
                **placeholders,
            },
        }

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
            self._failure_before_refresh is not None
            and not self.last_update_success
            and self.api_status is not self._failure_before_refresh
        ):
            self.async_update_listeners()

    @override
    async def async_shutdown(self) -> None:
        """Stop polling, then write the memory (on unload; a stop writes it too)."""
        await super().async_shutdown()
        if self._memory_loaded:
            await self.store.async_save_now(self.memory)
