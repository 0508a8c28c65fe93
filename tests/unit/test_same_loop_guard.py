"""The sync client refuses to call a server served by the calling thread's own running event loop."""

from __future__ import annotations

import asyncio

import pytest
from azure.core.credentials import AzureNamedKeyCredential

import azbatch
from azbatch.policies._same_loop import register_loop_server, unregister_loop_server

KEY = "a2V5a2V5a2V5a2V5"


async def _serve_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    seen.append("connection")
    writer.close()


seen: list[str] = []


async def test_sync_call_to_a_server_on_this_loop_is_refused_at_once() -> None:
    seen.clear()
    server = await asyncio.start_server(_serve_forever, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    register_loop_server("127.0.0.1", port, asyncio.get_running_loop())
    try:
        client = azbatch.BatchClient(f"http://127.0.0.1:{port}", AzureNamedKeyCredential("acct", KEY))
        with client, pytest.raises(RuntimeError, match=r"127\.0\.0\.1:\d+ runs on this thread's event loop"):
            client.jobs.get("job-1", retry_total=0)
    finally:
        unregister_loop_server("127.0.0.1", port)
        server.close()
        await server.wait_closed()
    assert seen == []  # refused before a connection was even attempted


async def test_other_servers_are_not_affected_inside_a_loop() -> None:
    # A registered server on this loop at another port must not block calls elsewhere.
    register_loop_server("127.0.0.1", 1, asyncio.get_running_loop())
    try:
        client = azbatch.BatchClient("http://127.0.0.1:9", AzureNamedKeyCredential("acct", KEY))
        with client, pytest.raises(Exception) as info:
            client.jobs.get("job-1", retry_total=0, connection_timeout=2)
        assert not isinstance(info.value, RuntimeError)
    finally:
        unregister_loop_server("127.0.0.1", 1)


def test_a_server_on_another_threads_loop_is_fine_to_call_without_a_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        register_loop_server("127.0.0.1", 9, loop)
        client = azbatch.BatchClient("http://127.0.0.1:9", AzureNamedKeyCredential("acct", KEY))
        with client, pytest.raises(Exception) as info:
            client.jobs.get("job-1", retry_total=0, connection_timeout=2)
        assert not isinstance(info.value, RuntimeError)  # no running loop here: the guard stays out
    finally:
        unregister_loop_server("127.0.0.1", 9)
        loop.close()
