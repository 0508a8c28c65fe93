"""The job state machine: transitions with time, intermediate states, and 409s per state."""

from __future__ import annotations

import asyncio

import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error

MAX_POLLS = 200
T0 = 17_000_000_000_000_000  # 2023-11-14T22:13:20Z in ticks
MS = 10_000  # ticks per millisecond


async def poll_state(api: Api, job_id: str, wanted: str | None) -> list[str | None]:
    """Poll (bounded) until the job reaches ``wanted`` (None = gone); return the states seen."""
    seen: list[str | None] = []
    for _ in range(MAX_POLLS):
        state = await api.state(job_id)
        if not seen or seen[-1] != state:
            seen.append(state)
        if state == wanted:
            return seen
        await asyncio.sleep(0.005)
    raise AssertionError(f"{job_id} stuck in {seen}")


class ManualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms * MS


@pytest.fixture
def clock(emu: BatchEmulator) -> ManualClock:
    manual = ManualClock()
    emu.store.clock = manual
    emu.store.transition_ms = 300
    return manual


async def test_full_lifecycle_in_real_time(api: Api) -> None:
    await api.add("life")
    assert await api.state("life") == "active"

    assert (await api.call("POST", "/jobs/life/disable", body={"disableTasks": "wait"})).status == 202
    assert (await poll_state(api, "life", "disabled"))[0] in ("disabling", "disabled")

    assert (await api.call("POST", "/jobs/life/enable", data=b"")).status == 202
    assert (await poll_state(api, "life", "active"))[0] in ("enabling", "active")

    reason = {"terminateReason": "done for today"}
    assert (await api.call("POST", "/jobs/life/terminate", body=reason)).status == 202
    await poll_state(api, "life", "completed")
    job = (await api.get("life")).body
    assert job["executionInfo"]["terminateReason"] == "done for today"
    assert job["executionInfo"]["endTime"] == job["stateTransitionTime"]
    assert job["previousState"] == "active"

    assert (await api.call("DELETE", "/jobs/life")).status == 202
    await poll_state(api, "life", None)
    gone = await api.get("life")
    assert_batch_error(gone, 404, "JobNotFound")


async def test_intermediate_states_with_a_manual_clock(api: Api, clock: ManualClock) -> None:
    await api.add("j")
    created = (await api.get("j")).body
    assert "previousState" not in created and "previousStateTransitionTime" not in created

    clock.advance(1000)
    await api.call("POST", "/jobs/j/disable", body={"disableTasks": "requeue"})
    disabling = (await api.get("j")).body
    assert disabling["state"] == "disabling"
    assert disabling["previousState"] == "active"
    assert disabling["previousStateTransitionTime"] == created["stateTransitionTime"]
    assert disabling["stateTransitionTime"] == "2023-11-14T22:13:21.0000000Z"

    clock.advance(299)
    assert await api.state("j") == "disabling"
    clock.advance(1)
    disabled = (await api.get("j")).body
    assert disabled["state"] == "disabled"
    # The transient state is not reported as previous: like the service, the state before it is.
    assert disabled["previousState"] == "active"
    assert disabled["stateTransitionTime"] == "2023-11-14T22:13:21.3000000Z"
    assert disabled["eTag"] != disabling["eTag"]
    assert disabled["lastModified"] == disabled["stateTransitionTime"]

    clock.advance(1000)
    await api.call("POST", "/jobs/j/enable", data=b"")
    assert await api.state("j") == "enabling"
    clock.advance(300)
    enabled = (await api.get("j")).body
    assert (enabled["state"], enabled["previousState"]) == ("active", "disabled")

    await api.call("POST", "/jobs/j/terminate", data=b"")
    terminating = (await api.get("j")).body
    assert terminating["state"] == "terminating"
    assert "endTime" not in terminating["executionInfo"]
    assert "terminateReason" not in terminating["executionInfo"]
    clock.advance(300)
    completed = (await api.get("j")).body
    assert completed["state"] == "completed"
    assert completed["executionInfo"]["terminateReason"] == "UserTerminate"

    await api.call("DELETE", "/jobs/j")
    listed = (await api.call("GET", "/jobs")).body["value"]
    assert [(job["id"], job["state"]) for job in listed] == [("j", "deleting")]
    clock.advance(300)
    assert (await api.call("GET", "/jobs")).body["value"] == []
    assert_batch_error(await api.get("j"), 404, "JobNotFound")


async def test_transition_ms_zero_is_immediate(api: Api, emu: BatchEmulator) -> None:
    emu.store.transition_ms = 0
    await api.add("fast")
    await api.call("POST", "/jobs/fast/disable", body={"disableTasks": "terminate"})
    assert await api.state("fast") == "disabled"
    await api.call("DELETE", "/jobs/fast")
    assert await api.state("fast") is None


async def test_add_with_the_id_of_a_deleting_job(api: Api, clock: ManualClock) -> None:
    await api.add("again")
    await api.call("DELETE", "/jobs/again")
    reply = await api.call("POST", "/jobs", body={"id": "AGAIN", "poolInfo": {"poolId": "p"}})
    assert_batch_error(reply, 409, "JobExists")
    clock.advance(300)
    await api.add("AGAIN")
    assert (await api.get("again")).body["id"] == "AGAIN"


@pytest.mark.parametrize("option", ["requeue", "terminate", "wait"])
async def test_disable_options(api: Api, option: str) -> None:
    await api.add("d")
    assert (await api.call("POST", "/jobs/d/disable", body={"disableTasks": option})).status == 202


async def test_repeated_disable_and_enable_are_accepted(api: Api, clock: ManualClock) -> None:
    await api.add("r")
    await api.call("POST", "/jobs/r/disable", body={"disableTasks": "requeue"})
    assert (await api.call("POST", "/jobs/r/disable", body={"disableTasks": "requeue"})).status == 202
    clock.advance(300)
    assert (await api.call("POST", "/jobs/r/disable", body={"disableTasks": "wait"})).status == 202
    await api.call("POST", "/jobs/r/enable", data=b"")
    assert (await api.call("POST", "/jobs/r/enable", data=b"")).status == 202
    assert await api.state("r") == "enabling"


@pytest.mark.parametrize(
    ("method", "suffix", "body", "state", "code"),
    [
        ("POST", "/disable", {"disableTasks": "requeue"}, "terminating", "JobBeingTerminated"),
        ("POST", "/disable", {"disableTasks": "requeue"}, "completed", "JobCompleted"),
        ("POST", "/disable", {"disableTasks": "requeue"}, "deleting", "JobBeingDeleted"),
        ("POST", "/disable", {"disableTasks": "requeue"}, "enabling", "OperationInvalidForCurrentState"),
        ("POST", "/enable", None, "active", "OperationInvalidForCurrentState"),
        ("POST", "/enable", None, "terminating", "JobBeingTerminated"),
        ("POST", "/enable", None, "completed", "JobCompleted"),
        ("POST", "/enable", None, "deleting", "JobBeingDeleted"),
        ("POST", "/terminate", None, "terminating", "JobBeingTerminated"),
        ("POST", "/terminate", None, "completed", "JobCompleted"),
        ("POST", "/terminate", None, "deleting", "JobBeingDeleted"),
        ("DELETE", "", None, "deleting", "JobBeingDeleted"),
        ("PATCH", "", {"priority": 1}, "deleting", "JobBeingDeleted"),
        ("PATCH", "", {"priority": 1}, "terminating", "JobBeingTerminated"),
        ("PATCH", "", {"priority": 1}, "completed", "JobCompleted"),
        ("PUT", "", {"poolInfo": {"poolId": "pool"}}, "deleting", "JobBeingDeleted"),
        ("PUT", "", {"poolInfo": {"poolId": "pool"}}, "terminating", "JobBeingTerminated"),
        ("PUT", "", {"poolInfo": {"poolId": "pool"}}, "completed", "JobCompleted"),
    ],
)
async def test_state_conflicts(
    api: Api, emu: BatchEmulator, method: str, suffix: str, body: object, state: str, code: str
) -> None:
    await api.add("c")
    emu.store.force_state("c", state)
    before = (await api.get("c")).body
    reply = await api.call(method, f"/jobs/c{suffix}", body=body, data=b"" if body is None else None)
    assert_batch_error(reply, 409, code)
    assert reply.detail("JobState") == state
    after = (await api.get("c")).body
    assert after == before


async def test_pool_can_change_only_while_disabled(api: Api, emu: BatchEmulator) -> None:
    await api.add("p", poolInfo={"poolId": "old"})
    same = await api.call("PATCH", "/jobs/p", body={"poolInfo": {"poolId": "old"}})
    assert same.status == 200
    moved = await api.call("PATCH", "/jobs/p", body={"poolInfo": {"poolId": "new"}})
    assert_batch_error(moved, 409, "OperationInvalidForCurrentState")
    emu.store.force_state("p", "disabled")
    assert (await api.call("PATCH", "/jobs/p", body={"poolInfo": {"poolId": "new"}})).status == 200
    job = (await api.get("p")).body
    assert job["poolInfo"] == {"poolId": "new"} and job["executionInfo"]["poolId"] == "new"
    auto = {"autoPoolSpecification": {"poolLifetimeOption": "job", "autoPoolIdPrefix": "ap"}}
    assert (await api.call("PUT", "/jobs/p", body={"poolInfo": auto})).status == 200
    assert (await api.get("p")).body["executionInfo"]["poolId"].startswith("ap_")


async def test_terminatejob_cannot_go_back_to_noaction(api: Api) -> None:
    await api.add("t", onAllTasksComplete="terminatejob")
    reply = await api.call("PATCH", "/jobs/t", body={"onAllTasksComplete": "noaction"})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "onAllTasksComplete"
    # update resets omitted properties to defaults, so omitting it means noaction too.
    reply = await api.call("PUT", "/jobs/t", body={"poolInfo": {"poolId": "pool"}})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    ok = await api.call(
        "PUT", "/jobs/t", body={"poolInfo": {"poolId": "pool"}, "onAllTasksComplete": "terminatejob"}
    )
    assert ok.status == 200


async def test_force_state_through_admin_api(api: Api) -> None:
    await api.add("f")
    reply = await api.admin(
        "PUT", "/jobs/f/state", {"state": "completed", "terminateReason": "MaxWallClockTimeExpiry"}
    )
    assert reply.status == 200
    job = (await api.get("f")).body
    assert job["state"] == "completed"
    assert job["executionInfo"]["terminateReason"] == "MaxWallClockTimeExpiry"
    bad = await api.admin("PUT", "/jobs/f/state", {"state": "sleeping"})
    assert_batch_error(bad, 400, "InvalidPropertyValue")
