"""One model set for several api-versions: the per-version table, the gate in the builders, ``force``."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from azbatch import models
from azbatch._protocol import _requests as rq
from azbatch._protocol import _version_gate as gate
from azbatch.exceptions import ApiVersionError
from azbatch.models import _generated
from azbatch.models._base import Field
from azbatch.models._versions import API_VERSIONS, PROPERTIES

ENDPOINT = "https://acct.westus.batch.azure.com"
V2024 = rq.Target.create(ENDPOINT, "2024-02-01.19.0")
V2024_07 = rq.Target.create(ENDPOINT, "2024-07-01.20.0")
V2025 = rq.Target.create(ENDPOINT, "2025-06-01")


def _body(request: Any) -> Any:
    return json.loads(request.content)


def _auto_pool_job(**vm: Any) -> models.JobAddParameter:
    """A job with an auto pool whose VM configuration gets ``vm`` on top of a valid minimum."""
    config: dict[str, Any] = {
        "image_reference": models.ImageReference(publisher="p", offer="o", sku="s"),
        "node_agent_sku_id": "batch.node.ubuntu 22.04",
        **vm,
    }
    return models.JobAddParameter(
        id="j",
        pool_info=models.PoolInformation(
            auto_pool_specification=models.AutoPoolSpecification(
                pool_lifetime_option=models.PoolLifetimeOption.JOB,
                pool=models.PoolSpecification(
                    vm_size="standard_d2s_v3",
                    virtual_machine_configuration=models.VirtualMachineConfiguration(**config),
                ),
            )
        ),
    )


# ----------------------------------------------------------------------------------- the table


def test_the_table_lists_every_field_of_every_generated_model_under_its_attribute() -> None:
    for name in _generated.__all__:
        cls = getattr(_generated, name)
        if cls.__name__ != name:
            continue  # a 2025 alias of a class checked under its own name
        fields = {v.wire: v.attr for v in vars(cls).values() if isinstance(v, Field)}
        table = PROPERTIES[name]
        assert {wire: p.attribute for wire, p in table.items()} == fields, name
        for prop in table.values():
            assert prop.versions, name
            assert prop.versions <= set(API_VERSIONS)


@pytest.mark.parametrize(
    ("model", "wire", "versions"),
    [
        ("ImageReference", "sharedGalleryImageId", {"2024-07-01.20.0", "2025-06-01"}),
        ("ImageReference", "communityGalleryImageId", {"2024-07-01.20.0", "2025-06-01"}),
        ("JobNetworkConfiguration", "skipWithdrawFromVNet", {"2024-07-01.20.0", "2025-06-01"}),
        ("JobPatchParameter", "networkConfiguration", {"2024-07-01.20.0", "2025-06-01"}),
        ("TaskContainerSettings", "containerHostBatchBindMounts", {"2024-07-01.20.0", "2025-06-01"}),
        ("ManagedDisk", "securityProfile", {"2024-07-01.20.0", "2025-06-01"}),
        ("ManagedDisk", "diskEncryptionSet", {"2025-06-01"}),
        ("DiskEncryptionConfiguration", "customerManagedKey", {"2025-06-01"}),
        ("PublicIPAddressConfiguration", "ipFamilies", {"2025-06-01"}),
        ("PublicIPAddressConfiguration", "ipTags", {"2025-06-01"}),
        ("SecurityProfile", "proxyAgentSettings", {"2025-06-01"}),
        ("TaskSchedulingPolicy", "jobDefaultOrder", {"2025-06-01"}),
        ("DataDisk", "managedDisk", {"2025-06-01"}),
        ("DataDisk", "storageAccountType", {"2024-02-01.19.0", "2024-07-01.20.0"}),
        ("PoolSpecification", "cloudServiceConfiguration", {"2024-02-01.19.0"}),
        ("PoolSpecification", "applicationLicenses", {"2024-02-01.19.0"}),
        ("PoolSpecification", "certificateReferences", {"2024-02-01.19.0", "2024-07-01.20.0"}),
        ("PoolSpecification", "targetNodeCommunicationMode", {"2024-02-01.19.0", "2024-07-01.20.0"}),
        ("PoolSpecification", "resourceTags", {"2024-02-01.19.0", "2024-07-01.20.0"}),
        # still in the 2025 swagger although azure-batch 15.1.0 hides it
        ("JobManagerTask", "authenticationTokenSettings", set(API_VERSIONS)),
        ("CloudJob", "poolInfo", set(API_VERSIONS)),
    ],
)
def test_which_versions_know_a_property(model: str, wire: str, versions: set[str]) -> None:
    assert PROPERTIES[model][wire].versions == versions


def test_the_put_body_of_2025_is_the_writable_part_of_the_job() -> None:
    assert {w for w, p in PROPERTIES["JobUpdateParameter"].items() if "2025-06-01" in p.versions} == {
        "priority",
        "maxParallelTasks",
        "allowTaskPreemption",
        "constraints",
        "poolInfo",
        "metadata",
        "onAllTasksComplete",
    }


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("2024-02-01.19.0", "2024-02-01.19.0"),
        ("2024-07-01.20.0", "2024-07-01.20.0"),
        ("2025-06-01", "2025-06-01"),
        ("2025-06-01.21.0", "2025-06-01"),  # the swagger's spelling of the same version
        ("2024-10-01.20.1", "2024-07-01.20.0"),
        ("2023-05-01.17.0", "2024-02-01.19.0"),  # older than all: checked leniently against the oldest
        ("2099-01-01", "2025-06-01"),
        ("latest", None),
    ],
)
def test_effective_version(given: str, used: str | None) -> None:
    assert gate.effective_version(given) == used


# -------------------------------------------------------------------------- 2025 names, new models


def test_2025_model_and_enum_names_are_aliases_of_the_same_classes() -> None:
    assert models.BatchJob is models.CloudJob
    assert models.BatchJobCreateOptions is models.JobAddParameter
    assert models.BatchJobUpdateOptions is models.JobPatchParameter
    assert models.BatchPoolInfo is models.PoolInformation
    assert models.BatchVmImageReference is models.ImageReference
    assert models.BatchVmDiskSecurityProfile is models.VMDiskSecurityProfile
    assert models.BatchJobState is models.JobState
    assert models.BatchAllTasksCompleteMode is models.OnAllTasksComplete
    assert models.DisableBatchJobOption is models.DisableJobOption
    for name in ("BatchJob", "BatchJobState", "BatchTaskCountsResult", "IPTag", "ProxyAgentSettings"):
        assert name in models.__all__


def test_new_properties_and_models_round_trip_through_the_wire_form() -> None:
    settings = models.TaskContainerSettings(
        image_name="ubuntu",
        container_host_batch_bind_mounts=[
            models.ContainerHostBatchBindMountEntry(
                source=models.ContainerHostDataPath.TASK, is_read_only=True
            )
        ],
    )
    wire = settings.as_dict()
    assert wire["containerHostBatchBindMounts"] == [{"source": "Task", "isReadOnly": True}]
    back = models.TaskContainerSettings.from_dict(wire)
    assert back.container_host_batch_bind_mounts is not None
    assert back.container_host_batch_bind_mounts[0].source is models.ContainerHostDataPath.TASK

    disk = models.DataDisk(
        lun=0,
        disk_size_gb=10,
        managed_disk=models.ManagedDisk(
            disk_encryption_set=models.DiskEncryptionSetParameters(id="/des"),
            security_profile=models.VMDiskSecurityProfile(
                security_encryption_type=models.SecurityEncryptionTypes.VM_GUEST_STATE_ONLY
            ),
        ),
    )
    assert disk.as_dict() == {
        "lun": 0,
        "diskSizeGB": 10,
        "managedDisk": {
            "diskEncryptionSet": {"id": "/des"},
            "securityProfile": {"securityEncryptionType": "VMGuestStateOnly"},
        },
    }


def test_enum_values_of_all_versions_are_members_in_the_oldest_spelling() -> None:
    assert models.SecurityTypes.lookup("confidentialVM") is models.SecurityTypes.CONFIDENTIAL_VM
    # 2025 lower-cases some values; the lookup ignores case and keeps the 2024 spelling
    assert models.DiffDiskPlacement.lookup("cachedisk") is models.DiffDiskPlacement.CACHE_DISK
    assert models.DiffDiskPlacement.CACHE_DISK.value == "CacheDisk"
    assert models.BatchJobDefaultOrder.CREATION_TIME.value == "creationTime"


# --------------------------------------------------------------------------------- the gate


def test_a_newer_nested_property_is_refused_on_an_older_version_naming_it() -> None:
    job = _auto_pool_job(image_reference=models.ImageReference(shared_gallery_image_id="/gallery/secretish"))
    with pytest.raises(ApiVersionError) as caught:
        rq.build_add_request(V2024, job)
    err = caught.value
    assert isinstance(err, ValueError)
    assert (err.name, err.wire, err.api_version) == (
        "ImageReference.shared_gallery_image_id",
        "sharedGalleryImageId",
        "2024-02-01.19.0",
    )
    assert err.supported_in == ("2024-07-01.20.0", "2025-06-01")
    text = str(err)
    assert "job.poolInfo.autoPoolSpecification.pool.virtualMachineConfiguration.imageReference" in text
    assert "2024-07-01.20.0 and later" in text
    assert "api_version='2025-06-01'" in text
    assert "secretish" not in text  # the value is never echoed


@pytest.mark.parametrize("target", [V2024_07, V2025])
def test_the_same_property_is_sent_on_versions_that_have_it(target: rq.Target) -> None:
    job = _auto_pool_job(image_reference=models.ImageReference(community_gallery_image_id="/community/x"))
    body = _body(rq.build_add_request(target, job))
    vm = body["poolInfo"]["autoPoolSpecification"]["pool"]["virtualMachineConfiguration"]
    assert vm["imageReference"] == {"communityGalleryImageId": "/community/x"}


def test_a_wire_form_mapping_is_checked_too() -> None:
    job = _auto_pool_job().as_dict()
    job["poolInfo"]["autoPoolSpecification"]["pool"]["taskSchedulingPolicy"] = {
        "nodeFillType": "pack",
        "jobDefaultOrder": "creationTime",
    }
    with pytest.raises(ApiVersionError, match=r"TaskSchedulingPolicy\.job_default_order .*'jobDefaultOrder'"):
        rq.build_add_request(V2024_07, job)
    sent = _body(rq.build_add_request(V2025, job))
    assert sent["poolInfo"]["autoPoolSpecification"]["pool"]["taskSchedulingPolicy"]["jobDefaultOrder"] == (
        "creationTime"
    )


def test_items_of_lists_are_checked_with_their_index() -> None:
    job = _auto_pool_job(
        data_disks=[
            models.DataDisk(lun=0, disk_size_gb=8),
            models.DataDisk(
                lun=1, disk_size_gb=8, managed_disk=models.ManagedDisk(storage_account_type="premium_lrs")
            ),
        ]
    )
    with pytest.raises(ApiVersionError, match=r"dataDisks\[1\]\.managedDisk") as caught:
        rq.build_add_request(V2024, job)
    assert caught.value.name == "DataDisk.managed_disk"


@pytest.mark.parametrize(
    ("pool", "target", "name"),
    [
        (
            models.PoolSpecification(
                vm_size="small", cloud_service_configuration=models.CloudServiceConfiguration(os_family="6")
            ),
            V2025,
            "PoolSpecification.cloud_service_configuration",
        ),
        (
            models.PoolSpecification(vm_size="small", application_licenses=["maya"]),
            V2024_07,
            "PoolSpecification.application_licenses",
        ),
        (
            models.PoolSpecification(
                vm_size="small",
                certificate_references=[
                    models.CertificateReference(thumbprint="ab", thumbprint_algorithm="sha1")
                ],
            ),
            V2025,
            "PoolSpecification.certificate_references",
        ),
    ],
)
def test_retired_properties_are_refused_on_the_versions_that_dropped_them(
    pool: models.PoolSpecification, target: rq.Target, name: str
) -> None:
    job = models.JobAddParameter(
        id="j",
        pool_info=models.PoolInformation(
            auto_pool_specification=models.AutoPoolSpecification(pool_lifetime_option="job", pool=pool)
        ),
    )
    with pytest.raises(ApiVersionError, match="dropped from later api-versions") as caught:
        rq.build_add_request(target, job)
    assert caught.value.name == name
    assert caught.value.supported_in[0] == "2024-02-01.19.0"
    # the oldest version still sends it
    assert (
        _body(rq.build_add_request(V2024, job))["poolInfo"]["autoPoolSpecification"]["pool"]["vmSize"]
        == "small"
    )


def test_patch_network_configuration_needs_a_newer_version() -> None:
    patch = models.JobPatchParameter(
        network_configuration=models.JobNetworkConfiguration(
            subnet_id="/subnets/s", skip_withdraw_from_vnet=True
        )
    )
    with pytest.raises(ApiVersionError, match=r"JobPatchParameter\.network_configuration"):
        rq.build_patch_request(V2024, "j", patch)
    assert _body(rq.build_patch_request(V2025, "j", patch)) == {
        "networkConfiguration": {"subnetId": "/subnets/s", "skipWithdrawFromVNet": True}
    }


def test_properties_the_package_does_not_know_are_not_gated() -> None:
    # a mapping with an unknown property, and a fetched job that kept one: both are sent as they are
    body = _body(rq.build_patch_request(V2024, "j", {"priority": 1, "brandNewSetting": {"x": 1}}))
    assert body == {"priority": 1, "brandNewSetting": {"x": 1}}
    fetched = models.CloudJob.from_dict(
        {"id": "j", "state": "active", "poolInfo": {"poolId": "p", "futureNested": 2}, "futureTop": 3}
    )
    assert _body(rq.build_update_request(V2024, "j", fetched)) == {
        "poolInfo": {"poolId": "p", "futureNested": 2},
        "futureTop": 3,
    }


def test_authentication_token_settings_stay_sendable_on_2025() -> None:
    job = models.JobAddParameter(
        id="j",
        pool_info=models.PoolInformation(pool_id="p"),
        job_manager_task=models.JobManagerTask(
            id="m",
            command_line="run",
            authentication_token_settings=models.AuthenticationTokenSettings(access=[models.AccessScope.JOB]),
        ),
    )
    assert _body(rq.build_add_request(V2025, job))["jobManagerTask"]["authenticationTokenSettings"] == {
        "access": ["job"]
    }


def test_unknown_and_dateless_versions() -> None:
    older = rq.Target.create(ENDPOINT, "2023-05-01.17.0")
    job = _auto_pool_job(image_reference=models.ImageReference(shared_gallery_image_id="/g"))
    with pytest.raises(ApiVersionError):
        rq.build_add_request(older, job)
    unchecked = rq.Target.create(ENDPOINT, "preview")
    assert "sharedGalleryImageId" in rq.build_add_request(unchecked, job).content.decode()


# ---------------------------------------------------------------------------------------- force


@pytest.mark.parametrize("target", [V2024_07, V2025, rq.Target.create(ENDPOINT, "2025-06-01.21.0")])
def test_force_is_sent_as_a_query_parameter_on_versions_that_have_it(target: rq.Target) -> None:
    delete = rq.build_delete_request(target, "j", rq.options(service_timeout=5), force=True)
    timeout = "timeOut" if target.api_version >= "2025" else "timeout"
    assert delete.url == f"{ENDPOINT}/jobs/j?api-version={target.api_version}&force=true&{timeout}=5"
    terminate = rq.build_terminate_request(target, "j", "done", force=True)
    assert terminate.url == f"{ENDPOINT}/jobs/j/terminate?api-version={target.api_version}&force=true"
    assert _body(terminate) == {"terminateReason": "done"}
    bare = rq.build_terminate_request(target, "j", force=True)
    assert bare.url.endswith("/terminate?api-version=" + target.api_version + "&force=true")
    assert bare.content in (None, b"")


@pytest.mark.parametrize("target", [V2024, V2024_07, V2025])
def test_force_false_or_absent_sends_nothing(target: rq.Target) -> None:
    for force in (None, False):
        assert "force" not in rq.build_delete_request(target, "j", force=force).url
        assert "force" not in rq.build_terminate_request(target, "j", force=force).url


def test_force_is_refused_before_2024_07_01() -> None:
    for build in (rq.build_delete_request, rq.build_terminate_request):
        with pytest.raises(
            ApiVersionError, match=r"force .*2024-07-01\.20\.0 or later.*2024-02-01\.19\.0"
        ) as caught:
            build(V2024, "j", force=True)
        assert (caught.value.name, caught.value.wire) == ("force", "force")
        assert caught.value.supported_in == ("2024-07-01.20.0", "2025-06-01")


def test_force_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="force must be a bool"):
        rq.build_delete_request(V2025, "j", force="yes")
    with pytest.raises(TypeError, match="force must be a bool"):
        rq.build_terminate_request(V2025, "j", force=1)


def test_the_migration_guide_lists_every_2025_alias() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "migration.md").read_text(encoding="utf-8")
    section = guide.split("## 2025-06-01 names", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `(\w+)` \| (model|enum) \|$", section, flags=re.MULTILINE)
    documented = {new: old for new, old, _ in rows}
    aliases = {
        name: value.__name__
        for name in models.__all__
        if isinstance(value := getattr(models, name), type)
        and value.__name__ != name
        and name != "BatchErrorException"  # the 14.x exception name, not a 2025 one
    }
    assert documented == aliases


def _generator() -> Any:
    scripts = Path(__file__).resolve().parents[2] / "scripts"
    spec = importlib.util.spec_from_file_location("gen_models_under_test", scripts / "gen_models.py")
    assert spec is not None and spec.loader is not None
    sys.path.insert(0, str(scripts))  # for its model_summaries import
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(scripts))
    return module


def test_merging_tables_keeps_old_names_and_requires_only_what_every_version_requires() -> None:
    gen = _generator()
    old = {
        "api_version": "v1",
        "models": {
            "M": {
                "properties": {"a": {"type": "str"}, "gone": {"type": "int"}},
                "required": ["a", "gone"],
            }
        },
        "enums": {"E": {"values": [["CacheDisk", "CacheDisk"]], "open": False}},
    }
    new = {
        "api_version": "v2",
        "models": {
            "M": {
                "properties": {"a": {"type": "str"}, "added": {"type": "bool"}},
                "required": ["a", "added"],
            },
            "N": {"properties": {}, "required": []},
        },
        "enums": {"E": {"values": [["cachedisk", "cachedisk"], ["other", "other"]], "open": True}},
    }
    merged = gen.merge([old, new])
    model = merged["models"]["M"]
    assert list(model["properties"]) == ["a", "gone", "added"]
    assert {w: p["versions"] for w, p in model["properties"].items()} == {
        "a": ["v1", "v2"],
        "gone": ["v1"],
        "added": ["v2"],
    }
    # "gone" is not in v2 and "added" is not in v1: neither may be demanded by the client
    assert model["required"] == ["a"]
    assert merged["models"]["N"]["versions"] == ["v2"]
    assert merged["enums"]["E"] == {
        "values": [["CacheDisk", "CacheDisk"], ["other", "other"]],
        "open": True,
        "versions": ["v1", "v2"],
    }


def test_the_generator_demands_a_description_for_every_property() -> None:
    gen = _generator()
    table = {"models": {"M": {"properties": {"a": {"type": "str"}, "b": {"type": "str"}}}}}
    problems = gen._description_problems(table, {"M": {"a": "Meaning of a.", "c": "Stale entry."}})
    assert problems == [
        "descriptions.json: no description for M.b",
        "descriptions.json: M.c is not a property of any api-version",
    ]
