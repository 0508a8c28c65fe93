"""Check what ``python -m build`` produced before anything is published.

The sdist must carry the whole test suite, the samples and the docs (or packagers get a suite that cannot
run); the wheel must carry the package, its ``py.typed`` marker and the licence, and nothing else.

Usage: ``python scripts/check_dist.py [dist-dir]`` (default ``dist``); exits 1 listing every problem.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDIST_TREES = ("src/", "tests/", "samples/", "docs/")


def tracked_files(prefixes: tuple[str, ...]) -> set[str]:
    """The files git tracks under ``prefixes`` (what the sdist must carry)."""
    out = subprocess.run(
        ["git", "ls-files", *prefixes], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return {line for line in out.splitlines() if line and not line.endswith(".pyc")}


def check_sdist(path: Path) -> list[str]:
    """Problems with the sdist: tracked files it lacks, required top-level files, caches."""
    with tarfile.open(path) as archive:
        # Every member sits under "<name>-<version>/"; compare the paths below it.
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    problems = [f"sdist lacks {name}" for name in sorted(tracked_files(SDIST_TREES) - names)]
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"):
        if required not in names:
            problems.append(f"sdist lacks {required}")
    problems += [f"sdist carries a cache file {name}" for name in sorted(names) if "__pycache__" in name]
    return problems


def check_wheel(path: Path) -> list[str]:
    """Problems with the wheel: missing package files or licence, files outside the package."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    problems = []
    for required in ("azbatch/__init__.py", "azbatch/py.typed", "azbatch/emulator/__init__.py"):
        if required not in names:
            problems.append(f"wheel lacks {required}")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        problems.append("wheel lacks the licence file")
    stray = sorted(name for name in names if not name.startswith("azbatch"))
    problems += [f"wheel carries {name} outside the package" for name in stray]
    return problems


def main(argv: list[str]) -> int:
    """Check the one sdist and one wheel in the dist folder; 1 (and the problems printed) if any."""
    dist = Path(argv[1]) if len(argv) > 1 else ROOT / "dist"
    sdists = sorted(dist.glob("azbatch-*.tar.gz"))
    wheels = sorted(dist.glob("azbatch-*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        print(f"expected one sdist and one wheel in {dist}, found {len(sdists)} and {len(wheels)}")
        return 1
    problems = check_sdist(sdists[0]) + check_wheel(wheels[0])
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{sdists[0].name} and {wheels[0].name}: contents as expected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
