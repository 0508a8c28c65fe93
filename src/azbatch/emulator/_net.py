"""Loopback checks: who may use the admin API, and whether a bind address exposes the emulator.

The admin API (``/_emulator/*``) hands out the account key and changes state without credentials, so it
answers only callers whose TCP peer address is loopback. The peer address is what the socket reports
(``request.remote``); headers such as ``X-Forwarded-For`` or ``Forwarded`` are never consulted, since a
remote caller could set them to anything.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_HOST_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})
"""Host names taken as loopback without resolving them (the usual /etc/hosts entries)."""


def is_loopback_address(address: str | None) -> bool:
    """True if ``address`` is a literal IP address in 127.0.0.0/8 or ``::1``.

    IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``) count by their IPv4 part; brackets and an IPv6
    zone (``%eth0``) are ignored. Anything else -- ``None``, an empty string (a Unix socket peer), a host
    name, a malformed address -- is not loopback.
    """
    if not address:
        return False
    text = address.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    text = text.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def is_loopback_host(host: str | None) -> bool:
    """True if binding ``host`` listens on loopback only.

    ``None`` or ``""`` (every interface), ``0.0.0.0``, ``::`` and any non-loopback address or host name
    are not: names other than ``localhost`` are not resolved, so they count as reachable from the network.
    """
    if host is None:
        return False
    text = host.strip().lower()
    return text in LOOPBACK_HOST_NAMES or is_loopback_address(text)


def network_exposure_warning(host: str | None) -> str | None:
    """The warning to give when the emulator binds ``host``, or ``None`` when that is loopback only."""
    if is_loopback_host(host):
        return None
    shown = host if host else "every interface"
    return (
        f"The Batch emulator is listening on {shown}, which is reachable from the network. It is for "
        "development only: it has no TLS, keeps no real security boundary (anyone with the printed "
        "account key -- or anyone at all with auth off -- can use its Batch API), and must not be exposed "
        "to untrusted networks. Its admin API (/_emulator/*) still answers loopback callers only."
    )
