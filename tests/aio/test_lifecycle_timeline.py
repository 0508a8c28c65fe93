"""Waiting for completion end to end: the emulator scripts a job's task counts over time (its admin
timeline), and a job set to ``terminatejob`` ends by itself once its tasks are done.

The helpers' sleep and clock are faked and the emulator's clock follows them (see ``test_lifecycle``),
so the scripted steps fall due exactly as the waits advance, with no wall clock involved.
"""

from __future__ import annotations

from azbatch import models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator
from azbatch.models import JobSnapshot

from . import test_lifecycle
from .test_lifecycle import FakeTime

# The same fixtures as test_lifecycle: an emulator, a client without pipeline retries, the fake clock.
emu = test_lifecycle.emu
batch = test_lifecycle.batch
fake_time = test_lifecycle.fake_time

TIMELINE = [
    {"afterMs": 0, "taskCounts": {"active": 3, "running": 0, "completed": 0, "succeeded": 0, "failed": 0}},
    {"afterMs": 4_000, "taskCounts": {"active": 1, "running": 2, "completed": 0}},
    {"afterMs": 8_000, "taskCounts": {"active": 0, "running": 1, "completed": 2, "succeeded": 2}},
    {"afterMs": 12_000, "taskCounts": {"active": 0, "running": 0, "completed": 3, "succeeded": 3}},
]


async def test_a_terminatejob_job_completes_by_itself_and_the_wait_sees_it(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    await batch.jobs.add(
        models.JobAddParameter(
            id="auto-end",
            pool_info=models.PoolInformation(pool_id="pool"),
            on_all_tasks_complete=models.OnAllTasksComplete.TERMINATE_JOB,
        )
    )
    emu.script_task_counts("auto-end", TIMELINE)
    seen: list[JobSnapshot] = []

    snapshot = await batch.jobs.wait_for_completion(
        "auto-end", polling_interval=2, timeout=120, on_progress=seen.append
    )

    assert snapshot.state == "completed"
    assert snapshot.job is not None and snapshot.job.execution_info is not None
    assert snapshot.job.execution_info.terminate_reason == "AllTasksComplete"
    assert snapshot.task_counts is not None and snapshot.task_counts.succeeded == 3
    # Progress was observable: the running count rose and fell while the job stayed active.
    running = [s.task_counts.running for s in seen if s.task_counts is not None]
    assert max(running) == 2 and running[-1] == 0
    assert {s.state for s in seen[:-1]} == {"active"}
    assert fake_time.now >= 12


async def test_tasks_done_ends_the_wait_for_a_job_that_stays_active(
    emu: BatchEmulator, batch: BatchClient, fake_time: FakeTime
) -> None:
    await batch.jobs.add(models.JobAddParameter(id="stays", pool_info=models.PoolInformation(pool_id="p")))
    emu.script_task_counts("stays", TIMELINE)

    snapshot = await batch.jobs.wait_for_completion(
        "stays", tasks_done=True, min_tasks=3, polling_interval=2, timeout=120
    )

    assert snapshot.state == "active"  # noaction: the job itself never completes
    assert snapshot.task_counts is not None
    assert (snapshot.task_counts.active, snapshot.task_counts.running, snapshot.task_counts.completed) == (
        0,
        0,
        3,
    )
    assert fake_time.now >= 12
