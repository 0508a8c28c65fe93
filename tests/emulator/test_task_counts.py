"""Issue 9 support: task counts that change over time, and onAllTasksComplete=terminatejob."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error
from .test_lifecycle import ManualClock


@pytest.fixture
def clock(emu: BatchEmulator) -> ManualClock:
    manual = ManualClock()
    emu.store.clock = manual
    emu.store.transition_ms = 300
    return manual


def counts(active: int = 0, running: int = 0, succeeded: int = 0, failed: int = 0) -> dict[str, int]:
    return {
        "active": active,
        "running": running,
        "completed": succeeded + failed,
        "succeeded": succeeded,
        "failed": failed,
    }


async def task_counts(api: Api, job_id: str) -> dict[str, Any]:
    reply = await api.call("GET", f"/jobs/{job_id}/taskcounts")
    assert reply.status == 200, reply.raw
    body: dict[str, Any] = reply.body
    return body


async def test_timeline_applies_steps_as_the_clock_passes_them(
    api: Api, emu: BatchEmulator, clock: ManualClock
) -> None:
    await api.add("tl")
    result = emu.script_task_counts(
        "tl",
        [
            {"afterMs": 100, "taskCounts": counts(active=3)},
            {"afterMs": 200, "taskCounts": counts(active=1, running=2), "taskSlotCounts": counts(running=4)},
            {"after_ms": 300, "taskCounts": {"running": 0, "active": 0, "completed": 3, "succeeded": 3}},
        ],
    )
    assert result["pendingSteps"] == 3 and result["taskCounts"] == counts()
    assert (await task_counts(api, "tl"))["taskCounts"] == counts()
    clock.advance(99)
    assert (await task_counts(api, "tl"))["taskCounts"] == counts()
    clock.advance(1)
    first = await task_counts(api, "tl")
    assert first["taskCounts"] == counts(active=3)
    assert first["taskSlotCounts"] == counts(active=3)  # slot counts follow unless given
    clock.advance(150)
    second = await task_counts(api, "tl")
    assert second["taskCounts"] == counts(active=1, running=2)
    assert second["taskSlotCounts"] == counts(running=4)
    clock.advance(1000)
    last = await task_counts(api, "tl")
    assert last["taskCounts"] == counts(succeeded=3)
    # No terminatejob: the job stays active.
    assert (await api.get("tl")).body["state"] == "active"
    assert "pendingSteps" not in last  # the Batch response has only the two documented objects
    stats = (await api.get("tl", **{"$expand": "stats"})).body["stats"]
    assert stats["numSucceededTasks"] == 3


async def test_steps_on_demand(api: Api, emu: BatchEmulator, clock: ManualClock) -> None:
    await api.add("od")
    emu.script_task_counts(
        "od",
        [
            {"afterMs": 3_600_000, "taskCounts": counts(running=2)},
            {"afterMs": 7_200_000, "taskCounts": counts(succeeded=2)},
        ],
    )
    stepped = emu.step_task_counts("od")
    assert stepped["taskCounts"] == counts(running=2) and stepped["pendingSteps"] == 1
    assert (await task_counts(api, "od"))["taskCounts"] == counts(running=2)
    stepped = emu.step_task_counts("od", 5)  # more than remain: applies what is left
    assert stepped["taskCounts"] == counts(succeeded=2) and stepped["pendingSteps"] == 0
    clock.advance(10_000_000)  # the applied steps are not applied again when their time comes
    assert (await task_counts(api, "od"))["taskCounts"] == counts(succeeded=2)


async def test_timeline_through_the_admin_api(api: Api, clock: ManualClock) -> None:
    await api.add("adm")
    reply = await api.admin(
        "PUT",
        "/jobs/adm/taskcounts/timeline",
        {
            "steps": [
                {"afterMs": 0, "taskCounts": {"active": 2}},
                {"afterMs": 50, "taskCounts": {"active": 1}},
            ]
        },
    )
    assert reply.status == 200, reply.raw
    assert reply.body["taskCounts"]["active"] == 2 and reply.body["pendingSteps"] == 1  # afterMs 0: at once
    appended = await api.admin(
        "PUT",
        "/jobs/adm/taskcounts/timeline",
        {"steps": [{"afterMs": 20, "taskCounts": {"active": 7}}], "replace": False},
    )
    assert appended.body["pendingSteps"] == 2
    clock.advance(20)
    assert (await task_counts(api, "adm"))["taskCounts"]["active"] == 7
    stepped = await api.admin("POST", "/jobs/adm/taskcounts/step", {"steps": 1})
    assert stepped.body["taskCounts"]["active"] == 1 and stepped.body["pendingSteps"] == 0
    again = await api.admin("POST", "/jobs/adm/taskcounts/step")
    assert again.status == 200 and again.body["pendingSteps"] == 0  # nothing left: no change
    replaced = await api.admin("PUT", "/jobs/adm/taskcounts/timeline", {"steps": []})
    assert replaced.body["pendingSteps"] == 0


@pytest.mark.parametrize(
    ("body", "code", "prop"),
    [
        ({}, "MissingRequiredProperty", "steps"),
        ({"steps": [{"taskCounts": {}}]}, "MissingRequiredProperty", "steps[0].afterMs"),
        ({"steps": [{"afterMs": -1}]}, "InvalidPropertyValue", "steps[0].afterMs"),
        ({"steps": [{"afterMs": 1.5}]}, "InvalidPropertyValue", "steps[0].afterMs"),
        ({"steps": [{"afterMs": 1, "after_ms": 1}]}, "InvalidPropertyValue", "steps[0].afterMs"),
        ({"steps": [{"afterMs": 1, "colour": 1}]}, "UnsupportedProperty", "steps[0].colour"),
        (
            {"steps": [{"afterMs": 1, "taskCounts": {"active": -2}}]},
            "InvalidPropertyValue",
            "steps[0].taskCounts.active",
        ),
        (
            {"steps": [{"afterMs": 1, "taskCounts": {"queued": 1}}]},
            "UnsupportedProperty",
            "steps[0].taskCounts.queued",
        ),
        ({"steps": [5]}, "InvalidPropertyValue", "steps[0]"),
        ({"steps": [], "replace": "yes"}, "InvalidPropertyValue", "replace"),
    ],
)
async def test_timeline_validation(api: Api, emu: BatchEmulator, body: Any, code: str, prop: str) -> None:
    await api.add("v")
    emu.script_task_counts("v", [{"afterMs": 10_000, "taskCounts": {"active": 1}}])
    reply = await api.admin("PUT", "/jobs/v/taskcounts/timeline", body)
    assert_batch_error(reply, 400, code)
    assert reply.detail("PropertyName") == prop
    assert emu.step_task_counts("v")["taskCounts"]["active"] == 1  # the old timeline is untouched


async def test_step_validation_and_unknown_jobs(api: Api) -> None:
    await api.add("s")
    assert_batch_error(
        await api.admin("POST", "/jobs/s/taskcounts/step", {"steps": 0}), 400, "InvalidPropertyValue"
    )
    assert_batch_error(await api.admin("POST", "/jobs/nope/taskcounts/step", {}), 404, "JobNotFound")
    assert_batch_error(
        await api.admin("PUT", "/jobs/nope/taskcounts/timeline", {"steps": []}), 404, "JobNotFound"
    )


# ----------------------------------------------------------------------------- onAllTasksComplete


async def test_terminatejob_completes_the_job_when_all_tasks_are_done(
    api: Api, emu: BatchEmulator, clock: ManualClock
) -> None:
    await api.add("auto", onAllTasksComplete="terminatejob")
    emu.script_task_counts(
        "auto",
        [
            {"afterMs": 100, "taskCounts": counts(active=2)},
            {"afterMs": 200, "taskCounts": counts(running=2)},
            {"afterMs": 300, "taskCounts": counts(succeeded=1, failed=1)},
        ],
    )
    clock.advance(250)
    assert (await api.get("auto")).body["state"] == "active"  # tasks still running
    clock.advance(100)  # 350 ms: the last step (at 300) started termination, 300 ms transition pending
    terminating = (await api.get("auto")).body
    assert terminating["state"] == "terminating"
    assert terminating["stateTransitionTime"] == "2023-11-14T22:13:20.3000000Z"
    assert "terminateReason" not in terminating["executionInfo"]
    clock.advance(300)
    done = (await api.get("auto")).body
    assert done["state"] == "completed"
    assert done["previousState"] == "active"
    assert done["executionInfo"]["terminateReason"] == "AllTasksComplete"
    assert done["executionInfo"]["endTime"] == "2023-11-14T22:13:20.6000000Z"


async def test_a_read_long_after_both_events_sees_them_in_order(
    api: Api, emu: BatchEmulator, clock: ManualClock
) -> None:
    await api.add("late", onAllTasksComplete="terminatejob")
    emu.script_task_counts("late", [{"afterMs": 10, "taskCounts": counts(succeeded=4)}])
    clock.advance(60_000)
    job = (await api.call("GET", "/jobs")).body["value"][0]
    assert job["state"] == "completed"
    assert job["stateTransitionTime"] == "2023-11-14T22:13:20.3100000Z"  # 10 ms + the 300 ms transition
    assert job["executionInfo"]["terminateReason"] == "AllTasksComplete"


@pytest.mark.parametrize(
    "final",
    [counts(), counts(active=1, succeeded=1), counts(running=1, succeeded=3)],
    ids=["no-tasks", "one-active", "one-running"],
)
async def test_terminatejob_waits_for_tasks_and_for_them_to_finish(
    api: Api, emu: BatchEmulator, clock: ManualClock, final: dict[str, int]
) -> None:
    await api.add("wait", onAllTasksComplete="terminatejob")
    emu.store.set_task_counts("wait", final)
    clock.advance(10_000)
    assert (await api.get("wait")).body["state"] == "active"


async def test_noaction_jobs_are_not_terminated(api: Api, emu: BatchEmulator, clock: ManualClock) -> None:
    await api.add("stay")
    emu.store.set_task_counts("stay", counts(succeeded=5))
    clock.advance(10_000)
    assert (await api.get("stay")).body["state"] == "active"


async def test_patching_terminatejob_onto_a_finished_job_terminates_it(
    api: Api, emu: BatchEmulator, clock: ManualClock
) -> None:
    await api.add("p")
    emu.store.set_task_counts("p", counts(succeeded=2))
    reply = await api.call("PATCH", "/jobs/p", body={"onAllTasksComplete": "terminatejob"})
    assert reply.status == 200
    assert (await api.get("p")).body["state"] == "terminating"
    clock.advance(300)
    done = (await api.get("p")).body
    assert (done["state"], done["executionInfo"]["terminateReason"]) == ("completed", "AllTasksComplete")


async def test_disabled_jobs_also_end_and_finished_ones_are_left_alone(
    api: Api, emu: BatchEmulator, clock: ManualClock
) -> None:
    await api.add("d", onAllTasksComplete="terminatejob")
    emu.store.force_state("d", "disabled")
    emu.store.set_task_counts("d", counts(succeeded=1))
    clock.advance(300)
    assert (await api.get("d")).body["executionInfo"]["terminateReason"] == "AllTasksComplete"

    await api.add("c", onAllTasksComplete="terminatejob")
    emu.store.force_state("c", "completed", terminate_reason="UserTerminate")
    emu.store.set_task_counts("c", counts(succeeded=1))
    clock.advance(300)
    job = (await api.get("c")).body
    assert (job["state"], job["executionInfo"]["terminateReason"]) == ("completed", "UserTerminate")


def test_in_real_time_with_the_thread_runner() -> None:
    # The same through the in-thread emulator and the real clock, with a bounded poll (requests comes
    # with azure-core).
    with BatchEmulator(auth=False, transition_ms=10) as emu:
        url = f"{emu.endpoint}/jobs"
        q = {"api-version": "2024-02-01.19.0"}
        body = {"id": "rt", "poolInfo": {"poolId": "p"}, "onAllTasksComplete": "terminatejob"}
        assert requests.post(url, params=q, json=body, timeout=10).status_code == 201
        emu.script_task_counts("rt", [{"afterMs": 20, "taskCounts": counts(succeeded=1)}])
        state = None
        for _ in range(500):
            state = requests.get(f"{url}/rt", params=q, timeout=10).json()["state"]
            if state == "completed":
                break
            time.sleep(0.01)
        assert state == "completed"
