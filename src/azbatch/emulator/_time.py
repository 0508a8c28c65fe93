"""Time in the emulator: integer ticks of 100 ns since the Unix epoch, and their wire formats.

Ticks keep the seven fractional digits the service prints real, and make filter comparisons exact.
"""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timezone

TICKS_PER_SECOND = 10_000_000
DOTNET_TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000


def now_ticks() -> int:
    """The current wall-clock time in ticks."""
    return time.time_ns() // 100


def format_datetime(ticks: int) -> str:
    """ISO 8601 UTC with 7 fractional digits and ``Z``, as the service prints date-times."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction:07d}Z"


def format_http_date(ticks: int) -> str:
    """RFC 1123 date (``Fri, 17 Feb 2017 00:00:00 GMT``) for Last-Modified and friends."""
    return email.utils.formatdate(ticks // TICKS_PER_SECOND, usegmt=True)


def parse_http_date(text: str) -> int:
    """Parse an RFC 1123 (or RFC 850 / asctime) date header into ticks; ``ValueError`` when malformed."""
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"not an HTTP date: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * TICKS_PER_SECOND
