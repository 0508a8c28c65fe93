"""Hand-written result types that are not wire definitions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = ["JobWriteResult"]


@dataclass(frozen=True, slots=True)
class JobWriteResult:
    """What the service reports about a write (add, delete, disable, enable, patch, terminate, update).

    The job's new ``etag`` lets the next write be conditional (``etag=..., match_condition=...``)
    without fetching the job again. Fields the service did not send are ``None``; delete, for one,
    returns neither ETag nor Last-Modified.
    """

    etag: str | None = None
    """The job's ETag after the write."""
    last_modified: datetime.datetime | None = None
    """When the job last changed, from the ``Last-Modified`` header."""
    request_id: str | None = None
    """The service's id for this request (``request-id``), for support cases."""
    client_request_id: str | None = None
    """The ``client-request-id`` echoed by the service, when it was asked to echo it."""
    data_service_id: str | None = None
    """URL of the affected job (``DataServiceId``)."""
