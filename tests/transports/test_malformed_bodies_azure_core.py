"""Malformed bodies through azure-core's own aiohttp transport (the async default), on a loopback socket.

That transport inflates a gzip body itself while reading the response and lets ``zlib.error`` escape
when the body is not gzip; the client must turn that, and every other unreadable body, into a typed error.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import DecodeError
from azure.core.pipeline.transport import AioHttpTransport

from azbatch.aio import BatchClient
from azbatch.exceptions import BatchServiceError

SECRET = "TOPSECRETSIGNATURE"
GARBAGE_GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage, not deflate data at all"


def _respond(status: int, body: bytes, *, gzipped: bool = True) -> web.Response:
    headers = {"Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    return web.Response(status=status, body=body, headers=headers)


async def _route(request: web.Request) -> web.Response:
    kind = request.match_info["kind"]
    if kind == "bad-gzip":
        return _respond(200, GARBAGE_GZIP)
    if kind == "bad-gzip-error":
        return _respond(500, GARBAGE_GZIP)
    if kind == "good-gzip":
        return _respond(200, gzip.compress(b'{"id": "job-1", "priority": 5}'))
    if kind == "deep":
        return _respond(200, b"[" * 100_000, gzipped=False)
    if kind == "secret-html":
        body = f"<html>bad gateway https://x/c?sv=1&sig={SECRET} {'x' * 4000}</html>".encode()
        return _respond(502, body, gzipped=False)
    return _respond(200, b"\xff\xfe not utf-8", gzipped=False)


@pytest.fixture
async def client() -> AsyncIterator[BatchClient]:
    app = web.Application()
    app.router.add_get("/jobs/{kind}", _route)
    app.router.add_get("/jobs/{kind}/taskcounts", _route)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        credential = AzureNamedKeyCredential("account", "a2V5")
        async with BatchClient(
            str(server.make_url("")).rstrip("/"),
            credential,
            transport=AioHttpTransport(),
            retry_total=0,
            enforce_https=False,
        ) as opened:
            yield opened
    finally:
        await server.close()


@pytest.mark.parametrize("kind", ["bad-gzip", "bad-gzip-error"])
async def test_a_broken_gzip_body_is_a_decode_error(kind: str, client: BatchClient) -> None:
    # Whatever the status: the transport fails while reading, before there is a response to look at.
    with pytest.raises(DecodeError) as caught:
        await client.jobs.get(kind)

    assert isinstance(caught.value.inner_exception, zlib.error)
    assert "could not be decompressed" in str(caught.value)


async def test_a_garbled_gzip_listing_page_is_a_decode_error(client: BatchClient) -> None:
    with pytest.raises(DecodeError):
        await client.jobs.get_task_counts("bad-gzip")


async def test_a_good_gzip_body_parses(client: BatchClient) -> None:
    job = await client.jobs.get("good-gzip")
    assert (job.id, job.priority) == ("job-1", 5)


@pytest.mark.parametrize("kind", ["deep", "not-utf8"])
async def test_bodies_that_are_not_json_are_decode_errors(kind: str, client: BatchClient) -> None:
    with pytest.raises(DecodeError):
        await client.jobs.get(kind)


async def test_an_error_page_shows_only_a_masked_excerpt(client: BatchClient) -> None:
    with pytest.raises(BatchServiceError) as caught:
        await client.jobs.get("secret-html")

    text = str(caught.value)
    assert SECRET not in text
    assert "bad gateway" in text and len(text) < 600
