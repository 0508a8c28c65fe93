"""The per-call ``timeout`` (total deadline) of the client: validation, defaults, retry waits, paging.

Requests are answered by pytest-httpx, so no test waits on a network; waits the retry policy asks for
are recorded instead of slept, and where time must pass the deadline module's clock is moved forward.
Stalls, trickled bodies and real sockets are covered in ``tests/transports/test_deadlines_wire.py``.
"""

from __future__ import annotations

import math
import sys
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import AzureError, ServiceResponseError, ServiceResponseTimeoutError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from pytest_httpx import HTTPXMock

import azbatch.policies._deadline as deadline_module
from azbatch import exceptions as azbatch_errors
from azbatch.aio import BatchClient, JobOperations
from azbatch.exceptions import BatchTimeoutError

from .conftest import ACCOUNT_KEY, API_VERSION, ENDPOINT, ClientFactory, batch_error, collect

JOB_URL = f"{ENDPOINT}/jobs/job-1?api-version={API_VERSION}"
LIST_URL = f"{ENDPOINT}/jobs?api-version={API_VERSION}"
LINK_2 = f"{ENDPOINT}/jobs?$skiptoken=page-2&api-version={API_VERSION}"
JOB = {"id": "job-1", "state": "active"}


class ContextRecorder(SansIOHTTPPolicy[Any, Any]):
    """A per-retry policy that records the deadline each attempt sees and can run a hook first."""

    def __init__(self, before: Callable[[PipelineRequest[Any]], None] | None = None) -> None:
        self.deadlines: list[float | None] = []
        self.sent_at: list[float] = []
        self._before = before

    def on_request(self, request: PipelineRequest[Any]) -> None:
        if self._before is not None:
            self._before(request)
        self.deadlines.append(request.context.get("azbatch_deadline"))
        self.sent_at.append(deadline_module.time.monotonic())


class MovableClock:
    """``time.monotonic`` plus an offset the test moves: time "passes" without anyone waiting."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    movable = MovableClock()
    monkeypatch.setattr(deadline_module, "time", types.SimpleNamespace(monotonic=movable.monotonic))
    return movable


def record_sleeps(client: BatchClient) -> list[float]:
    """Record, instead of doing, the waits the retry policy asks the client's transport for."""
    slept: list[float] = []

    async def sleep(duration: float) -> None:
        slept.append(duration)

    client._pipeline._transport.sleep = sleep  # type: ignore[method-assign]
    return slept


# ------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (True, TypeError),
        ("5", TypeError),
        ([5], TypeError),
        (0, ValueError),
        (-1.5, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
    ],
)
async def test_a_bad_timeout_is_refused_before_anything_is_sent(
    client: BatchClient, httpx_mock: HTTPXMock, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="timeout"):
        await client.jobs.get("job-1", timeout=value)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("value", "error"), [(False, TypeError), ("30", TypeError), (0.0, ValueError)])
def test_a_bad_client_default_timeout_is_refused_at_construction(
    make_client: ClientFactory, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="timeout"):
        make_client(timeout=value)


# ---------------------------------------------------------------------------- deadline in context


async def test_the_deadline_is_in_the_pipeline_context(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=JOB_URL, json=JOB)
    recorder = ContextRecorder()
    async with make_client(per_retry_policies=[recorder]) as client:
        before = time.monotonic()
        await client.jobs.get("job-1", timeout=2.5)
        after = time.monotonic()
    [deadline] = recorder.deadlines
    assert deadline is not None
    assert before + 2.5 <= deadline <= after + 2.5


async def test_no_timeout_means_no_deadline(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=JOB_URL, json=JOB)
    recorder = ContextRecorder()
    async with make_client(per_retry_policies=[recorder]) as client:
        await client.jobs.get("job-1")
    assert recorder.deadlines == [None]


async def test_a_client_default_applies_and_a_call_may_override_it(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=JOB_URL, json=JOB, is_reusable=True)
    recorder = ContextRecorder()
    async with make_client(timeout=60, per_retry_policies=[recorder]) as client:
        await client.jobs.get("job-1")
        await client.jobs.get("job-1", timeout=None)  # None: the client default
        await client.jobs.get("job-1", timeout=0.5)
    starts = [d - s for d, s in zip(recorder.deadlines, recorder.sent_at, strict=True) if d is not None]
    assert len(starts) == 3
    assert 59 < starts[0] <= 60
    assert 59 < starts[1] <= 60
    assert 0 < starts[2] <= 0.5


# -------------------------------------------------------------------------------- retry waits


async def test_retry_after_within_the_time_left_is_honoured(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=JOB_URL, status_code=503, json=batch_error("ServerBusy", "busy"), headers={"Retry-After": "2"}
    )
    httpx_mock.add_response(url=JOB_URL, json=JOB)
    async with make_client() as client:
        slept = record_sleeps(client)
        job = await client.jobs.get("job-1", timeout=30)
    assert job.id == "job-1"
    assert slept == [2]


async def test_retry_after_beyond_the_deadline_fails_at_once(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=JOB_URL,
        status_code=503,
        json=batch_error("ServerBusy", "busy"),
        headers={"Retry-After": "86400"},
    )
    async with make_client() as client:
        slept = record_sleeps(client)
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("job-1", timeout=30)
    error = caught.value
    assert slept == []
    assert len(httpx_mock.get_requests()) == 1
    assert isinstance(error, ServiceResponseTimeoutError)
    assert isinstance(error, ServiceResponseError)
    assert isinstance(error, AzureError)
    assert error.deadline == 30.0
    assert error.attempts == 1
    assert error.status_code == 503
    assert error.error_code == "ServerBusy"
    assert error.response is not None
    assert 0 <= error.elapsed < 30
    # Retry-After is first capped by retry_backoff_max (120 s by default), which still exceeds the time left.
    assert "wait 120 s" in str(error)


async def test_a_backoff_beyond_the_deadline_fails_at_once(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    """azure-core retries the first failure without waiting and backs off 2 x factor before the next."""
    httpx_mock.add_response(
        url=JOB_URL, status_code=500, json=batch_error("InternalError", "oops"), is_reusable=True
    )
    async with make_client(retry_backoff_factor=100) as client:
        slept = record_sleeps(client)
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("job-1", timeout=30)
    assert slept == []
    assert len(httpx_mock.get_requests()) == 2
    assert caught.value.attempts == 2
    assert caught.value.status_code == 500
    assert caught.value.error_code == "InternalError"


async def test_the_error_shows_no_secret(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=JOB_URL,
        status_code=429,
        json=batch_error("TooManyRequests", "slow down"),
        headers={"Retry-After": "3600"},
    )
    async with make_client() as client:
        record_sleeps(client)
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("job-1", timeout=10)
    text = str(caught.value) + repr(caught.value)
    assert ACCOUNT_KEY not in text
    assert "SharedKey" not in text
    assert "429 TooManyRequests" in text


# ---------------------------------------------------------------------------- time running out


async def test_no_attempt_is_sent_once_the_time_is_spent(
    make_client: ClientFactory, httpx_mock: HTTPXMock, clock: MovableClock
) -> None:
    def time_passes(request: PipelineRequest[Any]) -> None:
        clock.offset += 10  # the signing, logging... took 10 s, say

    async with make_client(per_retry_policies=[ContextRecorder(time_passes)]) as client:
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("job-1", timeout=5)
    assert httpx_mock.get_requests() == []
    assert caught.value.attempts == 0
    assert caught.value.status_code is None


async def test_each_page_of_a_listing_gets_its_own_deadline(
    make_client: ClientFactory, httpx_mock: HTTPXMock, clock: MovableClock
) -> None:
    httpx_mock.add_response(url=LIST_URL, json={"value": [JOB], "odata.nextLink": LINK_2})
    httpx_mock.add_response(url=LINK_2, json={"value": [{"id": "job-2", "state": "active"}]})

    def a_minute_per_page(request: PipelineRequest[Any]) -> None:
        clock.offset += 60  # longer than the timeout, but not within one page

    recorder = ContextRecorder(a_minute_per_page)
    async with make_client(per_retry_policies=[recorder]) as client:
        jobs = await collect(client.jobs.list(timeout=90))
    assert [job.id for job in jobs] == ["job-1", "job-2"]
    first, second = recorder.deadlines
    assert first is not None and second is not None
    assert second - first >= 60


ADD_URL = f"{ENDPOINT}/jobs?api-version={API_VERSION}"


async def test_a_write_that_runs_out_of_time_is_not_verified_past_the_deadline(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    # The add may have been applied (500), and the service asks for a wait the time left cannot cover:
    # the call ends with BatchTimeoutError at once; no verifying GET runs after the deadline.
    httpx_mock.add_response(
        url=ADD_URL,
        method="POST",
        status_code=500,
        json=batch_error("InternalError", "oops"),
        headers={"Retry-After": "5"},
    )
    async with make_client() as client:
        record_sleeps(client)
        with pytest.raises(BatchTimeoutError):
            await client.jobs.add({"id": "job-1", "poolInfo": {"poolId": "p"}}, timeout=0.5)
    assert [request.method for request in httpx_mock.get_requests()] == ["POST"]


async def test_a_verifying_get_gets_only_the_time_left(
    make_client: ClientFactory, httpx_mock: HTTPXMock, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Retries run out on 500s (the add may have been applied); 20 of the 30 s pass meanwhile. The GET
    # that checks the job must get the 10 s left, not a fresh 30.
    jobs_module = sys.modules[JobOperations.__module__]
    monkeypatch.setattr(jobs_module, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    for _ in range(2):
        httpx_mock.add_response(
            url=ADD_URL, method="POST", status_code=500, json=batch_error("InternalError", "oops")
        )
    httpx_mock.add_response(url=JOB_URL, method="GET", status_code=404, json=batch_error("JobNotFound", "no"))

    def pass_time(request: PipelineRequest[Any]) -> None:
        if request.http_request.method == "POST":
            clock.offset += 10

    recorder = ContextRecorder(pass_time)
    async with make_client(per_retry_policies=[recorder], retry_total=1) as client:
        record_sleeps(client)
        with pytest.raises(azbatch_errors.BatchServiceError):
            await client.jobs.add({"id": "job-1", "poolInfo": {"poolId": "p"}}, timeout=30)
    assert [request.method for request in httpx_mock.get_requests()] == ["POST", "POST", "GET"]
    post_deadline, _, get_deadline = recorder.deadlines
    assert post_deadline is not None and get_deadline is not None
    # Within the microseconds it takes to hand the time over, the GET's deadline is the call's.
    assert abs(get_deadline - post_deadline) < 0.05


@pytest.mark.parametrize("huge", [10**400, float("inf")])
async def test_an_absurd_deadline_is_a_value_error_naming_it(
    make_client: ClientFactory, httpx_mock: HTTPXMock, huge: float
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match="timeout must be a finite number of seconds"):
            await client.jobs.get("job-1", timeout=huge)
        with pytest.raises(ValueError, match="timeout must be a finite number of seconds"):
            await client.jobs.wait_for_state("job-1", "active", timeout=huge)
    assert httpx_mock.get_requests() == []


async def test_a_timeout_without_any_answer_says_what_went_wrong(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    import httpx

    httpx_mock.add_exception(httpx.ConnectError("Connection refused"), is_reusable=True)
    async with make_client(retry_backoff_factor=10) as client:
        record_sleeps(client)
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.get("job-1", timeout=5)
    assert caught.value.status_code is None
    assert "no response; last failure: ServiceRequestError" in str(caught.value)
    assert "Connection refused" in str(caught.value)
