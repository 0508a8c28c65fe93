"""The generated sync client (``azbatch.BatchClient``) on azure-core's default requests transport.

The emulator serves from its own thread (``batch_emulator_thread``), so the sync client can block on it
from plain test code, from inside a running event loop, and from ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError, ResourceExistsError
from azure.core.pipeline.transport import RequestsTransport
from azure.identity import ManagedIdentityCredential

import azbatch
from azbatch import (
    BatchAuthenticationError,
    BatchConflictError,
    BatchResourceExistsError,
    BatchResourceModifiedError,
    BatchResourceNotFoundError,
    BatchResourceNotModifiedError,
    BatchServiceError,
    models,
)
from azbatch.emulator import BatchEmulator, generate_key

from .conftest import (
    POLL_DEADLINE_S,
    POLL_INTERVAL_S,
    POOL_ID,
    metadata,
    metadata_dict,
    new_job,
    unique_id,
    use_emulator_identity,
)

pytestmark = pytest.mark.batch_emulator(transition_ms=50)


def new_sync_client(emulator: BatchEmulator, credential: Any = None, **kwargs: Any) -> azbatch.BatchClient:
    kwargs.setdefault("retry_backoff_factor", 0.01)
    return azbatch.BatchClient(
        emulator.endpoint, credential if credential is not None else emulator.credential, **kwargs
    )


@pytest.fixture
def sync_client(batch_emulator_thread: BatchEmulator) -> Iterator[azbatch.BatchClient]:
    with new_sync_client(batch_emulator_thread) as client:
        yield client


def wait_for_state(client: azbatch.BatchClient, job_id: str, wanted: str, seen: list[str]) -> models.CloudJob:
    deadline = time.monotonic() + POLL_DEADLINE_S
    while True:
        job = client.jobs.get(job_id)
        if not seen or seen[-1] != job.state:
            seen.append(str(job.state))
        if job.state == wanted:
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} still {job.state!s} after {POLL_DEADLINE_S} s, wanted {wanted}")
        time.sleep(POLL_INTERVAL_S)


def run_short_lifecycle(client: azbatch.BatchClient) -> str:
    """add, get, patch, update, terminate, delete; return the job id. Shared by the event-loop tests."""
    job_id = unique_id("sync")
    added = client.jobs.add(new_job(job_id, priority=5, metadata=metadata(kind="sync")))
    job = client.jobs.get(job_id)
    assert (job.id, job.priority, job.state, job.etag) == (job_id, 5, "active", added.etag)
    assert metadata_dict(job.metadata) == {"kind": "sync"}
    patched = client.jobs.patch(job_id, models.JobPatchParameter(priority=50))
    assert patched.etag != added.etag
    client.jobs.update(
        job_id,
        models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID), max_parallel_tasks=3),
    )
    job = client.jobs.get(job_id)
    assert (job.priority, job.max_parallel_tasks, job.metadata) == (0, 3, None)
    client.jobs.terminate(job_id, "sync done")
    client.jobs.delete(job_id)
    return job_id


def test_sync_lifecycle(sync_client: azbatch.BatchClient, batch_emulator_thread: BatchEmulator) -> None:
    job_id = unique_id("sync-life")
    added = sync_client.jobs.add(new_job(job_id, priority=1))
    assert added.etag and added.request_id
    assert added.data_service_id == f"{batch_emulator_thread.endpoint}/jobs/{job_id}"

    sync_client.jobs.patch(job_id, models.JobPatchParameter(priority=99, metadata=metadata(a="1")))
    job = sync_client.jobs.get(job_id, expand="stats")
    assert (job.priority, metadata_dict(job.metadata)) == (99, {"a": "1"})
    assert job.stats is not None

    sync_client.jobs.update(
        job_id, models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID))
    )
    job = sync_client.jobs.get(job_id, select=["id", "priority", "metadata"])
    assert (job.priority, job.metadata) == (0, None)

    sync_client.jobs.disable(job_id, "terminate")
    seen: list[str] = []
    wait_for_state(sync_client, job_id, "disabled", seen)
    assert seen[-1] == "disabled" and set(seen) <= {"disabling", "disabled"}

    sync_client.jobs.enable(job_id)
    wait_for_state(sync_client, job_id, "active", seen=[])

    sync_client.jobs.terminate(job_id, "sync finished")
    job = wait_for_state(sync_client, job_id, "completed", seen=[])
    assert job.execution_info is not None and job.execution_info.terminate_reason == "sync finished"

    deleted = sync_client.jobs.delete(job_id)
    assert deleted.etag is None and deleted.request_id
    with pytest.raises(BatchResourceNotFoundError) as caught:
        wait_for_state(sync_client, job_id, "gone", seen=[])
    assert caught.value.code == "JobNotFound"


def test_sync_paging(sync_client: azbatch.BatchClient, batch_emulator_thread: BatchEmulator) -> None:
    ids = sorted(f"sp-{i}-{uuid.uuid4().hex[:4]}" for i in range(7))
    for job_id in ids:
        sync_client.jobs.add(new_job(job_id))
    sync_client.jobs.add(new_job("unrelated"))
    batch_emulator_thread.request_log.reset()

    assert [job.id for job in sync_client.jobs.list(filter="startswith(id,'sp-')", max_results=3)] == ids
    assert batch_emulator_thread.request_log.count(operation="list") >= 3

    pages = [list(page) for page in sync_client.jobs.list(max_results=3, select="id").by_page()]
    assert len(pages) >= 3 and all(len(page) <= 3 for page in pages)
    assert [job.id for page in pages for job in page] == [*ids, "unrelated"]

    # Resume from a continuation token.
    pager = sync_client.jobs.list(max_results=3).by_page()
    first = [job.id for job in next(pager)]
    rest = [
        job.id
        for page in sync_client.jobs.list(max_results=3).by_page(continuation_token=pager.continuation_token)
        for job in page
    ]
    assert first + rest == [*ids, "unrelated"]

    # The other two listings.
    batch_emulator_thread.store.add_job_schedule("sync-schedule")
    batch_emulator_thread.store.seed_job(
        {"id": "in-schedule", "poolInfo": {"poolId": POOL_ID}}, schedule_id="sync-schedule"
    )
    assert [job.id for job in sync_client.jobs.list_from_job_schedule("sync-schedule", max_results=1)] == [
        "in-schedule"
    ]
    sync_client.jobs.add(
        new_job("with-prep", job_preparation_task=models.JobPreparationTask(command_line="/bin/true"))
    )
    batch_emulator_thread.store.set_prep_release_status(
        "with-prep", [{"nodeId": f"node-{i}"} for i in range(3)]
    )
    nodes = [
        e.node_id
        for e in sync_client.jobs.list_preparation_and_release_task_status("with-prep", max_results=2)
    ]
    assert nodes == ["node-0", "node-1", "node-2"]


def test_sync_errors(sync_client: azbatch.BatchClient, batch_emulator_thread: BatchEmulator) -> None:
    with pytest.raises(BatchResourceNotFoundError) as not_found:
        sync_client.jobs.get("missing")
    assert (not_found.value.status_code, not_found.value.code) == (404, "JobNotFound")
    assert not_found.value.request_id

    job_id = unique_id("sync-err")
    etag = sync_client.jobs.add(new_job(job_id)).etag
    with pytest.raises(BatchResourceExistsError) as exists:
        sync_client.jobs.add(new_job(job_id))
    assert isinstance(exists.value, ResourceExistsError)
    assert exists.value.code == "JobExists"

    sync_client.jobs.patch(job_id, models.JobPatchParameter(priority=2))
    with pytest.raises(BatchResourceModifiedError) as modified:
        sync_client.jobs.patch(
            job_id,
            models.JobPatchParameter(priority=3),
            etag=etag,
            match_condition=MatchConditions.IfNotModified,
        )
    assert (modified.value.status_code, modified.value.code) == (412, "ConditionNotMet")

    current = sync_client.jobs.get(job_id).etag
    with pytest.raises(BatchResourceNotModifiedError):
        sync_client.jobs.get(job_id, etag=current, match_condition=MatchConditions.IfModified)

    pager = sync_client.jobs.list(filter="state eq 'sleeping'")
    with pytest.raises(BatchServiceError) as bad_filter:
        list(pager)
    assert (bad_filter.value.status_code, bad_filter.value.code) == (400, "InvalidQueryParameterValue")

    with pytest.raises(BatchConflictError) as conflict:
        sync_client.jobs.enable(job_id)
    assert conflict.value.code == "OperationInvalidForCurrentState"
    assert not isinstance(conflict.value, ResourceExistsError)

    batch_emulator_thread.store.force_state(job_id, "deleting")
    with pytest.raises(BatchConflictError) as deleting:
        sync_client.jobs.terminate(job_id)
    assert deleting.value.code == "JobBeingDeleted"

    with pytest.raises(BatchServiceError) as bad_priority:
        sync_client.jobs.add(new_job(unique_id("prio"), priority=5000))
    assert (bad_priority.value.status_code, bad_priority.value.code) == (400, "InvalidPropertyValue")


def test_sync_wrong_key(batch_emulator_thread: BatchEmulator) -> None:
    credential = AzureNamedKeyCredential(batch_emulator_thread.account, generate_key())
    with (
        new_sync_client(batch_emulator_thread, credential) as client,
        pytest.raises(BatchAuthenticationError) as caught,
    ):
        client.jobs.get("any")
    assert isinstance(caught.value, ClientAuthenticationError)
    assert (caught.value.status_code, caught.value.code) == (403, "AuthenticationFailed")


def test_sync_retries_through_faults(
    sync_client: azbatch.BatchClient, batch_emulator_thread: BatchEmulator
) -> None:
    job_id = unique_id("sync-retry")
    busy = batch_emulator_thread.faults.server_busy(operation="add", times=1, retry_after=None)
    sync_client.jobs.add(new_job(job_id))
    assert busy.fired == 1

    reset = batch_emulator_thread.faults.reset_before_response(operation="get", times=1)
    half = batch_emulator_thread.faults.reset_after_headers(operation="get", times=1)
    assert sync_client.jobs.get(job_id).id == job_id
    assert (reset.fired, half.fired) == (1, 1)
    assert batch_emulator_thread.request_log.count(operation="get", status=0) == 2

    batch_emulator_thread.faults.internal_error(operation="get", times=1)
    with pytest.raises(BatchServiceError) as caught:
        sync_client.jobs.get(job_id, retry_total=0)
    assert (caught.value.status_code, caught.value.code) == (500, "InternalError")


def test_sync_default_transport_is_requests(batch_emulator_thread: BatchEmulator) -> None:
    with new_sync_client(batch_emulator_thread) as client:
        transport = client._pipeline._transport  # the only place to see which transport was chosen
        assert isinstance(transport, RequestsTransport)
        run_short_lifecycle(client)


def test_sync_client_with_real_managed_identity_credential(
    batch_emulator_thread: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_emulator_identity(monkeypatch, batch_emulator_thread)
    with (
        ManagedIdentityCredential() as credential,
        new_sync_client(batch_emulator_thread, credential) as client,
    ):
        run_short_lifecycle(client)
    assert batch_emulator_thread.request_log.count(operation="ManagedIdentity_GetToken") == 1


# ------------------------------------------------------------------------------ inside an event loop


async def test_sync_client_called_directly_inside_a_running_loop(
    batch_emulator_thread: BatchEmulator,
) -> None:
    """No event loop of its own: the sync client blocks this loop's thread but never needs the loop."""
    assert asyncio.get_running_loop().is_running()
    with new_sync_client(batch_emulator_thread) as client:
        run_short_lifecycle(client)
        client.jobs.add(new_job("in-loop-1"))
        client.jobs.add(new_job("in-loop-2"))
        listed = [job.id for job in client.jobs.list(filter="startswith(id,'in-loop-')", max_results=1)]
        assert listed == ["in-loop-1", "in-loop-2"]
        with pytest.raises(BatchResourceNotFoundError):
            client.jobs.get("missing")


def test_sync_client_called_from_asyncio_run(batch_emulator_thread: BatchEmulator) -> None:
    results: list[str] = []

    async def inner() -> None:
        await asyncio.sleep(0)
        with new_sync_client(batch_emulator_thread) as client:
            results.append(run_short_lifecycle(client))
            # Interleave real awaits with sync calls in the same coroutine.
            await asyncio.sleep(0)
            assert client.jobs.get(results[0]).state in {"deleting", "completed", "terminating"}

    asyncio.run(inner())
    assert len(results) == 1


async def test_sync_client_shared_between_the_loop_and_worker_threads(
    batch_emulator_thread: BatchEmulator,
) -> None:
    with new_sync_client(batch_emulator_thread) as client:
        ids = await asyncio.gather(*(asyncio.to_thread(run_short_lifecycle, client) for _ in range(4)))
        assert len(set(ids)) == 4
        # And once more directly on the loop's thread after the workers are done.
        run_short_lifecycle(client)
