"""Config flow: add a DeepSeek API key, re-authenticate, reconfigure, set options."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import logging
import os
from typing import Any, Final, override

try:
    import probatio
except ImportError:  # pragma: no cover - the floor suite, on 2026.3.1, runs it
    # Home Assistant validates with probatio from 2026.10 on, with voluptuous
    # before; probatio keeps voluptuous's API, so the schemas below are typed
    # with it and run on either.
    import voluptuous as probatio  # type: ignore[no-redef]  # noqa: TID251

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_API_KEY, CONF_SCAN_INTERVAL
from homeassistant.core import callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorMode,
    TextSelector,
    TextSelectorType,
)
from homeassistant.helpers.typing import UNDEFINED
from homeassistant.util import dt as dt_util

from .api import DeepSeekAuthError, DeepSeekClient, DeepSeekError, default_base_url
from .const import (
    API_KEY_ENV_VAR,
    API_KEYS_URL,
    CONF_BASE_URL,
    CONF_LIMIT_CURRENCY,
    CONF_LOW_BALANCE_DAYS,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_MONTHLY_BUDGET,
    DEEPSEEK_CURRENCY,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    MAX_SCAN_INTERVAL,
    MIN_SCAN_INTERVAL,
    SECTION_ADVANCED,
    entry_title,
)

_LOGGER = logging.getLogger(__name__)


def credentials_schema(
    *, key_required: bool, base_url: str, show_base_url: bool
) -> probatio.Schema:
    """The key, and the base URL in a section, open when it needs to be seen.

    Left out, the URL is ``base_url``: a key alone never moves an entry. The section
    is optional, for API clients, and has no default, or its field's would be ignored.
    """
    key = probatio.Required if key_required else probatio.Optional
    return probatio.Schema(
        {
            key(CONF_API_KEY): TextSelector({"type": TextSelectorType.PASSWORD}),
            probatio.Optional(SECTION_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Required(
                            CONF_BASE_URL, default=base_url
                        ): TextSelector({"type": TextSelectorType.URL})
                    }
                ),
                {"collapsed": not show_base_url},
            ),
        }
    )


@dataclass(frozen=True, slots=True)
class OptionRange:
    """The values an option accepts, and the error that says so."""

    low: float
    high: float
    error: str


# Checked by the flow, not by the selectors, so that the error is translated and
# names the range. An amount beyond a billion is a typing slip, not a budget.
MAX_OPTION_AMOUNT: Final = 1_000_000_000
_AMOUNT_RANGE: Final = OptionRange(0, MAX_OPTION_AMOUNT, "amount_out_of_range")
OPTION_RANGES: Final = {
    CONF_SCAN_INTERVAL: OptionRange(
        MIN_SCAN_INTERVAL.total_seconds(),
        MAX_SCAN_INTERVAL.total_seconds(),
        "interval_out_of_range",
    ),
    CONF_LOW_BALANCE_THRESHOLD: _AMOUNT_RANGE,
    CONF_MONTHLY_BUDGET: _AMOUNT_RANGE,
    CONF_LOW_BALANCE_DAYS: OptionRange(0, 365, "days_out_of_range"),
}


def options_schema(currency: str, currencies: Sequence[str]) -> probatio.Schema:
    """The options, amounts in ``currency``, asked for if ``currencies`` offer more."""

    def box(step: float, unit: str) -> NumberSelector:
        return NumberSelector(
            {"step": step, "unit_of_measurement": unit, "mode": NumberSelectorMode.BOX}
        )

    choice = {
        probatio.Required(CONF_LIMIT_CURRENCY, default=currency): SelectSelector(
            {"options": list(currencies), "mode": SelectSelectorMode.DROPDOWN}
        )
    }
    return probatio.Schema(
        {
            # A custom integration may let users choose: the other deepseek_balance
            # integration did, and its entries keep their interval when adopted.
            probatio.Required(  # pylint: disable=home-assistant-config-flow-polling-field
                CONF_SCAN_INTERVAL, default=DEFAULT_SCAN_INTERVAL.total_seconds()
            ): box(1, "s"),
            probatio.Required(CONF_LOW_BALANCE_THRESHOLD, default=0): box(
                0.01, currency
            ),
            probatio.Required(CONF_MONTHLY_BUDGET, default=0): box(0.01, currency),
            probatio.Required(CONF_LOW_BALANCE_DAYS, default=0): box(0.5, "d"),
            **(choice if len(currencies) > 1 else {}),
        }
    )


def environment_key() -> str:
    """The key in Home Assistant's environment; it never leaves the server."""
    return os.environ.get(API_KEY_ENV_VAR, "").strip()


class DeepSeekConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a DeepSeek account from its API key."""

    VERSION = 1
    # 1.2: an entry without a base URL is the other deepseek_balance integration's.
    # 1.3: the limits' amounts are stored with their currency.
    MINOR_VERSION = 3

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> DeepSeekOptionsFlow:
        return DeepSeekOptionsFlow()

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the key (and, under Advanced, the base URL), then check them."""
        if environment_key():
            return await self.async_step_environment_key(user_input)
        return await self._async_step_credentials("user", user_input)

    async def async_step_environment_key(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The user step when DEEPSEEK_API_KEY is set: an empty key means that one."""
        if not environment_key() and not (user_input or {}).get(CONF_API_KEY):
            return await self._async_step_credentials("user", None)
        return await self._async_step_credentials("environment_key", user_input)

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """DeepSeek refused the key: ask for a new one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Check the new key (at the entry's base URL, unless changed), then reload."""
        entry = self._get_reauth_entry()
        return await self._async_step_credentials("reauth_confirm", user_input, entry)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the key or the base URL of an existing entry; no key keeps it."""
        entry = self._get_reconfigure_entry()
        return await self._async_step_credentials("reconfigure", user_input, entry)

    async def _async_step_credentials(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        entry: ConfigEntry | None = None,
    ) -> ConfigFlowResult:
        """Check the key and base URL; on an error, show the form again."""
        from_environment = "" if entry else environment_key()
        # A key left out is the environment's or, reconfiguring, the entry's.
        key_left_out = from_environment
        url_left_out = default_base_url()
        if entry is not None:
            url_left_out = entry.data[CONF_BASE_URL]
            if self.source == SOURCE_RECONFIGURE:
                key_left_out = entry.data[CONF_API_KEY]
        base_url, error = url_left_out, None
        if user_input is not None:
            advanced: Mapping[str, str] = user_input.get(SECTION_ADVANCED, {})
            base_url = advanced.get(CONF_BASE_URL, url_left_out)
            data, error = await self._async_check(
                user_input.get(CONF_API_KEY, "").strip() or key_left_out, base_url
            )
            if error is None:
                return self._async_save(data, entry)
        custom = base_url.strip().rstrip("/") != default_base_url()
        schema = credentials_schema(
            key_required=not (from_environment or self.source == SOURCE_RECONFIGURE),
            base_url=url_left_out,
            show_base_url=custom or error in ("invalid_url", "cannot_connect"),
        )
        return self.async_show_form(
            step_id=step_id,
            # The URL tried stays in the form; the key is never sent back.
            data_schema=self.add_suggested_values_to_schema(
                schema, {SECTION_ADVANCED: {CONF_BASE_URL: base_url}}
            ),
            errors={"base": error} if error else {},
            # hassfest keeps URLs out of the translations: the forms name them here.
            description_placeholders={
                "api_keys_url": API_KEYS_URL,
                "default_base_url": default_base_url(),
                **({"key_end": from_environment[-4:]} if from_environment else {}),
            },
        )

    def _async_save(
        self, data: dict[str, str], entry: ConfigEntry | None
    ) -> ConfigFlowResult:
        """Add the new entry, or update the entry and reload it."""
        if entry is None:
            self._async_abort_entries_match(data)
            return self.async_create_entry(
                title=entry_title(data[CONF_API_KEY]), data=data
            )
        if self.source == SOURCE_RECONFIGURE and any(
            other.entry_id != entry.entry_id
            and all(other.data.get(key) == data[key] for key in data)
            for other in self._async_current_entries(include_ignore=False)
        ):
            return self.async_abort(reason="already_configured")
        # The automatic title follows the new key; a title the user chose stays.
        automatic = entry.title == entry_title(entry.data[CONF_API_KEY])
        return self.async_update_reload_and_abort(
            entry,
            title=entry_title(data[CONF_API_KEY]) if automatic else UNDEFINED,
            data_updates=data,
            # Named, the reason reads this integration's text; left out,
            # Home Assistant 2026.11 shows its own generic one.
            reason=f"{self.source}_successful",
        )

    async def _async_check(
        self, api_key: str, base_url: str
    ) -> tuple[dict[str, str], str | None]:
        """Make a real balance call; return the entry data and an error key."""
        api_key = api_key.strip()
        if not api_key:
            return {}, "invalid_auth"  # no request goes out without a key
        try:
            client = DeepSeekClient(
                async_get_clientsession(self.hass),
                api_key,
                clock=dt_util.utcnow,
                base_url=base_url,
            )
        except ValueError:
            return {}, "invalid_url"
        data = {CONF_API_KEY: api_key, CONF_BASE_URL: client.base_url}
        try:
            await client.balance()
        except DeepSeekAuthError:
            return data, "invalid_auth"
        except DeepSeekError:
            return data, "cannot_connect"
        except Exception:
            _LOGGER.exception("Unexpected error while checking the DeepSeek API key")
            return data, "unknown"
        return data, None


class DeepSeekOptionsFlow(OptionsFlowWithReload):
    """Poll interval and low-balance limits; the entry reloads on change."""

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The poll interval, and the limits stored with their currency."""
        entry = self.config_entry
        # The account's currencies, the one it runs on first; CNY until known.
        currencies = [DEEPSEEK_CURRENCY]
        if entry.state is ConfigEntryState.LOADED:
            data = entry.runtime_data.data
            funded = data.funded_currency or DEEPSEEK_CURRENCY
            currencies = list(dict.fromkeys([funded, *data.currencies_shown]))
        # The one set while offered beside the funded one, else the funded one.
        currency = entry.options.get(CONF_LIMIT_CURRENCY)
        if currency not in currencies[1:]:
            currency = currencies[0]
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = {
                option: bounds.error
                for option, bounds in OPTION_RANGES.items()
                if not bounds.low <= user_input[option] <= bounds.high
            }
            if not errors:
                return self.async_create_entry(
                    data={CONF_LIMIT_CURRENCY: currency, **user_input}
                )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(
                options_schema(currency, currencies), user_input or entry.options
            ),
            errors=errors,
            description_placeholders={
                "title": entry.title,
                "currency": currency,
                "min_interval": f"{OPTION_RANGES[CONF_SCAN_INTERVAL].low:g}",
                "max_interval": f"{OPTION_RANGES[CONF_SCAN_INTERVAL].high:g}",
                # Grouped by thin spaces, as SI writes numbers in every language.
                "max_amount": f"{MAX_OPTION_AMOUNT:,}".replace(",", "\u202f"),
                "max_days": f"{OPTION_RANGES[CONF_LOW_BALANCE_DAYS].high:g}",
            },
        )
