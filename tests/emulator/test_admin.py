"""The admin API under /_emulator and the matching Python methods of the store."""

from __future__ import annotations

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error


async def test_info(api: Api, emu: BatchEmulator) -> None:
    info = (await api.admin("GET", "/info")).body
    assert info["endpoint"] == emu.endpoint
    assert info["account"] == "emulator" and info["key"] == emu.key
    assert info["IDENTITY_ENDPOINT"].endswith("/metadata/identity/oauth2/token")


async def test_seed_jobs_into_schedules(api: Api) -> None:
    assert (await api.admin("POST", "/jobschedules", {"id": "nightly"})).status == 201
    assert_batch_error(await api.admin("POST", "/jobschedules", {"id": "NIGHTLY"}), 409, "JobScheduleExists")
    seeded = await api.admin(
        "POST",
        "/jobs",
        {
            "job": {"id": "nightly-1", "poolInfo": {"poolId": "p"}},
            "jobScheduleId": "nightly",
            "state": "completed",
        },
    )
    assert seeded.status == 201 and seeded.body["id"] == "nightly-1"
    await api.add("standalone")
    listed = (await api.call("GET", "/jobschedules/NIGHTLY/jobs")).body["value"]
    assert [(j["id"], j["state"]) for j in listed] == [("nightly-1", "completed")]
    assert listed[0]["executionInfo"]["terminateReason"] == "UserTerminate"
    missing = await api.admin(
        "POST", "/jobs", {"job": {"id": "x", "poolInfo": {"poolId": "p"}}, "jobScheduleId": "no"}
    )
    assert_batch_error(missing, 404, "JobScheduleNotFound")
    invalid = await api.admin("POST", "/jobs", {"job": {"id": "bad id", "poolInfo": {"poolId": "p"}}})
    assert_batch_error(invalid, 400, "InvalidPropertyValue")
    assert_batch_error(await api.admin("POST", "/jobs", {}), 400, "MissingRequiredProperty")
    bad_state = await api.admin(
        "POST", "/jobs", {"job": {"id": "y", "poolInfo": {"poolId": "p"}}, "state": "asleep"}
    )
    assert_batch_error(bad_state, 400, "InvalidPropertyValue")
    assert (await api.get("y")).status == 404


async def test_task_counts(api: Api) -> None:
    await api.add("tc")
    reply = await api.admin("PUT", "/jobs/tc/taskcounts", {"taskCounts": {"active": 3, "running": 1}})
    assert reply.body["taskCounts"]["active"] == 3
    counts = (await api.call("GET", "/jobs/tc/taskcounts")).body
    assert counts["taskCounts"] == {"active": 3, "running": 1, "completed": 0, "succeeded": 0, "failed": 0}
    assert counts["taskSlotCounts"] == counts["taskCounts"]
    bad = await api.admin("PUT", "/jobs/tc/taskcounts", {"taskCounts": {"active": -1}})
    assert_batch_error(bad, 400, "InvalidPropertyValue")
    assert_batch_error(
        await api.admin("PUT", "/jobs/none/taskcounts", {"taskCounts": {}}), 404, "JobNotFound"
    )
    stats = (await api.get("tc", **{"$expand": "stats"})).body["stats"]
    assert stats["numSucceededTasks"] == 0


async def test_prep_release_status(api: Api) -> None:
    await api.add("pr", jobReleaseTask={"commandLine": "x"})
    entries = [{"nodeId": "n2"}, {"nodeId": "n1", "poolId": "other"}]
    assert (
        await api.admin("PUT", "/jobs/pr/jobpreparationandreleasetaskstatus", {"value": entries})
    ).body == {"count": 2}
    more = {"value": [{"nodeId": "n3"}], "replace": False}
    assert (await api.admin("PUT", "/jobs/pr/jobpreparationandreleasetaskstatus", more)).body == {"count": 3}
    listed = (await api.call("GET", "/jobs/pr/jobpreparationandreleasetaskstatus")).body["value"]
    assert [(e["nodeId"], e["poolId"]) for e in listed] == [("n1", "other"), ("n2", "pool"), ("n3", "pool")]
    bad = await api.admin("PUT", "/jobs/pr/jobpreparationandreleasetaskstatus", {"value": [{"poolId": "p"}]})
    assert_batch_error(bad, 400, "MissingRequiredProperty")


async def test_config_and_reset(api: Api, emu: BatchEmulator) -> None:
    assert (await api.admin("PUT", "/config", {"transitionMs": 0, "pageScanLimit": 10})).body == {
        "transitionMs": 0,
        "pageScanLimit": 10,
    }
    assert emu.store.transition_ms == 0 and emu.store.page_scan_limit == 10
    assert_batch_error(await api.admin("PUT", "/config", {"transitionMs": -1}), 400, "InvalidPropertyValue")
    await api.add("gone-soon")
    emu.faults.throttle(operation="get")
    assert (await api.admin("POST", "/reset")).status == 200
    assert emu.store.job_ids() == [] and emu.faults.rules == []
    assert (await api.admin("GET", "/requests")).body["total"] == 0


async def test_request_log(api: Api, emu: BatchEmulator) -> None:
    await api.add("r")
    await api.get("r")
    await api.get("missing")
    log = (await api.admin("GET", "/requests")).body
    assert log["total"] == 3
    assert log["byOperation"] == {"Job_Add": 1, "Job_Get": 2}
    assert log["byStatus"] == {"200": 1, "201": 1, "404": 1}
    assert emu.request_log.count() == 3 and emu.request_log.count(status=404) == 1
    assert (await api.admin("DELETE", "/requests")).body == {"total": 0}
    assert emu.request_log.count() == 0


async def test_admin_errors_are_batch_shaped(api: Api) -> None:
    assert_batch_error(await api.admin("GET", "/nothing"), 404, "ResourceNotFound")
    assert_batch_error(
        await api.call("POST", "/_emulator/jobschedules", data=b"{", api_version=None),
        400,
        "InvalidRequestBody",
    )


def test_store_python_api() -> None:
    emu = BatchEmulator(transition_ms=0)
    store = emu.store
    store.add_job_schedule("s")
    assert store.job_schedule_ids() == ["s"]
    store.seed_job({"id": "B", "poolInfo": {"poolId": "p"}}, schedule_id="s", state="disabled")
    store.seed_job({"id": "a", "poolInfo": {"poolId": "p"}})
    assert store.job_ids() == ["a", "B"] and len(store) == 2
    assert store.get_job("b").document["state"] == "disabled"
    store.delete_job("a")
    assert store.job_ids() == ["B"]
    store.reset()
    assert len(store) == 0 and store.job_schedule_ids() == []
