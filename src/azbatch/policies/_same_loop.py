"""Refuse a blocking call to a server that runs on the calling thread's own event loop.

A sync client called from a coroutine (a notebook cell, a pytest-asyncio test) blocks its thread until
the answer arrives. If the server it calls -- typically the in-process emulator started with
``async with BatchEmulator()`` -- is served by that very loop, no answer can ever arrive: the call would
hang until the transport's read timeout (300 s by default). Servers that run on an event loop register
their address here; the sync pipeline checks it before sending and raises a clear error instead.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from ._loopback import is_loopback_host

__all__ = ["SameLoopGuardPolicy", "register_loop_server", "unregister_loop_server"]

_lock = threading.Lock()
_servers: dict[tuple[str, int], weakref.ReferenceType[asyncio.AbstractEventLoop]] = {}


def _key(host: str, port: int) -> tuple[str, int]:
    # 127.0.0.1, localhost and ::1 reach the same loopback server: one key for all of them.
    return ("<loopback>" if is_loopback_host(host) else host.lower(), port)


def register_loop_server(host: str, port: int, loop: asyncio.AbstractEventLoop) -> None:
    """Record that ``host:port`` is answered by ``loop`` (until :func:`unregister_loop_server`)."""
    with _lock:
        _servers[_key(host, port)] = weakref.ref(loop)


def unregister_loop_server(host: str, port: int) -> None:
    """Forget a server registered with :func:`register_loop_server`."""
    with _lock:
        _servers.pop(_key(host, port), None)


def _serving_loop(url: str) -> asyncio.AbstractEventLoop | None:
    parts = urlsplit(url)
    if parts.hostname is None:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    ref = _servers.get(_key(parts.hostname, port))
    return ref() if ref is not None else None


class SameLoopGuardPolicy(SansIOHTTPPolicy[Any, Any]):
    """Raise ``RuntimeError`` before a sync request to a server served by this thread's running loop."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        """Raise before sending when this thread's running loop is the one serving the request's host."""
        if not _servers:  # the usual case: no in-process server at all
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop runs on this thread: nothing the call could block
        url = request.http_request.url
        if _serving_loop(url) is running:
            host = urlsplit(url).netloc
            raise RuntimeError(
                f"the server at {host} runs on this thread's event loop, which this blocking call would "
                "freeze until it timed out; use azbatch.aio.BatchClient here, or run the emulator in a "
                "thread of its own (BatchEmulator(...).start_in_thread(), or the batch_emulator_thread "
                "pytest fixture)"
            )
