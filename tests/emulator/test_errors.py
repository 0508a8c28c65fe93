"""Every error the emulator produces comes back as a Batch error body with the right status and code."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error

POOL = {"poolId": "pool"}


# ----------------------------------------------------------------------------------- request bodies

ADD_CASES: list[tuple[Any, str, str | None]] = [
    ({"poolInfo": POOL}, "MissingRequiredProperty", "id"),
    ({"id": "a"}, "MissingRequiredProperty", "poolInfo"),
    ({"id": "", "poolInfo": POOL}, "InvalidPropertyValue", "id"),
    ({"id": "x" * 65, "poolInfo": POOL}, "InvalidPropertyValue", "id"),
    ({"id": "has space", "poolInfo": POOL}, "InvalidPropertyValue", "id"),
    ({"id": "dot.ted", "poolInfo": POOL}, "InvalidPropertyValue", "id"),
    ({"id": 5, "poolInfo": POOL}, "InvalidPropertyValue", "id"),
    ({"id": "a", "poolInfo": POOL, "priority": 1001}, "InvalidPropertyValue", "priority"),
    ({"id": "a", "poolInfo": POOL, "priority": -1001}, "InvalidPropertyValue", "priority"),
    ({"id": "a", "poolInfo": POOL, "priority": "high"}, "InvalidPropertyValue", "priority"),
    ({"id": "a", "poolInfo": POOL, "priority": True}, "InvalidPropertyValue", "priority"),
    ({"id": "a", "poolInfo": POOL, "maxParallelTasks": 0}, "InvalidPropertyValue", "maxParallelTasks"),
    ({"id": "a", "poolInfo": POOL, "maxParallelTasks": -2}, "InvalidPropertyValue", "maxParallelTasks"),
    (
        {"id": "a", "poolInfo": POOL, "onAllTasksComplete": "explode"},
        "InvalidPropertyValue",
        "onAllTasksComplete",
    ),
    ({"id": "a", "poolInfo": POOL, "onTaskFailure": "retry"}, "InvalidPropertyValue", "onTaskFailure"),
    (
        {"id": "a", "poolInfo": POOL, "usesTaskDependencies": "yes"},
        "InvalidPropertyValue",
        "usesTaskDependencies",
    ),
    ({"id": "a", "poolInfo": {}}, "InvalidPropertyValue", "poolInfo"),
    (
        {"id": "a", "poolInfo": {"poolId": "p", "autoPoolSpecification": {"poolLifetimeOption": "job"}}},
        "InvalidPropertyValue",
        "poolInfo",
    ),
    (
        {"id": "a", "poolInfo": {"autoPoolSpecification": {"pool": {"vmSize": "small"}}}},
        "MissingRequiredProperty",
        "poolInfo.autoPoolSpecification.poolLifetimeOption",
    ),
    (
        {"id": "a", "poolInfo": {"autoPoolSpecification": {"poolLifetimeOption": "forever"}}},
        "InvalidPropertyValue",
        "poolInfo.autoPoolSpecification.poolLifetimeOption",
    ),
    ({"id": "a", "poolInfo": POOL, "colour": "red"}, "UnsupportedProperty", "colour"),
    ({"id": "a", "poolInfo": {"poolId": "p", "extra": 1}}, "UnsupportedProperty", "poolInfo.extra"),
    ({"id": "a", "poolInfo": POOL, "state": "active"}, "UnsupportedProperty", "state"),
    (
        {"id": "a", "poolInfo": POOL, "constraints": {"maxWallClockTime": "1 hour"}},
        "InvalidPropertyValue",
        "constraints.maxWallClockTime",
    ),
    (
        {"id": "a", "poolInfo": POOL, "constraints": {"maxTaskRetryCount": -2}},
        "InvalidPropertyValue",
        "constraints.maxTaskRetryCount",
    ),
    (
        {"id": "a", "poolInfo": POOL, "metadata": [{"name": "k"}]},
        "MissingRequiredProperty",
        "metadata[0].value",
    ),
    ({"id": "a", "poolInfo": POOL, "metadata": {"k": "v"}}, "InvalidPropertyValue", "metadata"),
    (
        {"id": "a", "poolInfo": POOL, "jobManagerTask": {"id": "jm"}},
        "MissingRequiredProperty",
        "jobManagerTask.commandLine",
    ),
    (
        {"id": "a", "poolInfo": POOL, "jobManagerTask": {"commandLine": "x"}},
        "MissingRequiredProperty",
        "jobManagerTask.id",
    ),
    (
        {"id": "a", "poolInfo": POOL, "jobPreparationTask": {}},
        "MissingRequiredProperty",
        "jobPreparationTask.commandLine",
    ),
    (
        {"id": "a", "poolInfo": POOL, "networkConfiguration": {}},
        "MissingRequiredProperty",
        "networkConfiguration.subnetId",
    ),
    ({"id": "a", "poolInfo": POOL, "displayName": "d" * 1025}, "InvalidPropertyValue", "displayName"),
]


@pytest.mark.parametrize(("body", "code", "prop"), ADD_CASES)
async def test_add_validation(api: Api, body: Any, code: str, prop: str | None) -> None:
    reply = await api.call("POST", "/jobs", body=body)
    assert_batch_error(reply, 400, code)
    assert reply.detail("PropertyName") == prop
    assert (await api.call("GET", "/jobs")).body["value"] == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
        (b'{"id": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, ""),
    ],
)
async def test_body_that_is_not_a_json_object(api: Api, data: bytes, reason: str) -> None:
    reply = await api.call("POST", "/jobs", data=data)
    assert_batch_error(reply, 400, "InvalidRequestBody")
    assert reason in (reply.detail("Reason") or "")


@pytest.mark.parametrize(
    ("method", "suffix", "body", "code", "prop"),
    [
        ("PATCH", "", {"id": "renamed"}, "UnsupportedProperty", "id"),
        ("PATCH", "", {"priority": 5000}, "InvalidPropertyValue", "priority"),
        (
            "PATCH",
            "",
            {"poolInfo": {"poolId": "a", "autoPoolSpecification": {}}},
            "InvalidPropertyValue",
            "poolInfo",
        ),
        (
            "PATCH",
            "",
            {"jobManagerTask": {"id": "x", "commandLine": "y"}},
            "UnsupportedProperty",
            "jobManagerTask",
        ),
        ("PUT", "", {"priority": 1}, "MissingRequiredProperty", "poolInfo"),
        ("PUT", "", {"poolInfo": POOL, "displayName": "x"}, "UnsupportedProperty", "displayName"),
        ("PUT", "", {"poolInfo": POOL, "maxParallelTasks": 0}, "InvalidPropertyValue", "maxParallelTasks"),
        ("POST", "/disable", {}, "MissingRequiredProperty", "disableTasks"),
        ("POST", "/disable", {"disableTasks": "later"}, "InvalidPropertyValue", "disableTasks"),
        ("POST", "/disable", {"disableTasks": "wait", "x": 1}, "UnsupportedProperty", "x"),
        ("POST", "/terminate", {"terminateReason": 5}, "InvalidPropertyValue", "terminateReason"),
        ("POST", "/terminate", {"reason": "x"}, "UnsupportedProperty", "reason"),
    ],
)
async def test_write_validation(api: Api, method: str, suffix: str, body: Any, code: str, prop: str) -> None:
    await api.add("v")
    before = (await api.get("v")).body
    reply = await api.call(method, f"/jobs/v{suffix}", body=body)
    assert_batch_error(reply, 400, code)
    assert reply.detail("PropertyName") == prop
    assert (await api.get("v")).body == before


async def test_write_bodies_must_be_json(api: Api) -> None:
    await api.add("v")
    for method, suffix in [("PATCH", ""), ("PUT", ""), ("POST", "/disable"), ("POST", "/terminate")]:
        reply = await api.call(method, f"/jobs/v{suffix}", data=b"<xml/>")
        assert_batch_error(reply, 400, "InvalidRequestBody")


# --------------------------------------------------------------------------------- missing resources

JOB_OPERATIONS = [
    ("GET", ""),
    ("DELETE", ""),
    ("PATCH", ""),
    ("PUT", ""),
    ("POST", "/disable"),
    ("POST", "/enable"),
    ("POST", "/terminate"),
    ("GET", "/taskcounts"),
    ("GET", "/jobpreparationandreleasetaskstatus"),
]
VALID_BODIES = {
    ("PATCH", ""): {"priority": 1},
    ("PUT", ""): {"poolInfo": POOL},
    ("POST", "/disable"): {"disableTasks": "wait"},
}


@pytest.mark.parametrize(("method", "suffix"), JOB_OPERATIONS)
async def test_job_not_found(api: Api, method: str, suffix: str) -> None:
    body = VALID_BODIES.get((method, suffix))
    data = b"" if body is None and method != "GET" else None
    reply = await api.call(method, f"/jobs/nope{suffix}", body=body, data=data)
    assert_batch_error(reply, 404, "JobNotFound")
    assert reply.detail("JobId") == "nope"


async def test_job_schedule_not_found(api: Api) -> None:
    reply = await api.call("GET", "/jobschedules/nope/jobs")
    assert_batch_error(reply, 404, "JobScheduleNotFound")


async def test_job_exists_ignores_case(api: Api) -> None:
    await api.add("Dup")
    reply = await api.call("POST", "/jobs", body={"id": "dUP", "poolInfo": POOL})
    assert_batch_error(reply, 409, "JobExists")


async def test_job_id_taken_by_a_schedule(api: Api, emu: BatchEmulator) -> None:
    emu.store.add_job_schedule("nightly")
    reply = await api.call("POST", "/jobs", body={"id": "Nightly", "poolInfo": POOL})
    assert_batch_error(reply, 409, "JobScheduleWithSameIdExists")


async def test_prep_release_status_needs_a_prep_or_release_task(api: Api) -> None:
    await api.add("plain")
    reply = await api.call("GET", "/jobs/plain/jobpreparationandreleasetaskstatus")
    assert_batch_error(reply, 409, "JobPreparationTaskOrReleaseTaskNotSpecified")
    await api.add("rel", jobReleaseTask={"commandLine": "cleanup"})
    ok = await api.call("GET", "/jobs/rel/jobpreparationandreleasetaskstatus")
    assert ok.status == 200 and ok.body["value"] == []


# ----------------------------------------------------------------------------------------- the query


async def test_missing_api_version(api: Api) -> None:
    reply = await api.call("GET", "/jobs", api_version=None)
    assert_batch_error(reply, 400, "MissingRequiredQueryParameter")
    assert reply.detail("QueryParameterName") == "api-version"


@pytest.mark.parametrize(
    ("query", "code", "name"),
    [
        ({"maxresults": "0"}, "OutOfRangeQueryParameterValue", "maxresults"),
        ({"maxresults": "1001"}, "OutOfRangeQueryParameterValue", "maxresults"),
        ({"maxresults": "ten"}, "InvalidQueryParameterValue", "maxresults"),
        ({"$filter": "state eq"}, "InvalidQueryParameterValue", "$filter"),
        ({"$filter": "priority eq 1"}, "InvalidQueryParameterValue", "$filter"),
        ({"$filter": "substringof('a', id)"}, "InvalidQueryParameterValue", "$filter"),
        ({"$select": "id,colour"}, "InvalidQueryParameterValue", "$select"),
        ({"$select": "id,,state"}, "InvalidQueryParameterValue", "$select"),
        ({"$expand": "tasks"}, "InvalidQueryParameterValue", "$expand"),
        ({"$skiptoken": "garbage!"}, "InvalidQueryParameterValue", "$skiptoken"),
        ({"timeout": "soon"}, "InvalidQueryParameterValue", "timeout"),
        ({"colour": "red"}, "UnsupportedQueryParameter", "colour"),
    ],
)
async def test_bad_list_query(api: Api, query: dict[str, str], code: str, name: str) -> None:
    reply = await api.call("GET", "/jobs", query=query)
    assert_batch_error(reply, 400, code)
    assert reply.detail("QueryParameterName") == name


async def test_query_options_an_operation_does_not_take(api: Api) -> None:
    await api.add("q", jobPreparationTask={"commandLine": "x"})
    assert_batch_error(await api.get("q", **{"$filter": "id eq 'q'"}), 400, "UnsupportedQueryParameter")
    assert_batch_error(await api.get("q", maxresults="5"), 400, "UnsupportedQueryParameter")
    prep = await api.call("GET", "/jobs/q/jobpreparationandreleasetaskstatus", query={"$expand": "stats"})
    assert_batch_error(prep, 400, "UnsupportedQueryParameter")
    count = await api.call("GET", "/jobs/q/taskcounts", query={"$select": "taskCounts"})
    assert_batch_error(count, 400, "UnsupportedQueryParameter")


async def test_bad_conditional_date_header(api: Api) -> None:
    await api.add("h")
    reply = await api.call("GET", "/jobs/h", headers={"If-Modified-Since": "yesterday"})
    assert_batch_error(reply, 400, "InvalidHeaderValue")
    assert reply.detail("HeaderName") == "If-Modified-Since"


# ---------------------------------------------------------------------------------------- transport


async def _chunks() -> AsyncIterator[bytes]:
    yield b'{"disableTasks": '
    yield b'"wait"}'


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/jobs"), ("POST", "/jobs/l/disable"), ("PATCH", "/jobs/l")]
)
async def test_write_without_content_length(api: Api, method: str, path: str) -> None:
    await api.add("l")
    # A streamed body goes out chunked, so the request carries no Content-Length.
    reply = await api.url(
        "POST" if method == "POST" else method, f"{api.endpoint}{path}?api-version=1", data=_chunks()
    )
    assert_batch_error(reply, 411, "MissingContentLengthHeader")


async def test_unknown_route_and_wrong_method(api: Api) -> None:
    assert_batch_error(await api.call("GET", "/pools"), 404, "ResourceNotFound")
    assert_batch_error(await api.call("GET", "/jobs/a/b/c"), 404, "ResourceNotFound")
    reply = await api.call("DELETE", "/jobs")
    assert_batch_error(reply, 405, "UnsupportedHttpVerb")
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "POST"}
    assert_batch_error(await api.call("POST", "/jobs/x/taskcounts", data=b""), 405, "UnsupportedHttpVerb")


async def test_body_too_large(api: Api) -> None:
    big = io.BytesIO(b'{"id": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    reply = await api.url("POST", f"{api.endpoint}/jobs?api-version=1", data=big)
    assert_batch_error(reply, 413, "RequestBodyTooLarge")


async def test_unexpected_exception_is_a_500_without_traceback(
    api: Api, emu: BatchEmulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(emu.store, "get_job", explode)
    with caplog.at_level(logging.ERROR, logger="azbatch.emulator"):
        reply = await api.get("any")
    assert_batch_error(reply, 500, "InternalError")
    assert b"secret internals" not in reply.raw
    assert any("secret internals" in (r.exc_text or "") for r in caplog.records)


@pytest.mark.batch_emulator(auth=True)
async def test_authentication_failed(api: Api) -> None:
    reply = await api.call("GET", "/jobs")
    assert_batch_error(reply, 403, "AuthenticationFailed")
    bad_key = await api.call(
        "GET", "/jobs", headers={"Authorization": "SharedKey emulator:AAAA", "ocp-date": "x"}
    )
    assert bad_key.status == 403
    assert_batch_error(bad_key, 403, "AuthenticationFailed")
    malformed = await api.call("GET", "/jobs", headers={"Authorization": "Basic abc"})
    assert_batch_error(malformed, 400, "InvalidAuthenticationInfo")
