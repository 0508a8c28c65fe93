"""``BatchClient.send_request``: a caller's own request through the client's pipeline."""

from __future__ import annotations

import pytest
from azure.core.rest import HttpRequest
from pytest_httpx import HTTPXMock

from .conftest import API_VERSION, ENDPOINT, ClientFactory, FakeTokenCredential, batch_error, only_request


async def test_relative_url_is_resolved_and_gets_the_api_version(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"value": [{"id": "pool-1"}]})
    request = HttpRequest("GET", "/pools", params={"maxresults": 5})
    async with make_client() as client:
        response = await client.send_request(request)
    sent = only_request(httpx_mock.get_requests())
    assert str(sent.url).startswith(f"{ENDPOINT}/pools?")
    assert sent.url.params["api-version"] == API_VERSION
    assert sent.url.params["maxresults"] == "5"
    assert response.status_code == 200
    assert response.json() == {"value": [{"id": "pool-1"}]}
    # The caller's request object is left as it was, so it can be sent again.
    assert request.url == "/pools?maxresults=5"


async def test_an_api_version_in_the_url_is_kept(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={})
    async with make_client() as client:
        await client.send_request(HttpRequest("GET", "pools?api-version=2025-06-01"))
    sent = only_request(httpx_mock.get_requests())
    assert sent.url.params.get_list("api-version") == ["2025-06-01"]


async def test_request_goes_through_auth_and_ids(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=201)
    credential = FakeTokenCredential("secret-token")
    async with make_client(credential) as client:
        await client.send_request(HttpRequest("POST", f"{ENDPOINT}/pools", json={"id": "p"}))
    sent = only_request(httpx_mock.get_requests())
    assert sent.headers["Authorization"] == "Bearer secret-token"
    assert sent.headers["client-request-id"]
    assert sent.headers["User-Agent"].startswith("azsdk-python-azbatch/")


async def test_shared_key_signs_the_request(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={})
    async with make_client() as client:
        await client.send_request(HttpRequest("GET", "/pools"))
    sent = only_request(httpx_mock.get_requests())
    assert sent.headers["Authorization"].startswith("SharedKey account:")


async def test_retries_apply(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=503, json=batch_error("ServerBusy", "busy"))
    httpx_mock.add_response(json={"value": []})
    async with make_client() as client:
        response = await client.send_request(HttpRequest("GET", "/pools"))
    assert response.status_code == 200
    assert len(httpx_mock.get_requests()) == 2


async def test_error_status_is_returned_not_raised(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=404, json=batch_error("PoolNotFound", "no pool"))
    async with make_client() as client:
        response = await client.send_request(HttpRequest("GET", "/pools/nope"))
    assert response.status_code == 404
    assert response.json()["code"] == "PoolNotFound"


async def test_stream_leaves_the_body_for_the_caller(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(content=b"abc" * 1000)
    async with make_client() as client:
        response = await client.send_request(HttpRequest("GET", "/files"), stream=True)
        body = b"".join([chunk async for chunk in response.iter_bytes()])
    assert body == b"abc" * 1000


@pytest.mark.parametrize(
    "url",
    ["https://evil.example.com/pools", "http://account.region.batch.azure.com/pools", "//evil.example.com/x"],
)
async def test_another_origin_is_refused_before_sending(
    make_client: ClientFactory, httpx_mock: HTTPXMock, url: str
) -> None:
    async with make_client() as client:
        with pytest.raises(ValueError, match=r"request\.url"):
            await client.send_request(HttpRequest("GET", url))
    assert httpx_mock.get_requests() == []


async def test_not_a_request_is_a_type_error(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match="HttpRequest"):
            await client.send_request("/pools")  # type: ignore[arg-type]
    assert httpx_mock.get_requests() == []


async def test_a_misspelt_keyword_is_refused_before_sending(
    make_client: ClientFactory, httpx_mock: HTTPXMock
) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match=r"send_request\(\) .*'retry_totl'.*'retry_total'"):
            await client.send_request(HttpRequest("GET", "/pools"), retry_totl=1)
    assert httpx_mock.get_requests() == []


async def test_cls_is_not_a_send_request_keyword(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    async with make_client() as client:
        with pytest.raises(TypeError, match=r"send_request\(\) got an unexpected keyword argument 'cls'"):
            await client.send_request(HttpRequest("GET", "/pools"), cls=lambda *args: args)
    assert httpx_mock.get_requests() == []
