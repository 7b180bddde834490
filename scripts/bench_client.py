"""Benchmark one poll of the DeepSeek client against the simulator.

Prints the median wall time of ``snapshot()`` (both calls at once) and of the two
calls made one after the other, their ratio, and new TCP connections per poll
after warm-up. The simulator adds the same latency to every request.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import statistics
import sys
import time

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.deepseek_balance.api import DeepSeekClient
from tests.deepseek_simulator import (
    DEFAULT_API_KEY,
    SimulatorState,
    run_simulator,
)


async def _measure(
    poll: Callable[[], Awaitable[object]], state: SimulatorState, polls: int
) -> tuple[float, float]:
    """Median seconds per poll and new connections per poll, after one warm-up."""
    await poll()
    connections_before = state.connections
    durations = []
    for _ in range(polls):
        started = time.perf_counter()
        await poll()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations), (
        state.connections - connections_before
    ) / polls


async def _run(latency: float, polls: int) -> None:
    state = SimulatorState(latency=latency)
    async with run_simulator(state) as simulator, aiohttp.ClientSession() as session:
        client = DeepSeekClient(session, DEFAULT_API_KEY, base_url=simulator.url)

        async def sequential() -> None:
            await client.balance()
            await client.rate_limits()

        concurrent_s, concurrent_conn = await _measure(client.snapshot, state, polls)
        sequential_s, sequential_conn = await _measure(sequential, state, polls)

    print(f"DeepSeek client, {polls} polls, {latency * 1000:.0f} ms simulated latency")
    print("| poll | median wall time | new TCP connections per poll |")
    print("| --- | ---: | ---: |")
    print(f"| snapshot() | {concurrent_s * 1000:.1f} ms | {concurrent_conn:.2f} |")
    print(
        f"| balance() then rate_limits() | {sequential_s * 1000:.1f} ms "
        f"| {sequential_conn:.2f} |"
    )
    print(f"ratio sequential / snapshot: {sequential_s / concurrent_s:.2f}")


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds")
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(_run(args.latency, args.polls))


if __name__ == "__main__":
    main()
