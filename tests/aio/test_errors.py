"""Failures through the async client: service errors mapped to exceptions, and bad input caught early.

The error table is JOBS-API.md §4; every mapped status must reach the caller as the right
``azbatch.exceptions`` class, which is also the matching azure-core class, carrying the Batch details.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from azure.core import MatchConditions
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
)
from pytest_httpx import HTTPXMock

from azbatch import models
from azbatch.aio import BatchClient
from azbatch.exceptions import (
    BatchAuthenticationError,
    BatchConflictError,
    BatchErrorCode,
    BatchResourceExistsError,
    BatchResourceModifiedError,
    BatchResourceNotFoundError,
    BatchResourceNotModifiedError,
    BatchServiceError,
)

from .conftest import JOB_ID, ClientFactory, batch_error, collect

REQUEST_ID = "0f5a7c7e-1111-4f0e-9a55-2f9a6c1b0d11"
CLIENT_REQUEST_ID = "9c4d50ee-2d56-4cd3-8152-34347dc9f2b0"
POOL = {"poolId": "pool-1"}


def _text(message: str) -> str:
    return f"{message}\nRequestId:{REQUEST_ID}\nTime:2024-01-01T00:00:00.0000000Z"


Call = Callable[[BatchClient], Awaitable[Any]]

CALLS: dict[str, Call] = {
    "add": lambda c: c.jobs.add({"id": "job-1", "poolInfo": POOL}),
    "delete": lambda c: c.jobs.delete(JOB_ID),
    "disable": lambda c: c.jobs.disable(JOB_ID, "requeue"),
    "enable": lambda c: c.jobs.enable(JOB_ID),
    "get": lambda c: c.jobs.get(JOB_ID),
    "get_task_counts": lambda c: c.jobs.get_task_counts(JOB_ID),
    "list": lambda c: collect(c.jobs.list()),
    "list_from_job_schedule": lambda c: collect(c.jobs.list_from_job_schedule("schedule-1")),
    "list_preparation_and_release_task_status": lambda c: collect(
        c.jobs.list_preparation_and_release_task_status(JOB_ID)
    ),
    "patch": lambda c: c.jobs.patch(JOB_ID, {"priority": 1}),
    "terminate": lambda c: c.jobs.terminate(JOB_ID, "done"),
    "update": lambda c: c.jobs.update(JOB_ID, {"poolInfo": POOL}),
}

# (operation, status, code, message, values, batch class, azure-core class)
ERROR_CASES: list[
    tuple[str, int, str, str, list[tuple[str, str]], type[BatchServiceError], type[Exception]]
] = [
    (
        "get",
        401,
        "InvalidAuthenticationInfo",
        "Server failed to authenticate the request.",
        [("AuthenticationErrorDetail", "The token is expired.")],
        BatchAuthenticationError,
        ClientAuthenticationError,
    ),
    (
        "add",
        403,
        "AuthenticationFailed",
        "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly.",
        [
            ("AuthenticationErrorDetail", "The MAC signature found in the HTTP request is not the same."),
            ("StringToSign", "POST\n\n\n0\n"),
        ],
        BatchAuthenticationError,
        ClientAuthenticationError,
    ),
    (
        "get",
        404,
        "JobNotFound",
        "The specified job does not exist.",
        [],
        BatchResourceNotFoundError,
        ResourceNotFoundError,
    ),
    (
        "list_from_job_schedule",
        404,
        "JobScheduleNotFound",
        "The specified job schedule does not exist.",
        [],
        BatchResourceNotFoundError,
        ResourceNotFoundError,
    ),
    (
        "add",
        409,
        "JobExists",
        "The specified job already exists.",
        [],
        BatchResourceExistsError,
        ResourceExistsError,
    ),
    (
        "add",
        409,
        "JobScheduleWithSameIdExists",
        "A job schedule with the specified id already exists.",
        [],
        BatchResourceExistsError,
        ResourceExistsError,
    ),
    (
        "update",
        412,
        "ConditionNotMet",
        "The condition specified using HTTP conditional header(s) is not met.",
        [],
        BatchResourceModifiedError,
        ResourceModifiedError,
    ),
    (
        "get",
        304,
        "ConditionNotMet",
        "The condition specified using HTTP conditional header(s) is not met.",
        [],
        BatchResourceNotModifiedError,
        ResourceNotModifiedError,
    ),
    (
        "list",
        400,
        "InvalidQueryParameterValue",
        "Value for one of the query parameters specified in the request URI is invalid.",
        [("QueryParameterName", "$filter"), ("QueryParameterValue", "state eq"), ("Reason", "syntax error")],
        BatchServiceError,
        HttpResponseError,
    ),
    (
        "patch",
        400,
        "InvalidPropertyValue",
        "The value provided for one of the properties in the request body is invalid.",
        [("PropertyName", "onAllTasksComplete"), ("PropertyValue", "noaction")],
        BatchServiceError,
        HttpResponseError,
    ),
    (
        "get",
        500,
        "InternalError",
        "Server encountered an internal error. Please try again after some time.",
        [],
        BatchServiceError,
        HttpResponseError,
    ),
]

CONFLICT_CASES = [
    ("delete", "JobBeingDeleted"),
    ("terminate", "JobCompleted"),
    ("disable", "JobBeingTerminated"),
    ("enable", "OperationInvalidForCurrentState"),
    ("patch", "JobCompleted"),
    ("list_preparation_and_release_task_status", "JobPreparationTaskNotSpecified"),
    ("add", "ActiveJobAndScheduleQuotaReached"),
]


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}-{case[1]}-{case[2]}"


@pytest.mark.parametrize("case", ERROR_CASES, ids=_ids)
async def test_error_statuses_are_mapped(
    case: tuple[str, int, str, str, list[tuple[str, str]], type[BatchServiceError], type[Exception]],
    make_client: ClientFactory,
    httpx_mock: HTTPXMock,
) -> None:
    operation, status, code, message, values, batch_class, core_class = case
    httpx_mock.add_response(
        status_code=status,
        json=batch_error(code, _text(message), values),
        headers={"request-id": REQUEST_ID},
    )

    async with make_client(retry_total=0) as client:
        with pytest.raises(BatchServiceError) as caught:
            await CALLS[operation](client)

    error = caught.value
    assert type(error) is batch_class
    assert isinstance(error, core_class)
    assert isinstance(error, HttpResponseError)
    assert error.status_code == status
    assert error.response is not None and error.response.status_code == status
    assert error.request_id == REQUEST_ID
    # The Batch error, flattened for azure-core ...
    assert error.code == code
    assert error.error is not None
    assert error.error.code == code
    assert error.error.message == _text(message)
    assert [(d.code, d.message) for d in error.error.details] == values
    # ... and as the decoded model.
    assert isinstance(error.model, models.BatchError)
    assert error.model.code == code
    assert error.model.message is not None
    assert error.model.message.value == _text(message)
    assert error.model.message.lang == "en-US"
    assert [(v.key, v.value) for v in error.model.values or []] == values
    assert code in str(error)
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(("operation", "code"), CONFLICT_CASES)
async def test_state_conflicts_are_not_resource_exists(
    operation: str, code: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=409, json=batch_error(code, _text("conflict")))

    with pytest.raises(BatchConflictError) as caught:
        await CALLS[operation](client)

    error = caught.value
    assert type(error) is BatchConflictError
    assert not isinstance(error, ResourceExistsError)
    assert isinstance(error, HttpResponseError)
    assert error.status_code == 409
    assert error.code == code
    assert error.code == BatchErrorCode(code)


@pytest.mark.parametrize("operation", list(CALLS))
async def test_every_operation_raises_not_found(
    operation: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        status_code=404, json=batch_error("JobNotFound", _text("The specified job does not exist."))
    )

    with pytest.raises(BatchResourceNotFoundError) as caught:
        await CALLS[operation](client)

    assert caught.value.code == BatchErrorCode.JOB_NOT_FOUND


async def test_not_modified_with_an_empty_body(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    # What the service really sends for a read whose condition was not met: 304 and no body.
    httpx_mock.add_response(status_code=304, headers={"request-id": REQUEST_ID})

    with pytest.raises(BatchResourceNotModifiedError) as caught:
        await client.jobs.get(JOB_ID, etag="0x8D4", match_condition=MatchConditions.IfModified)

    error = caught.value
    assert isinstance(error, ResourceNotModifiedError)
    assert error.status_code == 304
    assert error.request_id == REQUEST_ID
    assert error.model is None
    assert error.code is None


async def test_error_carries_the_client_request_id(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json=batch_error("JobNotFound", "gone"))

    with pytest.raises(BatchResourceNotFoundError) as caught:
        await client.jobs.get(JOB_ID, client_request_id=CLIENT_REQUEST_ID)

    assert caught.value.client_request_id == CLIENT_REQUEST_ID


async def test_error_without_message_or_values(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json={"code": "JobNotFound"})

    with pytest.raises(BatchResourceNotFoundError) as caught:
        await client.jobs.get(JOB_ID)

    error = caught.value
    assert error.code == "JobNotFound"
    assert isinstance(error.model, models.BatchError)
    assert error.model.message is None
    assert error.model.values is None


async def test_unknown_error_code_still_maps_by_status(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=409, json=batch_error("SomeFutureConflict", "new in 2031"))

    with pytest.raises(BatchConflictError) as caught:
        await client.jobs.delete(JOB_ID)

    assert caught.value.code == "SomeFutureConflict"
    assert caught.value.error is not None and caught.value.error.message == "new in 2031"


# --------------------------------------------------------------------------------------------------
# Bodies that are not Batch errors
# --------------------------------------------------------------------------------------------------

HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BatchServiceError),
        (502, BatchServiceError),
        (404, BatchResourceNotFoundError),
        (409, BatchConflictError),
    ],
)
async def test_non_json_error_body_raises_a_clear_error(
    status: int, expected: type[BatchServiceError], make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=status, content=HTML, headers={"Content-Type": "text/html"})

    async with make_client(retry_total=0) as client:
        with pytest.raises(HttpResponseError) as caught:
            await client.jobs.get(JOB_ID)

    error = caught.value
    assert type(error) is expected
    assert not isinstance(error, DecodeError)
    assert error.status_code == status
    assert error.model is None
    assert error.code is None
    assert str(error)  # a readable message, not an empty one
    assert error.response is not None and error.response.text() == HTML.decode()


@pytest.mark.parametrize(
    "body", [b"[1, 2, 3]", b'"just a string"', b"{not json", b"\xff\xfe\x00garbage", b""]
)
async def test_odd_error_bodies_never_crash(body: bytes, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=400, content=body, headers={"Content-Type": "application/json"})

    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.delete(JOB_ID)

    assert type(caught.value) is BatchServiceError
    assert caught.value.status_code == 400
    assert caught.value.code is None


@pytest.mark.parametrize("body", [b"{broken", b"<html>ok</html>", b"[]", b"\xff\xfe"])
async def test_success_with_broken_json_raises_decode_error(
    body: bytes, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=200, content=body, headers={"Content-Type": "application/json"})

    with pytest.raises(DecodeError):
        await client.jobs.get(JOB_ID)


@pytest.mark.parametrize("operation", ["get_task_counts", "list", "list_from_job_schedule"])
async def test_other_reads_with_broken_json_raise_decode_error(
    operation: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        status_code=200, content=b'{"value": [', headers={"Content-Type": "application/json"}
    )

    with pytest.raises(DecodeError):
        await CALLS[operation](client)


async def test_page_whose_value_is_not_a_list_raises_decode_error(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": {"id": "job-1"}})

    with pytest.raises(DecodeError):
        await collect(client.jobs.list())


@pytest.mark.parametrize("status", [200, 202, 204])
async def test_unexpected_success_status_is_an_error(
    status: int, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    # add succeeds only with 201; anything else means the job was not created as asked.
    httpx_mock.add_response(status_code=status)

    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.add({"id": "job-1", "poolInfo": POOL})

    assert caught.value.status_code == status


# --------------------------------------------------------------------------------------------------
# Bad input: rejected before anything is sent
# --------------------------------------------------------------------------------------------------

JOB_ID_OPERATIONS: dict[str, Callable[[BatchClient, Any], Any]] = {
    "delete": lambda c, j: c.jobs.delete(j),
    "disable": lambda c, j: c.jobs.disable(j, "requeue"),
    "enable": lambda c, j: c.jobs.enable(j),
    "get": lambda c, j: c.jobs.get(j),
    "get_task_counts": lambda c, j: c.jobs.get_task_counts(j),
    "list_preparation_and_release_task_status": lambda c, j: c.jobs.list_preparation_and_release_task_status(
        j
    ),
    "patch": lambda c, j: c.jobs.patch(j, {"priority": 1}),
    "terminate": lambda c, j: c.jobs.terminate(j),
    "update": lambda c, j: c.jobs.update(j, {"poolInfo": POOL}),
}

BAD_IDS = [
    ("", ValueError, "job_id"),
    ("x" * 65, ValueError, "job_id"),
    (42, TypeError, "job_id"),
    (None, TypeError, "job_id"),
]


async def _call_now(result: Any) -> None:
    """Await a coroutine; a pager is returned unawaited (its validation must happen at the call)."""
    if hasattr(result, "__await__"):
        await result


@pytest.mark.parametrize("operation", list(JOB_ID_OPERATIONS))
@pytest.mark.parametrize(("job_id", "error", "name"), BAD_IDS, ids=["empty", "65-chars", "int", "none"])
async def test_bad_job_id_is_rejected_before_sending(
    operation: str, job_id: Any, error: type[Exception], name: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(error, match=name):
        await _call_now(JOB_ID_OPERATIONS[operation](client, job_id))

    assert not httpx_mock.get_requests()


@pytest.mark.parametrize(("schedule_id", "error", "name"), [(s, e, "job_schedule_id") for s, e, _ in BAD_IDS])
async def test_bad_job_schedule_id_is_rejected_at_the_call(
    schedule_id: Any, error: type[Exception], name: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(error, match=name):
        client.jobs.list_from_job_schedule(schedule_id)

    assert not httpx_mock.get_requests()


async def test_64_character_job_id_is_accepted(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "x" * 64})

    await client.jobs.get("x" * 64)

    assert httpx_mock.get_requests()[0].url.path == "/jobs/" + "x" * 64


LISTERS: dict[str, Callable[..., Any]] = {
    "list": lambda c, **kw: c.jobs.list(**kw),
    "list_from_job_schedule": lambda c, **kw: c.jobs.list_from_job_schedule("schedule-1", **kw),
    "list_preparation_and_release_task_status": lambda c, **kw: (
        c.jobs.list_preparation_and_release_task_status("job-1", **kw)
    ),
}


@pytest.mark.parametrize("operation", list(LISTERS))
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_results": 0}, ValueError, "max_results"),
        ({"max_results": 1001}, ValueError, "max_results"),
        ({"max_results": -1}, ValueError, "max_results"),
        ({"max_results": "10"}, TypeError, "max_results"),
        ({"max_results": 10.0}, TypeError, "max_results"),
        ({"max_results": True}, TypeError, "max_results"),
        ({"select": [1]}, TypeError, "select"),
        ({"select": []}, ValueError, "select"),
        ({"select": "id,,state"}, ValueError, "select"),
        ({"select": 7}, TypeError, "select"),
        ({"filter": ""}, ValueError, "filter"),
        ({"filter": 3}, TypeError, "filter"),
        ({"service_timeout": "30"}, TypeError, "service_timeout"),
        ({"service_timeout": 0}, ValueError, "service_timeout"),
    ],
    ids=repr,
)
async def test_bad_list_arguments_are_rejected_at_the_call(
    operation: str,
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
    client: BatchClient,
    httpx_mock: HTTPXMock,
) -> None:
    # Raised by list() itself, not later when the pager is iterated.
    with pytest.raises(error, match=match):
        LISTERS[operation](client, **kwargs)

    assert not httpx_mock.get_requests()


@pytest.mark.parametrize("operation", ["list", "list_from_job_schedule"])
async def test_bad_expand_is_rejected(operation: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    with pytest.raises(TypeError, match="expand"):
        LISTERS[operation](client, expand=[None])

    assert not httpx_mock.get_requests()


Bad = tuple[Callable[[BatchClient], Any], type[Exception], str]

BAD_CALLS: dict[str, Bad] = {
    "service_timeout str": (
        lambda c: c.jobs.get("job-1", service_timeout="30"),
        TypeError,
        "service_timeout",
    ),
    "service_timeout float": (
        lambda c: c.jobs.delete("job-1", service_timeout=1.5),
        TypeError,
        "service_timeout",
    ),
    "client_request_id not a uuid": (
        lambda c: c.jobs.get("job-1", client_request_id="not-a-uuid"),
        ValueError,
        "client_request_id",
    ),
    "client_request_id braces": (
        lambda c: c.jobs.get("job-1", client_request_id="{" + CLIENT_REQUEST_ID + "}"),
        ValueError,
        "client_request_id",
    ),
    "client_request_id int": (
        lambda c: c.jobs.enable("job-1", client_request_id=12),
        TypeError,
        "client_request_id",
    ),
    "return_client_request_id str": (
        lambda c: c.jobs.enable("job-1", return_client_request_id="yes"),
        TypeError,
        "return_client_request_id",
    ),
    "ocp_date str": (
        lambda c: c.jobs.enable("job-1", ocp_date="Fri, 17 Feb 2017 00:00:00 GMT"),
        TypeError,
        "ocp_date",
    ),
    "disable_tasks bogus": (lambda c: c.jobs.disable("job-1", "bogus"), ValueError, "disable_tasks"),
    "disable_tasks None": (lambda c: c.jobs.disable("job-1", None), TypeError, "disable_tasks"),
    "etag without match_condition": (
        lambda c: c.jobs.delete("job-1", etag="0x8D4"),
        ValueError,
        "match_condition",
    ),
    "IfNotModified without etag": (
        lambda c: c.jobs.delete("job-1", match_condition=MatchConditions.IfNotModified),
        ValueError,
        "etag",
    ),
    "match_condition str": (
        lambda c: c.jobs.get("job-1", etag="0x8D4", match_condition="IfNotModified"),
        TypeError,
        "match_condition",
    ),
    "if_modified_since str": (
        lambda c: c.jobs.get("job-1", if_modified_since="2017-02-17"),
        TypeError,
        "if_modified_since",
    ),
    "add model without pool_info": (
        lambda c: c.jobs.add(models.JobAddParameter(id="job-1")),
        ValueError,
        "pool_info",
    ),
    "add dict without pool_info": (lambda c: c.jobs.add({"id": "job-1"}), ValueError, "pool_info"),
    "add priority high": (
        lambda c: c.jobs.add(
            models.JobAddParameter(
                id="job-1",
                priority="high",  # type: ignore[arg-type]
                pool_info=models.PoolInformation(pool_id="p"),
            )
        ),
        TypeError,
        "priority",
    ),
    "add without id": (lambda c: c.jobs.add({"poolInfo": POOL}), TypeError, "id"),
    "add bad id characters": (lambda c: c.jobs.add({"id": "my job", "poolInfo": POOL}), ValueError, "id"),
    "add 65-char id": (lambda c: c.jobs.add({"id": "j" * 65, "poolInfo": POOL}), ValueError, "id"),
    "add not a job": (lambda c: c.jobs.add(["id", "job-1"]), TypeError, "job"),
    "add wrong model": (
        lambda c: c.jobs.add(models.JobPatchParameter(priority=1)),
        TypeError,
        "job",
    ),
    "update without pool_info": (lambda c: c.jobs.update("job-1", {"priority": 1}), ValueError, "pool_info"),
    "patch wrong type": (lambda c: c.jobs.patch("job-1", "priority=1"), TypeError, "job_patch_parameter"),
    "terminate reason int": (lambda c: c.jobs.terminate("job-1", 5), TypeError, "terminate_reason"),
    "get select [1]": (lambda c: c.jobs.get("job-1", select=[1]), TypeError, "select"),
}


@pytest.mark.parametrize("case", list(BAD_CALLS))
async def test_bad_arguments_are_rejected_before_sending(
    case: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    call, error, name = BAD_CALLS[case]

    with pytest.raises(error) as caught:
        await call(client)

    assert name in str(caught.value)
    assert not httpx_mock.get_requests()


async def test_a_job_id_of_an_existing_job_may_need_escaping(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    # Ids of existing jobs are sent escaped rather than refused: the service decides what exists.
    httpx_mock.add_response(status_code=404, json=batch_error("JobNotFound", "no"))

    with pytest.raises(BatchResourceNotFoundError):
        await client.jobs.get("a/b?c#d")

    assert httpx_mock.get_requests()[0].url.raw_path.startswith(b"/jobs/a%2Fb%3Fc%23d?")


async def test_uuid_object_is_a_valid_client_request_id(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    # Counterpart of the str checks above: a uuid.UUID is accepted and sent in its string form.
    value = uuid.uuid4()
    httpx_mock.add_response(json={"value": []})

    assert await collect(client.jobs.list(client_request_id=value)) == []

    assert httpx_mock.get_requests()[0].headers["client-request-id"] == str(value)
