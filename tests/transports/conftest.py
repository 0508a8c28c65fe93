"""A real loopback HTTP server (aiohttp, in its own thread and loop) for the httpx transport tests.

The server runs in a background thread so that the sync transport can talk to it and so that the async
tests' event loops (one per test) never share a loop with it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import socket
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

# Long enough to trip any read timeout the tests use, short enough to keep shutdown quick if a
# handler is not cancelled.
SLOW_SECONDS = 3.0
TRUNCATED_DECLARED = 1000
TRUNCATED_SENT = b"0123456789"

JOB = {"id": "job-1", "state": "active", "displayName": "Jöb ✓", "priority": 100}


async def _json(request: web.Request) -> web.Response:
    response = web.json_response(JOB, headers={"X-Custom-Header": "custom-value"})
    # Two values of one header, to check how they are presented.
    response.headers.add("X-Multi", "a")
    response.headers.add("X-Multi", "b")
    return response


async def _echo(request: web.Request) -> web.Response:
    """Describe exactly what arrived: method, raw path, raw query, headers in order, body."""
    body = await request.read()
    # raw_path keeps the percent-encoding exactly as it arrived (query_string would be decoded).
    path, _, query = request.raw_path.partition("?")
    received = {
        "method": request.method,
        "path": path,
        "query": query,
        "headers": [[name, value] for name, value in request.headers.items()],
        "body": base64.b64encode(body).decode("ascii"),
    }
    return web.json_response(received, status=201, reason="Echoed")


async def _stream(request: web.Request) -> web.StreamResponse:
    count = int(request.query.get("chunks", "4"))
    size = int(request.query.get("size", "1000"))
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    for index in range(count):
        await response.write(bytes([65 + index % 26]) * size)
    await response.write_eof()
    return response


async def _gzip(request: web.Request) -> web.Response:
    body = gzip.compress(json.dumps(JOB).encode())
    return web.Response(body=body, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(SLOW_SECONDS)
    return web.Response(text="too late")


async def _truncated(request: web.Request) -> web.StreamResponse:
    """Promise TRUNCATED_DECLARED bytes, send a few, then drop the connection."""
    response = web.StreamResponse(headers={"Content-Length": str(TRUNCATED_DECLARED)})
    await response.prepare(request)
    await response.write(TRUNCATED_SENT)
    assert request.transport is not None
    request.transport.abort()
    return response


async def _hangup(request: web.Request) -> web.StreamResponse:
    """Drop the connection without sending any response."""
    assert request.transport is not None
    request.transport.abort()
    # aiohttp needs a response object; it cannot be sent on the aborted connection.
    return web.Response()


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/json")


async def _not_found(request: web.Request) -> web.Response:
    return web.json_response({"code": "JobNotFound"}, status=404, reason="Job Not Found")


def _make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/json", _json)
    app.router.add_route("*", "/echo/{tail:.*}", _echo)
    app.router.add_get("/stream", _stream)
    app.router.add_get("/gzip", _gzip)
    app.router.add_get("/slow", _slow)
    app.router.add_get("/truncated", _truncated)
    app.router.add_get("/hangup", _hangup)
    app.router.add_get("/redirect", _redirect)
    app.router.add_get("/missing", _not_found)
    return app


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Base URL (``http://127.0.0.1:<port>``) of the loopback server, shared by the whole session."""
    loop = asyncio.new_event_loop()
    # handler_cancellation: a client that gives up (e.g. on a read timeout) cancels the slow handler;
    # shutdown_timeout bounds how long cleanup waits for any handler still running.
    runner = web.AppRunner(_make_app(), handler_cancellation=True, shutdown_timeout=0.5, access_log=None)
    thread = threading.Thread(target=loop.run_forever, name="loopback-server", daemon=True)
    thread.start()

    async def start() -> int:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port: int = runner.addresses[0][1]
        return port

    async def stop() -> None:
        await runner.cleanup()
        await loop.shutdown_asyncgens()

    try:
        port = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=5)
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


@pytest.fixture
def job() -> dict[str, object]:
    """The JSON document served at ``/json`` (and, gzip-compressed, at ``/gzip``)."""
    return dict(JOB)


@pytest.fixture
def truncated_prefix() -> bytes:
    """The bytes ``/truncated`` sends before dropping the connection."""
    return TRUNCATED_SENT


@pytest.fixture
def refused_url() -> str:
    """A loopback URL on which nothing listens: bind a port, then release it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/json"
