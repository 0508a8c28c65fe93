"""The async client: ``azbatch.aio.BatchClient`` and its ``JobOperations``."""

from ._client import BatchClient
from ._jobs import JobOperations

__all__ = ["BatchClient", "JobOperations"]
