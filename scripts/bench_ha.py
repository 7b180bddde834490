"""Benchmark one poll inside Home Assistant against the alternatives a user has.

The set-ups run side by side in one Home Assistant test instance, with its
recorder on, and are polled in turn, so a busy moment of the machine falls on all
of them alike. The simulator runs in its own process with 100 ms of latency per
request, so the CPU time measured on the event loop's thread is Home Assistant's
alone. Two scenarios run one after the other: an account whose balance does not
change, and a busy one that spends before every balance request.

The other deepseek_balance integration (``--competitor``, a checkout of its public
repository) is copied into the test instance's configuration folder under another
domain and pointed at the simulator; nothing of it is kept.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
import cProfile
from dataclasses import dataclass, field
import json
from pathlib import Path
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp.resolver import AsyncResolver

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from homeassistant import loader
from homeassistant.components.recorder import get_instance
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, StateMachine
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

# Home Assistant's own test instance, as its tests use it.
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from deepseek_simulator.demo import demo_history
from scripts.demo_seed import demo_seed
from scripts.harness import free_port, start_simulator, stop

API_KEY = "sk-bench-0000"
ENTRY_ID = "01JBENCHDEEPSEEKBALANCEENTRY"
CNY = "value_json.balance_infos | selectattr('currency', 'eq', 'CNY') | first"
WARM_UP = 3
OURS = "deepseek_balance (this integration)"
COMPONENT = str(Path("custom_components", "deepseek_balance"))
COMPETITOR = "bobloblawlobslawbomb/deepseek_balance"
COMPETITOR_DOMAIN = "competitor_deepseek"
REST_BALANCE = "rest: /user/balance + 3 template sensors"
REST_BOTH = "rest: /user/balance + /v1/models"
# Each set-up's entity IDs begin so.
PREFIXES = {
    OURS: ("sensor.deepseek_0000_", "binary_sensor.deepseek_0000_", "event.deepseek"),
    COMPETITOR: ("sensor.deepseek_account_", "binary_sensor.deepseek_account_"),
    REST_BALANCE: ("sensor.rest_one_",),
    REST_BOTH: ("sensor.rest_two_", "sensor.rest_models"),
}
# CNY spent before each balance request: none, and a busy account's.
SCENARIOS = {"balance unchanged": "0", "busy account": "0.01"}


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


def install_competitor(checkout: Path, folder: Path, url: str) -> None:
    """Copy the other integration in under its own domain, aimed at the simulator."""
    target = folder / "custom_components" / COMPETITOR_DOMAIN
    shutil.copytree(checkout / "custom_components/deepseek_balance", target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8-sig"))
    manifest["domain"] = COMPETITOR_DOMAIN
    (target / "manifest.json").write_text(json.dumps(manifest))
    const = (target / "const.py").read_text(encoding="utf-8-sig")
    const = const.replace('"deepseek_balance"', f'"{COMPETITOR_DOMAIN}"')
    const = const.replace('"https://api.deepseek.com"', f'"{url}"')
    (target / "const.py").write_text(const)


def seed_history(config_dir: Path) -> None:
    """Our entry's store with a week behind it, so its estimates are known."""
    seed = demo_seed(
        demo_history(dt_util.utcnow()), ZoneInfo("UTC")
    )  # the history only
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / f"deepseek_balance.{ENTRY_ID}").write_text(
        json.dumps(
            {
                "version": 1,
                "minor_version": 1,
                "key": f"deepseek_balance.{ENTRY_ID}",
                "data": seed.history,
            }
        )
    )


class Meter:
    """Counts state writes (every call that stores a state, changed or not)."""

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
    recorded: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)


class Simulator:
    """The simulator's counters, read between polls (never inside a measurement)."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        """Read the simulator at ``url``."""
        self.session = session
        self.url = url

    async def requests(self) -> int:
        """API requests so far."""
        async with self.session.get(f"{self.url}/_simulator/state") as response:
            state = await response.json()
        return sum(state["requests"].values())


async def set_up(
    hass: HomeAssistant, url: str, *, competitor: bool
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """All set-ups in one instance; return how to poll each."""
    entry = MockConfigEntry(
        domain="deepseek_balance",
        entry_id=ENTRY_ID,
        title="DeepSeek ••••0000",
        version=1,
        minor_version=3,
        data={"api_key": API_KEY, "base_url": url},
        options={"scan_interval": 3600, "currency": "CNY"},  # polled by the bench
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    polls: dict[str, Callable[[], Awaitable[Any]]] = {
        OURS: entry.runtime_data.async_refresh
    }
    if competitor:
        theirs = MockConfigEntry(
            domain=COMPETITOR_DOMAIN,
            title="Deepseek Balance",
            data={"api_key": API_KEY},
            options={"update_interval": 3600},
        )
        theirs.add_to_hass(hass)
        await hass.config_entries.async_setup(theirs.entry_id)
        polls[COMPETITOR] = theirs.runtime_data.async_refresh
    await async_setup_component(hass, "rest", rest_config(url))
    await hass.async_block_till_done()
    balance_only, balance, models = hass.data["rest"]["coordinator"]

    async def both() -> None:
        await asyncio.gather(balance.async_refresh(), models.async_refresh())

    return polls | {REST_BALANCE: balance_only.async_refresh, REST_BOTH: both}


def owner(entity_id: str) -> str | None:
    """The set-up an entity belongs to."""
    return next(
        (name for name, prefixes in PREFIXES.items() if entity_id.startswith(prefixes)),
        None,
    )


async def measure_round(
    hass: HomeAssistant,
    polls: dict[str, Callable[[], Awaitable[Any]]],
    simulator: Simulator,
    meter: Meter,
    results: dict[str, Figures],
) -> None:
    """Poll each set-up once, in turn, and note what each poll cost."""
    changed: dict[str | None, int] = {}

    def count(event: Event[Any]) -> None:
        name = owner(event.data["entity_id"])
        changed[name] = changed.get(name, 0) + 1

    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    for name, poll in polls.items():
        requests = await simulator.requests()
        writes = meter.writes
        wall, cpu = time.perf_counter(), time.thread_time()
        await poll()
        await hass.async_block_till_done()
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
        figures = results[name]
        figures.wall.append(wall)
        figures.cpu.append(cpu)
        figures.writes.append(meter.writes - writes)
        figures.requests.append(await simulator.requests() - requests)
    unsubscribe()
    for name, figures in results.items():
        figures.recorded.append(changed.get(name, 0))


def recorder_bytes(
    database: Path, polls: int, after: tuple[int, int]
) -> dict[str, float]:
    """What each set-up's states cost the recorder per poll, in payload bytes.

    A recorded state is a row of the states table with its state text; a set of
    attributes not seen before is a row of the attributes table with its JSON.
    Both are read from the database, for the rows written after ``after`` (the
    last state and attributes rows of the warm-up).
    """
    by_setup: dict[str, float] = {}
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT m.entity_id, LENGTH(s.state), a.shared_attrs, s.attributes_id "
            "FROM states s JOIN states_meta m ON s.metadata_id = m.metadata_id "
            "LEFT JOIN state_attributes a ON s.attributes_id = a.attributes_id "
            "WHERE s.state_id > ?",
            (after[0],),
        ).fetchall()
    seen_attributes: set[int] = set()
    for entity_id, state_length, shared, attributes_id in rows:
        if (name := owner(entity_id)) is None:
            continue
        size = state_length or 0
        new_attributes = attributes_id is not None and attributes_id > after[1]
        if new_attributes and attributes_id not in seen_attributes:
            seen_attributes.add(attributes_id)
            size += len(shared or "")
        by_setup[name] = by_setup.get(name, 0) + size
    return {name: size / polls for name, size in by_setup.items()}


def last_rows(database: Path) -> tuple[int, int]:
    """The last state and attributes rows: where the measured polls' begin."""
    with sqlite3.connect(database) as db:
        states = db.execute("SELECT MAX(state_id) FROM states").fetchone()[0]
        attributes = db.execute(
            "SELECT MAX(attributes_id) FROM state_attributes"
        ).fetchone()[0]
    return states or 0, attributes or 0


async def profile_ours(
    hass: HomeAssistant, poll: Callable[[], Awaitable[Any]], polls: int
) -> str:
    """The functions of this integration one poll runs, as table rows.

    The profiler counts CPU time, so waiting for the answer costs nothing. Since
    Python 3.12 it sees every thread, each by its own clock, so only this
    integration's functions are shown: they run on the event loop alone.
    """
    profiler = cProfile.Profile(time.thread_time)
    for _ in range(polls):
        profiler.enable()
        await poll()
        await hass.async_block_till_done()
        profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    ours = [item for item in stats.items() if COMPONENT in item[0][0]]
    by_cumulative = sorted(ours, key=lambda item: item[1][3], reverse=True)
    return "\n".join(
        f"| {Path(path).name}:{line} {function} | {calls / polls:.1f} | "
        f"{own / polls * 1e6:.0f} µs | {total / polls * 1e6:.0f} µs |"
        for (path, line, function), (_, calls, own, total, _) in by_cumulative[:15]
    )


@dataclass
class Scenario:
    """One scenario's results: per set-up figures, bytes, and our profile."""

    results: dict[str, Figures]
    bytes_per_poll: dict[str, float]
    profile: str


async def run_scenario(
    spend: str, port: int, args: argparse.Namespace, meter: Meter
) -> Scenario:
    """Measure every set-up against one simulator process of this scenario."""
    url = f"http://127.0.0.1:{port}"
    process = start_simulator(
        port, API_KEY, latency=args.latency, spend_per_request=spend
    )
    await asyncio.sleep(1.5)
    try:
        with tempfile.TemporaryDirectory(prefix="deepseek-bench-") as folder:
            config_dir = Path(folder)
            seed_history(config_dir)
            async with (
                async_test_home_assistant(config_dir=folder) as hass,
                aiohttp.ClientSession() as session,
            ):
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)  # custom_components
                database = config_dir / "bench.db"
                recorder_helper.async_initialize_recorder(hass)
                await async_setup_component(
                    hass,
                    "recorder",
                    {"recorder": {"db_url": f"sqlite:///{database}"}},
                )
                polls = await set_up(hass, url, competitor=bool(args.competitor))
                simulator = Simulator(session, url)
                results = {name: Figures() for name in polls}
                for _ in range(WARM_UP):  # connections open, caches filled
                    await measure_round(hass, polls, simulator, meter, results)
                await get_instance(hass).async_block_till_done()
                after = await hass.async_add_executor_job(last_rows, database)
                results = {name: Figures() for name in polls}
                for _ in range(args.polls):
                    await measure_round(hass, polls, simulator, meter, results)
                await get_instance(hass).async_block_till_done()
                bytes_per_poll = await hass.async_add_executor_job(
                    recorder_bytes, database, args.polls, after
                )
                profile = await profile_ours(hass, polls[OURS], args.profile_polls)
                await hass.async_stop(force=True)
    finally:
        stop(process)
    return Scenario(results, bytes_per_poll, profile)


async def run(args: argparse.Namespace) -> None:
    """Both scenarios, one after the other."""
    # As Home Assistant's tests do: a plain resolver instead of zeroconf's.
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=resolver,
    ).start()
    meter = Meter()
    port = free_port()  # every scenario's simulator, where the competitor looks
    with tempfile.TemporaryDirectory(prefix="deepseek-bench-competitor-") as folder:
        if args.competitor:
            install_competitor(
                args.competitor, Path(folder), f"http://127.0.0.1:{port}"
            )
            sys.path.insert(0, folder)  # its custom_components beside ours
        for name, spend in SCENARIOS.items():
            scenario = await run_scenario(spend, port, args, meter)
            report(name, scenario, args)


def report(name: str, scenario: Scenario, args: argparse.Namespace) -> None:
    """Print one scenario's Markdown tables and ratios."""
    results = scenario.results
    medians = {
        setup: {
            "wall_ms": statistics.median(figures.wall) * 1000,
            "cpu_us": statistics.median(figures.cpu) * 1e6,
            "writes": statistics.mean(figures.writes),
            "recorded": statistics.mean(figures.recorded),
            "requests": statistics.mean(figures.requests),
            "bytes": scenario.bytes_per_poll.get(setup, 0.0),
        }
        for setup, figures in results.items()
    }
    print(
        f"### {name.capitalize()}\n\nPer poll: medians (wall, CPU) and means (the "
        f"rest) of {args.polls} polls of each set-up, polled in turn; simulator "
        f"latency {args.latency * 1000:.0f} ms per request; recorder on.\n"
    )
    print(
        "| set-up | requests | wall time | event-loop CPU | state writes "
        "| states recorded | recorder bytes |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for setup, figures in medians.items():
        print(
            f"| {setup} | {figures['requests']:.2f} | {figures['wall_ms']:.1f} ms | "
            f"{figures['cpu_us']:.0f} µs | {figures['writes']:.2f} | "
            f"{figures['recorded']:.2f} | {figures['bytes']:.0f} |"
        )
    ours = results[OURS]
    print("\nEvent-loop CPU per poll, ours / alternative (median of per-round ratios):")
    for setup in results:
        if setup != OURS:
            ratios = [a / b for a, b in zip(ours.cpu, results[setup].cpu, strict=True)]
            print(f"- {setup}: {statistics.median(ratios):.2f}x")
    print(
        f"\nThis integration's functions in one poll (cProfile, {args.profile_polls} "
        "polls, with the profiler's own overhead; own time, then cumulative):\n"
    )
    print("| function | calls | own | cumulative |")
    print("| --- | ---: | ---: | ---: |")
    print(scenario.profile)
    print()


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds")
    parser.add_argument("--profile-polls", type=int, default=50)
    parser.add_argument(
        "--competitor",
        type=Path,
        help="a checkout of bobloblawlobslawbomb/deepseek_balance, to measure beside",
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
