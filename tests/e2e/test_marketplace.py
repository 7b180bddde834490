"""Home Assistant's Marketplace installs, updates and removes this repository.

One ``hass`` 2026.11, its ``custom_components`` empty, reaches GitHub, the China
mirrors and the HACS catalog only through a double on 127.0.0.1
(``github_double.py``), which serves the releases ``scripts/release`` builds: 0.2.0
from the commit that released it, the next one from the checkout. The tests run in
file order: install 0.2.0 from the catalog and collect history; update through the
update entity and the restart repair, keeping the entry and its history; uninstall,
refused while the entry exists; install over the China mirrors with the first one
down; install as a custom repository once GitHub is connected; then read the log.
The Marketplace's pages are seen in Chromium on the way.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
import io
import json
from pathlib import Path
import re
import subprocess
import tarfile
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, Route
import pytest
import pytest_asyncio
from yarl import URL

from scripts.harness import (
    CHROMIUM_ARGS,
    DOMAIN,
    ROOT,
    HomeAssistantApi,
    free_port,
    start_hass,
    start_simulator,
    stop,
    tracebacks,
    wait_for,
    write_config,
)
from tests.e2e.github_double import (
    FORWARDED_HOST,
    HOSTS,
    GitHubDouble,
    Release,
    Request,
)
from tests.e2e.pages import headless_chromium, logged_in_page, screenshot_folder

pytestmark = pytest.mark.asyncio(loop_scope="module")

FULL_NAME = "deepseek-balance/ha-deepseek-balance"
REPOSITORY = "734521987"  # GitHub's id of the repository: the catalog's key
API_KEY = "sk-e2e-market-7f3e"
USER, PASSWORD = "e2e", "e2e-password-0000"
TOTAL = "sensor.deepseek_7f3e_total_balance_cny"
COMPONENT = f"custom_components/{DOMAIN}"
ASSET = "deepseek_balance.zip"  # hacs.json's filename
# Each download profile's first catalog host.
CATALOG = {"default": "data-v2.hacs.xyz", "hasscn": "data-v2.hasscn.top"}
CHINA_HOSTS = {"data-v2.hasscn.top", "ghrp2.hacs.vip", "ghrp.hacs.vip"}
# A plain hass exits with this code to be restarted by its supervisor.
RESTART_EXIT_CODE = 100
# Onboarding adds Radio Browser, whose setup asks its API: refused.
ONBOARDING_HOSTS = {"all.api.radio-browser.info"}
# Chromium resolves no name: it reaches Home Assistant, and the double only as
# ``from_the_double`` routes it.
OFFLINE_CHROMIUM = [
    *CHROMIUM_ARGS,
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
# A warning or worse from the Marketplace or the integration; but detecting a
# repository's categories revalidates hacs.json's defaults, and warns of them.
PROBLEM = re.compile(
    r" (WARNING|ERROR|CRITICAL) \(\S+\) "
    r"\[(homeassistant\.components\.marketplace|custom_components\.deepseek_balance)"
)
SPURIOUS = re.compile(r"Ignoring \w+ in hacs\.json, None is not valid")


@dataclass(frozen=True)
class Releases:
    """What ``scripts/release`` built: the previous release and the checkout's."""

    previous: Release
    current: Release


@dataclass
class Marketplace:
    """The instance, the double it reaches GitHub through, and what the steps saw."""

    config_dir: Path
    url: str
    api: HomeAssistantApi
    double: GitHubDouble
    simulator_url: str
    environment: dict[str, str]
    hass: subprocess.Popen[bytes]
    entry_id: str = ""
    entity_ids: set[str] = field(default_factory=set)
    totals_shown: set[str] = field(default_factory=set)

    @property
    def component(self) -> Path:
        """Where the Marketplace installs the integration."""
        return self.config_dir / COMPONENT

    def installed_version(self) -> str:
        """The version of the files on disk, which the loader reads."""
        manifest = json.loads((self.component / "manifest.json").read_text())
        return str(manifest["version"])

    async def started(self, since: int, catalog_host: str) -> None:
        """Until the Marketplace set up after the ``since``-th request runs.

        It runs once it read the catalog, here from ``catalog_host``.
        """

        async def read_the_catalog() -> bool:
            return Request(catalog_host, "/integration/data.json", 200) in (
                self.double.log_since(since)
            )

        async def running() -> bool:
            info = await self.api.ws({"type": "marketplace/info"})
            return info["stage"] == "running"

        await wait_for(read_the_catalog, within=60)
        await wait_for(running, within=30)

    async def marketplace_entry_id(self) -> str:
        """The Marketplace's entry, which Home Assistant creates itself."""
        entries = await self.api.get("/api/config/config_entries/entry")
        (entry,) = [entry for entry in entries if entry["domain"] == "marketplace"]
        return str(entry["entry_id"])

    async def set_profile(self, profile: str) -> None:
        """Choose where the Marketplace downloads from; the entry reloads."""
        since = len(self.double.requests)
        await self.api.set_options(
            await self.marketplace_entry_id(), {"profile": profile}
        )
        await self.started(since, CATALOG[profile])

    async def install(self) -> None:
        """Install the newest release, as the repository page's button does."""
        await self.api.ws(
            {"type": "marketplace/repository/install", "repository": REPOSITORY}
        )

    async def uninstall(self) -> None:
        """Remove the files, as the repository page's menu does."""
        await self.api.ws(
            {"type": "marketplace/repository/uninstall", "repository": REPOSITORY}
        )

    async def listed(self) -> dict[str, dict[str, Any]]:
        """The integrations the Marketplace lists, by full name."""
        listed = await self.api.ws(
            {"type": "marketplace/repositories/list", "categories": ["integration"]}
        )
        return {repository["full_name"]: repository for repository in listed}

    async def restart_issues(self) -> list[str]:
        """The repairs that ask for a restart: the code on disk is not running."""
        issues = (await self.api.ws({"type": "repairs/list_issues"}))["issues"]
        return [
            issue["issue_id"]
            for issue in issues
            if issue["domain"] == "marketplace"
            and issue["issue_id"].startswith("restart_required")
        ]

    async def our_entity_ids(self) -> set[str]:
        """The integration's entity IDs, disabled ones included."""
        registry = await self.api.ws({"type": "config/entity_registry/list"})
        return {
            entity["entity_id"] for entity in registry if entity["platform"] == DOMAIN
        }


def git(*args: str) -> str:
    return subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def build(out: Path, ref: str | None = None) -> Release:
    """``scripts/release`` of ``ref``, or of the checkout, as a release is built."""
    command = [str(ROOT / "scripts" / "release"), "--out", str(out)]
    if ref is not None:
        command += ["--ref", ref]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    return Release.of_build(
        asset=(out / ASSET).read_bytes(),
        notes=(out / "release-notes.md").read_text(encoding="utf-8"),
        files=repository(ref),
    )


def repository(ref: str | None) -> dict[str, bytes]:
    """The tracked files at ``ref``, or in the checkout as they are: path → content."""
    if ref is None:
        paths = (ROOT / path for path in git("ls-files", "-z").split("\0") if path)
        return {
            str(path.relative_to(ROOT)): path.read_bytes()
            for path in paths
            if path.is_file()
        }
    archive = subprocess.run(  # noqa: S603
        ["git", "archive", ref],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {
            member.name: tar.extractfile(member).read()  # type: ignore[union-attr]
            for member in tar.getmembers()
            if member.isfile()
        }


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    """0.2.0 rebuilt from the commit that released it, and the checkout's."""
    out = tmp_path_factory.mktemp("releases")
    released = git("log", "-1", "--format=%H", "-S## [0.2.0]", "--", "CHANGELOG.md")
    return Releases(
        previous=build(out / "previous", released.strip()),
        current=build(out / "current"),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mp(
    tmp_path_factory: pytest.TempPathFactory, releases: Releases
) -> AsyncIterator[Marketplace]:
    """The double with 0.2.0 published and listed, the simulator, and ``hass``.

    The simulator's account spends on every poll, so that every poll is history.
    """
    config_dir = tmp_path_factory.mktemp("hass-marketplace")
    hass_port, double_port, simulator_port = free_port(), free_port(), free_port()
    write_config(config_dir, http_port=hass_port, link_integration=False)
    double = GitHubDouble(
        full_name=FULL_NAME,
        repository_id=int(REPOSITORY),
        description="Balance, spend and limits of a DeepSeek API account",
        domain=DOMAIN,
        name="DeepSeek Balance",
    )
    double.publish(releases.previous)
    double.list_in_catalog(releases.previous.tag)
    await double.start(double_port)
    environment = {
        "PYTHONPATH": str(ROOT / "tests" / "e2e" / "redirect"),
        "E2E_REDIRECT_PORT": str(double_port),
        "E2E_REDIRECT_HOSTS": ",".join(sorted(HOSTS)),
        "E2E_REFUSED_HOSTS": str(config_dir / "refused-hosts"),
    }
    simulator = start_simulator(simulator_port, API_KEY, spend_per_request="0.25")
    instance: Marketplace | None = None
    try:
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, f"http://127.0.0.1:{hass_port}")
            instance = Marketplace(
                config_dir,
                api.base_url,
                api,
                double,
                f"http://127.0.0.1:{simulator_port}",
                environment,
                start_hass(config_dir, environment=environment),
            )
            await api.wait_until_up(within=120)
            await api.onboard("Marketplace", USER, PASSWORD)
            await instance.started(0, CATALOG["default"])
            yield instance
            await api.close()
    finally:
        if instance is not None:
            stop(instance.hass)
        stop(simulator)
        await double.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """The distribution's Chromium, headless, offline."""
    async with headless_chromium(OFFLINE_CHROMIUM) as launched:
        yield launched


async def user_page(mp: Marketplace, browser: Browser, path: str) -> Page:
    return await logged_in_page(browser, f"{mp.url}{path}", (USER, PASSWORD))


async def from_the_double(page: Page, mp: Marketplace) -> None:
    """What the page asks of GitHub's hosts itself, the double answers; reloaded.

    The README on the Marketplace's page shows its images from GitHub.
    """

    async def forward(route: Route) -> None:
        url = URL(route.request.url)
        async with mp.api.session.get(
            f"{mp.double.url}{url.raw_path_qs}", headers={FORWARDED_HOST: url.host}
        ) as response:
            await route.fulfill(
                status=response.status,
                content_type=response.content_type,
                body=await response.read(),
            )

    await page.route(lambda url: URL(url).host in HOSTS, forward)
    await page.reload()


async def screenshot(
    page: Page, tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    await page.wait_for_timeout(500)  # images and fonts settle
    await page.screenshot(path=str(screenshot_folder(tmp_path_factory) / name))


async def poll(mp: Marketplace) -> str:
    """Ask for a poll; the total it shows (each poll spends, so the total moves)."""
    before = await mp.api.state(TOTAL)
    await mp.api.update_entity(TOTAL)

    async def moved() -> str | None:
        total = await mp.api.state(TOTAL)
        return total if total != before else None

    return await wait_for(moved, within=30)


async def restarted(mp: Marketplace) -> None:
    """Until ``hass``, stopped to be restarted, runs again as it was started."""
    assert await asyncio.to_thread(mp.hass.wait, 60) == RESTART_EXIT_CODE
    since = len(mp.double.requests)
    mp.hass = start_hass(mp.config_dir, environment=mp.environment)
    await mp.api.wait_until_running()
    await mp.started(since, CATALOG["default"])


async def test_the_catalog_release_installs_without_a_restart_and_runs(
    mp: Marketplace,
    browser: Browser,
    releases: Releases,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """0.2.0 from the catalog, as its page in the Marketplace offers it."""
    tag = releases.previous.tag
    await mp.api.ws({"type": "marketplace/warning/accept"})
    ours = (await mp.listed())[FULL_NAME]
    page = await user_page(mp, browser, f"/marketplace/repository/{REPOSITORY}")
    await from_the_double(page, mp)
    await page.get_by_text(f"Version {tag} is available to install").wait_for()
    await page.get_by_role("heading", name="DeepSeek Balance for").wait_for()
    await screenshot(page, tmp_path_factory, "marketplace-install.png")
    await page.close()
    since = len(mp.double.requests)

    await mp.install()

    assert (ours["id"], ours["installed"], ours["custom"]) == (REPOSITORY, False, False)
    assert f"v{mp.installed_version()}" == tag == "v0.2.0"
    assert await mp.restart_issues() == []
    # Three files, none from GitHub's API: a catalog repository needs no account.
    assert [(r.host, r.path, r.status) for r in mp.double.log_since(since)] == [
        ("raw.githubusercontent.com", f"/{FULL_NAME}/{tag}/hacs.json", 200),
        (
            "raw.githubusercontent.com",
            f"/{FULL_NAME}/{tag}/{COMPONENT}/manifest.json",
            200,
        ),
        ("github.com", f"/{FULL_NAME}/releases/download/{tag}/{ASSET}", 200),
    ]


async def test_the_installed_release_sets_up_an_account_and_collects_history(
    mp: Marketplace,
) -> None:
    """No restart in between: the integration is new to this run."""
    done = await mp.api.add_deepseek(API_KEY, mp.simulator_url)
    (entry,) = await mp.api.entries()
    mp.entry_id = entry["entry_id"]
    mp.totals_shown = {await mp.api.state(TOTAL) or ""}
    for _ in range(2):  # the second waits out Home Assistant's 10 s debounce
        mp.totals_shown.add(await poll(mp))
    mp.entity_ids = await mp.our_entity_ids()
    diagnostics = await mp.api.get(f"/api/diagnostics/config_entry/{mp.entry_id}")

    assert done["type"] == "create_entry"
    assert TOTAL in mp.entity_ids
    assert len(mp.totals_shown) == 3
    assert diagnostics["data"]["history_samples"]["CNY"] >= 3  # a timed poll too


async def test_the_next_release_is_offered_with_its_release_notes(
    mp: Marketplace,
    browser: Browser,
    releases: Releases,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Published and listed in the catalog; the Marketplace fetches it as it reloads."""
    current = releases.current
    mp.double.publish(current)
    mp.double.list_in_catalog(current.tag)
    since = len(mp.double.requests)
    marketplace = await mp.marketplace_entry_id()
    await mp.api.post(f"/api/config/config_entries/entry/{marketplace}/reload", {})
    await mp.started(since, CATALOG["default"])
    update = f"update.{DOMAIN}"

    async def offered() -> dict[str, Any] | None:
        state = (await mp.api.states())[update]
        latest = state["attributes"]["latest_version"]
        return state if latest == current.tag else None

    offer = await wait_for(offered, within=30)
    notes = await mp.api.ws({"type": "update/release_notes", "entity_id": update})
    page = await user_page(mp, browser, "/config/updates")
    await page.get_by_text("DeepSeek Balance").first.click()
    await page.get_by_role("heading", name=current.tag).wait_for()
    await screenshot(page, tmp_path_factory, "marketplace-update.png")
    await page.close()
    registry = await mp.api.ws(
        {"type": "config/entity_registry/get", "entity_id": update}
    )

    assert (registry["platform"], registry["unique_id"]) == ("marketplace", REPOSITORY)
    assert offer["state"] == "on"
    assert offer["attributes"]["installed_version"] == "v0.2.0"
    lines = [line for line in current.notes.splitlines() if line.strip()]
    assert lines
    assert all(line in notes for line in lines)


async def test_the_update_and_its_restart_keep_the_entry_and_its_history(
    mp: Marketplace, releases: Releases
) -> None:
    """The update entity installs; the repair's fix restarts Home Assistant."""
    await mp.api.post("/api/services/update/install", {"entity_id": f"update.{DOMAIN}"})
    (issue,) = await mp.restart_issues()
    fix = await mp.api.post(
        "/api/repairs/issues/fix", {"handler": "marketplace", "issue_id": issue}
    )
    fixed = await mp.api.post(f"/api/repairs/issues/fix/{fix['flow_id']}", {})
    await restarted(mp)
    (entry,) = await mp.api.entries()
    manifest = await mp.api.ws({"type": "manifest/get", "integration": DOMAIN})
    store = json.loads(
        (mp.config_dir / ".storage" / f"{DOMAIN}.{mp.entry_id}").read_text()
    )
    samples = store["data"]["currencies"]["CNY"]["samples"]
    diagnostics = await mp.api.get(f"/api/diagnostics/config_entry/{mp.entry_id}")

    assert (fix["step_id"], fixed["type"]) == ("confirm_restart", "create_entry")
    assert issue == f"restart_required_{REPOSITORY}_tags/{releases.current.tag}"
    assert f"v{manifest['version']}" == releases.current.tag
    assert f"v{mp.installed_version()}" == releases.current.tag
    assert (entry["entry_id"], entry["state"]) == (mp.entry_id, "loaded")
    # 0.3.0 adds entities; 0.2.0's keep their IDs.
    assert mp.entity_ids <= await mp.our_entity_ids()
    assert mp.totals_shown <= {sample[2] for sample in samples}  # [at, spent, total…]
    assert diagnostics["data"]["history_samples"]["CNY"] >= len(mp.totals_shown)
    # Polled by the new code: spent since.
    assert float(await mp.api.state(TOTAL) or "nan") < min(map(float, mp.totals_shown))


async def test_uninstalling_is_refused_until_the_entry_is_deleted(
    mp: Marketplace,
) -> None:
    with pytest.raises(RuntimeError, match="repository_in_use"):
        await mp.uninstall()
    kept = mp.component.is_dir()
    await mp.api.delete(f"/api/config/config_entries/entry/{mp.entry_id}")
    await mp.uninstall()

    assert kept
    assert not mp.component.exists()


async def test_the_china_mirrors_install_past_the_first_one_down(
    mp: Marketplace, releases: Releases
) -> None:
    """ghrp2.hacs.vip answers 503; ghrp.hacs.vip serves; GitHub hears nothing."""
    mp.double.down.add("ghrp2.hacs.vip")
    since = len(mp.double.requests)
    await mp.set_profile("hasscn")
    installing = len(mp.double.requests)
    await mp.install()
    version = mp.installed_version()
    await mp.uninstall()
    mp.double.down.clear()
    install = mp.double.log_since(installing)
    tag = releases.current.tag
    raw = f"/raw/{FULL_NAME}/{tag}"
    asset = f"/{FULL_NAME}/releases/download/{tag}/{ASSET}"

    assert f"v{version}" == tag
    assert not mp.component.exists()
    assert {request.host for request in mp.double.log_since(since)} == CHINA_HOSTS
    assert [(r.host, r.path, r.status) for r in install] == [
        ("ghrp2.hacs.vip", f"{raw}/hacs.json", 503),
        ("ghrp.hacs.vip", f"{raw}/hacs.json", 200),
        ("ghrp.hacs.vip", f"{raw}/{COMPONENT}/manifest.json", 200),
        ("ghrp2.hacs.vip", asset, 503),
        ("ghrp.hacs.vip", asset, 200),
    ]


async def test_a_custom_repository_installs_once_github_is_connected(
    mp: Marketplace,
    browser: Browser,
    releases: Releases,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Out of the catalog, it is added by its URL over the device flow's account."""
    mp.double.unlist()
    await mp.set_profile("default")
    unlisted = await mp.listed()
    connect = await mp.api.ws({"type": "marketplace/github/connect"})
    flow = await mp.api.configure(connect["flow_id"], {})
    since = len(mp.double.requests)
    mp.double.authorize(flow["description_placeholders"]["code"])

    # The flow ends only when asked again once GitHub handed out the token.
    async def ended() -> dict[str, Any] | None:
        now = await mp.api.get(f"/api/config/config_entries/flow/{connect['flow_id']}")
        return now if now["type"] == "abort" else None

    done = await wait_for(ended, within=30, every=0.5)
    await mp.started(since, CATALOG["default"])  # reloaded with the account
    info = await mp.api.ws({"type": "marketplace/info"})
    page = await user_page(mp, browser, "/marketplace/repositories")
    await page.get_by_role("button", name="Add from link").click()
    await page.locator("input[name=repository]").fill(f"https://github.com/{FULL_NAME}")
    await screenshot(page, tmp_path_factory, "marketplace-custom-repository.png")
    await page.close()
    adding = len(mp.double.requests)
    await mp.api.ws(
        {
            "type": "marketplace/repositories/add",
            "repository": f"https://github.com/{FULL_NAME}",
            "category": "integration",
        }
    )
    added = (await mp.listed())[FULL_NAME]
    await mp.install()
    api_calls = [r for r in mp.double.log_since(adding) if r.host == "api.github.com"]

    assert FULL_NAME not in unlisted
    assert (flow["type"], flow["step_id"]) == ("progress", "device")
    assert done["reason"] == "reconfigure_successful"
    assert info["github_connected"]
    assert (added["id"], added["custom"]) == (REPOSITORY, True)
    assert f"v{mp.installed_version()}" == releases.current.tag
    assert api_calls
    assert all(r.authorized and r.status == 200 for r in api_calls)


async def test_the_log_has_no_problem_and_nothing_left_the_machine(
    mp: Marketplace,
) -> None:
    log = (mp.config_dir / "hass.out").read_text()
    refused = mp.config_dir / "refused-hosts"
    refused_hosts = set(refused.read_text().split()) if refused.exists() else set()

    assert [
        traceback
        for traceback in tracebacks(log)
        if f"custom_components/{DOMAIN}/" in traceback
        or "homeassistant/components/marketplace/" in traceback
    ] == []
    assert [
        line
        for line in log.splitlines()
        if PROBLEM.search(line) and not SPURIOUS.search(line)
    ] == []
    assert refused_hosts <= ONBOARDING_HOSTS
