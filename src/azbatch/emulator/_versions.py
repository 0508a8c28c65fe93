"""What changes with the ``api-version`` a request names.

The emulator answers every version the way 2024-02-01.19.0 does, except for the differences listed
here (JOBS-API.md §8 and the 2024-07-01.20.0 / 2025-06-01 specs). Versions are compared by their date
part, so ``2025-06-01`` and ``2025-06-01.21.0`` behave alike; a value without a date is treated as the
oldest version the emulator knows.
"""

from __future__ import annotations

import re

_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

V2024_02 = (2024, 2, 1)
V2024_07 = (2024, 7, 1)
V2025_06 = (2025, 6, 1)


def api_date(version: str) -> tuple[int, int, int]:
    """The (year, month, day) of an api-version string such as ``2024-02-01.19.0``."""
    match = _DATE_RE.match(version.strip())
    if match is None:
        return V2024_02
    year, month, day = (int(part) for part in match.groups())
    return year, month, day


def has_force_flag(version: str) -> bool:
    """delete and terminate take a ``force`` query flag from 2024-07-01.20.0 on."""
    return api_date(version) >= V2024_07


def put_takes_full_job(version: str) -> bool:
    """From 2025-06-01 the PUT (update/replace) body is the whole job model, which includes ``id``."""
    return api_date(version) >= V2025_06
