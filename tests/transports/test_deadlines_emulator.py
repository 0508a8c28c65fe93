"""Per-call deadlines against the emulator's ``slow`` fault, with both clients on their default transports.

The fault holds the answer back for ``DELAY_MS``; the emulator's request log records a request once it
is answered. A call with a much shorter ``timeout`` must have raised :class:`BatchTimeoutError` while the
log still shows nothing answered -- the structural form of "it returned before the server's event".
"""

from __future__ import annotations

import pytest

import azbatch
import azbatch.aio
from azbatch.emulator import BatchEmulator
from azbatch.exceptions import BatchTimeoutError

DELAY_MS = 1500
TIMEOUT = 0.2

pytestmark = pytest.mark.batch_emulator(transition_ms=0)


async def test_async_client_gives_up_on_a_slow_answer(batch_emulator: BatchEmulator) -> None:
    rule = batch_emulator.faults.slow(DELAY_MS, operation="get", times=1)
    async with azbatch.aio.BatchClient(batch_emulator.endpoint, batch_emulator.credential) as client:
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("no-such-job", timeout=TIMEOUT)
        assert batch_emulator.request_log.count(operation="get") == 0
        assert rule.fired == 1
        assert caught.value.attempts == 1
        assert caught.value.deadline == TIMEOUT
        # The fault fired once: with time to spare the next call goes through (the job is not there).
        with pytest.raises(azbatch.BatchResourceNotFoundError):
            await client.jobs.get("no-such-job", timeout=30)


def test_sync_client_gives_up_on_a_slow_answer(batch_emulator_thread: BatchEmulator) -> None:
    emulator = batch_emulator_thread
    rule = emulator.faults.slow(DELAY_MS, operation="get", times=1)
    with azbatch.BatchClient(emulator.endpoint, emulator.credential, timeout=TIMEOUT) as client:
        with pytest.raises(BatchTimeoutError) as caught:
            client.jobs.get("no-such-job")
        assert emulator.request_log.count(operation="get") == 0
        assert rule.fired == 1
        assert caught.value.attempts == 1
        with pytest.raises(azbatch.BatchResourceNotFoundError):
            client.jobs.get("no-such-job", timeout=30)
