"""Fixtures shared by every test: the DeepSeek simulator and an HTTP session."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from .deepseek_simulator import DeepSeekSimulator, run_simulator


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncIterator[DeepSeekSimulator]:
    """A fresh simulator on 127.0.0.1 serving the normal CNY account.

    ``socket_enabled`` lifts the harness's socket block; its allow-list still
    refuses every address but 127.0.0.1.
    """
    async with run_simulator() as running:
        yield running


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A plain client session, as a library user would inject."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session
