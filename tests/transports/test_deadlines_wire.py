"""Per-call deadlines on a real loopback socket, for every transport the package supports.

A raw socket server (its own threads, so the sync clients can use it) misbehaves on purpose according to
the job id asked for: it stalls before the headers, trickles the status line and headers a byte at a
time, stalls in the middle of the body, trickles the body a byte at a time, or answers 503 with
``Retry-After: 86400``. Every misbehaviour would keep a client busy
for seconds (the server gives up after ``SERVER_WAIT`` s) or a day; with ``timeout=0.3`` the call must
raise :class:`BatchTimeoutError` instead. No test measures wall time: each checks what the server saw --
that the client closed the connection before the server's ``SERVER_WAIT`` mark, or that only one request
arrived -- and, for Retry-After, which waits the retry policy asked the transport for.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import queue
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import AzureError, ServiceResponseError, ServiceResponseTimeoutError

import azbatch
import azbatch.aio
from azbatch.exceptions import BatchTimeoutError
from azbatch.transports import AsyncHttpXTransport, HttpXTransport

SERVER_WAIT = 5.0
"""Seconds the server keeps stalling or trickling before it gives up on its own."""
TIMEOUT = 0.3
TRICKLE_LENGTH = 200  # declared body size; at one byte per TRICKLE_PERIOD the whole body takes 10 s
TRICKLE_PERIOD = 0.05
LATE = 1.0  # "late-ok" answers after this long: after a TIMEOUT deadline that started with it
OUTCOME_WAIT = 10.0  # bounded wait for the server thread to report what it saw

CREDENTIAL = AzureNamedKeyCredential("account", "a2V5")


@dataclass
class Seen:
    """What the server saw on one connection."""

    scenario: str
    outcome: str  # "closed": the client hung up; "gave up": waited SERVER_WAIT or sent it all; "answered"
    sent: int = 0  # body bytes written (trickle)


class MisbehavingServer:
    """A loopback HTTP/1.1 server whose behaviour is chosen by the job id in the request path."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._tls = tls
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}"
        self.seen: queue.Queue[Seen] = queue.Queue()
        self.requests: list[str] = []
        self.connections = 0  # accepted so far
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="misbehaving-server", daemon=True)
        self._accepter.start()

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=SERVER_WAIT + 1)
        self._listener.close()

    def next_seen(self) -> Seen:
        return self.seen.get(timeout=OUTCOME_WAIT)

    # ------------------------------------------------------------------------------------ serving

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        if self._tls is not None:
            conn.settimeout(SERVER_WAIT)
            try:
                conn = self._tls.wrap_socket(conn, server_side=True)
            except OSError:
                conn.close()
                return
        with conn:
            conn.settimeout(SERVER_WAIT)
            buffer = b""
            while not self._stop.is_set():
                head, buffer = _read_head(conn, buffer)
                if head is None:
                    return
                path = head.split(b" ", 2)[1].decode()
                job_id = path.split("?", 1)[0].rsplit("/", 1)[-1]
                self.requests.append(job_id)
                handler: Callable[[socket.socket], Seen | None] = getattr(
                    self, "_" + job_id.replace("-", "_")
                )
                seen = handler(conn)
                if seen is not None:  # a misbehaviour ends the connection
                    self.seen.put(seen)
                    return

    def _ok(self, conn: socket.socket) -> None:
        body = json.dumps({"id": "ok", "state": "active"}).encode()
        conn.sendall(_head(200, "OK", len(body)) + body)

    def _busy(self, conn: socket.socket) -> Seen:
        body = json.dumps({"code": "ServerBusy", "message": {"lang": "en-US", "value": "busy"}}).encode()
        conn.sendall(_head(503, "Server Busy", len(body), "Retry-After: 86400") + body)
        return Seen("busy", "answered")

    def _stall_headers(self, conn: socket.socket) -> Seen:
        return Seen("stall-headers", "closed" if _wait_for_hangup(conn, SERVER_WAIT) else "gave up")

    def _late_ok(self, conn: socket.socket) -> None:
        """Answer, in full, only after LATE seconds: well after a TIMEOUT deadline set at the same time."""
        time.sleep(LATE)
        body = json.dumps({"id": "late-ok", "state": "active"}).encode()
        conn.sendall(_head(200, "OK", len(body)) + body)

    def _trickle_head(self, conn: socket.socket) -> Seen:
        """The status line and headers a byte at a time: no read ever waits long, the head never ends."""
        head = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * TRICKLE_LENGTH + b"\r\nContent-Length: 2\r\n\r\n"
        for sent, byte in enumerate(head):
            if _wait_for_hangup(conn, TRICKLE_PERIOD):
                return Seen("trickle-head", "closed", sent)
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return Seen("trickle-head", "closed", sent)
        return Seen("trickle-head", "gave up", len(head))

    def _stall_body(self, conn: socket.socket) -> Seen:
        conn.sendall(_head(200, "OK", 100) + b'{"id": "stall-body", ')
        return Seen("stall-body", "closed" if _wait_for_hangup(conn, SERVER_WAIT) else "gave up")

    def _trickle(self, conn: socket.socket) -> Seen:
        conn.sendall(_head(200, "OK", TRICKLE_LENGTH))
        body = b'{"id": "trickle"' + b" " * (TRICKLE_LENGTH - 17) + b"}"
        for sent, byte in enumerate(body):
            if _wait_for_hangup(conn, TRICKLE_PERIOD):
                return Seen("trickle", "closed", sent)
            try:
                conn.sendall(bytes([byte]))
            except OSError:
                return Seen("trickle", "closed", sent)
        return Seen("trickle", "gave up", len(body))


def _head(status: int, reason: str, length: int, *extra: str) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json; odata=minimalmetadata",
        f"Content-Length: {length}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_head(conn: socket.socket, buffer: bytes) -> tuple[bytes | None, bytes]:
    """One request head (GETs only: no body to skip), or None once the client is gone."""
    while b"\r\n\r\n" not in buffer:
        try:
            chunk = conn.recv(65536)
        except OSError:
            return None, b""
        if not chunk:
            return None, b""
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def _wait_for_hangup(conn: socket.socket, seconds: float) -> bool:
    """Wait up to ``seconds`` for the client to close the connection; True if it did."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        readable, _, _ = select.select([conn], [], [], left)
        if readable:
            try:
                if not conn.recv(65536):
                    return True
            except OSError:
                return True
    return False


@pytest.fixture(scope="module")
def server() -> Iterator[MisbehavingServer]:
    running = MisbehavingServer()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files), made for this run."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls_server(certificate: tuple[Path, Path]) -> Iterator[MisbehavingServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    running = MisbehavingServer(tls=context)
    try:
        yield running
    finally:
        running.close()


# ------------------------------------------------------------------------------------- the clients

TRANSPORTS = ["aiohttp", "httpx-async", "requests", "httpx"]


def _client_kwargs(kind: str, ca_file: Path | None = None) -> dict[str, Any]:
    """Client keywords for ``kind``; ``ca_file`` is the certificate to trust for an https server."""
    if kind in ("httpx-async", "httpx"):
        options: dict[str, Any] = {}
        if ca_file is not None:
            options["verify"] = ssl.create_default_context(cafile=str(ca_file))
        return {
            "transport": AsyncHttpXTransport(**options)
            if kind == "httpx-async"
            else HttpXTransport(**options)
        }
    # The client's default transport: aiohttp (async) or requests (sync).
    return {} if ca_file is None else {"connection_verify": str(ca_file)}


def _record_sleeps(client: Any, sleeps: list[float], is_async: bool) -> None:
    """Record, instead of doing, every wait the retry policy asks the client's transport for."""
    transport = client._pipeline._transport

    if is_async:

        async def async_sleep(duration: float) -> None:
            sleeps.append(duration)

        transport.sleep = async_sleep
    else:

        def sleep(duration: float) -> None:
            sleeps.append(duration)

        transport.sleep = sleep


HANGUPS = (
    "stall-headers",
    "trickle-head",
    "stall-body",
    "trickle",
)  # the scenarios where the server waits for the client


def get_job(
    kind: str,
    server: MisbehavingServer,
    job_id: str,
    sleeps: list[float] | None = None,
    times: int = 1,
    ca_file: Path | None = None,
    client_options: dict[str, Any] | None = None,
    **call: Any,
) -> BaseException | None:
    """Call ``jobs.get(job_id)`` ``times`` times with the client for ``kind``; return what it raised."""
    recorded: list[float] = [] if sleeps is None else sleeps
    client_kwargs = {**_client_kwargs(kind, ca_file), **(client_options or {})}
    if kind in ("aiohttp", "httpx-async"):

        async def run() -> None:
            try:
                async with azbatch.aio.BatchClient(server.url, CREDENTIAL, **client_kwargs) as client:
                    _record_sleeps(client, recorded, True)
                    for _ in range(times):
                        job = await client.jobs.get(job_id, **call)
                        assert job.id == job_id
            finally:
                if job_id in HANGUPS:
                    # A cancelled TLS connection is closed by the event loop after the call has returned
                    # (asyncio's TLS shutdown); keep the loop running until the server has seen it.
                    end = time.monotonic() + OUTCOME_WAIT
                    while server.seen.empty() and time.monotonic() < end:
                        await asyncio.sleep(0.01)

        runner: Callable[[], None] = lambda: asyncio.run(run())  # noqa: E731
    else:

        def runner() -> None:
            with azbatch.BatchClient(server.url, CREDENTIAL, **client_kwargs) as client:
                _record_sleeps(client, recorded, False)
                for _ in range(times):
                    job = client.jobs.get(job_id, **call)
                    assert job.id == job_id

    try:
        runner()
    except Exception as error:
        return error
    return None


def _expect_timeout(error: BaseException | None) -> BatchTimeoutError:
    assert isinstance(error, BatchTimeoutError), repr(error)
    # Existing handlers written against azure-core keep catching it.
    assert isinstance(error, ServiceResponseTimeoutError)
    assert isinstance(error, ServiceResponseError)
    assert isinstance(error, AzureError)
    assert error.deadline == TIMEOUT
    # The error is raised at or after the deadline, never before it.
    assert error.elapsed >= TIMEOUT - 0.01
    return error


# -------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_stall_before_the_headers_ends_at_the_deadline(kind: str, server: MisbehavingServer) -> None:
    error = _expect_timeout(get_job(kind, server, "stall-headers", timeout=TIMEOUT))
    # The server was still waiting (it waits SERVER_WAIT s) when the client hung up on it.
    assert server.next_seen() == Seen("stall-headers", "closed")
    assert error.attempts == 1
    assert error.status_code is None and error.error_code is None and error.response is None


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_stall_in_the_middle_of_the_body_ends_at_the_deadline(kind: str, server: MisbehavingServer) -> None:
    error = _expect_timeout(get_job(kind, server, "stall-body", timeout=TIMEOUT))
    assert server.next_seen() == Seen("stall-body", "closed")
    assert error.attempts == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_trickled_body_ends_at_the_deadline(kind: str, server: MisbehavingServer) -> None:
    """Each byte arrives well within any read timeout; only the total deadline can stop this."""
    error = _expect_timeout(get_job(kind, server, "trickle", timeout=TIMEOUT))
    seen = server.next_seen()
    assert seen.outcome == "closed"
    assert seen.sent < TRICKLE_LENGTH
    assert error.attempts == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_trickled_status_line_and_headers_end_at_the_deadline(kind: str, server: MisbehavingServer) -> None:
    """No response exists yet to find the socket through: the sync client must find it from the send on."""
    error = _expect_timeout(get_job(kind, server, "trickle-head", timeout=TIMEOUT))
    seen = server.next_seen()
    assert (seen.scenario, seen.outcome) == ("trickle-head", "closed")
    assert error.attempts == 1
    assert error.response is None


SYNC_TRANSPORTS = ["requests", "httpx"]


@pytest.mark.parametrize("kind", SYNC_TRANSPORTS)
def test_a_trickled_head_on_a_kept_alive_connection_ends_at_the_deadline(
    kind: str, server: MisbehavingServer
) -> None:
    """The connection was made, and pooled, by an earlier call: it is found again when it is reused."""
    with azbatch.BatchClient(server.url, CREDENTIAL, **_client_kwargs(kind)) as client:
        assert client.jobs.get("ok", timeout=30).id == "ok"
        connections = server.connections
        with pytest.raises(BatchTimeoutError) as caught:
            client.jobs.get("trickle-head", timeout=TIMEOUT)
        assert server.connections == connections  # the same connection carried both calls
    _expect_timeout(caught.value)
    seen = server.next_seen()
    assert (seen.scenario, seen.outcome) == ("trickle-head", "closed")


@pytest.mark.parametrize("kind", SYNC_TRANSPORTS)
def test_cutting_a_call_short_leaves_other_threads_calls_alone(kind: str, server: MisbehavingServer) -> None:
    """The sync client is shared by threads, over one connection pool: only the late call's socket is shut.

    While one call's head trickles past its deadline, another thread's call is in flight across that
    deadline (the server answers it after LATE s) and a third thread keeps sending quick calls over
    kept-alive connections, which pass through the pool the late call's connection came from.
    """
    results: dict[str, object] = {}
    stop = threading.Event()
    with azbatch.BatchClient(server.url, CREDENTIAL, **_client_kwargs(kind)) as client:
        assert client.jobs.get("ok", timeout=30).id == "ok"  # a pooled connection for the threads to share

        def late() -> None:
            try:
                results["late"] = client.jobs.get("late-ok", timeout=30).id
            except Exception as error:
                results["late"] = error

        def busy() -> None:
            count = 0
            try:
                while not stop.is_set():
                    assert client.jobs.get("ok", timeout=30).id == "ok"
                    count += 1
                results["busy"] = count
            except Exception as error:
                results["busy"] = error

        threads = [threading.Thread(target=late), threading.Thread(target=busy)]
        for thread in threads:
            thread.start()
        with pytest.raises(BatchTimeoutError) as caught:
            client.jobs.get("trickle-head", timeout=TIMEOUT)
        seen = server.next_seen()
        stop.set()
        for thread in threads:
            thread.join(OUTCOME_WAIT)
    _expect_timeout(caught.value)
    assert (seen.scenario, seen.outcome) == ("trickle-head", "closed")
    assert results["late"] == "late-ok"
    assert isinstance(results["busy"], int) and results["busy"] > 0, results["busy"]


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_retry_after_longer_than_the_time_left_fails_at_once(kind: str, server: MisbehavingServer) -> None:
    before = len(server.requests)
    sleeps: list[float] = []
    error = get_job(kind, server, "busy", sleeps, timeout=5)
    assert isinstance(error, BatchTimeoutError), repr(error)
    # No wait was even asked of the transport, and the request was not sent again.
    assert sleeps == []
    assert server.requests[before:] == ["busy"]
    assert server.next_seen() == Seen("busy", "answered")
    assert error.deadline == 5.0
    assert error.attempts == 1
    assert error.status_code == 503
    assert error.error_code == "ServerBusy"
    assert error.response is not None and error.response.status_code == 503
    # Retry-After 86400 is first capped by retry_backoff_max (120 s), still more than the time left.
    assert "wait 120 s" in str(error) and "503 ServerBusy" in str(error)


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_calls_that_finish_in_time_are_unaffected(kind: str, server: MisbehavingServer) -> None:
    """Several calls over one kept-alive connection: the watchdog leaves finished responses alone."""
    before = len(server.requests)
    assert get_job(kind, server, "ok", times=5, timeout=30) is None
    assert server.requests[before:] == ["ok"] * 5


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_client_level_default_applies_to_every_call(kind: str, server: MisbehavingServer) -> None:
    error = _expect_timeout(get_job(kind, server, "stall-headers", client_options={"timeout": TIMEOUT}))
    assert error.deadline == TIMEOUT
    assert server.next_seen() == Seen("stall-headers", "closed")


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_shorter_read_timeout_still_applies_within_a_deadline(kind: str, server: MisbehavingServer) -> None:
    """The deadline only ever lowers the transport's timeouts. This is also the control showing that the
    server really stalls: the plain read timeout error surfaces, not a BatchTimeoutError."""
    error = get_job(
        kind, server, "stall-headers", client_options={"retry_total": 0}, timeout=30, read_timeout=0.5
    )
    assert isinstance(error, ServiceResponseError), repr(error)
    assert not isinstance(error, BatchTimeoutError)
    assert server.next_seen() == Seen("stall-headers", "closed")


# ---------------------------------------------------------------------------------------------- TLS
# The service is https-only: the sync client's watchdog must cut a TLS connection short as well.


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_trickled_body_over_tls_ends_at_the_deadline(
    kind: str, tls_server: MisbehavingServer, certificate: tuple[Path, Path]
) -> None:
    error = _expect_timeout(get_job(kind, tls_server, "trickle", ca_file=certificate[0], timeout=TIMEOUT))
    seen = tls_server.next_seen()
    assert seen.outcome == "closed"
    assert seen.sent < TRICKLE_LENGTH
    assert error.attempts == 1


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_calls_over_tls_that_finish_in_time_are_unaffected(
    kind: str, tls_server: MisbehavingServer, certificate: tuple[Path, Path]
) -> None:
    before = len(tls_server.requests)
    assert get_job(kind, tls_server, "ok", times=3, ca_file=certificate[0], timeout=30) is None
    assert tls_server.requests[before:] == ["ok"] * 3


@pytest.mark.parametrize("kind", TRANSPORTS)
def test_a_trickled_head_over_tls_ends_at_the_deadline(
    kind: str, tls_server: MisbehavingServer, certificate: tuple[Path, Path]
) -> None:
    error = _expect_timeout(
        get_job(kind, tls_server, "trickle-head", ca_file=certificate[0], timeout=TIMEOUT)
    )
    seen = tls_server.next_seen()
    assert (seen.scenario, seen.outcome) == ("trickle-head", "closed")
    assert error.attempts == 1
