"""Paging of the three listings: following ``odata.nextLink``, laziness, resuming, and link safety."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_httpx import HTTPXMock

from azbatch import models
from azbatch.aio import BatchClient
from azbatch.exceptions import BatchDecodeError, BatchResourceNotFoundError

from .conftest import (
    API_VERSION,
    ENDPOINT,
    HOST,
    ClientFactory,
    batch_error,
    collect,
    load_example,
    query_items,
)

LINK_2 = f"{ENDPOINT}/jobs?$skiptoken=page-2&api-version={API_VERSION}"
LINK_3 = f"{ENDPOINT}/jobs?$skiptoken=page-3&api-version={API_VERSION}"


def _jobs(*ids: str) -> list[dict[str, Any]]:
    return [{"id": job_id, "state": "active"} for job_id in ids]


def _three_pages(
    httpx_mock: HTTPXMock, first_url: str = f"{ENDPOINT}/jobs?api-version={API_VERSION}"
) -> None:
    httpx_mock.add_response(url=first_url, json={"value": _jobs("a", "b"), "odata.nextLink": LINK_2})
    httpx_mock.add_response(url=LINK_2, json={"value": _jobs("c", "d"), "odata.nextLink": LINK_3})
    httpx_mock.add_response(url=LINK_3, json={"value": _jobs("e")})


async def test_list_follows_next_links_across_three_pages(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    _three_pages(httpx_mock)

    jobs = await collect(client.jobs.list())

    assert [job.id for job in jobs] == ["a", "b", "c", "d", "e"]
    assert all(isinstance(job, models.CloudJob) for job in jobs)
    requests = httpx_mock.get_requests()
    assert len(requests) == 3
    assert all(r.method == "GET" and r.url.host == HOST and r.url.path == "/jobs" for r in requests)
    assert [query_items(r) for r in requests] == [
        [("api-version", API_VERSION)],
        [("$skiptoken", "page-2"), ("api-version", API_VERSION)],
        [("$skiptoken", "page-3"), ("api-version", API_VERSION)],
    ]
    # Every page request is signed on its own.
    assert all(r.headers["Authorization"].startswith("SharedKey account:") for r in requests)


async def test_each_page_request_gets_its_own_client_request_id(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    _three_pages(httpx_mock)

    await collect(client.jobs.list())

    ids = [r.headers["client-request-id"] for r in httpx_mock.get_requests()]
    assert len(ids) == 3
    assert len(set(ids)) == 3


async def test_first_page_keeps_the_listing_query(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    first = f"{ENDPOINT}/jobs?api-version={API_VERSION}&$filter=state%20eq%20'active'&maxresults=2&timeout=10"
    httpx_mock.add_response(url=first, json={"value": _jobs("a", "b"), "odata.nextLink": LINK_2})
    httpx_mock.add_response(url=LINK_2 + "&timeout=10", json={"value": _jobs("c", "d")})

    jobs = await collect(client.jobs.list(filter="state eq 'active'", max_results=2, service_timeout=10))

    assert len(jobs) == 4
    # The next link is followed as the service wrote it (its query is the skip token), plus the
    # caller's server timeout, which the link does not repeat but every page should honour.
    assert query_items(httpx_mock.get_requests()[1]) == [
        ("$skiptoken", "page-2"),
        ("api-version", API_VERSION),
        ("timeout", "10"),
    ]


async def test_list_is_lazy(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    _three_pages(httpx_mock)

    pager = client.jobs.list()
    assert not httpx_mock.get_requests()

    first = await pager.__anext__()
    assert first.id == "a"
    assert len(httpx_mock.get_requests()) == 1  # only the first page so far

    rest = [job.id async for job in pager]
    assert rest == ["b", "c", "d", "e"]
    assert len(httpx_mock.get_requests()) == 3


@pytest.mark.parametrize(
    "operation", ["list", "list_from_job_schedule", "list_preparation_and_release_task_status"]
)
async def test_every_listing_is_lazy(operation: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    args = () if operation == "list" else ("id-1",)

    pager = getattr(client.jobs, operation)(*args)

    assert pager is not None
    assert not httpx_mock.get_requests()


async def test_by_page_yields_pages(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    _three_pages(httpx_mock)

    pages = [[job.id async for job in page] async for page in client.jobs.list().by_page()]

    assert pages == [["a", "b"], ["c", "d"], ["e"]]


async def test_by_page_exposes_the_continuation_token(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    _three_pages(httpx_mock)
    pages = client.jobs.list().by_page()
    tokens = []

    async for page in pages:
        [job async for job in page]
        tokens.append(pages.continuation_token)

    assert tokens == [LINK_2, LINK_3, None]


async def test_resume_from_the_second_page(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=LINK_2, json={"value": _jobs("c", "d"), "odata.nextLink": LINK_3})
    httpx_mock.add_response(url=LINK_3, json={"value": _jobs("e")})

    pages = [
        [job.id async for job in page] async for page in client.jobs.list().by_page(continuation_token=LINK_2)
    ]

    assert pages == [["c", "d"], ["e"]]
    requests = httpx_mock.get_requests()
    assert [r.url.params["$skiptoken"] for r in requests] == ["page-2", "page-3"]


async def test_resume_with_a_token_taken_from_an_earlier_run(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version={API_VERSION}",
        json={"value": _jobs("a", "b"), "odata.nextLink": LINK_2},
    )
    httpx_mock.add_response(url=LINK_2, json={"value": _jobs("c")})

    pages = client.jobs.list().by_page()
    first = [job.id async for job in await pages.__anext__()]
    token = pages.continuation_token
    resumed = [
        job.id async for page in client.jobs.list().by_page(continuation_token=token) async for job in page
    ]

    assert (first, token, resumed) == (["a", "b"], LINK_2, ["c"])


async def test_next_link_request_uses_the_clients_api_version(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    client_version = "2023-05-01.17.0"
    link = f"{ENDPOINT}/jobs?$skiptoken=page-2&api-version=2099-01-01.99.0"
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version={client_version}",
        json={"value": _jobs("a"), "odata.nextLink": link},
    )
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?$skiptoken=page-2&api-version={client_version}", json={"value": []}
    )

    async with make_client(api_version=client_version) as client:
        await collect(client.jobs.list())

    second = httpx_mock.get_requests()[1]
    assert second.url.params.get_list("api-version") == [client_version]
    assert query_items(second) == [("$skiptoken", "page-2"), ("api-version", client_version)]


async def test_next_link_without_api_version_gets_one(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    link = f"{ENDPOINT}/jobs?$skiptoken=page-2"
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version={API_VERSION}", json={"value": _jobs("a"), "odata.nextLink": link}
    )
    httpx_mock.add_response(url=f"{link}&api-version={API_VERSION}", json={"value": _jobs("b")})

    assert [job.id for job in await collect(client.jobs.list())] == ["a", "b"]


@pytest.mark.parametrize(
    "foreign",
    [
        "https://evil.example.com/jobs?$skiptoken=page-2&api-version=2024-02-01.19.0",
        "http://account.region.batch.azure.com/jobs?$skiptoken=page-2",  # same host, downgraded to http
        "https://account.region.batch.azure.com.evil.example.com/jobs?$skiptoken=page-2",
        "https://account.region.batch.azure.com:8443/jobs?$skiptoken=page-2",
        "//evil.example.com/jobs?$skiptoken=page-2",
    ],
)
async def test_next_link_to_another_origin_is_refused(
    foreign: str, client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": _jobs("a"), "odata.nextLink": foreign})

    seen = []
    # The service's own link: a malformed answer (typed as azure-core's DecodeError), never followed.
    with pytest.raises(BatchDecodeError, match="does not point at the client's endpoint"):
        async for job in client.jobs.list():
            seen.append(job.id)

    assert seen == ["a"]
    requests = httpx_mock.get_requests()
    assert len(requests) == 1
    assert all(r.url.host == HOST for r in requests)


async def test_foreign_continuation_token_is_refused_without_a_request(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    with pytest.raises(ValueError, match="continuation_token"):
        await collect(
            client.jobs.list().by_page(continuation_token="https://evil.example.com/jobs?$skiptoken=x")
        )

    assert not httpx_mock.get_requests()


async def test_empty_page_with_a_next_link_is_followed(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version={API_VERSION}", json={"value": [], "odata.nextLink": LINK_2}
    )
    httpx_mock.add_response(url=LINK_2, json={"value": [], "odata.nextLink": LINK_3})
    httpx_mock.add_response(url=LINK_3, json={"value": _jobs("late")})

    jobs = await collect(client.jobs.list())

    assert [job.id for job in jobs] == ["late"]
    assert len(httpx_mock.get_requests()) == 3


@pytest.mark.parametrize(
    "end", [{"odata.nextLink": None}, {"odata.nextLink": ""}, {}], ids=["null", "empty", "absent"]
)
async def test_paging_stops_without_a_next_link(
    end: dict[str, Any], client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": _jobs("only"), **end})

    assert [job.id for job in await collect(client.jobs.list())] == ["only"]
    assert len(httpx_mock.get_requests()) == 1


async def test_page_without_value_is_empty(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"odata.nextLink": LINK_2})
    httpx_mock.add_response(url=LINK_2, json={"value": _jobs("x")})

    assert [job.id for job in await collect(client.jobs.list())] == ["x"]


async def test_list_from_job_schedule_pages(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    base = f"{ENDPOINT}/jobschedules/nightly/jobs"
    link = f"{base}?$skiptoken=2&api-version={API_VERSION}"
    first = load_example("JobListFromJobSchedule")["responses"]["200"]["body"]
    first["odata.nextLink"] = link
    httpx_mock.add_response(url=f"{base}?api-version={API_VERSION}&maxresults=1", json=first)
    httpx_mock.add_response(url=link, json={"value": _jobs("nightly:job-2")})

    pages = [
        [job.id async for job in page]
        async for page in client.jobs.list_from_job_schedule("nightly", max_results=1).by_page()
    ]

    assert pages == [["jobId"], ["nightly:job-2"]]
    assert [r.url.path for r in httpx_mock.get_requests()] == ["/jobschedules/nightly/jobs"] * 2


async def test_list_preparation_and_release_task_status_pages(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    # The spec example's own next link (note its path differs from the first request's; it is used as given).
    first = load_example("JobListPreparationAndReleaseTaskStatus")["responses"]["200"]["body"]
    link = first["odata.nextLink"]
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs/myjob/jobpreparationandreleasetaskstatus?api-version={API_VERSION}", json=first
    )
    httpx_mock.add_response(
        url=link,
        json={
            "value": [
                {
                    "poolId": "poolId",
                    "nodeId": "tvm-2",
                    "jobPreparationTaskExecutionInfo": {"state": "running"},
                }
            ]
        },
    )

    entries = await collect(client.jobs.list_preparation_and_release_task_status("myjob"))

    assert [e.node_id for e in entries] == ["tvm-2167304207_1-20140905t174658z", "tvm-2"]
    assert all(isinstance(e, models.JobPreparationAndReleaseTaskExecutionInformation) for e in entries)
    assert entries[1].job_preparation_task_execution_info.state is models.JobPreparationTaskState.RUNNING
    second = httpx_mock.get_requests()[1]
    assert second.url.path == "/jobs/myjob/jobpreparationandreleasestatus"
    # The mixed-case $skipToken of the link is kept as sent.
    assert query_items(second) == [
        ("$skipToken", "tvm-2167304207_1-20140905t174658z"),
        ("api-version", API_VERSION),
    ]


async def test_error_on_a_later_page_reaches_the_caller(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(
        url=f"{ENDPOINT}/jobs?api-version={API_VERSION}", json={"value": _jobs("a"), "odata.nextLink": LINK_2}
    )
    httpx_mock.add_response(
        url=LINK_2, status_code=404, json=batch_error("ResourceNotFound", "skip token expired")
    )

    seen = []
    with pytest.raises(BatchResourceNotFoundError) as caught:
        async for job in client.jobs.list():
            seen.append(job.id)

    assert seen == ["a"]
    assert caught.value.code == "ResourceNotFound"
    # azure-core records where paging stopped so the caller can resume.
    assert caught.value.continuation_token == LINK_2
