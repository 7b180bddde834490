"""When the rate-limit probe asks /v1/models: the model's schedule, without HA."""

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.deepseek_balance.account import (
    IDLE_PROBE_INTERVAL,
    RateLimitProbe,
)
from custom_components.deepseek_balance.api import RateLimit, RateLimits

START = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CARRIED = RateLimits(requests=RateLimit(limit=100, remaining=99))
NOTHING = RateLimits()


def test_the_first_poll_probes() -> None:
    probe = RateLimitProbe()

    assert probe.is_due(START)
    assert probe.last_run is None
    assert not probe.headers_seen


@pytest.mark.parametrize("answer", [NOTHING, None], ids=["no headers", "failed"])
def test_without_headers_it_asks_every_ten_minutes(answer: RateLimits | None) -> None:
    probe = RateLimitProbe()
    probe.record(START, answer)

    due = [
        probe.is_due(START + timedelta(seconds=seconds))
        for seconds in range(30, 1201, 30)
    ]

    assert due.index(True) == 19  # 600 s: the twentieth 30-second poll
    assert not probe.headers_seen


def test_headers_make_it_ask_every_poll_and_their_loss_backs_off() -> None:
    probe = RateLimitProbe()
    probe.record(START, CARRIED)
    assert probe.headers_seen
    assert probe.is_due(START + timedelta(seconds=30))

    probe.record(START + timedelta(seconds=30), NOTHING)

    assert not probe.headers_seen
    assert probe.rate_limits == NOTHING
    assert not probe.is_due(START + timedelta(seconds=60))
    assert probe.is_due(START + timedelta(seconds=30) + IDLE_PROBE_INTERVAL)
    assert probe.last_run == START + timedelta(seconds=30)


def test_a_failed_probe_keeps_the_figures_and_asks_again() -> None:
    probe = RateLimitProbe()
    probe.record(START, CARRIED)

    probe.record(START + timedelta(seconds=30), None)

    assert probe.rate_limits == CARRIED
    assert probe.is_due(START + timedelta(seconds=60))


def test_three_failures_in_a_row_make_the_figures_unknown_and_back_off() -> None:
    probe = RateLimitProbe()
    probe.record(START, CARRIED)
    for poll in (1, 2, 3):
        probe.record(START + timedelta(seconds=30 * poll), None)

    assert probe.rate_limits is None
    assert not probe.is_due(START + timedelta(seconds=120))

    probe.record(START + IDLE_PROBE_INTERVAL, CARRIED)
    probe.record(START + IDLE_PROBE_INTERVAL + timedelta(seconds=30), None)

    assert probe.rate_limits == CARRIED  # one failure again keeps the figures
    assert probe.headers_seen
