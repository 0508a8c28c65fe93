"""Tests for the bearer-token policies' https / loopback rule (fake credentials and transports only)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline import AsyncPipeline, Pipeline, PipelineContext, PipelineRequest
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import HttpRequest

from azbatch._constants import DEFAULT_SCOPE
from azbatch.policies import AsyncBatchBearerTokenPolicy, BatchBearerTokenPolicy
from azbatch.policies._loopback import is_loopback_host, is_loopback_url

TOKEN = "eyJ0eXAi.secret-token-value.sig"

LOOPBACK_URLS = [
    "http://127.0.0.1:10000/jobs?api-version=2024-02-01.19.0",
    "http://127.8.9.10/jobs",
    "http://localhost:8080/jobs",
    "http://LOCALHOST/jobs",
    "http://[::1]:10000/jobs",
]
REFUSED_URLS = [
    "http://example.invalid/jobs",
    "http://127.0.0.1.example.invalid/jobs",
    "http://localhost.example.invalid/jobs",
    "http://127.0.0.1@example.invalid/jobs",
    "http://example.invalid\\@127.0.0.1/jobs",
    "http://0.0.0.0/jobs",
    "http://10.0.0.1/jobs",
]


# --- fakes --------------------------------------------------------------------------------------


class _FakeCredential:
    """Sync credential recording every scope request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: TokenRequestOptions | None = None) -> AccessTokenInfo:
        self.calls.append(scopes)
        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)


class _FakeLegacyCredential:
    """Sync credential that only has get_token (older azure-identity style)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)


class _FakeAsyncCredential:
    """Async credential recording every scope request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(TOKEN, int(time.time()) + 3600)

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        self.calls.append(scopes)
        return AccessTokenInfo(TOKEN, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> _FakeAsyncCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        pass


class _Response:
    status_code = 200
    headers: dict[str, str] = {}


class _RecordingTransport(HttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.sent: list[tuple[HttpRequest, dict[str, Any]]] = []

    def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        self.sent.append((request, kwargs))
        return _Response()

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args: Any) -> None:
        pass


class _AsyncRecordingTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.sent: list[tuple[HttpRequest, dict[str, Any]]] = []

    async def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        self.sent.append((request, kwargs))
        return _Response()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aexit__(self, *args: Any) -> None:
        pass


def _sync_run(
    url: str, enforce_https: bool = True, **options: Any
) -> tuple[_FakeCredential, _RecordingTransport]:
    credential = _FakeCredential()
    transport = _RecordingTransport()
    policy = BatchBearerTokenPolicy(credential, DEFAULT_SCOPE, enforce_https=enforce_https)
    Pipeline(transport, policies=[policy]).run(HttpRequest("GET", url), **options)
    return credential, transport


async def _async_run(
    url: str, enforce_https: bool = True, **options: Any
) -> tuple[_FakeAsyncCredential, _AsyncRecordingTransport]:
    credential = _FakeAsyncCredential()
    transport = _AsyncRecordingTransport()
    policy = AsyncBatchBearerTokenPolicy(credential, DEFAULT_SCOPE, enforce_https=enforce_https)
    async with AsyncPipeline(transport, policies=[policy]) as pipeline:
        await pipeline.run(HttpRequest("GET", url), **options)
    return credential, transport


# --- loopback check -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", [*LOOPBACK_URLS, "https://127.0.0.1/", "http://[::ffff:127.0.0.1]:80/"])
def test_is_loopback_url_true(url: str) -> None:
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        *REFUSED_URLS,
        "http://[::2]/",
        "http://127.0.0.1:notaport/",
        "http://[::1/",
        "http:///jobs",
        "not a url",
        "",
        "http://127.1/",
        "http://localhost./",
        "http://%31%32%37.0.0.1/",
    ],
)
def test_is_loopback_url_false(url: str) -> None:
    assert not is_loopback_url(url)


def test_is_loopback_host_forms() -> None:
    assert is_loopback_host("::1")
    assert is_loopback_host("[::1]")
    assert is_loopback_host("LocalHost")
    assert not is_loopback_host("example.invalid")


# --- sync policy --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LOOPBACK_URLS)
def test_sync_http_to_loopback_sends_bearer(url: str) -> None:
    credential, transport = _sync_run(url)
    ((request, _),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert credential.calls == [(DEFAULT_SCOPE,)]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_sync_http_to_remote_refused_before_token(url: str) -> None:
    credential = _FakeCredential()
    transport = _RecordingTransport()
    policy = BatchBearerTokenPolicy(credential, DEFAULT_SCOPE)
    with pytest.raises(ServiceRequestError) as info:
        Pipeline(transport, policies=[policy]).run(HttpRequest("GET", url))
    assert credential.calls == []
    assert transport.sent == []
    assert TOKEN not in str(info.value)


def test_sync_https_sends_bearer_with_exact_scope() -> None:
    credential, transport = _sync_run("https://myaccount.westus2.batch.azure.com/jobs")
    ((request, kwargs),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert credential.calls == [("https://batch.core.windows.net//.default",)]
    assert "enforce_https" not in kwargs


def test_sync_uppercase_https_scheme_accepted() -> None:
    _, transport = _sync_run("HTTPS://myaccount.westus2.batch.azure.com/jobs")
    assert len(transport.sent) == 1


def test_sync_enforce_https_false_allows_http() -> None:
    _, transport = _sync_run("http://example.invalid/jobs", enforce_https=False)
    ((request, _),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_sync_per_call_opt_out_is_honoured_and_not_forwarded() -> None:
    _, transport = _sync_run("http://example.invalid/jobs", **{"enforce_https": False})
    ((request, kwargs),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "enforce_https" not in kwargs


def test_sync_get_token_only_credential() -> None:
    credential = _FakeLegacyCredential()
    transport = _RecordingTransport()
    policy = BatchBearerTokenPolicy(credential, DEFAULT_SCOPE)
    Pipeline(transport, policies=[policy]).run(HttpRequest("GET", "http://localhost/jobs"))
    assert credential.calls == [(DEFAULT_SCOPE,)]


def test_loopback_allowance_does_not_carry_over_to_another_host() -> None:
    """A redirect/retry re-runs on_request on the same context with a new URL: it must be re-checked."""
    credential = _FakeCredential()
    policy = BatchBearerTokenPolicy(credential, DEFAULT_SCOPE)
    http_request = HttpRequest("GET", "http://127.0.0.1:10000/jobs")
    pipeline_request = PipelineRequest(http_request, PipelineContext(None))
    policy.on_request(pipeline_request)
    http_request.url = "http://example.invalid/jobs"
    with pytest.raises(ServiceRequestError):
        policy.on_request(pipeline_request)


def test_sync_repr_has_no_token() -> None:
    policy = BatchBearerTokenPolicy(_FakeCredential(), DEFAULT_SCOPE)
    Pipeline(_RecordingTransport(), policies=[policy]).run(HttpRequest("GET", "http://localhost/jobs"))
    assert TOKEN not in repr(policy)
    assert TOKEN not in str(policy)
    assert DEFAULT_SCOPE in repr(policy)


# --- async policy -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", LOOPBACK_URLS)
async def test_async_http_to_loopback_sends_bearer(url: str) -> None:
    credential, transport = await _async_run(url)
    ((request, _),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert credential.calls == [(DEFAULT_SCOPE,)]


@pytest.mark.parametrize("url", REFUSED_URLS)
async def test_async_http_to_remote_refused_before_token(url: str) -> None:
    credential = _FakeAsyncCredential()
    transport = _AsyncRecordingTransport()
    policy = AsyncBatchBearerTokenPolicy(credential, DEFAULT_SCOPE)
    async with AsyncPipeline(transport, policies=[policy]) as pipeline:
        with pytest.raises(ServiceRequestError) as info:
            await pipeline.run(HttpRequest("GET", url))
    assert credential.calls == []
    assert transport.sent == []
    assert TOKEN not in str(info.value)


async def test_async_https_sends_bearer_with_exact_scope() -> None:
    credential, transport = await _async_run("https://myaccount.westus2.batch.azure.com/jobs")
    ((request, kwargs),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert credential.calls == [("https://batch.core.windows.net//.default",)]
    assert "enforce_https" not in kwargs


async def test_async_enforce_https_false_allows_http() -> None:
    _, transport = await _async_run("http://example.invalid/jobs", enforce_https=False)
    ((request, _),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_async_per_call_opt_out_is_honoured_and_not_forwarded() -> None:
    _, transport = await _async_run("http://example.invalid/jobs", **{"enforce_https": False})
    ((request, kwargs),) = transport.sent
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "enforce_https" not in kwargs


async def test_async_loopback_allowance_does_not_carry_over() -> None:
    policy = AsyncBatchBearerTokenPolicy(_FakeAsyncCredential(), DEFAULT_SCOPE)
    http_request = HttpRequest("GET", "http://[::1]:10000/jobs")
    pipeline_request = PipelineRequest(http_request, PipelineContext(None))
    await policy.on_request(pipeline_request)
    http_request.url = "http://example.invalid/jobs"
    with pytest.raises(ServiceRequestError):
        await policy.on_request(pipeline_request)


async def test_async_repr_has_no_token() -> None:
    credential = _FakeAsyncCredential()
    policy = AsyncBatchBearerTokenPolicy(credential, DEFAULT_SCOPE)
    async with AsyncPipeline(_AsyncRecordingTransport(), policies=[policy]) as pipeline:
        await pipeline.run(HttpRequest("GET", "http://localhost/jobs"))
    assert credential.calls == [(DEFAULT_SCOPE,)]
    assert TOKEN not in repr(policy)
    assert "enforce_https=True" in repr(policy)
