"""Listing: keyset continuation, next links, filters over HTTP, and O(page) cost with 10,000 jobs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from azbatch.emulator import BatchEmulator

from ._client import API_VERSION, Api, assert_batch_error

MAX_PAGES = 50


def seed(emu: BatchEmulator, ids: list[str], **props: Any) -> None:
    for job_id in ids:
        emu.store.add_job({"id": job_id, "poolInfo": {"poolId": "pool"}, **props})


async def collect(api: Api, path: str, query: dict[str, str]) -> list[list[str]]:
    """Follow next links (bounded); return the ids of each page."""
    pages: list[list[str]] = []
    reply = await api.call("GET", path, query=query)
    for _ in range(MAX_PAGES):
        assert reply.status == 200, reply.raw
        body = reply.body
        pages.append([item.get("id") or item.get("nodeId") for item in body["value"]])
        link = body.get("odata.nextLink")
        if link is None:
            return pages
        reply = await api.url("GET", link)
    raise AssertionError("too many pages")


async def test_three_pages_with_next_links(api: Api, emu: BatchEmulator) -> None:
    ids = [f"job-{i:02d}" for i in range(25)]
    seed(emu, list(reversed(ids)))
    first = await api.call("GET", "/jobs", query={"maxresults": "10", "$select": "id"})
    link = first.body["odata.nextLink"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == emu.endpoint
    assert parts.path == "/jobs"
    query = dict(parse_qsl(parts.query))
    assert query["api-version"] == API_VERSION
    assert query["maxresults"] == "10" and query["$select"] == "id"
    assert "$skiptoken" in query and "$skipToken" not in parts.query
    pages = await collect(api, "/jobs", {"maxresults": "10"})
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [i for p in pages for i in p] == ids


async def test_next_link_uses_the_host_the_client_used(api: Api, emu: BatchEmulator) -> None:
    seed(emu, ["a", "b"])
    reply = await api.call(
        "GET", "/jobs", query={"maxresults": "1"}, headers={"Host": f"localhost:{emu.port}"}
    )
    assert reply.body["odata.nextLink"].startswith(f"http://localhost:{emu.port}/jobs?")
    assert reply.body["value"][0]["url"] == f"http://localhost:{emu.port}/jobs/a"


async def test_order_is_case_insensitive_by_id(api: Api, emu: BatchEmulator) -> None:
    seed(emu, ["b", "A", "c", "B1"])
    pages = await collect(api, "/jobs", {"maxresults": "3"})
    assert [i for p in pages for i in p] == ["A", "b", "B1", "c"]


async def test_continuation_is_stable_under_inserts_and_deletes(api: Api, emu: BatchEmulator) -> None:
    emu.store.transition_ms = 0
    ids = [f"j{i:03d}" for i in range(30)]
    seed(emu, ids)
    first = await api.call("GET", "/jobs", query={"maxresults": "10"})
    seen = [job["id"] for job in first.body["value"]]
    assert seen == ids[:10]
    emu.store.delete_job("j005")  # already seen
    emu.store.delete_job("j015")  # not seen yet
    seed(emu, ["a-before-the-cursor", "j0085", "j0095", "zzz"])
    link = first.body["odata.nextLink"]
    for _ in range(MAX_PAGES):
        body = (await api.url("GET", link)).body
        seen += [job["id"] for job in body["value"]]
        link = body.get("odata.nextLink")
        if link is None:
            break
    expected_rest = sorted([*ids[10:], "j0095", "zzz"])  # "j0095" sorts after the cursor "j009"
    expected_rest.remove("j015")
    assert seen == ids[:10] + expected_rest
    assert len(seen) == len(set(seen))


async def test_filter_across_pages(api: Api, emu: BatchEmulator) -> None:
    ids = [f"f{i:02d}" for i in range(20)]
    seed(emu, ids)
    for job_id in ids[::2]:
        emu.store.force_state(job_id, "disabled")
    query = {"$filter": "state eq 'disabled' and startswith(id, 'f1')", "maxresults": "2"}
    pages = await collect(api, "/jobs", query)
    assert [i for p in pages for i in p] == ["f10", "f12", "f14", "f16", "f18"]
    assert all(len(p) == 2 for p in pages[:-1])
    first = await api.call("GET", "/jobs", query=query)
    assert dict(parse_qsl(urlsplit(first.body["odata.nextLink"]).query))["$filter"] == query["$filter"]


async def test_filter_by_time_and_pool(api: Api, emu: BatchEmulator) -> None:
    hour = 3600 * 10_000_000
    for i, job_id in enumerate(["t0", "t1", "t2", "t3"]):
        created = 17_040_672_000_000_000 + i * hour  # 2024-01-01T00:00Z + i hours
        emu.store.clock = lambda created=created: created  # type: ignore[misc]
        emu.store.add_job({"id": job_id, "poolInfo": {"poolId": "special" if job_id == "t3" else "pool"}})
    query = {"$filter": "creationTime ge datetime'2024-01-01T01:00:00Z' and executionInfo/poolId eq 'pool'"}
    assert await collect(api, "/jobs", query) == [["t1", "t2"]]
    query = {
        "$filter": "creationTime lt '2024-01-01T01:00:00.0000001Z' or startswith(executionInfo/poolId,'spec')"
    }
    assert await collect(api, "/jobs", query) == [["t0", "t1", "t3"]]


async def test_short_and_empty_pages_still_continue(api: Api, emu: BatchEmulator) -> None:
    seed(emu, [f"s{i:02d}" for i in range(12)])
    emu.store.page_scan_limit = 3
    pages = await collect(api, "/jobs", {"$filter": "id eq 's10' or id eq 's01'", "maxresults": "5"})
    # Each page examines at most 3 jobs, so selective filters give short and empty pages with next links.
    assert pages == [["s01"], [], [], ["s10"]]


async def test_token_is_bound_to_its_listing(api: Api, emu: BatchEmulator) -> None:
    emu.store.add_job_schedule("sched")
    for i in range(3):
        emu.store.add_job({"id": f"s{i}", "poolInfo": {"poolId": "p"}}, schedule_id="sched")
    link = (await api.call("GET", "/jobschedules/sched/jobs", query={"maxresults": "1"})).body[
        "odata.nextLink"
    ]
    token = dict(parse_qsl(urlsplit(link).query))["$skiptoken"]
    reply = await api.call("GET", "/jobs", query={"$skiptoken": token})
    assert_batch_error(reply, 400, "InvalidQueryParameterValue")
    assert reply.detail("QueryParameterName") == "$skiptoken"
    pages = await collect(api, "/jobschedules/sched/jobs", {"maxresults": "2"})
    assert pages == [["s0", "s1"], ["s2"]]


async def test_prep_release_status_paging_and_filter(api: Api, emu: BatchEmulator) -> None:
    await api.add("pr", jobPreparationTask={"commandLine": "prep"})
    entries = [
        {
            "nodeId": f"tvm-{i}",
            "jobPreparationTaskExecutionInfo": {
                "state": "completed",
                "startTime": "2024-01-01T00:00:00Z",
                "exitCode": i % 2,
                "retryCount": 0,
            },
        }
        for i in range(5)
    ]
    emu.store.set_prep_release_status("pr", entries)
    path = "/jobs/pr/jobpreparationandreleasetaskstatus"
    assert await collect(api, path, {"maxresults": "2"}) == [
        ["tvm-0", "tvm-1"],
        ["tvm-2", "tvm-3"],
        ["tvm-4"],
    ]
    query = {"$filter": "jobPreparationTaskExecutionInfo/exitCode eq 1", "maxresults": "1"}
    assert [i for p in await collect(api, path, query) for i in p] == ["tvm-1", "tvm-3"]
    selected = (await api.call("GET", path, query={"$select": "nodeId,poolId", "maxresults": "1"})).body
    assert selected["value"] == [{"nodeId": "tvm-0", "poolId": "pool"}]


@pytest.mark.batch_emulator(transition_ms=0)
async def test_ten_thousand_jobs_page_in_constant_work(api: Api, emu: BatchEmulator) -> None:
    total = 10_000
    ids = [f"job-{i:05d}" for i in range(total)]
    seed(emu, ids[::-1])  # insertion order must not matter
    counters = emu.store.counters
    seen: list[str] = []
    visits_per_page: list[int] = []
    reply = await api.call("GET", "/jobs", query={"maxresults": "1000", "$select": "id"})
    for _ in range(MAX_PAGES):
        before = counters.visited
        assert reply.status == 200
        body = reply.body
        seen += [job["id"] for job in body["value"]]
        link = body.get("odata.nextLink")
        if link is None:
            break
        reply = await api.url("GET", link)
        visits_per_page.append(counters.visited - before)
    assert seen == ids  # every id once, in order
    assert counters.pages == 10
    assert counters.visited == total  # no page examined anything twice or anything outside itself
    assert visits_per_page and all(v == 1000 for v in visits_per_page)
