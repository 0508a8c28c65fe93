"""``BatchEmulator``: runs the emulator app on a loopback port, in the current loop or in its own thread."""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import threading
import time
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError

from ..policies._same_loop import register_loop_server, unregister_loop_server
from ._app import RequestLog, create_app
from ._auth import IDENTITY_API_VERSION, EmulatorAuth
from ._faults import FaultInjector
from ._http import ConnectionLimits, EmulatorRunner
from ._net import network_exposure_warning
from ._store import EmulatorStore

__all__ = ["BatchEmulator", "EmulatorTokenCredential", "generate_key"]

_THREAD_START_TIMEOUT_S = 30.0

logger = logging.getLogger("azbatch.emulator")


def generate_key() -> str:
    """A random account key shaped like a real one (base64 of 64 bytes)."""
    return base64.b64encode(secrets.token_bytes(64)).decode("ascii")


def _resource(scopes: tuple[str, ...]) -> str:
    if len(scopes) != 1:
        raise ValueError("the emulator's token credential takes exactly one scope")
    scope = scopes[0]
    # An Entra scope is "<resource>/.default"; the managed-identity protocol wants the resource.
    return scope[: -len("/.default")] if scope.endswith("/.default") else scope


class EmulatorTokenCredential:
    """A small async token credential that asks the emulator's managed-identity route for tokens.

    It has the shape of azure-core's ``AsyncTokenCredential`` (``get_token``, ``get_token_info``,
    ``close``, async context manager), so it can be handed to any azure-core bearer policy. Tokens are
    cached until five minutes before they expire.
    """

    def __init__(self, identity_endpoint: str, identity_header: str) -> None:
        self._endpoint = identity_endpoint
        self._header = identity_header
        self._session: aiohttp.ClientSession | None = None
        self._cache: dict[str, AccessToken] = {}

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        """Return an ``AccessTokenInfo`` for the one scope given (needs azure-core 1.31 or later)."""
        from azure.core.credentials import AccessTokenInfo  # newer than the oldest supported azure-core

        token = await self._fetch(_resource(scopes))
        return AccessTokenInfo(token.token, token.expires_on, token_type="Bearer")

    async def _fetch(self, resource: str) -> AccessToken:
        cached = self._cache.get(resource)
        if cached is not None and cached.expires_on - 300 > time.time():
            return cached
        if self._session is None:
            self._session = aiohttp.ClientSession()
        params = {"api-version": IDENTITY_API_VERSION, "resource": resource}
        try:
            async with self._session.get(
                self._endpoint, params=params, headers={"X-IDENTITY-HEADER": self._header}
            ) as response:
                data = await response.json(content_type=None)
                status = response.status
            if status != 200:
                raise ValueError(f"the emulator's token endpoint answered {status}")
            token = AccessToken(str(data["access_token"]), int(data["expires_on"]))
        except (aiohttp.ClientError, ValueError, KeyError, TypeError) as exc:
            # What azure-identity's credentials raise when no token can be had: the client's callers
            # then meet the same typed error with the emulator as with Entra ID.
            raise ClientAuthenticationError(f"no token from the emulator: {exc}") from exc
        self._cache[resource] = token
        return token

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """Return a token for the one scope given (``claims``/``tenant_id`` are ignored)."""
        return await self._fetch(_resource(scopes))

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> EmulatorTokenCredential:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self.close()


class BatchEmulator:
    """A local, in-memory Batch job service on a loopback HTTP port.

    Use ``async with BatchEmulator(...) as emu:`` in async code, or ``start_in_thread()`` / ``stop()``
    (or ``with BatchEmulator(...).start_in_thread() as emu:``) from synchronous code. The keywords mirror
    the CLI flags: ``key`` defaults to a fresh random key, ``port`` 0 picks a free port, ``auth`` False
    accepts unauthenticated requests, ``transition_ms`` sets how long transient job states last and
    ``seed`` makes fault probabilities and generated auto-pool ids reproducible.

    Connection time limits (seconds): ``header_timeout`` (10) for a request's headers to arrive after its
    first byte, ``body_timeout`` (30) for its body after the headers (both answered 408 and the
    connection closed), ``idle_timeout`` (30) for a connection with no request under way, and
    ``shutdown_timeout`` (0.5) for requests still in progress when the emulator stops.

    ``host`` defaults to ``127.0.0.1``. Any address that is not loopback (``0.0.0.0``, a LAN address,
    a host name other than ``localhost``) makes the emulator reachable from the network; ``start``
    then logs a warning on the ``azbatch.emulator`` logger. The admin API answers loopback callers only
    wherever it is bound.
    """

    def __init__(
        self,
        account: str = "emulator",
        key: str | None = None,
        transition_ms: int = 300,
        auth: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        *,
        header_timeout: float = 10.0,
        body_timeout: float = 30.0,
        idle_timeout: float = 30.0,
        shutdown_timeout: float = 0.5,
    ) -> None:
        self.limits = ConnectionLimits(header_timeout, body_timeout, idle_timeout, shutdown_timeout)
        """Connection time limits (validated here, so a bad value fails before anything starts)."""
        self.account = account
        """The Batch account name clients must use."""
        self.key = key or generate_key()
        """The base64 account key for Shared Key signing."""
        self.host = host
        self.port = port
        """The TCP port; the real one once started (when 0 was asked for)."""
        self.store = EmulatorStore(transition_ms=transition_ms, seed=seed)
        """The in-memory job store; seed and inspect it directly."""
        self.faults = FaultInjector(seed)
        """Fault rules applied to incoming requests."""
        self.auth = EmulatorAuth(account, self.key, enabled=auth)
        """Request verification and the managed-identity token route."""
        self.request_log = RequestLog()
        """Counts of answered requests."""
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None

    # --------------------------------------------------------------------------------- addresses

    @property
    def endpoint(self) -> str:
        """The account URL to give clients, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is None:
            raise RuntimeError("the emulator is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def identity_endpoint(self) -> str:
        """URL of the managed-identity token route (the value for ``IDENTITY_ENDPOINT``)."""
        return self.endpoint + self.auth.identity_endpoint_path

    @property
    def credential(self) -> AzureNamedKeyCredential:
        """A Shared Key credential for this account."""
        return AzureNamedKeyCredential(self.account, self.key)

    def token_credential(self) -> EmulatorTokenCredential:
        """A new async token credential that gets its tokens from this emulator."""
        return EmulatorTokenCredential(self.identity_endpoint, self.auth.identity_header)

    def identity_env(self) -> dict[str, str]:
        """Environment variables that make azure-identity's ``ManagedIdentityCredential`` use this emulator."""
        return {"IDENTITY_ENDPOINT": self.identity_endpoint, "IDENTITY_HEADER": self.auth.identity_header}

    def script_task_counts(
        self, job_id: str, steps: list[dict[str, Any]], *, replace: bool = True
    ) -> dict[str, Any]:
        """Script a job's task counts over time (see ``EmulatorStore.set_task_count_timeline``).

        ``steps`` are ``{"afterMs": ms, "taskCounts": {...}, "taskSlotCounts": {...}}`` dicts, applied
        ``afterMs`` after this call on the store's clock.
        """
        return self.store.set_task_count_timeline(job_id, steps, replace=replace)

    def step_task_counts(self, job_id: str, steps: int = 1) -> dict[str, Any]:
        """Apply the job's next scripted task-count step(s) now; return the current counts."""
        return self.store.step_task_counts(job_id, steps)

    @property
    def connection_count(self) -> int:
        """How many client connections are open right now (0 when not running)."""
        server = self._runner.server if self._runner is not None else None
        return len(server.connections) if server is not None else 0

    def client_env(self) -> dict[str, str]:
        """Environment variables a client (or the samples) can connect with.

        ``AZURE_BATCH_ENDPOINT``, ``AZURE_BATCH_ACCOUNT`` and ``AZURE_BATCH_KEY`` for Shared Key, plus the
        managed-identity pair of :meth:`identity_env`. The values contain the account key.
        """
        return {
            "AZURE_BATCH_ENDPOINT": self.endpoint,
            "AZURE_BATCH_ACCOUNT": self.account,
            "AZURE_BATCH_KEY": self.key,
            **self.identity_env(),
        }

    def info(self) -> dict[str, Any]:
        """What a client needs to connect (the CLI prints this; ``GET /_emulator/info`` returns it)."""
        return {
            "endpoint": self.endpoint,
            "account": self.account,
            "key": self.key,
            "auth": self.auth.enabled,
            "transitionMs": self.store.transition_ms,
            **self.identity_env(),
        }

    # ----------------------------------------------------------------------------- async lifecycle

    async def start(self) -> BatchEmulator:
        """Bind the port and start serving in the running event loop."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        exposure = network_exposure_warning(self.host)
        if exposure is not None:
            # Logged rather than raised as a Python warning: binding a network address is allowed, just
            # never quietly. The CLI's logging setup prints it on stderr.
            logger.warning("%s", exposure)
        app = create_app(
            self.store,
            self.faults,
            self.auth,
            self.request_log,
            info=self.info,
            body_timeout=self.limits.body_timeout,
        )
        runner: web.AppRunner = EmulatorRunner(app, self.limits)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self.port = int(address[1])
        self.store.base_url = self.endpoint
        # A sync client called on this loop's thread would block the loop that has to answer it; tell
        # the client's guard, so that such a call fails at once instead of hanging.
        register_loop_server(self.host, self.port, asyncio.get_running_loop())
        return self

    async def close(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            unregister_loop_server(self.host, self.port)
            await runner.cleanup()

    async def __aenter__(self) -> BatchEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------------------ thread runner

    def start_in_thread(self) -> BatchEmulator:
        """Serve from a daemon thread with its own event loop; return once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running in a thread")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:  # reported to the starting thread below
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.close())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        thread = threading.Thread(target=run, name=f"batch-emulator-{self.account}", daemon=True)
        thread.start()
        if not ready.wait(_THREAD_START_TIMEOUT_S):
            raise RuntimeError("the emulator thread did not start in time")
        if failure:
            thread.join()
            raise failure[0]
        self._thread, self._thread_loop = thread, loop
        return self

    def stop(self) -> None:
        """Stop a server started with :meth:`start_in_thread` and wait for its thread to end."""
        thread, loop = self._thread, self._thread_loop
        self._thread = self._thread_loop = None
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_THREAD_START_TIMEOUT_S)

    def __enter__(self) -> BatchEmulator:
        if self._thread is None:
            self.start_in_thread()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.endpoint if self._runner is not None else "not running"
        return f"BatchEmulator(account={self.account!r}, {where})"
