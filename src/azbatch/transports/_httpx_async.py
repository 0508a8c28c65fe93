# Source of the generated _httpx_sync.py (scripts/unasync.py): edit here, never there.
"""An azure-core ``AsyncHttpTransport`` that sends requests with an ``httpx.AsyncClient``."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from contextlib import aclosing
from numbers import Real
from types import TracebackType
from typing import IO, Any, cast

import httpx
from azure.core.exceptions import (
    AzureError,
    DecodeError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl

from .._protocol import _validation as check

__all__ = ["AsyncHttpXTransport", "AsyncHttpXTransportResponse"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_BLOCK_SIZE = 4096
"""Chunk size, in bytes, used when streaming request and response bodies."""

DEFAULT_TIMEOUT = httpx.Timeout(300.0)
"""Timeout of clients the transport creates itself.

azure-core's own transports wait up to 300 s to connect and 300 s between reads; httpx's default of 5 s
would cut off slow but healthy service calls, so a transport-made client follows azure-core instead.
"""

# Per-call options azure-core may forward that httpx only supports on the client (TLS and proxy settings
# are fixed when the connection pool is built). They are dropped; configure them on the client.
_CLIENT_LEVEL_OPTIONS = ("connection_verify", "connection_cert", "proxies", "proxy")


def _to_azure_error(error: httpx.RequestError) -> AzureError:
    """Translate an httpx failure into the azure-core exception that the retry policy understands.

    ``ServiceRequestError`` means the service cannot have seen the request (always safe to retry);
    ``ServiceResponseError`` means it may have, so azure-core only retries idempotent methods.
    """
    if isinstance(error, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return ServiceRequestTimeoutError(error, error=error)
    if isinstance(error, httpx.TimeoutException):
        # Read and write timeouts: part of the request may already have reached the service.
        return ServiceResponseTimeoutError(error, error=error)
    if isinstance(error, (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol)):
        return ServiceRequestError(error, error=error)
    if isinstance(error, httpx.LocalProtocolError):
        # h11 refused to put the request on the wire, so nothing was sent.
        return ServiceRequestError(error, error=error)
    if isinstance(error, httpx.DecodingError):
        return DecodeError(error, error=error)
    # Read/write errors, the peer closing the connection early, and anything newer httpx adds.
    return ServiceResponseError(error, error=error)


def _timeout_value(name: str, value: Any) -> float | None:
    """Check that a per-call timeout option is a number of seconds (or None for no limit)."""
    if value is None or (isinstance(value, Real) and not isinstance(value, bool)):
        # NaN or a negative value would make httpx wait forever or fail obscurely; say so up front.
        return None if value is None else check.seconds(name, value)
    raise TypeError(f"{name} must be a number of seconds or None, not {type(value).__name__}")


def _request_timeout(client: httpx.AsyncClient, config: dict[str, Any]) -> httpx.Timeout:
    """Build the httpx timeout of one call: the client's, with azure-core's per-call overrides applied."""
    base = client.timeout
    connect = _timeout_value("connection_timeout", config.pop("connection_timeout", base.connect))
    read = _timeout_value("read_timeout", config.pop("read_timeout", base.read))
    return httpx.Timeout(connect=connect, read=read, write=base.write, pool=base.pool)


async def _file_chunks(file: IO[bytes], block_size: int) -> AsyncIterator[bytes]:
    """Read a file-like body in ``block_size`` chunks (blocking reads, as in azure-core's transports)."""
    while chunk := file.read(block_size):
        yield chunk


async def _reyield(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    """Re-yield an iterable body as the stream type the client takes (the async client needs async)."""
    for chunk in chunks:
        yield chunk


def _body_arguments(request: HttpRequest, block_size: int) -> dict[str, Any]:
    """Map the body azure-core stored on ``request`` to ``httpx.AsyncClient.build_request`` arguments."""
    # ``data``/``files`` are azure-core's accessors for the body it already serialised from the
    # request's content/json/data/files arguments; every azure-core transport reads them.
    data: Any = request.data
    files: Any = request.files
    if files:
        # Multipart form: ``data`` (if any) is the dict of plain form fields.
        return {"files": files, "data": data} if data else {"files": files}
    if data is None:
        return {}
    if isinstance(data, str):
        # Encode here so Content-Length can be checked against the real byte count (see send()).
        return {"content": data.encode("utf-8")}
    if isinstance(data, bytes):
        return {"content": data}
    if isinstance(data, dict):
        return {"data": data}
    if hasattr(data, "read"):
        return {"content": _file_chunks(data, block_size)}
    if hasattr(data, "__aiter__"):
        return {"content": data}
    if isinstance(data, Iterable):
        return {"content": _reyield(data)}
    raise TypeError(
        f"Unsupported request body type: {type(data).__name__} (send bytes, str, a dict, a file or an "
        "iterable of bytes; async iterables need the async transport)"
    )


async def _stream_download(
    pipeline: object, response: AsyncHttpXTransportResponse, *, decompress: bool = True
) -> AsyncIterator[bytes]:
    """Yield the body of ``response`` in ``block_size`` chunks, translating httpx errors.

    azure-core calls this as ``(pipeline, response, decompress=...)``; ``pipeline`` is not needed here.
    With ``decompress`` the Content-Encoding (gzip, deflate...) is undone, otherwise raw bytes are given.
    """
    source = response.httpx_response
    chunks = source.aiter_bytes(response.block_size) if decompress else source.aiter_raw(response.block_size)
    # httpx implements both as generators; close them promptly when the caller stops early.
    async with aclosing(cast(AsyncGenerator[bytes, None], chunks)) as generator:
        try:
            async for chunk in generator:
                yield chunk
        except httpx.RequestError as error:
            raise _to_azure_error(error) from error


class AsyncHttpXTransportResponse(AsyncHttpResponseImpl):
    """An ``azure.core.rest.AsyncHttpResponse`` backed by an ``httpx.Response``.

    Headers are the httpx ``Headers`` (case-insensitive; repeated headers read as one comma-joined
    value). ``read()``, ``iter_bytes()``, ``iter_raw()`` and ``close()`` follow azure-core's contract.
    """

    def __init__(self, *, request: HttpRequest, internal_response: httpx.Response, block_size: int) -> None:
        super().__init__(
            request=request,
            internal_response=internal_response,
            block_size=block_size,
            status_code=internal_response.status_code,
            reason=internal_response.reason_phrase,
            content_type=internal_response.headers.get("content-type"),
            headers=internal_response.headers,
            # azure-core's read()/iter_*() call this; it must not be None.
            stream_download_generator=_stream_download,
        )
        self._httpx_response = internal_response

    @property
    def httpx_response(self) -> httpx.Response:
        """The underlying httpx response (for diagnostics; read the body through this object)."""
        return self._httpx_response

    @property
    def block_size(self) -> int:
        """Size, in bytes, of the chunks ``iter_bytes()``/``iter_raw()`` yield."""
        return self._block_size

    async def close(self) -> None:
        """Release the connection; safe to call more than once."""
        # Close through the httpx response itself: with an async client the inherited close() would
        # call its sync close(), which httpx refuses for a response read asynchronously.
        if not self.is_closed:
            self._is_closed = True
            await self._httpx_response.aclose()


class AsyncHttpXTransport(AsyncHttpTransport[HttpRequest, AsyncHttpResponse]):
    """azure-core transport over ``httpx.AsyncClient``.

    :keyword client: an existing client to send through. If omitted, one is created on ``open()`` or
        on the first ``send()`` from ``client_kwargs``.
    :keyword client_owner: whether ``close()`` also closes a caller-supplied ``client``. A client the
        transport made itself is always closed by ``close()``.
    :keyword block_size: chunk size, in bytes, for streamed bodies.
    :keyword client_kwargs: passed to ``httpx.AsyncClient`` (``verify``, ``cert``, ``timeout``,
        ``proxy``, ``trust_env``, ``limits``, ...); not allowed together with ``client``.

    TLS (``connection_verify``/``connection_cert``) and proxy (``proxies``/``proxy``) settings cannot be
    changed per request in httpx: set them on the client; the matching per-call azure-core options are
    ignored. ``connection_timeout`` and ``read_timeout`` are honoured per call; any other unknown keyword
    raises ``TypeError``, as with azure-core's transports.

    Redirects are never followed here, so azure-core's redirect policy sees them.

    After ``close()``, a transport that made its own client makes a fresh one on next use; one whose
    caller-supplied client has been closed raises ``RuntimeError`` instead.
    """

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        client_owner: bool = True,
        block_size: int = DEFAULT_BLOCK_SIZE,
        **client_kwargs: Any,
    ) -> None:
        if client is not None and client_kwargs:
            raise TypeError(f"client options {sorted(client_kwargs)} cannot be combined with client=")
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self._client = client
        self._makes_client = client is None
        self._client_owner = client_owner
        self._client_kwargs = client_kwargs
        self._block_size = block_size

    @property
    def client(self) -> httpx.AsyncClient | None:
        """The httpx client in use, or None before a transport-made client has been opened."""
        return self._client

    async def __aenter__(self) -> AsyncHttpXTransport:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Make the client if the transport owns none yet; a no-op when one is open."""
        self._ensure_client()

    async def close(self) -> None:
        """Close the client if the transport owns it; the transport may be opened again afterwards."""
        if self._client is None or not (self._makes_client or self._client_owner):
            return
        await self._client.aclose()
        if self._makes_client:
            self._client = None

    def _ensure_client(self) -> httpx.AsyncClient:
        """Return an open client, creating the transport's own one when needed."""
        if self._client is None:
            options: dict[str, Any] = {"timeout": DEFAULT_TIMEOUT, **self._client_kwargs}
            options.setdefault("follow_redirects", False)
            self._client = httpx.AsyncClient(**options)
        elif self._client.is_closed:
            raise RuntimeError("The httpx client given to this transport is closed; pass an open client.")
        return self._client

    async def send(self, request: HttpRequest, *, stream: bool = False, **config: Any) -> AsyncHttpResponse:
        """Send ``request`` and return its response.

        :param request: an ``azure.core.rest.HttpRequest``.
        :keyword stream: if False (default) the body is read and the connection released before
            returning; if True the caller reads it with ``iter_bytes()``/``read()`` and must close it.
        :keyword connection_timeout: seconds to wait for a connection (None: no limit).
        :keyword read_timeout: seconds to wait between two reads of the response (None: no limit).
        :raises ~azure.core.exceptions.ServiceRequestError: the request could not be sent.
        :raises ~azure.core.exceptions.ServiceResponseError: the response could not be received.
        """
        if not isinstance(request, HttpRequest):
            raise TypeError(f"{type(self).__name__} sends azure.core.rest.HttpRequest, not {type(request)!r}")
        client = self._ensure_client()
        timeout = _request_timeout(client, config)
        for name in _CLIENT_LEVEL_OPTIONS:
            if config.pop(name, None) is not None:
                _LOGGER.debug("Ignoring per-call %r: httpx only supports it on the client.", name)
        config.pop("connection_data_block_size", None)  # block size is fixed per transport here
        # azure-core forwards every option no policy consumed. Like azure-core's own transports, refuse
        # the rest: a misspelt keyword (or one another SDK supports, like force=) must not be ignored.
        if config:
            raise TypeError(
                f"{type(self).__name__}.send() got unexpected keyword arguments: {sorted(config)}"
            )

        body = _body_arguments(request, self._block_size)
        headers = httpx.Headers(request.headers)
        content = body.get("content")
        if isinstance(content, bytes) and "content-length" in headers:
            # azure-core counts characters, not bytes, for text bodies; send the true length.
            headers["content-length"] = str(len(content))
        try:
            outgoing = client.build_request(
                request.method, request.url, headers=headers, timeout=timeout, **body
            )
            # Always stream at the httpx level so body errors surface in one place (_stream_download).
            raw_response = await client.send(outgoing, stream=True, follow_redirects=False)
        except httpx.RequestError as error:
            raise _to_azure_error(error) from error

        response = AsyncHttpXTransportResponse(
            request=request, internal_response=raw_response, block_size=self._block_size
        )
        if not stream:
            try:
                await response.read()
            finally:
                await response.close()
        return response
