"""Polls DeepSeek: fetches, turns the client's errors into HA's, hands over."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
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
    EntryMemory,
    Limits,
    Outage,
    PollTime,
    RateLimitProbe,
    api_status,
    grace,
    remember_poll,
)
from .activity import ActivityEvent, FiredActivity
from .api import (
    DeepSeekAuthError,
    DeepSeekClient,
    DeepSeekError,
    DeepSeekRateLimitError,
)
from .const import DEFAULT_SCAN_INTERVAL, DOMAIN
from .storage import EntryStore

_LOGGER = logging.getLogger(__name__)

type DeepSeekConfigEntry = ConfigEntry[DeepSeekCoordinator]


class DeepSeekCoordinator(TimestampDataUpdateCoordinator[DeepSeekData]):
    """One poll per interval; ``account.remember_poll`` makes sense of each answer."""

    config_entry: DeepSeekConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: DeepSeekConfigEntry,
        client: DeepSeekClient,
    ) -> None:
        """Poll at the options' interval; log lines name the account by its title."""
        options = config_entry.options
        seconds = options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL.total_seconds())
        self._period = timedelta(seconds=seconds)  # options change only by a reload
        super().__init__(
            hass,
            _LOGGER,
            config_entry=config_entry,
            name=config_entry.title,
            update_interval=self._period,
            always_update=False,
        )
        self.client = client
        self.store = EntryStore(hass, config_entry.entry_id)
        self.memory = EntryMemory()
        self.rate_limit_probe = RateLimitProbe()
        self._limits = Limits.from_options(options)
        self._failed_before_refresh = False
        self._noticed: set[str] = set()
        self.outage = Outage()

    @property
    def api_status(self) -> ApiStatus:
        """Why the entities look as they do: the last poll's answer or error."""
        data = cast("DeepSeekData | None", self.data)  # None before the first poll
        if self.last_update_success and data is not None and data.failure:
            return data.failure
        error = None if self.last_update_success else self.last_exception
        cause = None if error is None else error.__cause__ or error  # the client's
        return api_status(None if data is None else data.balance, cause)

    @override
    async def _async_setup(self) -> None:
        self.memory = await self.store.async_load()

    @override
    async def _async_update_data(self) -> DeepSeekData:
        self._failed_before_refresh = not self.last_update_success
        now = dt_util.utcnow()
        if self.outage.quiet_for(self.hass.loop.time()) is not None:
            return self._last_data_despite(now, None)
        probe = self.rate_limit_probe.is_due(now)
        try:
            snapshot = await self.client.snapshot(probe_rate_limits=probe)
        except DeepSeekAuthError as err:
            raise ConfigEntryAuthFailed(
                **self._text(ApiStatus.AUTH_FAILED, err, None)
            ) from err
        except DeepSeekError as err:
            return self._last_data_despite(now, err)
        if self.outage.end() and self.last_update_success:  # past the grace, HA logs it
            _LOGGER.info("%s: DeepSeek answers again", self.config_entry.title)
        if probe:
            self.rate_limit_probe.record(now, snapshot.rate_limits)
        news_before = self.memory.last_known.revision
        if snapshot.rate_limits is not (known := self.rate_limit_probe.rate_limits):
            snapshot = replace(snapshot, rate_limits=known)
        poll = PollTime(now, dt_util.get_default_time_zone(), self._period)
        data = remember_poll(self.memory, snapshot, poll, self._limits)
        for notice in data.balance.notices:  # said once per kind: it may recur
            if notice.kind not in self._noticed:
                self._noticed.add(notice.kind)
                _LOGGER.warning("%s: %s", self.config_entry.title, notice.message)
        # Event state is saved on the loop's next turn, so a crash cannot lose an event.
        self.store.async_schedule_save(
            self.memory, soon=self.memory.last_known.revision != news_before
        )
        return data

    def _last_data_despite(
        self, now: datetime, error: DeepSeekError | None
    ) -> DeepSeekData:
        """Within the grace, the last figures, marked with why they are not new."""
        status = ApiStatus.RATE_LIMITED if error is None else api_status(None, error)
        clock = self.hass.loop.time()
        if isinstance(error, DeepSeekRateLimitError):
            if error.retry_after:
                self.outage.wait(clock, error.retry_after, self._period.total_seconds())
            if error.rate_limits.present:  # a gateway's 429 says what is left
                self.rate_limit_probe.record(now, error.rate_limits)
        quiet = self.outage.quiet_for(clock)
        failure = UpdateFailed(**self._text(status, error, quiet), retry_after=quiet)
        first_failure = self.outage.note_failure(clock)
        data = cast("DeepSeekData | None", self.data)
        if data is None or not self.outage.within_grace(clock, status):
            raise failure from error
        if first_failure:
            _LOGGER.warning(
                "%s: %s; the last figures stay shown for up to %d minutes",
                self.config_entry.title,
                failure,
                grace(status).total_seconds() // 60,
            )
        return replace(
            data,
            failure=status,
            activities=(),
            rate_limits=self.rate_limit_probe.rate_limits,
            rate_limits_shown=data.rate_limits_shown
            or self.rate_limit_probe.headers_seen,
        )

    @callback
    def async_note_fired(
        self, events: Sequence[ActivityEvent], last: FiredActivity
    ) -> None:
        """Keep that the event entity fired ``events``, ``last`` the last of them."""
        self.memory.last_known.note_fired(events, last)
        self.store.async_schedule_save(self.memory, soon=True)

    def _text(
        self, status: ApiStatus, error: DeepSeekError | None, wait: float | None
    ) -> dict[str, Any]:
        """A failure's translated text; a 429 naming no wait is retried next poll."""
        placeholders = {"error": str(error)}
        if status is ApiStatus.RATE_LIMITED:
            placeholders = {"seconds": f"{wait or self._period.total_seconds():.0f}"}
        return {
            "translation_domain": DOMAIN,
            "translation_key": status,
            "translation_placeholders": placeholders,
        }

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        super()._async_refresh_finished()
        # HA tells no listener between failures, though their kind may have changed;
        # entities write their state only if it did.
        if self._failed_before_refresh and not self.last_update_success:
            self.async_update_listeners()

    @override
    async def async_shutdown(self) -> None:
        """Stop polling, then write the memory (on unload; a stop writes it too)."""
        await super().async_shutdown()
        await self.store.async_save_now(self.memory)
