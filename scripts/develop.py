"""Run a real Home Assistant with this integration on http://127.0.0.1:8123.

With DEEPSEEK_API_KEY set it talks to the real DeepSeek API; without it (or with
--demo) it also runs the DeepSeek simulator on 127.0.0.1:8765, whose balance falls
slowly. The first run onboards a local user and prints its password, adds the
account through the config flow and installs the example dashboard; later runs
reuse all of it (delete config/ to start over). Ctrl-C stops everything.
"""

import argparse
import asyncio
import contextlib
import json
import os
from pathlib import Path
import secrets
import signal
import socket
import sys
from typing import Any

import aiohttp
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.harness import (
    ROOT,
    HomeAssistantApi,
    start_hass,
    start_simulator,
    stop,
    write_config,
)

CONFIG = ROOT / "config"
STATE = CONFIG / ".develop.json"  # the demo user's login, kept with config/
HASS_PORT = 8123
HASS_URL = f"http://127.0.0.1:{HASS_PORT}"
SIMULATOR_PORT = 8765
DEMO_KEY = "sk-demo-0000-1a2b"
DEEPSEEK_URL = "https://api.deepseek.com"


async def _prepare(api: HomeAssistantApi, api_key: str, base_url: str) -> None:
    """Onboard, add the account and install the dashboard, unless done before."""
    state: dict[str, Any] = json.loads(STATE.read_text()) if STATE.exists() else {}
    if not await api.is_onboarded():
        state = {"username": "dev", "password": secrets.token_urlsafe(12)}
        await api.onboard("Developer", state["username"], state["password"])
    else:
        await api.refresh(state["refresh_token"])
    state["refresh_token"] = api.tokens["refresh_token"]
    STATE.write_text(json.dumps(state))
    STATE.chmod(0o600)

    if not await api.entries():
        result = await api.add_deepseek(api_key, base_url)
        if result["type"] != "create_entry":
            raise SystemExit(f"Adding the account failed: {result.get('errors')}")
    prefix = f"deepseek_{api_key[-4:].lower()}"
    dashboard = yaml.safe_load((ROOT / "examples/dashboard.yaml").read_text())
    dashboard = json.loads(json.dumps(dashboard).replace("deepseek_1a2b", prefix))
    await api.install_dashboard("deepseek-wall", "DeepSeek", dashboard)

    print(
        f"\nHome Assistant: {HASS_URL}  (user {state['username']!r}, "
        f"password {state['password']!r})\n"
        f"Dashboard:      {HASS_URL}/deepseek-wall/deepseek\n"
        "Ctrl-C stops everything.\n",
        flush=True,
    )


def _refuse_busy_ports(*ports: int) -> None:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(
                    f"Port {port} is in use: is another scripts/develop running?"
                )


async def _run(demo: bool) -> None:  # noqa: FBT001
    _refuse_busy_ports(HASS_PORT, SIMULATOR_PORT)
    api_key = os.environ.get("DEEPSEEK_API_KEY", "")
    if demo or not api_key:
        api_key, base_url = DEMO_KEY, f"http://127.0.0.1:{SIMULATOR_PORT}"
        processes = [start_simulator(SIMULATOR_PORT, api_key, drain_per_hour="0.60")]
    else:
        base_url, processes = DEEPSEEK_URL, []
    write_config(CONFIG)
    processes.append(start_hass(CONFIG))
    # Ctrl-C (or SIGTERM) cancels this task wherever it is; cleanup follows.
    task = asyncio.current_task()
    assert task is not None  # noqa: S101
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, task.cancel)
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, HASS_URL)
            print("Starting Home Assistant (log: config/hass.out)...", flush=True)
            await api.wait_until_up()
            await _prepare(api, api_key, base_url)
            await api.close()
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        print("Stopping...", flush=True)
    finally:
        for process in reversed(processes):
            stop(process)


def main() -> None:
    """Parse arguments and run until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--demo", action="store_true", help="use the simulator even with a key set"
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(parser.parse_args().demo))


if __name__ == "__main__":
    main()
