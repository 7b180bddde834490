"""The repair raised while the account cannot pay for API calls."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN, TOP_UP_URL
from .coordinator import DeepSeekConfigEntry


def repair_issue_id(entry_id: str) -> str:
    """The repair issue of one entry's account."""
    return f"account_unavailable_{entry_id}"


@callback
def async_track_availability(hass: HomeAssistant, entry: DeepSeekConfigEntry) -> None:
    """Raise the top-up repair while DeepSeek says the account cannot pay.

    It is withdrawn at the first poll that sees the account available again. The
    registry is touched only when the availability changes, not on every poll.
    """
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
