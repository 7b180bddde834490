"""Run a real Home Assistant with this integration on http://127.0.0.1:8123.

With DEEPSEEK_API_KEY set it talks to the real DeepSeek API; without it (or with
--demo) it also runs the DeepSeek simulator on 127.0.0.1:8765 with a demo account
that has last month's and this month's spending behind it. The first run onboards a
local user and prints its password, adds the account through the config flow and
installs the example dashboard; in demo mode it also hands the demo's history to
Home Assistant, so the dashboard is full at once. Later runs reuse all of it (delete
the configuration folder to start over). Ctrl-C stops everything.
"""

import argparse
import asyncio
import contextlib
from datetime import datetime
from decimal import Decimal
import json
import os
from pathlib import Path
import secrets
import signal
import socket
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deepseek_simulator.demo import DEMO_TIME_ZONE, GRANT, Reading
from scripts.demo_seed import demo_seed
from scripts.harness import (
    ROOT,
    HomeAssistantApi,
    SimulatorControl,
    start_hass,
    start_simulator,
    stop,
    wait_for,
    write_config,
)

DEMO_KEY = "sk-demo-0000-1a2b"
DEEPSEEK_URL = "https://api.deepseek.com"
DASHBOARD_URL_PATH = "deepseek-wall"  # the example dashboard's one view is "deepseek"
LOGIN_FILE = ".develop.json"  # the demo user's login, kept with the configuration
# The demo's limits; the dashboard's month gauge spans the budget.
DEMO_OPTIONS = {
    "scan_interval": 30,
    "low_balance_threshold": 20,
    "monthly_budget": 200,
    "low_balance_days": 7,
}


def dashboard_config(prefix: str, monthly_budget: float = 0) -> dict[str, Any]:
    """The example dashboard for one entry; the month's gauge spans the budget.

    The gauges' colours follow the entry's own sensors; only a gauge's range is
    fixed, so the projection's is set to one and a half times the budget.
    """
    text = (ROOT / "examples/dashboard.yaml").read_text()
    config: dict[str, Any] = yaml.safe_load(text.replace("deepseek_1a2b", prefix))
    for view in config["views"]:
        for section in view.get("sections", []):
            for card in section.get("cards", []):
                projection = card["type"] == "gauge" and "projected" in card["entity"]
                if projection and monthly_budget > 0:
                    card["max"] = round(1.5 * monthly_budget)
    return config


class Develop:
    """One run: the processes, the instance and the account in it."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Read the command line and the environment."""
        self.config_dir: Path = args.config.resolve()
        self.port: int = args.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.simulator_port: int = args.simulator_port
        api_key = os.environ.get("DEEPSEEK_API_KEY", "")
        self.demo = args.demo or not api_key
        self.api_key = DEMO_KEY if self.demo else api_key
        self.base_url = (
            f"http://127.0.0.1:{self.simulator_port}" if self.demo else DEEPSEEK_URL
        )
        self.prefix = f"deepseek_{self.api_key[-4:].lower()}"

    async def run(self) -> None:
        """Start everything, prepare the instance, then wait for Ctrl-C."""
        started = time.monotonic()
        _refuse_busy_ports(self.port, *([self.simulator_port] if self.demo else []))
        write_config(self.config_dir, http_port=self.port)
        processes = []
        if self.demo:
            processes.append(
                start_simulator(
                    self.simulator_port,
                    self.api_key,
                    demo_state=self.config_dir / "simulator.json",
                )
            )
        processes.append(start_hass(self.config_dir))
        # Ctrl-C (or SIGTERM) cancels this task wherever it is; cleanup follows.
        task = asyncio.current_task()
        assert task is not None  # noqa: S101
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, task.cancel)
        try:
            async with aiohttp.ClientSession() as session:
                api = HomeAssistantApi(session, self.url)
                print(
                    f"Starting Home Assistant (log: {self.config_dir / 'hass.out'})...",
                    flush=True,
                )
                await api.wait_until_up()
                login = await self._log_in(api)
                await self._prepare(api, session)
                await api.close()
            print(
                f"\nReady in {time.monotonic() - started:.0f} s.\n"
                f"Home Assistant: {self.url}  (user {login['username']!r}, "
                f"password {login['password']!r})\n"
                f"Dashboard:      {self.url}/{DASHBOARD_URL_PATH}/deepseek\n"
                "Ctrl-C stops everything.\n",
                flush=True,
            )
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            print("Stopping...", flush=True)
        finally:
            for process in reversed(processes):
                stop(process)

    async def _log_in(self, api: HomeAssistantApi) -> dict[str, str]:
        """Onboard a local user on the first run; log in with it on later ones."""
        login_file = self.config_dir / LOGIN_FILE
        login: dict[str, str] = (
            json.loads(login_file.read_text()) if login_file.exists() else {}
        )
        if not await api.is_onboarded():
            login = {"username": "dev", "password": secrets.token_urlsafe(12)}
            await api.onboard("Developer", login["username"], login["password"])
        else:
            await api.refresh(login["refresh_token"])
        login["refresh_token"] = api.tokens["refresh_token"]
        login_file.write_text(json.dumps(login))
        login_file.chmod(0o600)
        return login

    async def _prepare(
        self, api: HomeAssistantApi, session: aiohttp.ClientSession
    ) -> None:
        """Add the account (in demo mode with its history); install the dashboard."""
        if not await api.entries():
            result = await api.add_deepseek(self.api_key, self.base_url)
            if result["type"] != "create_entry":
                raise SystemExit(f"Adding the account failed: {result.get('errors')}")
            entry_id = result["result"]["entry_id"]
            if self.demo:
                simulator = SimulatorControl(session, self.base_url)
                await api.set_options(entry_id, DEMO_OPTIONS)
                if readings := [
                    Reading(datetime.fromisoformat(at), Decimal(g), Decimal(t))
                    for at, g, t in await simulator.history()
                ]:
                    await self._seed_demo_history(api, entry_id, readings)
                    await self._land_the_grant(api, simulator)
                else:
                    print(
                        "The demo account's history went to the first entry; delete "
                        f"{self.config_dir} for a new demo with its history.",
                        flush=True,
                    )
        # With a real key the month's gauge keeps the example's range (see README).
        options = DEMO_OPTIONS if self.demo else {}
        await api.install_dashboard(
            DASHBOARD_URL_PATH,
            "DeepSeek",
            dashboard_config(self.prefix, options.get("monthly_budget", 0)),
        )

    async def _seed_demo_history(
        self, api: HomeAssistantApi, entry_id: str, readings: list[Reading]
    ) -> None:
        """Give Home Assistant the history the demo account has behind it.

        The entry is disabled while the history in its store is replaced by the
        demo's, so it loads that history when it is enabled again; the statistics
        go through the recorder's own import.
        """
        seed = demo_seed(readings, ZoneInfo(DEMO_TIME_ZONE))
        await api.set_entry_disabled(entry_id, disabled=True)
        store = self.config_dir / ".storage" / f"deepseek_balance.{entry_id}"
        stored = json.loads(store.read_text())  # written when the entry unloaded
        stored["data"] |= seed.history
        store.write_text(json.dumps(stored))
        imports = {
            f"sensor.{self.prefix}_total_balance_cny": seed.balance_statistics(),
            f"sensor.{self.prefix}_spend_today_cny": seed.spend_statistics(),
            f"sensor.{self.prefix}_spend_this_month_cny": seed.month_statistics(),
        }
        for statistic_id, rows in imports.items():
            await api.import_statistics(statistic_id, "CNY", rows)
        await api.set_entry_disabled(entry_id, disabled=False)

        async def imported() -> bool:
            """The recorder imports in its own queue: wait until the rows are in."""
            found = await api.statistics(
                list(imports), since=readings[0].at, period="hour", types=["state"]
            )
            return all(
                len(found.get(statistic_id, [])) == len(rows)
                for statistic_id, rows in imports.items()
            )

        await wait_for(imported, within=60)

    async def _land_the_grant(
        self, api: HomeAssistantApi, simulator: SimulatorControl
    ) -> None:
        """The demo's grant arrives while Home Assistant watches: the last activity."""
        activity = f"event.{self.prefix}_balance_activity"

        async def fired() -> bool:
            return await api.state(activity) not in (None, "unknown", "unavailable")

        await simulator.set(grant={"CNY": str(GRANT)})
        await api.update_entity(activity)
        await wait_for(fired, within=60)


def _refuse_busy_ports(*ports: int) -> None:
    for port in ports:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise SystemExit(
                    f"Port {port} is in use: is another scripts/develop running? "
                    "Choose others with --port and --simulator-port."
                )


def main() -> None:
    """Parse arguments and run until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--demo", action="store_true", help="use the simulator even with a key set"
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (8123)"
    )
    parser.add_argument(
        "--simulator-port", type=int, default=8765, help="the simulator's port (8765)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=ROOT / "config",
        help="Home Assistant's configuration folder (config/, git-ignored)",
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Develop(parser.parse_args()).run())


if __name__ == "__main__":
    main()
