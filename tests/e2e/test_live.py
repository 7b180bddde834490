"""A real ``hass`` process and the simulator, driven as a user drives them.

The tests run in file order against one Home Assistant: add an account in the
browser, look, break, recover, re-authenticate and reconfigure in the browser, add
a second account and change its options, remove, then read the log. Forms are
filled and submitted in Chromium, as a user does: Home Assistant's frontend, not a
test, decides what is sent. The demo's dashboard is seen in ``test_dashboard.py``.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Browser, Page
import pytest
import pytest_asyncio

from scripts.harness import (
    DOMAIN,
    HomeAssistantApi,
    SimulatorControl,
    free_port,
    start_hass,
    start_simulator,
    stop,
    tracebacks,
    wait_for,
    write_config,
)
from tests.e2e.pages import (
    flow_dialog,
    headless_chromium,
    logged_in_page,
    screenshot_folder,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

API_KEY = "sk-e2e-secret-1a2b"
NEW_KEY = "sk-e2e-rotated-1a2b"
SECOND_KEY = "sk-e2e-second-5678"  # another account, behind a gateway
USER, PASSWORD = "e2e", "e2e-password-0000"
P = "deepseek_1a2b"  # entity ID prefix of an entry titled "DeepSeek ••••1a2b"
TOTAL = f"sensor.{P}_total_balance_cny"
STATUS = f"sensor.{P}_api_status"
# A poll asked for inside Home Assistant's 10 s debounce runs when it ends.
POLL_WITHIN = 30
INTEGRATION_PAGE = f"/config/integrations/integration/{DOMAIN}"


@dataclass
class Live:
    """The running instance and how to reach it."""

    config_dir: Path
    url: str
    api: HomeAssistantApi
    simulator: SimulatorControl
    simulator_url: str
    gateway_url: str  # the second account's
    entry_id: str = ""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """Start the simulators and ``hass``, onboard, and stop them all at the end.

    Home Assistant's environment points new entries at the first simulator
    (``DEEPSEEK_BASE_URL``), as it would at a gateway: there a user types only
    the key.
    """
    config_dir = tmp_path_factory.mktemp("hass")
    simulator_port, gateway_port, hass_port = free_port(), free_port(), free_port()
    simulator_url = f"http://127.0.0.1:{simulator_port}"
    write_config(config_dir, http_port=hass_port)
    processes = [
        start_simulator(simulator_port, API_KEY),
        start_simulator(gateway_port, SECOND_KEY),
        start_hass(config_dir, environment={"DEEPSEEK_BASE_URL": simulator_url}),
    ]
    try:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{hass_port}"
            api = HomeAssistantApi(session, url)
            await api.wait_until_up(within=120)
            await api.onboard("End to end", USER, PASSWORD)
            yield Live(
                config_dir,
                url,
                api,
                SimulatorControl(session, simulator_url),
                simulator_url,
                f"http://127.0.0.1:{gateway_port}",
            )
            await api.close()
    finally:
        for process in reversed(processes):
            stop(process)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    """The distribution's Chromium, headless."""
    async with headless_chromium() as launched:
        yield launched


async def user_page(live: Live, browser: Browser, path: str) -> Page:
    return await logged_in_page(browser, f"{live.url}{path}", (USER, PASSWORD))


async def submit(page: Page, *, then_showing: str) -> dict[str, Any]:
    """Press the dialog's Submit, as a user does; the dialog once it answers."""
    await page.get_by_role("button", name="Submit").click()
    return await flow_dialog(page, containing=then_showing)


async def poll_until(live: Live, entity_id: str, expected: str) -> None:
    """Ask for a poll, then wait until ``entity_id`` shows ``expected``."""
    await live.api.update_entity(STATUS)

    async def shown() -> bool:
        return await live.api.state(entity_id) == expected

    await wait_for(shown, within=POLL_WITHIN)


async def test_an_account_is_added_by_typing_the_key_and_pressing_submit(
    live: Live, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A wrong key first, then the right one; the base URL is never typed."""
    page = await user_page(
        live, browser, f"/config/integrations/dashboard/add?domain={DOMAIN}"
    )
    await page.get_by_role("button", name="OK").click()  # "Set up DeepSeek Balance?"
    form = await flow_dialog(page, containing="Connect a DeepSeek account")
    url_shown = await page.locator("input[name=base_url]").input_value()

    await page.locator("input[name=api_key]").fill("sk-wrong")
    wrong = await submit(page, then_showing="DeepSeek refused this API key")
    await page.locator("input[name=api_key]").fill(API_KEY)
    # Home Assistant 2026.11 ends with naming the new device and giving it an area.
    done = await submit(page, then_showing="Skip and finish")
    await page.screenshot(path=str(screenshot_folder(tmp_path_factory) / "added.png"))
    await page.get_by_role("button", name="Skip and finish").click()
    await page.close()

    assert url_shown == live.simulator_url  # the default, filled in
    assert form["cut"] == wrong["cut"] == done["cut"] == []
    (entry,) = await live.api.entries()
    assert entry["title"] == "DeepSeek ••••1a2b"
    live.entry_id = entry["entry_id"]


async def test_a_real_account_shows_its_entities_and_no_rate_limits(
    live: Live,
) -> None:
    expected = {
        f"sensor.{P}_total_balance_cny": "110.00",
        f"sensor.{P}_granted_balance_cny": "10.00",
        f"sensor.{P}_top_up_balance_cny": "100.00",
        f"sensor.{P}_balance_left_of_last_top_up": "100",
        f"sensor.{P}_spend_today_cny": "0",
        f"sensor.{P}_spend_this_month_cny": "0",
        f"sensor.{P}_spend_per_day_cny": "unknown",
        f"sensor.{P}_projected_spend_cny": "unknown",
        f"sensor.{P}_days_remaining": "unknown",
        f"sensor.{P}_api_status": "ok",
        f"binary_sensor.{P}_account_available": "on",
        f"binary_sensor.{P}_low_balance": "off",
        f"binary_sensor.{P}_monthly_budget": "off",
        f"event.{P}_balance_activity": "unknown",
    }

    states = await live.api.states()

    assert {
        entity_id: states[entity_id]["state"]
        for entity_id in states
        if entity_id.split(".")[1].startswith(P)
    } == expected
    # DeepSeek sends no rate-limit headers: no rate-limit sensor exists at all.
    registry = await live.api.ws({"type": "config/entity_registry/list"})
    assert not [
        entity["entity_id"]
        for entity in registry
        if entity["platform"] == "deepseek_balance"
        and ("requests" in entity["entity_id"] or "tokens" in entity["entity_id"])
    ]


async def test_the_spending_action_answers_over_the_websocket(live: Live) -> None:
    """Called as the frontend calls an action that returns a response."""
    answer = await live.api.ws(
        {
            "type": "call_service",
            "domain": DOMAIN,
            "service": "get_spending",
            "service_data": {"config_entry_id": live.entry_id},
            "return_response": True,
        }
    )
    response = answer["response"]
    print(f"\nget_spending: {json.dumps(response, indent=2)}")  # noqa: T201

    end = response["end_date"]  # today, in Home Assistant's time zone
    assert response["start_date"] == f"{end[:8]}01"
    cny = response["currencies"]["CNY"]
    assert set(cny) == {"spent", "top_ups", "grants", "complete", "balance", "days"}
    assert (cny["spent"], cny["balance"], cny["complete"]) == (0.0, 110.0, False)
    assert [day["date"] for day in cny["days"]] == [
        f"{end[:8]}{day:02}" for day in range(1, int(end[8:]) + 1)
    ]
    # The entry began today: no day of this month is wholly accounted for.
    assert [day["complete"] for day in cny["days"]] == len(cny["days"]) * [False]


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        # Without Retry-After, so that the next poll may ask again at once.
        ("rate_limited_without_retry_after", "rate_limited"),
        ("server_error", "api_error"),
        ("bad_gateway_html", "api_error"),
        ("malformed_json", "api_error"),
    ],
)
async def test_a_failing_api_keeps_the_figures_and_says_why_then_recovers(
    live: Live, scenario: str, status: str
) -> None:
    await live.simulator.set(scenario=scenario)

    await poll_until(live, STATUS, status)
    assert await live.api.state(TOTAL) == "110.00"  # within the grace

    await live.simulator.set(scenario="normal")
    await poll_until(live, STATUS, "ok")
    assert await live.api.state(TOTAL) == "110.00"


async def test_a_refused_key_is_replaced_in_the_reauth_dialog(
    live: Live, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Home Assistant asks; the user types the new key alone and submits."""
    await live.simulator.set(api_key=NEW_KEY)
    await poll_until(live, STATUS, "auth_failed")
    assert await live.api.state(TOTAL) == "unavailable"

    async def reauth_flows() -> list[dict[str, Any]]:
        flows = await live.api.ws({"type": "config_entries/flow/progress"})
        return [
            flow
            for flow in flows
            if flow["handler"] == DOMAIN and flow["context"]["source"] == "reauth"
        ]

    flows = await wait_for(reauth_flows, within=POLL_WITHIN)
    assert [flow["context"]["entry_id"] for flow in flows] == [live.entry_id]
    page = await user_page(live, browser, INTEGRATION_PAGE)
    await page.get_by_role("button", name="Reconfigure").first.click()
    form = await flow_dialog(page, containing="DeepSeek refused the API key")
    url_shown = await page.locator("input[name=base_url]").input_value()
    await page.locator("input[name=api_key]").fill(NEW_KEY)
    done = await submit(page, then_showing="The new API key works")
    await page.screenshot(path=str(screenshot_folder(tmp_path_factory) / "reauth.png"))
    await page.close()

    assert url_shown == live.simulator_url  # the entry's own
    assert form["cut"] == done["cut"] == []

    async def values_back() -> bool:
        return await live.api.state(TOTAL) == "110.00"

    await wait_for(values_back, within=POLL_WITHIN)


async def test_reconfigure_submitted_unchanged_keeps_the_account(
    live: Live, browser: Browser
) -> None:
    page = await user_page(live, browser, INTEGRATION_PAGE)
    row = page.locator("ha-config-entry-row", has_text="DeepSeek ••••1a2b")
    await row.get_by_role("button", name="Menu").first.click()
    await page.get_by_role("menuitem", name="Reconfigure").click()
    await flow_dialog(page, containing="Change the DeepSeek connection")
    url_shown = await page.locator("input[name=base_url]").input_value()

    await submit(page, then_showing="The connection was changed and works")
    await page.close()

    assert url_shown == live.simulator_url
    (entry,) = await live.api.entries()
    assert entry["title"] == "DeepSeek ••••1a2b"


async def test_the_options_of_the_second_of_two_accounts_name_it(
    live: Live, browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A second account behind its own gateway, typed under Advanced."""
    page = await user_page(live, browser, INTEGRATION_PAGE)
    await page.get_by_role("button", name="Add service").click()
    await flow_dialog(page, containing="Connect a DeepSeek account")
    await page.locator("input[name=api_key]").fill(SECOND_KEY)
    await page.get_by_text("Advanced", exact=True).click()
    await page.locator("input[name=base_url]").fill(live.gateway_url)
    await submit(page, then_showing="Skip and finish")
    await page.get_by_role("button", name="Skip and finish").click()
    await page.close()
    second = next(
        entry
        for entry in await live.api.entries()
        if entry["title"] == "DeepSeek ••••5678"
    )

    page = await user_page(live, browser, INTEGRATION_PAGE)
    row = page.locator("ha-config-entry-row", has_text="DeepSeek ••••5678")
    await row.get_by_role("button", name="Configure").click()
    form = await flow_dialog(page, containing="Options for DeepSeek ••••5678")
    await page.screenshot(path=str(screenshot_folder(tmp_path_factory) / "options.png"))
    interval = page.locator("input[type=number]").first  # *Update interval*
    await interval.fill("-5")
    refused = await submit(page, then_showing="Enter a number of seconds from 30")
    await interval.fill("45")
    await submit(page, then_showing="Options successfully saved")
    await page.close()

    assert form["cut"] == refused["cut"] == []

    async def interval_of(entry_id: str) -> Any:
        diagnostics = await live.api.get(f"/api/diagnostics/config_entry/{entry_id}")
        # While the entry reloads, its diagnostics carry no poll interval yet.
        return diagnostics["data"].get("poll_interval_seconds")

    async def second_polls_every_45_s() -> bool:
        return await interval_of(second["entry_id"]) == 45

    await wait_for(second_polls_every_45_s, within=POLL_WITHIN)
    assert await interval_of(live.entry_id) == 30  # the first account's is its own


async def test_removing_the_entries_removes_their_entities_and_devices(
    live: Live,
) -> None:
    for entry in await live.api.entries():
        await live.api.delete(f"/api/config/config_entries/entry/{entry['entry_id']}")

    entities = await live.api.ws({"type": "config/entity_registry/list"})
    devices = await live.api.ws({"type": "config/device_registry/list"})
    assert [e for e in entities if e["platform"] == "deepseek_balance"] == []
    assert [d for d in devices if live.entry_id in d["config_entries"]] == []
    assert not [s for s in await live.api.states() if s.startswith(f"sensor.{P}")]


async def test_log_has_no_traceback_from_the_integration_and_no_key(
    live: Live,
) -> None:
    log = (live.config_dir / "hass.out").read_text()  # everything hass printed

    ours = [
        traceback
        for traceback in tracebacks(log)
        if "custom_components/deepseek_balance" in traceback
    ]

    assert ours == []
    # Run with --skip-pip: the live environment holds all Home Assistant imports.
    assert "ModuleNotFoundError" not in log
    assert API_KEY not in log
    assert NEW_KEY not in log
    assert SECOND_KEY not in log
    # The outages above, each shorter than the grace, were logged as warnings once
    # when they began and once when they ended, naming the account once.
    assert "DeepSeek ••••1a2b: DeepSeek asked to wait" in log
    assert "DeepSeek ••••1a2b: DeepSeek answers again" in log
    assert "Error fetching" not in log
