"""The Batch retry rules without a network: the pure tables, and the policies on a scripted transport.

The transport answers from a script (a status, or an exception to raise) and records what it was
sent, the options it received and every wait the policy asked for; nothing sleeps and no clock is read
except through the policy's replaceable ``clock``.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline import Pipeline, PipelineResponse
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest
from azure.core.utils import CaseInsensitiveDict

from azbatch._config import ASYNC_FLAVOR, SYNC_FLAVOR
from azbatch._protocol import _idempotency as idem
from azbatch._protocol import _responses as rs
from azbatch.policies._retry import (
    AsyncBatchRetryPolicy,
    AsyncLostResponsePolicy,
    BatchRetryPolicy,
    LostResponsePolicy,
)

UTC = datetime.timezone.utc

# ------------------------------------------------------------------------------------ pure rules


def refused_connection() -> ServiceRequestError:
    """What a transport raises when the connection cannot even be opened."""
    return ServiceRequestError("refused", error=ConnectionRefusedError(111, "Connection refused"))


def test_a_request_error_counts_as_not_sent_only_with_a_connect_phase_cause() -> None:
    import aiohttp

    # azure-core's aiohttp transport maps a server that hung up after reading the request to
    # ServiceRequestError too: that request may have been applied.
    disconnected = ServiceRequestError("gone", error=aiohttp.ServerDisconnectedError())
    assert idem.outcome_of_error(disconnected) is idem.Outcome.UNKNOWN
    reset = ServiceRequestError("reset", error=ConnectionResetError(104, "reset by peer"))
    assert idem.outcome_of_error(reset) is idem.Outcome.UNKNOWN
    assert idem.outcome_of_error(ServiceRequestError("no cause given")) is idem.Outcome.UNKNOWN
    connector = aiohttp.ClientConnectorError(
        aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None),
        ConnectionRefusedError(111, "refused"),
    )
    wrapped = ServiceRequestError("cannot connect", error=connector)
    assert idem.outcome_of_error(wrapped) is idem.Outcome.NOT_SENT
    # A cyclic chain of causes is walked a bounded number of steps.
    a, b = ValueError("a"), ValueError("b")
    a.__cause__, b.__cause__ = b, a
    assert idem.outcome_of_error(ServiceRequestError("odd", error=a)) is idem.Outcome.UNKNOWN


def test_outcomes_of_statuses_and_errors() -> None:
    assert idem.outcome_of_status(429) is idem.Outcome.REFUSED
    assert idem.outcome_of_status(503) is idem.Outcome.BUSY
    for status in (408, 500, 502, 504):
        assert idem.outcome_of_status(status) is idem.Outcome.UNKNOWN
    refused = ServiceRequestError("no connection", error=ConnectionRefusedError(111, "refused"))
    assert idem.outcome_of_error(refused) is idem.Outcome.NOT_SENT
    assert idem.outcome_of_error(ServiceResponseError("reset")) is idem.Outcome.UNKNOWN
    assert idem.outcome_of_error(ServiceResponseTimeoutError("slow")) is idem.Outcome.UNKNOWN
    assert idem.outcome_of_error(IncompleteReadError("cut")) is idem.Outcome.UNKNOWN


def test_a_lost_response_is_a_response_error_without_a_response() -> None:
    assert idem.is_lost_response(IncompleteReadError("cut"))
    assert idem.is_lost_response(HttpResponseError("Connection broken"))
    assert not idem.is_lost_response(ServiceRequestError("no connection"))
    assert not idem.is_lost_response(ValueError("x"))


def test_rules_per_operation() -> None:
    for name in ("add", "delete", "disable", "enable", "terminate", "patch", "update", "get"):
        assert idem.rule_for(name, "POST").retry_unknown, name
    assert idem.rule_for("delete", "DELETE").done_when_gone
    assert idem.rule_for("delete", "DELETE").done_codes == {"JobBeingDeleted", "JobNotFound"}
    assert idem.rule_for("disable", "POST").done_states == {"disabling", "disabled"}
    assert idem.rule_for("enable", "POST").done_states == {"enabling", "active"}
    assert idem.rule_for("terminate", "POST").done_codes == {"JobBeingTerminated", "JobCompleted"}
    assert idem.rule_for("terminate", "POST").done_states == {"terminating", "completed"}
    assert idem.rule_for("patch", "PATCH").verify_content
    assert not idem.rule_for("get", "GET").writes
    # Unnamed requests: by method; a POST is never retried once it may have been applied.
    assert idem.rule_for(None, "GET").retry_unknown
    assert idem.rule_for(None, "PUT").retry_unknown
    assert not idem.rule_for(None, "POST").retry_unknown
    assert not idem.rule_for("something-else", "PATCH").retry_unknown


def test_attempt_log_remembers_a_maybe_applied_attempt() -> None:
    log = idem.AttemptLog(started=5.0)
    log.note(idem.Outcome.NOT_SENT)
    log.note(idem.Outcome.REFUSED)
    assert not log.maybe_applied
    log.note(idem.Outcome.UNKNOWN)
    log.note(idem.Outcome.REFUSED)
    assert log.maybe_applied
    assert log.outcomes[-1] is idem.Outcome.REFUSED


def test_call_window_on_the_service_clock() -> None:
    now = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    seconds = datetime.timedelta(seconds=1)
    # The call ran for 10 s; with the 2 s slack it began no earlier than 11:59:48.
    assert idem.within_call_window(now - 9 * seconds, now, 10.0)
    assert idem.within_call_window(now - 12 * seconds, now, 10.0)
    assert not idem.within_call_window(now - 13 * seconds, now, 10.0)
    # Date is truncated to the second: a stamp just after it still counts, a later one does not.
    assert idem.within_call_window(now + datetime.timedelta(milliseconds=900), now, 0.0)
    assert not idem.within_call_window(now + 4 * seconds, now, 0.0)
    assert not idem.within_call_window(now - 3 * seconds, now, 0.0, slack_s=1.0)


def test_http_dates_and_wire_datetimes() -> None:
    assert rs.parse_http_date("Fri, 17 Feb 2017 00:00:05 GMT") == datetime.datetime(
        2017, 2, 17, 0, 0, 5, tzinfo=UTC
    )
    assert rs.parse_http_date(None) is None
    assert rs.parse_http_date("yesterday") is None
    # A year beyond what datetime holds is malformed too, not an OverflowError.
    assert rs.parse_http_date("Mon, 01 Jan 99999999999999999999 00:00:00 GMT") is None
    assert idem.parse_wire_datetime("2017-02-17T00:00:05.1234567Z") == datetime.datetime(
        2017, 2, 17, 0, 0, 5, 123456, tzinfo=UTC
    )
    assert idem.parse_wire_datetime(None) is None
    assert idem.parse_wire_datetime("soon") is None


SENT = {
    "id": "Job-1",
    "priority": 10,
    "poolInfo": {"poolId": "pool"},
    "constraints": {"maxWallClockTime": "PT1H", "maxTaskRetryCount": 2},
    "metadata": [{"name": "a", "value": "1"}],
    "jobManagerTask": {"id": "jm", "commandLine": "run", "userIdentity": {"userName": "u"}},
}


def found(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "job-1",  # ids compare without case
        "url": "http://x/jobs/job-1",
        "priority": 10,
        "poolInfo": {"poolId": "pool"},
        "constraints": {"maxWallClockTime": "PT3600S", "maxTaskRetryCount": 2},  # same duration
        "metadata": [{"name": "a", "value": "1"}],
        "jobManagerTask": {"id": "jm", "commandLine": "run", "killJobOnCompletion": True},
        "onAllTasksComplete": "noaction",
    }
    doc.update(changes)
    return doc


def test_content_matches_what_was_sent() -> None:
    assert idem.content_matches(SENT, found(), idem.ADD_COMPARED)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "job-2"},
        {"priority": 11},
        {"poolInfo": {"poolId": "other"}},
        {"constraints": {"maxWallClockTime": "PT2H", "maxTaskRetryCount": 2}},
        {"metadata": [{"name": "a", "value": "2"}]},
        {"metadata": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]},
        {"jobManagerTask": {"id": "jm", "commandLine": "other"}},
    ],
)
def test_content_differs(changes: dict[str, Any]) -> None:
    assert not idem.content_matches(SENT, found(**changes), idem.ADD_COMPARED)


def test_content_missing_on_the_job_is_a_mismatch_unless_empty() -> None:
    doc = found()
    del doc["metadata"]
    assert not idem.content_matches(SENT, doc, idem.ADD_COMPARED)
    assert idem.content_matches({**SENT, "metadata": []}, doc, idem.ADD_COMPARED)


def test_content_compares_the_given_names_only() -> None:
    assert idem.content_matches({**SENT, "odd": 1}, found(), idem.ADD_COMPARED)
    # Without names every sent property counts; one the job does not show is a mismatch.
    assert not idem.content_matches({**SENT, "odd": 1}, found())
    assert idem.content_matches(
        {"priority": 10, "usesTaskDependencies": True}, found(usesTaskDependencies=True)
    )
    # A boolean is not the number 1.
    assert not idem.content_matches({"allowTaskPreemption": True}, {"allowTaskPreemption": 1})


# ------------------------------------------------------------------------ policies, scripted


class FakeResponse:
    """Enough of an azure-core response for the retry policy: status, headers, request."""

    def __init__(self, request: HttpRequest, status: int, headers: dict[str, str] | None = None) -> None:
        self.request = request
        self.status_code = status
        self.headers = CaseInsensitiveDict(headers or {})
        self.reason = "scripted"

    def read(self) -> bytes:
        return b""

    def close(self) -> None:
        pass


Step = int | tuple[int, dict[str, str]] | BaseException


class ScriptedTransport(HttpTransport):  # type: ignore[type-arg]
    def __init__(self, *script: Step) -> None:
        self.script = list(script)
        self.sent: list[HttpRequest] = []
        self.options: list[dict[str, Any]] = []
        self.slept: list[float] = []

    def send(self, request: Any, **kwargs: Any) -> Any:
        self.sent.append(request)
        self.options.append(kwargs)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        status, headers = step if isinstance(step, tuple) else (step, {})
        return FakeResponse(request, status, headers)

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> ScriptedTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


def run(
    transport: ScriptedTransport,
    method: str = "POST",
    *,
    policy: BatchRetryPolicy | None = None,
    **options: Any,
) -> PipelineResponse[Any, Any]:
    policy = policy or BatchRetryPolicy(retry_backoff_factor=0)
    pipeline = Pipeline(transport, [policy, LostResponsePolicy()])  # type: ignore[arg-type]
    return pipeline.run(HttpRequest(method, "http://127.0.0.1/jobs"), **options)


def attempt_log(response: PipelineResponse[Any, Any]) -> idem.AttemptLog:
    log = response.context[idem.ATTEMPTS_KEY]
    assert isinstance(log, idem.AttemptLog)
    return log


def test_the_clients_use_the_batch_policies() -> None:
    assert SYNC_FLAVOR.retry_policy is BatchRetryPolicy
    assert ASYNC_FLAVOR.retry_policy is AsyncBatchRetryPolicy
    assert SYNC_FLAVOR.lost_response_policy is LostResponsePolicy
    assert ASYNC_FLAVOR.lost_response_policy is AsyncLostResponsePolicy


@pytest.mark.parametrize("operation", ["add", "disable", "enable", "terminate", "patch"])
def test_post_and_patch_are_retried_after_a_lost_response(operation: str) -> None:
    transport = ScriptedTransport(ServiceResponseError("reset"), IncompleteReadError("cut"), 201)
    response = run(transport, "PATCH" if operation == "patch" else "POST", batch_operation=operation)
    assert response.http_response.status_code == 201
    assert len(transport.sent) == 3
    log = attempt_log(response)
    assert log.maybe_applied
    assert log.outcomes == [idem.Outcome.UNKNOWN, idem.Outcome.UNKNOWN]


def test_the_operation_option_never_reaches_the_transport() -> None:
    transport = ScriptedTransport(500, 201)
    run(transport, batch_operation="add")
    assert all("batch_operation" not in options for options in transport.options)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_for_a_named_post(status: int) -> None:
    transport = ScriptedTransport(status, 202)
    response = run(transport, batch_operation="terminate")
    assert response.http_response.status_code == 202
    # Only a throttling 429 is sure not to have been applied; a 503 may come from a gateway after the work.
    assert attempt_log(response).maybe_applied is (status != 429)


@pytest.mark.parametrize("status", [400, 404, 409, 412])
def test_final_statuses_are_not_retried(status: int) -> None:
    transport = ScriptedTransport(status, 201)
    response = run(transport, batch_operation="add")
    assert response.http_response.status_code == status
    assert len(transport.sent) == 1
    assert attempt_log(response).outcomes == []


def test_a_connection_error_before_sending_is_retried_and_not_counted_as_applied() -> None:
    transport = ScriptedTransport(refused_connection(), 201)
    response = run(transport, batch_operation="add")
    assert response.http_response.status_code == 201
    assert attempt_log(response).outcomes == [idem.Outcome.NOT_SENT]
    assert not attempt_log(response).maybe_applied


def test_an_unnamed_post_is_not_retried_once_it_may_have_been_applied() -> None:
    transport = ScriptedTransport(ServiceResponseError("reset"), 201)
    with pytest.raises(ServiceResponseError):
        run(transport)
    assert len(transport.sent) == 1
    # ... but a refusal or a connection error before sending is.
    transport = ScriptedTransport(refused_connection(), (503, {"Retry-After": "0"}), 201)
    assert run(transport).http_response.status_code == 201
    assert len(transport.sent) == 3


def test_an_unnamed_request_keeps_retry_on_methods() -> None:
    transport = ScriptedTransport(ServiceResponseError("reset"), 200)
    with pytest.raises(ServiceResponseError):
        run(transport, "GET", retry_on_methods=frozenset({"HEAD"}))
    assert len(transport.sent) == 1


def test_a_lost_response_surfaces_as_service_response_error_when_retries_run_out() -> None:
    cut = IncompleteReadError("cut")
    transport = ScriptedTransport(cut, HttpResponseError("Connection broken"))
    with pytest.raises(ServiceResponseError) as caught:
        run(transport, batch_operation="add", retry_total=1)
    # Not a status-less HttpResponseError any more: the type says the answer was lost.
    assert not isinstance(caught.value, HttpResponseError)
    assert isinstance(caught.value.__cause__, HttpResponseError)
    assert len(transport.sent) == 2


def test_an_authentication_error_is_neither_translated_nor_retried() -> None:
    transport = ScriptedTransport(ClientAuthenticationError("no token"), 200)
    with pytest.raises(ClientAuthenticationError):
        run(transport, "GET", batch_operation="get")
    assert len(transport.sent) == 1


def test_retry_total_zero_means_one_attempt() -> None:
    transport = ScriptedTransport(500, 201)
    response = run(transport, batch_operation="add", retry_total=0)
    assert response.http_response.status_code == 500
    assert len(transport.sent) == 1


def test_retry_after_is_honoured_but_capped_by_retry_backoff_max() -> None:
    transport = ScriptedTransport((429, {"Retry-After": "600"}), (503, {"Retry-After": "3"}), 200)
    run(transport, "GET", batch_operation="get", retry_backoff_max=5)
    assert transport.slept == [5, 3]
    # Per client too.
    transport = ScriptedTransport((429, {"Retry-After": "600"}), 200)
    run(transport, "GET", batch_operation="get", policy=BatchRetryPolicy(retry_backoff_max=7))
    assert transport.slept == [7]


def test_backoff_without_retry_after_follows_azure_core() -> None:
    transport = ScriptedTransport(500, 500, 500, 200)
    run(transport, "GET", batch_operation="get", retry_backoff_factor=1.0, retry_backoff_max=3)
    # azure-core's exponential backoff: none before the first retry, then 2, 4 -> capped at 3.
    assert transport.slept == [2, 3]
    transport = ScriptedTransport(500, 500, 200)
    policy = BatchRetryPolicy(retry_backoff_factor=0.5, retry_mode="fixed")
    run(transport, "GET", batch_operation="get", policy=policy)
    assert transport.slept == [0.5]


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_the_async_policy_follows_the_same_rules() -> None:
    from azure.core.pipeline import AsyncPipeline
    from azure.core.pipeline.transport import AsyncHttpTransport

    class AsyncScripted(AsyncHttpTransport):  # type: ignore[type-arg]
        def __init__(self, *script: Step) -> None:
            self.inner = ScriptedTransport(*script)

        async def send(self, request: Any, **kwargs: Any) -> Any:
            return self.inner.send(request, **kwargs)

        async def sleep(self, duration: float) -> None:
            self.inner.slept.append(duration)

        async def open(self) -> None:
            pass

        async def close(self) -> None:
            pass

        async def __aenter__(self) -> AsyncScripted:
            return self

        async def __aexit__(self, *args: Any) -> None:
            pass

    transport = AsyncScripted(IncompleteReadError("cut"), (429, {"Retry-After": "30"}), 201)
    pipeline = AsyncPipeline(
        transport,
        [AsyncBatchRetryPolicy(retry_backoff_factor=0, retry_backoff_max=4), AsyncLostResponsePolicy()],  # type: ignore[list-item]
    )
    response = await pipeline.run(HttpRequest("POST", "http://127.0.0.1/jobs"), batch_operation="add")
    assert response.http_response.status_code == 201
    assert transport.inner.slept == [4]
    log = attempt_log(response)
    assert log.outcomes == [idem.Outcome.UNKNOWN, idem.Outcome.REFUSED]

    transport = AsyncScripted(IncompleteReadError("cut"))
    pipeline = AsyncPipeline(transport, [AsyncBatchRetryPolicy(retry_total=0), AsyncLostResponsePolicy()])  # type: ignore[list-item]
    with pytest.raises(ServiceResponseError):
        await pipeline.run(HttpRequest("GET", "http://127.0.0.1/jobs/x"), batch_operation="get")


def test_the_transient_statuses_are_the_ones_the_policy_retries() -> None:
    policy = BatchRetryPolicy()
    retried = {status for status in range(100, 999) if status in policy._retry_on_status_codes}
    assert retried == set(idem.TRANSIENT_STATUSES)
