"""The 12 job operations through the async client: what goes on the wire and what comes back.

Each test lets pytest-httpx answer the request, then checks the exact method, path, query, headers and
body against JOBS-API.md §1-§2, and the parsed result against the spec's example payloads.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from azure.core import MatchConditions
from pytest_httpx import HTTPXMock

from azbatch import models
from azbatch.aio import BatchClient, JobOperations

from .conftest import (
    API_VERSION,
    ENDPOINT,
    HOST,
    JOB_ID,
    JOB_PATH,
    JSON_CONTENT_TYPE,
    ClientFactory,
    FakeTokenCredential,
    collect,
    load_example,
    only_request,
    query_items,
)

UTC = datetime.timezone.utc
SCHEDULE_ID = "my schedule/1"
SCHEDULE_PATH = "/jobschedules/my%20schedule%2F1/jobs"
REQUEST_ID = "5b1e2a4c-7d3f-4f0e-9a55-2f9a6c1b0d11"
CLIENT_REQUEST_ID = "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0"
ETAG = "0x8D4100FC49F0278"
LAST_MODIFIED = "Fri, 17 Feb 2017 00:00:00 GMT"
OCP_DATE = datetime.datetime(2017, 2, 17, tzinfo=UTC)
TASK_COUNTS = load_example("JobGetTaskCounts")["responses"]["200"]["body"]
GET_BODY = load_example("JobGet")["responses"]["200"]["body"]


def _body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def _assert_json_body(request: httpx.Request, expected: Any) -> None:
    assert request.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert request.headers["Content-Length"] == str(len(request.content))
    assert _body(request) == expected


def _assert_no_body(request: httpx.Request) -> None:
    assert request.content == b""
    assert "Content-Type" not in request.headers
    if request.method in ("POST", "DELETE", "PUT", "PATCH"):
        assert request.headers["Content-Length"] == "0"


# --------------------------------------------------------------------------------------------------
# A table of the 12 operations, used by the tests that apply to all (or all conditional) operations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    status: int
    call: Callable[..., Awaitable[Any]]
    body: Any = None  # response body
    conditional: bool = False
    write: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)


def _lister(name: str, *args: Any) -> Callable[..., Awaitable[Any]]:
    async def call(client: BatchClient, **kwargs: Any) -> Any:
        return await collect(getattr(client.jobs, name)(*args, **kwargs))

    return call


BASIC_JOB = {"id": "job-1", "poolInfo": {"poolId": "pool-1"}}

OPS: dict[str, Op] = {
    "add": Op("POST", "/jobs", 201, lambda c, **kw: c.jobs.add(BASIC_JOB, **kw), write=True),
    "delete": Op("DELETE", JOB_PATH, 202, lambda c, **kw: c.jobs.delete(JOB_ID, **kw), conditional=True),
    "disable": Op(
        "POST",
        f"{JOB_PATH}/disable",
        202,
        lambda c, **kw: c.jobs.disable(JOB_ID, "requeue", **kw),
        conditional=True,
        write=True,
    ),
    "enable": Op(
        "POST",
        f"{JOB_PATH}/enable",
        202,
        lambda c, **kw: c.jobs.enable(JOB_ID, **kw),
        conditional=True,
        write=True,
    ),
    "get": Op(
        "GET", JOB_PATH, 200, lambda c, **kw: c.jobs.get(JOB_ID, **kw), body=GET_BODY, conditional=True
    ),
    "get_task_counts": Op(
        "GET",
        f"{JOB_PATH}/taskcounts",
        200,
        lambda c, **kw: c.jobs.get_task_counts(JOB_ID, **kw),
        TASK_COUNTS,
    ),
    "list": Op("GET", "/jobs", 200, _lister("list"), body={"value": []}),
    "list_from_job_schedule": Op(
        "GET", SCHEDULE_PATH, 200, _lister("list_from_job_schedule", SCHEDULE_ID), body={"value": []}
    ),
    "list_preparation_and_release_task_status": Op(
        "GET",
        f"{JOB_PATH}/jobpreparationandreleasetaskstatus",
        200,
        _lister("list_preparation_and_release_task_status", JOB_ID),
        body={"value": []},
    ),
    "patch": Op(
        "PATCH",
        JOB_PATH,
        200,
        lambda c, **kw: c.jobs.patch(JOB_ID, {"priority": 1}, **kw),
        conditional=True,
        write=True,
    ),
    "terminate": Op(
        "POST",
        f"{JOB_PATH}/terminate",
        202,
        lambda c, **kw: c.jobs.terminate(JOB_ID, **kw),
        conditional=True,
        write=True,
    ),
    "update": Op(
        "PUT",
        JOB_PATH,
        200,
        lambda c, **kw: c.jobs.update(JOB_ID, {"poolInfo": {"poolId": "p"}}, **kw),
        conditional=True,
        write=True,
    ),
}
CONDITIONAL = [name for name, op in OPS.items() if op.conditional]
WRITES = [name for name, op in OPS.items() if op.write]


def _respond(httpx_mock: HTTPXMock, op: Op, headers: dict[str, str] | None = None) -> None:
    if op.body is None:
        httpx_mock.add_response(status_code=op.status, headers=headers)
    else:
        httpx_mock.add_response(status_code=op.status, json=op.body, headers=headers)


def test_table_covers_the_twelve_operations() -> None:
    public = {name for name in dir(JobOperations) if not name.startswith("_")}
    pollers = {"begin_delete", "begin_disable", "begin_enable", "begin_terminate"}  # tested in test_lro.py
    helpers = {"wait_for_state", "wait_for_completion", "exists"}  # tested in test_lifecycle.py
    helpers |= {"delete_many", "terminate_many", "disable_many", "enable_many"}
    assert public - pollers - helpers == set(OPS)
    assert len(OPS) == 12
    assert sorted(CONDITIONAL) == ["delete", "disable", "enable", "get", "patch", "terminate", "update"]


@pytest.mark.parametrize("name", list(OPS))
async def test_method_path_and_default_query(name: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    op = OPS[name]
    _respond(httpx_mock, op)

    await op.call(client)

    request = only_request(httpx_mock.get_requests())
    assert request.method == op.method
    assert request.url.scheme == "https"
    assert request.url.host == HOST
    assert request.url.raw_path.split(b"?")[0].decode() == op.path
    assert query_items(request) == [("api-version", API_VERSION)]


@pytest.mark.parametrize("name", list(OPS))
async def test_service_timeout_is_the_timeout_query_parameter(
    name: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    op = OPS[name]
    _respond(httpx_mock, op)

    await op.call(client, service_timeout=20)

    request = only_request(httpx_mock.get_requests())
    assert query_items(request) == [("api-version", API_VERSION), ("timeout", "20")]


@pytest.mark.parametrize("name", list(OPS))
async def test_standard_headers(name: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    op = OPS[name]
    _respond(httpx_mock, op)

    await op.call(
        client,
        client_request_id=CLIENT_REQUEST_ID,
        return_client_request_id=True,
        ocp_date=OCP_DATE,
    )

    request = only_request(httpx_mock.get_requests())
    assert request.headers["client-request-id"] == CLIENT_REQUEST_ID
    assert request.headers["return-client-request-id"] == "true"
    assert request.headers["ocp-date"] == "Fri, 17 Feb 2017 00:00:00 GMT"
    # Shared Key still signs the request; the caller's ocp-date is the one signed and sent.
    assert request.headers["Authorization"].startswith("SharedKey account:")
    for name_ in ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"):
        assert name_ not in request.headers


async def test_ocp_date_is_converted_to_gmt(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    plus_two = datetime.timezone(datetime.timedelta(hours=2))

    await client.jobs.enable("job-1", ocp_date=datetime.datetime(2017, 2, 17, 2, 30, 5, tzinfo=plus_two))

    assert only_request(httpx_mock.get_requests()).headers["ocp-date"] == "Fri, 17 Feb 2017 00:30:05 GMT"


async def test_return_client_request_id_false_is_sent(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.enable("job-1", return_client_request_id=False)

    assert only_request(httpx_mock.get_requests()).headers["return-client-request-id"] == "false"


async def test_client_request_id_accepts_a_uuid_object(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    value = uuid.UUID("9c4d50ee-2d56-4cd3-8152-34347dc9f2b0")

    await client.jobs.enable("job-1", client_request_id=value)

    assert only_request(httpx_mock.get_requests()).headers["client-request-id"] == str(value)


# --------------------------------------------------------------------------------------------------
# Conditional headers
# --------------------------------------------------------------------------------------------------

MATCH_CASES = [
    (MatchConditions.IfNotModified, ETAG, {"If-Match": ETAG}),
    (MatchConditions.IfModified, ETAG, {"If-None-Match": ETAG}),
    (MatchConditions.IfPresent, None, {"If-Match": "*"}),
    (MatchConditions.IfMissing, None, {"If-None-Match": "*"}),
]


@pytest.mark.parametrize("name", CONDITIONAL)
@pytest.mark.parametrize(
    ("condition", "etag", "expected"), MATCH_CASES, ids=lambda v: getattr(v, "name", None)
)
async def test_match_conditions(
    name: str,
    condition: MatchConditions,
    etag: str | None,
    expected: dict[str, str],
    client: BatchClient,
    httpx_mock: HTTPXMock,
) -> None:
    op = OPS[name]
    _respond(httpx_mock, op)

    await op.call(client, etag=etag, match_condition=condition)

    request = only_request(httpx_mock.get_requests())
    sent = {
        h: request.headers[h]
        for h in ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")
        if h in request.headers
    }
    assert sent == expected


@pytest.mark.parametrize("name", CONDITIONAL)
async def test_date_conditions(name: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    op = OPS[name]
    _respond(httpx_mock, op)

    await op.call(
        client,
        if_modified_since=datetime.datetime(2017, 2, 17, 0, 0, 0, tzinfo=UTC),
        if_unmodified_since=datetime.datetime(2017, 2, 18, 12, 30, 45, tzinfo=UTC),
    )

    request = only_request(httpx_mock.get_requests())
    assert request.headers["If-Modified-Since"] == "Fri, 17 Feb 2017 00:00:00 GMT"
    assert request.headers["If-Unmodified-Since"] == "Sat, 18 Feb 2017 12:30:45 GMT"
    assert "If-Match" not in request.headers
    assert "If-None-Match" not in request.headers


async def test_etag_and_date_conditions_together(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200)

    await client.jobs.patch(
        "job-1",
        {"priority": 5},
        etag=ETAG,
        match_condition=MatchConditions.IfNotModified,
        if_unmodified_since=datetime.datetime(2017, 2, 17, tzinfo=UTC),
    )

    request = only_request(httpx_mock.get_requests())
    assert request.headers["If-Match"] == ETAG
    assert request.headers["If-Unmodified-Since"] == "Fri, 17 Feb 2017 00:00:00 GMT"


# --------------------------------------------------------------------------------------------------
# Write results from response headers
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITES)
async def test_write_result_from_headers(name: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    op = OPS[name]
    _respond(
        httpx_mock,
        op,
        headers={
            "ETag": ETAG,
            "Last-Modified": LAST_MODIFIED,
            "request-id": REQUEST_ID,
            "client-request-id": CLIENT_REQUEST_ID,
            "DataServiceId": f"{ENDPOINT}/jobs/job-1",
        },
    )

    result = await op.call(client, client_request_id=CLIENT_REQUEST_ID, return_client_request_id=True)

    assert isinstance(result, models.JobWriteResult)
    assert result.etag == ETAG
    assert result.last_modified == datetime.datetime(2017, 2, 17, tzinfo=UTC)
    assert result.last_modified.utcoffset() == datetime.timedelta(0)
    assert result.request_id == REQUEST_ID
    assert result.client_request_id == CLIENT_REQUEST_ID
    assert result.data_service_id == f"{ENDPOINT}/jobs/job-1"


async def test_delete_result_has_no_etag(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    # A 202 from delete carries only request-id (and client-request-id if asked for).
    httpx_mock.add_response(status_code=202, headers={"request-id": REQUEST_ID})

    result = await client.jobs.delete(JOB_ID)

    assert result == models.JobWriteResult(request_id=REQUEST_ID)
    assert result.etag is None
    assert result.last_modified is None
    assert result.client_request_id is None
    assert result.data_service_id is None


async def test_write_result_fields_are_none_when_headers_are_absent(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=201)

    result = await client.jobs.add(BASIC_JOB)

    assert result == models.JobWriteResult()


# --------------------------------------------------------------------------------------------------
# add
# --------------------------------------------------------------------------------------------------


async def test_add_with_a_model(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=201, headers={"ETag": ETAG, "DataServiceId": f"{ENDPOINT}/jobs/job-1"}
    )
    job = models.JobAddParameter(
        id="job-1",
        display_name="Nightly ✓",
        priority=-5,
        max_parallel_tasks=4,
        constraints=models.JobConstraints(
            max_wall_clock_time=datetime.timedelta(hours=1, minutes=30), max_task_retry_count=3
        ),
        pool_info=models.PoolInformation(pool_id="pool-1"),
        on_all_tasks_complete=models.OnAllTasksComplete.TERMINATE_JOB,
        on_task_failure="performExitOptionsJobAction",
        metadata=[models.MetadataItem(name="owner", value="team-a")],
        uses_task_dependencies=True,
    )

    result = await client.jobs.add(job)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "POST"
    assert request.url.raw_path == f"/jobs?api-version={API_VERSION}".encode()
    _assert_json_body(
        request,
        {
            "id": "job-1",
            "displayName": "Nightly ✓",
            "priority": -5,
            "maxParallelTasks": 4,
            "constraints": {"maxWallClockTime": "PT1H30M", "maxTaskRetryCount": 3},
            "poolInfo": {"poolId": "pool-1"},
            "onAllTasksComplete": "terminatejob",
            "onTaskFailure": "performexitoptionsjobaction",
            "metadata": [{"name": "owner", "value": "team-a"}],
            "usesTaskDependencies": True,
        },
    )
    # Non-ASCII text goes out as UTF-8, and Content-Length counts bytes.
    assert "Nightly ✓".encode() in request.content
    assert result.etag == ETAG
    assert result.data_service_id == f"{ENDPOINT}/jobs/job-1"


async def test_add_with_a_wire_dict(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    job = load_example("JobAdd_Basic")["parameters"]["job"]
    httpx_mock.add_response(status_code=201)

    await client.jobs.add(job)

    request = only_request(httpx_mock.get_requests())
    _assert_json_body(request, {"id": "jobId", "priority": 0, "poolInfo": {"poolId": "poolId"}})


@pytest.mark.parametrize("as_model", [True, False], ids=["from_dict", "dict"])
async def test_add_complex_example_goes_out_byte_for_byte(
    as_model: bool, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    job = load_example("JobAdd_Complex")["parameters"]["job"]
    httpx_mock.add_response(status_code=201)

    await client.jobs.add(models.JobAddParameter.from_dict(job) if as_model else job)

    request = only_request(httpx_mock.get_requests())
    assert request.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert _body(request) == job
    # Same keys, same order, same values: the compact JSON of the example itself.
    assert request.content == json.dumps(job, separators=(",", ":"), ensure_ascii=False).encode()
    assert request.headers["Content-Length"] == str(len(request.content))


async def test_add_keeps_properties_unknown_to_the_models(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=201)
    job = {"id": "job-1", "poolInfo": {"poolId": "p", "futureFlag": True}, "newProperty": {"a": 1}}

    await client.jobs.add(job)

    assert _body(only_request(httpx_mock.get_requests())) == job


# --------------------------------------------------------------------------------------------------
# delete, disable, enable, terminate
# --------------------------------------------------------------------------------------------------


async def test_delete(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.delete(JOB_ID)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "DELETE"
    assert request.url.raw_path == f"{JOB_PATH}?api-version={API_VERSION}".encode()
    _assert_no_body(request)


@pytest.mark.parametrize(
    ("option", "wire"),
    [
        (models.DisableJobOption.REQUEUE, "requeue"),
        (models.DisableJobOption.TERMINATE, "terminate"),
        (models.DisableJobOption.WAIT, "wait"),
        ("terminate", "terminate"),
        ("Wait", "wait"),
    ],
)
async def test_disable(option: Any, wire: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.disable(JOB_ID, option)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "POST"
    assert request.url.raw_path == f"{JOB_PATH}/disable?api-version={API_VERSION}".encode()
    _assert_json_body(request, {"disableTasks": wire})


async def test_disable_example_body(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    parameters = load_example("JobDisable")["parameters"]
    httpx_mock.add_response(status_code=202)

    await client.jobs.disable(parameters["jobId"], parameters["jobDisableParameter"]["disableTasks"])

    request = only_request(httpx_mock.get_requests())
    assert request.url.path == "/jobs/jobId/disable"
    assert request.content == b'{"disableTasks":"terminate"}'


async def test_enable(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.enable(JOB_ID)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "POST"
    assert request.url.raw_path == f"{JOB_PATH}/enable?api-version={API_VERSION}".encode()
    _assert_no_body(request)


async def test_terminate_with_reason(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    reason = load_example("JobTerminate")["parameters"]["jobTerminateParameter"]["terminateReason"]
    httpx_mock.add_response(status_code=202)

    await client.jobs.terminate(JOB_ID, reason)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "POST"
    assert request.url.raw_path == f"{JOB_PATH}/terminate?api-version={API_VERSION}".encode()
    _assert_json_body(request, {"terminateReason": "User supplied termination reason"})


async def test_terminate_without_reason_sends_no_body(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.terminate(JOB_ID)

    request = only_request(httpx_mock.get_requests())
    assert request.url.raw_path == f"{JOB_PATH}/terminate?api-version={API_VERSION}".encode()
    _assert_no_body(request)


@pytest.mark.parametrize("auth", ["shared_key", "bearer"])
@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.jobs.enable(JOB_ID),
        lambda c: c.jobs.delete(JOB_ID),
        lambda c: c.jobs.terminate(JOB_ID),
    ],
    ids=["enable", "delete", "terminate"],
)
async def test_body_less_writes_send_content_length_zero(
    auth: str,
    call: Callable[[BatchClient], Awaitable[Any]],
    make_client: ClientFactory,
    httpx_mock: HTTPXMock,
) -> None:
    # The service wants Content-Length on every write, whichever credential signs (or does not sign) it.
    httpx_mock.add_response(status_code=202)
    credential = FakeTokenCredential() if auth == "bearer" else None

    async with make_client(credential) as client:
        await call(client)

    _assert_no_body(only_request(httpx_mock.get_requests()))


# --------------------------------------------------------------------------------------------------
# get, get_task_counts
# --------------------------------------------------------------------------------------------------


async def test_get_parses_the_example(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json=GET_BODY,
        headers={
            "Content-Type": "application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
            "ETag": ETAG,
        },
    )

    job = await client.jobs.get(JOB_ID)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "GET"
    assert request.url.raw_path == f"{JOB_PATH}?api-version={API_VERSION}".encode()
    _assert_no_body(request)

    assert isinstance(job, models.CloudJob)
    assert job.id == "jobId"
    assert job.url == "https://account.region.batch.azure.com/jobs/jobId"
    assert job.etag == ETAG
    assert job.state == models.JobState.COMPLETED
    assert job.state == "completed"
    assert job.previous_state is models.JobState.ACTIVE
    assert job.priority == 0
    assert job.max_parallel_tasks == -1
    assert job.allow_task_preemption is False
    assert job.uses_task_dependencies is False
    assert job.on_all_tasks_complete is models.OnAllTasksComplete.NO_ACTION
    assert job.on_task_failure is models.OnTaskFailure.NO_ACTION
    assert job.pool_info is not None and job.pool_info.pool_id == "poolId"
    # Date-times: tz-aware UTC, 7-digit fractions truncated to microseconds.
    expected_times = {
        "last_modified": datetime.datetime(2016, 11, 19, 0, 5, 27, 539160, tzinfo=UTC),
        "creation_time": datetime.datetime(2016, 11, 19, 0, 5, 25, 311915, tzinfo=UTC),
        "state_transition_time": datetime.datetime(2016, 11, 19, 0, 5, 27, 578581, tzinfo=UTC),
        "previous_state_transition_time": datetime.datetime(2016, 11, 19, 0, 5, 27, 213771, tzinfo=UTC),
    }
    for attr, expected in expected_times.items():
        value = getattr(job, attr)
        assert value == expected, attr
        assert value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0), attr
    info = job.execution_info
    assert info is not None
    assert info.start_time == datetime.datetime(2016, 11, 19, 0, 5, 25, 330910, tzinfo=UTC)
    assert info.end_time == datetime.datetime(2016, 11, 19, 0, 5, 27, 578581, tzinfo=UTC)
    assert info.end_time.tzinfo is not None
    assert info.pool_id == "poolId"
    assert info.terminate_reason == "UserTerminate"
    # TimeSpan.MaxValue, truncated (never rounded up) to microseconds.
    assert job.constraints is not None
    assert job.constraints.max_wall_clock_time == datetime.timedelta(
        days=10675199, hours=2, minutes=48, seconds=5, microseconds=477580
    )
    assert job.constraints.max_task_retry_count == 0


async def test_get_ignores_odata_metadata_and_unknown_properties(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        json={"odata.metadata": f"{ENDPOINT}/$metadata#jobs/@Element", "id": "job-1", "brandNew": 1}
    )

    job = await client.jobs.get("job-1")

    assert job.id == "job-1"
    assert job.state is None
    assert job.additional_properties == {
        "odata.metadata": f"{ENDPOINT}/$metadata#jobs/@Element",
        "brandNew": 1,
    }


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"select": ["id", "state"]}, [("$select", "id,state")]),
        ({"select": "id, state,executionInfo"}, [("$select", "id,state,executionInfo")]),
        ({"select": ("id",), "expand": "stats"}, [("$expand", "stats"), ("$select", "id")]),
        ({"expand": ["stats"]}, [("$expand", "stats")]),
    ],
)
async def test_get_select_and_expand(
    kwargs: dict[str, Any], expected: list[tuple[str, str]], client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": JOB_ID})

    await client.jobs.get(JOB_ID, **kwargs)

    request = only_request(httpx_mock.get_requests())
    assert query_items(request) == sorted([("api-version", API_VERSION), *expected])


async def test_get_with_stats(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    stats = {
        "url": f"{ENDPOINT}/jobs/job-1",
        "startTime": "2016-11-19T00:05:25.3309105Z",
        "lastUpdateTime": "2016-11-19T00:05:27Z",
        "userCPUTime": "PT1.5S",
        "kernelCPUTime": "PT0S",
        "wallClockTime": "P1DT2H",
        "readIOps": 12345678901234,
        "writeIOps": 2,
        "readIOGiB": 0.25,
        "writeIOGiB": 1.5,
        "numSucceededTasks": 9007199254740993,
        "numFailedTasks": 0,
        "numTaskRetries": 1,
        "waitTime": "PT10M",
    }
    httpx_mock.add_response(json={"id": "job-1", "stats": stats})

    job = await client.jobs.get("job-1", expand="stats")

    assert job.stats is not None
    assert job.stats.read_iops == 12345678901234
    assert job.stats.num_succeeded_tasks == 9007199254740993  # int64 beyond float precision, exact
    assert job.stats.read_io_gi_b == 0.25
    assert job.stats.wall_clock_time == datetime.timedelta(days=1, hours=2)
    assert job.stats.start_time == datetime.datetime(2016, 11, 19, 0, 5, 25, 330910, tzinfo=UTC)
    assert job.stats.as_dict() == stats


async def test_get_task_counts_parses_the_example(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=TASK_COUNTS)

    result = await client.jobs.get_task_counts(JOB_ID)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "GET"
    assert request.url.raw_path == f"{JOB_PATH}/taskcounts?api-version={API_VERSION}".encode()
    assert isinstance(result, models.TaskCountsResult)
    for counts in (result.task_counts, result.task_slot_counts):
        assert counts is not None
        assert (counts.active, counts.running, counts.completed, counts.succeeded, counts.failed) == (
            5,
            7,
            4,
            2,
            2,
        )


# --------------------------------------------------------------------------------------------------
# Listings (first page; paging itself is in test_paging.py)
# --------------------------------------------------------------------------------------------------


async def test_list_parses_the_example(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json=load_example("JobList")["responses"]["200"]["body"])

    jobs = await collect(client.jobs.list())

    request = only_request(httpx_mock.get_requests())
    assert request.method == "GET"
    assert request.url.raw_path == f"/jobs?api-version={API_VERSION}".encode()
    assert len(jobs) == 1
    job = jobs[0]
    assert isinstance(job, models.CloudJob)
    assert job.id == "jobId"
    assert job.state is models.JobState.ACTIVE
    assert job.previous_state is models.JobState.DISABLED
    assert job.previous_state_transition_time == datetime.datetime(2016, 11, 19, 0, 5, 26, 887770, tzinfo=UTC)
    assert job.execution_info is not None and job.execution_info.end_time is None


LIST_QUERY_CASES = [
    (
        {"filter": "state eq 'active'", "select": ["id", "state"], "expand": "stats", "max_results": 10},
        [
            ("$expand", "stats"),
            ("$filter", "state eq 'active'"),
            ("$select", "id,state"),
            ("maxresults", "10"),
        ],
    ),
    (
        {"filter": "startswith(id,'nightly-') and state ne 'completed'", "select": "id,state"},
        [("$filter", "startswith(id,'nightly-') and state ne 'completed'"), ("$select", "id,state")],
    ),
    ({"max_results": 1}, [("maxresults", "1")]),
    ({"max_results": 1000, "service_timeout": 30}, [("maxresults", "1000"), ("timeout", "30")]),
]


@pytest.mark.parametrize(("kwargs", "expected"), LIST_QUERY_CASES)
async def test_list_query(
    kwargs: dict[str, Any], expected: list[tuple[str, str]], client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": []})

    assert await collect(client.jobs.list(**kwargs)) == []

    request = only_request(httpx_mock.get_requests())
    assert request.url.path == "/jobs"
    assert query_items(request) == sorted([("api-version", API_VERSION), *expected])


async def test_list_filter_is_percent_encoded(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"value": []})

    await collect(client.jobs.list(filter="id eq 'a&b=c'"))

    request = only_request(httpx_mock.get_requests())
    # The value survives as one parameter: & and = inside it are escaped.
    assert request.url.params.get_list("$filter") == ["id eq 'a&b=c'"]
    assert b"$filter=" in request.url.raw_path
    assert b"&b=c" not in request.url.raw_path


@pytest.mark.parametrize(("kwargs", "expected"), LIST_QUERY_CASES)
async def test_list_from_job_schedule_query(
    kwargs: dict[str, Any], expected: list[tuple[str, str]], client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json=load_example("JobListFromJobSchedule")["responses"]["200"]["body"])

    jobs = await collect(client.jobs.list_from_job_schedule(SCHEDULE_ID, **kwargs))

    request = only_request(httpx_mock.get_requests())
    assert request.method == "GET"
    assert request.url.raw_path.split(b"?")[0] == SCHEDULE_PATH.encode()
    assert query_items(request) == sorted([("api-version", API_VERSION), *expected])
    assert [job.id for job in jobs] == ["jobId"]
    assert all(isinstance(job, models.CloudJob) for job in jobs)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"filter": "nodeId eq 'tvm-1'", "select": ["nodeId", "poolId"], "max_results": 5},
            [("$filter", "nodeId eq 'tvm-1'"), ("$select", "nodeId,poolId"), ("maxresults", "5")],
        ),
        ({"select": "nodeId", "service_timeout": 5}, [("$select", "nodeId"), ("timeout", "5")]),
    ],
)
async def test_list_preparation_and_release_task_status(
    kwargs: dict[str, Any], expected: list[tuple[str, str]], client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    body = load_example("JobListPreparationAndReleaseTaskStatus")["responses"]["200"]["body"]
    del body["odata.nextLink"]  # a single page here; following the link is tested in test_paging.py
    httpx_mock.add_response(json=body)

    entries = await collect(client.jobs.list_preparation_and_release_task_status(JOB_ID, **kwargs))

    request = only_request(httpx_mock.get_requests())
    assert request.method == "GET"
    assert request.url.raw_path.split(b"?")[0] == f"{JOB_PATH}/jobpreparationandreleasetaskstatus".encode()
    assert query_items(request) == sorted([("api-version", API_VERSION), *expected])
    assert len(entries) == 1
    entry = entries[0]
    assert isinstance(entry, models.JobPreparationAndReleaseTaskExecutionInformation)
    assert entry.pool_id == "poolId"
    assert entry.node_id == "tvm-2167304207_1-20140905t174658z"
    prep = entry.job_preparation_task_execution_info
    assert prep is not None
    assert prep.state is models.JobPreparationTaskState.COMPLETED
    assert prep.start_time == datetime.datetime(2015, 5, 1, 10, 20, 31, tzinfo=UTC)
    assert prep.end_time == datetime.datetime(2015, 5, 2, 20, 12, 42, tzinfo=UTC)
    assert prep.exit_code == 0
    assert prep.retry_count == 0
    release = entry.job_release_task_execution_info
    assert release is not None
    assert release.state is models.JobReleaseTaskState.COMPLETED
    assert release.task_root_directory == "tasks/myjob/job-1/myjobreleasetask"


# --------------------------------------------------------------------------------------------------
# patch, update
# --------------------------------------------------------------------------------------------------


async def test_patch_with_a_model(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, headers={"ETag": "0x2"})
    patch = models.JobPatchParameter(
        priority=100,
        max_parallel_tasks=8,
        allow_task_preemption=True,
        on_all_tasks_complete=models.OnAllTasksComplete.TERMINATE_JOB,
        constraints=models.JobConstraints(max_wall_clock_time=datetime.timedelta(days=7)),
        metadata=[],
    )

    result = await client.jobs.patch(JOB_ID, patch)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "PATCH"
    assert request.url.raw_path == f"{JOB_PATH}?api-version={API_VERSION}".encode()
    _assert_json_body(
        request,
        {
            "priority": 100,
            "maxParallelTasks": 8,
            "allowTaskPreemption": True,
            "onAllTasksComplete": "terminatejob",
            "constraints": {"maxWallClockTime": "P7D"},
            "metadata": [],
        },
    )
    assert result.etag == "0x2"


async def test_patch_with_the_example_dict(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    parameters = load_example("JobPatch")["parameters"]
    httpx_mock.add_response(status_code=200)

    await client.jobs.patch(parameters["jobId"], parameters["jobPatchParameter"])

    request = only_request(httpx_mock.get_requests())
    assert request.url.path == "/jobs/jobId"
    _assert_json_body(request, parameters["jobPatchParameter"])


async def test_update_with_a_model(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200)
    update = models.JobUpdateParameter(
        priority=10,
        pool_info=models.PoolInformation(pool_id="pool-2"),
        metadata=[models.MetadataItem(name="k", value="v")],
    )

    await client.jobs.update(JOB_ID, update)

    request = only_request(httpx_mock.get_requests())
    assert request.method == "PUT"
    assert request.url.raw_path == f"{JOB_PATH}?api-version={API_VERSION}".encode()
    _assert_json_body(
        request, {"priority": 10, "poolInfo": {"poolId": "pool-2"}, "metadata": [{"name": "k", "value": "v"}]}
    )


async def test_update_with_the_example_dict(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    parameters = load_example("JobUpdate")["parameters"]
    httpx_mock.add_response(status_code=200)

    await client.jobs.update(parameters["jobId"], parameters["jobUpdateParameter"])

    request = only_request(httpx_mock.get_requests())
    _assert_json_body(request, parameters["jobUpdateParameter"])


# The updatable subset of the JobGet example, exactly as the service sent it (TimeSpan.MaxValue intact).
WRITABLE_FROM_GET = {
    "priority": 0,
    "maxParallelTasks": -1,
    "allowTaskPreemption": False,
    "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 0},
    "poolInfo": {"poolId": "poolId"},
    "onAllTasksComplete": "noaction",
}


@pytest.mark.parametrize("operation", ["update", "patch"])
async def test_fetched_job_sends_only_the_writable_subset(
    operation: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="GET", json=GET_BODY)
    httpx_mock.add_response(method="PUT" if operation == "update" else "PATCH", status_code=200)

    job = await client.jobs.get("jobId")
    await getattr(client.jobs, operation)("jobId", job)

    sent = httpx_mock.get_requests()[-1]
    _assert_json_body(sent, WRITABLE_FROM_GET)


async def test_fetched_and_edited_job_sends_the_edits(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="GET", json=GET_BODY)
    httpx_mock.add_response(method="PUT", status_code=200)

    job = await client.jobs.get("jobId")
    job.priority = 500
    job.metadata = [models.MetadataItem(name="edited", value="yes")]
    job.display_name = "not writable, not sent"
    await client.jobs.update("jobId", job, etag=job.etag, match_condition=MatchConditions.IfNotModified)

    sent = httpx_mock.get_requests()[-1]
    assert sent.headers["If-Match"] == ETAG
    _assert_json_body(
        sent,
        {
            **WRITABLE_FROM_GET,
            "priority": 500,
            "metadata": [{"name": "edited", "value": "yes"}],
        },
    )


# --------------------------------------------------------------------------------------------------
# Response parsing details
# --------------------------------------------------------------------------------------------------


async def test_malformed_last_modified_does_not_fail_a_write(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=202, headers={"Last-Modified": "yesterday-ish", "ETag": ETAG})

    result = await client.jobs.enable("job-1")

    assert result.etag == ETAG
    assert result.last_modified is None


async def test_last_modified_is_an_aware_datetime(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=200, headers={"Last-Modified": "Tue, 29 Jul 2014 21:49:13 GMT"})

    result = await client.jobs.patch("job-1", {"priority": 1})

    assert result.last_modified == parsedate_to_datetime("Tue, 29 Jul 2014 21:49:13 GMT")
    assert result.last_modified is not None and result.last_modified.tzinfo is not None
