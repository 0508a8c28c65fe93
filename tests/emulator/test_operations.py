"""Every job operation's success answer: status, headers and body shape, compared with the spec examples."""

from __future__ import annotations

import asyncio
import email.utils
import re
import uuid
from typing import Any

import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, Reply, example

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")
ETAG_RE = re.compile(r"0x8D[0-9A-F]{13}")
JSON_CT = "application/json;odata=minimalmetadata"
MAX_POLLS = 100


def kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_same_shape(actual: Any, expected: Any, where: str = "$") -> None:
    """Same keys at every level and the same JSON kinds of values."""
    assert kind(actual) == kind(expected), f"{where}: {actual!r} vs {expected!r}"
    if isinstance(expected, dict):
        assert set(actual) == set(expected), f"{where}: {sorted(actual)} vs {sorted(expected)}"
        for key in expected:
            assert_same_shape(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list) and expected:
        assert actual, f"{where}: empty list"
        for item in actual:
            assert_same_shape(item, expected[0], f"{where}[]")


def assert_dates(doc: dict[str, Any], *names: str) -> None:
    for name in names:
        assert DATE_RE.fullmatch(doc[name]), (name, doc[name])


def assert_no_body(reply: Reply) -> None:
    assert reply.raw == b""
    assert reply.headers.get("Content-Length") == "0"


def assert_write_headers(reply: Reply, job_url: str) -> None:
    assert ETAG_RE.fullmatch(reply.headers["ETag"])
    assert email.utils.parsedate_to_datetime(reply.headers["Last-Modified"]) is not None
    assert reply.headers["Last-Modified"].endswith(" GMT")
    assert reply.headers["DataServiceId"] == job_url
    uuid.UUID(reply.headers["request-id"])


async def wait_state(api: Api, job_id: str, state: str | None) -> None:
    for _ in range(MAX_POLLS):
        if await api.state(job_id) == state:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{job_id} never reached {state}")


async def test_add_basic(api: Api, emu: BatchEmulator) -> None:
    body = example("JobAdd_Basic")["parameters"]["job"]
    reply = await api.call("POST", "/jobs", body=body)
    assert reply.status == 201
    assert_no_body(reply)
    url = f"{emu.endpoint}/jobs/jobId"
    assert_write_headers(reply, url)
    assert reply.headers["Location"] == url
    assert "client-request-id" not in reply.headers


async def test_add_complex_keeps_everything(api: Api) -> None:
    body = example("JobAdd_Complex")["parameters"]["job"]
    assert (await api.call("POST", "/jobs", body=body)).status == 201
    job = (await api.get("jobId")).body
    assert job["priority"] == 100
    assert job["constraints"] == body["constraints"]
    assert job["jobManagerTask"] == body["jobManagerTask"]
    assert job["poolInfo"] == body["poolInfo"]
    assert job["metadata"] == body["metadata"]
    assert job["executionInfo"]["poolId"].startswith("mypool_")


async def test_get_matches_example(api: Api, emu: BatchEmulator) -> None:
    await api.add("jobId", poolInfo={"poolId": "poolId"})
    assert (await api.call("POST", "/jobs/jobId/terminate", data=b"")).status == 202
    await wait_state(api, "jobId", "completed")
    reply = await api.get("jobId")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith(JSON_CT)
    doc = reply.body
    assert doc.pop("odata.metadata") == f"{emu.endpoint}/$metadata#jobs/@Element"
    expected = example("JobGet")["responses"]["200"]["body"]
    assert_same_shape(doc, expected)
    assert doc["url"] == f"{emu.endpoint}/jobs/jobId"
    assert doc["state"] == "completed" and doc["previousState"] == "active"
    assert doc["executionInfo"]["terminateReason"] == "UserTerminate"
    assert doc["executionInfo"]["endTime"] == doc["stateTransitionTime"]
    assert doc["constraints"] == expected["constraints"]
    assert_dates(doc, "lastModified", "creationTime", "stateTransitionTime", "previousStateTransitionTime")
    assert ETAG_RE.fullmatch(doc["eTag"])
    assert reply.headers["ETag"] == doc["eTag"]
    header_time = email.utils.parsedate_to_datetime(reply.headers["Last-Modified"])
    assert header_time.strftime("%Y-%m-%dT%H:%M:%S") == doc["lastModified"][:19]


async def test_list_matches_example(api: Api, emu: BatchEmulator) -> None:
    await api.add("jobId", poolInfo={"poolId": "poolId"})
    await api.call("POST", "/jobs/jobId/disable", body={"disableTasks": "requeue"})
    await wait_state(api, "jobId", "disabled")
    assert (await api.call("POST", "/jobs/jobId/enable", data=b"")).status == 202
    await wait_state(api, "jobId", "active")
    reply = await api.call("GET", "/jobs")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith(JSON_CT)
    page = reply.body
    assert page.pop("odata.metadata") == f"{emu.endpoint}/$metadata#jobs"
    expected = example("JobList")["responses"]["200"]["body"]
    assert_same_shape(page, expected)
    assert page["value"][0]["previousState"] == "disabled"


async def test_list_from_job_schedule_matches_example(api: Api, emu: BatchEmulator) -> None:
    emu.store.add_job_schedule("jobScheduleId")
    emu.store.seed_job({"id": "jobId", "poolInfo": {"poolId": "poolId"}}, schedule_id="jobScheduleId")
    emu.store.force_state("jobId", "disabled")
    emu.store.force_state("jobId", "active")
    await api.add("other")  # not in the schedule
    reply = await api.call("GET", "/jobschedules/jobScheduleId/jobs")
    assert reply.status == 200
    page = reply.body
    assert page.pop("odata.metadata") == f"{emu.endpoint}/$metadata#jobs"
    assert_same_shape(page, example("JobListFromJobSchedule")["responses"]["200"]["body"])
    assert [job["id"] for job in page["value"]] == ["jobId"]


async def test_task_counts_match_example(api: Api, emu: BatchEmulator) -> None:
    await api.add("jobId")
    expected = example("JobGetTaskCounts")["responses"]["200"]["body"]
    empty = (await api.call("GET", "/jobs/jobId/taskcounts")).body
    assert empty["taskCounts"] == dict.fromkeys(expected["taskCounts"], 0)
    emu.store.set_task_counts("jobId", expected["taskCounts"], expected["taskSlotCounts"])
    reply = await api.call("GET", "/jobs/jobId/taskcounts")
    assert reply.status == 200
    assert "ETag" not in reply.headers
    body = reply.body
    assert body.pop("odata.metadata").endswith("/$metadata#taskcountsresult/@Element")
    assert body == expected


async def test_prep_release_status_matches_example(api: Api, emu: BatchEmulator) -> None:
    await api.add("jobId", jobPreparationTask={"commandLine": "prep"}, jobReleaseTask={"commandLine": "rel"})
    expected = example("JobListPreparationAndReleaseTaskStatus")["responses"]["200"]["body"]
    second = {**expected["value"][0], "nodeId": "tvm-3"}
    second.pop("nodeUrl")
    emu.store.set_prep_release_status("jobId", [expected["value"][0], second])
    reply = await api.call("GET", "/jobs/jobId/jobpreparationandreleasetaskstatus", query={"maxresults": "1"})
    assert reply.status == 200
    page = reply.body
    assert page.pop("odata.metadata").endswith("/$metadata#jobpreparationandreleasetaskstatuslist")
    assert_same_shape(page, expected)
    assert page["value"] == expected["value"]
    rest = await api.url("GET", page["odata.nextLink"])
    entry = rest.body["value"][0]
    assert entry["nodeId"] == "tvm-3"
    assert entry["nodeUrl"] == f"{emu.endpoint}/pools/poolId/nodes/tvm-3"
    assert "odata.nextLink" not in rest.body


@pytest.mark.parametrize(
    ("method", "suffix", "name", "status"),
    [
        ("POST", "/disable", "JobDisable", 202),
        ("POST", "/enable", "JobEnable", 202),
        ("POST", "/terminate", "JobTerminate", 202),
        ("PATCH", "", "JobPatch", 200),
        ("PUT", "", "JobUpdate", 200),
    ],
)
async def test_writes_status_and_headers(
    api: Api, emu: BatchEmulator, method: str, suffix: str, name: str, status: int
) -> None:
    await api.add("jobId", poolInfo={"poolId": "poolId"})
    if name == "JobEnable":
        emu.store.force_state("jobId", "disabled")
    params = example(name)["parameters"]
    body = next((v for k, v in params.items() if k.endswith("Parameter")), None)
    before = (await api.get("jobId")).headers["ETag"]
    reply = await api.call(method, f"/jobs/jobId{suffix}", body=body, data=b"" if body is None else None)
    assert reply.status == status, reply.raw
    assert_no_body(reply)
    assert_write_headers(reply, f"{emu.endpoint}/jobs/jobId")
    assert reply.headers["ETag"] != before


async def test_delete_answers_202_with_ids_only(api: Api) -> None:
    await api.add("jobId")
    reply = await api.call("DELETE", "/jobs/jobId", headers={"client-request-id": str(uuid.uuid4())})
    assert reply.status == 202
    assert_no_body(reply)
    assert "ETag" not in reply.headers and "DataServiceId" not in reply.headers
    assert set(reply.headers) >= {"request-id"}


async def test_patch_merges_and_update_replaces(api: Api) -> None:
    await api.add(
        "jobId", poolInfo={"poolId": "poolId"}, metadata=[{"name": "a", "value": "1"}], maxParallelTasks=4
    )
    patch = example("JobPatch")["parameters"]["jobPatchParameter"]
    assert (await api.call("PATCH", "/jobs/jobId", body=patch)).status == 200
    job = (await api.get("jobId")).body
    assert job["priority"] == 100
    assert job["constraints"] == {"maxWallClockTime": "PT1H", "maxTaskRetryCount": -1}
    assert job["metadata"] == [{"name": "a", "value": "1"}]
    assert job["maxParallelTasks"] == 4
    assert (await api.call("PUT", "/jobs/jobId", body={"poolInfo": {"poolId": "poolId"}})).status == 200
    job = (await api.get("jobId")).body
    assert job["priority"] == 0
    assert job["maxParallelTasks"] == -1
    assert job["allowTaskPreemption"] is False
    assert job["onAllTasksComplete"] == "noaction"
    assert job["constraints"] == {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 0}
    assert "metadata" not in job


async def test_client_request_id_echo_and_fresh_request_ids(api: Api) -> None:
    cid = "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0"
    echoed = await api.call(
        "GET", "/jobs", headers={"client-request-id": cid, "return-client-request-id": "true"}
    )
    assert echoed.headers["client-request-id"] == cid
    silent = await api.call("GET", "/jobs", headers={"client-request-id": cid})
    assert "client-request-id" not in silent.headers
    error = await api.call(
        "GET", "/jobs/missing", headers={"client-request-id": cid, "return-client-request-id": "True"}
    )
    assert error.headers["client-request-id"] == cid
    ids = {echoed.headers["request-id"], silent.headers["request-id"], error.headers["request-id"]}
    assert len(ids) == 3


async def test_other_api_versions_are_accepted(api: Api) -> None:
    await api.add("jobId")
    reply = await api.call("GET", "/jobs/jobId", api_version="2025-06-01")
    assert reply.status == 200
    reply = await api.call(
        "POST",
        "/jobs/jobId/terminate",
        query={"force": "true", "timeOut": "10"},
        data=b"",
        api_version="2025-06-01",
    )
    assert reply.status == 202


async def test_expand_stats_has_all_fields(api: Api) -> None:
    await api.add("jobId")
    plain = (await api.get("jobId")).body
    assert "stats" not in plain
    stats = (await api.get("jobId", **{"$expand": "stats"})).body["stats"]
    assert set(stats) == {
        "url", "startTime", "lastUpdateTime", "userCPUTime", "kernelCPUTime", "wallClockTime", "readIOps",
        "writeIOps", "readIOGiB", "writeIOGiB", "numSucceededTasks", "numFailedTasks", "numTaskRetries", "waitTime",
    }  # fmt: skip
    assert stats["userCPUTime"] == "PT0S" and stats["readIOps"] == 0 and stats["readIOGiB"] == 0.0
    listed = (await api.call("GET", "/jobs", query={"$expand": "stats"})).body["value"][0]
    assert set(listed["stats"]) == set(stats)


async def test_select_projects_properties(api: Api) -> None:
    await api.add("jobId", metadata=[{"name": "k", "value": "v"}])
    doc = (await api.get("jobId", **{"$select": "id,state,executionInfo/poolId"})).body
    assert doc == {
        "odata.metadata": doc["odata.metadata"],
        "id": "jobId",
        "state": "active",
        "executionInfo": {"poolId": "pool"},
    }
    page = (await api.call("GET", "/jobs", query={"$select": "id, metadata"})).body
    assert page["value"] == [{"id": "jobId", "metadata": [{"name": "k", "value": "v"}]}]


async def test_job_ids_keep_their_case_and_resolve_case_insensitively(api: Api) -> None:
    await api.add("MixedCase_Job-1")
    doc = (await api.get("mixedcase_job-1")).body
    assert doc["id"] == "MixedCase_Job-1"


async def test_datetime_precision_is_seven_digits(api: Api, emu: BatchEmulator) -> None:
    emu.store.clock = lambda: 17_000_000_000_000_001  # 100 ns after a whole second
    await api.add("jobId")
    doc = (await api.get("jobId")).body
    assert doc["creationTime"] == "2023-11-14T22:13:20.0000001Z"
