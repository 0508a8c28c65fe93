"""Argument checks shared by every request builder.

Each check raises ``TypeError`` (wrong type) or ``ValueError`` (right type, bad value) with a message
that names the parameter, so a mistake surfaces before anything is sent and is easy to locate.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable
from typing import Any

from .._constants import MAX_JOB_ID_LENGTH, MAX_RESULTS_LIMIT

_JOB_ID_CHARS = re.compile(r"[A-Za-z0-9_-]+\Z")


def _type_name(value: Any) -> str:
    return type(value).__name__


def require_str(name: str, value: Any) -> str:
    """A required, non-empty string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {_type_name(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return value


def resource_id(name: str, value: Any) -> str:
    """An id of an existing job or schedule: a non-empty string of at most 64 characters.

    The character set is not checked here because the id is sent URL-escaped and the service is the
    authority on what exists; :func:`new_job_id` applies the creation rules.
    """
    require_str(name, value)
    if len(value) > MAX_JOB_ID_LENGTH:
        raise ValueError(f"{name} must be at most {MAX_JOB_ID_LENGTH} characters, got {len(value)}")
    return str(value)


def new_job_id(name: str, value: Any) -> str:
    """An id for a job being created: 1-64 letters, digits, hyphens or underscores."""
    resource_id(name, value)
    if not _JOB_ID_CHARS.match(value):
        raise ValueError(f"{name} may contain only letters, digits, hyphens and underscores: {value!r}")
    return str(value)


def optional_str(name: str, value: Any) -> str | None:
    """A string, or ``None`` for "not given"."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {_type_name(value)}")
    return value


def optional_bool(name: str, value: Any) -> bool | None:
    """A bool, or ``None``."""
    if value is None or isinstance(value, bool):
        return value
    raise TypeError(f"{name} must be a bool, not {_type_name(value)}")


def optional_int(name: str, value: Any, *, low: int, high: int | None = None) -> int | None:
    """An int within ``[low, high]``, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {_type_name(value)}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return value


def max_results(value: Any) -> int | None:
    """The page size of a listing: 1 to 1000."""
    return optional_int("max_results", value, low=1, high=MAX_RESULTS_LIMIT)


def service_timeout(value: Any) -> int | None:
    """Seconds the service may spend on the request (it caps this at 30)."""
    return optional_int("service_timeout", value, low=1)


def optional_datetime(name: str, value: Any) -> datetime.datetime | None:
    """A ``datetime`` (naive values are taken as UTC), or ``None``."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    raise TypeError(f"{name} must be a datetime, not {_type_name(value)}")


def client_request_id(value: Any) -> str | None:
    """A caller-chosen request id: a UUID, as ``uuid.UUID`` or its string form (no braces)."""
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if not isinstance(value, str):
        raise TypeError(f"client_request_id must be a str or uuid.UUID, not {_type_name(value)}")
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(
            f"client_request_id must be a UUID such as {uuid.UUID(int=0)}, got {value!r}"
        ) from None
    if value.startswith("{") or value.startswith("urn:"):
        raise ValueError(f"client_request_id must be a bare UUID without braces or prefix, got {value!r}")
    return value


def name_list(name: str, value: Any) -> str | None:
    """``$select``/``$expand``: a sequence of property names or a comma-separated string."""
    if value is None:
        return None
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        items = list(value)
        for item in items:
            if not isinstance(item, str):
                raise TypeError(f"{name} must contain only str, found {_type_name(item)}")
        items = [item.strip() for item in items]
    else:
        raise TypeError(f"{name} must be a str or a sequence of str, not {_type_name(value)}")
    if not items or any(not item for item in items):
        raise ValueError(f"{name} must name at least one property and no empty ones: {value!r}")
    return ",".join(items)
