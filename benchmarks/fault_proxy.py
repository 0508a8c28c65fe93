"""A loopback HTTP/1.1 proxy that injects transient faults between a client and a server.

The soak benchmark (``soak.py``) puts it in front of the Batch emulator. It lives here, not in the
emulator, so that "the server applied the request, then the answer was lost" is decided by something
the emulator knows nothing about: for the *after* faults the request is forwarded and its full answer
read before the client is given a 500 or a reset instead.

Which request gets which fault is a pure function of the seed, the request's key and how many requests
with that key came before it (its attempt number). The key is the first of ``key_headers`` the request
carries: by default an ``x-soak-op`` header, else the ``client-request-id``. A retried call therefore
meets the same faults on every run whatever the interleaving of concurrent calls, and two clients that
send the same keys meet the same faults.

Fault kinds:

``throttle`` / ``busy``
    429 ``TooManyRequests`` / 503 ``ServerBusy`` with ``Retry-After`` (whole seconds); not forwarded.
``error_before``
    500 ``InternalError``; not forwarded.
``error_after``
    forwarded and applied, then answered with a 500 ``InternalError`` instead of the real answer.
``reset_before``
    the request is read, then the connection is reset (TCP RST); not forwarded.
``reset_after``
    forwarded and applied, then the connection is reset without a byte of the answer.
``reset_after_partial``
    forwarded and applied, then the first half of the answer's bytes is sent and the connection reset.
``slow``
    forwarded; the answer is held back for a while, then sent unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import struct
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_KEY_HEADERS",
    "FAULT_KINDS",
    "Fault",
    "FaultPlan",
    "FaultProxy",
    "HttpMessage",
    "Observer",
]

FAULT_KINDS = (
    "throttle",
    "busy",
    "error_before",
    "error_after",
    "reset_before",
    "reset_after",
    "reset_after_partial",
    "slow",
)

_HEAD_END = b"\r\n\r\n"
_MAX_HEAD = 64 * 1024
DEFAULT_KEY_HEADERS = ("x-soak-op", "client-request-id")


@dataclass(frozen=True)
class Fault:
    """One injected fault: its kind, the Retry-After seconds (throttle/busy) and the hold (slow)."""

    kind: str
    retry_after: int = 0
    delay_s: float = 0.0


@dataclass(frozen=True)
class FaultPlan:
    """Decides, deterministically, which requests fail and how.

    ``rate`` is the share of requests that get a fault, spread evenly over ``kinds``. Retry-After values
    are drawn from 0..``max_retry_after`` seconds and slow answers are held ``slow_s`` (min, max) seconds.
    """

    rate: float
    seed: int
    kinds: tuple[str, ...] = FAULT_KINDS
    max_retry_after: int = 1
    slow_s: tuple[float, float] = (0.2, 1.0)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within 0..1, got {self.rate}")
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"kinds must be a non-empty subset of {FAULT_KINDS}, got {self.kinds}")

    def decide(self, key: str) -> Fault | None:
        """The fault for the request identified by ``key`` (id and attempt number), or None."""
        digest = hashlib.blake2b(f"{self.seed}|{key}".encode(), digest_size=16).digest()
        draw = int.from_bytes(digest[:6], "big") / float(1 << 48)
        if draw >= self.rate:
            return None
        kind = self.kinds[digest[6] % len(self.kinds)]
        retry_after = digest[7] % (self.max_retry_after + 1)
        low, high = self.slow_s
        delay = low + (high - low) * (int.from_bytes(digest[8:12], "big") / float(1 << 32))
        return Fault(
            kind, retry_after if kind in ("throttle", "busy") else 0, delay if kind == "slow" else 0.0
        )


@dataclass
class HttpMessage:
    """An HTTP/1.1 request or response as read off the wire: raw bytes to forward, parsed parts to inspect."""

    start_line: str
    headers: dict[str, str]  # lower-cased names; enough for the few headers the proxy reads
    raw: bytes  # head and body exactly as received (chunked framing kept)
    body: bytes  # body with any chunked framing removed

    @property
    def keep_alive(self) -> bool:
        """False when either side asked to close the connection after this message."""
        return self.headers.get("connection", "").lower() != "close"


# Called for every answer the server gave: (request, response). Faults do not hide it.
Observer = Callable[[HttpMessage, HttpMessage], None]


async def _read_head(reader: asyncio.StreamReader) -> tuple[bytes, str, dict[str, str]] | None:
    try:
        head = await reader.readuntil(_HEAD_END)
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            return None  # clean end of a keep-alive connection
        raise
    lines = head[: -len(_HEAD_END)].decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return head, lines[0], headers


async def _read_body(
    reader: asyncio.StreamReader, headers: dict[str, str], *, until_eof: bool
) -> tuple[bytes, bytes]:
    """(raw, decoded) body bytes, framed by Content-Length, chunked encoding or (responses) the close."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw, decoded = bytearray(), bytearray()
        while True:
            size_line = await reader.readuntil(b"\r\n")
            raw += size_line
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers (none expected) end with an empty line.
                while True:
                    line = await reader.readuntil(b"\r\n")
                    raw += line
                    if line == b"\r\n":
                        return bytes(raw), bytes(decoded)
            chunk = await reader.readexactly(size + 2)
            raw += chunk
            decoded += chunk[:-2]
    length = headers.get("content-length")
    if length is not None:
        body = await reader.readexactly(int(length))
        return body, body
    if until_eof:
        body = await reader.read()
        return body, body
    return b"", b""


async def read_request(reader: asyncio.StreamReader) -> HttpMessage | None:
    """The next request on a client connection, or None at a clean end of the connection."""
    parsed = await _read_head(reader)
    if parsed is None:
        return None
    head, start, headers = parsed
    raw_body, body = await _read_body(reader, headers, until_eof=False)
    return HttpMessage(start, headers, head + raw_body, body)


async def read_response(reader: asyncio.StreamReader, method: str) -> HttpMessage:
    """The server's answer to a request made with ``method``."""
    parsed = await _read_head(reader)
    if parsed is None:
        raise ConnectionResetError("the server closed the connection before answering")
    head, start, headers = parsed
    status = int(start.split(" ", 2)[1])
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return HttpMessage(start, headers, head, b"")
    raw_body, body = await _read_body(reader, headers, until_eof=True)
    return HttpMessage(start, headers, head + raw_body, body)


def error_response(status: int, reason: str, code: str, *, retry_after: int | None = None) -> bytes:
    """A Batch-shaped error answer whose message says the proxy made it up."""
    request_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "odata.metadata": "http://127.0.0.1/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element",
            "code": code,
            "message": {
                "lang": "en-US",
                "value": f"Injected by the soak fault proxy.\nRequestId:{request_id}",
            },
        }
    ).encode()
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json;odata=minimalmetadata;streaming=true;charset=utf-8",
        f"Content-Length: {len(body)}",
        f"request-id: {request_id}",
        "DataServiceVersion: 3.0",
    ]
    if retry_after is not None:
        lines.append(f"Retry-After: {retry_after}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0) rather than an orderly FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@dataclass
class ProxyStats:
    """What the proxy did: per-kind fault counts and, per request key, every attempt's fault (or None)."""

    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    attempts: dict[str, list[str | None]] = field(default_factory=dict)
    proxy_errors: int = 0  # the upstream failed on its own (not an injected fault)
    connections: int = 0


class _Upstream:
    """One connection to the server per client connection, opened lazily and reopened when closed."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, request: HttpMessage, method: str) -> HttpMessage:
        for attempt in (1, 2):
            reused = self._conn is not None
            if self._conn is None:
                self._conn = await asyncio.open_connection(*self._address)
            reader, writer = self._conn
            try:
                writer.write(request.raw)
                await writer.drain()
                response = await read_response(reader, method)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                # An idle keep-alive connection the server had closed: nothing was processed, so sending
                # again is safe. A fresh connection failing is a real error.
                if reused and attempt == 1:
                    continue
                raise
            if not response.keep_alive:
                self.close()
            return response
        raise AssertionError("unreachable")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn[1].close()


class FaultProxy:
    """Serves on ``host:port`` (0 picks a port) and forwards to ``upstream``, injecting ``plan``'s faults.

    ``observer`` sees every (request, response) pair the server produced, including those whose answer
    the client never got. All state lives on the event loop the proxy runs on.
    """

    def __init__(
        self,
        upstream: tuple[str, int],
        plan: FaultPlan,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        observer: Observer | None = None,
        key_headers: tuple[str, ...] = DEFAULT_KEY_HEADERS,
    ) -> None:
        self.upstream = upstream
        self.key_headers = tuple(name.lower() for name in key_headers)
        self.plan = plan
        self.host = host
        self.port = port
        self.observer = observer
        self.stats = ProxyStats()
        self._server: asyncio.Server | None = None
        self._unkeyed = 0

    @property
    def endpoint(self) -> str:
        """The URL clients should use instead of the upstream's."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FaultProxy:
        """Bind and start accepting connections."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        """Stop accepting connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def drain_stats(self) -> ProxyStats:
        """Return the stats so far and start new ones (between soak phases)."""
        stats, self.stats = self.stats, ProxyStats()
        return stats

    def _fault_for(self, request: HttpMessage) -> Fault | None:
        key = next((request.headers[h] for h in self.key_headers if h in request.headers), None)
        if key is None:
            self._unkeyed += 1  # decided by arrival order: reproducible only without concurrency
            return self.plan.decide(f"-#{self._unkeyed}")
        history = self.stats.attempts.setdefault(key, [])
        fault = self.plan.decide(f"{key}#{len(history)}")
        history.append(fault.kind if fault else None)
        return fault

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        upstream = _Upstream(*self.upstream)
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    return
                self.stats.requests += 1
                fault = self._fault_for(request)
                if fault is not None:
                    self.stats.faults[fault.kind] += 1
                if not await self._answer(request, fault, upstream, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return  # the client went away mid-request, or sent something this proxy cannot frame
        except asyncio.CancelledError:
            # Shutdown with connections still open. Ending normally instead of as cancelled keeps
            # asyncio's stream callback (which calls task.exception()) from logging a traceback.
            return
        finally:
            upstream.close()
            if not writer.is_closing():
                writer.close()

    async def _answer(
        self, request: HttpMessage, fault: Fault | None, upstream: _Upstream, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the client connection is finished."""
        kind = fault.kind if fault is not None else None
        if fault is not None and kind == "throttle":
            writer.write(
                error_response(429, "Too Many Requests", "TooManyRequests", retry_after=fault.retry_after)
            )
        elif fault is not None and kind == "busy":
            writer.write(
                error_response(503, "Server Unavailable", "ServerBusy", retry_after=fault.retry_after)
            )
        elif kind == "error_before":
            writer.write(error_response(500, "Internal Server Error", "InternalError"))
        elif kind == "reset_before":
            _reset(writer)
            return False
        else:
            method = request.start_line.split(" ", 1)[0].upper()
            try:
                response = await upstream.exchange(request, method)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                self.stats.proxy_errors += 1
                writer.write(error_response(502, "Bad Gateway", "ProxyUpstreamFailed"))
                await writer.drain()
                return False
            if self.observer is not None:
                self.observer(request, response)
            if kind == "error_after":
                writer.write(error_response(500, "Internal Server Error", "InternalError"))
            elif kind == "reset_after":
                _reset(writer)
                return False
            elif kind == "reset_after_partial":
                writer.write(response.raw[: max(1, len(response.raw) // 2)])
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
                _reset(writer)
                return False
            else:
                if fault is not None and kind == "slow":
                    await asyncio.sleep(fault.delay_s)
                writer.write(response.raw)
                if not response.keep_alive:
                    await writer.drain()
                    return False
        await writer.drain()
        return request.keep_alive
