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


# ------------------------------------------------------------------------- body properties per version

_POOL_SPEC_2024_02 = (
    "displayName",
    "vmSize",
    "cloudServiceConfiguration",
    "virtualMachineConfiguration",
    "taskSlotsPerNode",
    "taskSchedulingPolicy",
    "resizeTimeout",
    "targetDedicatedNodes",
    "targetLowPriorityNodes",
    "enableAutoScale",
    "autoScaleFormula",
    "autoScaleEvaluationInterval",
    "enableInterNodeCommunication",
    "networkConfiguration",
    "startTask",
    "certificateReferences",
    "applicationPackageReferences",
    "applicationLicenses",
    "userAccounts",
    "metadata",
    "mountConfiguration",
    "targetNodeCommunicationMode",
    "upgradePolicy",
    "resourceTags",
)
# Retired by the 2024-07-01.20.0 swagger, and (with certificates) absent from 2025-06-01. The 2025 Python
# surface also lacks targetNodeCommunicationMode and resourceTags, but that is not confirmed by the
# swagger (JOBS-API.md §8.2, caveat 2), so they stay accepted.
_RETIRED_2024_07 = frozenset({"cloudServiceConfiguration", "applicationLicenses"})
_RETIRED_2025_06 = _RETIRED_2024_07 | {"certificateReferences"}


def pool_spec_properties(version: str | None) -> tuple[str, ...]:
    """Properties an auto-pool ``pool`` specification may carry; ``None`` (seeding) allows all of them."""
    if version is None:
        return _POOL_SPEC_2024_02
    date = api_date(version)
    retired = _RETIRED_2025_06 if date >= V2025_06 else _RETIRED_2024_07 if date >= V2024_07 else frozenset()
    return tuple(name for name in _POOL_SPEC_2024_02 if name not in retired)


def job_network_properties(version: str | None) -> tuple[str, ...]:
    """Properties of a job's ``networkConfiguration``: ``skipWithdrawFromVNet`` came with 2024-07-01.20.0."""
    if version is None or api_date(version) >= V2024_07:
        return ("subnetId", "skipWithdrawFromVNet")
    return ("subnetId",)


def patch_takes_network(version: str | None) -> bool:
    """Patch accepts ``networkConfiguration`` from 2024-07-01.20.0 on."""
    return version is None or api_date(version) >= V2024_07
