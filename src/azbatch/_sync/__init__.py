"""The sync client, generated from :mod:`azbatch.aio` by ``scripts/unasync.py``.

Only ``_client.py`` and ``_jobs.py`` are generated; this file is hand-written.
"""

from ._client import BatchClient
from ._jobs import JobOperations

__all__ = ["BatchClient", "JobOperations"]
