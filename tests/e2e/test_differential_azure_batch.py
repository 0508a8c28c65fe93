"""Differential check: Microsoft's azure-batch 15.1 and azbatch against the same emulator.

azure-batch 15.x is an independent client (api-version 2025-06-01, its own Shared Key policy, its own
pager that re-parses ``odata.nextLink``). If both clients run the same sequence and observe the same
jobs, states, priorities, metadata, ETags and error codes, the emulator speaks the wire format that a
second, unrelated implementation expects, and azbatch reads it the same way.

Known, deliberate differences in the *exception classes* (the Batch codes are the same):

* every 409 is ``ResourceExistsError`` in 15.1; azbatch raises it only for ``JobExists`` /
  ``JobScheduleWithSameIdExists`` and ``BatchConflictError`` for state conflicts;
* a 304 is ``ResourceModifiedError`` in 15.1, ``ResourceNotModifiedError`` in azbatch;
* a 403 is a plain ``HttpResponseError`` in 15.1 (it maps only 401), ``BatchAuthenticationError``
  (a ``ClientAuthenticationError``) in azbatch.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
)

from azbatch import BatchConflictError, models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator, generate_key

from .conftest import POOL_ID, metadata, metadata_dict, new_client, new_job

ms_aio = pytest.importorskip(
    "azure.batch.aio",
    reason="the differential tests need Microsoft's azure-batch 15.x: pip install azure-batch==15.1.0",
)
ms_models = pytest.importorskip("azure.batch.models")
if not hasattr(ms_aio.BatchClient, "create_job"):  # pragma: no cover - an azure-batch 14.x install
    pytest.skip(
        "azure-batch is installed but is not the 15.x API (no BatchClient.create_job)",
        allow_module_level=True,
    )

pytestmark = [
    pytest.mark.batch_emulator(transition_ms=20),
    # azure-batch 15.1's Shared Key policy calls datetime.utcnow(), deprecated since Python 3.12.
    pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning"),
]

POLL_S = 0.01  # the 15.1 pollers' interval (their default is 5 s)


@pytest.fixture
async def ms_client(batch_emulator: BatchEmulator) -> AsyncIterator[Any]:
    """azure-batch 15.1's async client with its own Shared Key policy, default transport."""
    async with ms_aio.BatchClient(
        batch_emulator.endpoint, batch_emulator.credential, retry_backoff_factor=0.01
    ) as client:
        yield client


@pytest.fixture
async def az_client(batch_emulator: BatchEmulator) -> AsyncIterator[BatchClient]:
    async with new_client(batch_emulator) as client:
        yield client


# ----------------------------------------------------------------------- one scenario, two clients


class Driver:
    """The operations of the scenario; one subclass per client library."""

    name = ""

    async def create(self, job_id: str, priority: int, meta: dict[str, str]) -> None:
        raise NotImplementedError

    async def get(self, job_id: str) -> dict[str, Any]:
        """The job as its wire document (both libraries keep it)."""
        raise NotImplementedError

    async def list_ids(self, prefix: str, max_results: int) -> list[str]:
        raise NotImplementedError

    async def patch(self, job_id: str, priority: int, meta: dict[str, str], **conditions: Any) -> None:
        raise NotImplementedError

    async def put(self, job_id: str, max_parallel_tasks: int) -> None:
        raise NotImplementedError

    async def delete_and_wait(self, job_id: str) -> None:
        raise NotImplementedError


class AzureBatchDriver(Driver):
    name = "azure-batch"

    def __init__(self, client: Any) -> None:
        self.client = client

    async def create(self, job_id: str, priority: int, meta: dict[str, str]) -> None:
        await self.client.create_job(
            ms_models.BatchJobCreateOptions(
                id=job_id,
                pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID),
                priority=priority,
                metadata=[ms_models.BatchMetadataItem(name=k, value=v) for k, v in meta.items()],
            )
        )

    async def get(self, job_id: str) -> dict[str, Any]:
        job = await self.client.get_job(job_id)
        return dict(job.as_dict())

    async def list_ids(self, prefix: str, max_results: int) -> list[str]:
        # service_timeout makes 15.1 send the 2025 spelling "timeOut", signed with its case kept.
        pager = self.client.list_jobs(
            filter=f"startswith(id,'{prefix}')", max_results=max_results, service_timeout=20
        )
        return [job.id async for job in pager]

    async def patch(self, job_id: str, priority: int, meta: dict[str, str], **conditions: Any) -> None:
        await self.client.update_job(  # PATCH in 15.x
            job_id,
            ms_models.BatchJobUpdateOptions(
                priority=priority,
                metadata=[ms_models.BatchMetadataItem(name=k, value=v) for k, v in meta.items()],
            ),
            **conditions,
        )

    async def put(self, job_id: str, max_parallel_tasks: int) -> None:
        await self.client.replace_job(  # PUT in 15.x
            job_id,
            ms_models.BatchJob(
                pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID), max_parallel_tasks=max_parallel_tasks
            ),
        )

    async def delete_and_wait(self, job_id: str) -> None:
        poller = await self.client.begin_delete_job(job_id, polling_interval=POLL_S)
        await poller.result()


class AzbatchDriver(Driver):
    name = "azbatch"

    def __init__(self, client: BatchClient) -> None:
        self.client = client

    async def create(self, job_id: str, priority: int, meta: dict[str, str]) -> None:
        await self.client.jobs.add(new_job(job_id, priority=priority, metadata=metadata(**meta)))

    async def get(self, job_id: str) -> dict[str, Any]:
        return dict((await self.client.jobs.get(job_id)).as_dict())

    async def list_ids(self, prefix: str, max_results: int) -> list[str]:
        pager = self.client.jobs.list(
            filter=f"startswith(id,'{prefix}')", max_results=max_results, service_timeout=20
        )
        return [str(job.id) async for job in pager]

    async def patch(self, job_id: str, priority: int, meta: dict[str, str], **conditions: Any) -> None:
        await self.client.jobs.patch(
            job_id, models.JobPatchParameter(priority=priority, metadata=metadata(**meta)), **conditions
        )

    async def put(self, job_id: str, max_parallel_tasks: int) -> None:
        await self.client.jobs.update(
            job_id,
            models.JobUpdateParameter(
                pool_info=models.PoolInformation(pool_id=POOL_ID), max_parallel_tasks=max_parallel_tasks
            ),
        )

    async def delete_and_wait(self, job_id: str) -> None:
        await self.client.jobs.delete(job_id)
        for _ in range(1000):  # bounded: 20 ms transitions finish long before
            try:
                await self.client.jobs.get(job_id)
            except ResourceNotFoundError:
                return
            await asyncio.sleep(POLL_S)
        pytest.fail(f"{job_id} was never deleted")


# Server-set values that differ between two jobs by nature (ids, times, ETags, URLs).
_VOLATILE = {
    "odata.metadata",
    "id",
    "url",
    "eTag",
    "lastModified",
    "creationTime",
    "stateTransitionTime",
    "previousStateTransitionTime",
}


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in _VOLATILE}
    execution = dict(out.get("executionInfo") or {})
    execution.pop("startTime", None)
    execution.pop("endTime", None)
    out["executionInfo"] = execution
    return out


async def run_scenario(driver: Driver, batch_emulator: BatchEmulator, prefix: str) -> dict[str, Any]:
    """The same steps for either client; returns what was observed, with the prefix taken out."""
    seen: dict[str, Any] = {}
    main = f"{prefix}main"
    await driver.create(main, 10, {"owner": "diff", "step": "create"})
    created = await driver.get(main)
    seen["created"] = comparable(created)
    etags = [created["eTag"]]

    # Listing with a filter over several pages.
    for i in range(4):
        await driver.create(f"{prefix}page-{i}", 0, {})
    await driver.create(f"x{prefix}outside", 0, {})  # does not match the filter
    before = batch_emulator.request_log.count(operation="list", status=200)
    listed = await driver.list_ids(prefix, max_results=2)
    seen["listed"] = [job_id.removeprefix(prefix) for job_id in listed]
    seen["list_pages"] = batch_emulator.request_log.count(operation="list", status=200) - before

    # PATCH merges.
    await driver.patch(main, 100, {"step": "patch"})
    patched = await driver.get(main)
    seen["patched"] = comparable(patched)
    etags.append(patched["eTag"])

    # A conditional PATCH with a stale ETag fails and changes nothing.
    try:
        await driver.patch(main, 1, {}, etag=etags[0], match_condition=MatchConditions.IfNotModified)
    except HttpResponseError as err:
        seen["stale_patch"] = (err.status_code, err.error.code if err.error else None)
        seen["stale_patch_is_modified_error"] = isinstance(err, ResourceModifiedError)
    # ... and with the current one it goes through.
    await driver.patch(
        main, 200, {"step": "conditional"}, etag=etags[-1], match_condition=MatchConditions.IfNotModified
    )
    etags.append((await driver.get(main))["eTag"])

    # PUT replaces: priority and metadata return to their defaults.
    await driver.put(main, 4)
    replaced = await driver.get(main)
    seen["replaced"] = comparable(replaced)
    etags.append(replaced["eTag"])
    seen["etags_distinct"] = len(set(etags)) == len(etags)

    # Errors: a missing job, a duplicate id.
    try:
        await driver.get(f"{prefix}missing")
    except ResourceNotFoundError as err:
        seen["missing"] = (err.status_code, err.error.code if err.error else None)
    try:
        await driver.create(main, 0, {})
    except ResourceExistsError as err:
        seen["duplicate"] = (err.status_code, err.error.code if err.error else None)

    # Delete, wait until gone.
    await driver.delete_and_wait(main)
    try:
        await driver.get(main)
    except ResourceNotFoundError as err:
        seen["after_delete"] = (err.status_code, err.error.code if err.error else None)
    return seen


async def test_same_sequence_same_observations(
    batch_emulator: BatchEmulator, ms_client: Any, az_client: BatchClient
) -> None:
    theirs = await run_scenario(AzureBatchDriver(ms_client), batch_emulator, "ms-")
    ours = await run_scenario(AzbatchDriver(az_client), batch_emulator, "az-")
    assert ours == theirs, (ours, theirs)

    # And the observations are the expected ones, not just equal.
    assert ours["listed"] == ["main", "page-0", "page-1", "page-2", "page-3"]
    assert ours["list_pages"] >= 3
    assert ours["created"]["priority"] == 10
    assert ours["created"]["state"] == "active"
    assert ours["created"]["poolInfo"] == {"poolId": POOL_ID}
    assert ours["created"]["executionInfo"] == {"poolId": POOL_ID}
    assert ours["created"]["metadata"] == [
        {"name": "owner", "value": "diff"},
        {"name": "step", "value": "create"},
    ]
    assert ours["patched"]["priority"] == 100
    assert ours["patched"]["metadata"] == [{"name": "step", "value": "patch"}]
    assert ours["stale_patch"] == (412, "ConditionNotMet")
    assert ours["stale_patch_is_modified_error"] is True
    assert ours["replaced"]["priority"] == 0
    assert ours["replaced"]["maxParallelTasks"] == 4
    assert "metadata" not in ours["replaced"]
    assert ours["etags_distinct"] is True
    assert ours["missing"] == (404, "JobNotFound")
    assert ours["duplicate"] == (409, "JobExists")
    assert ours["after_delete"] == (404, "JobNotFound")
    # No request of either client was refused for its signature.
    assert batch_emulator.request_log.count(status=403) == 0


async def test_each_client_reads_what_the_other_wrote(
    batch_emulator: BatchEmulator, ms_client: Any, az_client: BatchClient
) -> None:
    await ms_client.create_job(
        ms_models.BatchJobCreateOptions(
            id="written-by-ms",
            pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID),
            priority=-5,
            max_parallel_tasks=3,
            metadata=[ms_models.BatchMetadataItem(name="from", value="azure-batch")],
        )
    )
    await az_client.jobs.add(
        new_job("written-by-az", priority=-5, max_parallel_tasks=3, metadata=metadata(**{"from": "azbatch"}))
    )
    for job_id in ("written-by-ms", "written-by-az"):
        theirs = await ms_client.get_job(job_id)
        ours = await az_client.jobs.get(job_id)
        # The same wire document, decoded and kept by both libraries.
        assert dict(theirs.as_dict()) == dict(ours.as_dict())
        assert (theirs.id, theirs.etag, theirs.priority, theirs.max_parallel_tasks) == (
            ours.id,
            ours.etag,
            ours.priority,
            ours.max_parallel_tasks,
        )
        assert theirs.state == ours.state == "active"
        assert theirs.pool_info.pool_id == ours.pool_info.pool_id == POOL_ID  # type: ignore[union-attr]
        assert theirs.last_modified == ours.last_modified
        assert theirs.creation_time == ours.creation_time
    assert metadata_dict((await az_client.jobs.get("written-by-ms")).metadata) == {"from": "azure-batch"}

    # An ETag from one client is a valid condition for the other.
    etag = (await ms_client.get_job("written-by-az")).etag
    result = await az_client.jobs.patch(
        "written-by-az",
        models.JobPatchParameter(priority=1),
        etag=etag,
        match_condition=MatchConditions.IfNotModified,
    )
    await ms_client.update_job(
        "written-by-az",
        ms_models.BatchJobUpdateOptions(priority=2),
        etag=result.etag,
        match_condition=MatchConditions.IfNotModified,
    )
    assert (await az_client.jobs.get("written-by-az")).priority == 2

    # Both list both jobs, in the same order.
    ms_ids = [
        job.id async for job in ms_client.list_jobs(filter="startswith(id,'written-by-')", max_results=1)
    ]
    az_ids = [
        job.id async for job in az_client.jobs.list(filter="startswith(id,'written-by-')", max_results=1)
    ]
    assert ms_ids == az_ids == ["written-by-az", "written-by-ms"]


async def test_error_codes_agree_while_classes_differ_by_design(
    batch_emulator: BatchEmulator, ms_client: Any, az_client: BatchClient
) -> None:
    await az_client.jobs.add(new_job("finished"))
    batch_emulator.store.force_state("finished", "completed")

    # 409 for a state conflict: the same code; 15.1 calls every 409 ResourceExistsError.
    with pytest.raises(ResourceExistsError) as theirs:
        await ms_client.update_job("finished", ms_models.BatchJobUpdateOptions(priority=1))
    with pytest.raises(BatchConflictError) as ours:
        await az_client.jobs.patch("finished", models.JobPatchParameter(priority=1))
    assert not isinstance(ours.value, ResourceExistsError)
    assert theirs.value.error.code == ours.value.code == "JobCompleted"
    assert theirs.value.status_code == ours.value.status_code == 409

    # 304 on a conditional read: the same status; 15.1 calls it ResourceModifiedError.
    etag = (await az_client.jobs.get("finished")).etag
    with pytest.raises(ResourceModifiedError) as theirs_304:
        await ms_client.get_job("finished", etag=etag, match_condition=MatchConditions.IfModified)
    with pytest.raises(ResourceNotModifiedError) as ours_304:
        await az_client.jobs.get("finished", etag=etag, match_condition=MatchConditions.IfModified)
    assert theirs_304.value.status_code == ours_304.value.status_code == 304

    # 403 for a wrong key: the same code; 15.1 maps only 401 to ClientAuthenticationError.
    wrong = (batch_emulator.account, generate_key())
    async with ms_aio.BatchClient(batch_emulator.endpoint, AzureNamedKeyCredential(*wrong)) as ms_wrong:
        with pytest.raises(HttpResponseError) as theirs_403:
            await ms_wrong.get_job("finished")
    async with new_client(batch_emulator, AzureNamedKeyCredential(*wrong)) as az_wrong:
        with pytest.raises(ClientAuthenticationError) as ours_403:
            await az_wrong.jobs.get("finished")
    assert theirs_403.value.status_code == ours_403.value.status_code == 403
    assert theirs_403.value.error.code == "AuthenticationFailed"
    assert ours_403.value.error is not None and ours_403.value.error.code == "AuthenticationFailed"


async def test_azure_batch_long_running_operations_poll_the_emulator(
    batch_emulator: BatchEmulator, ms_client: Any, az_client: BatchClient
) -> None:
    """15.1's begin_* pollers read the job state the emulator moves through."""
    await ms_client.create_job(
        ms_models.BatchJobCreateOptions(id="lro", pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID))
    )
    poller = await ms_client.begin_disable_job(
        "lro", ms_models.BatchJobDisableOptions(disable_tasks="requeue"), polling_interval=POLL_S
    )
    await poller.result()
    assert (await az_client.jobs.get("lro")).state == "disabled"

    poller = await ms_client.begin_enable_job("lro", polling_interval=POLL_S)
    await poller.result()
    assert (await az_client.jobs.get("lro")).state == "active"

    # 15.1 takes a BatchJobTerminateOptions but does not export it from azure.batch.models.
    terminate_options = (
        getattr(ms_models, "BatchJobTerminateOptions", None) or ms_models._models.BatchJobTerminateOptions
    )
    poller = await ms_client.begin_terminate_job(
        "lro", terminate_options(termination_reason="differential"), polling_interval=POLL_S
    )
    await poller.result()
    job = await az_client.jobs.get("lro")
    assert job.state == "completed"
    assert job.execution_info is not None and job.execution_info.terminate_reason == "differential"

    poller = await ms_client.begin_delete_job("lro", polling_interval=POLL_S)
    await poller.result()
    with pytest.raises(ResourceNotFoundError):
        await az_client.jobs.get("lro")


async def test_azure_batch_pages_through_next_links(batch_emulator: BatchEmulator, ms_client: Any) -> None:
    """15.1 rebuilds each next link (parse, re-quote, force its api-version) and signs it itself."""
    ids = sorted(f"link-{uuid.uuid4().hex[:8]}" for _ in range(7))
    for job_id in ids:
        batch_emulator.store.seed_job({"id": job_id, "poolInfo": {"poolId": POOL_ID}})
    batch_emulator.request_log.reset()
    pages = 0
    seen: list[str] = []
    async for page in ms_client.list_jobs(
        filter="startswith(id,'link-') and state eq 'active'",
        select=["id", "state"],
        max_results=3,
        service_timeout=5,
    ).by_page():
        pages += 1
        seen.extend([job.id async for job in page])
    assert seen == ids
    assert pages >= 3
    assert batch_emulator.request_log.count(operation="list") == batch_emulator.request_log.count(
        operation="list", status=200
    )


async def test_azure_batch_sync_client_against_a_threaded_emulator(
    batch_emulator_thread: BatchEmulator,
) -> None:
    import azure.batch

    with azure.batch.BatchClient(batch_emulator_thread.endpoint, batch_emulator_thread.credential) as client:
        client.create_job(
            ms_models.BatchJobCreateOptions(id="sync-ms", pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID))
        )
        assert client.get_job("sync-ms").state == "active"
        assert [job.id for job in client.list_jobs(max_results=1)] == ["sync-ms"]
        client.begin_delete_job("sync-ms", polling_interval=POLL_S).result()
        with pytest.raises(ResourceNotFoundError):
            client.get_job("sync-ms")


async def test_azure_batch_replace_with_a_fetched_job(ms_client: Any) -> None:
    await ms_client.create_job(
        ms_models.BatchJobCreateOptions(id="round-trip", pool_info=ms_models.BatchPoolInfo(pool_id=POOL_ID))
    )
    job = await ms_client.get_job("round-trip")
    job.priority = 77
    await ms_client.replace_job("round-trip", job)
    assert (await ms_client.get_job("round-trip")).priority == 77
    # The fetched job carried the response's odata.metadata annotation back in the PUT body; the emulator,
    # like an OData service, ignores annotations rather than rejecting them as unknown properties.
