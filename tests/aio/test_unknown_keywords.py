"""A keyword no parameter, policy or transport reads is refused up front, naming operation and keyword."""

from __future__ import annotations

import pytest
from pytest_httpx import HTTPXMock

from azbatch import models

from .conftest import ClientFactory, only_request


async def test_misspelt_pipeline_keyword_is_refused_before_sending(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(
            TypeError, match=r"get\(\) got an unexpected keyword argument 'retry_totl'"
        ) as info:
            await client.jobs.get("job-1", retry_totl=3)
    assert "did you mean 'retry_total'" in str(info.value)
    assert httpx_mock.get_requests() == []


async def test_misspelt_operation_keyword_suggests_the_parameter(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match=r"terminate\(\) .*'terminate_reson'.*'terminate_reason'"):
            await client.jobs.terminate("job-1", terminate_reson="done")
    assert httpx_mock.get_requests() == []


async def test_listing_refuses_at_the_call_not_at_iteration(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match=r"list\(\) got an unexpected keyword argument 'fliter'"):
            client.jobs.list(fliter="state eq 'active'")
    assert httpx_mock.get_requests() == []


async def test_pipeline_keywords_and_legacy_shapes_still_pass(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": "job-1"})
    async with make_client() as client:
        job = await client.jobs.get(
            "job-1",
            retry_total=0,
            logging_enable=False,
            headers={"x-test": "1"},
            custom_headers={"x-legacy": "2"},
            job_get_options=models.JobGetOptions(select="id"),
        )
    assert job.id == "job-1"
    sent = only_request(httpx_mock.get_requests())
    assert sent.headers["x-test"] == "1"
    assert sent.headers["x-legacy"] == "2"
    assert sent.url.params["$select"] == "id"


async def test_poller_passes_keywords_through_the_same_check(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match=r"delete\(\) got an unexpected keyword argument 'forse'"):
            await client.jobs.begin_delete("job-1", forse=True)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "10"])
async def test_a_listing_refuses_a_bad_timeout_at_the_call(
    make_client: ClientFactory, httpx_mock: HTTPXMock, timeout: object
) -> None:
    async with make_client() as client:
        with pytest.raises((TypeError, ValueError), match="timeout"):
            client.jobs.list(timeout=timeout)
    assert httpx_mock.get_requests() == []
