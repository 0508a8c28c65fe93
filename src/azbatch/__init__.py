"""azbatch: a typed, async-first client for the Azure Batch job API.

The async client is :class:`azbatch.aio.BatchClient`; :class:`azbatch.BatchClient` is its sync twin, for
scripts and legacy code. Models are in :mod:`azbatch.models`, errors in :mod:`azbatch.exceptions`.
"""

from . import models
from ._legacy import ClientRawResponse
from ._sync import BatchClient, JobOperations
from ._version import VERSION
from .exceptions import (
    BatchAuthenticationError,
    BatchConflictError,
    BatchErrorCode,
    BatchResourceExistsError,
    BatchResourceModifiedError,
    BatchResourceNotFoundError,
    BatchResourceNotModifiedError,
    BatchServiceError,
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
    "ClientRawResponse",
    "JobOperations",
    "JobWriteResult",
    "__version__",
    "models",
]
