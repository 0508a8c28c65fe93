"""Per-call total deadlines: ``timeout=`` bounds every attempt, read and retry wait of one call together.

Two policies per client. The outer one (first in the pipeline) starts the clock, publishes the absolute
``time.monotonic()`` deadline as ``request.context["azbatch_deadline"]`` and stands a wrapper in for
``request.context.transport`` whose ``sleep`` refuses a wait the time left cannot cover: azure-core's
retry policies sleep through that object, so Retry-After and backoff waits are capped whatever retry
policy runs. The inner one (last, next to the transport) counts attempts, refuses to send once the time
is spent and remembers the last response for the error.

How a wait in progress is cut short differs:

* async: the outer policy runs the rest of the pipeline under an asyncio timeout, so cancellation stops
  a connect, a read, a token request or a sleep at the deadline, for any transport;
* sync: nothing can be cancelled, so each attempt gets ``connection_timeout``/``read_timeout`` no longer
  than the time left (a stall ends at the deadline), and the whole attempt -- sending, the status line
  and headers, the body -- runs under a watchdog thread that shuts the attempt's socket down at the
  deadline. A read timeout alone cannot stop a head or body that trickles in a byte at a time (every
  read succeeds), and reading chunk by chunk with a clock check between chunks does not help either:
  urllib3 fills each chunk from many socket reads. Shutting the socket down is the one thing that ends
  a blocked ``recv`` from another thread, for requests/urllib3 and httpx alike. Hooks on the
  transports' connection pools tell the watchdog which socket an attempt is using from the moment it
  has one (see "the socket an attempt is using" below).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from numbers import Real
from typing import Any, TypeVar

from azure.core.exceptions import AzureError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy
from azure.core.pipeline.transport import RequestsTransport

from .._protocol import _validation as check
from .._protocol._idempotency import ATTEMPTS_KEY, AttemptLog
from ..exceptions import BatchTimeoutError

__all__ = [
    "DEADLINE_KEY",
    "AsyncDeadlineAttemptPolicy",
    "AsyncDeadlinePolicy",
    "DeadlineAttemptPolicy",
    "DeadlinePolicy",
    "check_timeout",
]

DEADLINE_KEY = "azbatch_deadline"
"""Pipeline context key holding the call's absolute deadline, in ``time.monotonic()`` seconds."""

_STATE_KEY = "azbatch_deadline_state"

# A socket timeout set to the time left may wake a hair before the deadline by the clock's reckoning;
# an error that close to the deadline is the deadline's doing.
_SLACK = 0.001

T = TypeVar("T")


def check_timeout(value: Any, *, name: str = "timeout") -> float | None:
    """Validate a total deadline in seconds: ``None`` (no deadline) or a positive, finite number."""
    return check.optional_seconds(name, value, positive=True)


class _Deadline:
    """The clock and the record of one call that has a deadline."""

    __slots__ = ("at", "attempts", "failure", "last_error", "last_response", "start", "timeout")

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.start = time.monotonic()
        self.at = self.start + timeout
        self.attempts = 0
        self.last_response: Any = None
        self.last_error: BaseException | None = None  # the last attempt that got no answer, and why
        # Once the call has given up, every later attempt the retry policy makes fails the same way.
        self.failure: BatchTimeoutError | None = None

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= _SLACK

    def fail(self, message: str | None = None) -> BatchTimeoutError:
        """Record and return the error that ends the call."""
        if self.failure is None:
            self.failure = BatchTimeoutError(
                message,
                deadline=self.timeout,
                elapsed=time.monotonic() - self.start,
                attempts=self.attempts,
                response=self.last_response,
                error=self.last_error,
            )
        return self.failure

    def check_wait(self, seconds: float) -> None:
        """Refuse a retry wait that would end at or after the deadline: waiting could only fail later."""
        if self.failure is not None:
            # The retry policy is backing off after the call already gave up (it catches the error as
            # one more AzureError): stop it here rather than wait for nothing.
            raise self.failure
        left = self.remaining()
        if seconds >= left:
            raise self.fail(
                f"the call would have to wait {seconds:g} s before retrying, "
                f"but only {max(left, 0.0):.3f} s of its {self.timeout:g} s timeout were left"
            )

    def before_attempt(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self.expired():
            raise self.fail()


def _start(request: PipelineRequest[Any], default: float | None) -> _Deadline | None:
    """Take the call's ``timeout`` option (or the client default) and set up its deadline."""
    options = request.context.options
    value = options.pop("timeout", None)
    timeout = default if value is None else check_timeout(value)
    if timeout is None:
        return None
    state = _Deadline(timeout)
    request.context[DEADLINE_KEY] = state.at
    request.context[_STATE_KEY] = state
    log = options.get(ATTEMPTS_KEY)
    if isinstance(log, AttemptLog):
        # A write verifies a failure with a GET after the pipeline gave up; that GET gets what is left.
        log.deadline = state.at
    # azure-core's retry policies take ``timeout`` as their own budget: once it is spent they stop
    # retrying instead of trying again and again only to be refused by the attempt policy.
    options["timeout"] = timeout
    return state


def _state(request: PipelineRequest[Any]) -> _Deadline | None:
    state = request.context.get(_STATE_KEY)
    return state if isinstance(state, _Deadline) else None


class _TransportStandIn:
    """Forwards everything to the transport; only ``sleep`` differs (in the subclasses)."""

    def __init__(self, transport: Any, state: _Deadline) -> None:
        self._transport = transport
        self._state = state

    def __getattr__(self, name: str) -> Any:
        # connection_config and the rest: azure-core's sync retry policy reads the transport's timeouts.
        return getattr(self._transport, name)


class _SyncSleepCap(_TransportStandIn):
    def sleep(self, duration: float) -> None:
        self._state.check_wait(duration)
        # Looked up at each call, so a test (or caller) that patched the transport's sleep still sees it.
        self._transport.sleep(duration)


class _AsyncSleepCap(_TransportStandIn):
    async def sleep(self, duration: float) -> None:
        self._state.check_wait(duration)
        await self._transport.sleep(duration)


def _timeout_error(state: _Deadline, error: BaseException) -> BaseException:
    """The error to raise for ``error`` leaving the pipeline: the deadline's, if it caused it."""
    if isinstance(error, BatchTimeoutError):
        return error
    if (
        isinstance(error, (ServiceRequestError, ServiceResponseError, asyncio.TimeoutError))
        and state.expired()
    ):
        return state.fail()
    return error


# ------------------------------------------------------------------------------------------- async


if sys.version_info >= (3, 11):

    async def _run_until(awaitable: Awaitable[T], state: _Deadline) -> T:
        loop = asyncio.get_running_loop()
        # The loop's clock is time.monotonic(); asyncio.timeout cancels in this task, no new task needed.
        async with asyncio.timeout_at(loop.time() + state.remaining()):
            return await awaitable

else:  # pragma: no cover - Python 3.10

    async def _run_until(awaitable: Awaitable[T], state: _Deadline) -> T:
        return await asyncio.wait_for(awaitable, state.remaining())


class AsyncDeadlinePolicy(AsyncHTTPPolicy[Any, Any]):
    """Outermost async policy: bounds the whole call, retries and waits included, by ``timeout``.

    :param default_timeout: seconds allowed to a call that gives no ``timeout`` (``None``: no limit).
    """

    def __init__(self, default_timeout: float | None = None) -> None:
        super().__init__()
        self._default = check_timeout(default_timeout)

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Run the rest of the pipeline, cancelling it at the deadline."""
        state = _start(request, self._default)
        if state is None:
            return await self.next.send(request)
        context = request.context
        transport = context.transport
        context.transport = _AsyncSleepCap(transport, state)  # type: ignore[assignment]
        try:
            return await _run_until(self.next.send(request), state)
        except (ServiceRequestError, ServiceResponseError, asyncio.TimeoutError) as error:
            replacement = _timeout_error(state, error)
            if replacement is error:
                raise
            raise replacement from error
        finally:
            context.transport = transport


class AsyncDeadlineAttemptPolicy(AsyncHTTPPolicy[Any, Any]):
    """Innermost async policy: counts attempts, refuses one once the time is spent, keeps the response."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Send one attempt unless the call's deadline has passed."""
        state = _state(request)
        if state is None:
            return await self.next.send(request)
        state.before_attempt()
        state.attempts += 1
        try:
            response = await self.next.send(request)
        except AzureError as error:
            state.last_error = error
            raise
        state.last_response = response.http_response
        return response


# -------------------------------------------------------------------------------------------- sync


class DeadlinePolicy(HTTPPolicy[Any, Any]):
    """Outermost sync policy: starts the clock, caps retry waits, reports expiry as ``BatchTimeoutError``.

    :param default_timeout: seconds allowed to a call that gives no ``timeout`` (``None``: no limit).
    """

    def __init__(self, default_timeout: float | None = None) -> None:
        super().__init__()
        self._default = check_timeout(default_timeout)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Run the rest of the pipeline; :class:`DeadlineAttemptPolicy` bounds each attempt."""
        state = _start(request, self._default)
        if state is None:
            return self.next.send(request)
        context = request.context
        transport = context.transport
        context.transport = _SyncSleepCap(transport, state)  # type: ignore[assignment]
        try:
            return self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as error:
            replacement = _timeout_error(state, error)
            if replacement is error:
                raise
            raise replacement from error
        finally:
            context.transport = transport


_TIMEOUT_OPTIONS = ("connection_timeout", "read_timeout")


class DeadlineAttemptPolicy(HTTPPolicy[Any, Any]):
    """Innermost sync policy: one attempt, with its waits bounded by the time left.

    Connect and read timeouts are lowered to the time left, and the whole attempt -- sending, waiting for
    the status line and headers, reading the body (the transport is asked to stream; the body is read
    here) -- runs under a watchdog that shuts the attempt's socket down at the deadline. A caller that
    asked for ``stream=True`` reads the body itself, after the call: the deadline then ends with the
    headers.
    """

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Send one attempt unless the call's deadline has passed."""
        # Hooked on every call, deadline or not: a connection a call without a deadline opens may be
        # reused by one with a deadline, and must be findable then.
        _track(request.context.transport)
        state = _state(request)
        if state is None:
            return self.next.send(request)
        state.before_attempt()
        options = request.context.options
        saved = {name: options[name] for name in (*_TIMEOUT_OPTIONS, "stream") if name in options}
        caller_streams = bool(saved.get("stream", False))
        # requests' deprecated (connect, read) tuple cannot be combined with read_timeout: leave it be.
        if not isinstance(saved.get("connection_timeout"), tuple):
            left = state.remaining()
            defaults = _transport_timeouts(request.context.transport)
            for name, default in zip(_TIMEOUT_OPTIONS, defaults, strict=True):
                options[name] = _capped(saved.get(name, default), left)
        options["stream"] = True
        state.attempts += 1
        attempt = _Attempt()
        # Watched from before the request is sent: a server that trickles the status line and headers
        # must be cut short as surely as one that trickles the body.
        watch = _WATCHDOG.watch(state.at, attempt.abort)
        previous = getattr(_CURRENT, "attempt", None)  # a transport may run a nested pipeline: restore it
        _CURRENT.attempt = attempt
        try:
            try:
                response = self.next.send(request)
            except Exception as error:
                if isinstance(error, AzureError):
                    state.last_error = error
                if attempt.aborted or (
                    isinstance(error, (ServiceRequestError, ServiceResponseError)) and state.expired()
                ):
                    raise state.fail() from error
                raise
            finally:
                # Policies above this one read these options again (logging looks at "stream"); they
                # must see what the caller asked for.
                for name in (*_TIMEOUT_OPTIONS, "stream"):
                    if name in saved:
                        options[name] = saved[name]
                    else:
                        options.pop(name, None)
            http_response = response.http_response
            state.last_response = http_response
            if not caller_streams:
                attempt.http_response = http_response
                try:
                    http_response.read()
                except Exception as error:
                    http_response.close()
                    if attempt.aborted or state.expired():
                        raise state.fail() from error
                    raise
                http_response.close()
            return response
        finally:
            _CURRENT.attempt = previous
            watch.cancel()
            attempt.finish()


def _transport_timeouts(transport: Any) -> tuple[Any, Any]:
    """The connect and read timeouts a transport uses when a call sets none (``None`` if unknown)."""
    config = getattr(transport, "connection_config", None)  # azure-core's transports
    if config is not None:
        return getattr(config, "timeout", None), getattr(config, "read_timeout", None)
    client_timeout = getattr(getattr(transport, "client", None), "timeout", None)  # the httpx transports
    if client_timeout is not None:
        return getattr(client_timeout, "connect", None), getattr(client_timeout, "read", None)
    return None, None


def _capped(value: Any, left: float) -> Any:
    """``value`` lowered to ``left`` seconds (at least 1 ms: zero means "no timeout" to some clients)."""
    left = max(left, _SLACK)
    if value is None:
        return left
    if isinstance(value, bool) or not isinstance(value, Real):
        return value  # not a number of seconds: the transport will say what it thinks of it
    return min(float(value), left)


# --------------------------------------------------------------------- the socket an attempt is using
#
# A sync read cannot be cancelled; shutting its socket down from another thread is the one thing that
# ends it (the blocked recv returns end-of-stream). The watchdog therefore has to know which socket an
# attempt is reading from, from the moment the request goes out: while the status line and headers
# arrive, no response object exists yet to find it through. The transports do not say, so small hooks
# are put on the objects that hand connections out; each hook asks the calling thread which attempt it
# is running (``_CURRENT``, set by DeadlineAttemptPolicy around the attempt) and does nothing for a
# thread that is running none. The client's connection pool is shared by every thread using the
# client: a connection belongs to an attempt only while that attempt's thread has it, and the hooks
# hand it back (under the attempt's lock, which the watchdog holds while it shuts a socket down) before
# another thread can get it, so the watchdog never touches a connection another call is using.
#
# * requests -> urllib3: each HTTPAdapter of the transport's session gets instance wrappers of
#   ``get_connection_with_tls_context``/``get_connection`` (which return the host's urllib3 pool), and
#   each pool they return gets instance wrappers of ``_get_conn`` (a connection is checked out: the
#   calling thread's attempt claims it) and ``_put_conn`` (it goes back: its attempt lets go first).
#   urllib3 calls both on ``self`` (``urlopen``, and ``HTTPResponse.release_conn`` once the body is
#   in), so instance attributes are seen. The connection's ``sock`` is read when the watchdog fires,
#   so a connection made (or made again) during the attempt is covered too. These names are private
#   to urllib3 but have been stable since urllib3 1.x; if one is missing nothing is hooked and the
#   attempt falls back to the response's socket (the body only).
# * httpx -> httpcore: the network backend of the client's connection pools (``HTTPTransport._pool``
#   and the proxies' in ``Client._mounts``) is wrapped, so every connection made from then on reads
#   and writes through a ``_TrackedStream``, which tells the calling thread's attempt that it is using
#   this socket. httpcore gives an HTTP/1.1 connection to one request at a time, so when another
#   thread starts using a stream, the attempt that had it is over: the stream is taken from it first
#   (under its lock). httpcore gives no sign when it hands a connection back, so the watchdog relies on
#   the response: httpx marks it closed before releasing the connection, and a response already closed
#   is left alone. Should the deadline shut a socket down in the instant between that check and the
#   connection going to another thread, that thread's first use raises httpcore's own
#   ConnectionNotAvailable, on which the pool moves the request to another connection. The names used
#   (``_pool``, ``_mounts``, ``_network_backend``, ``_http1``) are private to httpx/httpcore (1.x);
#   if they are missing nothing is hooked. HTTP/2 streams are never tracked: one HTTP/2 connection
#   carries several calls at once.
#
# Anything else (another transport, a connection opened before the hooks were installed) falls back to
# the socket of the response once the headers are in, as before: the body is covered, the headers are
# bounded only by the read timeout.

_CURRENT = threading.local()
"""``attempt``: the :class:`_Attempt` the calling thread is running, if any."""

_OWNER = "_azbatch_deadline_attempt"  # attribute naming the attempt that checked a urllib3 connection out
_HOOKED = "_azbatch_deadline_hooked"  # marks an adapter, pool or httpcore pool already hooked
_HOOK_LOCK = threading.Lock()

_AGAIN = 0.05
"""Seconds between two shutdowns of an attempt still running past its deadline (see ``abort``)."""


def _current() -> _Attempt | None:
    attempt = getattr(_CURRENT, "attempt", None)
    return attempt if isinstance(attempt, _Attempt) else None


class _Attempt:
    """One sync attempt in flight and the connection it is using, as far as the hooks have told."""

    __slots__ = ("_conn", "_done", "_lock", "_stream", "_tracked", "aborted", "http_response")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conn: Any = None  # the urllib3 connection this attempt has checked out
        self._stream: _TrackedStream | None = None  # the httpcore stream it last read or wrote
        self._tracked = False  # a hook has reported a connection: never fall back to the response
        self._done = False
        self.http_response: Any = None  # set while the policy reads the body
        self.aborted = False  # the watchdog shut a socket of this attempt down

    def claim_connection(self, conn: Any) -> None:
        with self._lock:
            if not self._done:
                self._conn, self._tracked = conn, True

    def release_connection(self, conn: Any) -> None:
        with self._lock:  # waits for a shutdown in progress: the pool gets the connection after it
            if self._conn is conn:
                self._conn = None

    def claim_stream(self, stream: _TrackedStream) -> None:
        with self._lock:
            if not self._done:
                self._stream, self._tracked = stream, True

    def release_stream(self, stream: _TrackedStream) -> None:
        with self._lock:
            if self._stream is stream:
                self._stream = None

    def abort(self) -> float | None:
        """Watchdog thread, at the deadline: shut the attempt's socket down; when to look again.

        The attempt may still be connecting (no socket yet), or go on with another connection after
        this one failed; so while it runs, the watchdog comes back every ``_AGAIN`` s and shuts down
        whatever socket it has then. Only the socket is touched, never the response, connection or TLS
        objects, which the attempt's thread is using (closing them from another thread is not safe and
        does not wake a blocked reader either).
        """
        with self._lock:
            if self._done:
                return None
            if self.http_response is not None and _body_done(self.http_response):
                return None  # finished in time; the connection may already serve another request
            stream = self._stream
            if self._conn is not None:
                sock = getattr(self._conn, "sock", None)
            elif stream is not None:
                sock = stream.socket
            elif not self._tracked and self.http_response is not None:
                sock = _socket_of(self.http_response)
            else:
                sock = None
            if isinstance(sock, socket.socket):
                self.aborted = True
                if stream is not None:
                    stream.aborted = True
                # socket.socket's own shutdown, even for an SSLSocket, whose override would reset its TLS
                # state under the reader's feet. The blocked recv sees end-of-stream and returns.
                with contextlib.suppress(OSError):  # already closed: the reader is finishing anyway
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
            return time.monotonic() + _AGAIN

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._conn = self._stream = self.http_response = None


def _track(transport: Any) -> None:
    """Hook the connection pools of ``transport`` (once; idempotent) so attempts can find their socket."""
    if isinstance(transport, _TransportStandIn):
        transport = transport._transport
    try:
        if isinstance(transport, RequestsTransport):
            if transport.session is None:
                transport.open()  # makes the session, as its send() would first thing
            adapters = getattr(transport.session, "adapters", None)
            if isinstance(adapters, Mapping):
                for adapter in list(adapters.values()):
                    _hook_adapter(adapter)
            return
        # Not imported here: if azbatch's httpx transport module is not loaded, this is not one of its.
        httpx_module = sys.modules.get("azbatch.transports._httpx_sync")
        if httpx_module is not None and isinstance(transport, httpx_module.HttpXTransport):
            transport.open()  # makes its httpx client, as its send() would first thing; else a no-op
            _hook_httpx(transport.client)
    except Exception:
        # The hooks only add a bound; a transport that cannot be hooked (or opened: its send() says why)
        # is sent through as it is.
        return


def _hook_adapter(adapter: Any) -> None:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:  # pragma: no cover - azure-core requires requests
        return
    if not isinstance(adapter, HTTPAdapter) or getattr(adapter, _HOOKED, False):
        return
    with _HOOK_LOCK:
        if getattr(adapter, _HOOKED, False):
            return
        for name in ("get_connection_with_tls_context", "get_connection"):
            original = getattr(adapter, name, None)
            if callable(original):
                setattr(adapter, name, _pool_hooking(original))
        setattr(adapter, _HOOKED, True)


def _pool_hooking(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_pool(*args: Any, **kwargs: Any) -> Any:
        pool = original(*args, **kwargs)
        _hook_pool(pool)
        return pool

    return get_pool


def _hook_pool(pool: Any) -> None:
    try:
        from urllib3.connectionpool import HTTPConnectionPool
    except ImportError:  # pragma: no cover - requests requires urllib3
        return
    if not isinstance(pool, HTTPConnectionPool) or getattr(pool, _HOOKED, False):
        return
    get_conn, put_conn = getattr(pool, "_get_conn", None), getattr(pool, "_put_conn", None)
    if not (callable(get_conn) and callable(put_conn)):
        return
    with _HOOK_LOCK:
        if getattr(pool, _HOOKED, False):
            return

        def _get_conn(*args: Any, **kwargs: Any) -> Any:
            conn = get_conn(*args, **kwargs)
            attempt = _current()
            if attempt is not None and conn is not None:
                setattr(conn, _OWNER, attempt)
                attempt.claim_connection(conn)
            return conn

        def _put_conn(conn: Any, *args: Any, **kwargs: Any) -> Any:
            owner = getattr(conn, _OWNER, None)
            if isinstance(owner, _Attempt):
                setattr(conn, _OWNER, None)
                owner.release_connection(conn)  # before the pool can give it to another thread
            return put_conn(conn, *args, **kwargs)

        # Instance attributes shadow the class's methods for this pool alone.
        setattr(pool, "_get_conn", _get_conn)  # noqa: B010 - a method cannot be assigned otherwise
        setattr(pool, "_put_conn", _put_conn)  # noqa: B010
        setattr(pool, _HOOKED, True)


def _hook_httpx(client: Any) -> None:
    try:
        import httpcore
    except ImportError:
        return
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if not isinstance(pool, httpcore.ConnectionPool) or getattr(pool, _HOOKED, False):
            continue
        if not getattr(pool, "_http1", True):
            continue  # HTTP/2 only: every connection carries several calls
        with _HOOK_LOCK:
            backend = getattr(pool, "_network_backend", None)
            if getattr(pool, _HOOKED, False) or backend is None:
                continue
            setattr(pool, "_network_backend", _TrackingBackend(backend))  # noqa: B010 - duck-typed backend
            setattr(pool, _HOOKED, True)


class _TrackingBackend:
    """An httpcore network backend whose TCP streams report which attempt uses them."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        return _TrackedStream(self._backend.connect_tcp(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:  # connect_unix_socket, sleep
        return getattr(self._backend, name)


class _TrackedStream:
    """An httpcore network stream that tells the calling thread's attempt it is using this socket."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        sock = stream.get_extra_info("socket")
        self.socket = sock if isinstance(sock, socket.socket) else None
        self._owner: _Attempt | None = None
        self.aborted = False  # shut down by the watchdog

    def _use(self) -> None:
        attempt = _current()
        owner = self._owner
        if attempt is owner:
            return
        # httpcore lets one request at a time use an HTTP/1.1 connection, so a change of hands here means
        # the previous request is over: its attempt must no longer be able to shut this socket down.
        if owner is not None:
            owner.release_stream(self)  # waits for a shutdown in progress
        self._owner = attempt
        if self.aborted:
            # The previous attempt's deadline shut this socket down just as its response completed and
            # the pool handed the connection on: httpcore retries the request on another connection.
            import httpcore

            raise httpcore.ConnectionNotAvailable()
        if attempt is not None:
            attempt.claim_stream(self)

    def read(self, *args: Any, **kwargs: Any) -> Any:
        self._use()
        return self._stream.read(*args, **kwargs)

    def write(self, *args: Any, **kwargs: Any) -> Any:
        self._use()
        return self._stream.write(*args, **kwargs)

    def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        self._use()  # the handshake can stall too
        tls = self._stream.start_tls(*args, **kwargs)
        ssl_object = tls.get_extra_info("ssl_object")
        alpn = ssl_object.selected_alpn_protocol() if ssl_object is not None else None
        if alpn == "h2":
            if self._owner is not None:
                self._owner.release_stream(self)
            return tls  # HTTP/2: shared by several calls, never tracked
        return _TrackedStream(tls)

    def close(self) -> None:
        self._stream.close()

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


# ----------------------------------------------------------------------------------- the watchdog


def _internal(http_response: Any) -> Any:
    return getattr(http_response, "internal_response", None)


def _body_done(http_response: Any) -> bool:
    """Whether the transport has finished with the body (and may have pooled the connection again)."""
    internal = _internal(http_response)
    # httpx closes its response once the body is in (is_stream_consumed turns true as reading starts).
    if getattr(internal, "is_closed", False):
        return True
    raw = getattr(internal, "raw", None)  # requests: the urllib3 response
    isclosed = getattr(raw, "isclosed", None)
    return bool(isclosed()) if callable(isclosed) else False


def _socket_of(http_response: Any) -> socket.socket | None:
    """The socket a sync response alone is read from, for the transports this package supports.

    ``None`` when unknown, and for HTTP/2, whose connection carries other calls' streams too.
    """
    internal = _internal(http_response)
    extensions = getattr(internal, "extensions", None)  # httpx
    if isinstance(extensions, Mapping):
        if extensions.get("http_version") not in (b"HTTP/1.1", b"HTTP/1.0"):
            return None
        get_extra_info = getattr(extensions.get("network_stream"), "get_extra_info", None)
        sock = get_extra_info("socket") if callable(get_extra_info) else None
        return sock if isinstance(sock, socket.socket) else None
    raw = getattr(internal, "raw", None)  # requests -> urllib3
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


class _Watch:
    """One pending watchdog action; ``cancel`` and ``fire`` exclude each other.

    The action may return a ``time.monotonic()`` time at which it wants to run again.
    """

    __slots__ = ("_action", "_lock", "done", "fired")

    def __init__(self, action: Callable[[], float | None]) -> None:
        self._action: Callable[[], float | None] | None = action
        self._lock = threading.Lock()
        self.done = False
        self.fired = False

    def fire(self) -> float | None:
        # The action runs under the lock, so a reader that cancels right after its read returned waits
        # until the socket shutdown is over before it goes on.
        with self._lock:
            action = self._action
            if self.done or action is None:
                return None
            self.fired = True
            again = action()
            if not isinstance(again, float):  # only a time asks to run again; anything else is ignored
                again = None
            if again is None:
                self.done, self._action = True, None
            return again

    def cancel(self) -> bool:
        """Stop the action if it has not run; return whether it ran."""
        with self._lock:
            # Drop the action (and the response it holds) now: the entry may stay queued until its
            # deadline, and a response body should not live that long.
            self._action = None
            self.done = True
            return self.fired


class _Watchdog:
    """One daemon thread that runs actions at their ``time.monotonic()`` deadlines unless cancelled.

    Shared by every sync client of the process: a thread per call would cost more than the call itself
    on a fast connection.
    """

    _MIN_PURGE = 64

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._purge_at = self._MIN_PURGE

    def watch(self, at: float, action: Callable[[], float | None]) -> _Watch:
        """Run ``action`` at ``at`` (and again when it asks) unless the returned watch is cancelled first."""
        entry = _Watch(action)
        self._push(at, entry)
        return entry

    def _push(self, at: float, entry: _Watch) -> None:
        with self._cond:
            if len(self._heap) >= self._purge_at:
                # Cancelled watches stay queued until their deadline; with many short calls and a long
                # timeout they would pile up. Purging whenever the queue doubles keeps it amortised O(1).
                self._heap = [item for item in self._heap if not item[2].done]
                heapq.heapify(self._heap)
                self._purge_at = max(self._MIN_PURGE, 2 * len(self._heap))
            heapq.heappush(self._heap, (at, next(self._order), entry))
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="azbatch-deadline", daemon=True)
                self._thread.start()
            if self._heap[0][2] is entry:  # the thread sleeps until the earliest deadline: now sooner
                self._cond.notify()

    def _next_due(self) -> _Watch:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                delay = self._heap[0][0] - time.monotonic()
                if delay <= 0:
                    return heapq.heappop(self._heap)[2]
                self._cond.wait(delay)

    def _run(self) -> None:
        while True:
            watch = self._next_due()
            again = None
            # abort swallows the errors it expects; whatever else happens, the thread must live on.
            with contextlib.suppress(Exception):
                again = watch.fire()
            if again is not None:
                self._push(again, watch)


_WATCHDOG = _Watchdog()
