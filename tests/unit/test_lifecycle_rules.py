"""The pure decisions behind wait_for_state, wait_for_completion and the *_many bulk helpers."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from azbatch._bounded import run_bounded, run_bounded_async
from azbatch._protocol import _lifecycle as rules
from azbatch.exceptions import BatchWaitTimeoutError, error_from_response
from azbatch.models import (
    BulkOutcome,
    BulkResult,
    BulkStatus,
    JobSnapshot,
    JobState,
    TaskCounts,
)

STATES = ["active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting"]

# current state -> the states it can still lead to (JOBS-API.md §3).
REACHABLE = {
    "active": set(STATES),
    "disabling": set(STATES),
    "disabled": set(STATES),
    "enabling": set(STATES),
    "terminating": {"terminating", "completed", "deleting"},
    "completed": {"completed", "deleting"},
    "deleting": {"deleting"},
}


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("target", STATES)
def test_reachability_follows_the_state_machine(current: str, target: str) -> None:
    assert rules.can_reach(current, target) is (target in REACHABLE[current])


def test_unknown_states_are_assumed_reachable_and_members_equal_strings() -> None:
    assert rules.can_reach("hibernating", "active")
    assert rules.can_reach("completed", "hibernating")
    assert not rules.can_reach(JobState.COMPLETED, JobState.ACTIVE)


def test_judge_states() -> None:
    targets = frozenset({"disabled", "completed"})
    assert rules.judge_states("disabled", targets) == "Succeeded"
    assert rules.judge_states(JobState.COMPLETED, targets) == "Succeeded"  # an enum member, not a str
    assert rules.judge_states("disabling", targets) == "InProgress"
    assert rules.judge_states("terminating", targets) == "InProgress"  # completed still follows
    assert rules.judge_states("deleting", targets) == "Failed"
    assert rules.judge_states(None, targets) == "Failed"
    assert rules.judge_states("terminating", frozenset({"active"})) == "Failed"
    assert rules.judge_states("paused", frozenset({"active"})) == "InProgress"  # newer, unknown state


def _counts(active: int = 0, running: int = 0, completed: int = 0) -> TaskCounts:
    return TaskCounts(active=active, running=running, completed=completed, succeeded=completed, failed=0)


def test_judge_completion() -> None:
    judge = rules.judge_completion
    assert judge("completed", None, tasks_done=False, min_tasks=1) == "Succeeded"
    assert judge("terminating", _counts(), tasks_done=False, min_tasks=1) == "InProgress"
    assert judge("deleting", _counts(completed=5), tasks_done=True, min_tasks=1) == "Failed"
    assert judge(None, None, tasks_done=True, min_tasks=1) == "Failed"
    # tasks_done: no active, no running, and enough completed tasks.
    assert judge("active", _counts(completed=3), tasks_done=False, min_tasks=1) == "InProgress"
    assert judge("active", _counts(completed=3), tasks_done=True, min_tasks=3) == "Succeeded"
    assert judge("active", _counts(completed=2), tasks_done=True, min_tasks=3) == "InProgress"
    assert judge("active", _counts(active=1, completed=3), tasks_done=True, min_tasks=1) == "InProgress"
    assert judge("active", _counts(running=1, completed=3), tasks_done=True, min_tasks=1) == "InProgress"
    # A job whose tasks are not added (or not counted) yet is not done ...
    assert judge("active", _counts(), tasks_done=True, min_tasks=1) == "InProgress"
    # ... unless the caller says zero tasks is fine.
    assert judge("disabled", _counts(), tasks_done=True, min_tasks=0) == "Succeeded"


# ------------------------------------------------------------------------------------------ throttling


class _Response:
    def __init__(self, status: int, code: str | None, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.reason = "reason"
        self.headers = headers or {}
        self.request = None
        self.content = json.dumps({"code": code, "message": {"value": "text"}} if code else {}).encode()

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode()

    def body(self) -> bytes:
        return self.content


@pytest.mark.parametrize(
    ("status", "code", "throttling"),
    [
        (429, "TooManyRequests", True),
        (503, "ServerBusy", True),
        (429, None, True),
        (409, "ActiveJobAndScheduleQuotaReached", True),
        (500, "ServerBusy", True),
        (409, "JobBeingDeleted", False),
        (500, "InternalError", False),
        (404, "JobNotFound", False),
    ],
)
def test_is_throttling(status: int, code: str | None, throttling: bool) -> None:
    assert rules.is_throttling(error_from_response(_Response(status, code))) is throttling


def test_only_service_errors_are_throttling() -> None:
    assert not rules.is_throttling(ServiceRequestError("connection refused"))
    assert not rules.is_throttling(ValueError("429"))
    assert not rules.is_throttling(HttpResponseError("no response"))


def test_retry_after_reads_seconds_only() -> None:
    def after(value: str | None) -> float | None:
        headers = {} if value is None else {"Retry-After": value}
        return rules.retry_after(error_from_response(_Response(429, "TooManyRequests", headers)))

    assert after("7") == 7.0
    assert after("0") == 0.0
    assert after(None) is None
    assert after("Fri, 17 Feb 2017 00:00:00 GMT") is None
    assert after("-1") is None
    assert after("nan") is None


def test_backoff_doubles_takes_a_longer_retry_after_and_is_capped() -> None:
    assert [rules.backoff_delay(n, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert rules.backoff_delay(1, 0.5, hint=3) == 3
    assert rules.backoff_delay(3, 0.5, hint=1) == 2.0
    assert rules.backoff_delay(20, 1.0) == rules.MAX_BACKOFF_S
    assert rules.backoff_delay(1, 1.0, hint=3600) == rules.MAX_BACKOFF_S


def test_the_throttle_gate_holds_everyone_and_never_shortens() -> None:
    gate = rules.ThrottleGate()
    assert gate.remaining(100.0) == 0.0
    gate.hold(100.0, 5.0)
    assert gate.remaining(101.0) == 4.0
    gate.hold(101.0, 1.0)  # a shorter hold does not cut the longer one
    assert gate.remaining(101.0) == 4.0
    assert gate.remaining(200.0) == 0.0


class _SlowNow(float):
    """A clock reading whose ``now + delay`` waits for the test: it stops a hold between its read of
    ``until`` and its write, where another thread's hold could slip in without the gate's lock."""

    reached: threading.Event
    go: threading.Event

    def __add__(self, other: object) -> float:
        self.reached.set()
        assert self.go.wait(5)
        return float(self) + float(other)  # type: ignore[arg-type]


def test_the_throttle_gate_is_safe_between_threads() -> None:
    # The sync bulk helpers share one gate between their pool threads. A short hold that read `until`
    # before a longer one was written must not overwrite it with its own, earlier end.
    gate = rules.ThrottleGate()
    slow = _SlowNow(100.0)
    slow.reached, slow.go = threading.Event(), threading.Event()
    short = threading.Thread(target=gate.hold, args=(slow, 5.0))
    short.start()
    assert slow.reached.wait(5)  # the short hold is inside hold(), past its read of `until`
    long = threading.Thread(target=gate.hold, args=(100.0, 10.0))
    long.start()
    long.join(0.2)  # without the lock the long hold would be written by now
    slow.go.set()
    short.join(5)
    long.join(5)
    assert not short.is_alive() and not long.is_alive()
    assert gate.until == 110.0
    assert gate.remaining(100.0) == 10.0


# ------------------------------------------------------------------------------------------------ waits


def test_a_wait_budget_bounds_each_request_by_the_time_left() -> None:
    budget = rules.WaitBudget(started=50.0, limit=10.0)
    assert budget.left(53.0) == 7.0
    assert budget.request_timeout(50.0, False) == (10.0, True)
    assert budget.request_timeout(57.5, False) == (2.5, True)
    # The last look, at (or past) the deadline, gets a short grace rather than nothing.
    assert budget.request_timeout(60.0, True) == (rules.LAST_LOOK_S, True)
    assert budget.request_timeout(61.0, False) == (rules.LAST_LOOK_S, True)
    # ... but never more than the whole wait.
    assert rules.WaitBudget(0.0, 0.5).request_timeout(0.5, True) == (0.5, True)
    # A shorter per-request deadline (the caller's timeout, or the client's) wins: then a timeout of the
    # request is the request's own, not the wait's.
    capped = rules.WaitBudget(started=0.0, limit=10.0, per_request=3.0)
    assert capped.request_timeout(0.0, False) == (3.0, False)
    assert capped.request_timeout(8.0, False) == (2.0, True)
    # Without a limit the wait adds nothing: the request keeps its own deadline (or the client's).
    unlimited = rules.WaitBudget(started=0.0, limit=None, per_request=3.0)
    assert unlimited.left(1e9) is None
    assert unlimited.request_timeout(1e9, True) == (None, False)


def test_follow_up_reads_keep_pipeline_options_and_drop_the_changes_own() -> None:
    kwargs = {
        "headers": {"x-trace": "1"},
        "timeout": 4,
        "retry_total": 0,
        "service_timeout": 20,
        "etag": '"0x1"',
        "match_condition": object(),
        "if_unmodified_since": object(),
        "force": True,
        "client_request_id": "00000000-0000-0000-0000-000000000001",
        "ocp_date": object(),
        "job_delete_options": object(),
        "raw": True,
    }
    assert rules.read_options(kwargs) == {
        "headers": {"x-trace": "1"},
        "timeout": 4,
        "retry_total": 0,
        "service_timeout": 20,
    }


# ------------------------------------------------------------------------------------------- arguments


def test_wait_states() -> None:
    assert rules.wait_states((JobState.ACTIVE, "Disabled")) == frozenset({"active", "disabled"})
    with pytest.raises(TypeError, match="at least one state"):
        rules.wait_states(())
    with pytest.raises(ValueError, match=r"states must be job states.*'running'"):
        rules.wait_states(("running",))
    with pytest.raises(TypeError, match="states must be JobState values or str, not int"):
        rules.wait_states((1,))


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (float("inf"), ValueError),
        (float("nan"), ValueError),
        ("1", TypeError),
        (True, TypeError),
    ],
)
def test_seconds_must_be_finite_and_positive(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="timeout"):
        rules.seconds("timeout", value)


def test_seconds_accepted() -> None:
    assert rules.seconds("x", 2) == 2.0
    assert rules.seconds("x", 0.25) == 0.25
    assert rules.optional_seconds("x", None) is None
    with pytest.raises(ValueError, match="x must"):
        rules.optional_seconds("x", 0)


def test_limit_int() -> None:
    assert rules.limit_int("max_concurrency", 8, low=1, high=64) == 8
    with pytest.raises(ValueError, match="max_concurrency must be between 1 and 64"):
        rules.limit_int("max_concurrency", 0, low=1, high=64)
    with pytest.raises(TypeError, match="max_concurrency must be an int"):
        rules.limit_int("max_concurrency", None, low=1, high=64)
    with pytest.raises(TypeError, match="max_concurrency must be an int"):
        rules.limit_int("max_concurrency", 2.0, low=1, high=64)


def test_bulk_ids() -> None:
    assert rules.bulk_ids(["b", "a", "b"], None) == ["b", "a"]
    assert rules.bulk_ids(iter(("x",)), None) == ["x"]
    assert rules.bulk_ids(None, "state eq 'active'") is None
    with pytest.raises(TypeError, match="exactly one"):
        rules.bulk_ids(["a"], "state eq 'active'")
    with pytest.raises(TypeError, match="exactly one"):
        rules.bulk_ids(None, None)
    with pytest.raises(TypeError, match=r"job_ids must be an iterable of str.*not str"):
        rules.bulk_ids("job-1", None)
    with pytest.raises(TypeError, match="not dict"):
        rules.bulk_ids({"a": 1}, None)
    with pytest.raises(TypeError, match="job_ids item must be a str"):
        rules.bulk_ids(["a", 2], None)
    with pytest.raises(ValueError, match="job_ids item must not be empty"):
        rules.bulk_ids([""], None)


# ----------------------------------------------------------------------------------------- result types


def test_bulk_result_groups_outcomes_in_order() -> None:
    boom = RuntimeError("boom")
    result = BulkResult(
        (
            BulkOutcome("a", BulkStatus.SUCCEEDED),
            BulkOutcome("b", BulkStatus.NOT_FOUND, ValueError("404")),
            BulkOutcome("c", BulkStatus.FAILED, boom, attempts=3),
            BulkOutcome("d", BulkStatus.ALREADY_IN_STATE),
            BulkOutcome("e", BulkStatus.SUCCEEDED),
        )
    )
    assert [o.job_id for o in result] == ["a", "b", "c", "d", "e"]
    assert len(result) == 5
    assert result.succeeded == ["a", "e"]
    assert result.not_found == ["b"]
    assert result.already_in_state == ["d"]
    assert result.failed == {"c": boom}
    assert not result.ok
    assert repr(result) == "BulkResult(succeeded=2, not_found=1, already_in_state=1, failed=1)"
    assert BulkResult((BulkOutcome("a", BulkStatus.NOT_FOUND),)).ok
    assert BulkStatus.ALREADY_IN_STATE == "already_in_state"
    assert str(BulkStatus.FAILED) == "failed"


def test_the_timeout_error_is_a_timeout_error_that_carries_the_last_look() -> None:
    snapshot = JobSnapshot("job-1", "active", None, _counts(running=2), polls=4, elapsed=9.5)
    error = BatchWaitTimeoutError("job-1", "completed", 10, snapshot)
    assert isinstance(error, TimeoutError)
    assert error.state == "active" and error.task_counts == _counts(running=2) and error.last is snapshot
    assert str(error) == "job 'job-1' did not become completed within 10 s; it was last seen 'active'"
    # A JobState member (what a look at a real job returns) shows as its plain value.
    member = JobSnapshot("job-1", JobState.ACTIVE, None, None, polls=1, elapsed=1.0)
    shown = BatchWaitTimeoutError("job-1", "completed", 10, member)
    assert str(shown) == "job 'job-1' did not become completed within 10 s; it was last seen 'active'"
    assert shown.state is JobState.ACTIVE
    nothing = BatchWaitTimeoutError("job-1", "completed", 0.5, None)
    assert nothing.state is None and nothing.task_counts is None
    assert "nothing was seen yet" in str(nothing)


# ------------------------------------------------------------------------------------ bounded runners


def test_run_bounded_keeps_order_limits_threads_and_reports_in_the_caller_thread() -> None:
    lock = threading.Lock()
    running, peak = 0, 0
    caller = threading.get_ident()
    done_in: set[int] = set()
    done: list[int] = []

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.002)
        with lock:
            running -= 1
        return n * 10

    def on_done(result: int) -> None:
        done_in.add(threading.get_ident())
        done.append(result)

    assert run_bounded(list(range(20)), work, 3, on_done) == [n * 10 for n in range(20)]
    assert peak <= 3
    assert sorted(done) == [n * 10 for n in range(20)]
    assert done_in == {caller}
    assert run_bounded([], work, 3) == []


def test_run_bounded_stops_on_an_error() -> None:
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 0:
            raise RuntimeError("first one fails")
        time.sleep(0.001)
        return n

    with pytest.raises(RuntimeError, match="first one fails"):
        run_bounded(list(range(200)), work, 1)
    assert len(started) < 200  # the rest was cancelled


async def test_run_bounded_async_keeps_order_and_limits_concurrency() -> None:
    running, peak = 0, 0
    done: list[int] = []

    async def work(n: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        return -n

    assert await run_bounded_async(list(range(30)), work, 4, done.append) == [-n for n in range(30)]
    assert peak == 4  # the workers interleave at every await, so the bound is reached exactly
    assert sorted(done) == sorted(-n for n in range(30))
    assert await run_bounded_async([], work, 4) == []


async def test_run_bounded_async_cancels_the_others_on_an_error() -> None:
    finished: list[int] = []

    async def work(n: int) -> int:
        if n == 3:
            raise RuntimeError("three")
        await asyncio.sleep(0)
        finished.append(n)
        return n

    def on_done(result: int) -> None:
        if result == 5:
            raise KeyError("callback")

    with pytest.raises(RuntimeError, match="three"):
        await run_bounded_async(list(range(100)), work, 2)
    assert len(finished) < 100
    with pytest.raises(KeyError, match="callback"):
        await run_bounded_async(list(range(4, 100)), work, 2, on_done)
