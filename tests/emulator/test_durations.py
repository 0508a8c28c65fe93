"""Duration properties: exact comparison with .NET TimeSpan.MaxValue, negative and malformed values."""

from __future__ import annotations

from typing import Any

import pytest

from azbatch.emulator import BatchEmulator
from azbatch.emulator._validation import MAX_DURATION, MAX_DURATION_TICKS, duration_ticks

from ._client import Api, assert_batch_error

POOL = {"poolId": "pool"}
MAX = "P10675199DT2H48M5.4775807S"
ONE_TICK_OVER = "P10675199DT2H48M5.4775808S"


# ------------------------------------------------------------------------------------------ the parser


def test_the_maximum_is_timespan_max_value() -> None:
    assert MAX_DURATION == MAX
    assert MAX_DURATION_TICKS == 9_223_372_036_854_775_807
    assert duration_ticks(MAX) == MAX_DURATION_TICKS
    assert duration_ticks(ONE_TICK_OVER) == MAX_DURATION_TICKS + 1


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("PT0S", 0),
        ("P0D", 0),
        ("PT1H", 36_000_000_000),
        ("PT15M", 9_000_000_000),
        ("PT0.0000001S", 1),
        ("PT1.5S", 15_000_000),
        ("PT0.12345679S", 1_234_567),  # digits past the 7th are truncated, never rounded up
        ("P7D", 7 * 864_000_000_000),
        ("P1W", 7 * 864_000_000_000),
        ("P1M", 30 * 864_000_000_000),
        ("P1Y", 365 * 864_000_000_000),
        ("P1Y2M3W4DT5H6M7.1234567S", (450 * 86_400 + 18_367) * 10_000_000 + 1_234_567),
        ("P99999999999999999999D", 99_999_999_999_999_999_999 * 864_000_000_000),
        ("P" + "0" * 5000 + "1D", 864_000_000_000),  # leading zeros are not significant
        ("PT" + "9" * 30 + "S", int("9" * 30) * 10_000_000),
        ("PT" + "1" * 31 + "S", MAX_DURATION_TICKS + 1),  # too many digits to convert: just "over"
    ],
)
def test_duration_ticks_are_exact(text: str, ticks: int) -> None:
    assert duration_ticks(text) == ticks


@pytest.mark.parametrize("text", ["", "P", "PT", "P1DT", "1 hour", "PT1.S", "PT.5S", "P1.5D", "-P1D", "P1H"])
def test_malformed_durations(text: str) -> None:
    assert duration_ticks(text) is None


# ------------------------------------------------------------------------------------ over the wire

# Over TimeSpan.MaxValue by one tick, by a fraction of a second in hours, in years (29,248 years of 365 days) and
# weeks, and absurdly.
TOO_LONG = [
    ONE_TICK_OVER,
    "P10675199DT2H48M6S",
    "P10675200D",
    "PT256204778H48M6S",
    "P29248Y",
    "P1525029W",
    "P99999999999999999999D",
    "PT99999999999999999999999999S",
    "P" + "9" * 5000 + "D",  # longer than Python converts to int by default: still a 400, not a 500
    "PT" + "1" * 31 + "S",
]


@pytest.mark.parametrize("value", TOO_LONG)
async def test_patch_rejects_a_duration_over_the_maximum(api: Api, value: str) -> None:
    await api.add("d")
    before = (await api.get("d")).body["constraints"]
    reply = await api.call("PATCH", "/jobs/d", body={"constraints": {"maxWallClockTime": value}})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "constraints.maxWallClockTime"
    assert reply.detail("PropertyValue") == (value if len(value) <= 200 else value[:197] + "...")
    assert MAX in (reply.detail("Reason") or "")
    assert (await api.get("d")).body["constraints"] == before  # nothing stored


@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_add_and_update_reject_a_duration_over_the_maximum(api: Api, method: str) -> None:
    body: dict[str, Any] = {"poolInfo": POOL, "constraints": {"maxWallClockTime": ONE_TICK_OVER}}
    if method == "POST":
        reply = await api.call("POST", "/jobs", body={"id": "new", **body})
    else:
        await api.add("existing")
        reply = await api.call("PUT", "/jobs/existing", body=body)
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "constraints.maxWallClockTime"


async def test_the_maximum_itself_and_ordinary_values_are_accepted(api: Api) -> None:
    await api.add("ok")
    for value in (MAX, "PT0S", "PT1H", "P1Y", "P10675198D", "PT0.12345678S"):
        reply = await api.call("PATCH", "/jobs/ok", body={"constraints": {"maxWallClockTime": value}})
        assert reply.status == 200, reply.raw
        assert (await api.get("ok")).body["constraints"]["maxWallClockTime"] == value


@pytest.mark.parametrize("value", ["-P1D", "-PT1S", "-PT0S"])
async def test_negative_durations_are_rejected(api: Api, value: str) -> None:
    reply = await api.call(
        "POST", "/jobs", body={"id": "neg", "poolInfo": POOL, "constraints": {"maxWallClockTime": value}}
    )
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "constraints.maxWallClockTime"
    assert "negative" in (reply.detail("Reason") or "")


TASK = {"id": "jm", "commandLine": "echo"}
AUTO_POOL: dict[str, Any] = {"poolLifetimeOption": "job", "pool": {"vmSize": "small"}}


@pytest.mark.parametrize(
    ("props", "name"),
    [
        (
            {"jobManagerTask": {**TASK, "constraints": {"maxWallClockTime": ONE_TICK_OVER}}},
            "jobManagerTask.constraints.maxWallClockTime",
        ),
        (
            {"jobManagerTask": {**TASK, "constraints": {"retentionTime": "-P1D"}}},
            "jobManagerTask.constraints.retentionTime",
        ),
        (
            {"jobPreparationTask": {"commandLine": "x", "constraints": {"retentionTime": "P99999999999D"}}},
            "jobPreparationTask.constraints.retentionTime",
        ),
        (
            {"jobReleaseTask": {"commandLine": "x", "maxWallClockTime": "P30000Y"}},
            "jobReleaseTask.maxWallClockTime",
        ),
        ({"jobReleaseTask": {"commandLine": "x", "retentionTime": "soon"}}, "jobReleaseTask.retentionTime"),
    ],
)
async def test_task_durations_are_checked(api: Api, props: dict[str, Any], name: str) -> None:
    reply = await api.call("POST", "/jobs", body={"id": "t", "poolInfo": POOL, **props})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == name
    assert (await api.call("GET", "/jobs")).body["value"] == []


@pytest.mark.parametrize(
    ("pool", "name"),
    [
        ({"resizeTimeout": ONE_TICK_OVER}, "resizeTimeout"),
        ({"autoScaleEvaluationInterval": "-PT5M"}, "autoScaleEvaluationInterval"),
        (
            {
                "upgradePolicy": {
                    "rollingUpgradePolicy": {"pauseTimeBetweenBatches": "P99999999999999999999D"}
                }
            },
            "upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches",
        ),
    ],
)
async def test_auto_pool_durations_are_checked(api: Api, pool: dict[str, Any], name: str) -> None:
    spec = {**AUTO_POOL, "pool": {**AUTO_POOL["pool"], **pool}}
    reply = await api.call("POST", "/jobs", body={"id": "p", "poolInfo": {"autoPoolSpecification": spec}})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "poolInfo.autoPoolSpecification.pool." + name


async def test_valid_nested_durations_are_stored_as_sent(api: Api) -> None:
    body = {
        "id": "nested",
        "poolInfo": {
            "autoPoolSpecification": {**AUTO_POOL, "pool": {"vmSize": "small", "resizeTimeout": "PT15M"}}
        },
        "jobManagerTask": {**TASK, "constraints": {"maxWallClockTime": MAX, "retentionTime": "P7D"}},
        "jobReleaseTask": {"commandLine": "x", "maxWallClockTime": "PT15M"},
    }
    assert (await api.call("POST", "/jobs", body=body)).status == 201
    job = (await api.get("nested")).body
    assert job["jobManagerTask"]["constraints"] == {"maxWallClockTime": MAX, "retentionTime": "P7D"}
    assert job["poolInfo"]["autoPoolSpecification"]["pool"]["resizeTimeout"] == "PT15M"


async def test_seeding_through_the_admin_api_checks_durations(api: Api, emu: BatchEmulator) -> None:
    job = {"id": "seeded", "poolInfo": POOL, "constraints": {"maxWallClockTime": ONE_TICK_OVER}}
    reply = await api.admin("POST", "/jobs", {"job": job})
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == "constraints.maxWallClockTime"
    assert emu.store.job_ids() == []
