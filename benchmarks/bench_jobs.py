"""Benchmark azbatch's async job client against a hand-written aiohttp client.

Both clients talk to ``fake_batch_server.py``, which runs in a child process so that only the
client's work shows up in this process's CPU time (``time.process_time``: all threads of this process,
user + system). Each round runs every client on every operation, in a rotated order; the table shows
the median of the rounds. See ``benchmarks/README.md`` for what is measured and the caveats.

    python benchmarks/bench_jobs.py [--gets 2000] [--adds 2000] [--jobs 20000] [--rounds 5] [--json out.json]
    python benchmarks/bench_jobs.py --profile get|add|list     # cProfile of azbatch's path instead

This is not a test: targets are reported as "met"/"missed", never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import functools
import gc
import hashlib
import hmac
import json
import os
import platform
import pstats
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import aiohttp
import azure.core
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.pipeline.transport import AioHttpTransport

import azbatch
from azbatch.aio import BatchClient
from azbatch.models import JobAddParameter, PoolInformation

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fake_batch_server import FakeBatchServer  # sibling module, not a package

ACCOUNT = "benchaccount"
ACCOUNT_KEY = base64.b64encode(b"azbatch-benchmark-key-not-a-secret").decode()
API_VERSION = "2024-02-01.19.0"
JSON_CONTENT_TYPE = "application/json; odata=minimalmetadata"
PAGE_SIZE = 1000
GET_IDS = [f"job-{i}" for i in range(64)]
WARMUP_CALLS = 200
SLICES = 4  # each round's gets/adds run in this many alternating slices per client
MEMORY_JOB_COUNTS = (5_000, 20_000)
TARGET_RATIO = 3.0
FLAT_MEMORY_RATIO = 1.5  # peak(20000 jobs) / peak(5000 jobs) at most this counts as "flat"

AZBATCH = "azbatch"
STOCK = "azbatch+stock"
RAW = "raw"
CASES = (AZBATCH, STOCK, RAW)


# ------------------------------------------------------------------------------------ raw client


_SIGNED_STANDARD_HEADERS = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)


class RawSigner:
    """A small inline Batch Shared Key signer, as a hand-written client would have.

    ``headers`` use lower-case names; ``query`` holds the decoded query pairs of the request.
    """

    def __init__(self, account: str, key_b64: str) -> None:
        self.account = account
        self._key = base64.b64decode(key_b64)

    def string_to_sign(
        self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]
    ) -> str:
        standard = "".join(f"{headers.get(name, '')}\n" for name in _SIGNED_STANDARD_HEADERS)
        ocp = "".join(
            f"{name}:{value}\n" for name, value in sorted(headers.items()) if name.startswith("ocp-")
        )
        params: dict[str, list[str]] = {}
        for name, value in query:
            params.setdefault(name.lower(), []).append(value)
        resource = f"/{self.account}{path}" + "".join(
            f"\n{name}:{','.join(sorted(values))}" for name, values in sorted(params.items())
        )
        return f"{method}\n{standard}{ocp}{resource}"

    def authorization(
        self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str]
    ) -> str:
        to_sign = self.string_to_sign(method, path, query, headers).encode()
        signature = base64.b64encode(hmac.new(self._key, to_sign, hashlib.sha256).digest()).decode()
        return f"SharedKey {self.account}:{signature}"


class RawClient:
    """The same HTTP calls with nothing but aiohttp, json.loads and dicts."""

    def __init__(self, endpoint: str, session: aiohttp.ClientSession, signer: RawSigner) -> None:
        self.endpoint = endpoint
        self.session = session
        self.signer = signer

    def _headers(
        self, method: str, path: str, query: list[tuple[str, str]], extra: dict[str, str] | None = None
    ) -> dict[str, str]:
        headers = {
            "accept": "application/json",
            "client-request-id": str(uuid.uuid4()),
            "ocp-date": formatdate(usegmt=True),
        }
        if extra:
            headers.update(extra)
        headers["authorization"] = self.signer.authorization(method, path, query, headers)
        return headers

    async def get(self, job_id: str) -> dict[str, Any]:
        path = f"/jobs/{quote(job_id, safe='')}"
        query = [("api-version", API_VERSION)]
        url = f"{self.endpoint}{path}?api-version={API_VERSION}"
        async with self.session.get(url, headers=self._headers("GET", path, query)) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"get {job_id}: HTTP {response.status}")
        data: dict[str, Any] = json.loads(body)
        return data

    async def add(self, job: dict[str, Any]) -> tuple[str | None, str | None]:
        content = json.dumps(job, separators=(",", ":")).encode()
        extra = {"content-type": JSON_CONTENT_TYPE, "content-length": str(len(content))}
        query = [("api-version", API_VERSION)]
        url = f"{self.endpoint}/jobs?api-version={API_VERSION}"
        headers = self._headers("POST", "/jobs", query, extra)
        async with self.session.post(url, data=content, headers=headers) as response:
            await response.read()
            if response.status != 201:
                raise RuntimeError(f"add: HTTP {response.status}")
            return response.headers.get("ETag"), response.headers.get("Last-Modified")

    async def list_jobs(self, max_results: int, max_pages: int) -> AsyncIterator[dict[str, Any]]:
        url: str | None = f"{self.endpoint}/jobs?api-version={API_VERSION}&maxresults={max_results}"
        for _ in range(max_pages):
            assert url is not None
            parts = urlsplit(url)
            headers = self._headers("GET", parts.path, parse_qsl(parts.query, keep_blank_values=True))
            async with self.session.get(url, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise RuntimeError(f"list: HTTP {response.status}")
            data = json.loads(body)
            for item in data["value"]:
                yield item
            url = data.get("odata.nextLink")
            if not url:
                return
        raise RuntimeError(f"list: more than {max_pages} pages")


def check_signer() -> bool:
    """True when the raw signer signs exactly what azbatch's Shared Key policy signs."""
    from azbatch.policies._shared_key import string_to_sign

    signer = RawSigner(ACCOUNT, ACCOUNT_KEY)
    date = formatdate(usegmt=True)
    base = "http://127.0.0.1:1"
    samples = [
        ("GET", "/jobs/job-1", [("api-version", API_VERSION)], {}),
        (
            "POST",
            "/jobs",
            [("api-version", API_VERSION)],
            {"content-type": JSON_CONTENT_TYPE, "content-length": "42"},
        ),
        ("GET", "/jobs", [("api-version", API_VERSION), ("maxresults", "1000"), ("$skiptoken", "2000")], {}),
    ]
    for method, path, query, extra in samples:
        headers = {
            "accept": "application/json",
            "client-request-id": str(uuid.uuid4()),
            "ocp-date": date,
            **extra,
        }
        url = f"{base}{path}?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query)
        if signer.string_to_sign(method, path, query, headers) != string_to_sign(
            method, url, headers, ACCOUNT
        ):
            return False
    return True


# ------------------------------------------------------------------------------------- workloads


@dataclass
class Workload:
    """The three operations of one client, each a coroutine function."""

    name: str
    get: Callable[[int], Awaitable[int]]
    add: Callable[[int, str], Awaitable[int]]
    list: Callable[[int], Awaitable[int]]


def azbatch_workload(name: str, client: BatchClient) -> Workload:
    jobs = client.jobs

    async def get(n: int) -> int:
        seen = 0
        for i in range(n):
            job = await jobs.get(GET_IDS[i % len(GET_IDS)])
            if job.id and job.state:
                seen += 1
        return seen

    async def add(n: int, tag: str) -> int:
        done = 0
        for i in range(n):
            result = await jobs.add(
                JobAddParameter(
                    id=f"bench-{tag}-{i}", priority=0, pool_info=PoolInformation(pool_id="pool-1")
                )
            )
            if result.etag:
                done += 1
        return done

    async def list_all(total: int) -> int:
        seen = 0
        async for job in jobs.list(max_results=PAGE_SIZE):
            if job.id and job.state:
                seen += 1
        return seen

    return Workload(name, get, add, list_all)


def raw_workload(client: RawClient) -> Workload:
    async def get(n: int) -> int:
        seen = 0
        for i in range(n):
            job = await client.get(GET_IDS[i % len(GET_IDS)])
            if job["id"] and job["state"]:
                seen += 1
        return seen

    async def add(n: int, tag: str) -> int:
        done = 0
        for i in range(n):
            etag, _ = await client.add(
                {"id": f"bench-{tag}-{i}", "priority": 0, "poolInfo": {"poolId": "pool-1"}}
            )
            if etag:
                done += 1
        return done

    async def list_all(total: int) -> int:
        seen = 0
        async for job in client.list_jobs(PAGE_SIZE, max_pages=total // PAGE_SIZE + 2):
            if job["id"] and job["state"]:
                seen += 1
        return seen

    return Workload(RAW, get, add, list_all)


# ----------------------------------------------------------------------------------- measurement


@dataclass
class Sample:
    cpu: float
    wall: float


@dataclass
class Results:
    samples: dict[str, dict[str, list[Sample]]] = field(default_factory=dict)
    memory: dict[str, dict[int, int]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, case: str, op: str, sample: Sample) -> None:
        self.samples.setdefault(case, {}).setdefault(op, []).append(sample)

    def stat(self, case: str, op: str, what: str, how: str = "median") -> float | None:
        """The median (or, with ``how="min"``, the best) of the rounds' ``cpu`` or ``wall`` seconds."""
        samples = self.samples.get(case, {}).get(op)
        if not samples:
            return None
        values = [getattr(s, what) for s in samples]
        return min(values) if how == "min" else statistics.median(values)


async def measure(run: Callable[[], Awaitable[int]], expected: int, label: str, results: Results) -> Sample:
    gc.collect()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    got = await run()
    sample = Sample(time.process_time() - cpu0, time.perf_counter() - wall0)
    if got != expected:
        results.problems.append(f"{label}: expected {expected} results, got {got}")
    return sample


def slice_of(total: int, part: int) -> int:
    """Calls in slice ``part`` when ``total`` calls are spread over ``SLICES`` slices."""
    return total // SLICES + (1 if part < total % SLICES else 0)


def calls(args: argparse.Namespace, case: str, op: str) -> int:
    """Calls per round: the stock-transport variant is slow and only there for context, so it makes fewer."""
    n: int = args.gets if op == "get" else args.adds
    return min(n, args.stock_calls) if case == STOCK else n


async def run_benchmark(args: argparse.Namespace, endpoint: str, results: Results) -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    async with (
        BatchClient(endpoint, credential) as ours,
        BatchClient(endpoint, credential, transport=AioHttpTransport()) as stock,
        aiohttp.ClientSession() as session,
    ):
        workloads = {
            AZBATCH: azbatch_workload(AZBATCH, ours),
            STOCK: azbatch_workload(STOCK, stock),
            RAW: raw_workload(RawClient(endpoint, session, RawSigner(ACCOUNT, ACCOUNT_KEY))),
        }
        cases = [c for c in CASES if c != STOCK or not args.no_stock]
        print(f"warming up ({WARMUP_CALLS} gets, {WARMUP_CALLS} adds, 1 listing per client) ...", flush=True)
        for case in cases:
            w = workloads[case]
            await w.get(WARMUP_CALLS)
            await w.add(WARMUP_CALLS, "warmup")
            await w.list(args.jobs)
        for r in range(args.rounds):
            order = cases[r % len(cases) :] + cases[: r % len(cases)]
            for op in ("get", "add"):
                # Slices alternate between the clients so that a burst of load from elsewhere on the
                # machine hits all of them alike instead of one client's whole measurement.
                totals = {case: Sample(0.0, 0.0) for case in order}
                for part in range(SLICES):
                    for case in order:
                        n = slice_of(calls(args, case, op), part)
                        if not n:
                            continue
                        w = workloads[case]
                        if op == "get":
                            run: Callable[[], Awaitable[int]] = functools.partial(w.get, n)
                        else:
                            run = functools.partial(w.add, n, f"r{r}s{part}")
                        s = await measure(run, n, f"{case} {op}", results)
                        totals[case].cpu += s.cpu
                        totals[case].wall += s.wall
                for case in order:
                    if calls(args, case, op):
                        results.add(case, op, totals[case])
            if args.jobs:
                # Two listings per client in A-B-C-C-B-A order; the sample is their mean.
                listed = {case: Sample(0.0, 0.0) for case in order}
                for case in order + order[::-1]:
                    s = await measure(
                        functools.partial(workloads[case].list, args.jobs), args.jobs, f"{case} list", results
                    )
                    listed[case].cpu += s.cpu / 2
                    listed[case].wall += s.wall / 2
                for case in order:
                    results.add(case, "list", listed[case])
            print(f"round {r + 1}/{args.rounds} done", flush=True)


async def run_memory(results: Results) -> None:
    """tracemalloc peak while listing N jobs, per client, each N on its own server process."""
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    for total in MEMORY_JOB_COUNTS:
        with FakeBatchServer(jobs=total) as server:
            async with BatchClient(server.url, credential) as ours, aiohttp.ClientSession() as session:
                workloads = [
                    azbatch_workload(AZBATCH, ours),
                    raw_workload(RawClient(server.url, session, RawSigner(ACCOUNT, ACCOUNT_KEY))),
                ]
                for w in workloads:
                    await w.list(total)  # warm-up: connections, server page cache
                    gc.collect()
                    tracemalloc.start()
                    try:
                        baseline = tracemalloc.get_traced_memory()[0]
                        got = await w.list(total)
                        peak = tracemalloc.get_traced_memory()[1] - baseline
                    finally:
                        tracemalloc.stop()
                    if got != total:
                        results.problems.append(f"{w.name} memory list: expected {total}, got {got}")
                    results.memory.setdefault(w.name, {})[total] = peak
        print(f"memory: listed {total} jobs", flush=True)


# -------------------------------------------------------------------------------------- reporting


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "us":
        return f"{value * 1e6:,.0f}"
    if unit == "s":
        return f"{value:.3f}"
    if unit == "MiB":
        return f"{value / 2**20:.2f}"
    return f"{value:.2f}"


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def build_rows(args: argparse.Namespace, results: Results) -> list[dict[str, Any]]:
    """One row per metric: per-client medians (``values``) and best-of-rounds (``best``)."""
    rows: list[dict[str, Any]] = []
    for op in ("get", "add"):
        if not calls(args, AZBATCH, op):
            continue
        for what, target in (("cpu", TARGET_RATIO), ("wall", None)):
            row: dict[str, Any] = {"metric": f"{op}: {what.upper()} us/call", "unit": "us", "target": target}
            for key, how in (("values", "median"), ("best", "min")):
                stats = {c: results.stat(c, op, what, how) for c in CASES}
                row[key] = {c: (v / calls(args, c, op) if v is not None else None) for c, v in stats.items()}
            rows.append(row)
    if args.jobs:
        for what in ("cpu", "wall"):
            row = {"metric": f"list {args.jobs}: {what.upper()} s", "unit": "s", "target": TARGET_RATIO}
            for key, how in (("values", "median"), ("best", "min")):
                row[key] = {c: results.stat(c, "list", what, how) for c in CASES}
            rows.append(row)
    for total in MEMORY_JOB_COUNTS:
        values = {c: results.memory.get(c, {}).get(total) for c in CASES}
        if any(v is not None for v in values.values()):
            rows.append(
                {
                    "metric": f"list {total}: traced peak MiB",
                    "unit": "MiB",
                    "values": values,
                    "best": values,
                    "target": None,
                }
            )
    for row in rows:
        row["ratio"] = _ratio(row["values"][AZBATCH], row["values"][RAW])
        row["ratio_best"] = _ratio(row["best"][AZBATCH], row["best"][RAW])
        row["stock_ratio"] = _ratio(row["values"][STOCK], row["values"][RAW])
        row["met"] = None if row["target"] is None or row["ratio"] is None else row["ratio"] <= row["target"]
    return rows


def memory_growth(results: Results, case: str) -> float | None:
    small, large = (results.memory.get(case, {}).get(n) for n in MEMORY_JOB_COUNTS)
    return _ratio(large, small)


def print_table(args: argparse.Namespace, rows: list[dict[str, Any]], results: Results) -> None:
    header = (
        f"{'metric':<30} {'azbatch':>9} {'raw':>9} {'az/raw':>7} {'(best)':>7}  {'target':<15} "
        f"{'stock-transport':>15} {'stock/raw':>9}"
    )
    print()
    print(
        f"median of {args.rounds} rounds (best-of-rounds ratio in brackets); CPU = this process's CPU time, "
        "the server runs in a child process"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        v, unit = row["values"], row["unit"]
        verdict = (
            "" if row["met"] is None else f"<={row['target']:.0f}x " + ("met" if row["met"] else "MISSED")
        )
        best = _fmt(row["ratio_best"], "x") if row["ratio_best"] != row["ratio"] else ""
        print(
            f"{row['metric']:<30} {_fmt(v[AZBATCH], unit):>9} {_fmt(v[RAW], unit):>9} {_fmt(row['ratio'], 'x'):>7} "
            f"{best:>7}  {verdict:<15} {_fmt(v[STOCK], unit):>15} {_fmt(row['stock_ratio'], 'x'):>9}"
        )
    for case in (AZBATCH, RAW):
        growth = memory_growth(results, case)
        if growth is not None:
            n_small, n_large = MEMORY_JOB_COUNTS
            verdict = "met" if growth <= FLAT_MEMORY_RATIO else "MISSED"
            print(
                f"{case}: traced peak listing {n_large} jobs / {n_small} jobs = {growth:.2f} "
                f"(flat if <= {FLAT_MEMORY_RATIO}: {verdict})"
            )
    if STOCK in results.samples:
        print(
            f"stock-transport = BatchClient(..., transport=AioHttpTransport()), {args.stock_calls} gets/adds a round"
        )
    for problem in results.problems:
        print(f"WARNING: {problem}")


def environment() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "azbatch": azbatch.__version__,
        "azure-core": azure.core.__version__,
        "aiohttp": aiohttp.__version__,
        "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def write_json(path: str, args: argparse.Namespace, rows: list[dict[str, Any]], results: Results) -> None:
    data = {
        "config": {k: v for k, v in vars(args).items() if k != "json"},
        "environment": environment(),
        # "values"/"best" are in seconds (per call for get/add) or bytes (memory); "unit" is the printed one.
        "table": [
            {**row, "si_unit": {"us": "s/call", "s": "s", "MiB": "bytes"}[row["unit"]]} for row in rows
        ],
        "samples": {
            case: {op: [{"cpu": s.cpu, "wall": s.wall} for s in samples] for op, samples in ops.items()}
            for case, ops in results.samples.items()
        },
        "memory_peak_bytes": {case: {str(n): v for n, v in m.items()} for case, m in results.memory.items()},
        "problems": results.problems,
    }
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {path}")


# -------------------------------------------------------------------------------------- profiling


async def run_profile(args: argparse.Namespace, endpoint: str) -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    async with BatchClient(endpoint, credential) as client:
        w = azbatch_workload(AZBATCH, client)
        calls = {
            "get": lambda: w.get(args.gets),
            "add": lambda: w.add(args.adds, "profile"),
            "list": lambda: w.list(args.jobs),
        }
        run = calls[args.profile]
        await run()  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            await run()
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    print(f"\n=== cProfile of azbatch {args.profile} (tottime) ===")
    stats.sort_stats("tottime").print_stats(30)
    print(f"=== cProfile of azbatch {args.profile} (cumulative) ===")
    stats.sort_stats("cumulative").print_stats(40)


# ------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark azbatch against a raw aiohttp client.")
    parser.add_argument("--gets", type=int, default=2000, help="sequential gets per round (default 2000)")
    parser.add_argument("--adds", type=int, default=2000, help="sequential adds per round (default 2000)")
    parser.add_argument("--jobs", type=int, default=20_000, help="jobs listed per round (default 20000)")
    parser.add_argument(
        "--rounds", type=int, default=5, help="measured rounds; medians are reported (default 5)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write all samples and the table as JSON")
    parser.add_argument(
        "--stock-calls",
        type=int,
        default=500,
        help="gets/adds per round for the stock-transport variant (default 500)",
    )
    parser.add_argument("--no-stock", action="store_true", help="skip the stock AioHttpTransport() variant")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc listing runs")
    parser.add_argument("--profile", choices=("get", "add", "list"), help="cProfile azbatch's path and exit")
    args = parser.parse_args(argv)
    for name in ("gets", "adds", "jobs", "rounds", "stock_calls"):
        if not 0 <= getattr(args, name) <= 1_000_000:
            parser.error(f"--{name.replace('_', '-')} must be between 0 and 1000000")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(
        f"azbatch {azbatch.__version__}, azure-core {azure.core.__version__}, aiohttp {aiohttp.__version__}, ",
        end="",
    )
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, loadavg {environment()['loadavg']}")
    with FakeBatchServer(jobs=args.jobs) as server:
        print(f"fake Batch server pid {server.pid} at {server.url}", flush=True)
        if args.profile:
            asyncio.run(run_profile(args, server.url))
            return
        print(
            "Shared Key signer check:",
            "raw == azbatch" if check_signer() else "MISMATCH (raw signer differs)",
        )
        results = Results()
        started = time.perf_counter()
        asyncio.run(run_benchmark(args, server.url, results))
    if not args.no_memory:
        asyncio.run(run_memory(results))
    rows = build_rows(args, results)
    print_table(args, rows, results)
    print(f"total wall time {time.perf_counter() - started:.1f} s, loadavg {environment()['loadavg']}")
    if args.json:
        write_json(args.json, args, rows, results)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
