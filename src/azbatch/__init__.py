"""azbatch: a typed, async-first client for the Azure Batch job API.

The async client is :class:`azbatch.aio.BatchClient`; models are in :mod:`azbatch.models` and errors in
:mod:`azbatch.exceptions`.
"""

from . import models
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
    "BatchConflictError",
    "BatchErrorCode",
    "BatchResourceExistsError",
    "BatchResourceModifiedError",
    "BatchResourceNotFoundError",
    "BatchResourceNotModifiedError",
    "BatchServiceError",
    "JobWriteResult",
    "__version__",
    "models",
]
