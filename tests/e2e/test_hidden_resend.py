"""aiohttp quietly resends an idempotent request (DELETE, PUT, GET) once when the server hangs up on a
reused connection. Below azure-core's retry policy, that resend would hide from the client that a first
attempt may have been applied -- and a retried DELETE that meets ``JobBeingDeleted`` would be reported
as a failure although the delete took effect. The client's default aiohttp transport leaves every resend
to the retry policy, which knows what a repeat means for each Batch operation.
"""

from __future__ import annotations

import pytest

from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator


@pytest.mark.parametrize("warm_up", [True, False], ids=["reused-connection", "fresh-connection"])
async def test_a_delete_applied_then_cut_off_is_reported_done(warm_up: bool) -> None:
    async with BatchEmulator(transition_ms=60_000) as emu:
        emu.store.seed_job({"id": "job-1", "poolInfo": {"poolId": "p"}})
        async with BatchClient(emu.endpoint, emu.credential, retry_backoff_factor=0) as client:
            if warm_up:
                await client.jobs.get("job-1")  # the delete then travels on a kept-alive connection
            rule = emu.faults.reset_after_commit(operation="delete")
            result = await client.jobs.delete("job-1")
            job = await client.jobs.get("job-1")
        assert rule.fired == 1
        assert job.state == "deleting"
        assert result.etag == job.etag
        # The first delete was applied; its repeat met JobBeingDeleted and was verified, not raised.
        assert emu.request_log.count(operation="delete") == 2


async def test_the_default_transport_turns_off_aiohttps_own_resend() -> None:
    async with BatchEmulator() as emu, BatchClient(emu.endpoint, emu.credential) as client:
        await client.jobs.exists("job-1")  # opens the session
        transport = client._pipeline._transport  # type: ignore[attr-defined]
        session = transport.session
        assert getattr(session, "_retry_connection", False) is False
