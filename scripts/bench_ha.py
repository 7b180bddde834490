"""Benchmark one poll inside Home Assistant against the RESTful alternatives.

It compares this integration with the set-ups a user would otherwise build with the
RESTful integration. The simulator runs in its own process with 100 ms of latency
per request, so the CPU time measured on the event loop's thread is Home
Assistant's alone.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import statistics
import sys
import time
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.resolver import AsyncResolver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeassistant import loader
from homeassistant.core import HomeAssistant, State, StateMachine
from homeassistant.setup import async_setup_component

# Home Assistant's own test instance, as its tests use it.
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from tests.e2e.harness import free_port, start_simulator, stop

API_KEY = "sk-bench-0000"
CNY = "value_json.balance_infos | selectattr('currency', 'eq', 'CNY') | first"


def rest_config(url: str, *, with_models: bool) -> dict[str, Any]:
    """``rest:`` for /user/balance with three template sensors, and /v1/models."""
    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}
    resources = [
        {
            "resource": f"{url}/user/balance",
            "headers": headers,
            "scan_interval": 3600,  # polled by the benchmark, not by its timer
            "sensor": [
                {
                    "name": f"Rest {part}",
                    "unit_of_measurement": "CNY",
                    "device_class": "monetary",
                    "value_template": f"{{{{ ({CNY})['{part}_balance'] }}}}",
                }
                for part in ("total", "granted", "topped_up")
            ],
        }
    ]
    if with_models:
        resources.append(
            {
                "resource": f"{url}/v1/models",
                "headers": headers,
                "scan_interval": 3600,
                # The RESTful integration cannot read response headers at all.
                "sensor": [
                    {
                        "name": "Rest models",
                        "value_template": "{{ value_json.data | count }}",
                    }
                ],
            }
        )
    return {"rest": resources}


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


async def connections(session: aiohttp.ClientSession, url: str) -> int:
    """TCP connections the simulator has accepted so far."""
    async with session.get(f"{url}/_simulator/state") as response:
        return int((await response.json())["connections"])


type Setup = Callable[[HomeAssistant], Awaitable[Callable[[], Awaitable[Any]]]]


async def measure(
    setup: Setup, first_state: str, url: str, *, polls: int, meter: Meter
) -> dict[str, float]:
    """Set one alternative up in a fresh instance, then time its polls."""
    async with (
        async_test_home_assistant(config_dir=str(Path.cwd() / "config-bench")) as hass,
        aiohttp.ClientSession() as session,
    ):
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # allow custom_components
        started = time.perf_counter()
        poll = await setup(hass)
        await hass.async_block_till_done()
        setup_seconds = time.perf_counter() - started
        state: State | None = hass.states.get(first_state)
        if state is None or state.state in ("unknown", "unavailable"):
            raise SystemExit(f"{first_state} did not get a value: {state}")
        for _ in range(3):  # warm-up: connections open, caches filled
            await poll()
            await hass.async_block_till_done()
        connections_before = await connections(session, url)
        writes_before = meter.writes
        walls, cpus = [], []
        for _ in range(polls):
            wall, cpu = time.perf_counter(), time.thread_time()
            await poll()
            await hass.async_block_till_done()
            cpus.append(time.thread_time() - cpu)
            walls.append(time.perf_counter() - wall)
        result = {
            "wall_ms": statistics.median(walls) * 1000,
            "cpu_ms": statistics.median(cpus) * 1000,
            "writes": (meter.writes - writes_before) / polls,
            "connections": (await connections(session, url) - connections_before)
            / polls,
            "setup_ms": setup_seconds * 1000,
        }
        await hass.async_stop(force=True)
    return result


def ours(url: str) -> Setup:
    """Set up deepseek_balance as the config flow would."""

    async def setup(hass: HomeAssistant) -> Callable[[], Awaitable[Any]]:
        entry = MockConfigEntry(
            domain="deepseek_balance",
            title="DeepSeek ••••0000",
            data={"api_key": API_KEY, "base_url": url},
            options={"scan_interval": 3600},
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        return entry.runtime_data.async_refresh

    return setup


def rest(url: str, *, with_models: bool) -> Setup:
    """The RESTful integration; every resource polled at once, as its timers would."""

    async def setup(hass: HomeAssistant) -> Callable[[], Awaitable[Any]]:
        await async_setup_component(
            hass, "rest", rest_config(url, with_models=with_models)
        )
        await hass.async_block_till_done()
        coordinators = hass.data["rest"]["coordinator"]

        async def poll() -> None:
            await asyncio.gather(*(c.async_refresh() for c in coordinators))

        return poll

    return setup


async def run(polls: int, latency: float) -> None:
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
    simulator = start_simulator(port, API_KEY, latency=latency)
    await asyncio.sleep(1.5)
    meter = Meter()
    setups = {
        "deepseek_balance (this integration)": (
            ours(url),
            "sensor.deepseek_0000_total_balance_cny",
        ),
        "rest: /user/balance + 3 template sensors": (
            rest(url, with_models=False),
            "sensor.rest_total",
        ),
        "rest: /user/balance + /v1/models": (
            rest(url, with_models=True),
            "sensor.rest_total",
        ),
    }
    try:
        # A first, unmeasured round imports every module, so no set-up pays for it.
        for setup, first_state in setups.values():
            await measure(setup, first_state, url, polls=1, meter=meter)
        results = {
            name: await measure(setup, first_state, url, polls=polls, meter=meter)
            for name, (setup, first_state) in setups.items()
        }
    finally:
        stop(simulator)
    report(results, polls, latency)


def report(results: dict[str, dict[str, float]], polls: int, latency: float) -> None:
    """Print the Markdown table and the ratios."""
    ours_figures = next(iter(results.values()))
    print(
        f"Per poll, median of {polls} polls, simulator latency {latency * 1000:.0f} ms "
        "per request; nothing changed between polls.\n"
    )
    print(
        "| set-up | wall time | event-loop CPU | state writes "
        "| new TCP connections | setup to first state |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, figures in results.items():
        print(
            f"| {name} | {figures['wall_ms']:.1f} ms | {figures['cpu_ms']:.2f} ms | "
            f"{figures['writes']:.2f} | {figures['connections']:.2f} | "
            f"{figures['setup_ms']:.0f} ms |"
        )
    print("\nRatios, alternative / ours:")
    for name, figures in list(results.items())[1:]:
        print(
            f"- {name}: wall {figures['wall_ms'] / ours_figures['wall_ms']:.2f}x, "
            f"CPU {figures['cpu_ms'] / ours_figures['cpu_ms']:.2f}x, "
            f"state writes {figures['writes']:.2f} vs {ours_figures['writes']:.2f}, "
            f"setup {figures['setup_ms'] / ours_figures['setup_ms']:.2f}x"
        )


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds")
    args = parser.parse_args()
    asyncio.run(run(args.polls, args.latency))


if __name__ == "__main__":
    main()
