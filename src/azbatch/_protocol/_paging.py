"""Next-link loop detection for the listings: pure bookkeeping, shared by both pagers.

A service (or a proxy) that answers with an ``odata.nextLink`` pointing back at a page already read would
keep a pager busy forever. :class:`LinkTracker` remembers every link one iteration followed and refuses a
repeat with :class:`~azbatch.exceptions.BatchPagingError`.

Memory stays bounded however long the listing: links are remembered as 128-bit digests, and past
:data:`EXACT_LIMIT` of them the tracker switches to Brent's cycle detection, which needs a single
remembered link and still finds every cycle (at most a few cycle lengths after it starts).
"""

from __future__ import annotations

import hashlib
from urllib.parse import unquote, urlsplit

from ..exceptions import BatchPagingError

__all__ = ["EXACT_LIMIT", "LinkTracker"]

EXACT_LIMIT = 100_000
"""Links remembered exactly (about 10 MB at most) before the tracker falls back to Brent's method."""


def _canonical(link: str) -> str:
    """The request a link leads to, written one way: links that differ only in how they are spelled
    (scheme or host case, percent-encoding, parameter order, the api-version the client replaces
    anyway) lead to the same page, and must count as the same link."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return link
    pairs = sorted(
        (unquote(name).lower(), unquote(value))
        for name, _, value in (item.partition("=") for item in parts.query.split("&") if item)
        if unquote(name).lower() != "api-version"
    )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{unquote(parts.path)}?{pairs!r}"


def _digest(link: str) -> int:
    # A digest, not the link: next links carry long skip tokens. 128 bits make a false alarm negligible.
    data = _canonical(link).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=16).digest(), "big")


class LinkTracker:
    """The links one iteration of a listing has followed; :meth:`check` refuses a repeat."""

    __slots__ = ("_limit", "_mark", "_power", "_seen", "_steps")

    def __init__(self, limit: int = EXACT_LIMIT) -> None:
        self._limit = limit
        self._seen: set[int] = set()
        # Brent's method, once the exact set is full: one remembered link, moved on at powers of two.
        self._mark: int | None = None
        self._power = 1
        self._steps = 0

    def check(self, link: str) -> int:
        """Refuse ``link`` if this iteration has read its page; return the key :meth:`record` takes.

        :raises ~azbatch.exceptions.BatchPagingError: the link was followed before in this iteration.
        """
        key = _digest(link)
        if key in self._seen or key == self._mark:
            raise BatchPagingError(link)
        return key

    def record(self, key: int) -> None:
        """Remember a link (by the key :meth:`check` returned) whose page has been read.

        Only pages read successfully are recorded, so retrying a page that failed is not a loop.
        """
        if len(self._seen) < self._limit:
            self._seen.add(key)
            return
        self._steps += 1
        if self._mark is None or self._steps == self._power:
            self._mark = key
            self._power *= 2
            self._steps = 0
