"""Argument checks shared by every request builder.

Each check raises ``TypeError`` (wrong type) or ``ValueError`` (right type, bad value) with a message
that names the parameter, so a mistake surfaces before anything is sent and is easy to locate.
"""

from __future__ import annotations

import datetime
import math
import re
import uuid
from collections.abc import Iterable
from numbers import Real
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


# Characters no Batch id contains and that cannot travel in a URL path unambiguously: control
# characters (parsers strip or reject them) and the RFC 3986 sub-delimiters, which some URL libraries
# unescape (aiohttp's yarl turns %3B back into ";"), so the path sent would differ from the one signed,
# and which some servers read as path parameters (";").
_UNSENDABLE_ID_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f!$&'()*,;=]")


def resource_id(name: str, value: Any) -> str:
    """An id of an existing job or schedule, checked so that it can only name that one resource.

    1-64 characters. ``.`` and ``..`` are refused because URL normalisation would resolve them as
    path steps (``/jobschedules/../jobs`` is the list of every job). Control characters, lone
    surrogates and ``!$&'()*,;=`` are refused as well: no Batch id contains them and they cannot be
    sent unambiguously. Everything else (``/``, ``?``, ``#``, ``%``, spaces, non-ASCII, ...) is sent
    percent-encoded by the request builders, so the service sees it as part of the id; whether such
    an id exists is for the service to say. :func:`new_job_id` applies the stricter creation rules.
    """
    require_str(name, value)
    if len(value) > MAX_JOB_ID_LENGTH:
        raise ValueError(f"{name} must be at most {MAX_JOB_ID_LENGTH} characters, got {len(value)}")
    if value in (".", ".."):
        raise ValueError(f"{name} must not be {value!r}: a URL would read it as a path step, not an id")
    bad = _UNSENDABLE_ID_CHARS.search(value)
    if bad is not None:
        raise ValueError(
            f"{name} must not contain {bad.group()!r} (position {bad.start()}): no Batch id contains it "
            "and it cannot be sent unchanged in a URL path"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} contains a lone surrogate at position {exc.start}, not valid text"
        ) from None
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


def seconds(name: str, value: Any, *, positive: bool = False) -> float:
    """A finite number of seconds, ``>= 0`` (``> 0`` with ``positive``): an int, a float or another
    real number, not a bool. The one rule for every duration argument of the package."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number of seconds, not {_type_name(value)}")
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        number = math.inf
    # NaN compares false with everything, so "value < 0" alone would let it through; a wait of NaN
    # or infinity seconds never ends.
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r:.40}")
    if positive and number <= 0:
        raise ValueError(f"{name} must be a number of seconds above 0, got {value!r}")
    if number < 0:
        raise ValueError(f"{name} must be >= 0 seconds, got {value!r}")
    return number


def optional_seconds(name: str, value: Any, *, positive: bool = False) -> float | None:
    """Like :func:`seconds`, or ``None`` (no limit)."""
    return None if value is None else seconds(name, value, positive=positive)


def polling_interval(value: Any) -> float:
    """Seconds a poller waits between two looks at the job."""
    return seconds("polling_interval", value)


def optional_datetime(name: str, value: Any) -> datetime.datetime | None:
    """A ``datetime`` (naive values are taken as UTC), or ``None``."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise TypeError(f"{name} must be a datetime, not {_type_name(value)}")
    if value.tzinfo is not None:
        try:
            value.astimezone(datetime.timezone.utc)  # it is sent in UTC: it must exist there
        except OverflowError:
            raise ValueError(f"{name} falls outside the years 1-9999 once converted to UTC") from None
    return value


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
