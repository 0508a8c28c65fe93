"""Per-request proxy selection from a proxy environment that is read only once."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest

from ._loopback import is_loopback_host

__all__ = ["EnvironmentProxyPolicy"]

HTTPRequestType = TypeVar("HTTPRequestType", HttpRequest, LegacyHttpRequest)
# Left unconstrained: one instance serves the sync and the async pipeline, whose response types differ.
HTTPResponseType = TypeVar("HTTPResponseType")

# Present in CPython since 2.x but missing from typeshed's stubs, hence the ignore.
_bypass_environment: Callable[[str, Mapping[str, str]], bool]
_bypass_environment = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]

# Only these schemes are looked up, mirroring what aiohttp itself honours from the environment.
_SCHEMES = ("http", "https")


class EnvironmentProxyPolicy(SansIOHTTPPolicy[HTTPRequestType, HTTPResponseType]):
    """Chooses the proxy for each request from ``HTTP(S)_PROXY`` / ``NO_PROXY`` captured at construction.

    Why it exists: an aiohttp session with ``trust_env=True`` re-reads the proxy environment and
    ``~/.netrc`` in a worker thread on every request, which costs two thread-pool round trips per
    call. The client therefore builds its aiohttp transport with ``use_env_settings=False`` and adds
    this policy instead: the environment (any letter case) is read once here, the per-host decision
    is cached, and the chosen URL is handed to the transport as the ``proxy`` option.

    The policy never overrides a ``proxy`` or ``proxies`` option the caller (or azure-core's
    ``ProxyPolicy``) already set, and never proxies loopback hosts. Proxy credentials embedded in
    the URLs are kept out of ``repr``. ``~/.netrc`` is not consulted: put proxy credentials in the URL.
    The ``proxy`` option is understood by azure-core's aiohttp transport; do not use this policy
    with a transport that rejects unknown options.
    """

    _CACHE_LIMIT = 256

    def __init__(self) -> None:
        super().__init__()
        environment = urllib.request.getproxies_environment()
        self._environment = environment
        self._proxies: dict[str, str] = {
            scheme: _with_scheme(environment[scheme]) for scheme in _SCHEMES if environment.get(scheme)
        }
        self._decisions: dict[tuple[str, str], str | None] = {}

    def __repr__(self) -> str:
        # Scheme names only: the proxy URLs may carry user:password.
        return f"{type(self).__name__}(schemes={sorted(self._proxies)!r})"

    def on_request(self, request: PipelineRequest[HTTPRequestType]) -> None:
        """Set ``request.context.options["proxy"]`` when the environment asks for a proxy for this URL."""
        if not self._proxies:
            return
        options = request.context.options
        if "proxy" in options or "proxies" in options:
            return
        proxy = self._proxy_for(request.http_request.url)
        if proxy is not None:
            options["proxy"] = proxy

    def _proxy_for(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError:
            return None
        scheme = parts.scheme.lower()
        if not host or scheme not in self._proxies:
            return None
        # Include an explicit port so NO_PROXY entries written as host:port can match too.
        host_key = f"{host}:{port}" if port is not None and ":" not in host else host
        key = (scheme, host_key)
        try:
            return self._decisions[key]
        except KeyError:
            pass
        proxy: str | None = None
        if not is_loopback_host(host) and not _bypass_environment(host_key, self._environment):
            proxy = self._proxies[scheme]
        if len(self._decisions) >= self._CACHE_LIMIT:
            # Crude but thread-safe bound: many distinct hosts are unusual for one Batch client.
            self._decisions.clear()
        self._decisions[key] = proxy
        return proxy


def _with_scheme(proxy: str) -> str:
    """Give a scheme-less proxy setting (``proxy.local:3128``) the conventional ``http://`` prefix."""
    return proxy if "://" in proxy else f"http://{proxy}"
