"""Every error the emulator produces for job operations, as the async client raises it, plus conditions.

Each failure travels over the socket as a Batch error body and must come out as the right exception
class (and azure-core base class) with ``code``, ``status_code``, ``request_id`` and ``model.values``.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
)
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.rest import HttpRequest

from azbatch import (
    BatchConflictError,
    BatchErrorCode,
    BatchResourceExistsError,
    BatchResourceModifiedError,
    BatchResourceNotFoundError,
    BatchResourceNotModifiedError,
    BatchServiceError,
    models,
)
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator
from azbatch.exceptions import error_from_response

from .conftest import POOL_ID, new_job, unique_id

# retry_total=0 on the client: none of these errors is retryable, and a retry would hide a wrong status.
pytestmark = pytest.mark.batch_emulator(transition_ms=0)

NOW = datetime.datetime.now(datetime.timezone.utc)
AN_HOUR = datetime.timedelta(hours=1)


@pytest.fixture
async def client(batch_emulator: BatchEmulator) -> Any:
    async with BatchClient(batch_emulator.endpoint, batch_emulator.credential, retry_total=0) as opened:
        yield opened


def values_of(err: BatchServiceError) -> dict[str, str | None]:
    assert err.model is not None, "a Batch error body was expected"
    return {str(value.key): value.value for value in err.model.values or []}


def assert_batch_error(err: BatchServiceError, status: int, code: str) -> None:
    """The common shape: status, code (also via .error), request id, message with the request id."""
    assert err.status_code == status
    assert err.code == code
    assert err.error is not None and err.error.code == code
    assert err.request_id
    uuid.UUID(err.request_id)
    assert err.model is not None and err.model.code == code
    assert err.model.message is not None and err.model.message.lang == "en-US"
    assert f"RequestId:{err.request_id}" in str(err.model.message.value)
    assert err.response is not None and err.response.status_code == status


async def collect(pager: Any) -> list[Any]:
    return [item async for item in pager]


# ------------------------------------------------------------------------------------------------ 404


async def test_job_not_found_from_every_operation_on_one_job(client: BatchClient) -> None:
    missing = unique_id("missing")
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "get": lambda: client.jobs.get(missing),
        "delete": lambda: client.jobs.delete(missing),
        "disable": lambda: client.jobs.disable(missing, "requeue"),
        "enable": lambda: client.jobs.enable(missing),
        "terminate": lambda: client.jobs.terminate(missing),
        "patch": lambda: client.jobs.patch(missing, models.JobPatchParameter(priority=1)),
        "update": lambda: client.jobs.update(
            missing, models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID))
        ),
        "get_task_counts": lambda: client.jobs.get_task_counts(missing),
        "list_preparation_and_release_task_status": lambda: collect(
            client.jobs.list_preparation_and_release_task_status(missing)
        ),
    }
    request_ids = set()
    for name, call in calls.items():
        with pytest.raises(BatchResourceNotFoundError) as caught:
            await call()
        err = caught.value
        assert isinstance(err, ResourceNotFoundError), name
        assert_batch_error(err, 404, "JobNotFound")
        assert err.code == BatchErrorCode.JOB_NOT_FOUND
        assert values_of(err) == {"JobId": missing}, name
        request_ids.add(err.request_id)
    assert len(request_ids) == len(calls)  # a fresh request id on every response


async def test_job_schedule_not_found(client: BatchClient) -> None:
    pager = client.jobs.list_from_job_schedule("no-such-schedule")  # lazy: nothing sent yet
    with pytest.raises(BatchResourceNotFoundError) as caught:
        await collect(pager)
    assert_batch_error(caught.value, 404, "JobScheduleNotFound")
    assert values_of(caught.value) == {"JobScheduleId": "no-such-schedule"}


async def test_client_request_id_is_kept_on_the_error(client: BatchClient) -> None:
    request_id = str(uuid.uuid4())
    with pytest.raises(BatchResourceNotFoundError) as caught:
        await client.jobs.get("nope", client_request_id=request_id, return_client_request_id=True)
    assert caught.value.client_request_id == request_id
    assert caught.value.request_id != request_id


# ------------------------------------------------------------------------------------------------ 409


async def test_job_exists_is_a_resource_exists_error(client: BatchClient) -> None:
    job_id = unique_id("dup")
    await client.jobs.add(new_job(job_id))
    for same in (job_id, job_id.upper()):  # ids compare case-insensitively
        with pytest.raises(BatchResourceExistsError) as caught:
            await client.jobs.add(new_job(same))
        err = caught.value
        assert isinstance(err, ResourceExistsError)
        assert isinstance(err, BatchServiceError)
        assert_batch_error(err, 409, "JobExists")
        assert values_of(err) == {"JobId": same}


async def test_id_taken_by_a_job_schedule(client: BatchClient, batch_emulator: BatchEmulator) -> None:
    batch_emulator.store.add_job_schedule("shared-id")
    with pytest.raises(BatchResourceExistsError) as caught:
        await client.jobs.add(new_job("shared-id"))
    assert isinstance(caught.value, ResourceExistsError)
    assert_batch_error(caught.value, 409, "JobScheduleWithSameIdExists")


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("deleting", "JobBeingDeleted"),
        ("terminating", "JobBeingTerminated"),
        ("completed", "JobCompleted"),
    ],
)
async def test_state_conflicts_are_conflict_errors_not_exists_errors(
    client: BatchClient, batch_emulator: BatchEmulator, state: str, code: str
) -> None:
    job_id = unique_id(state)
    await client.jobs.add(new_job(job_id))
    batch_emulator.store.force_state(job_id, state)

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "terminate": lambda: client.jobs.terminate(job_id),
        "disable": lambda: client.jobs.disable(job_id, "wait"),
        "enable": lambda: client.jobs.enable(job_id),
        "patch": lambda: client.jobs.patch(job_id, models.JobPatchParameter(priority=5)),
        "update": lambda: client.jobs.update(
            job_id, models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID))
        ),
    }
    if state == "deleting":
        calls["delete"] = lambda: client.jobs.delete(job_id)
    for name, call in calls.items():
        with pytest.raises(BatchConflictError) as caught:
            await call()
        err = caught.value
        assert not isinstance(err, ResourceExistsError), name
        assert isinstance(err, HttpResponseError)
        assert_batch_error(err, 409, code)
        assert values_of(err) == {"JobId": job_id, "JobState": state, "Operation": name}

    # Reads are never state-dependent.
    job = await client.jobs.get(job_id)
    assert job.state == state
    await client.jobs.get_task_counts(job_id)


@pytest.mark.batch_emulator(transition_ms=60_000)
async def test_natural_transient_states_conflict_while_they_last(client: BatchClient) -> None:
    """No forced state: a long transition keeps the job in terminating / deleting for the whole test."""
    job_id = unique_id("slow")
    await client.jobs.add(new_job(job_id))
    await client.jobs.terminate(job_id)
    assert (await client.jobs.get(job_id)).state == "terminating"
    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.terminate(job_id)
    assert_batch_error(caught.value, 409, "JobBeingTerminated")

    await client.jobs.delete(job_id)  # delete is allowed from any state but deleting
    assert (await client.jobs.get(job_id)).state == "deleting"
    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.delete(job_id)
    assert_batch_error(caught.value, 409, "JobBeingDeleted")
    # The id stays taken while the job is being deleted.
    with pytest.raises(BatchResourceExistsError):
        await client.jobs.add(new_job(job_id))


async def test_terminating_a_completed_job(client: BatchClient) -> None:
    job_id = unique_id("done")
    await client.jobs.add(new_job(job_id))
    await client.jobs.terminate(job_id)  # transition_ms=0: completed at once
    assert (await client.jobs.get(job_id)).state == "completed"
    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.terminate(job_id)
    assert_batch_error(caught.value, 409, "JobCompleted")
    assert caught.value.code == BatchErrorCode.JOB_COMPLETED


async def test_operation_invalid_for_current_state(client: BatchClient) -> None:
    job_id = unique_id("state")
    await client.jobs.add(new_job(job_id))
    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.enable(job_id)  # already active
    assert_batch_error(caught.value, 409, "OperationInvalidForCurrentState")

    # Changing the pool of a job that is not disabled ...
    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.patch(
            job_id, models.JobPatchParameter(pool_info=models.PoolInformation(pool_id="other-pool"))
        )
    assert_batch_error(caught.value, 409, "OperationInvalidForCurrentState")
    # ... works once it is disabled.
    await client.jobs.disable(job_id, "requeue")
    await client.jobs.patch(
        job_id, models.JobPatchParameter(pool_info=models.PoolInformation(pool_id="other-pool"))
    )
    job = await client.jobs.get(job_id)
    assert job.pool_info is not None and job.pool_info.pool_id == "other-pool"


async def test_preparation_and_release_status_without_those_tasks(client: BatchClient) -> None:
    job_id = unique_id("noprep")
    await client.jobs.add(new_job(job_id))
    pager = client.jobs.list_preparation_and_release_task_status(job_id)
    with pytest.raises(BatchConflictError) as caught:
        await collect(pager)
    err = caught.value
    assert not isinstance(err, ResourceExistsError)
    assert_batch_error(err, 409, "JobPreparationTaskOrReleaseTaskNotSpecified")
    assert err.code == BatchErrorCode.JOB_PREPARATION_TASK_OR_RELEASE_TASK_NOT_SPECIFIED


# ------------------------------------------------------------------------------------- conditions


async def test_stale_etag_on_a_write_is_412(client: BatchClient) -> None:
    job_id = unique_id("etag")
    stale = (await client.jobs.add(new_job(job_id))).etag
    fresh = (await client.jobs.patch(job_id, models.JobPatchParameter(priority=1))).etag
    assert stale != fresh

    writes: dict[str, Callable[..., Awaitable[Any]]] = {
        "patch": lambda **kw: client.jobs.patch(job_id, models.JobPatchParameter(priority=2), **kw),
        "update": lambda **kw: client.jobs.update(
            job_id, models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id=POOL_ID)), **kw
        ),
        "disable": lambda **kw: client.jobs.disable(job_id, "requeue", **kw),
        "terminate": lambda **kw: client.jobs.terminate(job_id, **kw),
        "delete": lambda **kw: client.jobs.delete(job_id, **kw),
    }
    for name, write in writes.items():
        with pytest.raises(BatchResourceModifiedError) as caught:
            await write(etag=stale, match_condition=MatchConditions.IfNotModified)
        assert isinstance(caught.value, ResourceModifiedError), name
        assert_batch_error(caught.value, 412, "ConditionNotMet")
    job = await client.jobs.get(job_id)
    assert (job.priority, job.state, job.etag) == (1, "active", fresh)  # nothing was applied

    # The current ETag passes, and each write hands back the next one.
    etag = fresh
    result = await client.jobs.patch(
        job_id, models.JobPatchParameter(priority=2), etag=etag, match_condition=MatchConditions.IfNotModified
    )
    assert result.etag != etag
    result = await client.jobs.terminate(
        job_id, etag=result.etag, match_condition=MatchConditions.IfNotModified
    )
    assert (await client.jobs.get(job_id)).state == "completed"


async def test_write_with_if_none_match_current_etag_is_412(client: BatchClient) -> None:
    job_id = unique_id("inm")
    etag = (await client.jobs.add(new_job(job_id))).etag
    with pytest.raises(BatchResourceModifiedError) as caught:
        await client.jobs.patch(
            job_id,
            models.JobPatchParameter(priority=9),
            etag=etag,
            match_condition=MatchConditions.IfModified,
        )
    assert_batch_error(caught.value, 412, "ConditionNotMet")
    with pytest.raises(BatchResourceModifiedError):
        await client.jobs.enable(job_id, match_condition=MatchConditions.IfMissing)  # If-None-Match: *
    await client.jobs.patch(
        job_id, models.JobPatchParameter(priority=9), match_condition=MatchConditions.IfPresent
    )
    assert (await client.jobs.get(job_id)).priority == 9


async def test_get_with_if_none_match_current_etag_is_304(client: BatchClient) -> None:
    job_id = unique_id("304")
    etag = (await client.jobs.add(new_job(job_id))).etag
    with pytest.raises(BatchResourceNotModifiedError) as caught:
        await client.jobs.get(job_id, etag=etag, match_condition=MatchConditions.IfModified)
    err = caught.value
    assert isinstance(err, ResourceNotModifiedError)
    assert err.status_code == 304
    assert err.request_id
    assert err.model is None  # a 304 has no body

    # After a change the same condition returns the job.
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=4))
    job = await client.jobs.get(job_id, etag=etag, match_condition=MatchConditions.IfModified)
    assert job.priority == 4 and job.etag != etag

    with pytest.raises(BatchResourceNotModifiedError):
        await client.jobs.get(job_id, match_condition=MatchConditions.IfMissing)  # If-None-Match: *


async def test_get_with_if_match_stale_etag_is_412(client: BatchClient) -> None:
    job_id = unique_id("412")
    etag = (await client.jobs.add(new_job(job_id))).etag
    await client.jobs.get(job_id, etag=etag, match_condition=MatchConditions.IfNotModified)
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=4))
    with pytest.raises(BatchResourceModifiedError) as caught:
        await client.jobs.get(job_id, etag=etag, match_condition=MatchConditions.IfNotModified)
    assert_batch_error(caught.value, 412, "ConditionNotMet")


async def test_modified_since_conditions(client: BatchClient) -> None:
    job_id = unique_id("since")
    await client.jobs.add(new_job(job_id))
    future, past = NOW + AN_HOUR, NOW - AN_HOUR

    # Reads: not modified since a future time -> 304; modified since a past time -> the job.
    with pytest.raises(BatchResourceNotModifiedError):
        await client.jobs.get(job_id, if_modified_since=future)
    assert (await client.jobs.get(job_id, if_modified_since=past)).id == job_id
    # Reads: unmodified since a past time fails with 412.
    with pytest.raises(BatchResourceModifiedError):
        await client.jobs.get(job_id, if_unmodified_since=past)
    assert (await client.jobs.get(job_id, if_unmodified_since=future)).id == job_id

    # Writes: 412 where the read said 304.
    with pytest.raises(BatchResourceModifiedError) as caught:
        await client.jobs.patch(job_id, models.JobPatchParameter(priority=1), if_modified_since=future)
    assert_batch_error(caught.value, 412, "ConditionNotMet")
    with pytest.raises(BatchResourceModifiedError):
        await client.jobs.disable(job_id, "requeue", if_unmodified_since=past)
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=1), if_modified_since=past)
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=2), if_unmodified_since=future)
    assert (await client.jobs.get(job_id)).priority == 2


# ------------------------------------------------------------------------------------------------ 400


async def test_priority_out_of_range_is_checked_by_the_service(client: BatchClient) -> None:
    job_id = unique_id("prio")
    # Not validated client-side: the service's answer reaches the caller.
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.add(new_job(job_id, priority=5000))
    err = caught.value
    assert type(err) is BatchServiceError
    assert_batch_error(err, 400, "InvalidPropertyValue")
    assert values_of(err) == {
        "PropertyName": "priority",
        "PropertyValue": "5000",
        "Reason": "must be between -1000 and 1000",
    }
    with pytest.raises(BatchResourceNotFoundError):
        await client.jobs.get(job_id)  # nothing was created

    await client.jobs.add(new_job(job_id))
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.patch(job_id, models.JobPatchParameter(priority=-1001))
    assert_batch_error(caught.value, 400, "InvalidPropertyValue")


@pytest.mark.parametrize(
    ("body", "code", "property_name"),
    [
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "metadata": [{"name": "k"}]},
            "MissingRequiredProperty",
            "metadata[0].value",
            id="metadata-value-missing",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "jobPreparationTask": {"id": "prep"}},
            "MissingRequiredProperty",
            "jobPreparationTask.commandLine",
            id="prep-command-line-missing",
        ),
        pytest.param(
            {"poolInfo": {"autoPoolSpecification": {"pool": {"vmSize": "standard_d2s_v3"}}}},
            "MissingRequiredProperty",
            "poolInfo.autoPoolSpecification.poolLifetimeOption",
            id="auto-pool-lifetime-missing",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "maxParallelTasks": 0},
            "InvalidPropertyValue",
            "maxParallelTasks",
            id="max-parallel-tasks-zero",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "priority": "high"},
            "InvalidPropertyValue",
            "priority",
            id="priority-not-an-integer",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID, "autoPoolSpecification": {"poolLifetimeOption": "job"}}},
            "InvalidPropertyValue",
            "poolInfo",
            id="pool-id-and-auto-pool",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "onAllTasksComplete": "sometimes"},
            "InvalidPropertyValue",
            "onAllTasksComplete",
            id="unknown-enum-value",
        ),
        pytest.param(
            {"poolInfo": {"poolId": POOL_ID}, "favouriteColour": "blue"},
            "UnsupportedProperty",
            "favouriteColour",
            id="unknown-property",
        ),
    ],
)
async def test_wire_form_bodies_rejected_by_the_service(
    client: BatchClient, body: dict[str, Any], code: str, property_name: str
) -> None:
    job_id = unique_id("wire")
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.add({"id": job_id, **body})
    err = caught.value
    assert type(err) is BatchServiceError
    assert_batch_error(err, 400, code)
    assert values_of(err)["PropertyName"] == property_name
    with pytest.raises(BatchResourceNotFoundError):
        await client.jobs.get(job_id)  # nothing half-created


async def test_update_and_patch_bodies_rejected_by_the_service(client: BatchClient) -> None:
    job_id = unique_id("upd")
    await client.jobs.add(
        {"id": job_id, "poolInfo": {"poolId": POOL_ID}, "onAllTasksComplete": "terminatejob"}
    )

    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.patch(job_id, {"onAllTasksComplete": "noaction"})
    assert_batch_error(caught.value, 400, "InvalidPropertyValue")
    assert values_of(caught.value)["Reason"] == "a job set to terminatejob cannot go back to noaction"

    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.update(job_id, {"poolInfo": {"poolId": POOL_ID}, "displayName": "read-only here"})
    assert_batch_error(caught.value, 400, "UnsupportedProperty")
    assert values_of(caught.value) == {"PropertyName": "displayName"}

    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.patch(job_id, {"constraints": {"maxWallClockTime": "forever"}})
    assert_batch_error(caught.value, 400, "InvalidPropertyValue")

    # Longer than the service's largest duration (.NET TimeSpan.MaxValue): refused, nothing stored.
    before = (await client.jobs.get(job_id)).etag
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.patch(job_id, {"constraints": {"maxWallClockTime": "P99999999999999999999D"}})
    assert_batch_error(caught.value, 400, "InvalidPropertyValue")
    assert values_of(caught.value)["PropertyName"] == "constraints.maxWallClockTime"
    assert (await client.jobs.get(job_id)).etag == before


# A body that is not JSON cannot come from the client's own operations (they always serialise JSON), so
# these two tests put raw bytes on the wire through the client's real pipeline: Shared Key signing,
# retry policy and the default aiohttp transport all still apply.

API_VERSION = "2024-02-01.19.0"
NOT_JSON = b'{"id": "half-written", "poolInfo": '


async def test_a_body_that_is_not_json_through_the_pipeline(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    request = HttpRequest(
        "POST",
        f"{batch_emulator.endpoint}/jobs",
        params={"api-version": API_VERSION},
        headers={"Content-Type": "application/json; odata=minimalmetadata"},
        content=NOT_JSON,
    )
    pipeline_response = await client.jobs._pipeline.run(request)
    response = pipeline_response.http_response
    await response.read()
    assert response.status_code == 400
    err = error_from_response(response)
    assert type(err) is BatchServiceError
    assert_batch_error(err, 400, "InvalidRequestBody")
    assert "not valid JSON" in str(values_of(err)["Reason"])
    assert batch_emulator.store.job_ids() == []
    assert batch_emulator.request_log.count(operation="add", status=400) == 1  # signed, not a 403


class ReplaceBody(SansIOHTTPPolicy[HttpRequest, Any]):
    """A per-call policy that swaps the JSON the operation built for raw bytes (before signing)."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        old = request.http_request
        headers = {k: v for k, v in old.headers.items() if k.lower() != "content-length"}
        request.http_request = HttpRequest(old.method, old.url, headers=headers, content=self.content)


async def test_a_body_that_is_not_json_raises_from_the_operation(batch_emulator: BatchEmulator) -> None:
    job_id = unique_id("raw")
    async with BatchClient(
        batch_emulator.endpoint,
        batch_emulator.credential,
        retry_total=0,
        per_call_policies=[ReplaceBody(NOT_JSON)],
    ) as client:
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.add(new_job(job_id))
    err = caught.value
    assert type(err) is BatchServiceError
    assert_batch_error(err, 400, "InvalidRequestBody")
    assert err.code == BatchErrorCode.INVALID_REQUEST_BODY
    assert batch_emulator.store.job_ids() == []


async def test_invalid_filter_fails_when_iterated(client: BatchClient) -> None:
    await client.jobs.add(new_job(unique_id("flt")))
    for text, reason_part in [
        ("bogus eq 1", "bogus"),
        ("state eq 'weird'", "weird"),
        ("startswith(id,", ""),
    ]:
        pager = client.jobs.list(filter=text)  # built without a request
        with pytest.raises(BatchServiceError) as caught:
            await collect(pager)
        err = caught.value
        assert type(err) is BatchServiceError
        assert_batch_error(err, 400, "InvalidQueryParameterValue")
        details = values_of(err)
        assert details["QueryParameterName"] == "$filter"
        assert details["QueryParameterValue"] == text
        assert reason_part in str(details["Reason"])


async def test_invalid_select_and_expand_fail_when_iterated(client: BatchClient) -> None:
    job_id = unique_id("selx")
    await client.jobs.add(new_job(job_id))
    with pytest.raises(BatchServiceError) as caught:
        await collect(client.jobs.list(select=["id", "nope"]))
    assert_batch_error(caught.value, 400, "InvalidQueryParameterValue")
    assert values_of(caught.value)["QueryParameterName"] == "$select"
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.get(job_id, expand="tasks")
    assert caught.value.status_code == 400
    assert values_of(caught.value)["QueryParameterName"] == "$expand"


async def test_client_side_validation_sends_nothing(
    client: BatchClient, batch_emulator: BatchEmulator
) -> None:
    batch_emulator.request_log.reset()
    with pytest.raises(ValueError, match="pool_info"):
        await client.jobs.add({"id": "no-pool"})
    with pytest.raises(ValueError, match="max_results"):
        client.jobs.list(max_results=0)
    with pytest.raises(ValueError, match="disable_tasks"):
        await client.jobs.disable("x", "sometimes")
    with pytest.raises(ValueError):
        await client.jobs.get("")
    assert batch_emulator.request_log.count() == 0
