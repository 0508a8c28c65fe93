"""Soak azbatch's clients under injected transient faults and report what reached the caller.

The Batch emulator runs in a child process behind a seeded fault proxy (``soak_server.py``,
``fault_proxy.py``) that fails about ``--fault-rate`` of all requests: 429/503 with Retry-After, 500
before or after the emulator applied the request, connection resets before or after it applied it, and
slow answers. The async client (one event loop, ``--concurrency`` tasks) and the sync client (a pool of
``--concurrency`` threads) each run ``--ops`` mixed job operations (``soak_workload.py``) with their
default retry settings (apart from ``--retry-backoff``), and the run prints, per client: operations
done, lost adds, duplicated jobs, untyped errors, hangs, faults that reached the caller, other failures,
latency percentiles and peak memory.

    python benchmarks/soak.py [--ops 10000] [--concurrency 50] [--fault-rate 0.10] [--seed 1]
                              [--client async|sync|both] [--json out.json] [--quick]

It is a benchmark, not a test, but it exits 1 when a hard invariant breaks (an untyped error, a hang, a
duplicated job, a job in a state the client was not told about, a lost operation), so it can gate a
merge; ``--max-lost-adds`` and ``--max-leak-pct`` turn the two soft numbers into gates as well. A global
watchdog (``--max-seconds``) always ends the run (exit 3). See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import logging
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import AzureError, HttpResponseError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fault_proxy import FAULT_KINDS  # sibling modules, not a package
from soak_server import SoakServer
from soak_workload import GONE, OPERATIONS, Script, Step, Workload, async_step, sync_step

import azbatch

CLIENTS = ("async", "sync")
PREFIXES = {"async": "soak-a-", "sync": "soak-s-"}
QUICK_OPS = 1_000
EXIT_INVARIANT = 1
EXIT_SETUP = 2
EXIT_WATCHDOG = 3


# -------------------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """Everything a run depends on; written to the JSON output as ``settings``."""

    ops: int
    concurrency: int
    fault_rate: float
    seed: int
    clients: tuple[str, ...]
    kinds: tuple[str, ...]
    max_retry_after: int
    slow_s: tuple[float, float]
    retry_backoff: float | None  # None: the clients' default
    records_path: str | None
    call_timeout: float
    read_timeout: float
    op_deadline: float
    max_seconds: float
    tracemalloc: bool
    max_lost_adds: int | None
    max_leak_pct: float | None

    def client_kwargs(self) -> dict[str, Any]:
        """Keywords for the client constructors: defaults, except the backoff factor if one was given."""
        return {} if self.retry_backoff is None else {"retry_backoff_factor": self.retry_backoff}


def retry_settings(client: Any) -> dict[str, Any]:
    """The retry policy a client's pipeline really runs, and its settings.

    Read from the client rather than assumed, so that a change to azbatch's default policy shows here.
    """
    policies = [
        getattr(policy, "_policy", policy)  # sans-I/O policies are wrapped in a runner
        for policy in getattr(getattr(client, "_pipeline", None), "_impl_policies", [])
    ]
    for policy in policies:
        if hasattr(policy, "total_retries"):
            return {
                "policy": f"{type(policy).__module__}.{type(policy).__qualname__}",
                "retry_total": policy.total_retries,
                "retry_connect": getattr(policy, "connect_retries", None),
                "retry_read": getattr(policy, "read_retries", None),
                "retry_status": getattr(policy, "status_retries", None),
                "retry_backoff_factor": getattr(policy, "backoff_factor", None),
                "retry_backoff_max": getattr(policy, "backoff_max", None),
                "retry_mode": str(getattr(policy, "retry_mode", None)),
            }
    named = [p for p in policies if "retry" in type(p).__name__.lower()]
    return {"policy": f"{type(named[0]).__module__}.{type(named[0]).__qualname__}" if named else None}


# --------------------------------------------------------------------------------- one operation


@dataclass
class OpRecord:
    """The outcome of one step as the caller saw it."""

    op: str
    job_id: str | None
    crid: str
    latency_s: float
    error_type: str | None = None
    azure_error: bool = False
    status: int | None = None
    code: str | None = None
    detail: str | None = None  # only for untyped errors: the message, shortened
    hung: bool = False
    state_mismatch: bool = False

    @property
    def failed(self) -> bool:
        """True when the call raised or never finished."""
        return self.hung or self.error_type is not None


def _describe(record: OpRecord, exc: BaseException) -> None:
    record.error_type = type(exc).__name__
    record.azure_error = isinstance(exc, AzureError)
    if isinstance(exc, HttpResponseError):
        record.status = exc.status_code
        code = getattr(getattr(exc, "error", None), "code", None)
        record.code = str(code) if code is not None else None
    if not record.azure_error:
        record.detail = str(exc)[:200]


@dataclass
class Phase:
    """What one client did: a record per operation and each script's end."""

    client: str
    prefix: str
    records: list[OpRecord] = field(default_factory=list)
    # (job id, expected final state) of job scripts in which every executed step succeeded.
    clean_scripts: list[tuple[str, str]] = field(default_factory=list)
    wall_s: float = 0.0
    peak_rss_kib: int | None = None
    peak_rss_scope: str = "phase"  # "process" where the kernel's peak counter cannot be reset
    traced_peak_bytes: int | None = None
    call_keywords: dict[str, Any] = field(default_factory=dict)
    retry: dict[str, Any] = field(default_factory=dict)
    log_warnings: Counter[str] = field(default_factory=Counter)

    def finish(self, script: Script, executed: list[OpRecord], completed: bool) -> None:
        """Note a script's end: clean ones get their final state checked later."""
        if script.job_id is None or not executed or not completed:
            return
        expect = script.steps[len(executed) - 1].expect
        if expect is not None:
            self.clean_scripts.append((script.job_id, expect))


def _op_keywords(step: Step, phase: Phase) -> dict[str, Any]:
    """Per-call keywords of one step.

    The step's id goes out twice: as ``client_request_id`` (what a user would set) and in an
    ``x-soak-op`` header (azure-core's per-call ``headers``), which the fault proxy keys its decisions and
    its log on. The header keeps that link even if a client starts sending a new request id per retry.
    """
    return {"client_request_id": step.crid, "headers": {"x-soak-op": step.crid}, **phase.call_keywords}


def _check_state(record: OpRecord, step: Step, seen: str | None) -> None:
    if step.op == "get" and seen != step.expect:
        record.state_mismatch = True
        record.detail = f"get saw {seen!r}, expected {step.expect!r}"


# ---------------------------------------------------------------------------------- the watchdog


class Watchdog:
    """Ends the whole run after ``seconds`` whatever happens, writing what is known so far."""

    def __init__(self, seconds: float, settings: Settings, json_path: str | None) -> None:
        self.phases: list[Phase] = []
        self._settings = settings
        self._json_path = json_path
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        """Arm the timer."""
        self._timer.start()

    def cancel(self) -> None:
        """Disarm the timer."""
        self._timer.cancel()

    def _fire(self) -> None:
        message = f"WATCHDOG: the run exceeded --max-seconds={self._settings.max_seconds:g}; aborting"
        partial = {
            p.client: {
                "ops_done": len(p.records),
                "untyped_errors": sum(r.error_type is not None and not r.azure_error for r in p.records),
                "hangs": sum(r.hung for r in p.records),
            }
            for p in self.phases
        }
        print(message, json.dumps(partial), file=sys.stderr, flush=True)
        if self._json_path:
            with contextlib.suppress(OSError):
                Path(self._json_path).write_text(
                    json.dumps(
                        {"aborted": message, "settings": _settings_json(self._settings), "partial": partial}
                    )
                )
        # Threads may be stuck in a socket call; only a hard exit is sure to end the process. The
        # server child exits by itself when our end of its stdin closes.
        os._exit(EXIT_WATCHDOG)


# --------------------------------------------------------------------------------------- memory


def _reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS counter for this process (Linux); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_kib() -> int:
    with contextlib.suppress(OSError):
        match = re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())
        if match:
            return int(match.group(1))
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


_DIGITS = re.compile(r"\d+")


class _LogCounter(logging.Handler):
    """Counts WARNING and worse log records by logger and message instead of printing them.

    Counted, because what the SDK logs under faults is part of what a user would see; not printed,
    because hundreds of them would bury the table.
    """

    def __init__(self, counts: Counter[str]) -> None:
        super().__init__(logging.WARNING)
        self.counts = counts

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            # Numbers (pool sizes, ports, counts) vary between records of one kind; group them.
            self.counts[f"{record.name}: {_DIGITS.sub('N', record.getMessage()[:120])}"] += 1


@contextlib.contextmanager
def _measure(phase: Phase, trace: bool) -> Any:
    handler = _LogCounter(phase.log_warnings)
    logging.getLogger().addHandler(handler)
    phase.peak_rss_scope = "phase" if _reset_peak_rss() else "process"
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        phase.wall_s = time.perf_counter() - start
        phase.peak_rss_kib = _peak_rss_kib()
        if trace:
            phase.traced_peak_bytes = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        logging.getLogger().removeHandler(handler)


# ------------------------------------------------------------------------------ per-call options


def _keyword_candidates(settings: Settings) -> list[dict[str, Any]]:
    """Per-call keywords to try, best first: an overall ``timeout`` and a per-try ``read_timeout``.

    Each is probed with one call to a job that does not exist, on the emulator directly (so it is not
    faulted): a client that rejects a keyword raises TypeError before sending, and the soak then goes
    without it.
    """
    full = {"timeout": settings.call_timeout, "read_timeout": settings.read_timeout}
    return [full, {"timeout": settings.call_timeout}, {}]


def _probe_sync(settings: Settings, jobs: Any) -> dict[str, Any]:
    for kw in _keyword_candidates(settings):
        try:
            jobs.get_task_counts("soak-probe-missing", **kw)
        except TypeError:
            continue
        except AzureError:
            pass  # 404 JobNotFound: the call went through with these keywords
        return kw
    return {}


async def _probe_async(settings: Settings, jobs: Any) -> dict[str, Any]:
    for kw in _keyword_candidates(settings):
        try:
            await jobs.get_task_counts("soak-probe-missing", **kw)
        except TypeError:
            continue
        except AzureError:
            pass  # 404 JobNotFound: the call went through with these keywords
        return kw
    return {}


# ------------------------------------------------------------------------------------ async side


async def _run_async(settings: Settings, info: dict[str, Any], phase: Phase) -> None:
    from azbatch.aio import BatchClient

    credential = AzureNamedKeyCredential(info["account"], info["key"])
    list_filter = f"startswith(id,'{phase.prefix}')"

    async with BatchClient(info["emulator"], credential) as direct:
        phase.call_keywords = await _probe_async(settings, direct.jobs)

    work = Workload(settings.seed, phase.prefix, settings.ops)
    async with BatchClient(info["proxy"], credential, **settings.client_kwargs()) as client:
        phase.retry = retry_settings(client)

        async def one(step: Step) -> OpRecord:
            record = OpRecord(step.op, step.job_id, step.crid, 0.0)
            kw = _op_keywords(step, phase)
            start = time.perf_counter()
            task = asyncio.ensure_future(async_step(client.jobs, step, kw, list_filter))
            done, _ = await asyncio.wait({task}, timeout=settings.op_deadline)
            record.latency_s = time.perf_counter() - start
            if not done:
                record.hung = True
                task.add_done_callback(lambda t: t.cancelled() or t.exception())
                task.cancel()
            elif (exc := task.exception()) is not None:
                _describe(record, exc)
            else:
                _check_state(record, step, task.result())
            phase.records.append(record)
            return record

        async def worker() -> None:
            while (script := work.next_script()) is not None:
                executed: list[OpRecord] = []
                completed = True
                for step in script.steps:
                    if not work.claim():
                        break
                    record = await one(step)
                    executed.append(record)
                    if record.failed or record.state_mismatch:
                        completed = False  # the job's state is unknown now: leave it alone
                        break
                phase.finish(script, executed, completed)

        await asyncio.gather(*(worker() for _ in range(settings.concurrency)))


def async_phase(settings: Settings, info: dict[str, Any], watchdog: Watchdog) -> Phase:
    """Run the async client's share of the soak on a fresh event loop."""
    phase = Phase("async", PREFIXES["async"])
    watchdog.phases.append(phase)
    with _measure(phase, settings.tracemalloc):
        asyncio.run(_run_async(settings, info, phase))
    return phase


# ------------------------------------------------------------------------------------- sync side


def sync_phase(settings: Settings, info: dict[str, Any], watchdog: Watchdog) -> Phase:
    """Run the sync client's share of the soak on a pool of daemon worker threads.

    Daemon threads rather than ``ThreadPoolExecutor``: a thread stuck in a socket call cannot be
    stopped, and an executor's threads would keep the process alive at exit.
    """
    phase = Phase("sync", PREFIXES["sync"])
    watchdog.phases.append(phase)
    credential = AzureNamedKeyCredential(info["account"], info["key"])
    list_filter = f"startswith(id,'{phase.prefix}')"
    with azbatch.BatchClient(info["emulator"], credential) as direct:
        phase.call_keywords = _probe_sync(settings, direct.jobs)

    work = Workload(settings.seed, phase.prefix, settings.ops)
    lock = threading.Lock()
    inflight: dict[int, tuple[float, Step]] = {}  # thread id -> start and step of its current call
    hung_threads: set[int] = set()
    closed = threading.Event()

    with _measure(phase, settings.tracemalloc):
        client = azbatch.BatchClient(info["proxy"], credential, **settings.client_kwargs())
        phase.retry = retry_settings(client)

        def one(step: Step) -> OpRecord:
            me = threading.get_ident()
            record = OpRecord(step.op, step.job_id, step.crid, 0.0)
            kw = _op_keywords(step, phase)
            start = time.perf_counter()
            with lock:
                inflight[me] = (start, step)
            try:
                _check_state(record, step, sync_step(client.jobs, step, kw, list_filter))
            except BaseException as exc:  # everything the caller could see is data here
                _describe(record, exc)
            record.latency_s = time.perf_counter() - start
            with lock:
                inflight.pop(me, None)
                record.hung = me in hung_threads
                hung_threads.discard(me)
                if not closed.is_set():
                    phase.records.append(record)
            return record

        def worker() -> None:
            while (script := work.next_script()) is not None:
                executed: list[OpRecord] = []
                completed = True
                for step in script.steps:
                    if not work.claim():
                        break
                    record = one(step)
                    executed.append(record)
                    if record.failed or record.state_mismatch:
                        completed = False
                        break
                phase.finish(script, executed, completed)

        threads = [
            threading.Thread(target=worker, name=f"soak-sync-{n}", daemon=True)
            for n in range(settings.concurrency)
        ]
        for thread in threads:
            thread.start()
        # Monitor: a call running past the deadline is a hang; the phase ends when every thread has
        # finished or is stuck in such a call.
        stuck: dict[int, tuple[float, Step]] = {}
        while True:
            alive = [t for t in threads if t.is_alive()]
            now = time.perf_counter()
            with lock:
                for ident, call in inflight.items():
                    if now - call[0] > settings.op_deadline and stuck.get(ident) is not call:
                        stuck[ident] = call
                        hung_threads.add(ident)
                still_stuck = {i: c for i, c in stuck.items() if inflight.get(i) is c}
            if all(t.ident in still_stuck for t in alive):
                break
            alive[0].join(0.1)
        with lock:
            closed.set()  # a call that comes back late must not add a second record
            for _, step in still_stuck.values():  # calls that never came back
                phase.records.append(
                    OpRecord(step.op, step.job_id, step.crid, settings.op_deadline, hung=True)
                )
        if not still_stuck:
            client.close()
    return phase


# -------------------------------------------------------------------------------------- analysis


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _error_label(record: OpRecord) -> str:
    parts = [record.error_type or "?"]
    if record.status is not None:
        parts.append(str(record.status))
    if record.code:
        parts.append(record.code)
    return " ".join(parts)


_FAULT_STATUSES = frozenset({429, 500, 502, 503})


def summarize(phase: Phase, server: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The per-client numbers: the records joined with what the proxy injected and the emulator holds."""
    attempts: dict[str, list[str | None]] = server.get("attempts", {})
    jobs: dict[str, str] = server.get("jobs", {})
    created: dict[str, int] = server.get("created", {})

    ops_by_name: Counter[str] = Counter()
    leaked_by_error: Counter[str] = Counter()
    leaked_by_fault: Counter[str] = Counter()
    leaked_by_op: Counter[str] = Counter()
    other_by_error: Counter[str] = Counter()
    untyped_by_error: Counter[str] = Counter()
    ops_with_faults = absorbed = leaked = direct = hangs = mismatches = 0
    lost_adds: list[str] = []
    latencies: list[float] = []

    for record in phase.records:
        ops_by_name[record.op] += 1
        faults = [kind for kind in attempts.get(record.crid, []) if kind]
        if faults:
            ops_with_faults += 1
        if record.state_mismatch:
            mismatches += 1
        if record.op == "add" and record.failed and record.job_id in jobs:
            lost_adds.append(record.job_id)  # the caller was told it failed, yet the job is there
        if record.hung:
            hangs += 1
            continue
        latencies.append(record.latency_s)
        if record.error_type is None:
            absorbed += bool(faults)
            continue
        if not record.azure_error:
            untyped_by_error[f"{record.error_type}: {record.detail}"] += 1
        elif faults:
            leaked += 1
            leaked_by_error[_error_label(record)] += 1
            # The last fault before the error is the one the client did not get past.
            leaked_by_fault[faults[-1]] += 1
            leaked_by_op[record.op] += 1
            # The fault itself (its status, or a connection error without one), or what a retry of a
            # request the server had already applied ran into (404, 409 ...).
            direct += record.status is None or record.status in _FAULT_STATUSES
        else:
            other_by_error[_error_label(record)] += 1
    for job_id, expect in phase.clean_scripts:
        if jobs.get(job_id, GONE) != expect:
            mismatches += 1
    duplicates = sum(n - 1 for n in created.values() if n > 1)
    latencies.sort()
    done = len(phase.records)
    return {
        "ops_done": done,
        "ops_ok": sum(not r.failed for r in phase.records),
        "ops_by_name": {name: ops_by_name[name] for name in OPERATIONS if ops_by_name[name]},
        "requests": server.get("requests", 0),
        "connections": server.get("connections", 0),
        "faults_injected": sum(server.get("faults", {}).values()),
        "faults_injected_by_kind": dict(sorted(server.get("faults", {}).items())),
        "ops_with_faults": ops_with_faults,
        "faults_absorbed": absorbed,
        "faults_reached_caller": leaked,
        "faults_reached_caller_pct": round(100.0 * leaked / done, 3) if done else 0.0,
        "faults_reached_caller_direct": direct,
        "faults_reached_caller_after_retry": leaked - direct,
        "faults_reached_caller_by_error": dict(leaked_by_error.most_common()),
        "faults_reached_caller_by_fault": dict(leaked_by_fault.most_common()),
        "faults_reached_caller_by_op": dict(leaked_by_op.most_common()),
        "lost_adds": len(lost_adds),
        "lost_add_ids": sorted(lost_adds)[:20],
        "duplicated_jobs": duplicates,
        "untyped_errors": sum(untyped_by_error.values()),
        "untyped_errors_by_type": dict(untyped_by_error.most_common()),
        "hangs": hangs,
        "state_mismatches": mismatches,
        "other_failures": sum(other_by_error.values()),
        "other_failures_by_error": dict(other_by_error.most_common()),
        "proxy_errors": server.get("proxy_errors", 0),
        "log_warnings": sum(phase.log_warnings.values()),
        "log_warnings_by_message": dict(phase.log_warnings.most_common()),
        "latency_ms": {
            "p50": round(1000 * _percentile(latencies, 0.50), 2),
            "p99": round(1000 * _percentile(latencies, 0.99), 2),
            "max": round(1000 * (latencies[-1] if latencies else 0.0), 2),
            "mean": round(1000 * statistics.fmean(latencies), 2) if latencies else 0.0,
        },
        "wall_s": round(phase.wall_s, 2),
        "ops_per_s": round(done / phase.wall_s, 1) if phase.wall_s else 0.0,
        "peak_rss_mib": round((phase.peak_rss_kib or 0) / 1024, 1),
        "peak_rss_scope": phase.peak_rss_scope,
        "traced_peak_mib": (
            round(phase.traced_peak_bytes / 2**20, 2) if phase.traced_peak_bytes is not None else None
        ),
        "call_keywords": phase.call_keywords,
        "retry": phase.retry,
    }


def _write_records(path: str, phase: Phase, server: dict[str, Any]) -> None:
    """Append one JSON line per operation, with the faults its requests met, for digging into a run."""
    attempts: dict[str, list[str | None]] = server.get("attempts", {})
    with open(path, "a", encoding="utf-8") as out:
        for record in phase.records:
            line = {"client": phase.client, **vars(record), "faults": attempts.get(record.crid, [])}
            out.write(json.dumps(line) + "\n")


def invariants(results: dict[str, dict[str, Any]], settings: Settings) -> list[str]:
    """Hard invariants (always) and the optional gates; an empty list means the run passes."""
    broken: list[str] = []
    for client, r in results.items():
        for key in ("untyped_errors", "hangs", "duplicated_jobs", "state_mismatches", "proxy_errors"):
            if r[key]:
                broken.append(f"{client}: {key} = {r[key]}")
        if r["ops_done"] != settings.ops:
            broken.append(f"{client}: ops_done = {r['ops_done']}, expected {settings.ops}")
        if settings.max_lost_adds is not None and r["lost_adds"] > settings.max_lost_adds:
            broken.append(f"{client}: lost_adds = {r['lost_adds']} > {settings.max_lost_adds}")
        pct = r["faults_reached_caller_pct"]
        if settings.max_leak_pct is not None and pct > settings.max_leak_pct:
            broken.append(f"{client}: faults_reached_caller_pct = {pct} > {settings.max_leak_pct}")
    return broken


# --------------------------------------------------------------------------------------- output


_TABLE_ROWS = (
    ("ops done", "ops_done"),
    ("ops ok", "ops_ok"),
    ("requests seen by the proxy", "requests"),
    ("faults injected", "faults_injected"),
    ("ops that met a fault", "ops_with_faults"),
    ("  ... and succeeded anyway", "faults_absorbed"),
    ("faults reached the caller", "faults_reached_caller"),
    ("  ... % of ops", "faults_reached_caller_pct"),
    ("  ... as the fault itself", "faults_reached_caller_direct"),
    ("  ... as a retry's 404/409", "faults_reached_caller_after_retry"),
    ("lost adds", "lost_adds"),
    ("duplicated jobs", "duplicated_jobs"),
    ("untyped errors", "untyped_errors"),
    ("hangs", "hangs"),
    ("state mismatches", "state_mismatches"),
    ("other failures", "other_failures"),
    ("log warnings", "log_warnings"),
    ("latency p50 ms", ("latency_ms", "p50")),
    ("latency p99 ms", ("latency_ms", "p99")),
    ("latency max ms", ("latency_ms", "max")),
    ("wall s", "wall_s"),
    ("ops/s", "ops_per_s"),
    ("peak RSS MiB", "peak_rss_mib"),
    ("traced peak MiB", "traced_peak_mib"),
)


def _cell(result: dict[str, Any], key: str | tuple[str, str]) -> str:
    value = result[key[0]][key[1]] if isinstance(key, tuple) else result[key]
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(results: dict[str, dict[str, Any]], settings: Settings, broken: list[str]) -> str:
    """The human-readable report."""
    names = list(results)
    lines = [f"{'metric':<30}" + "".join(f"{n:>14}" for n in names), "-" * (30 + 14 * len(names))]
    for label, key in _TABLE_ROWS:
        lines.append(f"{label:<30}" + "".join(f"{_cell(results[n], key):>14}" for n in names))
    for title, key in (
        ("faults injected by kind", "faults_injected_by_kind"),
        ("faults that reached the caller, by error", "faults_reached_caller_by_error"),
        ("faults that reached the caller, by the last fault met", "faults_reached_caller_by_fault"),
        ("faults that reached the caller, by operation", "faults_reached_caller_by_op"),
        ("other failures (no fault met)", "other_failures_by_error"),
        ("untyped errors", "untyped_errors_by_type"),
        ("log records at WARNING or above", "log_warnings_by_message"),
    ):
        for name in names:
            counts = results[name][key]
            if counts:
                lines.append(f"{title} [{name}]:")
                lines.extend(f"    {count:>6,}  {label}" for label, count in counts.items())
    for name in names:
        if results[name]["lost_add_ids"]:
            lines.append(f"lost adds [{name}] (first ids): {', '.join(results[name]['lost_add_ids'])}")
    for name in names:
        retry = ", ".join(f"{k}={v}" for k, v in results[name]["retry"].items())
        lines.append(f"settings [{name}]: {retry}; per call {results[name]['call_keywords']}")
    lines.append(
        f"faults: {settings.fault_rate:.0%} of requests, Retry-After 0..{settings.max_retry_after} s, "
        f"slow {settings.slow_s[0]:g}..{settings.slow_s[1]:g} s; op deadline {settings.op_deadline:g} s"
    )
    lines.append("invariants: " + ("ok" if not broken else "BROKEN: " + "; ".join(broken)))
    return "\n".join(lines)


def _settings_json(settings: Settings) -> dict[str, Any]:
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(settings).items()}
    return data


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _environment() -> dict[str, Any]:
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        **{name: _version(name) for name in ("azbatch", "azure-core", "aiohttp", "requests")},
        "commit": commit or None,
    }


# ------------------------------------------------------------------------------------------ main


def parse_args(argv: list[str] | None = None) -> tuple[Settings, str | None]:
    """The command line as :class:`Settings`, and the JSON output path."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=None, help="operations per client (default 10000)")
    parser.add_argument("--quick", action="store_true", help=f"smoke run: {QUICK_OPS} operations per client")
    parser.add_argument("--concurrency", type=int, default=50, help="async tasks / sync threads (default 50)")
    parser.add_argument(
        "--fault-rate", type=float, default=0.10, help="share of requests faulted (default 0.10)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--client", choices=(*CLIENTS, "both"), default="both")
    parser.add_argument("--json", dest="json_path", help="also write the results as JSON to this file")
    parser.add_argument("--records", dest="records_path", help="write every operation as a JSON line here")
    parser.add_argument(
        "--kinds", default=",".join(FAULT_KINDS), help="comma-separated fault kinds to inject"
    )
    parser.add_argument("--max-retry-after", type=int, default=1, help="Retry-After is 0..N s (default 1)")
    parser.add_argument(
        "--slow-max", type=float, default=1.0, help="slow answers are held 0.2..N s (default 1)"
    )
    parser.add_argument(
        "--retry-backoff",
        type=float,
        default=None,
        help="retry_backoff_factor for both clients (default: the clients' own default)",
    )
    parser.add_argument("--call-timeout", type=float, default=30.0, help="per-call overall timeout (s)")
    parser.add_argument("--read-timeout", type=float, default=10.0, help="per-try read timeout (s)")
    parser.add_argument("--op-deadline", type=float, default=60.0, help="an op running longer is a hang (s)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="global watchdog (s)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    parser.add_argument(
        "--max-lost-adds", type=int, default=None, help="gate: fail above this many lost adds"
    )
    parser.add_argument(
        "--max-leak-pct",
        type=float,
        default=None,
        help="gate: fail above this %% of faults reaching the caller",
    )
    args = parser.parse_args(argv)
    ops = args.ops if args.ops is not None else (QUICK_OPS if args.quick else 10_000)
    if ops < 1 or args.concurrency < 1:
        parser.error("--ops and --concurrency must be at least 1")
    if not 0.0 <= args.fault_rate <= 1.0:
        parser.error("--fault-rate must be within 0..1")
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    if not kinds or set(kinds) - set(FAULT_KINDS):
        parser.error(f"--kinds must be a subset of {','.join(FAULT_KINDS)}")
    return Settings(
        ops=ops,
        concurrency=args.concurrency,
        fault_rate=args.fault_rate,
        seed=args.seed,
        clients=CLIENTS if args.client == "both" else (args.client,),
        kinds=kinds,
        max_retry_after=args.max_retry_after,
        slow_s=(min(0.2, args.slow_max), args.slow_max),
        retry_backoff=args.retry_backoff,
        records_path=args.records_path,
        call_timeout=args.call_timeout,
        read_timeout=args.read_timeout,
        op_deadline=args.op_deadline,
        max_seconds=args.max_seconds,
        tracemalloc=args.tracemalloc,
        max_lost_adds=args.max_lost_adds,
        max_leak_pct=args.max_leak_pct,
    ), args.json_path


def main(argv: list[str] | None = None) -> int:
    """Run the soak; the exit status says whether the invariants held."""
    settings, json_path = parse_args(argv)
    watchdog = Watchdog(settings.max_seconds, settings, json_path)
    watchdog.start()
    started = time.perf_counter()
    server_args = [
        "--seed",
        str(settings.seed),
        "--fault-rate",
        str(settings.fault_rate),
        "--kinds",
        ",".join(settings.kinds),
        "--max-retry-after",
        str(settings.max_retry_after),
        "--slow-min",
        str(settings.slow_s[0]),
        "--slow-max",
        str(settings.slow_s[1]),
        "--max-seconds",
        str(settings.max_seconds + 60),
    ]
    results: dict[str, dict[str, Any]] = {}
    server_usage: dict[str, Any] = {}
    try:
        with SoakServer(server_args) as server:
            for client in settings.clients:
                print(
                    f"soak: {client} client, {settings.ops:,} ops, concurrency {settings.concurrency} ...",
                    flush=True,
                )
                phase = (async_phase if client == "async" else sync_phase)(settings, server.info, watchdog)
                report = server.report(phase.prefix)
                results[client] = summarize(phase, report, settings)
                if settings.records_path:
                    _write_records(settings.records_path, phase, report)
                server_usage = {
                    "cpu_s": round(report["cpu_s"], 2),
                    "peak_rss_mib": round(report["peak_rss_kib"] / 1024, 1),
                }
    except RuntimeError as exc:
        print(f"soak: could not run: {exc}", file=sys.stderr)
        return EXIT_SETUP
    finally:
        watchdog.cancel()
    broken = invariants(results, settings)
    print(render(results, settings, broken))
    if json_path:
        output = {
            "settings": _settings_json(settings),
            "environment": _environment(),
            "clients": results,
            "server": server_usage,
            "invariants": {"ok": not broken, "broken": broken},
            "wall_s": round(time.perf_counter() - started, 2),
        }
        Path(json_path).write_text(json.dumps(output, indent=2) + "\n")
    return EXIT_INVARIANT if broken else 0


if __name__ == "__main__":
    sys.exit(main())
