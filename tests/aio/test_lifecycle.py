"""Lifecycle helpers against the emulator: waiting, exists, and the *_many bulk changes.

The job's state and task counts change while the client waits: the ``on_progress`` callback steps the
emulator's store after each look, so every run sees the same sequence with no wall clock involved.
Sleeps and the clock of the helpers are replaced by a fake that records the waits asked for.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpx import HTTPXMock

import azbatch._protocol._lifecycle as rules
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator
from azbatch.exceptions import (
    BatchJobStateError,
    BatchResourceNotFoundError,
    BatchServiceError,
    BatchTimeoutError,
    BatchWaitTimeoutError,
)
from azbatch.filters import F
from azbatch.models import BulkOutcome, BulkStatus, JobSnapshot, JobState

from .conftest import ENDPOINT, ClientFactory, batch_error


class FakeTime:
    """Stands in for the helpers' sleep and clock: sleeping only moves the clock and is recorded.

    The emulator's clock follows it, so its state transitions take fake time too.
    """

    def __init__(self, emu: BatchEmulator | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        if emu is not None:
            start = emu.store.clock()
            emu.store.clock = lambda: start + int(self.now * 10_000_000)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
async def emu() -> AsyncIterator[BatchEmulator]:
    """An emulator whose transitions end within the request (transition_ms=0)."""
    async with BatchEmulator(transition_ms=0) as emulator:
        yield emulator


@pytest.fixture
async def batch(emu: BatchEmulator) -> AsyncIterator[BatchClient]:
    """A client for ``emu`` with the pipeline's retries off, so the helpers' own back-off is what runs."""
    async with BatchClient(emu.endpoint, emu.credential, retry_total=0) as client:
        yield client


@pytest.fixture
def fake_time(emu: BatchEmulator, batch: BatchClient, monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime(emu)
    monkeypatch.setattr(batch.jobs, "_lifecycle_sleep", fake.sleep)
    monkeypatch.setattr(batch.jobs, "_lifecycle_clock", fake.clock)
    return fake


def seed(emu: BatchEmulator, *job_ids: str, state: str | None = None) -> None:
    for job_id in job_ids:
        emu.store.seed_job({"id": job_id, "poolInfo": {"poolId": "pool"}}, state=state)


def stepper(emu: BatchEmulator, job_id: str, *steps: Callable[[], Any]) -> Callable[[JobSnapshot], None]:
    """An on_progress callback that records each snapshot and runs the next step after each look."""
    pending = list(steps)
    seen: list[JobSnapshot] = []

    def on_progress(snapshot: JobSnapshot) -> None:
        seen.append(snapshot)
        if pending:
            pending.pop(0)()

    on_progress.seen = seen  # type: ignore[attr-defined]
    return on_progress


# -------------------------------------------------------------------------------------------- waiting


async def test_wait_for_state_follows_the_job_until_it_arrives(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    progress = stepper(
        emu,
        "job-1",
        lambda: emu.store.force_state("job-1", "disabling"),
        lambda: emu.store.force_state("job-1", "disabled"),
    )
    snapshot = await batch.jobs.wait_for_state(
        "job-1", JobState.DISABLED, polling_interval=3, on_progress=progress
    )
    assert snapshot.state == JobState.DISABLED
    assert snapshot.polls == 3
    assert snapshot.job is not None and snapshot.job.id == "job-1"
    assert snapshot.task_counts is None  # wait_for_state looks at the job only
    assert [s.state for s in progress.seen] == ["active", "disabling", "disabled"]  # type: ignore[attr-defined]
    assert [s.elapsed for s in progress.seen] == [0, 3, 6]  # type: ignore[attr-defined]
    assert fake_time.sleeps == [3, 3]
    assert emu.request_log.count("get") == 3
    assert emu.request_log.count("get_task_counts") == 0


async def test_wait_for_state_accepts_any_of_several_states(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1", state="terminating")
    progress = stepper(emu, "job-1", lambda: emu.store.force_state("job-1", "completed"))
    snapshot = await batch.jobs.wait_for_state("job-1", "disabled", "completed", on_progress=progress)
    assert snapshot.state == "completed"
    assert fake_time.sleeps == [5.0]  # the default polling interval


async def test_a_state_that_can_no_longer_come_fails_at_once(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1", state="completed")
    with pytest.raises(BatchJobStateError) as caught:
        await batch.jobs.wait_for_state("job-1", JobState.ACTIVE, JobState.DISABLED)
    assert caught.value.state == "completed"
    assert caught.value.expected == "active or disabled"
    assert caught.value.operation == "wait_for_state"
    assert "job-1" in str(caught.value)
    assert fake_time.sleeps == []
    assert emu.request_log.count("get") == 1


async def test_a_job_deleted_while_waiting_fails_the_wait(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    progress = stepper(emu, "job-1", lambda: emu.store.delete_job("job-1"))
    with pytest.raises(BatchJobStateError, match="no longer exists") as caught:
        await batch.jobs.wait_for_state("job-1", "disabled", on_progress=progress)
    assert caught.value.state is None
    assert len(progress.seen) == 1  # type: ignore[attr-defined]


async def test_a_timeout_raises_with_the_last_snapshot(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    with pytest.raises(BatchWaitTimeoutError) as caught:
        await batch.jobs.wait_for_state("job-1", "disabled", timeout=10, polling_interval=3)
    error = caught.value
    assert isinstance(error, TimeoutError)
    # Looks at 0, 3, 6 and 9 s, a last one at the deadline (10 s), then the error.
    assert fake_time.sleeps == [3, 3, 3, 1]
    assert error.state == "active"
    assert error.last is not None and error.last.polls == 5 and error.last.elapsed == 10
    assert error.timeout == 10
    assert "within 10 s" in str(error)


class StallingGet:
    """Stands in for ``jobs.get``: records the ``timeout`` each request was given, and makes the looks
    numbered in ``stall`` hang until that deadline (the fake clock moves on by it), then fail with the
    client's ``BatchTimeoutError``, as a request that never gets an answer does."""

    def __init__(self, jobs: Any, fake: FakeTime, stall: tuple[int, ...] = ()) -> None:
        self.original = jobs.get
        self.fake = fake
        self.stall = stall
        self.timeouts: list[float | None] = []
        self.selects: list[Any] = []

    async def __call__(self, job_id: str, **kwargs: Any) -> Any:
        timeout = kwargs.get("timeout")
        self.timeouts.append(timeout)
        self.selects.append(kwargs.get("select"))
        if len(self.timeouts) in self.stall:
            assert timeout is not None, "a stalled request without a deadline would hang the wait"
            self.fake.now += timeout
            raise BatchTimeoutError(deadline=timeout, elapsed=timeout, attempts=1)
        return await self.original(job_id, **kwargs)


async def test_each_request_of_a_wait_gets_no_more_than_the_time_left(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    get = StallingGet(batch.jobs, fake_time)
    batch.jobs.get = get  # type: ignore[method-assign]
    with pytest.raises(BatchWaitTimeoutError):
        await batch.jobs.wait_for_state("job-1", "disabled", timeout=10, polling_interval=3)
    # Looks at 0, 3, 6 and 9 s get what is left of the 10 s; the last look, at the deadline, a short grace.
    assert get.timeouts == [10, 7, 4, 1, rules.LAST_LOOK_S]
    assert fake_time.sleeps == [3, 3, 3, 1]


async def test_a_stalled_request_ends_the_wait_at_its_timeout(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    get = StallingGet(batch.jobs, fake_time, stall=(2,))
    batch.jobs.get = get  # type: ignore[method-assign]
    with pytest.raises(BatchWaitTimeoutError) as caught:
        await batch.jobs.wait_for_completion("job-1", timeout=10, polling_interval=3)
    # The second look (at 3 s) hangs; it was given the 7 s left, so the wait ends at 10 s, not later.
    assert get.timeouts == [10, 7]
    assert fake_time.now == 10
    error = caught.value
    assert isinstance(error.__cause__, BatchTimeoutError)
    assert error.timeout == 10
    assert error.last is not None and error.last.polls == 1 and error.last.state == "active"
    assert str(error).endswith("it was last seen 'active'")


async def test_a_client_default_timeout_still_bounds_each_request_of_a_wait(
    emu: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(emu, "job-1")
    fake = FakeTime(emu)
    async with BatchClient(emu.endpoint, emu.credential, retry_total=0, timeout=4) as client:
        monkeypatch.setattr(client.jobs, "_lifecycle_sleep", fake.sleep)
        monkeypatch.setattr(client.jobs, "_lifecycle_clock", fake.clock)
        get = StallingGet(client.jobs, fake, stall=(1,))
        client.jobs.get = get  # type: ignore[method-assign]
        # A request that runs out of the client's 4 s (not the wait's time) is the request's failure.
        with pytest.raises(BatchTimeoutError) as caught:
            await client.jobs.wait_for_state("job-1", "disabled", timeout=10, polling_interval=3)
        assert not isinstance(caught.value, BatchWaitTimeoutError)
        get.stall = ()
        get.timeouts.clear()
        fake.now = 0.0
        with pytest.raises(BatchWaitTimeoutError):
            await client.jobs.wait_for_state("job-1", "disabled", timeout=10, polling_interval=3)
        assert get.timeouts == [4, 4, 4, 1, rules.LAST_LOOK_S]


async def test_wait_for_completion_when_the_job_completes(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    emu.store.set_task_counts("job-1", {"active": 2, "running": 1})
    progress = stepper(
        emu,
        "job-1",
        lambda: emu.store.set_task_counts(
            "job-1", {"active": 0, "running": 0, "completed": 3, "succeeded": 3}
        ),
        lambda: emu.store.force_state("job-1", "terminating"),
        lambda: emu.store.force_state("job-1", "completed"),
    )
    # Without tasks_done, finished tasks are not enough: the job itself must complete.
    snapshot = await batch.jobs.wait_for_completion("job-1", polling_interval=1, on_progress=progress)
    assert snapshot.state == "completed"
    assert snapshot.polls == 4
    seen = progress.seen  # type: ignore[attr-defined]
    assert [(s.task_counts.active, s.task_counts.running, s.task_counts.completed) for s in seen] == [
        (2, 1, 0),
        (0, 0, 3),
        (0, 0, 3),
        (0, 0, 3),
    ]
    assert emu.request_log.count("get_task_counts") == 4


async def test_wait_for_completion_with_tasks_done(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    progress = stepper(
        emu,
        "job-1",
        lambda: emu.store.set_task_counts("job-1", {"active": 1, "running": 2, "completed": 1}),
        lambda: emu.store.set_task_counts("job-1", {"active": 0, "running": 1, "completed": 3}),
        lambda: emu.store.set_task_counts("job-1", {"active": 0, "running": 0, "completed": 4}),
    )
    snapshot = await batch.jobs.wait_for_completion(
        "job-1", tasks_done=True, min_tasks=4, polling_interval=2, on_progress=progress
    )
    # Look 1: no tasks counted yet (not done: fewer than min_tasks); 2, 3: still running; 4: done.
    assert snapshot.polls == 4
    assert snapshot.state == "active"  # the job itself stays active
    assert snapshot.task_counts is not None and snapshot.task_counts.completed == 4
    assert fake_time.sleeps == [2, 2, 2]


async def test_wait_for_completion_fails_when_the_job_is_deleted(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")
    progress = stepper(emu, "job-1", lambda: emu.store.force_state("job-1", "deleting"))
    with pytest.raises(BatchJobStateError) as caught:
        await batch.jobs.wait_for_completion("job-1", tasks_done=True, on_progress=progress)
    assert caught.value.state == "deleting"
    assert caught.value.expected == "completed (or all tasks done)"


async def test_an_error_in_on_progress_ends_the_wait(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "job-1")

    def stop(snapshot: JobSnapshot) -> None:
        raise LookupError(f"stop waiting after look {snapshot.polls}")

    with pytest.raises(LookupError, match="stop waiting after look 1"):
        await batch.jobs.wait_for_completion("job-1", on_progress=stop)
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda jobs: jobs.wait_for_state("job-1"), TypeError, "at least one state"),
        (lambda jobs: jobs.wait_for_state("job-1", "running"), ValueError, "states must be job states"),
        (lambda jobs: jobs.wait_for_state("job-1", 3), TypeError, "states must be JobState"),
        (lambda jobs: jobs.wait_for_state("", "active"), ValueError, "job_id"),
        (lambda jobs: jobs.wait_for_state("job-1", "active", timeout=0), ValueError, "timeout"),
        (lambda jobs: jobs.wait_for_state("job-1", "active", timeout=float("inf")), ValueError, "timeout"),
        (
            lambda jobs: jobs.wait_for_state("job-1", "active", polling_interval=-1),
            ValueError,
            "polling_interval",
        ),
        (
            lambda jobs: jobs.wait_for_state("job-1", "active", polling_interval="1"),
            TypeError,
            "polling_interval",
        ),
        (lambda jobs: jobs.wait_for_state("job-1", "active", on_progress=1), TypeError, "on_progress"),
        (lambda jobs: jobs.wait_for_completion("job-1", tasks_done="yes"), TypeError, "tasks_done"),
        (lambda jobs: jobs.wait_for_completion("job-1", min_tasks=-1), ValueError, "min_tasks"),
        (lambda jobs: jobs.wait_for_completion("job-1", timeout=float("nan")), ValueError, "timeout"),
    ],
)
async def test_wait_arguments_are_checked_before_any_request(
    emu: BatchEmulator, batch: BatchClient, call: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        await call(batch.jobs)
    assert emu.request_log.count() == 0


# --------------------------------------------------------------------------------------------- exists


async def test_exists_sends_one_small_request(emu: BatchEmulator, batch: BatchClient) -> None:
    seed(emu, "job-1")
    urls: list[str] = []

    def hook(request: Any) -> None:
        urls.append(request.http_request.url)

    assert await batch.jobs.exists("job-1", raw_request_hook=hook) is True
    assert await batch.jobs.exists("job-2", raw_request_hook=hook) is False
    assert len(urls) == 2
    for url in urls:
        query = parse_qs(urlsplit(url).query)
        assert query["$select"] == ["id"]
        assert set(query) == {"api-version", "$select"}


async def test_exists_raises_other_errors(emu: BatchEmulator, batch: BatchClient) -> None:
    emu.faults.internal_error(operation="get")
    with pytest.raises(BatchServiceError) as caught:
        await batch.jobs.exists("job-1")
    assert caught.value.status_code == 500
    assert not isinstance(caught.value, BatchResourceNotFoundError)


# ----------------------------------------------------------------------------------------------- bulk


async def test_delete_many_reports_each_job_in_order(emu: BatchEmulator, batch: BatchClient) -> None:
    seed(emu, "a", "b", "c")
    seed(emu, "d", state="deleting")
    finished: list[BulkOutcome] = []
    result = await batch.jobs.delete_many(["c", "missing", "a", "d", "b", "a"], on_progress=finished.append)
    assert [(o.job_id, o.status) for o in result] == [
        ("c", BulkStatus.SUCCEEDED),
        ("missing", BulkStatus.NOT_FOUND),
        ("a", BulkStatus.SUCCEEDED),
        ("d", BulkStatus.ALREADY_IN_STATE),
        ("b", BulkStatus.SUCCEEDED),
    ]
    assert sorted(o.job_id for o in finished) == ["a", "b", "c", "d", "missing"]
    assert result.succeeded == ["c", "a", "b"]
    assert result.not_found == ["missing"]
    assert result.already_in_state == ["d"]
    assert result.failed == {} and result.ok
    assert isinstance(next(iter(result)).error, type(None))
    assert emu.store.job_ids() == ["d"]


async def test_terminate_many_sorts_out_conflicts_by_the_jobs_state(
    emu: BatchEmulator, batch: BatchClient
) -> None:
    seed(emu, "live")
    seed(emu, "done", state="completed")
    seed(emu, "ending", state="terminating")
    seed(emu, "going", state="deleting")
    result = await batch.jobs.terminate_many(["live", "done", "ending", "going"], terminate_reason="cleanup")
    assert result.succeeded == ["live"]
    assert result.already_in_state == ["done", "ending"]
    assert list(result.failed) == ["going"]  # a job being deleted can no longer be terminated
    assert getattr(result.failed["going"], "code", None) == "JobBeingDeleted"
    assert not result.ok
    job = await batch.jobs.get("live")
    assert job.execution_info is not None and job.execution_info.terminate_reason == "cleanup"


async def test_disable_and_enable_many_and_wait(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    seed(emu, "c", state="disabled")
    result = await batch.jobs.disable_many(
        ["a", "b", "c"], disable_tasks="requeue", wait=True, polling_interval=1
    )
    assert result.succeeded == ["a", "b", "c"]  # disabling a disabled job is accepted by the service
    assert {str((await batch.jobs.get(j)).state) for j in "abc"} == {"disabled"}

    result = await batch.jobs.enable_many(["a", "b", "c"], wait=True)
    assert result.succeeded == ["a", "b", "c"]
    assert {str((await batch.jobs.get(j)).state) for j in "abc"} == {"active"}
    result = await batch.jobs.enable_many(["a"])
    assert result.already_in_state == ["a"]  # enable on an active job: 409, and the job is active


async def test_wait_true_waits_for_the_final_state(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    emu.store.transition_ms = 5000  # "deleting" lasts 5 s of the (fake) clock
    result = await batch.jobs.delete_many(["a", "b"], wait=True, polling_interval=2, max_concurrency=1)
    assert result.succeeded == ["a", "b"]
    assert emu.store.job_ids() == []
    # Each job is seen deleting at 0, 2 and 4 s after its delete, and gone at 6 s.
    assert fake_time.sleeps == [2, 2, 2, 2, 2, 2]


async def test_bulk_wait_failures_are_reported_per_job(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    emu.store.transition_ms = 60_000  # "terminating" lasts a minute of the (fake) clock
    result = await batch.jobs.terminate_many(
        ["a", "b"], wait=True, wait_timeout=5, polling_interval=2, max_concurrency=1
    )
    assert list(result.failed) == ["a", "b"]
    error = result.failed["a"]
    assert isinstance(error, BatchWaitTimeoutError)
    assert error.state == "terminating"
    assert error.waited_for == "'completed'"
    assert error.last is not None and error.last.polls == 4  # at 0, 2, 4 and 5 s


async def test_bulk_wait_bounds_each_look_by_its_time_and_the_calls_timeout(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    emu.store.transition_ms = 60_000  # "terminating" lasts a minute of the (fake) clock
    get = StallingGet(batch.jobs, fake_time, stall=(3,))
    batch.jobs.get = get  # type: ignore[method-assign]
    result = await batch.jobs.terminate_many(
        ["a", "b"], wait=True, wait_timeout=5, polling_interval=2, max_concurrency=1, timeout=3
    )
    # Job a: looks at 0 and 2 s get the call's own 3 s; the third (at 4 s, 1 s left) gets 1 s and
    # stalls: that is the wait's time running out.
    assert get.timeouts[:3] == [3, 3, 1]
    assert get.selects[:3] == ["id,state"] * 3
    error = result.failed["a"]
    assert isinstance(error, BatchWaitTimeoutError) and isinstance(error.__cause__, BatchTimeoutError)
    assert error.last is not None and error.last.polls == 2 and error.state == "terminating"
    # Job b: looks at 0, 2 and 4 s, and a last one at the deadline with the short grace.
    assert get.timeouts[3:] == [3, 3, 1, rules.LAST_LOOK_S]
    assert isinstance(result.failed["b"], BatchWaitTimeoutError)


async def test_a_stall_within_the_calls_own_timeout_fails_the_job_with_that_error(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a")
    emu.store.transition_ms = 60_000
    get = StallingGet(batch.jobs, fake_time, stall=(1,))
    batch.jobs.get = get  # type: ignore[method-assign]
    result = await batch.jobs.terminate_many(["a"], wait=True, wait_timeout=30, timeout=2)
    assert get.timeouts == [2]
    error = result.failed["a"]
    assert isinstance(error, BatchTimeoutError) and not isinstance(error, BatchWaitTimeoutError)


async def test_bulk_follow_up_requests_carry_the_callers_pipeline_options(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "live", "other")
    seed(emu, "done", state="completed")
    sent: list[tuple[str, str, str | None]] = []
    read_ids: list[str | None] = []

    def hook(request: Any) -> None:
        http = request.http_request
        sent.append((http.method, urlsplit(http.url).path, http.headers.get("x-azbatch-test")))
        if http.method == "GET":
            read_ids.append(http.headers.get("client-request-id"))

    result = await batch.jobs.terminate_many(
        filter=F.id.startswith("live") | F.id.startswith("done"),
        wait=True,
        polling_interval=1,
        max_concurrency=1,
        headers={"x-azbatch-test": "bulk"},
        raw_request_hook=hook,
        client_request_id="00000000-0000-0000-0000-00000000abcd",
    )
    assert result.succeeded == ["live"] and result.already_in_state == ["done"]
    # The listing, each terminate, the GET that explains done's 409 and the looks of wait=True.
    methods = {(method, path) for method, path, _ in sent}
    assert ("GET", "/jobs") in methods
    assert ("POST", "/jobs/done/terminate") in methods and ("GET", "/jobs/done") in methods
    assert ("GET", "/jobs/live") in methods
    assert all(header == "bulk" for _, _, header in sent), sent
    # The change's own client_request_id is not reused for the reads.
    assert read_ids and "00000000-0000-0000-0000-00000000abcd" not in read_ids


async def test_bulk_by_filter_lists_then_acts(emu: BatchEmulator, batch: BatchClient) -> None:
    seed(emu, "nightly-1", "nightly-2", "weekly-1")
    seed(emu, "nightly-3", state="completed")
    result = await batch.jobs.terminate_many(
        filter=F.id.startswith("nightly-") & (F.state == JobState.ACTIVE)
    )
    assert result.succeeded == ["nightly-1", "nightly-2"]
    assert str((await batch.jobs.get("weekly-1")).state) == "active"
    result = await batch.jobs.delete_many(filter="state eq 'completed'")
    assert sorted(result.succeeded) == ["nightly-1", "nightly-2", "nightly-3"]
    assert emu.store.job_ids() == ["weekly-1"]
    assert len(await batch.jobs.delete_many(filter=F.id == "nothing-matches")) == 0


async def test_throttling_backs_off_with_growing_delays(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a")
    emu.faults.throttle(operation="delete", times=2, retry_after=None)
    emu.faults.server_busy(operation="delete", times=1, retry_after=None)
    result = await batch.jobs.delete_many(["a"], retry_delay=0.5, max_concurrency=1)
    assert result.succeeded == ["a"]
    assert next(iter(result)).attempts == 4
    assert fake_time.sleeps == [0.5, 1.0, 2.0]
    assert emu.request_log.count("delete", 429) == 2 and emu.request_log.count("delete", 503) == 1


async def test_a_longer_retry_after_wins(emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime) -> None:
    seed(emu, "a")
    emu.faults.throttle(operation="terminate", times=1, retry_after=7)
    result = await batch.jobs.terminate_many(["a"], retry_delay=0.5)
    assert result.succeeded == ["a"]
    assert fake_time.sleeps == [7.0]


async def test_one_throttled_job_holds_the_others(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b", "c")
    emu.faults.throttle(path="/jobs/a", times=1, retry_after=None)
    result = await batch.jobs.delete_many(["a", "b", "c"], retry_delay=2, max_concurrency=1)
    assert result.succeeded == ["a", "b", "c"]
    # a is throttled and waits 2 s; the gate is then open again for b and c, no further sleeps.
    assert fake_time.sleeps == [2.0]


async def test_throttling_gives_up_after_max_attempts(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    emu.faults.throttle(path="/jobs/a", times=None, retry_after=None)
    result = await batch.jobs.delete_many(["a", "b"], max_attempts=3, retry_delay=1, max_concurrency=1)
    assert result.succeeded == ["b"]
    outcome = next(iter(result))
    assert outcome.status is BulkStatus.FAILED and outcome.attempts == 3
    assert getattr(outcome.error, "status_code", None) == 429
    assert fake_time.sleeps == [1.0, 2.0]


async def test_other_service_errors_fail_the_job_without_retrying(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    seed(emu, "a", "b")
    emu.faults.internal_error(path="/jobs/b", times=1)
    result = await batch.jobs.delete_many(["a", "b"])
    assert result.succeeded == ["a"]
    assert list(result.failed) == ["b"]
    assert next(o for o in result if o.job_id == "b").attempts == 1
    assert fake_time.sleeps == []


async def test_concurrency_is_bounded(emu: BatchEmulator, batch: BatchClient) -> None:
    ids = [f"job-{i:02d}" for i in range(24)]
    seed(emu, *ids)
    original = batch.jobs.delete
    running, peak = 0, 0
    lock = threading.Lock()  # the sync twin of this test counts from several threads

    def enter() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)

    def leave() -> None:
        nonlocal running
        with lock:
            running -= 1

    async def counting_delete(job_id: str, **kwargs: Any) -> Any:
        enter()
        try:
            await asyncio.sleep(0.001)
            return await original(job_id, **kwargs)
        finally:
            leave()

    batch.jobs.delete = counting_delete  # type: ignore[method-assign]
    result = await batch.jobs.delete_many(ids, max_concurrency=3)
    assert result.succeeded == ids
    assert 1 <= peak <= 3


async def test_an_error_in_the_bulk_callback_propagates(emu: BatchEmulator, batch: BatchClient) -> None:
    seed(emu, "a", "b", "c", "d")

    def on_progress(outcome: BulkOutcome) -> None:
        raise LookupError(f"stop after {outcome.job_id}")

    with pytest.raises(LookupError, match="stop after"):
        await batch.jobs.delete_many(["a", "b", "c", "d"], max_concurrency=1, on_progress=on_progress)
    # The first job was deleted before the callback stopped the run (how many more were is up to the
    # thread pool in the sync client; tests/unit/test_lifecycle_rules.py checks the cancelling).
    assert "a" not in emu.store.job_ids()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda jobs: jobs.delete_many(), TypeError, "exactly one"),
        (lambda jobs: jobs.delete_many(["a"], filter="state eq 'active'"), TypeError, "exactly one"),
        (lambda jobs: jobs.delete_many("a"), TypeError, "job_ids must be an iterable"),
        (lambda jobs: jobs.delete_many(["a", 1]), TypeError, "job_ids item"),
        (lambda jobs: jobs.delete_many(["a"], max_concurrency=0), ValueError, "max_concurrency"),
        (lambda jobs: jobs.delete_many(["a"], max_concurrency=65), ValueError, "max_concurrency"),
        (lambda jobs: jobs.delete_many(["a"], max_attempts=0), ValueError, "max_attempts"),
        (lambda jobs: jobs.delete_many(["a"], retry_delay=0), ValueError, "retry_delay"),
        (lambda jobs: jobs.delete_many(["a"], wait="yes"), TypeError, "wait must be a bool"),
        (lambda jobs: jobs.delete_many(["a"], wait_timeout=-5), ValueError, "wait_timeout"),
        (lambda jobs: jobs.delete_many(["a"], polling_interval=0), ValueError, "polling_interval"),
        (lambda jobs: jobs.delete_many(["a"], on_progress="print"), TypeError, "on_progress"),
        (lambda jobs: jobs.delete_many(["a", "b"], timeout=0), ValueError, "timeout"),
        (lambda jobs: jobs.delete_many(filter=F.node_id == "tvm-1"), ValueError, "nodeId"),
        (lambda jobs: jobs.delete_many(filter=""), ValueError, "filter must not be blank"),
        (lambda jobs: jobs.disable_many(["a"], disable_tasks="later"), ValueError, "disable_tasks"),
        (lambda jobs: jobs.terminate_many(["a"], terminate_reason=5), TypeError, "terminate_reason"),
    ],
)
async def test_bulk_arguments_are_checked_before_any_request(
    emu: BatchEmulator, batch: BatchClient, call: Any, error: type[Exception], match: str
) -> None:
    seed(emu, "a")
    with pytest.raises(error, match=match):
        await call(batch.jobs)
    assert emu.request_log.count() == 0
    assert emu.store.job_ids() == ["a"]


async def test_the_active_job_quota_is_waited_out_like_throttling(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    # The emulator has no quotas; the service answers 409 ActiveJobAndScheduleQuotaReached.
    url = f"{ENDPOINT}/jobs/job-1/enable?api-version=2024-02-01.19.0"
    quota = batch_error("ActiveJobAndScheduleQuotaReached", "The quota was reached.")
    httpx_mock.add_response(method="POST", url=url, status_code=409, json=quota)
    httpx_mock.add_response(method="POST", url=url, status_code=409, json=quota, headers={"Retry-After": "3"})
    httpx_mock.add_response(method="POST", url=url, status_code=202)
    fake = FakeTime()
    async with make_client(retry_total=0) as client:
        client.jobs._lifecycle_sleep = fake.sleep  # type: ignore[method-assign]
        client.jobs._lifecycle_clock = fake.clock  # type: ignore[method-assign]
        result = await client.jobs.enable_many(["job-1"], retry_delay=1)
    assert result.succeeded == ["job-1"]
    assert next(iter(result)).attempts == 3
    assert fake.sleeps == [1.0, 3.0]  # 1 s, then the longer Retry-After instead of 2 s
    assert [r.method for r in httpx_mock.get_requests()] == ["POST", "POST", "POST"]
