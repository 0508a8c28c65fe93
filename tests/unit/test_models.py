"""Wire models: round-trips, loss-free unknown properties, date-time/duration/enum codecs."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import DeserializationError

from azbatch import models
from azbatch.models._codec import format_duration, parse_datetime, parse_duration

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "examples"
UTC = datetime.timezone.utc


def _example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _payloads() -> list[tuple[str, type[models.Model], dict[str, Any]]]:
    """Every model-shaped payload in the examples, paired with its model class."""
    cases: list[tuple[str, type[models.Model], dict[str, Any]]] = []
    for name in ("JobAdd_Basic", "JobAdd_Complex"):
        cases.append((name, models.JobAddParameter, _example(name)["parameters"]["job"]))
    cases.append(("JobGet", models.CloudJob, _example("JobGet")["responses"]["200"]["body"]))
    cases.append(
        (
            "JobGetTaskCounts",
            models.TaskCountsResult,
            _example("JobGetTaskCounts")["responses"]["200"]["body"],
        )
    )
    cases.append(
        ("JobPatch", models.JobPatchParameter, _example("JobPatch")["parameters"]["jobPatchParameter"])
    )
    cases.append(
        ("JobUpdate", models.JobUpdateParameter, _example("JobUpdate")["parameters"]["jobUpdateParameter"])
    )
    cases.append(
        (
            "JobDisable",
            models.JobDisableParameter,
            _example("JobDisable")["parameters"]["jobDisableParameter"],
        )
    )
    terminate = _example("JobTerminate")["parameters"].get("jobTerminateParameter")
    if terminate:
        cases.append(("JobTerminate", models.JobTerminateParameter, terminate))
    for name in ("JobList", "JobListFromJobSchedule"):
        for i, job in enumerate(_example(name)["responses"]["200"]["body"]["value"]):
            cases.append((f"{name}[{i}]", models.CloudJob, job))
    prep = _example("JobListPreparationAndReleaseTaskStatus")["responses"]["200"]["body"]["value"]
    for i, item in enumerate(prep):
        cases.append((f"PrepRelease[{i}]", models.JobPreparationAndReleaseTaskExecutionInformation, item))
    return cases


PAYLOADS = _payloads()


@pytest.mark.parametrize(("name", "cls", "payload"), PAYLOADS, ids=[c[0] for c in PAYLOADS])
def test_example_round_trips_unread(name: str, cls: type[models.Model], payload: dict[str, Any]) -> None:
    assert cls.from_dict(payload).as_dict() == payload


def _read_everything(value: Any) -> None:
    """Touch every property recursively so that all of them get decoded and cached."""
    if isinstance(value, models.Model):
        for field in value._fields:
            _read_everything(getattr(value, field.attr))
    elif isinstance(value, list):
        for item in value:
            _read_everything(item)


@pytest.mark.parametrize(("name", "cls", "payload"), PAYLOADS, ids=[c[0] for c in PAYLOADS])
def test_example_round_trips_after_every_property_was_read(
    name: str, cls: type[models.Model], payload: dict[str, Any]
) -> None:
    model = cls.from_dict(payload)
    _read_everything(model)
    assert model.as_dict() == payload
    # Decoding does not depend on the caller's dict staying untouched.
    assert cls.from_dict(copy.deepcopy(payload)) == model


def test_every_definition_has_a_model_class() -> None:
    table = json.loads(
        (Path(__file__).resolve().parents[2] / "scripts/spec/jobs-2024-02-01.19.0.json").read_text()
    )
    assert len(table["models"]) == 81
    assert len(table["enums"]) == 31
    for name in table["models"]:
        assert issubclass(getattr(models, name), models.Model)
    for name in table["enums"]:
        assert issubclass(getattr(models, name), models.BatchEnum)


def test_cloud_job_typed_values() -> None:
    job = models.CloudJob.from_dict(_example("JobGet")["responses"]["200"]["body"])
    assert job.id == "jobId"
    assert job.state is models.JobState.COMPLETED
    assert job.state == "completed"
    assert job.etag == "0x8D4100FC49F0278"
    assert job.last_modified == datetime.datetime(2016, 11, 19, 0, 5, 27, 539160, tzinfo=UTC)
    assert job.pool_info is not None and job.pool_info.pool_id == "poolId"
    assert job.constraints is not None and job.constraints.max_task_retry_count == 0
    assert job.execution_info is not None and job.execution_info.terminate_reason == "UserTerminate"


def test_unknown_properties_are_kept_at_every_level() -> None:
    payload = {
        "id": "j1",
        "futureTopLevel": {"nested": [1, 2]},
        "poolInfo": {"poolId": "p", "futureNested": True},
        "metadata": [{"name": "a", "value": "b", "futureItem": "x"}],
    }
    job = models.CloudJob.from_dict(payload)
    assert job.additional_properties == {"futureTopLevel": {"nested": [1, 2]}}
    assert job.pool_info is not None and job.pool_info.additional_properties == {"futureNested": True}
    job.priority = 7  # an edit elsewhere keeps the unknown ones
    job.pool_info.pool_id = "p2"
    out = job.as_dict()
    assert out["futureTopLevel"] == {"nested": [1, 2]}
    assert out["poolInfo"] == {"poolId": "p2", "futureNested": True}
    assert out["metadata"][0]["futureItem"] == "x"
    assert out["priority"] == 7


def test_edits_of_nested_values_reach_as_dict() -> None:
    job = models.CloudJob.from_dict({"id": "j", "metadata": [{"name": "a", "value": "1"}]})
    assert job.metadata is not None
    job.metadata.append(models.MetadataItem(name="b", value="2"))
    assert job.as_dict()["metadata"] == [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]


def test_setting_none_removes_the_property() -> None:
    job = models.CloudJob.from_dict({"id": "j", "priority": 3})
    job.priority = None
    assert "priority" not in job.as_dict()


def test_keyword_construction_and_as_dict_omits_none() -> None:
    job = models.JobAddParameter(
        id="job-1",
        pool_info=models.PoolInformation(pool_id="pool"),
        priority=10,
        on_all_tasks_complete=models.OnAllTasksComplete.TERMINATE_JOB,
        constraints=models.JobConstraints(max_wall_clock_time=datetime.timedelta(hours=2)),
        metadata=[models.MetadataItem(name="k", value="v")],
    )
    assert job.as_dict() == {
        "id": "job-1",
        "poolInfo": {"poolId": "pool"},
        "priority": 10,
        "onAllTasksComplete": "terminatejob",
        "constraints": {"maxWallClockTime": "PT2H"},
        "metadata": [{"name": "k", "value": "v"}],
    }


def test_value_equality_between_wire_and_keyword_forms() -> None:
    wire = models.JobConstraints.from_dict({"maxWallClockTime": "PT1H", "maxTaskRetryCount": 2})
    built = models.JobConstraints(max_wall_clock_time=datetime.timedelta(hours=1), max_task_retry_count=2)
    assert wire == built
    assert wire != models.JobConstraints(max_task_retry_count=2)
    assert models.PoolInformation(pool_id="a") != models.JobConstraints()


def test_wrong_type_is_reported_with_the_property_name() -> None:
    job = models.JobAddParameter(id="j", pool_info=models.PoolInformation(pool_id="p"), priority="high")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"JobAddParameter\.priority"):
        job.as_dict()
    with pytest.raises(TypeError, match=r"JobConstraints\.max_wall_clock_time"):
        models.JobConstraints(max_wall_clock_time="PT1H").as_dict()  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"priority.*bool"):
        models.JobPatchParameter(priority=True).as_dict()


def test_unreadable_wire_value_raises_deserialization_error_naming_the_property() -> None:
    job = models.CloudJob.from_dict({"creationTime": "yesterday"})
    with pytest.raises(DeserializationError, match=r"CloudJob\.creation_time"):
        _ = job.creation_time


def test_repr_is_readable_and_masks_secrets() -> None:
    share = models.AzureFileShareConfiguration(
        account_name="acct",
        azure_file_url="https://acct.file.core.windows.net/share",
        account_key="S3CR3T-KEY==",
        relative_mount_path="m",
    )
    resource = models.ResourceFile(http_url="https://x.blob.core.windows.net/c/f?sv=1&sig=SIGVALUE")
    text = repr(share) + repr(resource)
    assert "S3CR3T-KEY" not in text and "SIGVALUE" not in text
    assert "account_name='acct'" in text
    assert repr(models.PoolInformation(pool_id="p")) == "PoolInformation(pool_id='p')"


# ----------------------------------------------------------------------------------- date-times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2016-11-19T00:05:27.5391608Z", datetime.datetime(2016, 11, 19, 0, 5, 27, 539160, tzinfo=UTC)),
        ("2016-11-19T00:05:25.311915Z", datetime.datetime(2016, 11, 19, 0, 5, 25, 311915, tzinfo=UTC)),
        ("2016-11-19T00:05:26.88777Z", datetime.datetime(2016, 11, 19, 0, 5, 26, 887770, tzinfo=UTC)),
        ("2015-05-01T10:20:31Z", datetime.datetime(2015, 5, 1, 10, 20, 31, tzinfo=UTC)),
        ("2015-05-01T12:20:31+02:00", datetime.datetime(2015, 5, 1, 10, 20, 31, tzinfo=UTC)),
        ("2015-05-01T10:20:31", datetime.datetime(2015, 5, 1, 10, 20, 31, tzinfo=UTC)),
    ],
)
def test_parse_datetime(text: str, expected: datetime.datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value.tzinfo is not None


def test_seven_digit_fraction_keeps_raw_text_until_changed() -> None:
    job = models.CloudJob.from_dict({"lastModified": "2016-11-19T00:05:27.5391608Z"})
    assert job.last_modified is not None and job.last_modified.microsecond == 539160
    assert job.as_dict()["lastModified"] == "2016-11-19T00:05:27.5391608Z"
    job.last_modified = datetime.datetime(2020, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    assert job.as_dict()["lastModified"] == "2020-01-02T03:04:05.6Z"


def test_bad_datetime_text_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_datetime("19/11/2016")


# ----------------------------------------------------------------------------------- durations

UNLIMITED = "P10675199DT2H48M5.4775807S"


def test_durations_beyond_the_service_maximum_are_sent_as_the_maximum() -> None:
    constraints = models.JobConstraints(max_wall_clock_time=datetime.timedelta.max)
    assert constraints.as_dict() == {"maxWallClockTime": UNLIMITED}


def test_a_duration_too_large_for_python_is_a_deserialization_error() -> None:
    with pytest.raises(DeserializationError, match=r"JobConstraints\.max_wall_clock_time"):
        _ = models.JobConstraints.from_dict({"maxWallClockTime": "P1000000000D"}).max_wall_clock_time


def test_unlimited_duration_truncates_and_never_grows() -> None:
    value = parse_duration(UNLIMITED)
    assert value == datetime.timedelta(days=10675199, hours=2, minutes=48, seconds=5, microseconds=477580)
    text = format_duration(value)
    assert text == "P10675199DT2H48M5.47758S"
    assert parse_duration(text) <= value
    # Unread, the exact wire text goes back; read, it is re-encoded no larger than received.
    constraints = models.JobConstraints.from_dict({"maxWallClockTime": UNLIMITED})
    assert constraints.as_dict() == {"maxWallClockTime": UNLIMITED}
    assert constraints.max_wall_clock_time == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", datetime.timedelta(hours=1)),
        ("PT15M", datetime.timedelta(minutes=15)),
        ("P7D", datetime.timedelta(days=7)),
        ("PT0S", datetime.timedelta(0)),
        ("PT0.5S", datetime.timedelta(milliseconds=500)),
        ("P2W", datetime.timedelta(days=14)),
        ("P3Y6M4DT12H30M5S", datetime.timedelta(days=3 * 365 + 6 * 30 + 4, hours=12, minutes=30, seconds=5)),
        ("P1M", datetime.timedelta(days=30)),
        ("P1Y", datetime.timedelta(days=365)),
        ("PT1.5H", datetime.timedelta(minutes=90)),
        ("-PT1M", datetime.timedelta(minutes=-1)),
    ],
)
def test_parse_duration(text: str, expected: datetime.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "1H", "P1H", "PT1D", "P1DT", "garbage"])
def test_bad_duration_text_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime.timedelta(hours=1), "PT1H"),
        (datetime.timedelta(days=1, hours=2), "P1DT2H"),
        (datetime.timedelta(0), "PT0S"),
        (datetime.timedelta(seconds=0.25), "PT0.25S"),
        (datetime.timedelta(days=7), "P7D"),
        (datetime.timedelta(minutes=-90), "-PT1H30M"),
    ],
)
def test_format_duration(value: datetime.timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_calendar_duration_from_another_client_decodes() -> None:
    job = models.CloudJob.from_dict({"constraints": {"maxWallClockTime": "P1Y2M"}})
    assert job.constraints is not None
    assert job.constraints.max_wall_clock_time == datetime.timedelta(days=365 + 60)


# ----------------------------------------------------------------------------------- enums


def test_enum_members_equal_their_wire_strings() -> None:
    assert models.JobState.ACTIVE == "active"
    assert str(models.JobState.ACTIVE) == "active"
    assert f"{models.DisableJobOption.REQUEUE}" == "requeue"


@pytest.mark.parametrize(
    ("cls", "wire", "member"),
    [
        (models.ComputeNodeFillType, "Spread", models.ComputeNodeFillType.SPREAD),
        (models.ErrorCategory, "UserError", models.ErrorCategory.USER_ERROR),
        (models.CertificateStoreLocation, "LocalMachine", models.CertificateStoreLocation.LOCAL_MACHINE),
        (models.ContainerType, "DOCKERCOMPATIBLE", models.ContainerType.DOCKER_COMPATIBLE),
    ],
)
def test_enum_values_match_case_insensitively_and_emit_spec_spelling(
    cls: type[models.BatchEnum], wire: str, member: models.BatchEnum
) -> None:
    assert cls.lookup(wire) is member
    assert cls.lookup(wire.swapcase()) is member


def test_values_read_in_another_casing_are_sent_in_the_spec_spelling() -> None:
    policy = models.TaskSchedulingPolicy.from_dict({"nodeFillType": "Spread"})
    assert policy.as_dict() == {"nodeFillType": "spread"}  # untouched, still normalised
    assert policy.node_fill_type is models.ComputeNodeFillType.SPREAD
    policy.node_fill_type = "PACK"
    assert policy.as_dict() == {"nodeFillType": "pack"}


def test_casing_is_normalised_deep_inside_a_fetched_job() -> None:
    fetched = models.CloudJob.from_dict(
        {
            "onAllTasksComplete": "TerminateJob",
            "poolInfo": {
                "autoPoolSpecification": {
                    "poolLifetimeOption": "Job",
                    "pool": {"vmSize": "s", "taskSchedulingPolicy": {"nodeFillType": "PACK"}},
                }
            },
            "executionInfo": {
                "startTime": "2020-01-01T00:00:00Z",
                "schedulingError": {"category": "UserError"},
            },
        }
    )
    out = fetched.as_dict()
    assert out["onAllTasksComplete"] == "terminatejob"
    auto = out["poolInfo"]["autoPoolSpecification"]
    assert auto["poolLifetimeOption"] == "job"
    assert auto["pool"]["taskSchedulingPolicy"] == {"nodeFillType": "pack"}
    assert out["executionInfo"]["schedulingError"] == {"category": "usererror"}
    assert out["executionInfo"]["startTime"] == "2020-01-01T00:00:00Z"


def test_unknown_enum_value_is_kept_as_plain_string() -> None:
    job = models.CloudJob.from_dict({"state": "hibernating"})
    assert job.state == "hibernating"
    assert not isinstance(job.state, models.JobState)
    job.state = job.state  # re-set: encodes the unknown string as given
    assert job.as_dict() == {"state": "hibernating"}


def test_models_are_not_hashable_but_comparable() -> None:
    with pytest.raises(TypeError):
        hash(models.PoolInformation(pool_id="p"))


def test_from_dict_rejects_non_mappings() -> None:
    with pytest.raises(TypeError, match="CloudJob"):
        models.CloudJob.from_dict(["not", "a", "dict"])  # type: ignore[arg-type]


def test_from_dict_copies_deeply_so_setting_a_nested_property_leaves_the_callers_data_alone() -> None:
    wire = {"id": "j", "poolInfo": {"poolId": "p"}, "metadata": [{"name": "a", "value": "1"}]}
    job = models.CloudJob.from_dict(wire)
    job.pool_info.pool_id = "other"
    job.metadata[0].value = "2"
    assert wire == {"id": "j", "poolInfo": {"poolId": "p"}, "metadata": [{"name": "a", "value": "1"}]}
    assert job.as_dict()["poolInfo"] == {"poolId": "other"}


def test_from_dict_copies_hostile_nesting_without_recursion() -> None:
    deep: object = "leaf"
    for _ in range(20_000):
        deep = [deep]
    wire = {"id": "j", "metadata": deep}
    job = models.CloudJob.from_dict(wire)
    assert job.as_dict()["metadata"] is not deep  # a copy, made without overflowing the stack


@pytest.mark.parametrize(
    "name", ["PASSWORD", "DB_PASSWORD", "api_token", "StorageKey", "sas", "CONNECTION_STRING"]
)
def test_repr_hides_the_value_of_a_pair_named_like_a_secret(name: str) -> None:
    setting = models.EnvironmentSetting(name=name, value="hunter2-value")
    item = models.MetadataItem(name=name, value="hunter2-value")
    job = models.JobAddParameter(id="j", common_environment_settings=[setting], metadata=[item])
    for text in (repr(setting), repr(item), repr(job)):
        assert "hunter2-value" not in text
        assert name in text  # the name stays: it says what was hidden


def test_repr_keeps_ordinary_pair_values() -> None:
    assert (
        repr(models.EnvironmentSetting(name="PATH", value="/bin"))
        == "EnvironmentSetting(name='PATH', value='/bin')"
    )
