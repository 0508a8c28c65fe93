"""Issue 7: details where the emulator must answer like the live service (recorded examples, JOBS-API.md)."""

from __future__ import annotations

from typing import Any

import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error, example
from .test_lifecycle import MS, T0, ManualClock

V2024 = "2024-02-01.19.0"
V2024_07 = "2024-07-01.20.0"
V2025 = "2025-06-01"


@pytest.fixture
def clock(emu: BatchEmulator) -> ManualClock:
    manual = ManualClock()
    emu.store.clock = manual
    emu.store.transition_ms = 300
    return manual


@pytest.mark.parametrize(
    ("suffix", "body", "start"),
    [
        ("/disable", {"disableTasks": "requeue"}, "active"),
        ("/enable", None, "disabled"),
        ("/terminate", None, "active"),
        ("/terminate", {"terminateReason": "r"}, "disabled"),
    ],
)
async def test_data_service_id_of_actions_is_the_job_url(
    api: Api, emu: BatchEmulator, suffix: str, body: object, start: str
) -> None:
    await api.add("Job-1")
    emu.store.force_state("Job-1", start)
    reply = await api.call("POST", f"/jobs/Job-1{suffix}", body=body, data=b"" if body is None else None)
    assert reply.status == 202, reply.raw
    assert reply.headers["DataServiceId"] == f"{emu.endpoint}/jobs/Job-1"


@pytest.mark.parametrize(
    ("suffix", "body", "start", "transient", "final"),
    [
        ("/disable", {"disableTasks": "wait"}, "active", "disabling", "disabled"),
        ("/enable", None, "disabled", "enabling", "active"),
        ("/terminate", None, "active", "terminating", "completed"),
    ],
)
async def test_etag_and_last_modified_change_when_a_transition_completes(
    api: Api,
    emu: BatchEmulator,
    clock: ManualClock,
    suffix: str,
    body: object,
    start: str,
    transient: str,
    final: str,
) -> None:
    await api.add("j")
    emu.store.force_state("j", start)
    clock.advance(5800)  # the 300 ms transition then ends in the next whole second
    reply = await api.call("POST", f"/jobs/j{suffix}", body=body, data=b"" if body is None else None)
    assert reply.status == 202
    during = await api.get("j")
    assert during.body["state"] == transient
    assert during.headers["ETag"] == reply.headers["ETag"] == during.body["eTag"]
    clock.advance(1000)  # past the 300 ms transition, into a later second
    after = await api.get("j")
    assert after.body["state"] == final
    assert after.headers["ETag"] != during.headers["ETag"]
    assert after.body["eTag"] == after.headers["ETag"]
    # The change happened when the transition ended (its deadline), not when it was observed.
    deadline = T0 + 6100 * MS
    assert after.body["lastModified"] == after.body["stateTransitionTime"]
    assert after.body["lastModified"] == "2023-11-14T22:13:26.1000000Z"
    assert after.headers["Last-Modified"] != during.headers["Last-Modified"]
    assert emu.store.clock() > deadline
    # A conditional write with the ETag from before the transition now fails.
    stale = await api.call(
        "PATCH", "/jobs/j", body={"priority": 1}, headers={"If-Match": during.headers["ETag"]}
    )
    if final != "completed":
        assert_batch_error(stale, 412, "ConditionNotMet")


async def test_terminate_reason_only_once_completed(api: Api, clock: ManualClock) -> None:
    await api.add("t")
    await api.call("POST", "/jobs/t/terminate", body={"terminateReason": "because"})
    terminating = (await api.get("t")).body
    assert terminating["state"] == "terminating"
    assert "terminateReason" not in terminating["executionInfo"]
    listed = (await api.call("GET", "/jobs")).body["value"][0]
    assert "terminateReason" not in listed["executionInfo"]
    clock.advance(300)
    completed = (await api.get("t")).body
    assert completed["executionInfo"]["terminateReason"] == "because"
    assert completed["executionInfo"]["endTime"] == completed["stateTransitionTime"]


async def test_task_counts_metadata_names_the_result_type(api: Api) -> None:
    await api.add("c")
    body = (await api.call("GET", "/jobs/c/taskcounts")).body
    assert body["odata.metadata"].endswith("/$metadata#taskcountsresult/@Element")


async def test_data_service_version_header_on_batch_responses(api: Api, emu: BatchEmulator) -> None:
    replies = [
        await api.call("POST", "/jobs", body={"id": "d", "poolInfo": {"poolId": "p"}}),
        await api.get("d"),
        await api.call("GET", "/jobs"),
        await api.call("GET", "/jobs/d/taskcounts"),
        await api.call("PATCH", "/jobs/d", body={"priority": 2}),
        await api.call("DELETE", "/jobs/d"),
        await api.get("missing"),
        await api.call("GET", "/no/such/path"),
    ]
    for reply in replies:
        assert reply.headers["DataServiceVersion"] == "3.0", reply
    admin = await api.admin("GET", "/info")
    assert "DataServiceVersion" not in admin.headers


# ------------------------------------------------------------------------------- per api-version


@pytest.mark.parametrize("version", [V2024_07, V2025, "2025-06-01.21.0"])
@pytest.mark.parametrize("value", ["true", "false", "True"])
async def test_force_on_delete_and_terminate_from_2024_07(api: Api, version: str, value: str) -> None:
    await api.add("f1")
    await api.add("f2")
    terminate = await api.call(
        "POST", "/jobs/f1/terminate", query={"force": value}, data=b"", api_version=version
    )
    assert terminate.status == 202, terminate.raw
    delete = await api.call("DELETE", "/jobs/f2", query={"force": value}, api_version=version)
    assert delete.status == 202, delete.raw
    assert await api.state("f2") in ("deleting", None)


async def test_force_with_a_bad_value(api: Api) -> None:
    await api.add("f")
    reply = await api.call("DELETE", "/jobs/f", query={"force": "yes"}, api_version=V2025)
    assert_batch_error(reply, 400, "InvalidQueryParameterValue")
    assert reply.detail("QueryParameterName") == "force"
    assert await api.state("f") == "active"


@pytest.mark.parametrize(("method", "suffix"), [("DELETE", ""), ("POST", "/terminate")])
async def test_force_is_unknown_to_2024_02(api: Api, method: str, suffix: str) -> None:
    await api.add("old")
    data = b"" if method == "POST" else None
    reply = await api.call(
        method, f"/jobs/old{suffix}", query={"force": "true"}, data=data, api_version=V2024
    )
    assert_batch_error(reply, 400, "UnsupportedQueryParameter")
    assert reply.detail("QueryParameterName") == "force"
    assert await api.state("old") == "active"


async def test_put_body_with_the_job_id_from_2025(api: Api) -> None:
    await api.add("Put-Me", priority=5)
    body = {"id": "Put-Me", "priority": 100, "poolInfo": {"poolId": "pool"}}
    reply = await api.call("PUT", "/jobs/Put-Me", body=body, api_version=V2025)
    assert reply.status == 200, reply.raw
    assert (await api.get("Put-Me")).body["priority"] == 100
    # ids compare case-insensitively
    body["id"] = "put-me"
    assert (await api.call("PUT", "/jobs/Put-Me", body=body, api_version=V2025)).status == 200
    assert (await api.get("Put-Me")).body["id"] == "Put-Me"


async def test_put_body_with_another_job_id_is_refused(api: Api) -> None:
    await api.add("a", priority=5)
    body = {"id": "b", "priority": 100, "poolInfo": {"poolId": "pool"}}
    reply = await api.call("PUT", "/jobs/a", body=body, api_version=V2025)
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "id"
    assert (await api.get("a")).body["priority"] == 5


@pytest.mark.parametrize("version", [V2024, V2024_07])
async def test_put_body_with_id_before_2025_is_an_unsupported_property(api: Api, version: str) -> None:
    await api.add("a", priority=5)
    body = {"id": "a", "priority": 100, "poolInfo": {"poolId": "pool"}}
    reply = await api.call("PUT", "/jobs/a", body=body, api_version=version)
    assert_batch_error(reply, 400, "UnsupportedProperty")
    assert reply.detail("PropertyName") == "id"
    assert (await api.get("a")).body["priority"] == 5


async def test_patch_never_takes_an_id(api: Api) -> None:
    await api.add("a")
    reply = await api.call("PATCH", "/jobs/a", body={"id": "a", "priority": 1}, api_version=V2025)
    assert_batch_error(reply, 400, "UnsupportedProperty")


# ------------------------------------------------------------------ body properties per api-version


def auto_pool(**pool: Any) -> dict[str, Any]:
    return {
        "autoPoolSpecification": {
            "poolLifetimeOption": "job",
            "pool": {"vmSize": "standard_d2s_v3", **pool},
        }
    }


RETIRED = {
    "cloudServiceConfiguration": {"osFamily": "5"},
    "certificateReferences": [{"thumbprint": "ab", "thumbprintAlgorithm": "sha1"}],
    "applicationLicenses": ["maya"],
}


@pytest.mark.parametrize("name", sorted(RETIRED))
async def test_retired_pool_properties_are_refused_by_2025(api: Api, name: str) -> None:
    body = {"id": "r", "poolInfo": auto_pool(**{name: RETIRED[name]})}
    reply = await api.call("POST", "/jobs", body=body, api_version=V2025)
    assert_batch_error(reply, 400, "UnsupportedProperty")
    assert reply.detail("PropertyName") == f"poolInfo.autoPoolSpecification.pool.{name}"
    assert (await api.get("r")).status == 404


@pytest.mark.parametrize("name", sorted(RETIRED))
async def test_retired_pool_properties_are_still_known_to_2024_02(api: Api, name: str) -> None:
    body = {"id": "r", "poolInfo": auto_pool(**{name: RETIRED[name]})}
    assert (await api.call("POST", "/jobs", body=body, api_version=V2024)).status == 201
    stored = (await api.get("r")).body["poolInfo"]["autoPoolSpecification"]["pool"]
    assert stored[name] == RETIRED[name]


async def test_2024_07_retires_cloud_services_and_licenses_but_not_certificates(api: Api) -> None:
    for name, expected in (
        ("cloudServiceConfiguration", 400),
        ("applicationLicenses", 400),
        ("certificateReferences", 201),
    ):
        body = {"id": f"x{expected}{len(name)}", "poolInfo": auto_pool(**{name: RETIRED[name]})}
        assert (await api.call("POST", "/jobs", body=body, api_version=V2024_07)).status == expected, name


async def test_retired_pool_properties_in_patch_and_update(api: Api, emu: BatchEmulator) -> None:
    await api.add("p")
    emu.store.force_state("p", "disabled")
    bad = {"poolInfo": auto_pool(cloudServiceConfiguration={"osFamily": "5"})}
    assert_batch_error(
        await api.call("PATCH", "/jobs/p", body=bad, api_version=V2025), 400, "UnsupportedProperty"
    )
    assert_batch_error(
        await api.call("PUT", "/jobs/p", body=bad, api_version=V2025), 400, "UnsupportedProperty"
    )
    assert (await api.call("PATCH", "/jobs/p", body=bad, api_version=V2024)).status == 200


@pytest.mark.parametrize("version", [V2024, V2024_07, V2025])
async def test_unknown_pool_and_task_properties_are_refused_in_every_version(api: Api, version: str) -> None:
    cases = [
        ({"poolInfo": auto_pool(colour="red")}, "poolInfo.autoPoolSpecification.pool.colour"),
        (
            {"poolInfo": {"autoPoolSpecification": {"poolLifetimeOption": "job", "size": 1}}},
            "poolInfo.autoPoolSpecification.size",
        ),
        (
            {"poolInfo": {"poolId": "p"}, "jobManagerTask": {"id": "m", "commandLine": "x", "colour": 1}},
            "jobManagerTask.colour",
        ),
        (
            {"poolInfo": {"poolId": "p"}, "jobPreparationTask": {"commandLine": "x", "colour": 1}},
            "jobPreparationTask.colour",
        ),
        (
            {"poolInfo": {"poolId": "p"}, "jobReleaseTask": {"commandLine": "x", "colour": 1}},
            "jobReleaseTask.colour",
        ),
    ]
    for extra, prop in cases:
        reply = await api.call("POST", "/jobs", body={"id": "u", **extra}, api_version=version)
        assert_batch_error(reply, 400, "UnsupportedProperty")
        assert reply.detail("PropertyName") == prop


async def test_the_complex_2024_example_is_accepted(api: Api) -> None:
    body = example("JobAdd_Complex")["parameters"]["job"]
    assert (await api.call("POST", "/jobs", body=body, api_version=V2024)).status == 201


async def test_network_skip_withdraw_from_2024_07(api: Api) -> None:
    net = {
        "subnetId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
        "skipWithdrawFromVNet": True,
    }
    old = await api.call(
        "POST",
        "/jobs",
        body={"id": "n", "poolInfo": {"poolId": "p"}, "networkConfiguration": net},
        api_version=V2024,
    )
    assert_batch_error(old, 400, "UnsupportedProperty")
    assert old.detail("PropertyName") == "networkConfiguration.skipWithdrawFromVNet"
    for version in (V2024_07, V2025):
        body = {
            "id": f"n{version[:4]}{version[5:7]}",
            "poolInfo": {"poolId": "p"},
            "networkConfiguration": net,
        }
        assert (await api.call("POST", "/jobs", body=body, api_version=version)).status == 201
        assert (await api.get(body["id"])).body["networkConfiguration"] == net
    bad = {
        "id": "nb",
        "poolInfo": {"poolId": "p"},
        "networkConfiguration": {**net, "skipWithdrawFromVNet": "yes"},
    }
    assert_batch_error(
        await api.call("POST", "/jobs", body=bad, api_version=V2025), 400, "InvalidPropertyValue"
    )


async def test_patch_takes_network_configuration_from_2024_07(api: Api) -> None:
    await api.add("pn")
    net = {"networkConfiguration": {"subnetId": "subnet-1"}}
    old = await api.call("PATCH", "/jobs/pn", body=net, api_version=V2024)
    assert_batch_error(old, 400, "UnsupportedProperty")
    assert old.detail("PropertyName") == "networkConfiguration"
    assert (await api.call("PATCH", "/jobs/pn", body=net, api_version=V2025)).status == 200
    assert (await api.get("pn")).body["networkConfiguration"] == {"subnetId": "subnet-1"}
    # PUT never takes it: in 2025 it is read-only in the job model.
    put = {"poolInfo": {"poolId": "pool"}, **net}
    assert_batch_error(
        await api.call("PUT", "/jobs/pn", body=put, api_version=V2025), 400, "UnsupportedProperty"
    )


async def test_seeding_accepts_the_properties_of_any_version(api: Api, emu: BatchEmulator) -> None:
    body = {
        "id": "seeded",
        "poolInfo": auto_pool(cloudServiceConfiguration={"osFamily": "5"}),
        "networkConfiguration": {"subnetId": "s", "skipWithdrawFromVNet": False},
    }
    emu.store.seed_job(body)
    assert (await api.get("seeded")).status == 200
