"""A minimal, fast fake of the Batch job endpoints, for benchmarks only.

It serves just enough of the wire protocol for ``bench_jobs.py``:

* ``GET /jobs/{jobId}``: a realistic ``CloudJob`` body (the JobGet.json example plus a few more fields);
* ``POST /jobs``: ``201 Created`` with ``ETag``, ``Last-Modified``, ``request-id`` and ``DataServiceId``;
* ``GET /jobs``: ``maxresults`` (1-1000, default 1000) and ``$skiptoken`` paging over ``--jobs`` jobs, each
  page with an absolute ``odata.nextLink``.

It does not check Shared Key signatures and keeps no state: every job id "exists". Response bodies are
serialised once and cached as bytes, so the server spends as little CPU per request as aiohttp allows.

The server binds to a loopback address only and is meant to run in its own process, so that its CPU
time is not counted in the client's. :class:`FakeBatchServer` starts it as a subprocess and always
stops it; the child also exits on its own when its stdin reaches EOF (the parent died), on SIGTERM,
or after ``--max-seconds``. Run it by hand with ``python benchmarks/fake_batch_server.py --jobs 1000``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any

API_VERSION = "2024-02-01.19.0"
DEFAULT_JOBS = 20_000
MAX_RESULTS = 1000
CONTENT_TYPE = "application/json;odata=minimalmetadata"
_STATES = ("active", "completed", "disabled", "terminating", "active", "active")
_GET_CACHE_LIMIT = 4096
_PAGE_CACHE_LIMIT = 512


def job_body(job_id: str, index: int, base_url: str) -> dict[str, Any]:
    """A CloudJob as the service returns it: the JobGet.json example plus a few more fields."""
    state = _STATES[index % len(_STATES)]
    return {
        "id": job_id,
        "displayName": f"Benchmark job {index}",
        "url": f"{base_url}/jobs/{job_id}",
        "eTag": f"0x8D4100FC{index:08X}",
        "lastModified": "2016-11-19T00:05:27.5391608Z",
        "creationTime": "2016-11-19T00:05:25.311915Z",
        "state": state,
        "stateTransitionTime": "2016-11-19T00:05:27.578581Z",
        "previousState": "active",
        "previousStateTransitionTime": "2016-11-19T00:05:27.2137716Z",
        "priority": index % 100,
        "maxParallelTasks": -1,
        "allowTaskPreemption": False,
        "usesTaskDependencies": False,
        "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 3},
        "commonEnvironmentSettings": [
            {"name": "BENCH_INDEX", "value": str(index)},
            {"name": "BENCH_MODE", "value": "fake"},
        ],
        "poolInfo": {"poolId": f"pool-{index % 8}"},
        "metadata": [
            {"name": "owner", "value": "benchmarks"},
            {"name": "batch", "value": str(index // 1000)},
        ],
        "executionInfo": {
            "startTime": "2016-11-19T00:05:25.3309105Z",
            "endTime": "2016-11-19T00:05:27.578581Z",
            "poolId": f"pool-{index % 8}",
            "terminateReason": "UserTerminate",
        },
        "onAllTasksComplete": "noaction",
        "onTaskFailure": "performexitoptionsjobaction",
    }


def _error_body(code: str, message: str) -> bytes:
    body = {"odata.metadata": "", "code": code, "message": {"lang": "en-US", "value": message}}
    return json.dumps(body).encode()


class FakeBatchApp:
    """The request handlers and their byte caches; ``base_url`` is the server's own origin."""

    def __init__(self, jobs: int, base_url: str) -> None:
        self.jobs = jobs
        self.base_url = base_url
        self._get_cache: dict[str, bytes] = {}
        self._page_cache: dict[tuple[int, int], bytes] = {}
        self._last_modified = formatdate(usegmt=True)
        self._requests = 0

    def build(self) -> Any:
        from aiohttp import web

        app = web.Application()
        app.router.add_get("/jobs", self.list_jobs)
        app.router.add_post("/jobs", self.add_job)
        app.router.add_get("/jobs/{job_id}", self.get_job)
        return app

    # ------------------------------------------------------------------------------------ helpers

    def _headers(self, request: Any) -> dict[str, str]:
        self._requests += 1
        headers = {"request-id": str(uuid.UUID(int=self._requests)), "DataServiceVersion": "3.0"}
        if request.headers.get("return-client-request-id") == "true":
            headers["client-request-id"] = request.headers.get("client-request-id", "")
        return headers

    def _error(self, request: Any, status: int, code: str, message: str) -> Any:
        from aiohttp import web

        return web.Response(
            status=status,
            body=_error_body(code, message),
            content_type="application/json",
            headers=self._headers(request),
        )

    def _page(self, start: int, size: int) -> bytes:
        key = (start, size)
        body = self._page_cache.get(key)
        if body is None:
            end = min(start + size, self.jobs)
            page: dict[str, Any] = {
                "odata.metadata": f"{self.base_url}/$metadata#jobs",
                "value": [job_body(f"job-{i}", i, self.base_url) for i in range(start, end)],
            }
            if end < self.jobs:
                page["odata.nextLink"] = (
                    f"{self.base_url}/jobs?api-version={API_VERSION}&maxresults={size}&$skiptoken={end}"
                )
            body = json.dumps(page, separators=(",", ":")).encode()
            if len(self._page_cache) >= _PAGE_CACHE_LIMIT:
                self._page_cache.clear()
            self._page_cache[key] = body
        return body

    # ----------------------------------------------------------------------------------- handlers

    async def get_job(self, request: Any) -> Any:
        from aiohttp import web

        job_id = request.match_info["job_id"]
        body = self._get_cache.get(job_id)
        if body is None:
            if not job_id or len(job_id) > 64:
                return self._error(request, 400, "InvalidParameterValue", "bad job id")
            index = sum(job_id.encode()) % 997
            body = json.dumps(job_body(job_id, index, self.base_url), separators=(",", ":")).encode()
            if len(self._get_cache) >= _GET_CACHE_LIMIT:
                self._get_cache.clear()
            self._get_cache[job_id] = body
        headers = self._headers(request)
        headers["ETag"] = "0x8D4100FC49F0278"
        headers["Last-Modified"] = self._last_modified
        return web.Response(body=body, headers=headers, content_type=CONTENT_TYPE)

    async def add_job(self, request: Any) -> Any:
        from aiohttp import web

        raw = await request.read()
        try:
            job = json.loads(raw)
            job_id = job["id"]
            has_pool = bool(job["poolInfo"])
        except (ValueError, KeyError, TypeError):
            return self._error(request, 400, "InvalidRequestBody", "the body is not a JobAddParameter")
        if not isinstance(job_id, str) or not has_pool:
            return self._error(request, 400, "InvalidRequestBody", "id and poolInfo are required")
        headers = self._headers(request)
        headers["ETag"] = "0x8D4100FC49F0278"
        headers["Last-Modified"] = self._last_modified
        headers["DataServiceId"] = f"{self.base_url}/jobs/{job_id}"
        return web.Response(status=201, headers=headers)

    async def list_jobs(self, request: Any) -> Any:
        from aiohttp import web

        query = request.rel_url.query
        try:
            size = int(query.get("maxresults", MAX_RESULTS))
            start = int(query.get("$skiptoken", 0))
        except ValueError:
            return self._error(request, 400, "InvalidQueryParameterValue", "bad maxresults or $skiptoken")
        if not 1 <= size <= MAX_RESULTS or not 0 <= start <= self.jobs:
            return self._error(
                request, 400, "InvalidQueryParameterValue", "maxresults or $skiptoken out of range"
            )
        return web.Response(
            body=self._page(start, size), headers=self._headers(request), content_type=CONTENT_TYPE
        )


# ---------------------------------------------------------------------------------------- child side


def _check_loopback(host: str) -> None:
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to listen on non-loopback address {host!r}")


async def _serve(host: str, port: int, jobs: int, max_seconds: float, watch_stdin: bool) -> None:
    from aiohttp import web

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Placeholder origin; fixed once the port is known (handlers only run after that).
    fake = FakeBatchApp(jobs, "")
    runner = web.AppRunner(fake.build(), access_log=None, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, backlog=128)
        await site.start()
        bound_port = runner.addresses[0][1]
        fake.base_url = f"http://{host}:{bound_port}"
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signal.SIGTERM, stop.set)
        if watch_stdin:
            # The parent holds our stdin open; EOF means it closed it or died: time to go.
            def wait_for_eof() -> None:
                with contextlib.suppress(OSError, ValueError):
                    while sys.stdin.buffer.read(4096):
                        pass
                loop.call_soon_threadsafe(stop.set)

            threading.Thread(target=wait_for_eof, name="stdin-eof", daemon=True).start()
        print(f"LISTENING {fake.base_url}", flush=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=max_seconds)
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="jobs in the listing (default 20000)")
    parser.add_argument(
        "--max-seconds", type=float, default=1800.0, help="exit after this long (default 1800)"
    )
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches EOF")
    args = parser.parse_args(argv)
    _check_loopback(args.host)
    if args.jobs < 0:
        raise SystemExit("--jobs must be >= 0")
    if args.watch_stdin:
        # Ctrl-C in the terminal reaches the whole process group; the parent decides when we stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.jobs, args.max_seconds, args.watch_stdin))


# --------------------------------------------------------------------------------------- parent side


def stop_child(proc: subprocess.Popen[bytes], *, grace_s: float) -> None:
    """Stop a benchmark's server child: close its stdin (it exits on EOF), then terminate, then kill.

    Each step gets ``grace_s`` seconds; the child's pipes are closed whatever happens.
    """
    with contextlib.suppress(OSError):
        if proc.stdin is not None:
            proc.stdin.close()
    for step in (None, proc.terminate, proc.kill):
        if step is not None:
            with contextlib.suppress(OSError):
                step()
        try:
            proc.wait(timeout=grace_s)
            break
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(OSError):
        if proc.stdout is not None:
            proc.stdout.close()


class FakeBatchServer:
    """Runs the fake server in a child process; use as a context manager (``.url`` is its origin).

    The child is always stopped on exit, also on exceptions and Ctrl-C: stdin is closed (the child
    exits on EOF), then SIGTERM, then SIGKILL, each with a short grace period.
    """

    def __init__(
        self, jobs: int = DEFAULT_JOBS, *, host: str = "127.0.0.1", start_timeout: float = 15.0
    ) -> None:
        _check_loopback(host)
        self.jobs = jobs
        self.host = host
        self.start_timeout = start_timeout
        self.url = ""
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> FakeBatchServer:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--host",
            self.host,
            "--port",
            "0",
            "--jobs",
            str(self.jobs),
            "--watch-stdin",
        ]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pid = self._proc.pid
        try:
            self.url = self._read_banner()
        except BaseException:
            self.stop()
            raise
        return self

    def _read_banner(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise RuntimeError("the fake Batch server did not start in time")
                chunk = os.read(self._proc.stdout.fileno(), 4096)
                if not chunk:
                    raise RuntimeError(f"the fake Batch server exited early (code {self._proc.wait()})")
                line += chunk
        text = line.decode().strip()
        if not text.startswith("LISTENING http://"):
            raise RuntimeError(f"unexpected output from the fake Batch server: {text!r}")
        return text.split(" ", 1)[1]

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        stop_child(proc, grace_s=3)

    def __enter__(self) -> FakeBatchServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":
    main()
