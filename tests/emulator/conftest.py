"""Fixtures for the emulator tests: an emulator (auth off unless a test marks otherwise) and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api


@pytest.fixture
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[BatchEmulator]:
    """An emulator with auth off and 20 ms transitions; a ``batch_emulator`` marker overrides these."""
    options: dict[str, object] = {"auth": False, "transition_ms": 20, "seed": 7}
    for marker in reversed(list(request.node.iter_markers("batch_emulator"))):
        options.update(marker.kwargs)
    async with BatchEmulator(**options) as emulator:  # type: ignore[arg-type]
        yield emulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(emu: BatchEmulator, http: aiohttp.ClientSession) -> Api:
    return Api(http, emu.endpoint)
