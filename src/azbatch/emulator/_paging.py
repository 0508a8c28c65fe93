"""Opaque continuation tokens and ``odata.nextLink`` URLs for the list operations.

A token names the listing it belongs to and the key of the last record the previous page examined; the
next page starts right after that key. Because keys are looked up in a sorted list (not counted as an
offset), jobs added or removed between two page requests never make a listing repeat or skip survivors.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from urllib.parse import quote

SKIPTOKEN = "$skiptoken"
"""Query name of the continuation; lower-case so Shared Key signers that do not lower-case names agree."""

_VERSION = 1


class TokenError(ValueError):
    """The continuation token is malformed or belongs to another listing."""


def encode_token(listing: str, key: str) -> str:
    """Make the opaque token for continuing ``listing`` after ``key``."""
    raw = json.dumps([_VERSION, listing, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, listing: str) -> str:
    """Return the key encoded in ``token``; raise :class:`TokenError` unless it was made for ``listing``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        version, owner, key = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise TokenError("the continuation token is not one this service issued") from None
    if version != _VERSION or not isinstance(key, str):
        raise TokenError("the continuation token is not one this service issued")
    if owner != listing:
        raise TokenError("the continuation token belongs to a different listing")
    return key


def next_link(origin: str, raw_path: str, query: Iterable[tuple[str, str]], token: str) -> str:
    """The absolute URL of the next page: the request's own query (minus any old token) plus ``token``.

    ``origin`` is ``scheme://host[:port]`` as the client reached the server, so the link works through
    whatever address the client used.
    """
    parts = [
        f"{quote(name, safe='$')}={quote(value, safe='')}"
        for name, value in query
        if name.lower() != SKIPTOKEN
    ]
    parts.append(f"{SKIPTOKEN}={quote(token, safe='')}")
    return f"{origin}{raw_path}?{'&'.join(parts)}"
