"""When to ask ``/v1/models`` for the rate-limit headers that ride on its answer.

DeepSeek itself sends no rate-limit headers; a gateway in front of it may. Asking on
every poll would double the requests of an account that never gets any, so the
probe backs off while the answers carry none.
"""

from datetime import datetime, timedelta
from typing import Final

from .api import RateLimits

IDLE_PROBE_INTERVAL: Final = timedelta(minutes=10)
# Home Assistant starts a poll up to a second early; 20 polls of 30 s are 10 minutes.
IDLE_PROBE_SLACK: Final = timedelta(seconds=5)
# A failed probe keeps the last figures; this many in a row make them unknown.
FAILURES_BEFORE_BACK_OFF: Final = 3


class RateLimitProbe:
    """Probe on every poll while the answers carry rate limits, else every 10 min.

    A probe that fails (no answer, or an error status) is not an answer without
    headers: the last figures stay and the probe is asked again at the next poll,
    until ``FAILURES_BEFORE_BACK_OFF`` failures in a row make the figures unknown
    and the probe back off.
    """

    def __init__(self) -> None:
        """Due at once: the first poll finds out what this account sends."""
        self.last_run: datetime | None = None
        self.rate_limits: RateLimits | None = None
        self.failures = 0

    @property
    def headers_seen(self) -> bool:
        """Whether the figures come from an answer that carried rate limits."""
        return self.rate_limits is not None and self.rate_limits.present

    def is_due(self, now: datetime) -> bool:
        """Whether this poll should ask ``/v1/models`` beside the balance."""
        return (
            self.last_run is None
            or self.headers_seen
            or now - self.last_run >= IDLE_PROBE_INTERVAL - IDLE_PROBE_SLACK
        )

    def record(self, now: datetime, rate_limits: RateLimits | None) -> None:
        """Keep what a probe read; ``None`` means it failed."""
        self.last_run = now
        if rate_limits is not None:
            self.rate_limits = rate_limits
            self.failures = 0
            return
        self.failures += 1
        if self.failures >= FAILURES_BEFORE_BACK_OFF:
            self.rate_limits = None
