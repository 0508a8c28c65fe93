"""azbatch: a typed, async-first client for the Azure Batch job API.

The async client is :class:`azbatch.aio.BatchClient`; :class:`azbatch.BatchClient` is its sync twin, for
scripts and legacy code. Models are in :mod:`azbatch.models`, errors in :mod:`azbatch.exceptions`.

Names are resolved on first use: pytest imports ``azbatch.emulator.pytest_plugin`` (and so this
package) in every session of an environment that has azbatch installed, and that must stay cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import VERSION

if TYPE_CHECKING:
    from . import models
    from ._legacy import ClientRawResponse
    from ._sync import BatchClient, JobOperations
    from .exceptions import (
        BatchAuthenticationError,
        BatchConflictError,
        BatchErrorCode,
        BatchResourceExistsError,
        BatchResourceModifiedError,
        BatchResourceNotFoundError,
        BatchResourceNotModifiedError,
        BatchServiceError,
        BatchTimeoutError,
        BatchWaitTimeoutError,
    )
    from .models import JobWriteResult

__version__ = VERSION

__all__ = [
    "BatchAuthenticationError",
    "BatchClient",
    "BatchConflictError",
    "BatchErrorCode",
    "BatchResourceExistsError",
    "BatchResourceModifiedError",
    "BatchResourceNotFoundError",
    "BatchResourceNotModifiedError",
    "BatchServiceError",
    "BatchTimeoutError",
    "BatchWaitTimeoutError",
    "ClientRawResponse",
    "JobOperations",
    "JobWriteResult",
    "__version__",
    "models",
]

_EXPORTS = {
    "BatchAuthenticationError": ".exceptions",
    "BatchClient": "._sync",
    "BatchConflictError": ".exceptions",
    "BatchErrorCode": ".exceptions",
    "BatchResourceExistsError": ".exceptions",
    "BatchResourceModifiedError": ".exceptions",
    "BatchResourceNotFoundError": ".exceptions",
    "BatchResourceNotModifiedError": ".exceptions",
    "BatchServiceError": ".exceptions",
    "BatchTimeoutError": ".exceptions",
    "BatchWaitTimeoutError": ".exceptions",
    "ClientRawResponse": "._legacy",
    "JobOperations": "._sync",
    "JobWriteResult": ".models",
}


def __getattr__(name: str) -> Any:
    if name == "models":
        return importlib.import_module(".models", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
