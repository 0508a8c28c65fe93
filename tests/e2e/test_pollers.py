"""The begin_* pollers against the emulator's timed state machine, async and sync."""

from __future__ import annotations

import pytest
from azure.core import MatchConditions

import azbatch
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator
from azbatch.exceptions import BatchJobStateError, BatchResourceNotFoundError

from .conftest import new_job, unique_id

pytestmark = pytest.mark.batch_emulator(transition_ms=60)


async def test_disable_enable_terminate_delete_wait_for_their_states(client: BatchClient) -> None:
    job_id = unique_id("poll")
    await client.jobs.add(new_job(job_id))

    disabled = await (await client.jobs.begin_disable(job_id, "requeue", polling_interval=0.01)).result()
    assert disabled.state == "disabled"
    assert disabled.previous_state == "active"

    enabled = await (await client.jobs.begin_enable(job_id, polling_interval=0.01)).result()
    assert enabled.state == "active"

    poller = await client.jobs.begin_terminate(job_id, "poller test", polling_interval=0.01)
    completed = await poller.result()
    assert completed.state == "completed"
    assert completed.execution_info is not None
    assert completed.execution_info.terminate_reason == "poller test"

    assert await (await client.jobs.begin_delete(job_id, polling_interval=0.01)).result() is None
    with pytest.raises(BatchResourceNotFoundError):
        await client.jobs.get(job_id)


async def test_the_write_keeps_its_conditions(client: BatchClient) -> None:
    job_id = unique_id("poll")
    added = await client.jobs.add(new_job(job_id))
    await client.jobs.patch(job_id, {"priority": 5})
    with pytest.raises(azbatch.BatchResourceModifiedError):
        await client.jobs.begin_disable(
            job_id,
            "wait",
            etag=added.etag,
            match_condition=MatchConditions.IfNotModified,
            polling_interval=0.01,
        )


async def test_a_job_terminated_while_disabling_fails_the_poller(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = unique_id("poll")
    await client.jobs.add(new_job(job_id))
    poller = await client.jobs.begin_disable(job_id, "requeue", polling_interval=0.01)
    batch_emulator.store.force_state(job_id, "terminating")
    with pytest.raises(BatchJobStateError) as caught:
        await poller.result()
    assert caught.value.state in ("terminating", "completed")


async def test_resume_waiting_in_a_new_poller(client: BatchClient) -> None:
    job_id = unique_id("poll")
    await client.jobs.add(new_job(job_id))
    first = await client.jobs.begin_terminate(job_id, polling_interval=0.01)
    token = first.continuation_token()
    resumed = await client.jobs.begin_terminate(job_id, continuation_token=token, polling_interval=0.01)
    assert (await resumed.result()).state == "completed"
    await first.result()


def test_sync_pollers(batch_emulator_thread: BatchEmulator) -> None:
    emulator = batch_emulator_thread
    with azbatch.BatchClient(emulator.endpoint, emulator.credential) as client:
        job_id = unique_id("poll-sync")
        client.jobs.add(new_job(job_id))
        assert client.jobs.begin_disable(job_id, "terminate", polling_interval=0.01).result(
            timeout=10
        ).state == ("disabled")
        assert (
            client.jobs.begin_terminate(job_id, polling_interval=0.01).result(timeout=10).state == "completed"
        )
        assert client.jobs.begin_delete(job_id, polling_interval=0.01).result(timeout=10) is None
