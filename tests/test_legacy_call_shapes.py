"""azure-batch 14.x call shapes on both clients: options objects, custom_headers and raw=True."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from azure.core.credentials import AzureNamedKeyCredential
from pytest_httpx import HTTPXMock

import azbatch
import azbatch.aio
from azbatch import models
from azbatch import models as batchmodels
from azbatch.transports import AsyncHttpXTransport, HttpXTransport

ENDPOINT = "https://acct.westus.batch.azure.com"
CREDENTIAL = AzureNamedKeyCredential("acct", "c2VjcmV0")
UTC = datetime.timezone.utc


@pytest.fixture
def client() -> Iterator[azbatch.BatchClient]:
    with azbatch.BatchClient(ENDPOINT, CREDENTIAL, transport=HttpXTransport(), retry_total=0) as c:
        yield c


def _only_request(httpx_mock: HTTPXMock) -> httpx.Request:
    requests = httpx_mock.get_requests()
    assert len(requests) == 1
    return requests[0]


def test_list_options_object_becomes_query_and_headers(
    client: azbatch.BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": [{"id": "a", "state": "active"}]})
    options = models.JobListOptions(
        filter="state eq 'active'",
        select="id,state",
        expand="stats",
        max_results=10,
        timeout=20,
        return_client_request_id=True,
        ocp_date=datetime.datetime(2017, 2, 17, tzinfo=UTC),
    )
    jobs = list(client.job.list(job_list_options=options))
    assert [j.id for j in jobs] == ["a"]
    request = _only_request(httpx_mock)
    query = dict(request.url.params)
    assert query == {
        "api-version": "2024-02-01.19.0",
        "$filter": "state eq 'active'",
        "$select": "id,state",
        "$expand": "stats",
        "maxresults": "10",
        "timeout": "20",
    }
    assert request.headers["return-client-request-id"] == "true"
    assert request.headers["ocp-date"] == "Fri, 17 Feb 2017 00:00:00 GMT"


@pytest.mark.parametrize(
    ("if_match", "if_none_match", "header", "value"),
    [
        ("0x8D1", None, "If-Match", "0x8D1"),
        ("*", None, "If-Match", "*"),
        (None, "0x8D2", "If-None-Match", "0x8D2"),
        (None, "*", "If-None-Match", "*"),
    ],
)
def test_conditional_options_become_if_headers(
    client: azbatch.BatchClient,
    httpx_mock: HTTPXMock,
    if_match: str | None,
    if_none_match: str | None,
    header: str,
    value: str,
) -> None:
    httpx_mock.add_response(status_code=202)
    client.job.delete(
        "j1", job_delete_options=models.JobDeleteOptions(if_match=if_match, if_none_match=if_none_match)
    )
    assert _only_request(httpx_mock).headers[header] == value


def test_raw_returns_output_response_and_headers(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=201,
        headers={"ETag": "0x8D3", "request-id": "rid-1", "DataServiceId": f"{ENDPOINT}/jobs/j1"},
    )
    job = models.JobAddParameter(id="j1", pool_info=models.PoolInformation(pool_id="p"))
    raw = client.job.add(job, raw=True)
    assert isinstance(raw, azbatch.ClientRawResponse)
    assert isinstance(raw.output, azbatch.JobWriteResult)
    assert raw.output.etag == "0x8D3"
    assert raw.headers["ETag"] == "0x8D3"
    assert raw.headers["request-id"] == "rid-1"
    assert raw.response.status_code == 201


def test_raw_on_get_wraps_the_model(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "j1", "state": "active"}, headers={"ETag": "0x1"})
    raw = client.job.get("j1", raw=True)
    assert raw.output.id == "j1"
    assert raw.headers["ETag"] == "0x1"


def test_custom_headers_are_sent_on_every_page(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version=2024-02-01.19.0",
        json={
            "value": [{"id": "a"}],
            "odata.nextLink": f"{ENDPOINT}/jobs?$skiptoken=t1&api-version=2024-02-01.19.0",
        },
    )
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version=2024-02-01.19.0&$skiptoken=t1",
        json={"value": [{"id": "b"}]},
    )
    ids = [j.id for j in client.job.list(custom_headers={"x-ms-test": "yes"})]
    assert ids == ["a", "b"]
    requests = httpx_mock.get_requests()
    assert len(requests) == 2
    assert all(r.headers["x-ms-test"] == "yes" for r in requests)


def test_same_value_as_option_and_keyword_is_an_error(
    client: azbatch.BatchClient, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(TypeError, match="filter"):
        client.job.list(filter="state eq 'active'", job_list_options=models.JobListOptions(filter="x"))
    with pytest.raises(TypeError, match="service_timeout"):
        client.job.get("j", service_timeout=5, job_get_options=models.JobGetOptions(timeout=5))
    with pytest.raises(TypeError, match="JobGetOptions"):
        client.job.get("j", job_get_options=models.JobListOptions())
    with pytest.raises(ValueError, match="if_match"):
        client.job.enable("j", job_enable_options=models.JobEnableOptions(if_match="a", if_none_match="b"))
    with pytest.raises(TypeError, match="raw"):
        client.job.enable("j", raw=True, cls=lambda *a: a)
    assert not httpx_mock.get_requests()


def test_legacy_enum_spelling_and_update_body(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    httpx_mock.add_response(status_code=200)
    client.job.disable("j1", models.DisableJobOption.requeue)
    client.job.update(
        "j1",
        models.JobUpdateParameter(
            pool_info=models.PoolInformation(pool_id="p"),
            on_all_tasks_complete=models.OnAllTasksComplete.terminate_job,
        ),
        job_update_options=models.JobUpdateOptions(client_request_id="9c4d50ee-2d56-4cd3-8152-34347dc9f2b0"),
    )
    disable, update = httpx_mock.get_requests()
    assert json.loads(disable.content) == {"disableTasks": "requeue"}
    assert update.method == "PUT"
    assert json.loads(update.content) == {"poolInfo": {"poolId": "p"}, "onAllTasksComplete": "terminatejob"}
    assert update.headers["client-request-id"] == "9c4d50ee-2d56-4cd3-8152-34347dc9f2b0"


async def test_async_client_accepts_the_same_shapes(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        json={"taskCounts": _counts(), "taskSlotCounts": _counts()}, headers={"request-id": "r"}
    )
    async with azbatch.aio.BatchClient(ENDPOINT, CREDENTIAL, transport=AsyncHttpXTransport()) as client:
        raw: Any = await client.job.get_task_counts(
            "j1", job_get_task_counts_options=models.JobGetTaskCountsOptions(timeout=7), raw=True
        )
    assert raw.output.task_counts.active == 1
    assert raw.headers["request-id"] == "r"
    assert dict(_only_request(httpx_mock).url.params)["timeout"] == "7"


def _counts() -> dict[str, int]:
    return {"active": 1, "running": 2, "completed": 3, "succeeded": 2, "failed": 1}


def test_14x_error_handling_code_keeps_working(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        status_code=409,
        json={
            "code": "JobCompleted",
            "message": {"lang": "en-US", "value": "The specified job is already in a completed state."},
            "values": [{"key": "Reason", "value": "terminated"}],
        },
    )
    try:
        client.job.terminate("j1")
    except batchmodels.BatchErrorException as err:  # the 14.x spelling
        assert err.error.code == "JobCompleted"
        assert err.error.message.value == "The specified job is already in a completed state."
        assert err.error.message == err.error.message.value  # still a plain str for azure-core code
        assert err.error.message.lang == "en-US"
        assert [(d.key, d.value) for d in err.error.values] == [("Reason", "terminated")]
        assert isinstance(err, azbatch.BatchConflictError)
    else:
        raise AssertionError("terminate of a completed job must fail")


def test_options_may_follow_positionally_as_in_14x(
    client: azbatch.BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": "j1"}, headers={"ETag": "0x1"})
    httpx_mock.add_response(status_code=202)
    raw = client.job.get("j1", models.JobGetOptions(select="id"), {"x-ms-test": "1"}, True)
    assert raw.output.id == "j1"
    client.job.terminate("j1", "reason", models.JobTerminateOptions(timeout=9))
    get, terminate = httpx_mock.get_requests()
    assert dict(get.url.params)["$select"] == "id"
    assert get.headers["x-ms-test"] == "1"
    assert dict(terminate.url.params)["timeout"] == "9"
    assert json.loads(terminate.content) == {"terminateReason": "reason"}
    with pytest.raises(TypeError, match="job_get_options"):
        client.job.get("j1", models.JobGetOptions(), job_get_options=models.JobGetOptions())
    with pytest.raises(TypeError, match="too many positional"):
        client.job.get("j1", None, None, False, "extra")


def test_raw_headers_are_a_read_only_snapshot(client: azbatch.BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"id": "j1"}, headers={"ETag": "0x1"})
    raw = client.job.get("j1", raw=True)
    assert raw.headers.get("etag") == "0x1" and "ETAG" in raw.headers
    with pytest.raises(TypeError, match="read-only"):
        raw.headers["ETag"] = "changed"
    assert dict(raw.headers)["etag"] == "0x1"


def test_a_misspelt_keyword_is_refused_not_ignored(client: azbatch.BatchClient) -> None:
    with pytest.raises(TypeError, match="selct"):
        client.job.get("j1", selct="id")


@pytest.mark.parametrize(
    ("call", "options", "status"),
    [
        (
            lambda c, o: c.job.add({"id": "j", "poolInfo": {"poolId": "p"}}, job_add_options=o),
            models.JobAddOptions,
            201,
        ),
        (lambda c, o: c.job.patch("j", {"priority": 1}, job_patch_options=o), models.JobPatchOptions, 200),
        (
            lambda c, o: list(c.job.list_from_job_schedule("s", job_list_from_job_schedule_options=o)),
            models.JobListFromJobScheduleOptions,
            200,
        ),
        (
            lambda c, o: list(
                c.job.list_preparation_and_release_task_status(
                    "j", job_list_preparation_and_release_task_status_options=o
                )
            ),
            models.JobListPreparationAndReleaseTaskStatusOptions,
            200,
        ),
        (
            lambda c, o: c.job.get_task_counts("j", job_get_task_counts_options=o),
            models.JobGetTaskCountsOptions,
            200,
        ),
        (lambda c, o: c.job.enable("j", job_enable_options=o), models.JobEnableOptions, 202),
        (lambda c, o: c.job.terminate("j", job_terminate_options=o), models.JobTerminateOptions, 202),
        (
            lambda c, o: c.job.update("j", {"poolInfo": {"poolId": "p"}}, job_update_options=o),
            models.JobUpdateOptions,
            200,
        ),
    ],
)
def test_every_options_object_reaches_the_wire(
    client: azbatch.BatchClient,
    httpx_mock: HTTPXMock,
    call: Any,
    options: type[models.OperationOptions],
    status: int,
) -> None:
    body = {"value": [], "taskCounts": _counts(), "taskSlotCounts": _counts()} if status == 200 else None
    httpx_mock.add_response(status_code=status, json=body)
    call(client, options(timeout=11, return_client_request_id=True))
    request = _only_request(httpx_mock)
    assert dict(request.url.params)["timeout"] == "11"
    assert request.headers["return-client-request-id"] == "true"


@pytest.mark.parametrize(
    ("options", "error", "name"),
    [
        (models.JobListOptions(timeout=0), ValueError, r"job_list_options\.timeout"),
        (models.JobListOptions(max_results=5000), ValueError, r"job_list_options\.max_results"),
        (models.JobListOptions(filter=5), TypeError, r"job_list_options\.filter"),  # type: ignore[arg-type]
        (
            models.JobListOptions(return_client_request_id="yes"),
            TypeError,
            r"job_list_options\.return_client",
        ),  # type: ignore[arg-type]
    ],
)
def test_bad_option_fields_are_named_as_written(
    client: azbatch.BatchClient, options: models.JobListOptions, error: type[Exception], name: str
) -> None:
    with pytest.raises(error, match=name):
        client.job.list(job_list_options=options)
