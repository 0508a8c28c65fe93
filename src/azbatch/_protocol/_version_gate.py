"""Refuse, before sending, what the client's api-version does not know.

The models cover several api-versions at once (see ``models/_versions.py``), so a model can hold a
property the chosen version lacks -- a gallery image id with 2024-02-01.19.0, a Cloud Services pool with
2025-06-01. The service would answer 400 with little detail; this module names the property and the
versions that have it instead. Pure: it walks the encoded wire body against the generated table.

Which table applies: an api-version this package knows is used as is; any other is matched by its
date to the newest known version released on or before it (``2025-06-01.21.0`` -> ``2025-06-01``,
``2023-05-01.17.0`` -> ``2024-02-01.19.0``, the oldest, so older versions are checked leniently). An
api-version that does not start with a date is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ..exceptions import ApiVersionError
from ..models._versions import API_VERSIONS, PROPERTIES

__all__ = ["ApiVersionError", "check_body", "effective_version", "require_version"]

_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


@lru_cache(maxsize=32)
def effective_version(api_version: str) -> str | None:
    """The known api-version whose table checks requests sent with ``api_version`` (None: unchecked)."""
    if api_version in API_VERSIONS:
        return api_version
    match = _DATE.match(api_version)
    if match is None:
        return None
    date = match.group(1)
    earlier = [v for v in API_VERSIONS if v[:10] <= date]
    return earlier[-1] if earlier else API_VERSIONS[0]


def _where(versions: frozenset[str]) -> str:
    ordered = [v for v in API_VERSIONS if v in versions]
    if ordered == list(API_VERSIONS[API_VERSIONS.index(ordered[0]) :]):
        return f"api-version {ordered[0]} and later"
    if ordered == list(API_VERSIONS[: len(ordered)]):
        return f"api-versions before {API_VERSIONS[len(ordered)]}"
    return "api-version " + " and ".join(ordered) + " only"


def _advice(versions: frozenset[str], api_version: str) -> str:
    ordered = [v for v in API_VERSIONS if v in versions]
    if ordered[0] > (effective_version(api_version) or ""):
        return f"create the client with api_version={ordered[-1]!r} to send it"
    return f"it was dropped from later api-versions; leave it unset, or use api_version={ordered[-1]!r}"


def check_body(api_version: str, model: str, body: Mapping[str, Any], argument: str) -> None:
    """Raise :class:`ApiVersionError` for the first property in ``body`` that ``api_version`` lacks.

    ``body`` is the wire JSON of a ``model`` (by its class name); ``argument`` names the parameter it
    came from, for the message. Properties the table does not list at all -- ones a fetched resource
    carried that this package does not know -- pass unchecked: the service sent them, so it knows them.
    """
    version = effective_version(api_version)
    if version is not None:
        _walk(version, api_version, model, body, argument)


def _walk(version: str, api_version: str, model: str, body: Mapping[str, Any], path: str) -> None:
    table = PROPERTIES.get(model, {})
    for wire, value in body.items():
        prop = table.get(wire)
        if prop is None or value is None:
            continue
        if version not in prop.versions:
            name = f"{model}.{prop.attribute}"
            raise ApiVersionError(
                f"{name} (wire {wire!r}, at {path}.{wire}) is not in api-version {api_version}: it is in "
                f"{_where(prop.versions)}; {_advice(prop.versions, api_version)}",
                name=name,
                wire=wire,
                api_version=api_version,
                supported_in=tuple(v for v in API_VERSIONS if v in prop.versions),
            )
        if prop.model is None:
            continue
        if isinstance(value, Mapping):
            _walk(version, api_version, prop.model, value, f"{path}.{wire}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    _walk(version, api_version, prop.model, item, f"{path}.{wire}[{index}]")


def require_version(api_version: str, name: str, wire: str, since: str) -> None:
    """Raise :class:`ApiVersionError` when parameter ``name`` needs api-version ``since`` or later."""
    version = effective_version(api_version)
    if version is None or version >= since:
        return
    raise ApiVersionError(
        f"{name} (query parameter {wire!r}) needs api-version {since} or later, but the client uses "
        f"{api_version}; create the client with api_version={API_VERSIONS[-1]!r} to send it",
        name=name,
        wire=wire,
        api_version=api_version,
        supported_in=tuple(v for v in API_VERSIONS if v >= since),
    )
