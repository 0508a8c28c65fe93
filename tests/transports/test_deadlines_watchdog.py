"""The sync deadline's pieces on their own: the watchdog thread, timeout capping, transport defaults.

Waits are bounded (``WAIT``) and nothing asserts how long anything took: ordering shows what fired.
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest
from azure.core.pipeline.transport import RequestsTransport

from azbatch.policies import _deadline
from azbatch.transports import HttpXTransport

WAIT = 5.0


def test_a_watch_fires_at_its_deadline_and_reports_it() -> None:
    watchdog = _deadline._Watchdog()
    fired = threading.Event()
    watch = watchdog.watch(time.monotonic() + 0.05, fired.set)
    assert fired.wait(WAIT)
    assert watch.cancel() is True  # too late to cancel: it says it ran


def test_a_cancelled_watch_never_fires() -> None:
    watchdog = _deadline._Watchdog()
    order: list[str] = []
    later = threading.Event()
    now = time.monotonic()
    cancelled = watchdog.watch(now + 0.05, lambda: order.append("cancelled"))
    watchdog.watch(now + 0.1, lambda: (order.append("later"), later.set()))
    assert cancelled.cancel() is False
    # The later watch has fired, so the earlier one's time had come too: it was skipped, not late.
    assert later.wait(WAIT)
    assert order == ["later"]


def test_a_sooner_deadline_wakes_the_thread_from_a_longer_wait() -> None:
    watchdog = _deadline._Watchdog()
    far = watchdog.watch(time.monotonic() + 3600, lambda: None)
    fired = threading.Event()
    watchdog.watch(time.monotonic() + 0.05, fired.set)
    assert fired.wait(WAIT)
    far.cancel()


def test_cancelled_watches_do_not_pile_up() -> None:
    watchdog = _deadline._Watchdog()
    for _ in range(1000):
        watchdog.watch(time.monotonic() + 3600, lambda: None).cancel()
    assert len(watchdog._heap) <= 2 * watchdog._MIN_PURGE


def test_cancel_drops_the_action_and_what_it_holds() -> None:
    watch = _deadline._Watch(lambda: None)
    watch.cancel()
    assert watch._action is None
    watch.fire()
    assert watch.fired is False


@pytest.mark.parametrize(
    ("value", "left", "expected"),
    [(None, 2.0, 2.0), (300, 2.0, 2.0), (0.5, 2.0, 0.5), (None, -1.0, _deadline._SLACK), ("x", 2.0, "x")],
)
def test_timeouts_are_only_ever_lowered(value: object, left: float, expected: object) -> None:
    assert _deadline._capped(value, left) == expected


def test_transport_defaults_are_read_from_each_kind_of_transport() -> None:
    assert _deadline._transport_timeouts(RequestsTransport(connection_timeout=7, read_timeout=9)) == (7, 9)
    with httpx.Client(timeout=httpx.Timeout(3.0, read=4.0)) as client:
        assert _deadline._transport_timeouts(HttpXTransport(client=client, client_owner=False)) == (3.0, 4.0)
    assert _deadline._transport_timeouts(object()) == (None, None)


@pytest.mark.parametrize("value", [1, 0.25, 10**6])
def test_valid_timeouts_become_floats(value: float) -> None:
    assert _deadline.check_timeout(value) == float(value)


def test_a_watch_whose_action_asks_to_run_again_runs_until_cancelled() -> None:
    watchdog = _deadline._Watchdog()
    runs: list[int] = []
    third = threading.Event()

    def action() -> float:
        runs.append(1)
        if len(runs) == 3:
            third.set()
        return time.monotonic() + 0.01

    watch = watchdog.watch(time.monotonic(), action)
    assert third.wait(WAIT)
    assert watch.cancel() is True
    count = len(runs)
    done = threading.Event()
    watchdog.watch(time.monotonic() + 0.05, done.set)  # a later watch: the cancelled one had its turn
    assert done.wait(WAIT)
    assert len(runs) == count


class _Conn:
    """Stands in for a urllib3 connection: the attempt only ever reads its ``sock``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock


def test_an_attempt_shuts_down_the_socket_of_the_connection_it_holds() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        attempt = _deadline._Attempt()
        attempt.claim_connection(_Conn(ours))
        assert attempt.abort() is not None  # it will look again while the attempt runs
        assert attempt.aborted
        assert ours.recv(1) == b""  # shut down: a blocked read would have returned
        attempt.finish()
        assert attempt.abort() is None


def test_an_attempt_leaves_a_connection_alone_once_it_went_back_to_the_pool() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        attempt = _deadline._Attempt()
        conn = _Conn(ours)
        attempt.claim_connection(conn)
        attempt.release_connection(conn)  # another thread may be using it now
        attempt.abort()
        assert not attempt.aborted
        peer.sendall(b"x")
        assert ours.recv(1) == b"x"


def test_urllib3_pool_hooks_follow_the_connection_the_thread_checks_out() -> None:
    urllib3 = pytest.importorskip("urllib3")
    pool = urllib3.HTTPConnectionPool("127.0.0.1", 9, maxsize=1)
    _deadline._hook_pool(pool)
    _deadline._hook_pool(pool)  # idempotent
    attempt = _deadline._Attempt()
    _deadline._CURRENT.attempt = attempt
    try:
        conn = pool._get_conn()
        assert attempt._conn is conn
        pool._put_conn(conn)
        assert attempt._conn is None
    finally:
        _deadline._CURRENT.attempt = None
    # A thread running no attempt is not tracked at all.
    conn = pool._get_conn()
    assert getattr(conn, _deadline._OWNER, None) is None
    pool._put_conn(conn)
    pool.close()


class _Stream:
    """Stands in for an httpcore network stream."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.written = b""

    def write(self, data: bytes, timeout: float | None = None) -> None:
        self.written += data

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._sock.recv(max_bytes)

    def get_extra_info(self, info: str) -> object:
        return self._sock if info == "socket" else None


def test_a_stream_is_taken_from_its_attempt_when_another_thread_uses_it() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        stream = _deadline._TrackedStream(_Stream(ours))
        attempt = _deadline._Attempt()
        _deadline._CURRENT.attempt = attempt
        try:
            stream.write(b"GET")
            assert attempt._stream is stream
        finally:
            _deadline._CURRENT.attempt = None
        other = threading.Thread(target=stream.write, args=(b"GET",))  # the pool handed it on
        other.start()
        other.join(WAIT)
        assert attempt._stream is None
        attempt.abort()
        assert not attempt.aborted


def test_a_stream_shut_down_at_a_deadline_is_not_handed_on() -> None:
    httpcore = pytest.importorskip("httpcore")
    ours, peer = socket.socketpair()
    with ours, peer:
        stream = _deadline._TrackedStream(_Stream(ours))
        attempt = _deadline._Attempt()
        _deadline._CURRENT.attempt = attempt
        try:
            stream.write(b"GET")
        finally:
            _deadline._CURRENT.attempt = None
        attempt.abort()
        assert stream.aborted
        errors: list[BaseException] = []

        def use() -> None:
            try:
                stream.write(b"GET")
            except BaseException as error:
                errors.append(error)

        other = threading.Thread(target=use)
        other.start()
        other.join(WAIT)
        # httpcore's pool takes this as "try another connection", so the other call is not hurt.
        assert len(errors) == 1 and isinstance(errors[0], httpcore.ConnectionNotAvailable)
