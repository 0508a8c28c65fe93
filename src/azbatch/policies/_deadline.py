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
  than the time left (a stall ends at the deadline), and the body is read under a watchdog thread that
  shuts the connection's socket down at the deadline. A read timeout alone cannot stop a body that
  trickles in a byte at a time (every read succeeds), and reading chunk by chunk with a clock check
  between chunks does not help either: urllib3 fills each chunk from many socket reads. Shutting the
  socket down is the one thing that ends a blocked ``recv`` from another thread, for requests/urllib3
  and httpx alike.
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

    Connect and read timeouts are lowered to the time left; the body is read here (the transport is
    asked to stream) under a watchdog that shuts the socket down at the deadline. A caller that asked
    for ``stream=True`` reads the body itself, after the call: the deadline then ends with the headers.
    """

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Send one attempt unless the call's deadline has passed."""
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
        try:
            response = self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as error:
            state.last_error = error
            if state.expired():
                raise state.fail() from error
            raise
        finally:
            # Policies above this one read these options again (logging looks at "stream"); they must
            # see what the caller asked for.
            for name in (*_TIMEOUT_OPTIONS, "stream"):
                if name in saved:
                    options[name] = saved[name]
                else:
                    options.pop(name, None)
        state.last_response = response.http_response
        if not caller_streams:
            _read_before(response.http_response, state)
        return response


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


def _read_before(http_response: Any, state: _Deadline) -> None:
    """Read and release the body, shutting the connection down if the deadline comes first."""
    watch = _WATCHDOG.watch(state.at, lambda: _abort(http_response))
    try:
        http_response.read()
    except Exception as error:
        fired = watch.cancel()
        http_response.close()
        if fired or state.expired():
            raise state.fail() from error
        raise
    watch.cancel()
    http_response.close()


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


def _abort(http_response: Any) -> None:
    """Called by the watchdog thread at the deadline: make the blocked read return at once.

    Only the socket is touched, never the response or TLS objects, which the reading thread is using
    (closing a response from another thread neither wakes its reader nor is safe). With a transport whose
    socket cannot be found nothing is done: its own read timeout, already lowered to the time left,
    stays the only bound.
    """
    if _body_done(http_response):
        return  # finished in time; the connection may already serve another request
    sock = _socket_of(http_response)
    if sock is None:
        return
    # socket.socket's own shutdown, even for an SSLSocket, whose override would reset its TLS state
    # under the reader's feet. The blocked recv sees end-of-stream and returns.
    with contextlib.suppress(OSError):  # already closed: the reader is finishing anyway
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watch:
    """One pending watchdog action; ``cancel`` and ``fire`` exclude each other."""

    __slots__ = ("_action", "_lock", "done", "fired")

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action
        self._lock = threading.Lock()
        self.done = False
        self.fired = False

    def fire(self) -> None:
        # The action runs under the lock, so a reader that cancels right after its read returned waits
        # until the socket shutdown is over before it releases the connection.
        with self._lock:
            action, self._action = self._action, None
            if self.done or action is None:
                return
            self.done = self.fired = True
            action()

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

    def watch(self, at: float, action: Callable[[], None]) -> _Watch:
        """Run ``action`` at ``at`` unless the returned watch is cancelled first."""
        entry = _Watch(action)
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
        return entry

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
            # _abort swallows the errors it expects; whatever else happens, the thread must live on.
            with contextlib.suppress(Exception):
                watch.fire()


_WATCHDOG = _Watchdog()
