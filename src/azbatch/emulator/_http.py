"""The connection layer under the app: time limits per connection, and Batch error bodies for the
requests aiohttp refuses before any handler (or middleware) runs.

aiohttp's server has no limit on how long a client may take to send its request headers, keeps idle
connections for an hour by default and waits a minute for unfinished requests at shutdown. A test
emulator must not let a few stuck clients exhaust its file descriptors or hold up ``stop()``, so
:class:`EmulatorRunner` serves connections with :class:`_Connection`, which adds:

- a header deadline: from the first byte of a request to the end of its headers (408 then close);
- an idle deadline: a connection with no request under way (new or kept alive) is closed quietly;
- Batch-shaped answers instead of aiohttp's ``text/plain`` ones for malformed HTTP.

The body deadline is enforced where bodies are read (``_app._read_body``), and the shutdown bound is
aiohttp's own ``shutdown_timeout``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import http_exceptions, web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError
from aiohttp.web_request import BaseRequest

from ._errors import BatchApiError, error_body
from ._time import format_datetime, format_http_date, now_ticks

logger = logging.getLogger("azbatch.emulator")

JSON_CONTENT_TYPE = "application/json;odata=minimalmetadata;streaming=true;charset=utf-8"
"""Content-Type of every JSON response, as the real service labels them."""

DATA_SERVICE_VERSION = "3.0"
"""Value of the ``DataServiceVersion`` header the service puts on its JSON responses."""


@dataclass(frozen=True)
class ConnectionLimits:
    """Time limits, in seconds, that keep slow or stuck clients from holding connections forever."""

    header_timeout: float = 10.0
    """From the first byte of a request to the end of its headers; then 408 and the connection closes."""
    body_timeout: float = 30.0
    """From the end of the headers to the end of the body; then 408 and the connection closes."""
    idle_timeout: float = 30.0
    """How long a connection may stay open with no request under way (new or kept alive)."""
    shutdown_timeout: float = 0.5
    """How long stopping waits for requests in progress before cancelling them."""

    def __post_init__(self) -> None:
        for name in ("header_timeout", "body_timeout", "idle_timeout", "shutdown_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive, finite number of seconds, not {value!r}")


def request_timeout_error(what: str) -> BatchApiError:
    """408 for a request whose headers or body did not arrive in time; the connection is closed."""
    error = BatchApiError(
        408,
        "RequestTimeout",
        f"The request {what} did not arrive in time; the connection is closed.",
        [("Reason", f"{what} not received within the emulator's time limit")],
        headers={"Connection": "close"},
    )
    return error


# aiohttp's parser messages may quote header bytes (which could be an Authorization value), so the
# reason sent back is a fixed text per error class, never the parser's message.
_PARSE_REASONS: tuple[tuple[type[Exception], str, str], ...] = (
    (http_exceptions.BadHttpMethod, "InvalidHttpRequest", "the request line has no valid HTTP method"),
    (http_exceptions.LineTooLong, "RequestHeaderTooLarge", "a request line or header is too long"),
    (http_exceptions.InvalidHeader, "InvalidHeaderValue", "a request header is malformed"),
    (http_exceptions.InvalidURLError, "InvalidUri", "the request target is not a valid URL"),
    (http_exceptions.BadStatusLine, "InvalidHttpRequest", "the request line is malformed"),
    (http_exceptions.ContentLengthError, "InvalidHttpRequest", "the body is shorter than Content-Length"),
    (http_exceptions.TransferEncodingError, "InvalidHttpRequest", "the chunked body is malformed"),
    (http_exceptions.ContentEncodingError, "InvalidHttpRequest", "the body's content encoding is invalid"),
)


def protocol_error(status: int, exc: BaseException | None) -> BatchApiError:
    """The Batch error for a request aiohttp could not parse or serve (``exc`` is its exception)."""
    if status == 400 or isinstance(exc, http_exceptions.HttpProcessingError):
        code, reason = next(
            ((c, r) for cls, c, r in _PARSE_REASONS if isinstance(exc, cls)),
            ("InvalidHttpRequest", "the request is not valid HTTP/1.1"),
        )
        status = status if 400 <= status < 500 else 400
        return BatchApiError(
            status,
            code,
            "The request could not be read as an HTTP request.",
            [("Reason", reason)],
            headers={"Connection": "close"},
        )
    if status == 504 or isinstance(exc, asyncio.TimeoutError):
        return BatchApiError(500, "OperationTimedOut", "The operation did not complete in time.")
    return BatchApiError(500, "InternalError", "The emulator hit an unexpected error; retrying may succeed.")


def _local_base_url(transport: asyncio.BaseTransport | None) -> str:
    sockname: Any = transport.get_extra_info("sockname") if transport is not None else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host = str(sockname[0])
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{sockname[1]}"
    return "http://127.0.0.1"


def error_bytes(base_url: str, error: BatchApiError, request_id: str) -> bytes:
    """The JSON body of ``error`` as the emulator sends it."""
    body = error_body(base_url, error, request_id, format_datetime(now_ticks()))
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Connection(RequestHandler):
    """aiohttp's per-connection protocol with header and idle deadlines and Batch error bodies."""

    def __init__(self, manager: web.Server, *, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._limits = limits
        self._header_timer: asyncio.TimerHandle | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self._got_bytes = False

    # ---------------------------------------------------------------------------------- deadlines

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        # aiohttp only times out idleness after a response; a client that connects and never sends
        # anything must be closed too.
        self._idle_timer = self._loop.call_later(self._limits.idle_timeout, self._idle_expired)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data and not self._got_bytes:
            self._got_bytes = True
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
        if data and self._header_timer is None and self._between_requests():
            self._header_timer = self._loop.call_later(self._limits.header_timeout, self._headers_expired)
        queued = len(self._messages)
        super().data_received(data)
        if len(self._messages) > queued and self._header_timer is not None:
            # A complete request head (or a parse error) was queued: the header deadline is met.
            self._header_timer.cancel()
            self._header_timer = None

    def _between_requests(self) -> bool:
        # getattr: the attribute is an aiohttp internal that older 3.x releases may lack.
        return not getattr(self, "_request_in_progress", False) and not self._messages

    def _waiting_for_request(self) -> bool:
        waiter = self._waiter
        return waiter is not None and not waiter.done()

    def _idle_expired(self) -> None:
        self._idle_timer = None
        if not self._got_bytes and self.transport is not None:
            self.force_close()

    def _headers_expired(self) -> None:
        self._header_timer = None
        transport = self.transport
        # Bytes received while a previous request's unread body drains also arm the timer; only a
        # connection still waiting for its next request head has really run out of time.
        if transport is None or transport.is_closing() or not self._waiting_for_request():
            return
        error = request_timeout_error("headers")
        request_id = str(uuid.uuid4())
        body = error_bytes(_local_base_url(transport), error, request_id)
        head = (
            "HTTP/1.1 408 Request Timeout\r\n"
            f"Content-Type: {JSON_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Date: {format_http_date(now_ticks())}\r\n"
            f"request-id: {request_id}\r\n"
            f"DataServiceVersion: {DATA_SERVICE_VERSION}\r\n"
            "Connection: close\r\n\r\n"
        )
        logger.debug("closing a connection whose request headers did not arrive in time")
        transport.write(head.encode("ascii") + body)
        self.force_close()  # close() flushes what was just written

    def _cancel_timers(self) -> None:
        for timer in (self._header_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._header_timer = self._idle_timer = None

    # ------------------------------------------------------------------------------------ errors

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """Log aiohttp's own errors, except a client's broken body, which was already answered 400."""
        exc = kw.get("exc_info")
        # After answering, aiohttp drains the unread body and trips over the same decoding error again.
        if isinstance(exc, (RequestPayloadError, http_exceptions.HttpProcessingError, ConnectionError)):
            self.logger.debug(*args, **kw)
            return
        super().log_exception(*args, **kw)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """Answer what aiohttp could not parse or serve with a Batch error body (never a traceback)."""
        if status >= 500:
            logger.error("error serving a request", exc_info=exc)
        else:
            logger.debug("malformed request: %r", type(exc).__name__ if exc is not None else status)
        if request.writer.output_size > 0:
            # Same contract as aiohttp's: once bytes went out, nothing more can be said on this stream.
            raise ConnectionError("the response was already started")
        error = protocol_error(status, exc)
        request_id = str(uuid.uuid4())
        response = web.Response(
            status=error.status,
            body=error_bytes(_local_base_url(self.transport), error, request_id),
            headers={
                "Content-Type": JSON_CONTENT_TYPE,
                "request-id": request_id,
                "DataServiceVersion": DATA_SERVICE_VERSION,
                **error.headers,
            },
        )
        response.force_close()
        return response


class _Server(web.Server):
    """aiohttp's connection factory, making :class:`_Connection` protocols."""

    def __init__(
        self,
        handler: Any,
        *,
        request_factory: Any,
        handler_cancellation: bool,
        limits: ConnectionLimits,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            handler, request_factory=request_factory, handler_cancellation=handler_cancellation, **kwargs
        )
        self._limits = limits
        self._connection_kwargs = kwargs  # what aiohttp would pass to each RequestHandler

    def __call__(self) -> RequestHandler:
        return _Connection(self, loop=self._loop, limits=self._limits, **self._connection_kwargs)


class EmulatorRunner(web.AppRunner):
    """An ``AppRunner`` whose connections follow :class:`ConnectionLimits`."""

    def __init__(self, app: web.Application, limits: ConnectionLimits) -> None:
        super().__init__(
            app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=limits.shutdown_timeout,
            keepalive_timeout=limits.idle_timeout,
            # After an early answer (e.g. 411, 401) aiohttp reads and drops the unread body for this long
            # before closing; bounded by the body deadline.
            lingering_time=min(2.0, limits.body_timeout),
        )
        self._limits = limits

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The app's own server object knows how to run the app (startup done, handler and request
        # factory bound); only the protocol class changes.
        kwargs = dict(getattr(server, "_kwargs", {}))
        return _Server(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            limits=self._limits,
            **kwargs,
        )
