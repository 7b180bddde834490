"""System health: whether each base URL's API answers, and how many accounts run."""

import asyncio

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    get_system_health_info,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)

from custom_components.deepseek_balance.const import CONF_BASE_URL, DOMAIN

GATEWAY = "http://127.0.0.1:8443/deepseek"
OTHER_GATEWAY = "http://127.0.0.1:8444"


async def test_system_health_reaches_each_base_url_and_counts_the_accounts(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    # A refused key is an answer: the server is reached.
    aioclient_mock.get("https://api.deepseek.com/user/balance", status=401)
    aioclient_mock.get(f"{GATEWAY}/user/balance", exc=aiohttp.ClientError)
    aioclient_mock.get(f"{OTHER_GATEWAY}/user/balance", exc=TimeoutError)
    for key, base_url, state in (
        ("sk-1", "https://api.deepseek.com", ConfigEntryState.LOADED),
        ("sk-2", GATEWAY, ConfigEntryState.LOADED),
        ("sk-3", f"{GATEWAY}/", ConfigEntryState.SETUP_RETRY),  # the same URL
        ("sk-4", OTHER_GATEWAY, ConfigEntryState.SETUP_ERROR),
    ):
        MockConfigEntry(
            domain=DOMAIN,
            data={CONF_API_KEY: key, CONF_BASE_URL: base_url},
            state=state,
        ).add_to_hass(hass)
    hass.config.components.add(DOMAIN)
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()

    info = await get_system_health_info(hass, DOMAIN)
    info = {
        key: await value if asyncio.iscoroutine(value) else value
        for key, value in info.items()
    }

    assert info == {
        "loaded_accounts": 2,
        "can_reach_server": "ok",
        GATEWAY: {"type": "failed", "error": "unreachable"},
        OTHER_GATEWAY: {"type": "failed", "error": "timeout"},
    }
    assert aioclient_mock.call_count == 3
