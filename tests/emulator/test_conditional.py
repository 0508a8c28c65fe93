"""Conditional requests: If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since."""

from __future__ import annotations

import email.utils

import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error

T0 = 17_000_000_000_000_000  # 2023-11-14T22:13:20Z
SECOND = 10_000_000


def http_date(ticks: int) -> str:
    return email.utils.formatdate(ticks // SECOND, usegmt=True)


@pytest.fixture
async def etag(api: Api, emu: BatchEmulator) -> str:
    emu.store.clock = lambda: T0 + 5_000_000  # half a second past T0
    await api.add("c")
    return (await api.get("c")).headers["ETag"]


async def test_get_if_none_match(api: Api, etag: str) -> None:
    not_modified = await api.call("GET", "/jobs/c", headers={"If-None-Match": etag})
    assert not_modified.status == 304
    assert not_modified.raw == b""
    assert not_modified.headers["ETag"] == etag
    assert "request-id" in not_modified.headers
    assert (await api.call("GET", "/jobs/c", headers={"If-None-Match": "*"})).status == 304
    assert (await api.call("GET", "/jobs/c", headers={"If-None-Match": '"0x8D000"'})).status == 200
    assert (await api.call("GET", "/jobs/c", headers={"If-None-Match": f'"0x1", "{etag}"'})).status == 304


async def test_get_if_modified_since(api: Api, etag: str) -> None:
    # lastModified is T0 + 0.5 s; HTTP dates have whole seconds.
    assert (await api.call("GET", "/jobs/c", headers={"If-Modified-Since": http_date(T0)})).status == 304
    earlier = http_date(T0 - SECOND)
    assert (await api.call("GET", "/jobs/c", headers={"If-Modified-Since": earlier})).status == 200
    # If-None-Match wins over If-Modified-Since.
    both = {"If-None-Match": "0x1", "If-Modified-Since": http_date(T0)}
    assert (await api.call("GET", "/jobs/c", headers=both)).status == 200


async def test_get_if_match_failure_is_412(api: Api, etag: str) -> None:
    assert (await api.call("GET", "/jobs/c", headers={"If-Match": etag})).status == 200
    assert (await api.call("GET", "/jobs/c", headers={"If-Match": f'"{etag}"'})).status == 200
    assert_batch_error(await api.call("GET", "/jobs/c", headers={"If-Match": "0x1"}), 412, "ConditionNotMet")
    late = {"If-Unmodified-Since": http_date(T0 - SECOND)}
    assert_batch_error(await api.call("GET", "/jobs/c", headers=late), 412, "ConditionNotMet")


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("PATCH", "", {"priority": 7}),
        ("PUT", "", {"poolInfo": {"poolId": "pool"}, "priority": 7}),
        ("POST", "/disable", {"disableTasks": "wait"}),
        ("POST", "/terminate", None),
        ("DELETE", "", None),
    ],
)
async def test_writes_fail_with_412_and_change_nothing(
    api: Api, etag: str, method: str, suffix: str, body: object
) -> None:
    data = b"" if body is None else None
    failing = [
        {"If-Match": "0x8D0000000000001"},
        {"If-None-Match": etag},
        {"If-None-Match": "*"},
        {"If-Modified-Since": http_date(T0 + SECOND)},
        {"If-Unmodified-Since": http_date(T0 - SECOND)},
    ]
    for headers in failing:
        reply = await api.call(method, f"/jobs/c{suffix}", body=body, data=data, headers=headers)
        assert_batch_error(reply, 412, "ConditionNotMet")
        assert (await api.get("c")).headers["ETag"] == etag
    ok = await api.call(method, f"/jobs/c{suffix}", body=body, data=data, headers={"If-Match": etag})
    assert ok.status in (200, 202)


async def test_enable_honours_if_match(api: Api, emu: BatchEmulator) -> None:
    await api.add("e")
    emu.store.force_state("e", "disabled")
    etag = (await api.get("e")).headers["ETag"]
    assert_batch_error(
        await api.call("POST", "/jobs/e/enable", data=b"", headers={"If-Match": "0x1"}),
        412,
        "ConditionNotMet",
    )
    assert (await api.call("POST", "/jobs/e/enable", data=b"", headers={"If-Match": etag})).status == 202


async def test_if_match_star_on_missing_job_is_404(api: Api) -> None:
    reply = await api.call("PATCH", "/jobs/none", body={"priority": 1}, headers={"If-Match": "*"})
    assert_batch_error(reply, 404, "JobNotFound")


async def test_etag_from_a_write_is_usable_for_the_next_one(api: Api) -> None:
    await api.add("w")
    first = await api.call("PATCH", "/jobs/w", body={"priority": 1})
    second = await api.call(
        "PATCH", "/jobs/w", body={"priority": 2}, headers={"If-Match": first.headers["ETag"]}
    )
    assert second.status == 200
    stale = await api.call(
        "PATCH", "/jobs/w", body={"priority": 3}, headers={"If-Match": first.headers["ETag"]}
    )
    assert_batch_error(stale, 412, "ConditionNotMet")
    assert (await api.get("w")).body["priority"] == 2
