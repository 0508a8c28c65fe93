"""Tests for EnvironmentProxyPolicy (environment monkeypatched; nothing leaves the process)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from azure.core.pipeline import AsyncPipeline, PipelineContext, PipelineRequest
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest import HttpRequest

from azbatch.policies import EnvironmentProxyPolicy, _proxy

BATCH_URL = "https://myaccount.westus2.batch.azure.com/jobs?api-version=2024-02-01.19.0"
PROXY = "http://proxy.corp.invalid:3128"


@pytest.fixture(autouse=True)
def _clean_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test from an environment without any proxy settings."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)


def _options_after(policy: EnvironmentProxyPolicy[Any, Any], url: str, **options: Any) -> dict[str, Any]:
    request = PipelineRequest(HttpRequest("GET", url), PipelineContext(None, **options))
    policy.on_request(request)
    return dict(request.context.options)


def test_no_environment_sets_nothing() -> None:
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {}
    assert _options_after(policy, "http://myaccount.example.invalid/jobs") == {}


def test_https_proxy_used_for_https_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}
    # No HTTP_PROXY: plain http is not proxied.
    assert _options_after(policy, "http://myaccount.example.invalid/jobs") == {}


def test_http_proxy_used_for_http_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, "http://myaccount.example.invalid/jobs") == {"proxy": PROXY}
    assert _options_after(policy, BATCH_URL) == {}


def test_lowercase_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("https_proxy", PROXY)
    monkeypatch.setenv("no_proxy", "other.invalid")
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}
    assert _options_after(policy, "https://other.invalid/jobs") == {}


def test_lowercase_variable_wins_over_uppercase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://upper.invalid:1")
    monkeypatch.setenv("https_proxy", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}


@pytest.mark.parametrize(
    "no_proxy",
    [
        "myaccount.westus2.batch.azure.com",
        "localhost, myaccount.westus2.batch.azure.com",
        ".batch.azure.com",
        "batch.azure.com",
        "MyAccount.WestUS2.Batch.Azure.Com",
        "*",
    ],
)
def test_no_proxy_bypasses(monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {}


def test_no_proxy_for_other_hosts_does_not_bypass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "storage.invalid,notbatch.azure.com")
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}


def test_no_proxy_entry_with_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "myaccount.westus2.batch.azure.com:8443")
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, "https://myaccount.westus2.batch.azure.com:8443/jobs") == {}
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:10000/jobs", "http://localhost/jobs", "https://[::1]:8443/jobs"]
)
def test_loopback_is_never_proxied(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("HTTP_PROXY", PROXY)
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, url) == {}


@pytest.mark.parametrize("option", ["proxy", "proxies"])
def test_caller_supplied_proxy_is_left_alone(monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    mine: Any = {"https": "http://mine.invalid:8080"} if option == "proxies" else "http://mine.invalid:8080"
    assert _options_after(policy, BATCH_URL, **{option: mine}) == {option: mine}


def test_caller_explicit_no_proxy_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL, proxy=None) == {"proxy": None}


def test_environment_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    assert _options_after(policy, BATCH_URL) == {}


def test_decision_is_cached_per_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", "elsewhere.invalid")
    calls: list[str] = []
    real = _proxy._bypass_environment

    def counting(host: str, proxies: Any) -> bool:
        calls.append(host)
        return real(host, proxies)

    monkeypatch.setattr(_proxy, "_bypass_environment", counting)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    for _ in range(3):
        assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}
        assert _options_after(policy, "https://elsewhere.invalid/x") == {}
    assert calls == ["myaccount.westus2.batch.azure.com", "elsewhere.invalid"]


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    for i in range(EnvironmentProxyPolicy._CACHE_LIMIT * 2 + 3):
        assert _options_after(policy, f"https://host{i}.invalid/") == {"proxy": PROXY}
    assert len(policy._decisions) <= EnvironmentProxyPolicy._CACHE_LIMIT


def test_scheme_less_proxy_gets_http_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "proxy.corp.invalid:3128")
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, BATCH_URL) == {"proxy": PROXY}


def test_malformed_url_is_not_proxied(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    assert _options_after(policy, "https://[::1/jobs") == {}
    assert _options_after(policy, "https://host.invalid:notaport/jobs") == {}


def test_repr_hides_proxy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:pr0xy-pa55@proxy.corp.invalid:3128")
    policy: EnvironmentProxyPolicy[Any, Any] = EnvironmentProxyPolicy()
    for text in (repr(policy), str(policy)):
        assert "pr0xy-pa55" not in text
        assert "https" in text


# --- end to end: the chosen proxy reaches the transport's send() as a keyword -------------------


class _Response:
    status_code = 200
    headers: dict[str, str] = {}


class _AsyncRecordingTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.kwargs: list[dict[str, Any]] = []

    async def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        self.kwargs.append(kwargs)
        return _Response()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aexit__(self, *args: Any) -> None:
        pass


async def test_proxy_reaches_transport_send(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    transport = _AsyncRecordingTransport()
    async with AsyncPipeline(transport, policies=[EnvironmentProxyPolicy()]) as pipeline:
        await pipeline.run(HttpRequest("GET", BATCH_URL))
        await pipeline.run(HttpRequest("GET", "http://127.0.0.1:10000/jobs"))
    assert transport.kwargs[0].get("proxy") == PROXY
    assert "proxy" not in transport.kwargs[1]
