"""The admin API answers loopback callers only; binding a non-loopback host is warned about.

Nothing here binds or sends traffic to a non-loopback address: a non-loopback caller is simulated by
cloning the request with another ``remote`` (as aiohttp's forwarding middlewares do), and a
non-loopback bind address is rewritten to 127.0.0.1 before the socket is opened.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from azbatch.emulator import BatchApiError, BatchEmulator, EmulatorStore, FaultInjector, RequestLog
from azbatch.emulator import __main__ as cli
from azbatch.emulator._app import check_admin_caller, create_app, is_admin_request
from azbatch.emulator._auth import EmulatorAuth
from azbatch.emulator._net import is_loopback_address, is_loopback_host, network_exposure_warning

from ._client import API_VERSION, Reply, assert_batch_error

REMOTE = "203.0.113.9"  # TEST-NET-3: documentation only, never routed; used as a string, never dialled


# ------------------------------------------------------------------------------------------ predicates


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "::ffff:127.0.0.1", " 127.0.0.1 "],
)
def test_loopback_addresses(address: str) -> None:
    assert is_loopback_address(address)


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "0.0.0.0",
        "::",
        "10.0.0.1",
        "192.168.1.20",
        REMOTE,
        "128.0.0.1",
        "::2",
        "fe80::1%eth0",
        "::ffff:10.0.0.1",
        "localhost",  # a name, not an address: peers are always addresses
        "127.0.0.1.evil.example",
        "not an address",
    ],
)
def test_non_loopback_addresses(address: str | None) -> None:
    assert not is_loopback_address(address)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "localhost", "LOCALHOST"])
def test_loopback_bind_hosts_are_not_warned_about(host: str) -> None:
    assert is_loopback_host(host)
    assert network_exposure_warning(host) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", None, "192.168.1.20", "myhost.example"])
def test_non_loopback_bind_hosts_are_warned_about(host: str | None) -> None:
    assert not is_loopback_host(host)
    message = network_exposure_warning(host)
    assert message is not None
    assert "reachable from the network" in message and "development only" in message


# ------------------------------------------------------------------------------- the guard, unit level


def _transport_with_peer(peer: Any) -> mock.Mock:
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: {"peername": peer}.get(name, default)
    return transport


async def test_check_admin_caller_uses_the_socket_peer() -> None:
    remote = make_mocked_request(
        "GET",
        "/_emulator/info",
        headers={"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"},
        transport=_transport_with_peer((REMOTE, 50000)),
    )
    assert remote.remote == REMOTE
    assert is_admin_request(remote)
    with pytest.raises(BatchApiError) as caught:
        check_admin_caller(remote)  # forwarding headers are not trusted
    assert (caught.value.status, caught.value.code) == (403, "InsufficientAccountPermissions")
    assert "loopback" in caught.value.message
    assert ("RemoteAddress", REMOTE) in caught.value.values

    for peer in [("127.0.0.1", 50000), ("::1", 50000, 0, 0)]:
        check_admin_caller(
            make_mocked_request("GET", "/_emulator/info", transport=_transport_with_peer(peer))
        )
    # A patched remote (what a clone with remote=... gives) is what counts.
    local = make_mocked_request("GET", "/_emulator/info", transport=_transport_with_peer(("127.0.0.1", 1)))
    with pytest.raises(BatchApiError):
        check_admin_caller(local.clone(remote="10.1.2.3"))
    # No peer at all (a Unix socket, a transport already gone) is not loopback either.
    with pytest.raises(BatchApiError):
        check_admin_caller(
            make_mocked_request("GET", "/_emulator/info", transport=_transport_with_peer(None))
        )


# ---------------------------------------------------------------------- the guard through the real app


@dataclass
class Seen:
    """A test client for an emulator app whose requests all appear to come from one remote address."""

    client: TestClient[web.Request, web.Application]
    store: EmulatorStore
    faults: FaultInjector

    async def call(self, method: str, path: str, **kw: Any) -> Reply:
        async with self.client.request(method, path, **kw) as response:
            return Reply(response.status, response.headers, await response.read())


@contextlib.asynccontextmanager
async def seen_from(remote: str | None) -> AsyncIterator[Seen]:
    """The emulator app (auth off) behind a middleware that makes every request look like it came from
    ``remote`` (None: leave the real peer, 127.0.0.1); the socket itself stays on 127.0.0.1."""
    store, faults = EmulatorStore(transition_ms=0), FaultInjector(1)
    app = create_app(
        store,
        faults,
        EmulatorAuth("emulator", "a2V5", enabled=False),
        RequestLog(),
        info=lambda: {"key": "secret"},
    )

    @web.middleware
    async def pretend_remote(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        return await handler(request if remote is None else request.clone(remote=remote))

    app.middlewares.insert(0, pretend_remote)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Seen(client, store, faults)


ADMIN_CALLS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/_emulator/info", None),
    ("POST", "/_emulator/reset", {}),
    ("PUT", "/_emulator/config", {"transitionMs": 5}),
    ("POST", "/_emulator/jobschedules", {"id": "s"}),
    ("POST", "/_emulator/jobs", {"job": {"id": "j", "poolInfo": {"poolId": "p"}}}),
    ("PUT", "/_emulator/jobs/j/state", {"state": "completed"}),
    ("PUT", "/_emulator/jobs/j/taskcounts", {"taskCounts": {}}),
    ("PUT", "/_emulator/jobs/j/taskcounts/timeline", {"steps": [{"afterMs": 0}]}),
    ("POST", "/_emulator/jobs/j/taskcounts/step", {}),
    ("PUT", "/_emulator/jobs/j/jobpreparationandreleasetaskstatus", {"value": []}),
    ("GET", "/_emulator/faults", None),
    ("POST", "/_emulator/faults", {"kind": "busy"}),
    ("DELETE", "/_emulator/faults", None),
    ("GET", "/_emulator/requests", None),
    ("DELETE", "/_emulator/requests", None),
    ("GET", "/_emulator/no-such-route", None),
    ("GET", "/%5Femulator/info", None),  # percent-encoded underscore: still the admin API
]


async def test_every_admin_route_refuses_a_non_loopback_peer() -> None:
    async with seen_from(REMOTE) as seen:
        for method, path, body in ADMIN_CALLS:
            data = None if body is None else json.dumps(body).encode()
            headers = {"X-Forwarded-For": "127.0.0.1", "Content-Type": "application/json"}
            reply = await seen.call(method, path, data=data, headers=headers)
            assert_batch_error(reply, 403, "InsufficientAccountPermissions")
            assert "loopback-only" in (reply.detail("Reason") or ""), (method, path)
            assert reply.detail("RemoteAddress") == REMOTE
            assert b"secret" not in reply.raw
        # Nothing changed: no schedule, job, fault rule or config.
        assert seen.store.job_ids() == []
        assert seen.store.transition_ms == 0
        assert seen.faults.rules == []
        # The Batch API itself stays available to the remote caller (auth is off in this app).
        jobs = await seen.call("GET", f"/jobs?api-version={API_VERSION}")
        assert jobs.status == 200 and jobs.body["value"] == []


async def test_admin_routes_answer_loopback_peers() -> None:
    for remote in (None, "127.0.0.8", "::1", "::ffff:127.0.0.1"):
        async with seen_from(remote) as seen:
            info = await seen.call("GET", "/_emulator/info")
            assert info.status == 200 and info.body == {"key": "secret"}
            job = {"job": {"id": "j", "poolInfo": {"poolId": "p"}}}
            assert (await seen.call("POST", "/_emulator/jobs", json=job)).status == 201
            assert seen.store.job_ids() == ["j"]


async def test_a_real_emulator_serves_its_admin_api_on_loopback(emu: BatchEmulator) -> None:
    """Through the real BatchEmulator's own loopback port: loopback callers keep the admin API."""
    async with aiohttp.ClientSession() as session, session.get(emu.endpoint + "/_emulator/info") as response:
        assert response.status == 200
        assert (await response.json(content_type=None))["key"] == emu.key


# ------------------------------------------------------------------------------- bind address warning


@pytest.fixture
def bind_loopback_instead(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Open every TCPSite on 127.0.0.1 whatever host was asked for; record the hosts asked for."""
    real_site = web.TCPSite
    asked: list[str | None] = []

    def loopback_site(
        runner: web.BaseRunner, host: str | None = None, port: int | None = None, **kw: Any
    ) -> Any:
        asked.append(host)
        return real_site(runner, "127.0.0.1", port, **kw)

    monkeypatch.setattr(web, "TCPSite", loopback_site)
    return asked


async def test_binding_a_network_address_logs_a_warning(
    bind_loopback_instead: list[str | None], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="azbatch.emulator"):
        async with BatchEmulator(host="0.0.0.0", auth=False):
            pass
    assert bind_loopback_instead == ["0.0.0.0"]
    warnings = [r for r in caplog.records if r.name == "azbatch.emulator" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "0.0.0.0" in warnings[0].getMessage()
    assert "reachable from the network" in warnings[0].getMessage()


async def test_binding_loopback_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="azbatch.emulator"):
        async with BatchEmulator(auth=False):
            pass
        async with BatchEmulator(host="localhost", auth=False):
            pass
    assert [r for r in caplog.records if r.name == "azbatch.emulator"] == []


async def test_cli_warns_about_a_network_host(
    bind_loopback_instead: list[str | None],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = cli.build_parser().parse_args(["--host", "0.0.0.0", "--port", "0", "--no-auth"])
    assert isinstance(args, argparse.Namespace)
    stop = asyncio.Event()
    stop.set()  # serve starts, prints its banner, then stops at once
    with caplog.at_level(logging.WARNING, logger="azbatch.emulator"):
        await cli.serve(args, stop)
    assert bind_loopback_instead == ["0.0.0.0"]
    assert any("reachable from the network" in r.getMessage() for r in caplog.records)
    out = capsys.readouterr().out
    assert "Azure Batch job emulator is running." in out and "Emulator stopped." in out
