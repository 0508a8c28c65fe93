"""The soak benchmark runs and reports its keys; its fault proxy means what it says about "after".

The fault numbers themselves are not asserted: they measure the client's retry behaviour, which is
what the benchmark exists to track.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from azbatch.emulator import BatchEmulator

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from fault_proxy import FaultPlan, FaultProxy  # noqa: E402  (benchmarks/ is not a package)

CLIENT_KEYS = {
    "ops_done",
    "ops_ok",
    "ops_by_name",
    "requests",
    "faults_injected",
    "faults_injected_by_kind",
    "ops_with_faults",
    "faults_absorbed",
    "faults_reached_caller",
    "faults_reached_caller_pct",
    "faults_reached_caller_direct",
    "faults_reached_caller_after_retry",
    "faults_reached_caller_by_error",
    "faults_reached_caller_by_fault",
    "faults_reached_caller_by_op",
    "lost_adds",
    "lost_add_ids",
    "duplicated_jobs",
    "untyped_errors",
    "untyped_errors_by_type",
    "hangs",
    "state_mismatches",
    "other_failures",
    "other_failures_by_error",
    "log_warnings",
    "latency_ms",
    "wall_s",
    "peak_rss_mib",
    "traced_peak_mib",
    "call_keywords",
}


def test_quick_soak_runs_and_reports_every_key(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    command = [sys.executable, str(BENCHMARKS / "soak.py"), "--ops", "200", "--concurrency", "8"]
    command += ["--client", "async", "--max-retry-after", "0", "--slow-max", "0.2", "--json", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)

    # 1 means an invariant broke, which is a finding of the benchmark, not a failure to run it.
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "faults reached the caller" in result.stdout
    report = json.loads(out.read_text())
    assert set(report) >= {"settings", "environment", "clients", "server", "invariants", "wall_s"}
    assert list(report["clients"]) == ["async"]
    client = report["clients"]["async"]
    assert set(client) >= CLIENT_KEYS
    assert client["ops_done"] == 200
    assert set(client["latency_ms"]) == {"p50", "p99", "max", "mean"}
    assert report["invariants"]["ok"] is (result.returncode == 0)


@pytest.mark.parametrize(("kind", "applied"), [("error_after", True), ("reset_before", False)])
async def test_proxy_after_faults_are_applied_and_before_faults_are_not(kind: str, applied: bool) -> None:
    async with BatchEmulator(auth=False, transition_ms=0) as emulator:
        proxy = await FaultProxy(
            ("127.0.0.1", emulator.port), FaultPlan(rate=1.0, seed=1, kinds=(kind,))
        ).start()
        try:
            body = {"id": "job-1", "poolInfo": {"poolId": "p"}}
            async with aiohttp.ClientSession() as session:
                url = f"{proxy.endpoint}/jobs?api-version=2024-02-01.19.0"
                try:
                    async with session.post(url, json=body) as response:
                        status: int | None = response.status
                except aiohttp.ClientError:
                    status = None  # the connection was reset
        finally:
            await proxy.close()
        assert status == (500 if kind == "error_after" else None)
        assert ("job-1" in emulator.store.job_ids()) is applied
        assert dict(proxy.stats.faults) == {kind: 1}


def test_fault_plan_is_a_pure_function_of_seed_and_key() -> None:
    plan = FaultPlan(rate=0.3, seed=7)
    decisions = [plan.decide(f"id#{n}") for n in range(2000)]
    assert decisions == [FaultPlan(rate=0.3, seed=7).decide(f"id#{n}") for n in range(2000)]
    assert decisions != [FaultPlan(rate=0.3, seed=8).decide(f"id#{n}") for n in range(2000)]
    share = sum(d is not None for d in decisions) / len(decisions)
    assert 0.25 < share < 0.35
    assert {d.kind for d in decisions if d is not None} == set(plan.kinds)
