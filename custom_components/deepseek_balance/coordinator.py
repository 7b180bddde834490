"""Polls DeepSeek and tells the entities what the account looks like."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
import logging
from typing import Any, cast, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_SCAN_INTERVAL
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.update_coordinator import (
    TimestampDataUpdateCoordinator,
    UpdateFailed,
)
from homeassistant.util import dt as dt_util

from .api import (
    Balance,
    CurrencyBalance,
    DeepSeekAuthError,
    DeepSeekClient,
    DeepSeekConnectionError,
    DeepSeekRateLimitError,
    DeepSeekResponseError,
    RateLimits,
    Snapshot,
)
from .const import (
    CONF_LOW_BALANCE_DAYS,
    CONF_LOW_BALANCE_THRESHOLD,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    TOP_UP_URL,
)
from .history import SpendFigures
from .probe import RateLimitProbe
from .storage import EntryMemory, EntryStore

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


class ActivityType(StrEnum):
    """The event types of the "Balance activity" event entity."""

    TOP_UP = "top_up"
    GRANT = "grant"
    LOW_BALANCE = "low_balance"
    ACCOUNT_UNAVAILABLE = "account_unavailable"


@dataclass(frozen=True)
class DeepSeekData:
    """One poll's view of the account; equal views notify no entity.

    ``rate_limits`` is what the last probe read, kept between probes.
    """

    balance: Balance
    rate_limits: RateLimits | None
    spend: Mapping[str, SpendFigures]
    low_balance: bool | None

    def balance_of(self, currency: str) -> CurrencyBalance | None:
        """The first row of a currency, if the account reports it."""
        return next(
            (row for row in self.balance.balances if row.currency == currency), None
        )


def repair_issue_id(entry_id: str) -> str:
    """The repair issue raised while the account cannot pay for calls."""
    return f"account_unavailable_{entry_id}"


def activity_signal(entry_id: str) -> str:
    """The dispatcher signal the "Balance activity" entity listens to."""
    return f"{DOMAIN}_{entry_id}_activity"


def is_low(
    primary: CurrencyBalance | None,
    spend: Mapping[str, SpendFigures],
    threshold: Decimal,
    days: Decimal,
) -> bool | None:
    """Low when the funded currency is below the threshold or runs out too soon.

    A limit of 0 is off. An unknown forecast (too little history) is not low; an
    unknown balance with a limit set is unknown.
    """
    if threshold <= 0 and days <= 0:
        return False
    if primary is None or primary.total is None:
        return None
    figures = spend.get(primary.currency)
    forecast = None if figures is None else figures.days_remaining
    return (threshold > 0 and primary.total < threshold) or (
        days > 0 and forecast is not None and forecast < days
    )


class DeepSeekCoordinator(TimestampDataUpdateCoordinator[DeepSeekData]):
    """Fetches one snapshot per poll and keeps the entry's memory."""

    config_entry: DeepSeekConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        config_entry: DeepSeekConfigEntry,
        client: DeepSeekClient,
        memory: EntryMemory,
        store: EntryStore,
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
        self.memory = memory
        self.store = store
        self.rate_limit_probe = RateLimitProbe()
        # Changing an option reloads the entry, so the limits are read once.
        options = config_entry.options
        self._low_balance_threshold = Decimal(
            str(options.get(CONF_LOW_BALANCE_THRESHOLD, 0))
        )
        self._low_balance_days = Decimal(str(options.get(CONF_LOW_BALANCE_DAYS, 0)))
        self.api_status = ApiStatus.OK
        self._status_before_refresh = ApiStatus.OK
        self._failing_before_refresh = False

    @override
    async def _async_update_data(self) -> DeepSeekData:
        self._status_before_refresh = self.api_status
        self._failing_before_refresh = not self.last_update_success
        now = dt_util.utcnow()
        probe = self.rate_limit_probe.is_due(now)
        snapshot = await self._async_fetch(probe_rate_limits=probe)
        if probe:
            self.rate_limit_probe.record(now, snapshot.rate_limits)
        self.api_status = (
            ApiStatus.ACCOUNT_UNAVAILABLE
            if snapshot.balance.is_available is False
            else ApiStatus.OK
        )
        # The base class leaves data None until the first successful refresh.
        previous = cast("DeepSeekData | None", self.data)
        # An unchanged balance was recorded by the poll that first saw it.
        if previous is None or snapshot.balance != previous.balance:
            changes = self.memory.history.record(now, snapshot.balance)
            self.store.async_schedule_save(self.memory)
        else:
            changes = []
        spend = self.memory.history.figures(now, dt_util.start_of_local_day())
        data = DeepSeekData(
            balance=snapshot.balance,
            rate_limits=self.rate_limit_probe.rate_limits,
            spend=spend,
            low_balance=is_low(
                snapshot.balance.primary,
                spend,
                self._low_balance_threshold,
                self._low_balance_days,
            ),
        )
        for change in changes:
            self._announce(
                ActivityType(change.kind),
                {"amount": float(change.amount), "currency": change.currency},
            )
        if previous is not None:
            self._announce_transitions(previous, data)
        if (
            previous is None
            or previous.balance.is_available != data.balance.is_available
        ):
            self._update_repair_issue(is_available=data.balance.is_available)
        return data

    async def _async_fetch(self, *, probe_rate_limits: bool) -> Snapshot:
        """One snapshot, with the client's errors turned into Home Assistant's."""
        try:
            return await self.client.snapshot(probe_rate_limits=probe_rate_limits)
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

    def _announce_transitions(self, previous: DeepSeekData, data: DeepSeekData) -> None:
        """Fire low_balance and account_unavailable when they begin.

        Only between two polls: the first poll after start-up sets the baseline, as
        a restart while the balance is low is no news.
        """
        primary = data.balance.primary
        if (
            data.low_balance
            and previous.low_balance is False
            and primary is not None
            and primary.total is not None
        ):
            figures = data.spend.get(primary.currency)
            self._announce(
                ActivityType.LOW_BALANCE,
                {
                    "amount": float(primary.total),
                    "currency": primary.currency,
                    "days_remaining": (
                        float(figures.days_remaining)
                        if figures and figures.days_remaining is not None
                        else None
                    ),
                },
            )
        if data.balance.is_available is False and previous.balance.is_available is True:
            self._announce(ActivityType.ACCOUNT_UNAVAILABLE, {})

    def _announce(self, activity: ActivityType, attributes: dict[str, Any]) -> None:
        async_dispatcher_send(
            self.hass,
            activity_signal(self.config_entry.entry_id),
            activity,
            attributes,
        )

    def _update_repair_issue(self, *, is_available: bool | None) -> None:
        """Raise the top-up repair while unavailable, withdraw it when available."""
        if is_available is None:
            return
        if is_available:
            ir.async_delete_issue(
                self.hass, DOMAIN, repair_issue_id(self.config_entry.entry_id)
            )
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            repair_issue_id(self.config_entry.entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=TOP_UP_URL,
            translation_key="account_unavailable",
            translation_placeholders={
                "title": self.config_entry.title,
                "url": TOP_UP_URL,
            },
        )

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
