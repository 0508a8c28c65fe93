"""Issue 7: hostile or broken clients get Batch errors, bounded waits and a prompt shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error


async def test_huge_integer_in_filter_is_a_400(api: Api) -> None:
    digits = "9" * 5000
    for expr in (
        f"jobPreparationTaskExecutionInfo/exitCode eq {digits}",
        f"id eq {digits}",
        f"jobPreparationTaskExecutionInfo/exitCode eq -{digits}",
    ):
        reply = await api.call("GET", "/jobs", query={"$filter": expr})
        assert_batch_error(reply, 400, "InvalidQueryParameterValue")
        assert reply.detail("QueryParameterName") == "$filter"
    prep = "jobPreparationTaskExecutionInfo/exitCode eq 99999999999999999999"
    await api.add("p", jobPreparationTask={"commandLine": "x"})
    reply = await api.call("GET", "/jobs/p/jobpreparationandreleasetaskstatus", query={"$filter": prep})
    assert_batch_error(reply, 400, "InvalidQueryParameterValue")
    assert "out of range" in (reply.detail("Reason") or "")
    ok = "jobPreparationTaskExecutionInfo/exitCode eq 9223372036854775807"
    assert (
        await api.call("GET", "/jobs/p/jobpreparationandreleasetaskstatus", query={"$filter": ok})
    ).status == 200


async def test_huge_numbers_in_other_query_parameters(api: Api, emu: BatchEmulator) -> None:
    digits = "1" * 5000
    assert_batch_error(
        await api.call("GET", "/jobs", query={"maxresults": digits}), 400, "InvalidQueryParameterValue"
    )
    assert_batch_error(
        await api.call("GET", "/jobs", query={"timeout": digits}), 400, "InvalidQueryParameterValue"
    )


# ------------------------------------------------------------------------------------- raw connections

BOUND_S = 5.0
"""Upper bound for waits on the emulator; generous, it only keeps a broken test from hanging."""


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def _connect(emu: BatchEmulator) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", emu.port)


async def _read_reply(reader: asyncio.StreamReader) -> RawReply:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), BOUND_S)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", "0"))), BOUND_S)
    return RawReply(status, headers, body)


async def _rest(reader: asyncio.StreamReader) -> bytes:
    """Everything the server still sends until it closes the connection (times out past the bound)."""
    try:
        return await asyncio.wait_for(reader.read(), BOUND_S)
    except ConnectionResetError:
        return b""


async def _closed(reader: asyncio.StreamReader) -> bool:
    """True once the server closed the connection without sending anything more."""
    return await _rest(reader) == b""


async def _hangup(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


def _assert_batch_error(reply: RawReply, status: int, code: str) -> dict[str, Any]:
    assert reply.status == status, reply
    assert reply.headers["content-type"].startswith("application/json;odata=minimalmetadata")
    body: dict[str, Any] = reply.json()
    assert body["code"] == code, body
    assert body["odata.metadata"].endswith(
        "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"
    )
    assert body["message"]["lang"] == "en-US"
    assert f"\nRequestId:{reply.headers['request-id']}\nTime:" in body["message"]["value"]
    assert reply.headers["dataserviceversion"] == "3.0"
    return body


@pytest.mark.batch_emulator(header_timeout=0.2)
async def test_headers_that_never_finish_get_408_and_a_close(emu: BatchEmulator) -> None:
    reader, writer = await _connect(emu)
    writer.write(b"GET /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\nUser-Agent: slo")
    await writer.drain()
    reply = await _read_reply(reader)
    body = _assert_batch_error(reply, 408, "RequestTimeout")
    assert {"key": "Reason", "value": "headers not received within the emulator's time limit"} in body[
        "values"
    ]
    assert reply.headers["connection"].lower() == "close"
    assert await _closed(reader)
    await _hangup(writer)


@pytest.mark.batch_emulator(header_timeout=0.2, idle_timeout=60)
async def test_hundreds_of_stuck_connections_are_all_released(emu: BatchEmulator) -> None:
    conns = [await _connect(emu) for _ in range(200)]
    for _, writer in conns:
        writer.write(b"POST /jobs HTTP/1.1\r\nHost: x\r\n")
    for reader, _ in conns:
        assert (await _rest(reader)).startswith(b"HTTP/1.1 408 ")
    for _, writer in conns:
        await _hangup(writer)
    for _ in range(100):  # the server side finishes its bookkeeping on its next loop turns
        if emu.connection_count == 0:
            break
        await asyncio.sleep(0.01)
    assert emu.connection_count == 0


@pytest.mark.batch_emulator(idle_timeout=0.2, header_timeout=60)
async def test_connections_that_send_nothing_are_closed_quietly(emu: BatchEmulator) -> None:
    reader, writer = await _connect(emu)
    assert await _closed(reader)  # no bytes at all: no 408 for a request that never began
    await _hangup(writer)


@pytest.mark.batch_emulator(idle_timeout=0.2, header_timeout=60)
async def test_idle_keep_alive_connections_are_closed(emu: BatchEmulator) -> None:
    reader, writer = await _connect(emu)
    writer.write(b"GET /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = await _read_reply(reader)
    assert reply.status == 200
    assert reply.headers.get("connection", "keep-alive").lower() != "close"
    assert await _closed(reader)
    await _hangup(writer)


@pytest.mark.batch_emulator(idle_timeout=60, header_timeout=60)
async def test_a_kept_alive_connection_serves_several_requests(emu: BatchEmulator) -> None:
    reader, writer = await _connect(emu)
    for _ in range(3):
        writer.write(b"GET /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await _read_reply(reader)).status == 200
    await _hangup(writer)


@pytest.mark.batch_emulator(body_timeout=0.2)
async def test_a_body_that_never_finishes_gets_408_and_a_close(emu: BatchEmulator) -> None:
    reader, writer = await _connect(emu)
    writer.write(
        b"POST /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id": "half'
    )
    await writer.drain()
    reply = await _read_reply(reader)
    body = _assert_batch_error(reply, 408, "RequestTimeout")
    assert {"key": "Reason", "value": "body not received within the emulator's time limit"} in body["values"]
    assert reply.headers["connection"].lower() == "close"
    assert await _closed(reader)
    await _hangup(writer)
    assert emu.store.job_ids() == []
    assert emu.request_log.count("add", 408) == 1


MALFORMED = [
    pytest.param(b"GARBAGE\r\n\r\n", "InvalidHttpRequest", id="no-method"),
    pytest.param(b"G@T /jobs HTTP/1.1\r\nHost: x\r\n\r\n", "InvalidHttpRequest", id="bad-method"),
    pytest.param(
        b"GET /jobs HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n", "InvalidHttpRequest", id="bad-header"
    ),
    pytest.param(
        b"GET /jobs HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n",
        "RequestHeaderTooLarge",
        id="header-too-long",
    ),
    pytest.param(
        b"POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "InvalidHttpRequest",
        id="bad-chunk",
    ),
    pytest.param(
        b"POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "InvalidHttpRequest",
        id="two-lengths",
    ),
]


@pytest.mark.parametrize(("raw", "code"), MALFORMED)
async def test_malformed_http_gets_a_batch_error_body(emu: BatchEmulator, raw: bytes, code: str) -> None:
    reader, writer = await _connect(emu)
    writer.write(raw)
    await writer.drain()
    reply = await _read_reply(reader)
    body = _assert_batch_error(reply, 400, code)
    # The parser's own message can quote header bytes (an Authorization value, say): never echoed.
    assert "aaaa" not in reply.body.decode() and "Bad Header" not in reply.body.decode()
    assert [item["key"] for item in body["values"]] == ["Reason"]
    assert await _closed(reader)
    await _hangup(writer)


async def test_shutdown_is_prompt_with_a_half_sent_body() -> None:
    emu = await BatchEmulator(auth=False).start()  # default (30 s) body timeout
    reader, writer = await _connect(emu)
    writer.write(
        b"POST /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    for _ in range(100):  # wait until the handler is really waiting for the rest of the body
        if emu.connection_count == 1:
            break
        await asyncio.sleep(0.01)
    # Before the fix this waited for aiohttp's 60 s shutdown timeout; the bound here fails such a wait.
    await asyncio.wait_for(emu.close(), BOUND_S)
    assert await _closed(reader)
    await _hangup(writer)


async def test_shutdown_is_prompt_with_a_slow_fault_in_progress(api: Api, emu: BatchEmulator) -> None:
    emu.faults.slow(600_000, operation="list")
    pending = asyncio.ensure_future(api.call("GET", "/jobs"))
    for _ in range(100):
        if emu.faults.rules[0].fired:
            break
        await asyncio.sleep(0.01)
    await asyncio.wait_for(emu.close(), BOUND_S)
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(pending, BOUND_S)


def test_connection_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="header_timeout"):
        BatchEmulator(header_timeout=0)
    with pytest.raises(ValueError, match="body_timeout"):
        BatchEmulator(body_timeout=float("inf"))
    with pytest.raises(TypeError, match="idle_timeout"):
        BatchEmulator(idle_timeout="5")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "encoding_and_body",
    [
        pytest.param(b"Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd", id="gzip"),
        pytest.param(b"Content-Encoding: deflate\r\nContent-Length: 4\r\n\r\nabcd", id="deflate"),
    ],
)
async def test_undecodable_bodies_are_a_400(
    emu: BatchEmulator, encoding_and_body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await _connect(emu)
    writer.write(b"POST /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\n" + encoding_and_body)
    await writer.drain()
    reply = await _read_reply(reader)
    assert reply.status == 400
    assert reply.json()["code"] in ("InvalidRequestBody", "InvalidHttpRequest")
    assert reply.headers["content-type"].startswith("application/json;odata=minimalmetadata")
    assert await _rest(reader) == b""  # closed after the answer
    assert await _rest(reader) == b""  # closed after the answer
    await _hangup(writer)
    assert emu.store.job_ids() == []
    # aiohttp trips over the same body again when draining it; that is not an error worth logging.
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.records
    # aiohttp trips over the same body again when draining it; that is not an error worth logging.
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.records


async def test_a_client_leaving_mid_body_is_not_an_emulator_error(
    emu: BatchEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    _reader, writer = await _connect(emu)
    writer.write(b"POST /jobs?api-version=2024-02-01.19.0 HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
    await writer.drain()
    for _ in range(100):  # until the handler waits for the rest of the body
        if emu.connection_count == 1:
            break
        await asyncio.sleep(0.01)
    await _hangup(writer)
    for _ in range(200):  # bounded: the emulator notices the hang-up and records it
        if emu.request_log.count("add", 0):
            break
        await asyncio.sleep(0.01)
    assert emu.request_log.count("add", 0) == 1
    assert not [r for r in caplog.records if r.name == "azbatch.emulator" and r.levelname == "ERROR"]


ADMIN_TYPE_ERRORS = [
    ("PUT", "/config", {"seed": [1]}, "seed"),
    ("PUT", "/config", {"seed": True}, "seed"),
    ("POST", "/jobs", {"job": {"id": "x", "poolInfo": {"poolId": "p"}}, "jobScheduleId": 5}, "jobScheduleId"),
    (
        "POST",
        "/jobs",
        {"job": {"id": "x", "poolInfo": {"poolId": "p"}}, "terminateReason": 5},
        "terminateReason",
    ),
    ("PUT", "/jobs/a/state", {"state": "completed", "terminateReason": ["r"]}, "terminateReason"),
    ("POST", "/faults", {"kind": "busy", "method": 5}, "rule"),
    ("POST", "/faults", {"kind": "busy", "operation": 5}, "rule"),
    ("POST", "/faults", {"kind": "busy", "path": 5}, "rule"),
    ("POST", "/faults", {"kind": "busy", "times": "a"}, "rule"),
    ("POST", "/faults", {"kind": "busy", "times": True}, "rule"),
    ("POST", "/faults", {"kind": "busy", "probability": "x"}, "rule"),
    ("POST", "/faults", {"kind": "delay", "delay_ms": 1.5}, "rule"),
    ("POST", "/faults", {"kind": "busy", "retry_after": "1"}, "rule"),
]


@pytest.mark.parametrize(("method", "path", "body", "prop"), ADMIN_TYPE_ERRORS)
async def test_admin_api_refuses_wrong_types_with_a_400(
    api: Api, emu: BatchEmulator, method: str, path: str, body: Any, prop: str
) -> None:
    await api.add("a")
    reply = await api.admin(method, path, body)
    assert_batch_error(reply, 400, "InvalidPropertyValue")
    assert reply.detail("PropertyName") == prop
    assert emu.faults.rules == []
    assert emu.store.job_ids() == ["a"]
    assert (await api.call("GET", "/jobs")).status == 200  # nothing half-added breaks later requests
