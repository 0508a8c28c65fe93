"""api-version 2025-06-01 through the async client: the spec's 2025 examples replayed, ``force``, the gate.

Each example (``tests/data/examples-2025/``, copies of the 2025-06-01 examples) gives the request
parameters and the response; the client builds the request from the same arguments, pytest-httpx answers
with the example's response, and the test compares method, path, query, headers and body, then the
parsed result with the example's body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from azbatch import models
from azbatch.aio import BatchClient
from azbatch.exceptions import ApiVersionError

from .conftest import ENDPOINT, JSON_CONTENT_TYPE, ClientFactory, collect, only_request, query_items

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples-2025"
V2025 = "2025-06-01"


def example(name: str) -> dict[str, Any]:
    """One 2025 example: ``{"operationId", "parameters", "responses"}``."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class Replay:
    """How to replay one example: the call to make, and where its request body is in the parameters."""

    method: str
    path: str
    call: Callable[[BatchClient, dict[str, Any]], Awaitable[Any]]
    body_parameter: str | None = None


def _lister(name: str, *args: str) -> Callable[[BatchClient, dict[str, Any]], Awaitable[Any]]:
    async def call(client: BatchClient, headers: dict[str, Any]) -> Any:
        return await collect(getattr(client.jobs, name)(*args, **headers))

    return call


REPLAYS: dict[str, Replay] = {
    "Jobs_CreateJob_Basic": Replay(
        "POST",
        "/jobs",
        lambda c, kw: c.jobs.add(
            models.BatchJobCreateOptions.from_dict(example("Jobs_CreateJob_Basic")["parameters"]["job"]), **kw
        ),
        "job",
    ),
    "Jobs_DeleteJob": Replay("DELETE", "/jobs/jobId", lambda c, kw: c.jobs.delete("jobId", **kw)),
    "Jobs_DisableJob": Replay(
        "POST",
        "/jobs/jobId/disable",
        lambda c, kw: c.jobs.disable("jobId", models.DisableBatchJobOption.TERMINATE, **kw),
        "disableOptions",
    ),
    "Jobs_EnableJob": Replay("POST", "/jobs/jobId/enable", lambda c, kw: c.jobs.enable("jobId", **kw)),
    "Jobs_GetJobTaskCounts": Replay(
        "GET", "/jobs/jobId/taskcounts", lambda c, kw: c.jobs.get_task_counts("jobId", **kw)
    ),
    "Jobs_ListJobPreparationAndReleaseTaskStatus": Replay(
        "GET",
        "/jobs/jobId/jobpreparationandreleasetaskstatus",
        _lister("list_preparation_and_release_task_status", "jobId"),
    ),
    "Jobs_ListJobs": Replay("GET", "/jobs", _lister("list")),
    "Jobs_ListJobsFromSchedule": Replay(
        "GET", "/jobschedules/jobScheduleId/jobs", _lister("list_from_job_schedule", "jobScheduleId")
    ),
    # 2025 calls PUT "replace" and PATCH "update"; this package keeps update = PUT, patch = PATCH.
    "Jobs_ReplaceJob": Replay(
        "PUT",
        "/jobs/jobId",
        lambda c, kw: c.jobs.update("jobId", example("Jobs_ReplaceJob")["parameters"]["job"], **kw),
        "job",
    ),
    "Jobs_UpdateJob": Replay(
        "PATCH",
        "/jobs/jobId",
        lambda c, kw: c.jobs.patch(
            "jobId",
            models.BatchJobUpdateOptions.from_dict(example("Jobs_UpdateJob")["parameters"]["job"]),
            **kw,
        ),
        "job",
    ),
    "Jobs_TerminateJob": Replay(
        "POST",
        "/jobs/jobId/terminate",
        lambda c, kw: c.jobs.terminate(
            "jobId",
            example("Jobs_TerminateJob")["parameters"]["jobTerminateParameter"]["terminateReason"],
            **kw,
        ),
        "jobTerminateParameter",
    ),
}


def test_every_saved_example_is_replayed() -> None:
    assert sorted(REPLAYS) == sorted(p.stem for p in EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("name", sorted(REPLAYS))
async def test_replay_2025_example(name: str, make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    replay = REPLAYS[name]
    data = example(name)
    params = data["parameters"]
    status, response = next(iter(data["responses"].items()))
    # The older copy of the terminate example spells the version as the swagger does.
    api_version = params["api-version"]
    assert api_version in (V2025, "2025-06-01.21.0")
    httpx_mock.add_response(
        method=replay.method,
        url=f"{ENDPOINT}{replay.path}?api-version={api_version}",
        status_code=int(status),
        json=response.get("body"),
    )
    next_link = (response.get("body") or {}).get("odata.nextLink")
    if next_link is not None:
        httpx_mock.add_response(method="GET", url=next_link, json={"value": []})
    headers = {
        "client_request_id": params["client-request-id"],
        "ocp_date": parsedate_to_datetime(params["ocp-date"]),
    }

    async with make_client(api_version=api_version) as client:
        result = await replay.call(client, headers)

    request, *more = httpx_mock.get_requests()
    # a listing follows the example's next link (the service's own URL, used as it is)
    expected_more = [httpx.URL(next_link)] if next_link else []
    assert [(r.url.path, query_items(r)) for r in more] == [
        (u.path, sorted(u.params.multi_items())) for u in expected_more
    ]
    assert request.method == replay.method
    assert request.url.host == params["batchUrl"]
    assert request.url.raw_path.decode().split("?")[0] == replay.path
    assert query_items(request) == [("api-version", api_version)]
    assert request.headers["client-request-id"] == params["client-request-id"]
    assert parsedate_to_datetime(request.headers["ocp-date"]) == headers["ocp_date"]
    if replay.body_parameter is None:
        assert request.content == b""
    else:
        assert request.headers["Content-Type"] == JSON_CONTENT_TYPE
        assert json.loads(request.content) == params[replay.body_parameter]

    body = response.get("body")
    if body is None:
        return
    if "value" in body:
        assert [item.as_dict() for item in result] == body["value"]
        for item in result:
            assert not item.additional_properties  # every 2025 property is modelled
    else:
        assert result.as_dict() == body


# ----------------------------------------------------------------------- properties new in 2025


NEW_JOB = {
    "id": "jobId",
    "state": "active",
    "poolInfo": {
        "autoPoolSpecification": {
            "poolLifetimeOption": "job",
            "pool": {
                "vmSize": "standard_d2s_v3",
                "taskSchedulingPolicy": {"nodeFillType": "pack", "jobDefaultOrder": "creationTime"},
                "virtualMachineConfiguration": {
                    "imageReference": {"sharedGalleryImageId": "/sharedGalleries/g/images/i/versions/1"},
                    "nodeAgentSKUId": "batch.node.ubuntu 22.04",
                    "dataDisks": [
                        {
                            "lun": 0,
                            "diskSizeGB": 64,
                            "managedDisk": {
                                "storageAccountType": "premium_lrs",
                                "diskEncryptionSet": {"id": "/diskEncryptionSets/des"},
                            },
                        }
                    ],
                    "securityProfile": {
                        "securityType": "confidentialVM",
                        "proxyAgentSettings": {"enabled": True, "imds": {"mode": "Enforce"}},
                    },
                },
                "networkConfiguration": {
                    "publicIPAddressConfiguration": {
                        "provision": "batchmanaged",
                        "ipFamilies": ["IPv4", "IPv6"],
                        "ipTags": [{"ipTagType": "RoutingPreference", "tag": "Internet"}],
                    }
                },
            },
        }
    },
    "networkConfiguration": {"subnetId": "/subnets/s", "skipWithdrawFromVNet": True},
}


async def test_a_2025_job_parses_into_typed_properties(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="GET", url=f"{ENDPOINT}/jobs/jobId?api-version={V2025}", json=NEW_JOB)
    async with make_client(api_version=V2025) as client:
        job = await client.jobs.get("jobId")

    assert isinstance(job, models.BatchJob)
    assert job.as_dict() == NEW_JOB
    assert job.network_configuration is not None
    assert job.network_configuration.skip_withdraw_from_vnet is True
    auto = job.pool_info.auto_pool_specification if job.pool_info else None
    assert auto is not None and auto.pool is not None
    vm = auto.pool.virtual_machine_configuration
    assert vm is not None and vm.image_reference is not None and vm.data_disks and vm.security_profile
    assert vm.image_reference.shared_gallery_image_id == "/sharedGalleries/g/images/i/versions/1"
    assert vm.data_disks[0].managed_disk is not None
    assert vm.data_disks[0].managed_disk.disk_encryption_set == models.DiskEncryptionSetParameters(
        id="/diskEncryptionSets/des"
    )
    proxy = vm.security_profile.proxy_agent_settings
    assert proxy is not None and proxy.imds is not None
    assert proxy.imds.mode is models.HostEndpointSettingsModeTypes.ENFORCE
    assert auto.pool.task_scheduling_policy is not None
    assert auto.pool.task_scheduling_policy.job_default_order is models.BatchJobDefaultOrder.CREATION_TIME
    public_ip = (
        auto.pool.network_configuration.public_ip_address_configuration
        if auto.pool.network_configuration
        else None
    )
    assert public_ip is not None and public_ip.ip_tags
    assert public_ip.ip_families == [models.IPFamily.IPV4, models.IPFamily.IPV6]
    assert public_ip.ip_tags[0].tag == "Internet"


async def test_a_fetched_2025_job_sent_back_with_update_carries_its_writable_part(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(method="PUT", url=f"{ENDPOINT}/jobs/jobId?api-version={V2025}")
    job = models.BatchJob.from_dict({**NEW_JOB, "priority": 7})
    async with make_client(api_version=V2025) as client:
        await client.jobs.update("jobId", job)
    sent = json.loads(only_request(httpx_mock.get_requests()).content)
    assert sent == {"priority": 7, "poolInfo": NEW_JOB["poolInfo"]}


async def test_the_gate_refuses_a_2025_job_on_an_older_client_without_sending(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    job = {key: NEW_JOB[key] for key in ("id", "poolInfo")}
    async with make_client() as client:
        with pytest.raises(ApiVersionError, match=r"not in api-version 2024-02-01\.19\.0") as caught:
            await client.jobs.add(job)
        with pytest.raises(ApiVersionError, match=r"JobPatchParameter\.network_configuration"):
            await client.jobs.patch("jobId", {"networkConfiguration": NEW_JOB["networkConfiguration"]})
    assert caught.value.name == "TaskSchedulingPolicy.job_default_order"
    assert httpx_mock.get_requests() == []


async def test_retired_cloud_service_pools_are_refused_on_2025(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    job = {
        "id": "j",
        "poolInfo": {
            "autoPoolSpecification": {
                "poolLifetimeOption": "job",
                "pool": {"vmSize": "small", "cloudServiceConfiguration": {"osFamily": "6"}},
            }
        },
    }
    async with make_client(api_version=V2025) as client:
        with pytest.raises(ApiVersionError, match="dropped from later api-versions") as caught:
            await client.jobs.add(job)
    assert caught.value.wire == "cloudServiceConfiguration"
    assert httpx_mock.get_requests() == []


# ---------------------------------------------------------------------------------------- force


async def test_force_on_delete_and_terminate(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        method="DELETE", url=f"{ENDPOINT}/jobs/jobId?api-version={V2025}&force=true", status_code=202
    )
    httpx_mock.add_response(
        method="POST", url=f"{ENDPOINT}/jobs/jobId/terminate?api-version={V2025}&force=true", status_code=202
    )
    async with make_client(api_version=V2025) as client:
        await client.jobs.delete("jobId", force=True)
        await client.jobs.terminate("jobId", force=True)
    delete, terminate = httpx_mock.get_requests()
    assert query_items(delete) == [("api-version", V2025), ("force", "true")]
    assert query_items(terminate) == [("api-version", V2025), ("force", "true")]
    assert terminate.content == b""


async def test_force_passes_through_the_pollers(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    get_job = f"{ENDPOINT}/jobs/jobId?api-version={V2025}"
    httpx_mock.add_response(
        method="POST", url=f"{ENDPOINT}/jobs/jobId/terminate?api-version={V2025}&force=true", status_code=202
    )
    httpx_mock.add_response(method="GET", url=get_job, json={"id": "jobId", "state": "completed"})
    httpx_mock.add_response(
        method="DELETE", url=f"{ENDPOINT}/jobs/jobId?api-version={V2025}&force=true", status_code=202
    )
    httpx_mock.add_response(method="GET", url=get_job, status_code=404, json={"code": "JobNotFound"})
    async with make_client(api_version=V2025) as client:
        terminated = await client.jobs.begin_terminate("jobId", force=True, polling_interval=0)
        assert (await terminated.result()).state == models.JobState.COMPLETED
        deleted = await client.jobs.begin_delete("jobId", force=True, polling_interval=0)
        assert await deleted.result() is None
    writes = [r for r in httpx_mock.get_requests() if r.method != "GET"]
    assert [("force", "true") in query_items(r) for r in writes] == [True, True]


async def test_force_is_refused_on_2024_02_01_before_sending(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(ApiVersionError, match="force"):
            await client.jobs.delete("jobId", force=True)
        with pytest.raises(ApiVersionError, match="force"):
            await client.jobs.begin_terminate("jobId", force=True, polling_interval=0)
        with pytest.raises(TypeError, match="force must be a bool"):
            await client.jobs.terminate("jobId", force="true")  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []
