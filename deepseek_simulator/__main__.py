"""``python -m deepseek_simulator``: the simulator in the foreground, on loopback."""

import argparse
import asyncio
import contextlib
from decimal import Decimal
from pathlib import Path

from .server import DEFAULT_API_KEY, SimulatorState, run_simulator


async def _serve(args: argparse.Namespace) -> None:
    state = SimulatorState(
        api_key=args.api_key,
        latency=args.latency,
        state_file=args.state_file,
        spend_per_request=args.spend_per_request,
    )
    if args.demo:
        state.start_demo()
    async with run_simulator(state, host=args.host, port=args.port) as simulator:
        print(  # noqa: T201
            f"DeepSeek simulator on {simulator.url}, accepting the API key "
            f"{state.api_key}",
            flush=True,
        )
        await asyncio.Event().wait()


def main() -> None:
    """Run the simulator in the foreground until interrupted."""
    parser = argparse.ArgumentParser(description="A DeepSeek API look-alike.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start with a week of spending behind the account, and keep spending",
    )
    parser.add_argument(
        "--state-file", type=Path, help="keep the account here across restarts"
    )
    parser.add_argument(
        "--spend-per-request",
        type=Decimal,
        default=Decimal(0),
        help="a busy account: CNY spent before each balance request (0)",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
