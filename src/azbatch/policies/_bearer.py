"""Bearer-token (Microsoft Entra ID) policies that also allow plain http to loopback hosts.

azure-core refuses to attach a bearer token to any non-https URL. A local Batch emulator usually
listens on ``http://127.0.0.1:<port>``, so these subclasses relax the rule for loopback hosts only,
or everywhere when built with ``enforce_https=False``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import TokenProvider
from azure.core.credentials_async import AsyncTokenProvider
from azure.core.exceptions import ServiceRequestError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy, BearerTokenCredentialPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse

from ._loopback import is_loopback_url

__all__ = ["AsyncBatchBearerTokenPolicy", "BatchBearerTokenPolicy", "token_may_travel_to"]


# azure-core's per-call option name; we consume it ourselves so the check below is the only one that counts.
_OPTION = "enforce_https"
# Where a caller's per-call opt-out is remembered so it survives retries of the same request.
_CONTEXT_OPT_OUT = "azbatch.bearer.https_opt_out"


def token_may_travel_to(url: str) -> bool:
    """True if a bearer token may be sent to ``url`` without an opt-out: https, or a loopback host.

    The client checks its endpoint with this at construction; the policies check every request URL.
    """
    return urlsplit(url).scheme.lower() == "https" or is_loopback_url(url)


def _check_transport_security(request: PipelineRequest[Any], enforce_https: bool) -> None:
    """Raise unless a bearer token may be sent to this request's URL.

    Runs on every attempt (retries and redirects included) against the current URL, so an
    allowance granted for a loopback URL never carries over to another host.
    """
    if request.context.options.pop(_OPTION, None) is False:
        request.context[_CONTEXT_OPT_OUT] = True
    url: str = request.http_request.url
    allowed = not enforce_https or request.context.get(_CONTEXT_OPT_OUT, False) or token_may_travel_to(url)
    if not allowed:
        raise ServiceRequestError(
            "Refusing to send a bearer token over a non-https URL to a non-loopback host; "
            "use https, a loopback host, or enforce_https=False."
        )
    # Our decision is made; tell azure-core's own (stricter) check in the base class to stand down.
    request.context.options[_OPTION] = False


class BatchBearerTokenPolicy(BearerTokenCredentialPolicy[HttpRequest, HttpResponse]):
    """Sync bearer-token policy: https anywhere, plain http only to loopback hosts unless opted out.

    :param credential: token provider (``get_token`` or ``get_token_info``), e.g. an azure-identity credential.
    :param scopes: scopes to request, normally ``azbatch._constants.DEFAULT_SCOPE``.
    :param enforce_https: when False, tokens may also go over plain http to any host.
    :param kwargs: passed to azure-core's policy (e.g. ``enable_cae``).
    :raises ~azure.core.exceptions.ServiceRequestError: per request, if the URL is refused; no token is
        requested in that case.
    """

    def __init__(
        self, credential: TokenProvider, *scopes: str, enforce_https: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(credential, *scopes, **kwargs)
        self._require_https = enforce_https

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scopes={self._scopes!r}, enforce_https={self._require_https!r})"

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        """Check the URL may carry a token, then authorize the request."""
        _check_transport_security(request, self._require_https)
        super().on_request(request)


class AsyncBatchBearerTokenPolicy(AsyncBearerTokenCredentialPolicy[HttpRequest, AsyncHttpResponse]):
    """Async bearer-token policy: https anywhere, plain http only to loopback hosts unless opted out.

    :param credential: async token provider (``get_token`` or ``get_token_info``).
    :param scopes: scopes to request, normally ``azbatch._constants.DEFAULT_SCOPE``.
    :param enforce_https: when False, tokens may also go over plain http to any host.
    :param kwargs: passed to azure-core's policy (e.g. ``enable_cae``).
    :raises ~azure.core.exceptions.ServiceRequestError: per request, if the URL is refused; no token is
        requested in that case.
    """

    def __init__(
        self, credential: AsyncTokenProvider, *scopes: str, enforce_https: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(credential, *scopes, **kwargs)
        self._require_https = enforce_https

    def __repr__(self) -> str:
        return f"{type(self).__name__}(scopes={self._scopes!r}, enforce_https={self._require_https!r})"

    async def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        """Check the URL may carry a token, then authorize the request."""
        _check_transport_security(request, self._require_https)
        await super().on_request(request)
