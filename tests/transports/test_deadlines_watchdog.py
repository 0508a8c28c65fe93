"""The sync deadline's pieces on their own: the watchdog thread, timeout capping, transport defaults.

Waits are bounded (``WAIT``) and nothing asserts how long anything took: ordering shows what fired.
"""

from __future__ import annotations

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
