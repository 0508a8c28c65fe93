"""The server side of the soak benchmark: the Batch emulator behind the fault proxy, in a child process.

Run by ``soak.py`` (``SoakServer``); it runs apart from the clients so that the clients' event loop and
threads do not share an interpreter with the server. On start it prints one JSON line (proxy endpoint,
emulator endpoint, account, key), then answers JSON commands, one per line on stdin:

``{"cmd": "report", "prefix": "soak-a-"}``
    the proxy's stats since the last report (faults per kind, each client-request-id's attempts), how
    many times the emulator created each job id with that prefix (seen on the wire: a 201 to
    ``POST /jobs``), the state of every job with that prefix still in the emulator, and this process's
    CPU time and peak RSS.

It exits at EOF on stdin (so it never outlives its parent) or after ``--max-seconds``.

    python benchmarks/soak_server.py --seed 1 --fault-rate 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_batch_server import stop_child  # sibling modules, not a package
from fault_proxy import FAULT_KINDS, FaultPlan, FaultProxy, HttpMessage

from azbatch.emulator import BatchEmulator

__all__ = ["SoakServer"]


class _Created:
    """Counts, per job id, the emulator's 201 answers to ``POST /jobs`` (also those the client lost)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def __call__(self, request: HttpMessage, response: HttpMessage) -> None:
        method, _, rest = request.start_line.partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        if method != "POST" or path.rstrip("/") != "/jobs" or " 201" not in response.start_line:
            return
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            self.counts[str(json.loads(request.body)["id"])] += 1


def _job_states(emulator: BatchEmulator, prefix: str) -> dict[str, str]:
    states: dict[str, str] = {}
    for job_id in emulator.store.job_ids():
        if not job_id.startswith(prefix):
            continue
        try:
            states[job_id] = str(emulator.store.get_job(job_id).document.get("state"))
        except Exception:  # gone between the two calls, or a store API that changed shape
            states[job_id] = "unknown"
    return states


def _report(proxy: FaultProxy, created: _Created, emulator: BatchEmulator, prefix: str) -> dict[str, Any]:
    stats = proxy.drain_stats()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "requests": stats.requests,
        "connections": stats.connections,
        "faults": dict(stats.faults),
        "proxy_errors": stats.proxy_errors,
        "attempts": stats.attempts,
        "created": {k: v for k, v in created.counts.items() if k.startswith(prefix)},
        "jobs": _job_states(emulator, prefix),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_kib": usage.ru_maxrss,
    }


async def _serve(args: argparse.Namespace) -> None:
    plan = FaultPlan(
        rate=args.fault_rate,
        seed=args.seed,
        kinds=tuple(args.kinds.split(",")),
        max_retry_after=args.max_retry_after,
        slow_s=(args.slow_min, args.slow_max),
    )
    created = _Created()
    # transition_ms=0: every state change completes inside its request, so a job's state after each
    # successful call is known exactly and the clients can check it.
    async with BatchEmulator(transition_ms=0, seed=args.seed, host="127.0.0.1") as emulator:
        proxy = FaultProxy(("127.0.0.1", emulator.port), plan, observer=created)
        await proxy.start()
        try:
            banner = {
                "proxy": proxy.endpoint,
                "emulator": emulator.endpoint,
                "account": emulator.account,
                "key": emulator.key,
            }
            print(json.dumps(banner), flush=True)
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            deadline = time.monotonic() + args.max_seconds
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                try:
                    line = await asyncio.wait_for(reader.readline(), remaining)
                except asyncio.TimeoutError:
                    return
                if not line:
                    return  # parent gone
                command = json.loads(line)
                if command.get("cmd") == "report":
                    answer = _report(proxy, created, emulator, str(command.get("prefix", "")))
                else:
                    answer = {"error": f"unknown command {command.get('cmd')!r}"}
                sys.stdout.write(json.dumps(answer) + "\n")
                sys.stdout.flush()
        finally:
            await proxy.close()


class SoakServer:
    """Starts ``soak_server.py`` in a child process and talks to it; a context manager.

    The child is always stopped on exit: stdin is closed (it exits at EOF), then SIGTERM, then SIGKILL.
    """

    def __init__(self, args: list[str], *, start_timeout: float = 30.0) -> None:
        self.args = args
        self.start_timeout = start_timeout
        self.info: dict[str, Any] = {}
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> SoakServer:
        command = [sys.executable, str(Path(__file__).resolve()), *self.args]
        self._proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        try:
            self.info = json.loads(self._read_line(self.start_timeout))
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _read_line(self, timeout: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise RuntimeError("the soak server did not answer in time")
                chunk = os.read(self._proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise RuntimeError(f"the soak server exited (code {self._proc.wait()})")
                line += chunk
        return line

    def report(self, prefix: str, timeout: float = 60.0) -> dict[str, Any]:
        """The proxy's stats since the last report and the emulator's jobs with ``prefix``."""
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"cmd": "report", "prefix": prefix}).encode() + b"\n")
        self._proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._read_line(timeout))
        return answer

    def stop(self) -> None:
        """Stop the child; safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        stop_child(proc, grace_s=5)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The child's command line (``soak.py`` builds it from its own options)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS), help="comma-separated fault kinds")
    parser.add_argument("--max-retry-after", type=int, default=1, help="Retry-After is 0..N seconds")
    parser.add_argument(
        "--slow-min", type=float, default=0.2, help="slow answers are held at least this long (s)"
    )
    parser.add_argument("--slow-max", type=float, default=1.0, help="and at most this long (s)")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="exit after this long regardless")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until stdin closes."""
    args = parse_args(argv)
    # The parent stops us by closing stdin; SIGINT from a terminal's Ctrl-C reaches the parent too.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
