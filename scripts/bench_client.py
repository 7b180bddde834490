"""Benchmark one poll of the DeepSeek client against the simulator.

Prints the median wall time of a usual poll (the balance alone, as for an account
without rate-limit headers), of ``snapshot()`` with the rate-limit probe (both
calls at once), and of the two calls made one after the other, and new TCP
connections per poll after warm-up. The simulator adds the same latency to every
request.
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
from pathlib import Path
import statistics
import sys
import time

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.deepseek_balance.api import (
    Balance,
    CurrencyBalance,
    DeepSeekClient,
)
from custom_components.deepseek_balance.history import BalanceHistory
from deepseek_simulator import (
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
        client = DeepSeekClient(
            session,
            DEFAULT_API_KEY,
            clock=lambda: datetime.now(UTC),
            base_url=simulator.url,
        )

        async def usual() -> None:
            await client.snapshot(probe_rate_limits=False)

        async def sequential() -> None:
            await client.balance()
            await client.rate_limits()

        rows = {
            "snapshot(probe_rate_limits=False), the usual poll": await _measure(
                usual, state, polls
            ),
            "snapshot(), with the probe": await _measure(client.snapshot, state, polls),
            "balance() then rate_limits()": await _measure(sequential, state, polls),
        }

    print(f"DeepSeek client, {polls} polls, {latency * 1000:.0f} ms simulated latency")
    print("| poll | median wall time | new TCP connections per poll |")
    print("| --- | ---: | ---: |")
    for name, (seconds, connections) in rows.items():
        print(f"| {name} | {seconds * 1000:.1f} ms | {connections:.2f} |")
    with_probe, _ = rows["snapshot(), with the probe"]
    one_after_the_other, _ = rows["balance() then rate_limits()"]
    print(
        "ratio one after the other / with the probe: "
        f"{one_after_the_other / with_probe:.2f}"
    )


def history_size(days: int = 31) -> tuple[int, int]:
    """Bytes and samples of the stored history of a busy month at 30 s polls.

    The balance falls at every poll, the worst case for the thinned series.
    """
    history = BalanceHistory()
    start = datetime(2026, 11, 30, tzinfo=UTC)
    topped_up = Decimal(100000)
    for poll in range(days * 24 * 120 + 1):
        balance = Balance(
            is_available=True,
            balances=(CurrencyBalance("CNY", topped_up, Decimal(0), topped_up),),
        )
        history.record(start + timedelta(seconds=30 * poll), balance)
        topped_up -= Decimal("0.01")
    size = len(json.dumps(history.as_dict(), separators=(",", ":")))
    return size, len(history.currencies["CNY"].samples)


def main() -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="seconds")
    parser.add_argument("--polls", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(_run(args.latency, args.polls))
    size, samples = history_size()
    print(
        f"stored history of 31 days of 30 s polls, the balance falling at each: "
        f"{size / 1000:.1f} kB, {samples} samples"
    )


if __name__ == "__main__":
    main()
