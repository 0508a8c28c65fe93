"""azure-core's retry policy in the async client, driven by faults the emulator injects on the wire.

The emulator's fault rules count how often they fired and its request log counts every answered
request (status 0 = a connection reset on purpose), so each test checks how many attempts were made.
Backoff is near zero (``retry_backoff_factor=0.01``). Waits are never measured with a clock (a loaded CI
machine makes timed asserts flaky): where a wait matters, :func:`record_sleeps` records the seconds the
retry policy asked the transport to sleep, without sleeping; a slow answer is shown to be skipped by a
read timeout shorter than its delay firing and a longer one not firing.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import (
    ServiceResponseTimeoutError,
)

from azbatch import BatchServiceError, models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator

from .conftest import new_client, new_job, record_sleeps, unique_id

pytestmark = pytest.mark.batch_emulator(transition_ms=0)


async def add_job(client: BatchClient) -> str:
    job_id = unique_id("retry")
    await client.jobs.add(new_job(job_id))
    return job_id


# ------------------------------------------------------------------------------ retried status codes


async def test_503_with_retry_after_is_honoured_then_succeeds(
    client: BatchClient, batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = await add_job(client)
    slept = record_sleeps(client, monkeypatch)
    rule = batch_emulator.faults.server_busy(operation="get", times=1, retry_after=7)
    job = await client.jobs.get(job_id)
    assert job.id == job_id
    assert rule.fired == 1
    assert batch_emulator.request_log.count(operation="get", status=503) == 1
    assert batch_emulator.request_log.count(operation="get", status=200) == 1
    # One wait, of exactly the Retry-After seconds (the backoff alone would be 0 on a first retry).
    assert slept == [7]


async def test_429_on_a_post_is_retried_because_of_retry_after(
    client: BatchClient, batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST is not idempotent, so azure-core retries a 429 on it only because Retry-After says so."""
    slept = record_sleeps(client, monkeypatch)
    rule = batch_emulator.faults.throttle(operation="add", times=1, retry_after=1)
    job_id = unique_id("throttled")
    result = await client.jobs.add(new_job(job_id))
    assert slept == [1]  # the Retry-After wait was asked for before the second attempt
    assert result.etag
    assert rule.fired == 1
    assert batch_emulator.request_log.count(operation="add", status=429) == 1
    assert batch_emulator.request_log.count(operation="add", status=201) == 1
    assert batch_emulator.store.job_ids() == [job_id]


async def test_429_then_success_on_reads_and_listings(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = await add_job(client)
    # Retry-After: 0 is present (so the 429 is retryable) but asks for no wait: the tiny backoff applies.
    rule = batch_emulator.faults.throttle(operation="list", times=2, retry_after=0)
    assert [job.id async for job in client.jobs.list()] == [job_id]
    assert rule.fired == 2
    assert batch_emulator.request_log.count(operation="list", status=429) == 2
    assert batch_emulator.request_log.count(operation="list", status=200) == 1

    counts_rule = batch_emulator.faults.throttle(operation="get_task_counts", times=1, retry_after=None)
    await client.jobs.get_task_counts(job_id)
    assert counts_rule.fired == 1


async def test_500_then_success(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    job_id = await add_job(client)
    get_rule = batch_emulator.faults.internal_error(operation="get", times=2)
    assert (await client.jobs.get(job_id)).id == job_id
    assert get_rule.fired == 2
    assert batch_emulator.request_log.count(operation="get", status=500) == 2

    # azure-core retries a 500 even on PATCH; the fault answered before the store, so it applies once.
    before = (await client.jobs.get(job_id)).etag
    patch_rule = batch_emulator.faults.internal_error(operation="patch", times=1)
    result = await client.jobs.patch(job_id, models.JobPatchParameter(priority=42))
    assert patch_rule.fired == 1
    assert batch_emulator.request_log.count(operation="patch", status=500) == 1
    assert batch_emulator.request_log.count(operation="patch", status=200) == 1
    job = await client.jobs.get(job_id)
    assert (job.priority, job.etag) == (42, result.etag)
    assert job.etag != before


async def test_503_without_retry_after_on_writes(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    rule = batch_emulator.faults.server_busy(method="POST", times=2, retry_after=None)
    job_id = await add_job(client)  # POST /jobs: 503, 503, 201
    await client.jobs.disable(job_id, "requeue")  # POST .../disable: first try
    assert rule.fired == 2
    assert batch_emulator.request_log.count(operation="add", status=503) == 2
    assert batch_emulator.request_log.count(operation="add", status=201) == 1
    assert batch_emulator.request_log.count(operation="disable") == 1
    assert (await client.jobs.get(job_id)).state == "disabled"


async def test_retries_exhausted_surface_the_last_error(batch_emulator: BatchEmulator) -> None:
    rule = batch_emulator.faults.internal_error(operation="get", times=None)
    async with new_client(batch_emulator, retry_total=2) as client:
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("anything")
    err = caught.value
    assert type(err) is BatchServiceError
    assert (err.status_code, err.code) == (500, "InternalError")
    assert err.request_id
    assert rule.fired == 3  # the first try and two retries
    assert batch_emulator.request_log.count(operation="get", status=500) == 3


@pytest.mark.parametrize("retry_after", [0, 1])
async def test_429_until_retries_are_exhausted(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch, retry_after: int
) -> None:
    """Throttled on every attempt: after the one retry allowed, the last 429 reaches the caller."""
    rule = batch_emulator.faults.throttle(operation="get", times=None, retry_after=retry_after)
    async with new_client(batch_emulator, retry_total=1) as client:
        slept = record_sleeps(client, monkeypatch)
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("anything")
    err = caught.value
    assert type(err) is BatchServiceError
    assert (err.status_code, err.code) == (429, "TooManyRequests")
    assert err.request_id
    assert err.response is not None and err.response.headers.get("Retry-After") == str(retry_after)
    assert rule.fired == 2  # the first try and one retry
    assert batch_emulator.request_log.count(operation="get", status=429) == 2
    assert batch_emulator.request_log.count(operation="get") == 2
    # One wait before the retry and none after the last attempt: Retry-After: 1 is honoured as is;
    # Retry-After: 0 asks for none, and the first retry's exponential backoff is 0 too.
    assert slept == ([1] if retry_after else [])


async def test_retry_total_zero_surfaces_server_busy(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    rule = batch_emulator.faults.server_busy(operation="get", times=1, retry_after=1)
    async with new_client(batch_emulator, retry_total=0) as client:
        slept = record_sleeps(client, monkeypatch)
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("anything")
        assert slept == []  # no Retry-After wait when no retry is left
        err = caught.value
        assert type(err) is BatchServiceError
        assert (err.status_code, err.code) == (503, "ServerBusy")
        assert err.response is not None and err.response.headers.get("Retry-After") == "1"
        assert err.request_id
        assert rule.fired == 1
        # The rule is used up: the next call goes through (404, the job does not exist).
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("anything")
        assert caught.value.code == "JobNotFound"
    assert batch_emulator.request_log.count(operation="get") == 2


async def test_per_call_retry_total_overrides_the_client(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = await add_job(client)
    batch_emulator.faults.server_busy(operation="get", times=1, retry_after=None)
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.get(job_id, retry_total=0)
    assert caught.value.code == "ServerBusy"
    assert (await client.jobs.get(job_id)).id == job_id


# -------------------------------------------------------------------------------- non-retryable


async def test_a_400_is_not_retried(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.add(new_job(unique_id("bad"), priority=5000))
    assert (caught.value.status_code, caught.value.code) == (400, "InvalidPropertyValue")
    assert batch_emulator.request_log.count(operation="add") == 1

    with pytest.raises(BatchServiceError):
        [job async for job in client.jobs.list(filter="nonsense eq 1")]
    assert batch_emulator.request_log.count(operation="list") == 1


async def test_404_and_409_are_not_retried(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    job_id = await add_job(client)
    with pytest.raises(BatchServiceError):
        await client.jobs.add(new_job(job_id))
    with pytest.raises(BatchServiceError):
        await client.jobs.get("not-there")
    assert batch_emulator.request_log.count(operation="add", status=409) == 1
    assert batch_emulator.request_log.count(operation="get", status=404) == 1


# ---------------------------------------------------------------------------------- connection faults


async def test_reset_before_the_response_is_retried(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = await add_job(client)
    rule = batch_emulator.faults.reset_before_response(operation="get", times=2)
    assert (await client.jobs.get(job_id)).id == job_id
    assert rule.fired == 2
    assert batch_emulator.request_log.count(operation="get", status=0) == 2
    assert batch_emulator.request_log.count(operation="get", status=200) == 1

    # PUT is idempotent too: retried after a reset.
    put_rule = batch_emulator.faults.reset_before_response(operation="update", times=1)
    await client.jobs.update(
        job_id, models.JobUpdateParameter(pool_info=new_job(job_id).pool_info, priority=12)
    )
    assert put_rule.fired == 1
    assert (await client.jobs.get(job_id)).priority == 12


async def test_reset_after_headers_is_retried_for_a_get(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    job_id = await add_job(client)
    rule = batch_emulator.faults.reset_after_headers(operation="get", times=1)
    job = await client.jobs.get(job_id)
    assert job.id == job_id and job.state == "active"
    assert rule.fired == 1
    assert batch_emulator.request_log.count(operation="get", status=0) == 1
    assert batch_emulator.request_log.count(operation="get", status=200) == 1


async def test_a_reset_in_the_middle_of_a_listing_is_retried(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    ids = sorted(unique_id("page") for _ in range(5))
    for job_id in ids:
        await client.jobs.add(new_job(job_id))
    pages = client.jobs.list(max_results=2).by_page()
    seen = [job.id async for job in await pages.__anext__()]
    # Faults for the next page requests only: a reset after the head, then one before any byte.
    after = batch_emulator.faults.reset_after_headers(operation="list", times=1)
    before = batch_emulator.faults.reset_before_response(operation="list", times=1)
    async for page in pages:
        seen.extend([job.id async for job in page])
    assert seen == ids
    assert (after.fired, before.fired) == (1, 1)
    assert batch_emulator.request_log.count(operation="list", status=0) == 2


async def test_a_reset_on_a_post_is_retried(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    """The Batch retry policy retries a POST after a connection error too (with reset_before the add
    was not applied, so the retry simply creates the job)."""
    job_id = unique_id("post")
    rule = batch_emulator.faults.reset_before_response(operation="add", times=1)
    await client.jobs.add(new_job(job_id))
    assert rule.fired == 1
    assert batch_emulator.request_log.count(operation="add") == 2
    assert batch_emulator.store.job_ids() == [job_id]


def answered_gets(emulator: BatchEmulator) -> list[str | None]:
    """The fault kind (None: no fault) of every get the emulator has answered so far, oldest first."""
    recent = emulator.request_log.snapshot()["recent"]
    return [entry["fault"] for entry in recent if entry["operation"] == "Job_Get"]


async def test_a_slow_answer_times_out_and_is_retried(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    """A read timeout shorter than the delay fires (and the retry, not delayed, answers); one longer than
    the delay does not fire (the delayed answer itself arrives). No clock is read: the client and the
    emulator share one event loop, and the client's read timer is armed before the emulator's delay
    starts, so a timeout shorter than the delay always fires first."""
    job_id = await add_job(client)

    # Longer than the delay: one request, answered late but normally, and nothing retried. (First, so
    # that no earlier delayed answer is still pending and logged meanwhile.)
    rule = batch_emulator.faults.slow(100, operation="get", times=1)
    job = await client.jobs.get(job_id, read_timeout=30)
    assert job.id == job_id
    assert rule.fired == 1
    assert answered_gets(batch_emulator) == ["delay"]

    # Shorter than the delay, no retry left: the timeout surfaces.
    rule = batch_emulator.faults.slow(800, operation="get", times=1)
    with pytest.raises(ServiceResponseTimeoutError):
        await client.jobs.get(job_id, read_timeout=0.2, retry_total=0)
    assert rule.fired == 1

    # Shorter than the delay, retries allowed: the attempt times out and the retry answers. Had the
    # client waited for the slow answer, no second (unfaulted) request would have been made.
    rule = batch_emulator.faults.slow(800, operation="get", times=1)
    job = await client.jobs.get(job_id, read_timeout=0.2)
    assert job.id == job_id
    assert rule.fired == 1
    assert None in answered_gets(batch_emulator)  # the retry was answered without the delay


@pytest.mark.batch_emulator(transition_ms=60_000)
async def test_a_reset_after_an_applied_delete_counts_as_done(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    """DELETE is retried after a reset, but the first attempt was applied: the retry finds the job
    already deleting, which the client reports as the delete's success (docs/reliability.md)."""
    job_id = await add_job(client)
    rule = batch_emulator.faults.reset_after_headers(operation="delete", times=1)
    result = await client.jobs.delete(job_id)
    assert result.etag  # fetched from the job, which still exists while it is being deleted
    assert rule.fired == 1
    assert batch_emulator.request_log.count(operation="delete", status=0) == 1
    assert batch_emulator.request_log.count(operation="delete", status=409) == 1
    assert (await client.jobs.get(job_id)).state == "deleting"
