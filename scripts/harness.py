"""A real Home Assistant and the DeepSeek simulator, each in its own process.

Home Assistant is driven only through its public HTTP and WebSocket APIs, as the
frontend drives it. Used by the end-to-end tests and by ``scripts/develop``.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import contextlib
from datetime import UTC, datetime
from http import HTTPStatus
import itertools
import json
import os
from pathlib import Path
import socket
import subprocess
import sys
from typing import Any

import aiohttp
from homeassistant.components.http import config as http_config

from deepseek_simulator.demo import DEMO_TIME_ZONE

ROOT = Path(__file__).resolve().parents[1]
# Chromium's flags, headless as root on a machine without outside network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CLIENT_ID = "http://127.0.0.1/"  # Home Assistant accepts any http URL as client id
DOMAIN = "deepseek_balance"


def tracebacks(log: str) -> list[str]:
    """Each traceback's text: its frames, up to and with the exception line."""
    found: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            current = [line]
        elif current is not None:
            current.append(line)
            if line and not line[0].isspace():  # the exception line ends it
                found.append("\n".join(current))
                current = None
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(
    config_dir: Path, *, http_port: int, link_integration: bool = True
) -> None:
    """A minimal configuration with the integration from the working tree.

    Home Assistant listens on 127.0.0.1 at ``http_port`` only. Without
    ``link_integration``, ``custom_components`` is an empty folder instead, for the
    Marketplace to install releases into.
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    components = config_dir / "custom_components"
    if not link_integration:
        components.mkdir(exist_ok=True)
    elif not components.exists():
        components.symlink_to(ROOT / "custom_components", target_is_directory=True)
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n"
        "  name: DeepSeek demo\n"
        f"  time_zone: {DEMO_TIME_ZONE}\n"
        "  currency: CNY\n"
        "  country: CN\n"
        "  unit_system: metric\n"
        "frontend:\n"
        "config:\n"
        "history:\n"
        "logbook:\n"
        "logger:\n"
        "  default: warning\n"
        "  logs:\n"
        "    custom_components.deepseek_balance: info\n"
    )
    write_http_settings(config_dir, http_port)


def write_http_settings(config_dir: Path, port: int) -> None:
    """Home Assistant's stored HTTP settings: ``port``, on 127.0.0.1 only.

    Home Assistant 2026.x keeps them in ``.storage/http`` and shows HTTP settings
    left in YAML as a repair, so they go where it reads them, in its own format.
    """
    settings = http_config.HTTP_STORAGE_SCHEMA(
        {"server_port": port, "server_host": ["127.0.0.1"]}
    )
    storage = config_dir / ".storage"
    storage.mkdir(exist_ok=True)
    (storage / http_config.STORAGE_KEY).write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    http_config.KEY_STABLE: {
                        **settings,
                        http_config.HTTP_CONFIG_CREATED_AT: datetime.now(
                            UTC
                        ).isoformat(),
                        http_config.HTTP_CONFIG_ERROR: None,
                        http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
                    },
                    http_config.KEY_PENDING: None,
                    http_config.KEY_YAML_MIGRATION_DONE: True,
                },
            }
        )
    )


def start_simulator(
    port: int,
    api_key: str,
    *,
    latency: float = 0,
    demo_state: Path | None = None,
    spend_per_request: str = "0",
) -> subprocess.Popen[bytes]:
    """``python -m deepseek_simulator`` on 127.0.0.1.

    With ``demo_state`` it runs the demo account, kept in that file; with
    ``spend_per_request``, a busy account.
    """
    options = ["--demo", "--state-file", str(demo_state)] if demo_state else []
    options += ["--spend-per-request", spend_per_request]
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "deepseek_simulator",
            "--port",
            str(port),
            "--api-key",
            api_key,
            "--latency",
            str(latency),
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def start_hass(
    config_dir: Path, *, environment: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """``hass -c config_dir`` from this virtual environment; output to hass.out.

    ``--skip-pip``: the environment is as its lock says and stays so; what Home
    Assistant needs is installed with it, never at run time. ``environment`` adds
    variables to this process's own.
    """
    hass = Path(sys.executable).with_name("hass")
    with (config_dir / "hass.out").open("ab") as out:
        return subprocess.Popen(  # noqa: S603
            [str(hass), "-c", str(config_dir), "--skip-pip"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(environment or {}), "PYTHONUNBUFFERED": "1"},
        )


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Stop a process cleanly (SIGTERM, as Home Assistant expects), then for good."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_for[T](
    probe: Callable[[], Awaitable[T]], *, within: float, every: float = 0.25
) -> T:
    """Poll ``probe`` until it returns something truthy, for ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                if result := await probe():
                    return result
            await asyncio.sleep(every)


class HomeAssistantApi:
    """Home Assistant's HTTP and WebSocket APIs, as the frontend uses them."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to the instance at ``base_url``."""
        self.session = session
        self.base_url = base_url
        self.tokens: dict[str, Any] = {}
        self._ids = itertools.count(1)
        self._ws: aiohttp.ClientWebSocketResponse | None = None

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def wait_until_up(self, within: float = 180) -> None:
        """Until the frontend is served, onboarded or not."""

        async def answering() -> bool:
            async with self.session.get(f"{self.base_url}/manifest.json") as response:
                return response.status == HTTPStatus.OK

        await wait_for(answering, within=within, every=0.5)

    async def wait_until_running(self, within: float = 180) -> None:
        """Until start-up is over: only then does a stop write what changed.

        Home Assistant handles SIGTERM once it runs; before, the process just ends.
        """

        async def running() -> bool:
            return (await self.get("/api/config"))["state"] == "RUNNING"

        await wait_for(running, within=within, every=0.5)

    async def is_onboarded(self) -> bool:
        """Whether onboarding is finished (its endpoint is gone once it is)."""
        async with self.session.get(f"{self.base_url}/api/onboarding") as response:
            if response.status == HTTPStatus.NOT_FOUND:
                return True
            steps = await response.json()
        return all(step["done"] for step in steps if step["step"] == "user")

    async def onboard(self, name: str, username: str, password: str) -> None:
        """Create the owner and finish every onboarding step, as the wizard does."""
        user = await self._request(
            "POST",
            "/api/onboarding/users",
            {
                "client_id": CLIENT_ID,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        await self._token(
            {"grant_type": "authorization_code", "code": user["auth_code"]}
        )
        await self.post("/api/onboarding/core_config", {})
        await self.post("/api/onboarding/analytics", {})
        await self.post(
            "/api/onboarding/integration",
            {"client_id": CLIENT_ID, "redirect_uri": f"{CLIENT_ID}?auth_callback=1"},
        )

    async def refresh(self, refresh_token: str) -> None:
        """A new access token from a stored refresh token."""
        await self._token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        self.tokens["refresh_token"] = refresh_token

    async def _token(self, form: dict[str, str]) -> None:
        async with self.session.post(
            f"{self.base_url}/auth/token", data={**form, "client_id": CLIENT_ID}
        ) as response:
            response.raise_for_status()
            self.tokens = {**self.tokens, **await response.json()}

    async def _request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        auth: bool = True,
    ) -> Any:
        """One REST call: JSON in and out, an HTTP error raises."""
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            headers=self._auth if auth else {},
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def get(self, path: str) -> Any:
        """GET a REST endpoint."""
        return await self._request("GET", path)

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        """POST to a REST endpoint."""
        return await self._request("POST", path, body)

    async def delete(self, path: str) -> Any:
        """DELETE a REST resource."""
        return await self._request("DELETE", path)

    async def ws(self, command: dict[str, Any]) -> Any:
        """Send one WebSocket command and return its result.

        Home Assistant closes a connection that stayed silent past its heartbeat;
        a command sent on it is sent again on a new one.
        """
        for fresh in (False, True):
            websocket = await self._websocket(fresh=fresh)
            message_id = next(self._ids)
            try:
                await websocket.send_json({**command, "id": message_id})
                while (reply := await websocket.receive_json())["id"] != message_id:
                    pass
            except (aiohttp.ClientError, TypeError) as err:
                if fresh:
                    raise RuntimeError(f"{command['type']}: no answer") from err
                continue
            if not reply["success"]:
                raise RuntimeError(f"{command['type']}: {reply['error']}")
            return reply["result"]
        raise AssertionError  # unreachable: the second attempt returns or raises

    async def _websocket(self, *, fresh: bool) -> aiohttp.ClientWebSocketResponse:
        """The open, authenticated connection; a new one if asked or closed."""
        if fresh and self._ws is not None:
            await self._ws.close()
        if fresh or self._ws is None or self._ws.closed:
            self._ws = await self.session.ws_connect(f"{self.base_url}/api/websocket")
            await self._ws.receive_json()
            await self._ws.send_json(
                {"type": "auth", "access_token": self.tokens["access_token"]}
            )
            if (await self._ws.receive_json())["type"] != "auth_ok":
                raise RuntimeError("WebSocket authentication failed")
        return self._ws

    async def close(self) -> None:
        """Close the WebSocket, if one is open."""
        if self._ws is not None:
            await self._ws.close()

    async def states(self) -> dict[str, dict[str, Any]]:
        """Every entity's state, by entity ID."""
        return {state["entity_id"]: state for state in await self.get("/api/states")}

    async def state(self, entity_id: str) -> str | None:
        """One entity's state, or ``None`` if it does not exist."""
        return (await self.states()).get(entity_id, {}).get("state")

    async def start_flow(self, handler: str) -> dict[str, Any]:
        """Open a config flow, as the "Add integration" dialog does."""
        return await self.post("/api/config/config_entries/flow", {"handler": handler})

    async def configure(self, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
        """Submit a step of a config flow."""
        return await self.post(f"/api/config/config_entries/flow/{flow_id}", data)

    async def add_deepseek(self, api_key: str, base_url: str) -> dict[str, Any]:
        """Add the integration through its config flow; return the flow's result."""
        flow = await self.start_flow(DOMAIN)
        return await self.configure(
            flow["flow_id"], {"api_key": api_key, "advanced": {"base_url": base_url}}
        )

    async def set_options(self, entry_id: str, options: dict[str, Any]) -> None:
        """Submit the options flow of an entry, as its Configure dialog does."""
        form = await self.post(
            "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        done = await self.post(
            f"/api/config/config_entries/options/flow/{form['flow_id']}", options
        )
        if done["type"] != "create_entry":
            raise RuntimeError(f"Options refused: {done.get('errors')}")

    async def set_entry_disabled(self, entry_id: str, *, disabled: bool) -> None:
        """Disable (unload) or enable (set up) an entry; returns when done."""
        await self.ws(
            {
                "type": "config_entries/disable",
                "entry_id": entry_id,
                "disabled_by": "user" if disabled else None,
            }
        )

    async def import_statistics(
        self, entity_id: str, unit: str, rows: list[dict[str, Any]]
    ) -> None:
        """Hourly long-term statistics of a sensor with a sum, through the recorder."""
        await self.ws(
            {
                "type": "recorder/import_statistics",
                "metadata": {
                    "has_sum": True,
                    "mean_type": 0,  # none: a total has no mean
                    "name": None,
                    "source": "recorder",
                    "statistic_id": entity_id,
                    "unit_class": None,
                    "unit_of_measurement": unit,
                },
                "stats": rows,
            }
        )

    async def statistics(
        self,
        statistic_ids: list[str],
        *,
        since: datetime,
        period: str,
        types: list[str],
    ) -> dict[str, list[dict[str, Any]]]:
        """Long-term statistics rows by statistic ID, as the frontend's graphs ask."""
        rows: dict[str, list[dict[str, Any]]] = await self.ws(
            {
                "type": "recorder/statistics_during_period",
                "start_time": since.isoformat(),
                "statistic_ids": statistic_ids,
                "period": period,
                "types": types,
            }
        )
        return rows

    async def entries(self) -> list[dict[str, Any]]:
        """The integration's config entries."""
        return [
            entry
            for entry in await self.get("/api/config/config_entries/entry")
            if entry["domain"] == DOMAIN
        ]

    async def update_entity(self, entity_id: str) -> None:
        """Ask for a poll now (Home Assistant debounces these for 10 s)."""
        await self.post(
            "/api/services/homeassistant/update_entity", {"entity_id": entity_id}
        )

    async def install_dashboard(
        self, url_path: str, title: str, config: dict[str, Any]
    ) -> None:
        """Create (or overwrite) a storage-mode dashboard in the sidebar."""
        dashboards = await self.ws({"type": "lovelace/dashboards/list"})
        if not any(board["url_path"] == url_path for board in dashboards):
            await self.ws(
                {
                    "type": "lovelace/dashboards/create",
                    "url_path": url_path,
                    "title": title,
                    "icon": "mdi:wallet",
                    "mode": "storage",
                    "show_in_sidebar": True,
                    "require_admin": False,
                }
            )
        await self.ws(
            {"type": "lovelace/config/save", "url_path": url_path, "config": config}
        )


class SimulatorControl:
    """The simulator's control endpoint: scenario, key and account changes."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Control the simulator at ``base_url``."""
        self.session = session
        self.base_url = base_url

    async def history(self) -> list[list[str]]:
        """The demo account's week: ``[time, granted, topped_up]`` readings."""
        async with self.session.get(f"{self.base_url}/_simulator/history") as response:
            response.raise_for_status()
            readings: list[list[str]] = await response.json()
            return readings

    async def set(self, **changes: Any) -> dict[str, Any]:
        """Apply changes (see ``SimulatorState.apply``); return the counters."""
        async with self.session.post(
            f"{self.base_url}/_simulator/state", data=json.dumps(changes)
        ) as response:
            response.raise_for_status()
            result: dict[str, Any] = await response.json()
            return result
