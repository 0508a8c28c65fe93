"""Pollers for delete, disable, enable and terminate: wait for the job's final state, resume from a token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from azbatch.aio import BatchClient
from azbatch.exceptions import BatchJobStateError

from .conftest import ENDPOINT, batch_error

JOB = f"{ENDPOINT}/jobs/job-1"
GET_JOB = re.compile(re.escape(JOB) + r"\?api-version=[^&]+$")


def _job(state: str) -> dict[str, Any]:
    return {"id": "job-1", "state": state, "poolInfo": {"poolId": "p"}}


def _states(httpx_mock: HTTPXMock, *states: str) -> None:
    for state in states:
        httpx_mock.add_response(method="GET", url=GET_JOB, json=_job(state))


async def test_begin_disable_polls_until_disabled(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{JOB}/disable?api-version=2024-02-01.19.0", status_code=202)
    _states(httpx_mock, "active", "disabling", "disabled")
    poller = await client.jobs.begin_disable("job-1", "requeue", polling_interval=0)
    job = await poller.result()
    assert job.state == "disabled"
    assert poller.status() == "Succeeded"
    assert poller.done()
    methods = [r.method for r in httpx_mock.get_requests()]
    assert methods == ["POST", "GET", "GET", "GET"]


async def test_begin_enable_and_terminate(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", url=f"{JOB}/enable?api-version=2024-02-01.19.0", status_code=202)
    _states(httpx_mock, "enabling", "active")
    assert (await (await client.jobs.begin_enable("job-1", polling_interval=0)).result()).state == "active"

    httpx_mock.add_response(
        method="POST", url=f"{JOB}/terminate?api-version=2024-02-01.19.0", status_code=202
    )
    _states(httpx_mock, "terminating", "completed")
    poller = await client.jobs.begin_terminate("job-1", "done", polling_interval=0)
    assert (await poller.result()).state == "completed"
    terminate = next(r for r in httpx_mock.get_requests() if r.url.path.endswith("/terminate"))
    assert terminate.content == b'{"terminateReason":"done"}'


async def test_begin_delete_finishes_when_the_job_is_gone(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="DELETE", status_code=202)
    _states(httpx_mock, "deleting")
    httpx_mock.add_response(
        method="GET", url=GET_JOB, status_code=404, json=batch_error("JobNotFound", "gone")
    )
    poller = await client.jobs.begin_delete("job-1", polling_interval=0)
    assert await poller.result() is None
    assert poller.status() == "Succeeded"


async def test_a_job_that_goes_elsewhere_fails_the_poller(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=202)
    _states(httpx_mock, "disabling", "terminating")
    poller = await client.jobs.begin_disable("job-1", "wait", polling_interval=0)
    with pytest.raises(BatchJobStateError) as caught:
        await poller.result()
    assert caught.value.state == "terminating"
    assert caught.value.expected == "disabled"
    assert "job-1" in str(caught.value)
    assert poller.status() == "Failed"


async def test_a_deleted_job_fails_a_terminate_poller(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(method="POST", status_code=202)
    httpx_mock.add_response(
        method="GET", url=GET_JOB, status_code=404, json=batch_error("JobNotFound", "gone")
    )
    poller = await client.jobs.begin_terminate("job-1", polling_interval=0)
    with pytest.raises(BatchJobStateError, match="no longer exists"):
        await poller.result()


async def test_resume_from_a_continuation_token_sends_no_new_write(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", status_code=202)
    _states(httpx_mock, "disabled")
    first = await client.jobs.begin_disable("job-1", "requeue", polling_interval=0)
    token = first.continuation_token()
    await first.result()

    _states(httpx_mock, "disabled")
    resumed = await client.jobs.begin_disable(
        "job-1", "requeue", continuation_token=token, polling_interval=0
    )
    assert (await resumed.result()).state == "disabled"
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "GET", "GET"]


async def test_bad_continuation_tokens_and_intervals_are_refused(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="POST", status_code=202)
    _states(httpx_mock, "disabled")
    poller = await client.jobs.begin_disable("job-1", "requeue", polling_interval=0)
    token = poller.continuation_token()
    await poller.result()
    with pytest.raises(ValueError, match="disable poller, not enable"):
        await client.jobs.begin_enable("job-1", continuation_token=token)
    with pytest.raises(ValueError, match="another job"):
        await client.jobs.begin_disable("job-2", "requeue", continuation_token=token)
    with pytest.raises(ValueError, match="continuation_token"):
        await client.jobs.begin_delete("job-1", continuation_token="garbage")
    with pytest.raises(ValueError, match="polling_interval"):
        await client.jobs.begin_delete("job-1", polling_interval=-1)
    with pytest.raises(TypeError, match="polling_interval"):
        await client.jobs.begin_delete("job-1", polling_interval="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="job_id"):
        await client.jobs.begin_delete("")
    assert len(httpx_mock.get_requests()) == 2  # only the first poller's POST and GET
