"""Benchmark one poll inside Home Assistant against the RESTful alternatives.

The three set-ups run side by side in one Home Assistant test instance and are
polled in turn, so a busy moment of the machine falls on all of them alike. The
simulator runs in its own process with 100 ms of latency per request and answers
as DeepSeek does (no rate-limit headers), so the CPU time measured on the event
loop's thread is Home Assistant's alone.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import cProfile
from dataclasses import dataclass, field
from pathlib import Path
import pstats
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.resolver import AsyncResolver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeassistant import loader
from homeassistant.core import HomeAssistant, StateMachine
from homeassistant.setup import async_setup_component

# Home Assistant's own test instance, as its tests use it.
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from scripts.harness import free_port, start_simulator, stop

API_KEY = "sk-bench-0000"
CNY = "value_json.balance_infos | selectattr('currency', 'eq', 'CNY') | first"
WARM_UP = 3
OURS = "deepseek_balance (this integration)"
REST_BALANCE = "rest: /user/balance + 3 template sensors"
REST_BOTH = "rest: /user/balance + /v1/models"


def rest_resource(url: str, path: str, sensors: list[dict[str, Any]]) -> dict[str, Any]:
    """One ``rest:`` resource, polled by the benchmark rather than by its timer."""
    return {
        "resource": f"{url}{path}",
        "headers": {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"},
        "scan_interval": 3600,
        "sensor": sensors,
    }


def balance_sensors(prefix: str) -> list[dict[str, Any]]:
    """Template sensors for the CNY total, granted and topped-up balances."""
    return [
        {
            "name": f"{prefix} {part}",
            "unit_of_measurement": "CNY",
            "device_class": "monetary",
            "value_template": f"{{{{ ({CNY})['{part}_balance'] }}}}",
        }
        for part in ("total", "granted", "topped_up")
    ]


def rest_config(url: str) -> dict[str, Any]:
    """Both RESTful set-ups: balance only, and balance plus /v1/models."""
    return {
        "rest": [
            rest_resource(url, "/user/balance", balance_sensors("Rest one")),
            rest_resource(url, "/user/balance", balance_sensors("Rest two")),
            # The RESTful integration cannot read response headers at all.
            rest_resource(
                url,
                "/v1/models",
                [
                    {
                        "name": "Rest models",
                        "value_template": "{{ value_json.data | count }}",
                    }
                ],
            ),
        ]
    }


class Meter:
    """Counts state writes: every call that stores a state, changed or not."""

    def __init__(self) -> None:
        """Wrap the state machine's one write path."""
        self.writes = 0
        original = StateMachine.async_set_internal

        def counting(machine: StateMachine, *args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            return original(machine, *args, **kwargs)

        StateMachine.async_set_internal = counting  # type: ignore[method-assign]


@dataclass
class Figures:
    """One set-up's measurements, one entry per measured poll."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    writes: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)


class Simulator:
    """The simulator's counters, read between polls (never inside a measurement)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Read the simulator at ``url``."""
        self.session = session
        self.url = url

    async def counters(self) -> tuple[int, int]:
        """API requests and TCP connections so far."""
        async with self.session.get(f"{self.url}/_simulator/state") as response:
            state = await response.json()
        return sum(state["requests"].values()), state["connections"]


async def set_up(
    hass: HomeAssistant, url: str
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """All three set-ups in one instance; return how to poll each."""
    entry = MockConfigEntry(
        domain="deepseek_balance",
        title="DeepSeek ••••0000",
        data={"api_key": API_KEY, "base_url": url},
        options={"scan_interval": 3600},  # polled by the benchmark
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await async_setup_component(hass, "rest", rest_config(url))
    await hass.async_block_till_done()
    balance_only, balance, models = hass.data["rest"]["coordinator"]
    for entity_id in (
        "sensor.deepseek_0000_total_balance_cny",
        "sensor.rest_one_total",
        "sensor.rest_two_total",
    ):
        state = hass.states.get(entity_id)
        if state is None or state.state in ("unknown", "unavailable"):
            raise SystemExit(f"{entity_id} did not get a value: {state}")

    async def both() -> None:
        await asyncio.gather(balance.async_refresh(), models.async_refresh())

    return {
        OURS: entry.runtime_data.async_refresh,
        REST_BALANCE: balance_only.async_refresh,
        REST_BOTH: both,
    }


async def measure_round(
    hass: HomeAssistant,
    polls: dict[str, Callable[[], Awaitable[Any]]],
    simulator: Simulator,
    meter: Meter,
    results: dict[str, Figures],
) -> None:
    """Poll each set-up once, in turn, and note what each poll cost."""
    for name, poll in polls.items():
        requests, connections = await simulator.counters()
        writes = meter.writes
        wall, cpu = time.perf_counter(), time.thread_time()
        await poll()
        await hass.async_block_till_done()
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        figures = results[name]
        figures.wall.append(wall)
        figures.cpu.append(cpu)
        figures.writes.append(meter.writes - writes)
        requests_after, connections_after = await simulator.counters()
        figures.requests.append(requests_after - requests)
        figures.connections.append(connections_after - connections)


async def profile_ours(
    hass: HomeAssistant, poll: Callable[[], Awaitable[Any]], polls: int
) -> str:
    """The functions one poll of ours spends its event-loop CPU in, as table rows.

    The profiler counts CPU time, so waiting for the answer costs nothing.
    """
    profiler = cProfile.Profile(time.thread_time)
    for _ in range(polls):
        profiler.enable()
        await poll()
        await hass.async_block_till_done()
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    by_own_time = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    return "\n".join(
        f"| {Path(path).name}:{line} {function} | {calls / polls:.1f} | "
        f"{own / polls * 1e6:.0f} µs | {total / polls * 1e6:.0f} µs |"
        for (path, line, function), (_, calls, own, total, _) in by_own_time[:15]
    )


async def run(polls: int, latency: float, profile_polls: int) -> None:
    """Measure the three set-ups against one simulator process."""
    # As Home Assistant's tests do: a plain resolver instead of zeroconf's.
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=resolver,
    ).start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_simulator(port, API_KEY, latency=latency)
    await asyncio.sleep(1.5)
    meter = Meter()
    try:
        with tempfile.TemporaryDirectory(prefix="deepseek-bench-") as config_dir:
            async with (
                async_test_home_assistant(config_dir=config_dir) as hass,
                aiohttp.ClientSession() as session,
            ):
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # custom_components
                polls_by_name = await set_up(hass, url)
                simulator = Simulator(session, url)
                results = {name: Figures() for name in polls_by_name}
                for _ in range(WARM_UP):  # connections open, caches filled
                    await measure_round(hass, polls_by_name, simulator, meter, results)
                results = {name: Figures() for name in polls_by_name}
                for _ in range(polls):
                    await measure_round(hass, polls_by_name, simulator, meter, results)
                profile = await profile_ours(hass, polls_by_name[OURS], profile_polls)
                await hass.async_stop(force=True)
    finally:
        stop(process)
    report(results, polls, latency, profile, profile_polls)


def report(
    results: dict[str, Figures],
    polls: int,
    latency: float,
    profile: str,
    profile_polls: int,
) -> None:
    """Print the Markdown tables and the ratios."""
    medians = {
        name: {
            "wall_ms": statistics.median(figures.wall) * 1000,
            "cpu_ms": statistics.median(figures.cpu) * 1000,
            "writes": statistics.mean(figures.writes),
            "requests": statistics.mean(figures.requests),
            "connections": statistics.mean(figures.connections),
        }
        for name, figures in results.items()
    }
    print(
        f"Per poll: medians (wall, CPU) and means (the rest) of {polls} polls of each "
        f"set-up, polled in turn; simulator latency {latency * 1000:.0f} ms per "
        "request; nothing changed between polls.\n"
    )
    print(
        "| set-up | requests | wall time | event-loop CPU | state writes "
        "| new TCP connections |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, figures in medians.items():
        print(
            f"| {name} | {figures['requests']:.2f} | {figures['wall_ms']:.1f} ms | "
            f"{figures['cpu_ms']:.2f} ms | {figures['writes']:.2f} | "
            f"{figures['connections']:.2f} |"
        )
    ours = medians[OURS]
    print("\nEvent-loop CPU per poll, ours / alternative:")
    for name in (REST_BALANCE, REST_BOTH):
        print(f"- {name}: {ours['cpu_ms'] / medians[name]['cpu_ms']:.2f}x")
    print(
        f"\nWhere one poll of ours spends its CPU (cProfile, {profile_polls} polls, "
        "with the profiler's own overhead; own time, then with what it calls):\n"
    )
    print("| function | calls | own | cumulative |")
    print("| --- | ---: | ---: | ---: |")
    print(profile)


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds")
    parser.add_argument("--profile-polls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.polls, args.latency, args.profile_polls))


if __name__ == "__main__":
    main()
