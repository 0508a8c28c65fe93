"""Decide whether a URL points at the local machine (used by the bearer and proxy policies)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback_host", "is_loopback_url"]

# Characters that some URL parsers treat as authority delimiters and others do not. If our parser and
# the transport's parser could disagree about the host, we must not call it loopback.
_AMBIGUOUS_NETLOC_CHARS = frozenset("@\\ \t\r\n%")


def is_loopback_host(host: str) -> bool:
    """Return True if ``host`` (a bare hostname or IP literal, IPv6 with or without brackets) is loopback.

    Accepted: ``localhost`` (any case), 127.0.0.0/8, ``::1`` and IPv4-mapped ``::ffff:127.x.y.z``.
    Other names are never resolved: resolution could be spoofed, and a name like
    ``127.0.0.1.example.com`` must not count.
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        # Python < 3.13 reports ::ffff:127.0.0.1 as not loopback although it connects to 127.0.0.1.
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_url(url: str) -> bool:
    """Return True if the host of the absolute ``url`` is a loopback host (see :func:`is_loopback_host`).

    Any URL whose authority is malformed or could be read differently by another parser
    (user info, backslashes, whitespace, percent-escapes) is reported as not loopback.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        # Accessing .port validates it; a bad port means a malformed authority.
        _ = parts.port
    except ValueError:
        return False
    if not host or _AMBIGUOUS_NETLOC_CHARS.intersection(parts.netloc):
        return False
    return is_loopback_host(host)
