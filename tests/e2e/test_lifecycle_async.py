"""A whole job lifecycle through ``azbatch.aio.BatchClient`` and its default aiohttp transport.

Every call goes over a loopback socket to the emulator, signed with Shared Key; nothing is mocked.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from azbatch import BatchResourceNotFoundError, JobWriteResult, models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator

from .conftest import POOL_ID, metadata, metadata_dict, new_job, unique_id, wait_for_state

pytestmark = pytest.mark.batch_emulator(transition_ms=100)


def assert_write_result(result: JobWriteResult, emulator: BatchEmulator, job_id: str) -> None:
    """A write answered with the job's ETag, Last-Modified, a request id and the job's URL."""
    assert isinstance(result, JobWriteResult)
    assert result.etag and result.etag.startswith("0x")
    assert isinstance(result.last_modified, datetime.datetime)
    assert result.last_modified.tzinfo is not None
    assert result.request_id
    uuid.UUID(result.request_id)
    assert result.data_service_id == f"{emulator.endpoint}/jobs/{job_id}"
    assert result.client_request_id is None  # not asked to echo it


async def test_whole_lifecycle(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    job_id = unique_id("life")
    etags: list[str] = []

    # add
    added = await client.jobs.add(
        new_job(
            job_id,
            display_name="lifecycle",
            priority=10,
            max_parallel_tasks=2,
            metadata=metadata(owner="e2e", stage="add"),
            constraints=models.JobConstraints(
                max_wall_clock_time=datetime.timedelta(hours=1), max_task_retry_count=3
            ),
        )
    )
    assert_write_result(added, batch_emulator, job_id)
    etags.append(str(added.etag))

    # get
    job = await client.jobs.get(job_id)
    assert job.id == job_id
    assert job.state == models.JobState.ACTIVE
    assert job.display_name == "lifecycle"
    assert job.priority == 10
    assert job.max_parallel_tasks == 2
    assert job.pool_info is not None and job.pool_info.pool_id == POOL_ID
    assert job.execution_info is not None and job.execution_info.pool_id == POOL_ID
    assert job.constraints is not None
    assert job.constraints.max_wall_clock_time == datetime.timedelta(hours=1)
    assert job.constraints.max_task_retry_count == 3
    assert metadata_dict(job.metadata) == {"owner": "e2e", "stage": "add"}
    assert job.etag == added.etag
    # The header is RFC 1123 (whole seconds); the body keeps the sub-second digits.
    assert job.last_modified is not None and added.last_modified is not None
    assert job.last_modified.replace(microsecond=0) == added.last_modified
    assert job.url == added.data_service_id
    assert job.previous_state is None

    # patch: merge
    patched = await client.jobs.patch(
        job_id, models.JobPatchParameter(priority=100, metadata=metadata(stage="patch"))
    )
    assert_write_result(patched, batch_emulator, job_id)
    etags.append(str(patched.etag))
    job = await client.jobs.get(job_id)
    assert job.priority == 100
    assert job.max_parallel_tasks == 2  # untouched by the merge
    assert job.constraints is not None and job.constraints.max_task_retry_count == 3
    assert metadata_dict(job.metadata) == {"stage": "patch"}  # a given list replaces the old one
    assert job.etag == patched.etag

    # update (PUT): omitted properties return to their defaults
    updated = await client.jobs.update(
        job_id,
        models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID), max_parallel_tasks=5),
    )
    assert_write_result(updated, batch_emulator, job_id)
    etags.append(str(updated.etag))
    job = await client.jobs.get(job_id)
    assert job.priority == 0
    assert job.max_parallel_tasks == 5
    assert not job.metadata
    assert job.constraints is not None
    assert job.constraints.max_task_retry_count == 0
    assert job.allow_task_preemption is False
    assert job.on_all_tasks_complete == models.OnAllTasksComplete.NO_ACTION
    assert job.display_name == "lifecycle"  # not an updatable property: kept

    # disable: disabling, then disabled
    disabled = await client.jobs.disable(job_id, models.DisableJobOption.REQUEUE)
    assert_write_result(disabled, batch_emulator, job_id)
    etags.append(str(disabled.etag))
    seen: list[str] = []
    job = await wait_for_state(client, job_id, "disabled", seen=seen)
    assert seen == ["disabling", "disabled"]
    assert job.previous_state == models.JobState.ACTIVE
    etags.append(str(job.etag))  # the transition itself is a change

    # enable: enabling, then active
    enabled = await client.jobs.enable(job_id)
    assert_write_result(enabled, batch_emulator, job_id)
    etags.append(str(enabled.etag))
    seen = []
    job = await wait_for_state(client, job_id, "active", seen=seen)
    assert seen == ["enabling", "active"]
    assert job.previous_state == models.JobState.DISABLED

    # terminate: terminating, then completed with the reason
    terminated = await client.jobs.terminate(job_id, "e2e finished")
    assert_write_result(terminated, batch_emulator, job_id)
    etags.append(str(terminated.etag))
    seen = []
    job = await wait_for_state(client, job_id, "completed", seen=seen)
    assert seen == ["terminating", "completed"]
    assert job.execution_info is not None
    assert job.execution_info.terminate_reason == "e2e finished"
    assert job.execution_info.end_time is not None
    assert job.execution_info.start_time is not None
    assert job.execution_info.end_time >= job.execution_info.start_time

    # every write produced a new ETag
    assert len(set(etags)) == len(etags), etags

    # delete: accepted, deleting for a while, then gone
    deleted = await client.jobs.delete(job_id)
    assert deleted.etag is None and deleted.last_modified is None and deleted.data_service_id is None
    assert deleted.request_id
    job = await client.jobs.get(job_id)
    assert job.state == models.JobState.DELETING
    with pytest.raises(BatchResourceNotFoundError) as caught:
        await wait_for_state(client, job_id, "gone")
    assert caught.value.code == "JobNotFound"
    assert caught.value.status_code == 404
    assert job_id not in batch_emulator.store.job_ids()


async def test_list_with_filter_pages_over_more_than_two_pages(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    wanted = sorted(f"page-{i}-{uuid.uuid4().hex[:6]}" for i in range(7))
    for job_id in wanted:
        await client.jobs.add(new_job(job_id))
    for job_id in ("other-a", "other-b", "zzz-last"):
        await client.jobs.add(new_job(job_id))
    batch_emulator.request_log.reset()

    found = [job.id async for job in client.jobs.list(filter="startswith(id,'page-')", max_results=3)]
    assert found == wanted
    pages_fetched = batch_emulator.request_log.count(operation="list", status=200)
    assert pages_fetched >= 3

    # page by page: no page is larger than max_results and the pages add up to the same jobs
    batch_emulator.request_log.reset()
    sizes: list[int] = []
    ids: list[str] = []
    async for page in client.jobs.list(
        filter="startswith(id,'page-')", select=["id", "state"], max_results=3
    ).by_page():
        items = [job async for job in page]
        sizes.append(len(items))
        ids.extend(str(job.id) for job in items)
        for job in items:
            assert job.state == models.JobState.ACTIVE
            assert job.priority is None  # not selected
    assert ids == wanted
    assert len(sizes) >= 3 and all(size <= 3 for size in sizes)
    assert batch_emulator.request_log.count(operation="list") == len(sizes)

    # unfiltered: everything
    everything = [job.id async for job in client.jobs.list(max_results=4)]
    assert sorted(everything, key=str.lower) == everything
    assert set(everything) == {*wanted, "other-a", "other-b", "zzz-last"}


async def test_list_resumes_from_a_continuation_token(client: BatchClient) -> None:
    ids = [f"resume-{i}" for i in range(7)]
    for job_id in ids:
        await client.jobs.add(new_job(job_id))
    pages = client.jobs.list(max_results=3).by_page()
    first = [job.id async for job in await pages.__anext__()]
    token = pages.continuation_token
    assert first == ids[:3]
    assert token
    resumed = client.jobs.list(max_results=3).by_page(continuation_token=token)
    rest = [job.id async for page in resumed async for job in page]
    assert rest == ids[3:]


async def test_get_with_select_and_expand_stats(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    job_id = unique_id("sel")
    await client.jobs.add(new_job(job_id, priority=7))
    batch_emulator.store.set_task_counts(job_id, {"completed": 5, "succeeded": 4, "failed": 1})

    selected = await client.jobs.get(job_id, select=["id", "state", "executionInfo/poolId"])
    assert selected.id == job_id
    assert selected.state == models.JobState.ACTIVE
    assert selected.priority is None
    assert selected.pool_info is None
    assert selected.stats is None

    same = await client.jobs.get(job_id, select="id,priority")
    assert (same.id, same.priority, same.state) == (job_id, 7, None)

    with_stats = await client.jobs.get(job_id, expand="stats")
    assert with_stats.priority == 7
    stats = with_stats.stats
    assert stats is not None
    assert stats.num_succeeded_tasks == 4
    assert stats.num_failed_tasks == 1
    assert stats.num_task_retries == 0
    assert (stats.read_iops, stats.write_iops, stats.read_io_gi_b) == (0, 0, 0.0)
    assert stats.wall_clock_time == datetime.timedelta(0)
    assert stats.url == with_stats.url

    without = await client.jobs.get(job_id)
    assert without.stats is None


async def test_get_task_counts_with_seeded_counts(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    job_id = unique_id("counts")
    await client.jobs.add(new_job(job_id))

    empty = await client.jobs.get_task_counts(job_id)
    assert empty.task_counts is not None
    assert (empty.task_counts.active, empty.task_counts.running, empty.task_counts.completed) == (0, 0, 0)

    batch_emulator.store.set_task_counts(
        job_id,
        {"active": 3, "running": 2, "completed": 9, "succeeded": 8, "failed": 1},
        {"active": 6, "running": 4, "completed": 18, "succeeded": 16, "failed": 2},
    )
    result = await client.jobs.get_task_counts(job_id)
    counts, slots = result.task_counts, result.task_slot_counts
    assert counts is not None and slots is not None
    assert (counts.active, counts.running, counts.completed, counts.succeeded, counts.failed) == (
        3,
        2,
        9,
        8,
        1,
    )
    assert (slots.active, slots.running, slots.completed, slots.succeeded, slots.failed) == (6, 4, 18, 16, 2)


def _prep_entry(node: str, exit_code: int, *, release: bool = False) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "nodeId": node,
        "jobPreparationTaskExecutionInfo": {
            "startTime": "2024-05-01T10:00:00.1234567Z",
            "endTime": "2024-05-01T10:00:05Z",
            "state": "completed",
            "taskRootDirectory": f"/mnt/batch/tasks/{node}/jobpreparation",
            "exitCode": exit_code,
            "retryCount": 0,
            "result": "success" if exit_code == 0 else "failure",
        },
    }
    if release:
        entry["jobReleaseTaskExecutionInfo"] = {
            "startTime": "2024-05-01T11:00:00Z",
            "state": "running",
        }
    return entry


async def test_list_preparation_and_release_task_status_with_seeded_status(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = unique_id("prep")
    await client.jobs.add(
        new_job(
            job_id,
            job_preparation_task=models.JobPreparationTask(command_line="/bin/true"),
            job_release_task=models.JobReleaseTask(command_line="/bin/true"),
        )
    )
    job = await client.jobs.get(job_id)
    assert job.job_preparation_task is not None and job.job_preparation_task.id == "jobpreparation"
    assert job.job_release_task is not None and job.job_release_task.id == "jobrelease"

    nodes = [f"tvm-{i}" for i in range(5)]
    batch_emulator.store.set_prep_release_status(
        job_id, [_prep_entry(node, 1 if node == "tvm-3" else 0, release=node == "tvm-0") for node in nodes]
    )

    pages = 0
    entries: list[models.JobPreparationAndReleaseTaskExecutionInformation] = []
    async for page in client.jobs.list_preparation_and_release_task_status(job_id, max_results=2).by_page():
        pages += 1
        entries.extend([entry async for entry in page])
    assert pages >= 3
    assert [entry.node_id for entry in entries] == nodes
    first = entries[0]
    assert first.pool_id == POOL_ID
    assert first.node_url and first.node_url.endswith("tvm-0")
    prep = first.job_preparation_task_execution_info
    assert prep is not None
    assert prep.state == models.JobPreparationTaskState.COMPLETED
    assert prep.exit_code == 0
    assert prep.start_time == datetime.datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=datetime.timezone.utc)
    release = first.job_release_task_execution_info
    assert release is not None and release.state == models.JobReleaseTaskState.RUNNING
    assert entries[1].job_release_task_execution_info is None

    failed = [
        entry.node_id
        async for entry in client.jobs.list_preparation_and_release_task_status(
            job_id, filter="jobPreparationTaskExecutionInfo/exitCode ne 0"
        )
    ]
    assert failed == ["tvm-3"]


async def test_list_from_job_schedule_with_a_seeded_schedule(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    batch_emulator.store.add_job_schedule("nightly")
    batch_emulator.store.add_job_schedule("empty-schedule")
    in_schedule = [f"nightly-job-{i}" for i in range(5)]
    for job_id in in_schedule:
        batch_emulator.store.seed_job({"id": job_id, "poolInfo": {"poolId": POOL_ID}}, schedule_id="nightly")
    batch_emulator.store.seed_job(
        {"id": "nightly-job-9", "poolInfo": {"poolId": POOL_ID}},
        schedule_id="nightly",
        state="completed",
        terminate_reason="TerminateJobSchedule",
    )
    await client.jobs.add(new_job("nightly-job-outside"))  # same prefix, not in the schedule

    listed = [job.id async for job in client.jobs.list_from_job_schedule("nightly", max_results=2)]
    assert listed == [*in_schedule, "nightly-job-9"]

    active = [
        job.id
        async for job in client.jobs.list_from_job_schedule(
            "nightly", filter="state eq 'active'", max_results=2
        )
    ]
    assert active == in_schedule

    completed = [
        job async for job in client.jobs.list_from_job_schedule("nightly", filter="state eq 'completed'")
    ]
    assert [job.id for job in completed] == ["nightly-job-9"]
    assert completed[0].execution_info is not None
    assert completed[0].execution_info.terminate_reason == "TerminateJobSchedule"

    assert [job async for job in client.jobs.list_from_job_schedule("empty-schedule")] == []


async def test_client_request_id_is_echoed_when_asked(client: BatchClient) -> None:
    job_id = unique_id("crid")
    request_id = str(uuid.uuid4())
    added = await client.jobs.add(
        new_job(job_id), client_request_id=request_id, return_client_request_id=True
    )
    assert added.client_request_id == request_id

    # not asked: not echoed
    patched = await client.jobs.patch(
        job_id, models.JobPatchParameter(priority=1), client_request_id=str(uuid.uuid4())
    )
    assert patched.client_request_id is None

    # a read: look at the response headers through cls
    other_id = str(uuid.uuid4())

    def headers_of(pipeline_response: Any, result: Any, headers: Any) -> tuple[Any, Any]:
        return result, headers

    job, headers = await client.jobs.get(
        job_id, client_request_id=other_id, return_client_request_id=True, cls=headers_of
    )
    assert job.id == job_id
    assert headers["client-request-id"] == other_id
    assert headers["request-id"] and headers["request-id"] != other_id
    assert headers["ETag"] == job.etag

    # a listing: echoed on every page
    seen: list[str] = []

    def hook(response: Any) -> None:  # azure-core calls the hook synchronously, in both pipelines
        seen.append(response.http_response.headers.get("client-request-id"))

    listing = client.jobs.list(
        client_request_id=other_id, return_client_request_id=True, max_results=1, raw_response_hook=hook
    )
    assert [job.id async for job in listing] == [job_id]
    assert seen and all(value == other_id for value in seen)


async def test_etag_and_last_modified_move_forward_on_every_write(client: BatchClient) -> None:
    job_id = unique_id("etag")
    results = [await client.jobs.add(new_job(job_id))]
    for priority in (1, 2, 3):
        results.append(await client.jobs.patch(job_id, models.JobPatchParameter(priority=priority)))
    etags = [result.etag for result in results]
    assert len(set(etags)) == len(etags)
    stamps = [result.last_modified for result in results]
    assert all(stamp is not None for stamp in stamps)
    assert stamps == sorted(stamps)  # type: ignore[type-var]
    request_ids = [result.request_id for result in results]
    assert len(set(request_ids)) == len(request_ids)
    job = await client.jobs.get(job_id)
    assert (job.etag, job.priority) == (etags[-1], 3)
