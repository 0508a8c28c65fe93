"""The one place that decides what a secret looks like in text this package shows.

Logs, model reprs and exception messages all pass text through these helpers, so that a SAS signature in a
``commandLine``, an environment value or a URL property is masked the same way everywhere.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "excerpt", "mask_text", "mask_url_query"]

MASK = "REDACTED"

# A query parameter that carries a credential, anywhere in free text: ``sig=...`` of a SAS token and the
# look-alikes other stores use. The value runs to the next delimiter a URL or a shell word would end at.
_SECRET_QUERY = re.compile(
    r"(?i)(?P<name>[?&;](?:sig|signature|sas|token|access_token|code|key|password|secret)=)"
    r"(?P<value>[^&\s\"'<>;,)}\]]*)"
)


def mask_text(text: str) -> str:
    """``text`` with the value of every credential-bearing query parameter replaced by :data:`MASK`."""
    if "=" not in text:  # the common case costs one scan
        return text
    return _SECRET_QUERY.sub(lambda m: m.group("name") + MASK, text)


def mask_url_query(url: str) -> str:
    """A URL with its whole query string replaced by :data:`MASK` (for properties that hold SAS URLs)."""
    head, sep, _query = url.partition("?")
    if not sep:
        return url
    fragment = url.partition("#")[2]
    return f"{head}?{MASK}" + (f"#{fragment}" if fragment else "")


def excerpt(text: str, limit: int = 200) -> str:
    """A short, secret-masked excerpt of ``text`` for an error message (never the whole body)."""
    masked = mask_text(text)
    if len(masked) <= limit:
        return masked
    return masked[:limit] + f"... ({len(text)} characters in all)"
