"""The public API's static types: mypy (strict) checks a file of ``assert_type`` calls against them.

Covers the overloads of ``raw=True`` and ``cls=`` on both clients. Skipped where mypy is not installed
(it comes with the ``dev`` extra that CI and the README's set-up install).
"""

from __future__ import annotations

from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy comes with the dev extra")

HERE = Path(__file__).resolve().parent


def test_raw_and_cls_overloads_give_the_right_static_types() -> None:
    target = HERE / "typing" / "overloads_check.py"
    stdout, stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--python-version=3.10", str(target)]
    )
    assert status == 0, stdout + stderr


def test_a_wrong_expectation_is_caught(tmp_path: Path) -> None:
    # The check above is only worth something if mypy really compares the types.
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing_extensions import assert_type\n"
        "from azbatch import models\n"
        "from azbatch.aio import BatchClient\n"
        "async def f(client: BatchClient) -> None:\n"
        "    assert_type(await client.jobs.get('j', raw=True), models.CloudJob)\n",
        encoding="utf-8",
    )
    stdout, _stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir=/dev/null", "--python-version=3.10", str(bad)]
    )
    assert status == 1
    assert "assert_type" in stdout or "Expression is of type" in stdout
