"""What only the async client's deadline can do (it cancels), and how it meets the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from azbatch.aio import BatchClient
from azbatch.exceptions import BatchTimeoutError

# Port 9 (discard): never reached, because the token never comes.
ENDPOINT = "http://127.0.0.1:9"
GUARD = 5.0  # bounds every test, should the deadline not work


class StalledCredential:
    """An async token credential whose token request never finishes; records whether it was cancelled."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def close(self) -> None:
        pass


async def test_a_stalled_token_request_ends_at_the_deadline() -> None:
    credential = StalledCredential()
    async with BatchClient(ENDPOINT, credential) as client:
        with pytest.raises(BatchTimeoutError) as caught:
            await asyncio.wait_for(client.jobs.get("job-1", timeout=0.2), GUARD)
    assert credential.cancelled.is_set()
    assert caught.value.attempts == 0
    assert caught.value.response is None


async def test_the_callers_own_shorter_cancellation_is_not_reported_as_the_deadline() -> None:
    credential = StalledCredential()
    async with BatchClient(ENDPOINT, credential) as client:
        # asyncio's TimeoutError, from the caller's wait_for: not a BatchTimeoutError.
        with pytest.raises(asyncio.TimeoutError) as caught:
            await asyncio.wait_for(client.jobs.get("job-1", timeout=GUARD * 2), 0.2)
    assert not isinstance(caught.value, BatchTimeoutError)
    assert credential.cancelled.is_set()


async def test_a_cancelled_task_stays_cancelled() -> None:
    credential = StalledCredential()
    async with BatchClient(ENDPOINT, credential) as client:
        task = asyncio.ensure_future(client.jobs.get("job-1", timeout=GUARD * 2))
        await asyncio.wait_for(credential.started.wait(), GUARD)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, GUARD)
    assert credential.cancelled.is_set()
