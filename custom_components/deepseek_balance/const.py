"""Constants of the DeepSeek Balance integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "deepseek_balance"

CONF_BASE_URL: Final = "base_url"
CONF_LOW_BALANCE_THRESHOLD: Final = "low_balance_threshold"
CONF_LOW_BALANCE_DAYS: Final = "low_balance_days"
CONF_MONTHLY_BUDGET: Final = "monthly_budget"
CONF_LIMIT_CURRENCY: Final = "currency"  # of the two amounts above
DEEPSEEK_CURRENCY: Final = "CNY"  # DeepSeek's own, until an answer says otherwise
SECTION_ADVANCED: Final = "advanced"

DEFAULT_SCAN_INTERVAL: Final = timedelta(seconds=30)
MIN_SCAN_INTERVAL: Final = timedelta(seconds=30)
MAX_SCAN_INTERVAL: Final = timedelta(hours=1)

API_KEY_ENV_VAR: Final = "DEEPSEEK_API_KEY"
API_KEYS_URL: Final = "https://platform.deepseek.com/api_keys"
USAGE_URL: Final = "https://platform.deepseek.com/usage"
TOP_UP_URL: Final = "https://platform.deepseek.com/top_up"


def entry_title(api_key: str) -> str:
    """Tell accounts apart without showing the key: "DeepSeek ••••1a2b"."""
    return f"DeepSeek ••••{api_key[-4:]}"
