"""A sync client called on the thread whose event loop serves the emulator fails fast and clearly.

Without the guard the call would block the very loop that has to answer it, until the read timeout.
"""

from __future__ import annotations

import pytest

import azbatch
from azbatch.emulator import BatchEmulator


async def test_sync_client_against_an_emulator_on_this_loop_is_refused() -> None:
    async with BatchEmulator() as emu:
        with (
            azbatch.BatchClient(emu.endpoint, emu.credential) as client,
            pytest.raises(RuntimeError, match="runs on this thread's event loop") as info,
        ):
            client.jobs.get("job-1")
        assert "batch_emulator_thread" in str(info.value)
        assert emu.request_log.count() == 0  # refused before anything was sent


def test_sync_client_against_an_emulator_in_its_own_thread_works() -> None:
    with (
        BatchEmulator().start_in_thread() as emu,
        azbatch.BatchClient(emu.endpoint, emu.credential) as client,
    ):
        assert client.jobs.exists("job-1") is False


async def test_after_the_emulator_stops_its_address_is_forgotten() -> None:
    from azbatch.policies._same_loop import _servers

    async with BatchEmulator() as emu:
        assert any(port == emu.port for _host, port in _servers)
    assert all(port != emu.port for _host, port in _servers)


async def test_localhost_and_127_0_0_1_are_the_same_server() -> None:
    async with BatchEmulator() as emu:
        endpoint = f"http://localhost:{emu.port}"
        with (
            azbatch.BatchClient(endpoint, emu.credential) as client,
            pytest.raises(RuntimeError, match="runs on this thread's event loop"),
        ):
            client.jobs.get("job-1")
