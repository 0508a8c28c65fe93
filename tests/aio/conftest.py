"""Fixtures for the async client tests: a client factory wired to pytest-httpx, and the spec examples.

Every client talks to ``https://account.region.batch.azure.com`` through ``AsyncHttpXTransport``, so
pytest-httpx intercepts every request; nothing ever leaves the process.
"""

from __future__ import annotations

import base64
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from azure.core.credentials import AccessToken, AzureNamedKeyCredential

from azbatch.aio import BatchClient
from azbatch.transports import AsyncHttpXTransport

ENDPOINT = "https://account.region.batch.azure.com"
HOST = "account.region.batch.azure.com"
ACCOUNT = "account"
# A distinctive key so the logging tests can look for it (and for its decoded form) in the output.
ACCOUNT_KEY = base64.b64encode(b"azbatch-test-account-key/0123456789+ABCDEF").decode("ascii")
API_VERSION = "2024-02-01.19.0"
JSON_CONTENT_TYPE = "application/json; odata=minimalmetadata"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"

# Path and escaped form of an id that needs URL escaping.
JOB_ID = "my job/1"
JOB_PATH = "/jobs/my%20job%2F1"


def load_example(name: str) -> dict[str, Any]:
    """One spec example (``tests/data/examples/<name>.json``): ``{"parameters": ..., "responses": ...}``."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    """The example loader: ``example("JobGet")["responses"]["200"]["body"]``."""
    return load_example


class FakeTokenCredential:
    """An async token credential that hands out a fixed token and records the scopes asked for."""

    def __init__(self, token: str = "tok") -> None:
        self.token = token
        self.calls: list[tuple[str, ...]] = []
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(self.token, int(time.time()) + 24 * 3600)

    async def close(self) -> None:
        self.closed = True

    async def __aenter__(self) -> FakeTokenCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()


# Building an httpx client loads the CA bundle (~80 ms); one TLS context shared by all test transports
# keeps the suite fast. pytest-httpx answers every request, so it is never used for a handshake.
_TLS = ssl.create_default_context()


def new_transport() -> AsyncHttpXTransport:
    """A fresh ``AsyncHttpXTransport`` (its httpx client is created on first use)."""
    return AsyncHttpXTransport(verify=_TLS)


ClientFactory = Callable[..., BatchClient]


@pytest.fixture
def make_client() -> ClientFactory:
    """Build an (unopened) client; use it as ``async with make_client(...) as client``.

    Defaults: Shared Key credential for ``account``, a fresh ``AsyncHttpXTransport`` and no retry
    backoff. Any keyword overrides them or goes to the client.
    """

    def factory(credential: Any = None, **kwargs: Any) -> BatchClient:
        kwargs.setdefault("transport", new_transport())
        kwargs.setdefault("retry_backoff_factor", 0)
        if credential is None:
            credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
        return BatchClient(ENDPOINT, credential, **kwargs)

    return factory


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[BatchClient]:
    """An open Shared Key client, closed after the test."""
    async with make_client() as opened:
        yield opened


def batch_error(
    code: str | None,
    message: str | None = None,
    values: list[tuple[str, str]] | None = None,
    lang: str = "en-US",
) -> dict[str, Any]:
    """A ``BatchError`` body as the service writes it (with the unmodelled ``odata.metadata``)."""
    body: dict[str, Any] = {
        "odata.metadata": f"{ENDPOINT}/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
    }
    if code is not None:
        body["code"] = code
    if message is not None:
        body["message"] = {"lang": lang, "value": message}
    if values is not None:
        body["values"] = [{"key": key, "value": value} for key, value in values]
    return body


def only_request(requests: list[httpx.Request]) -> httpx.Request:
    """The single request a test expects to have been sent."""
    assert len(requests) == 1, [f"{r.method} {r.url}" for r in requests]
    return requests[0]


def query_items(request: httpx.Request) -> list[tuple[str, str]]:
    """The request's decoded query parameters, sorted (duplicates stay visible)."""
    return sorted(request.url.params.multi_items())


async def collect(pager: Any) -> list[Any]:
    """Drain an ``AsyncItemPaged``."""
    return [item async for item in pager]
