"""The demo a newcomer starts with ``scripts/develop``, seen in Chromium.

``scripts/develop --demo`` runs as a user runs it (on free ports, in a temporary
configuration folder). The dashboard must be full at once, and fit a wall tablet:
no card may show Unknown or Unavailable, no label may be cut off, and nothing may
fall below the screen.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
import json
import os
from pathlib import Path
import re
import signal
import time
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page, async_playwright
import pytest
import pytest_asyncio
import yaml

from custom_components.deepseek_balance.const import CONF_LIMIT_CURRENCY
from scripts.develop import DEMO_KEY
from scripts.harness import (
    CHROMIUM_ARGS,
    DOMAIN,
    ROOT,
    HomeAssistantApi,
    SimulatorControl,
    free_port,
    tracebacks,
    wait_for,
)
from tests.e2e.pages import (
    INSPECT_CARDS,
    find_chromium,
    flow_dialog,
    logged_in_page,
    screenshot_folder,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

WALL_SIZES = [(1024, 600), (800, 1280), (1920, 1080)]
SIDEBAR, HEADER = 256, 56  # Home Assistant's own, beside and above the view
POLL_WITHIN = 30  # a poll asked for inside the 10 s debounce runs when it ends
DASHBOARD = "deepseek-wall/deepseek"  # its entity IDs are the demo key's: ••••1a2b
# What the frontend writes where a value or an entity is missing.
MISSING = (
    "unknown",
    "unavailable",
    "not found",
    "no statistics",
    "configuration warning",
    "configuration error",
)


@dataclass
class Demo:
    """A running ``scripts/develop --demo`` and how to log in to it."""

    config_dir: Path
    url: str
    username: str
    password: str
    ready_after: float
    simulator_url: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Demo]:
    """``scripts/develop --demo`` until it prints the dashboard; Ctrl-C at the end."""
    config_dir = tmp_path_factory.mktemp("develop")
    port, simulator_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "DEEPSEEK_API_KEY"}
    started = time.monotonic()
    develop = await asyncio.create_subprocess_exec(
        ROOT / "scripts/develop",
        "--demo",
        "--config",
        str(config_dir),
        "--port",
        str(port),
        "--simulator-port",
        str(simulator_port),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    assert develop.stdout is not None
    try:
        async with asyncio.timeout(240):
            while b"Dashboard:" not in (line := await develop.stdout.readline()):
                assert line, "scripts/develop stopped before the dashboard was ready"
        ready_after = time.monotonic() - started
        login = json.loads((config_dir / ".develop.json").read_text())
        yield Demo(
            config_dir,
            f"http://127.0.0.1:{port}",
            login["username"],
            login["password"],
            ready_after,
            f"http://127.0.0.1:{simulator_port}",
        )
    finally:
        if develop.returncode is None:
            develop.send_signal(signal.SIGINT)
            async with asyncio.timeout(90):
                await develop.communicate()
    assert develop.returncode == 0


async def demo_api(session: aiohttp.ClientSession, demo: Demo) -> HomeAssistantApi:
    """The demo's HTTP and WebSocket APIs, logged in as its user."""
    api = HomeAssistantApi(session, demo.url)
    login = json.loads((demo.config_dir / ".develop.json").read_text())
    await api.refresh(login["refresh_token"])
    return api


# The demo account, healthy: what the cards' visibility conditions read.
HEALTHY = {
    "binary_sensor.deepseek_1a2b_account_available": "on",
    "sensor.deepseek_1a2b_api_status": "ok",
    "binary_sensor.deepseek_1a2b_low_balance": "off",
    "binary_sensor.deepseek_1a2b_monthly_budget": "off",
    "sensor.deepseek_1a2b_total_balance_cny": "97.45",
    "sensor.deepseek_1a2b_projected_spend_cny": "163.85",
}


def shown_when(
    card: dict[str, Any], size: tuple[int, int], states: dict[str, str]
) -> bool:
    """Whether a card's ``visibility`` conditions hold with these states."""

    def listed(value: str | list[str]) -> list[str]:
        return value if isinstance(value, list) else [value]

    for condition in card.get("visibility", []):
        if condition["condition"] == "screen":
            if not shows_on(card, size):
                return False
            continue
        state = states[condition["entity"]]
        if "state" in condition and state not in listed(condition["state"]):
            return False
        if "state_not" in condition and state in listed(condition["state_not"]):
            return False
    return True


def dashboard_cards(size: tuple[int, int] | None = None) -> list[dict[str, Any]]:
    """The example's cards; with a screen size, those of its sections shown there."""
    config = yaml.safe_load((ROOT / "examples/dashboard.yaml").read_text())
    return [
        card
        for view in config["views"]
        for section in view["sections"]
        if size is None or shows_on(section, size)
        for card in section["cards"]
    ]


def shows_on(card: dict[str, Any], size: tuple[int, int]) -> bool:
    """Whether a card's or section's screen conditions hold at this size.

    A media query here is alternatives joined by ", ", each of "(min-width: Npx)",
    "(max-height: Npx)" and the like joined by " and ".
    """
    bound = {"min": int.__ge__, "max": int.__le__}
    for condition in card.get("visibility", []):
        if condition["condition"] != "screen":
            continue
        alternatives = [
            re.findall(r"\((min|max)-(width|height): (\d+)px\)", alternative)
            for alternative in condition["media_query"].split(", ")
        ]
        if not any(
            all(
                bound[kind](size[0 if side == "width" else 1], int(px))
                for kind, side, px in terms
            )
            for terms in alternatives
        ):
            return False
    return True


async def test_demo_is_full_at_once(
    demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every entity on the dashboard has a value, every graph has statistics."""
    async with aiohttp.ClientSession() as session:
        api = await demo_api(session, demo)
        states = await api.states()
        shown = {card["entity"] for card in dashboard_cards() if "entity" in card}
        missing = {
            entity_id: states.get(entity_id, {}).get("state")
            for entity_id in shown
            if states.get(entity_id, {}).get("state")
            in (None, "unknown", "unavailable")
        }
        empty_graphs = []
        for card in dashboard_cards():
            if card["type"] != "statistics-graph":
                continue
            statistic_ids = [entity["entity"] for entity in card["entities"]]
            rows = await api.statistics(
                statistic_ids,
                since=datetime.now(UTC) - timedelta(days=card["days_to_show"]),
                period=card["period"],
                types=card["stat_types"],
            )
            days = {
                statistic_id: len(rows.get(statistic_id, []))
                for statistic_id in statistic_ids
            }
            # A week of statistics, imported as demo data: a row a day, a month.
            if min(days.values()) < (1 if card["period"] == "month" else 7):
                empty_graphs.append((card.get("title", statistic_ids), days))
        await api.close()

    assert missing == {}
    assert empty_graphs == []
    with capsys.disabled():
        print(  # noqa: T201
            f"\nscripts/develop --demo: dashboard ready after {demo.ready_after:.0f} s"
        )


async def open_dashboard(page: Page, demo: Demo) -> None:
    await page.goto(f"{demo.url}/{DASHBOARD}")
    await page.locator("input[name=username]").fill(demo.username)
    await page.locator("input[type=password]").fill(demo.password)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_text("Last activity").wait_for(timeout=30_000)
    await page.wait_for_timeout(3_000)  # charts draw, the gauge's needle settles


@pytest.fixture(scope="module")
def chromium() -> str:
    return find_chromium()


@pytest.mark.parametrize(("width", "height"), WALL_SIZES)
async def test_dashboard_fits_a_wall_panel(
    chromium: str,
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    width: int,
    height: int,
) -> None:
    folder = screenshot_folder(tmp_path_factory)
    screenshot = folder / f"dashboard-{width}x{height}.png"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        page = await browser.new_page(viewport={"width": width, "height": height})
        await open_dashboard(page, demo)
        cards = await page.evaluate(INSPECT_CARDS)
        await page.screenshot(path=str(screenshot))
        await browser.close()

    with capsys.disabled():
        print(f"\n{width}x{height}: {screenshot}")  # noqa: T201
    size = (width, height)
    expected = [c for c in dashboard_cards(size) if shown_when(c, size, HEALTHY)]
    assert len(cards) == len(expected)
    assert [
        card["text"]
        for card in cards
        if any(word in card["text"].lower() for word in MISSING)
    ] == []
    assert [(card["text"], card["cut"]) for card in cards if card["cut"]] == []
    assert [(card["text"], card["outside"]) for card in cards if card["outside"]] == []
    # On a big screen the cards use it: at least half of what the view shows.
    if (width, height) != (1024, 600):
        sidebar = SIDEBAR if width >= 1280 else 0  # folded away on a tablet
        view = (width - sidebar) * (height - HEADER)
        covered = sum(card["area"] for card in cards) / view
        with capsys.disabled():
            print(f"  cards cover {covered:.0%} of the view")  # noqa: T201
        assert covered >= 0.5, covered
    below = [card["text"] for card in cards if card["bottom"] > height]
    beside = [card["text"] for card in cards if card["right"] > width]
    assert below == []
    assert beside == []


ENTRY_PREFIX = "deepseek_1a2b"
ACTIVITY = f"event.{ENTRY_PREFIX}_balance_activity"
# Each language the integration ships, as Home Assistant and the browser name it;
# English again last, so the demo is left as it started.
LANGUAGES = {
    path.stem: {"zh-Hans": "zh-CN", "zh-Hant": "zh-TW", "pt-BR": "pt-BR"}.get(
        path.stem, path.stem
    )
    for path in sorted(
        (ROOT / "custom_components/deepseek_balance/translations").glob("*.json"),
        key=lambda path: path.stem == "en",
    )
}
# The Activity card is Home Assistant's logbook: a name shares its row with Home
# Assistant's own word for the state ("Nicht verfügbar"), which no name can make room
# for in every language. Its rows are held to English and Chinese.
LOGBOOK_CHECKED = {"en", "zh-Hans"}


def entity_names(language: str) -> list[str]:
    """The names of the demo account's sensors, as the language file gives them."""
    translations = json.loads(
        (
            ROOT / f"custom_components/deepseek_balance/translations/{language}.json"
        ).read_text()
    )
    return [
        entity["name"].replace("{currency}", "CNY")
        for platform in translations["entity"].values()
        for entity in platform.values()
    ]


async def demo_page(
    browser: Browser,
    demo: Demo,
    path: str,
    size: tuple[int, int],
    locale: str = "en-US",
) -> Page:
    """A page of the demo, logged in as its user."""
    return await logged_in_page(
        browser, f"{demo.url}{path}", (demo.username, demo.password), size, locale
    )


async def device_path(api: HomeAssistantApi) -> str:
    devices = await api.ws({"type": "config/device_registry/list"})
    (device,) = [d for d in devices if d["manufacturer"] == "DeepSeek"]
    return f"/config/devices/device/{device['id']}"


@pytest.mark.timeout(480)  # the device page in each of the 12 languages
async def test_after_a_failure_a_reload_and_a_recovery_the_panel_tells_the_truth(
    chromium: str,
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The last activity keeps its type and time; no name is cut."""
    folder = screenshot_folder(tmp_path_factory)
    async with aiohttp.ClientSession() as session:
        api = await demo_api(session, demo)
        simulator = SimulatorControl(session, demo.simulator_url)
        (entry,) = await api.entries()
        status = f"sensor.{ENTRY_PREFIX}_api_status"
        event = await top_up_then_fail_reload_and_recover(
            api, simulator, entry["entry_id"]
        )
        fired_at = datetime.fromisoformat(event["state"])
        # Kept as the poll that found it saw it: the same moment, to a second.
        restored = (await api.states())[ACTIVITY]
        shown_at = datetime.fromisoformat(restored["state"])
        assert abs((shown_at - fired_at).total_seconds()) < 1
        assert restored["attributes"]["event_type"] == "top_up"
        device = await device_path(api)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_ARGS
            )
            # The event must be old enough that its time cannot be a reload's.
            await asyncio.sleep(max(0.0, 75 - (datetime.now(UTC) - fired_at).seconds))
            panel = await demo_page(browser, demo, f"/{DASHBOARD}", (1024, 600))
            cards = await panel.evaluate(INSPECT_CARDS)
            await panel.screenshot(path=str(folder / "panel-after-recovery.png"))
            age = datetime.now(UTC) - fired_at
            pages = {}
            for language, locale in LANGUAGES.items():
                # Entity names are Home Assistant's language, given at set-up.
                await api.ws({"type": "config/core/update", "language": language})
                await api.post(
                    f"/api/config/config_entries/entry/{entry['entry_id']}/reload", {}
                )
                await wait_for(lambda: is_state(api, status, "ok"), within=60)
                page = await demo_page(browser, demo, device, (1280, 900), locale)
                pages[language] = await page.evaluate(INSPECT_CARDS)
                shot = folder / f"device-page-{language}.png"
                await page.screenshot(path=str(shot))
            await browser.close()
        await api.close()

    (activity,) = [card["text"] for card in cards if "Last activity" in card["text"]]
    assert "Top-up" in activity
    shown = re.search(r"(\d+) minutes? ago", activity)  # not a reload's seconds
    assert shown is not None, activity
    assert abs(int(shown[1]) * 60 - age.total_seconds()) <= 60, (activity, age)
    assert not [card["text"] for card in cards if "Unknown" in card["text"]]
    for language, page_cards in pages.items():
        names = entity_names(language)
        texts = " ".join(card["text"] for card in page_cards)
        assert sum(name in texts for name in names) >= 10, language  # translated
        cut = [
            text
            for card in page_cards
            if language in LOGBOOK_CHECKED or not card["logbook"]
            for text in card["cut"]
            if text in names
        ]
        assert cut == [], language
    with capsys.disabled():
        print(f"\nafter a failure, a reload and a recovery: {folder}")  # noqa: T201


# How the status tile reads each failure, in English: whole, at 1024x600.
FAILURES = {
    # Without Retry-After: the next poll asks again, as DeepSeek did not say.
    "rate_limited": ("Rate limited", {"scenario": "rate_limited_without_retry_after"}),
    "api_error": ("API error", {"scenario": "server_error"}),
    "auth_failed": ("Key refused", {"api_key": "sk-demo-rotated-1a2b"}),
}


@pytest.mark.timeout(300)
async def test_a_failing_api_blanks_nothing_it_need_not_and_cuts_no_label(
    chromium: str,
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A 429 or a 500 keeps every figure; a refused key blanks them, cut-free."""
    folder = screenshot_folder(tmp_path_factory)
    panels: dict[str, list[dict[str, Any]]] = {}
    async with aiohttp.ClientSession() as session:
        api = await demo_api(session, demo)
        simulator = SimulatorControl(session, demo.simulator_url)
        (entry,) = await api.entries()
        status = f"sensor.{ENTRY_PREFIX}_api_status"
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_ARGS
            )
            for failure, (_, change) in FAILURES.items():
                await simulator.set(**change)
                await api.update_entity(status)
                await wait_for(
                    partial(is_state, api, status, failure), within=POLL_WITHIN
                )
                panel = await demo_page(browser, demo, f"/{DASHBOARD}", (1024, 600))
                panels[failure] = await panel.evaluate(INSPECT_CARDS)
                await panel.screenshot(path=str(folder / f"panel-{failure}.png"))
                await panel.close()
                await simulator.set(scenario="normal", api_key=DEMO_KEY)
            await browser.close()
        # A refused key stops the polls: a reload with the right one resumes them.
        await api.post(
            f"/api/config/config_entries/entry/{entry['entry_id']}/reload", {}
        )
        await wait_for(lambda: is_state(api, status, "ok"), within=60)
        await api.close()

    for failure, cards in panels.items():
        texts = " ".join(card["text"] for card in cards)
        assert FAILURES[failure][0] in texts, failure
        assert [(card["text"], card["cut"]) for card in cards if card["cut"]] == []
        assert [c["text"] for c in cards if c["outside"]] == []
        kept = failure != "auth_failed"
        assert ("Unavailable" not in texts) is kept, (failure, texts)
        assert "Unknown" not in texts, failure
    with capsys.disabled():
        print(f"\nthe panel while DeepSeek fails: {folder}")  # noqa: T201


async def top_up_then_fail_reload_and_recover(
    api: HomeAssistantApi, simulator: SimulatorControl, entry_id: str
) -> dict[str, Any]:
    """A top-up, then an outage with a reload in it, then DeepSeek back: the event."""
    status = f"sensor.{ENTRY_PREFIX}_api_status"
    await simulator.set(top_up={"CNY": "10"})
    await api.update_entity(status)
    event = await wait_for(lambda: activity_of(api, "top_up"), within=POLL_WITHIN)
    await simulator.set(scenario="server_error")
    await api.update_entity(status)
    await wait_for(lambda: is_state(api, status, "api_error"), within=60)
    # A failed poll changes no event.
    assert await is_state(api, ACTIVITY, event["state"])
    await api.post(f"/api/config/config_entries/entry/{entry_id}/reload", {})
    await simulator.set(scenario="normal")
    await wait_for(lambda: is_state(api, status, "ok"), within=90)
    return event


async def activity_of(api: HomeAssistantApi, event_type: str) -> dict[str, Any] | None:
    state = (await api.states()).get(ACTIVITY, {})
    attributes = state.get("attributes", {})
    return state if attributes.get("event_type") == event_type else None


async def is_state(api: HomeAssistantApi, entity_id: str, expected: str) -> bool:
    return await api.state(entity_id) == expected


FORM_LANGUAGES = {"de": "de-DE", "ja": "ja-JP"}
# The integration page's button that opens an entry's options, as Home Assistant
# names it in each language (its frontend's own translation).
OPTIONS_BUTTON = {"de": "Konfigurieren", "ja": "設定"}


def shown_as(text: str) -> str:
    """A text as the dialog's labels spell it: no markdown, no spaces, no joins.

    An emphasised word is a label of its own, so the texts are compared without
    the separators between labels.
    """
    return re.sub(r"[\s|*]", "", text)


async def open_flow_dialog(page: Page, button: str | None) -> dict[str, Any]:
    """Wait for the flow dialog; with ``button``, click that first."""
    if button is not None:
        await page.get_by_role("button", name=button).first.click()
    return await flow_dialog(page, containing="DeepSeek")


@pytest.mark.parametrize("language", FORM_LANGUAGES)
async def test_the_forms_read_in_german_and_japanese(
    chromium: str,
    demo: Demo,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    language: str,
) -> None:
    """The add-account form and the options form, in the user's own language."""
    folder = screenshot_folder(tmp_path_factory)
    translations = json.loads(
        (
            ROOT / f"custom_components/deepseek_balance/translations/{language}.json"
        ).read_text()
    )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS
        )
        locale = FORM_LANGUAGES[language]
        page = await demo_page(
            browser,
            demo,
            f"/config/integrations/dashboard/add?domain={DOMAIN}",
            (1280, 900),
            locale,
        )
        # Home Assistant asks first whether to set the integration up.
        await page.get_by_role("button", name="OK").click()
        add = await open_flow_dialog(page, None)
        await page.screenshot(path=str(folder / f"config-flow-{language}.png"))
        await page.close()
        page = await demo_page(
            browser,
            demo,
            f"/config/integrations/integration/{DOMAIN}",
            (1280, 900),
            locale,
        )
        options = await open_flow_dialog(page, OPTIONS_BUTTON[language])
        await page.screenshot(path=str(folder / f"options-{language}.png"))
        await browser.close()

    user = translations["config"]["step"]["user"]
    assert shown_as(user["title"]) in shown_as(add["text"])
    assert shown_as(user["data_description"]["api_key"]) in shown_as(add["text"])
    init = translations["options"]["step"]["init"]
    title = init["title"].format(title="DeepSeek ••••1a2b")
    assert shown_as(title) in shown_as(options["text"])
    missing = [
        key
        for key, text in init["data_description"].items()
        # The limits' currency is asked only of an account with several.
        if key != CONF_LIMIT_CURRENCY
        and shown_as(text.format(currency="CNY")) not in shown_as(options["text"])
    ]
    assert missing == []
    assert add["cut"] == []
    assert options["cut"] == []
    with capsys.disabled():
        print(f"\nforms in {language}: {folder}")  # noqa: T201


async def test_demo_logs_no_traceback_from_the_integration(demo: Demo) -> None:
    log = (demo.config_dir / "hass.out").read_text()

    ours = [t for t in tracebacks(log) if "custom_components/deepseek_balance" in t]

    assert ours == []
