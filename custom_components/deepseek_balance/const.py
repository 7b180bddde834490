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
BASE_URL_ENV_VAR: Final = "DEEPSEEK_BASE_URL"
API_KEYS_URL: Final = "https://platform.deepseek.com/api_keys"
USAGE_URL: Final = "https://platform.deepseek.com/usage"
TOP_UP_URL: Final = "https://platform.deepseek.com/top_up"

# The keys of the sensors each currency has, and of the rate-limit sensors: the
# unique IDs' ends, "<entry_id>_<currency>_<key>" and "<entry_id>_<key>".
CURRENCY_SENSOR_KEYS: Final = (
    "total_balance",
    "granted_balance",
    "topped_up_balance",
    "spend_today",
    "average_daily_spend",
    "days_remaining",
    "spend_this_month",
    "projected_spend_this_month",
)
RATE_LIMIT_SENSOR_KEYS: Final = (
    "requests_limit",
    "requests_remaining",
    "requests_reset",
    "tokens_limit",
    "tokens_remaining",
    "tokens_reset",
)
API_STATUS_KEY: Final = "api_status"
