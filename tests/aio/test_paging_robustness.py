"""Paging against hostile or odd services: next-link loops, long runs of empty pages, resuming, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from azure.core.async_paging import AsyncItemPaged
from pytest_httpx import HTTPXMock

from azbatch.aio import BatchClient
from azbatch.exceptions import BatchPagingError, BatchServiceError

from .conftest import API_VERSION, ENDPOINT, batch_error, collect

FIRST = f"{ENDPOINT}/jobs?api-version={API_VERSION}"


def _link(n: int) -> str:
    return f"{ENDPOINT}/jobs?$skiptoken=page-{n}&api-version={API_VERSION}"


def _jobs(*ids: str) -> list[dict[str, Any]]:
    return [{"id": job_id} for job_id in ids]


def _skiptokens(httpx_mock: HTTPXMock) -> list[str | None]:
    return [r.url.params.get("$skiptoken") for r in httpx_mock.get_requests()]


async def test_listing_is_still_an_azure_core_pager(client: BatchClient) -> None:
    assert isinstance(client.jobs.list(), AsyncItemPaged)


async def test_a_next_link_to_itself_is_refused(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=FIRST, json={"value": _jobs("a"), "odata.nextLink": _link(2)})
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b"), "odata.nextLink": _link(2)})

    seen = []
    with pytest.raises(BatchPagingError) as caught:
        async for job in client.jobs.list():
            seen.append(job.id)

    # Every page actually read is delivered; the repeated page is never requested again.
    assert seen == ["a", "b"]
    assert _skiptokens(httpx_mock) == [None, "page-2"]
    error = caught.value
    assert error.next_link == _link(2)
    assert "page-2" in str(error)
    # Resuming from the repeated link would only loop again, so none is offered.
    assert error.continuation_token is None


async def test_a_two_page_cycle_is_refused(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=FIRST, json={"value": _jobs("a"), "odata.nextLink": _link(2)})
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b"), "odata.nextLink": _link(3)})
    httpx_mock.add_response(url=_link(3), json={"value": _jobs("c"), "odata.nextLink": _link(2)})

    pages = client.jobs.list().by_page()
    seen = []
    with pytest.raises(BatchPagingError) as caught:
        async for page in pages:
            seen.append([job.id async for job in page])

    assert seen == [["a"], ["b"], ["c"]]
    assert _skiptokens(httpx_mock) == [None, "page-2", "page-3"]
    assert caught.value.next_link == _link(2)


async def test_a_loop_back_to_a_resumed_token_is_refused(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(url=_link(5), json={"value": _jobs("e"), "odata.nextLink": _link(6)})
    httpx_mock.add_response(url=_link(6), json={"value": _jobs("f"), "odata.nextLink": _link(5)})

    with pytest.raises(BatchPagingError):
        await collect(client.jobs.list().by_page(continuation_token=_link(5)))

    assert _skiptokens(httpx_mock) == ["page-5", "page-6"]


async def test_a_repeated_link_is_masked_in_the_error(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    looping = f"{_link(2)}&sig=TOPSECRETSIGNATURE"
    httpx_mock.add_response(url=FIRST, json={"value": [], "odata.nextLink": looping})
    httpx_mock.add_response(url=looping, json={"value": [], "odata.nextLink": looping})

    with pytest.raises(BatchPagingError) as caught:
        await collect(client.jobs.list())

    error = caught.value
    assert "TOPSECRETSIGNATURE" not in str(error) + repr(error) + error.next_link + error.message
    assert "sig=REDACTED" in error.next_link


async def test_two_thousand_empty_pages_then_items(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    empty_pages = 2000

    def serve(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("$skiptoken")
        n = 0 if token is None else int(token.removeprefix("page-"))
        if n < empty_pages:
            return httpx.Response(200, json={"value": [], "odata.nextLink": _link(n + 1)})
        return httpx.Response(200, json={"value": _jobs("late-1", "late-2")})

    httpx_mock.add_callback(serve, is_reusable=True)

    jobs = await collect(client.jobs.list())

    assert [job.id for job in jobs] == ["late-1", "late-2"]
    assert len(httpx_mock.get_requests()) == empty_pages + 1


async def test_the_same_token_may_be_used_by_another_iteration(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    # Loop detection is per iteration: resuming twice from one token is not a loop.
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b")}, is_reusable=True)
    pager = client.jobs.list()

    first = [job.id async for page in pager.by_page(continuation_token=_link(2)) async for job in page]
    second = [job.id async for page in pager.by_page(continuation_token=_link(2)) async for job in page]

    assert first == second == ["b"]


async def test_resume_by_continuation_token_after_the_first_page(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=FIRST, json={"value": _jobs("a"), "odata.nextLink": _link(2)})
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b"), "odata.nextLink": _link(3)})
    httpx_mock.add_response(url=_link(3), json={"value": _jobs("c")})

    pages = client.jobs.list().by_page()
    first = [job.id async for job in await pages.__anext__()]
    token = pages.continuation_token
    rest = [
        job.id async for page in client.jobs.list().by_page(continuation_token=token) async for job in page
    ]

    assert (first, token, rest) == (["a"], _link(2), ["b", "c"])


async def test_an_error_mid_listing_keeps_the_continuation_token(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(url=FIRST, json={"value": [], "odata.nextLink": _link(2)})
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b"), "odata.nextLink": _link(3)})
    httpx_mock.add_response(url=_link(3), status_code=500, json=batch_error("InternalError", "try later"))
    httpx_mock.add_response(url=_link(3), json={"value": _jobs("c")})

    seen = []
    with pytest.raises(BatchServiceError) as caught:
        async for job in client.jobs.list(retry_total=0):
            seen.append(job.id)

    assert seen == ["b"]
    token = caught.value.continuation_token
    assert token == _link(3)
    resumed = await collect(client.jobs.list().by_page(continuation_token=token))
    assert len(resumed) == 1


async def test_a_pager_keeps_going_after_an_error(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    # Like azure-core's pager: iterating again after a failed page retries that page.
    httpx_mock.add_response(url=FIRST, json={"value": _jobs("a"), "odata.nextLink": _link(2)})
    httpx_mock.add_response(url=_link(2), status_code=500, json=batch_error("InternalError", "busy"))
    httpx_mock.add_response(url=_link(2), json={"value": _jobs("b")})
    pager = client.jobs.list(retry_total=0)

    first = await pager.__anext__()
    with pytest.raises(BatchServiceError):
        await pager.__anext__()
    rest = [job.id async for job in pager]

    assert (first.id, rest) == ("a", ["b"])
