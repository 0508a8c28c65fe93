"""Every sample runs offline, end to end, against the emulator it starts itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "samples").glob("*.py") if not p.name.startswith("_")
)


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_runs_offline(sample: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_BATCH_", "IDENTITY_"))}
    result = subprocess.run(
        [sys.executable, str(sample)], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "offline: Batch emulator at http://127.0.0.1:" in result.stdout
    assert "Traceback" not in result.stderr


def test_there_are_samples() -> None:
    assert {p.name for p in SAMPLES} >= {
        "quickstart_async.py",
        "paging_and_filters_async.py",
        "errors_and_retries_async.py",
        "entra_id_auth_async.py",
        "legacy_sync.py",
    }
