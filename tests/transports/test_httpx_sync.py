"""HttpXTransport against a real loopback server, inside azure-core pipelines, and under pytest-httpx.

Keep in step with test_httpx_async.py, which checks the same behaviour for AsyncHttpXTransport.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from azure.core import PipelineClient
from azure.core.exceptions import (
    DecodeError,
    HttpResponseError,
    ResponseNotReadError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
    StreamClosedError,
    StreamConsumedError,
)
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import (
    ContentDecodePolicy,
    HeadersPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest, HttpResponse
from pytest_httpx import HTTPXMock

from azbatch.transports import HttpXTransport
from azbatch.transports._httpx_sync import DEFAULT_TIMEOUT, HttpXTransportResponse

QUERY = "api-version=2024-02-01.19.0&$filter=state%20eq%20'active'&maxresults=10"


@pytest.fixture
def transport() -> Iterator[HttpXTransport]:
    with HttpXTransport() as opened:
        yield opened


def _echoed(response: HttpResponse) -> dict[str, Any]:
    received: dict[str, Any] = response.json()
    received["body"] = base64.b64decode(received["body"])
    return received


def _header_values(received: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in received["headers"] if key.lower() == name.lower()]


# --- responses ------------------------------------------------------------------------------------


def test_get_json_is_read_before_send_returns(
    transport: HttpXTransport, server_url: str, job: dict[str, Any]
) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/json"))

    assert isinstance(response, HttpXTransportResponse)
    assert response.is_closed  # non-streamed: body loaded, connection released
    assert response.status_code == 200
    assert response.reason == "OK"
    assert response.content_type is not None and response.content_type.startswith("application/json")
    assert response.headers["x-custom-header"] == "custom-value"
    assert response.headers["X-CUSTOM-HEADER"] == "custom-value"
    assert "X-Custom-Header" in response.headers
    assert response.headers["x-multi"] == "a, b"
    assert response.content == json.dumps(job).encode()
    assert response.read() == response.content
    assert response.text() == json.dumps(job)
    assert response.json() == job
    assert response.request.url == f"{server_url}/json"
    response.raise_for_status()
    response.close()  # closing again is harmless


def test_iter_bytes_of_a_read_response_replays_content(server_url: str, job: dict[str, Any]) -> None:
    with HttpXTransport(block_size=16) as transport:
        response = transport.send(HttpRequest("GET", f"{server_url}/json"))
    chunks = [chunk for chunk in response.iter_bytes()]
    assert all(len(chunk) == 16 for chunk in chunks[:-1])
    assert b"".join(chunks) == json.dumps(job).encode()


def test_error_status_keeps_reason_and_body(transport: HttpXTransport, server_url: str) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/missing"))
    assert response.status_code == 404
    assert response.reason == "Job Not Found"
    assert response.json() == {"code": "JobNotFound"}
    with pytest.raises(HttpResponseError):
        response.raise_for_status()


def test_redirects_are_left_to_azure_core(transport: HttpXTransport, server_url: str) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/redirect"))
    assert response.status_code == 302
    assert response.headers["location"] == "/json"


# --- requests -------------------------------------------------------------------------------------


def test_post_json_reaches_the_server_unchanged(
    transport: HttpXTransport, server_url: str, job: dict[str, Any]
) -> None:
    headers = {"client-request-id": "4c3a9e1e-0000", "X-Ms-Custom": "Value With Spaces"}
    request = HttpRequest("POST", f"{server_url}/echo/jobs?{QUERY}", headers=headers, json=job)

    response = transport.send(request)

    assert response.status_code == 201
    assert response.reason == "Echoed"
    received = _echoed(response)
    assert received["method"] == "POST"
    assert received["path"] == "/echo/jobs"
    assert received["query"] == QUERY
    assert received["body"] == json.dumps(job).encode()
    sent = {**request.headers, "Content-Length": str(len(received["body"]))}
    for name, value in sent.items():
        assert _header_values(received, name) == [value], name


def test_text_body_is_utf8_with_its_byte_length(transport: HttpXTransport, server_url: str) -> None:
    text = "ünïcödé ✓"
    response = transport.send(HttpRequest("PUT", f"{server_url}/echo/text", content=text))
    received = _echoed(response)
    assert received["method"] == "PUT"
    assert received["body"] == text.encode("utf-8")
    # azure-core declares len(text) characters; the transport sends the byte count.
    assert _header_values(received, "Content-Length") == [str(len(text.encode("utf-8")))]
    assert _header_values(received, "Content-Type") == ["text/plain"]


async def _agen(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


@pytest.mark.parametrize(
    ("make_content", "expected"),
    [
        pytest.param(lambda: b"raw-bytes", b"raw-bytes", id="bytes"),
        pytest.param(lambda: io.BytesIO(b"file-like body"), b"file-like body", id="file"),
        pytest.param(lambda: iter([b"chunk-1|", b"chunk-2"]), b"chunk-1|chunk-2", id="iterator"),
    ],
)
def test_body_kinds(
    transport: HttpXTransport, server_url: str, make_content: Callable[[], Any], expected: bytes
) -> None:
    response = transport.send(HttpRequest("PUT", f"{server_url}/echo/blob", content=make_content()))
    assert _echoed(response)["body"] == expected


def test_async_body_needs_the_async_transport(transport: HttpXTransport, server_url: str) -> None:
    body = _agen([b"never sent"])
    with pytest.raises(TypeError, match="async iterables need the async transport"):
        transport.send(HttpRequest("PUT", f"{server_url}/echo/blob", content=body))


def test_form_and_multipart_bodies(transport: HttpXTransport, server_url: str) -> None:
    form = _echoed(transport.send(HttpRequest("POST", f"{server_url}/echo/f", data={"a": "1", "b": "x y"})))
    assert form["body"] == b"a=1&b=x+y"
    assert _header_values(form, "Content-Type") == ["application/x-www-form-urlencoded"]

    files = {"upload": ("n.txt", io.BytesIO(b"file-bytes"), "text/plain")}
    multipart = _echoed(transport.send(HttpRequest("POST", f"{server_url}/echo/m", files=files)))
    assert _header_values(multipart, "Content-Type")[0].startswith("multipart/form-data; boundary=")
    assert b'name="upload"; filename="n.txt"' in multipart["body"]
    assert b"file-bytes" in multipart["body"]


def test_client_level_options_are_ignored_and_unknown_ones_refused(
    transport: HttpXTransport, server_url: str
) -> None:
    response = transport.send(
        HttpRequest("GET", f"{server_url}/json"),
        connection_verify=False,
        connection_cert="/nowhere.pem",
        proxies={"https": "http://proxy.invalid"},
        proxy="http://proxy.invalid",
        connection_data_block_size=1024,
    )
    assert response.status_code == 200
    with pytest.raises(TypeError, match="selct"):
        transport.send(HttpRequest("GET", f"{server_url}/json"), selct="id")


def test_rejects_legacy_requests(transport: HttpXTransport, server_url: str) -> None:
    with pytest.raises(TypeError, match=r"azure\.core\.rest\.HttpRequest"):
        transport.send(LegacyHttpRequest("GET", f"{server_url}/json"))  # type: ignore[arg-type]


def test_rejects_bad_timeouts(transport: HttpXTransport, server_url: str) -> None:
    with pytest.raises(TypeError, match="read_timeout"):
        transport.send(HttpRequest("GET", f"{server_url}/json"), read_timeout=(1, 2))


# --- streaming ------------------------------------------------------------------------------------


def test_streamed_response_in_chunks(server_url: str) -> None:
    with HttpXTransport(block_size=1024) as transport:
        response = transport.send(HttpRequest("GET", f"{server_url}/stream?chunks=5&size=1000"), stream=True)
        assert not response.is_closed
        assert response.status_code == 200
        chunks = [chunk for chunk in response.iter_bytes()]

        assert [len(chunk) for chunk in chunks] == [1024, 1024, 1024, 1024, 904]
        assert b"".join(chunks) == b"".join(bytes([65 + i]) * 1000 for i in range(5))
        assert response.is_closed and response.is_stream_consumed
        response.close()
        with pytest.raises(StreamConsumedError):
            response.read()


def test_streamed_response_closed_early(
    transport: HttpXTransport, server_url: str, job: dict[str, Any]
) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/stream?chunks=50&size=4096"), stream=True)
    response.close()
    assert response.is_closed
    with pytest.raises(StreamClosedError):
        response.read()
    # The connection went back to (or was dropped from) the pool: the transport keeps working.
    assert (transport.send(HttpRequest("GET", f"{server_url}/json"))).json() == job


def test_streamed_read_loads_content(transport: HttpXTransport, server_url: str, job: dict[str, Any]) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/json"), stream=True)
    with pytest.raises(ResponseNotReadError):
        _ = response.content
    assert response.read() == json.dumps(job).encode()
    assert response.json() == job
    assert response.is_closed


def test_gzip_decoded_by_iter_bytes_not_by_iter_raw(
    transport: HttpXTransport, server_url: str, job: dict[str, Any]
) -> None:
    decoded = transport.send(HttpRequest("GET", f"{server_url}/gzip"))
    assert decoded.json() == job

    raw = transport.send(HttpRequest("GET", f"{server_url}/gzip"), stream=True)
    body = b"".join([chunk for chunk in raw.iter_raw()])
    assert gzip.decompress(body) == json.dumps(job).encode()
    assert raw.is_closed


# --- failures -------------------------------------------------------------------------------------


def test_connection_refused(transport: HttpXTransport, refused_url: str) -> None:
    with pytest.raises(ServiceRequestError) as caught:
        transport.send(HttpRequest("GET", refused_url))
    assert not isinstance(caught.value, ServiceRequestTimeoutError)
    assert isinstance(caught.value.inner_exception, httpx.ConnectError)


def test_server_hangs_up_before_responding(transport: HttpXTransport, server_url: str) -> None:
    with pytest.raises(ServiceResponseError) as caught:
        transport.send(HttpRequest("GET", f"{server_url}/hangup"))
    assert isinstance(caught.value.inner_exception, httpx.RemoteProtocolError)


def test_server_hangs_up_mid_body(transport: HttpXTransport, server_url: str) -> None:
    with pytest.raises(ServiceResponseError):
        transport.send(HttpRequest("GET", f"{server_url}/truncated"))


def test_server_hangs_up_mid_stream(
    transport: HttpXTransport, server_url: str, truncated_prefix: bytes
) -> None:
    response = transport.send(HttpRequest("GET", f"{server_url}/truncated"), stream=True)
    assert response.status_code == 200
    received = b""
    with pytest.raises(ServiceResponseError):
        for chunk in response.iter_bytes():
            received += chunk
    assert received == truncated_prefix[: len(received)]
    response.close()


def test_read_timeout(transport: HttpXTransport, server_url: str) -> None:
    with pytest.raises(ServiceResponseTimeoutError) as caught:
        transport.send(HttpRequest("GET", f"{server_url}/slow"), read_timeout=0.2)
    assert isinstance(caught.value.inner_exception, httpx.ReadTimeout)


# --- lifecycle ------------------------------------------------------------------------------------


def test_open_close_and_reopen(server_url: str) -> None:
    transport = HttpXTransport(timeout=10.0)
    assert transport.client is None  # made lazily
    with transport:
        client = transport.client
        assert client is not None and not client.is_closed
        assert client.timeout == httpx.Timeout(10.0)
        assert not client.follow_redirects
    assert client.is_closed
    assert transport.client is None
    # A transport-made client is made again on next use.
    response = transport.send(HttpRequest("GET", f"{server_url}/json"))
    assert response.status_code == 200
    assert transport.client is not None and transport.client is not client
    transport.close()
    transport.close()  # idempotent


def test_default_client_timeout_follows_azure_core() -> None:
    with HttpXTransport() as transport:
        assert transport.client is not None
        assert transport.client.timeout == DEFAULT_TIMEOUT


def test_owned_supplied_client_is_closed(server_url: str) -> None:
    client = httpx.Client()
    with HttpXTransport(client=client) as transport:
        assert transport.client is client
        assert (transport.send(HttpRequest("GET", f"{server_url}/json"))).status_code == 200
    assert client.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        transport.send(HttpRequest("GET", f"{server_url}/json"))


def test_borrowed_client_is_left_open(server_url: str) -> None:
    with httpx.Client() as client:
        with HttpXTransport(client=client, client_owner=False) as transport:
            assert (transport.send(HttpRequest("GET", f"{server_url}/json"))).status_code == 200
        assert not client.is_closed


def test_constructor_validation() -> None:
    with pytest.raises(TypeError, match="verify"):
        HttpXTransport(client=httpx.Client(), verify=False)
    with pytest.raises(ValueError, match="block_size"):
        HttpXTransport(block_size=0)


# --- azure-core pipelines -------------------------------------------------------------------------


def test_in_a_pipeline(server_url: str) -> None:
    policies: list[Any] = [
        HeadersPolicy({"x-ms-test": "pipeline"}),
        UserAgentPolicy("azbatch-tests/1.0"),
        RetryPolicy(retry_total=0),
        ContentDecodePolicy(),
    ]
    with Pipeline(HttpXTransport(), policies=policies) as pipeline:
        request = HttpRequest("POST", f"{server_url}/echo/jobs?{QUERY}", json={"id": "job-2"})
        # ContentDecodePolicy only decodes when told the response is not a stream.
        result = pipeline.run(request, stream=False)

    response = result.http_response
    assert isinstance(response, HttpXTransportResponse)
    assert response.status_code == 201
    received = result.context["deserialized_data"]
    assert received["query"] == QUERY
    assert base64.b64decode(received["body"]) == b'{"id": "job-2"}'
    headers = {name.lower(): value for name, value in received["headers"]}
    assert headers["x-ms-test"] == "pipeline"
    assert headers["user-agent"] == "azbatch-tests/1.0"


def test_in_a_pipeline_client(server_url: str, job: dict[str, Any]) -> None:
    client: PipelineClient[HttpRequest, HttpResponse] = PipelineClient(server_url, transport=HttpXTransport())
    with client:
        response = client.send_request(HttpRequest("GET", f"{server_url}/json"))
        assert response.json() == job

        streamed = client.send_request(
            HttpRequest("GET", f"{server_url}/stream?chunks=3&size=10"), stream=True
        )
        assert b"".join([chunk for chunk in streamed.iter_bytes()]) == b"A" * 10 + b"B" * 10 + b"C" * 10


def test_pipeline_surfaces_connection_errors(refused_url: str) -> None:
    pipeline: Pipeline[HttpRequest, HttpResponse] = Pipeline(
        HttpXTransport(), policies=[RetryPolicy(retry_total=0)]
    )
    with pipeline, pytest.raises(ServiceRequestError):
        pipeline.run(HttpRequest("GET", refused_url))


# --- pytest-httpx ---------------------------------------------------------------------------------


def test_with_pytest_httpx(httpx_mock: HTTPXMock, job: dict[str, Any]) -> None:
    url = "https://account.region.batch.azure.com/jobs/job-1?api-version=2024-02-01.19.0"
    httpx_mock.add_response(method="GET", url=url, json=job, headers={"request-id": "r-1"})

    with HttpXTransport() as transport:
        response = transport.send(
            HttpRequest("GET", url, headers={"client-request-id": "c-1"}),
            connection_timeout=1.5,
            read_timeout=2.5,
        )

    assert response.json() == job
    assert response.headers["Request-Id"] == "r-1"
    sent = httpx_mock.get_request()
    assert sent is not None
    assert sent.headers["client-request-id"] == "c-1"
    assert sent.extensions["timeout"] == {"connect": 1.5, "read": 2.5, "write": 300.0, "pool": 300.0}


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (httpx.ConnectError("refused"), ServiceRequestError),
        (httpx.ConnectTimeout("slow connect"), ServiceRequestTimeoutError),
        (httpx.PoolTimeout("pool exhausted"), ServiceRequestTimeoutError),
        (httpx.ProxyError("proxy said no"), ServiceRequestError),
        (httpx.ReadTimeout("slow read"), ServiceResponseTimeoutError),
        (httpx.WriteTimeout("slow write"), ServiceResponseTimeoutError),
        (httpx.ReadError("reset"), ServiceResponseError),
        (httpx.WriteError("broken pipe"), ServiceResponseError),
        (httpx.RemoteProtocolError("peer closed"), ServiceResponseError),
        (httpx.DecodingError("bad gzip"), DecodeError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.__name__,
)
def test_httpx_errors_become_azure_errors(
    httpx_mock: HTTPXMock, raised: httpx.RequestError, expected: type[Exception]
) -> None:
    httpx_mock.add_exception(raised)
    with HttpXTransport() as transport, pytest.raises(expected) as caught:
        transport.send(HttpRequest("GET", "https://example.invalid/"))
    assert type(caught.value) is expected
    assert caught.value.inner_exception is raised  # type: ignore[attr-defined]


# --- package exports ------------------------------------------------------------------------------


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )


def test_package_import_does_not_import_httpx() -> None:
    result = _run_python(
        "import sys, azbatch.transports as t\n"
        "assert 'httpx' not in sys.modules\n"
        "assert sorted(t.__all__) == ['AsyncHttpXTransport', 'HttpXTransport']\n"
        "t.HttpXTransport, t.AsyncHttpXTransport\n"
        "assert 'httpx' in sys.modules\n"
    )
    assert result.returncode == 0, result.stderr


def test_missing_httpx_gives_an_install_hint() -> None:
    result = _run_python(
        "import sys\n"
        "sys.modules['httpx'] = None  # as if it were not installed\n"
        "import azbatch.transports as t\n"
        "try:\n"
        "    t.AsyncHttpXTransport\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "azbatch[httpx]"' in result.stdout


def test_unknown_attribute() -> None:
    import azbatch.transports

    with pytest.raises(AttributeError, match="NoSuchTransport"):
        azbatch.transports.NoSuchTransport  # noqa: B018
