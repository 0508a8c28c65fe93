"""README promises that can be checked offline are checked: its offline quickstart runs and prints
what the comments in it say it prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_offline_quickstart_runs_and_prints_what_it_says() -> None:
    runnable = [block for block in _python_blocks() if "BatchEmulator()" in block and "asyncio.run" in block]
    assert runnable, "README lost its offline quickstart"
    block = runnable[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_BATCH_", "IDENTITY_"))}
    result = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    promised = [m.strip() for m in re.findall(r"#\s*(.+)$", block, flags=re.M)]
    assert promised
    assert result.stdout.splitlines() == promised
