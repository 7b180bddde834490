"""The repairs: an account that cannot pay, an adopted entry that duplicates one."""

from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, TOP_UP_URL
from .coordinator import DeepSeekConfigEntry

DUPLICATE_OF: Final = "duplicate_of"


def repair_issue_id(entry_id: str) -> str:
    """The repair issue of one entry's account."""
    return f"account_unavailable_{entry_id}"


@callback
def async_track_availability(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> None:
    """Raise the top-up repair while the account cannot pay, withdraw it once it can."""
    coordinator = entry.runtime_data
    issue_id = repair_issue_id(entry.entry_id)
    shown: bool | None = None  # the availability the repair matches

    @callback
    def follow_availability() -> None:
        nonlocal shown
        available = coordinator.data.balance.is_available
        if not coordinator.last_update_success or available in (None, shown):
            return
        shown = available
        if available:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            learn_more_url=TOP_UP_URL,
            translation_key="account_unavailable",
            translation_placeholders={"title": entry.title, "url": TOP_UP_URL},
        )

    follow_availability()  # the first poll ran before this listener existed
    entry.async_on_unload(coordinator.async_add_listener(follow_availability))


def duplicate_issue_id(entry_id: str) -> str:
    """The repair issue of an adopted entry that duplicates another one."""
    return f"duplicate_entry_{entry_id}"


@callback
def async_raise_duplicate_issue(
    hass: HomeAssistant, entry: ConfigEntry, other: ConfigEntry
) -> None:
    """Say that an adopted entry follows the same account as another; both load."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        duplicate_issue_id(entry.entry_id),
        is_fixable=False,
        is_persistent=True,  # only the adoption can tell the newcomer
        severity=ir.IssueSeverity.WARNING,
        translation_key="duplicate_entry",
        translation_placeholders={"title": entry.title, "other_title": other.title},
        data={DUPLICATE_OF: other.entry_id},
    )


@callback
def async_withdraw_settled_duplicate_issues(hass: HomeAssistant) -> None:
    """Withdraw each duplicate repair whose two entries no longer share an account."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        issue_id = duplicate_issue_id(entry.entry_id)
        issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
        if issue is None:
            continue
        other_id = (issue.data or {}).get(DUPLICATE_OF)
        other = hass.config_entries.async_get_entry(str(other_id))
        if other is None or dict(other.data) != dict(entry.data):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
