"""The one place that turns client keyword arguments into an ordered azure-core policy list.

Both clients call :func:`build_policies`; what differs between sync and async (the retry, redirect,
bearer, deadline, lost-response and decode-error policies, the same-loop guard and the default
transport) comes in a :class:`PipelineFlavor`.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AzureNamedKeyCredential
from azure.core.pipeline.policies import (
    AsyncRedirectPolicy,
    ContentDecodePolicy,
    CustomHookPolicy,
    DistributedTracingPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    ProxyPolicy,
    RedirectPolicy,
    UserAgentPolicy,
)

from ._constants import DEFAULT_SCOPE, HEADER_CLIENT_REQUEST_ID, SDK_MONIKER
from ._version import VERSION
from .policies import (
    AsyncBatchBearerTokenPolicy,
    BatchBearerTokenPolicy,
    EnvironmentProxyPolicy,
    SharedKeyCredentialPolicy,
)
from .policies._bearer import token_may_travel_to
from .policies._deadline import (
    AsyncDeadlineAttemptPolicy,
    AsyncDeadlinePolicy,
    DeadlineAttemptPolicy,
    DeadlinePolicy,
    check_timeout,
)
from .policies._decode_errors import AsyncBodyDecodeErrorPolicy, BodyDecodeErrorPolicy
from .policies._request_id import RandomRequestIdPolicy
from .policies._retry import (
    AsyncBatchRetryPolicy,
    AsyncLostResponsePolicy,
    BatchRetryPolicy,
    LostResponsePolicy,
)
from .policies._same_loop import SameLoopGuardPolicy
from .policies._trace_logging import RedactedNetworkTraceLoggingPolicy

__all__ = [
    "ASYNC_FLAVOR",
    "SYNC_FLAVOR",
    "PipelineFlavor",
    "build_policies",
    "check_endpoint_security",
    "logging_policy",
]

# Header and query names whose values are safe to show in azure-core's HttpLoggingPolicy output.
LOGGED_HEADERS = frozenset(
    {
        "client-request-id",
        "return-client-request-id",
        "request-id",
        "ocp-date",
        "ETag",
        "Last-Modified",
        "DataServiceId",
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "Retry-After",
    }
)
LOGGED_QUERY = frozenset(
    {"api-version", "timeout", "maxresults", "$filter", "$select", "$expand", "$skiptoken"}
)


@dataclass(frozen=True)
class PipelineFlavor:
    """What differs between the sync and the async pipeline.

    ``proxy_env_once``: the default transport is built without environment lookups and
    :class:`EnvironmentProxyPolicy` resolves the proxy settings once per client instead.
    ``deadline_policy``/``attempt_policy``: the outermost and innermost policies of a call's ``timeout``.
    """

    retry_policy: type[Any]
    redirect_policy: type[Any]
    bearer_policy: type[Any]
    default_transport: Callable[[dict[str, Any]], Any]
    proxy_env_once: bool
    async_credential: bool
    decode_error_policy: type[Any]
    deadline_policy: type[Any]
    attempt_policy: type[Any]
    blocking: bool = False
    """Calls block their thread: refuse to call a server served by that thread's own event loop."""
    # Right after the retry policy: turns a response cut short into a ServiceResponseError it retries.
    lost_response_policy: type[Any] | None = None


def _aiohttp_transport(kwargs: dict[str, Any]) -> Any:
    from .transports._aiohttp import SingleAttemptAioHttpTransport

    # use_env_settings=False: aiohttp's trust_env costs two thread-pool calls per request (netrc and
    # proxy lookups); EnvironmentProxyPolicy reads the proxy environment once per client instead.
    return SingleAttemptAioHttpTransport(use_env_settings=False, **kwargs)


def _requests_transport(kwargs: dict[str, Any]) -> Any:
    from azure.core.pipeline.transport import RequestsTransport

    # requests resolves the proxy environment itself, cheaply and synchronously.
    return RequestsTransport(**kwargs)


ASYNC_FLAVOR = PipelineFlavor(
    retry_policy=AsyncBatchRetryPolicy,
    redirect_policy=AsyncRedirectPolicy,
    bearer_policy=AsyncBatchBearerTokenPolicy,
    default_transport=_aiohttp_transport,
    proxy_env_once=True,
    async_credential=True,
    lost_response_policy=AsyncLostResponsePolicy,
    decode_error_policy=AsyncBodyDecodeErrorPolicy,
    deadline_policy=AsyncDeadlinePolicy,
    attempt_policy=AsyncDeadlineAttemptPolicy,
)
SYNC_FLAVOR = PipelineFlavor(
    retry_policy=BatchRetryPolicy,
    redirect_policy=RedirectPolicy,
    bearer_policy=BatchBearerTokenPolicy,
    default_transport=_requests_transport,
    proxy_env_once=False,
    async_credential=False,
    blocking=True,
    lost_response_policy=LostResponsePolicy,
    decode_error_policy=BodyDecodeErrorPolicy,
    deadline_policy=DeadlinePolicy,
    attempt_policy=DeadlineAttemptPolicy,
)


def logging_policy(**kwargs: Any) -> HttpLoggingPolicy:
    """azure-core's INFO-level request logging, allowed to show the Batch headers and query names."""
    policy = HttpLoggingPolicy(**kwargs)
    policy.allowed_header_names.update(LOGGED_HEADERS)
    # A challenge can carry a token, a redirect a SAS URL: azure-core allows both names by default.
    for name in ("WWW-Authenticate", "Location"):
        policy.allowed_header_names.discard(name)
    policy.allowed_query_params.update(LOGGED_QUERY)
    return policy


def check_endpoint_security(credential: Any, endpoint: str, kwargs: dict[str, Any]) -> None:
    """Refuse, at construction, a credential that would travel in clear text to another machine.

    A bearer token over plain http to a non-loopback host is refused (``ValueError``): the token is a
    reusable credential. Shared Key never sends the key, only a per-request signature, but bodies (which
    may hold storage keys and passwords) travel readable and are not covered by the signature, so it
    gets a ``UserWarning``. ``enforce_https=False`` accepts plain http for both; loopback hosts (a local
    emulator) always may use it. Reads ``enforce_https`` from ``kwargs`` without consuming it.
    """
    enforce = kwargs.get("enforce_https", True)
    if not isinstance(enforce, bool):
        raise TypeError(f"enforce_https must be a bool, not {type(enforce).__name__}")
    if not enforce or token_may_travel_to(endpoint):
        return
    if isinstance(credential, AzureNamedKeyCredential):
        warnings.warn(
            "endpoint uses plain http to a non-loopback host: Shared Key requests and their bodies can "
            "be read and altered on the way; use https, or pass enforce_https=False to accept this",
            UserWarning,
            stacklevel=3,  # the line that built the client
        )
    elif hasattr(credential, "get_token") or hasattr(credential, "get_token_info"):
        raise ValueError(
            "endpoint uses plain http to a non-loopback host and a bearer token would travel in clear "
            "text; use an https endpoint, or pass enforce_https=False to allow it"
        )


def _auth_policy(credential: Any, flavor: PipelineFlavor, kwargs: dict[str, Any]) -> Any:
    if credential is None:
        raise TypeError("credential is required: a token credential or an AzureNamedKeyCredential")
    if isinstance(credential, AzureNamedKeyCredential):
        kwargs.pop("enforce_https", None)  # used by check_endpoint_security only; not a transport option
        return SharedKeyCredentialPolicy(credential)
    if not hasattr(credential, "get_token") and not hasattr(credential, "get_token_info"):
        raise TypeError(
            "credential must be a token credential (for example azure.identity's DefaultAzureCredential) "
            f"or an azure.core.credentials.AzureNamedKeyCredential, not {type(credential).__name__}"
        )
    _check_credential_flavor(credential, flavor)
    scopes = kwargs.pop("credential_scopes", None) or [DEFAULT_SCOPE]
    if isinstance(scopes, str) or not isinstance(scopes, Iterable):
        raise TypeError("credential_scopes must be a list of str")
    return flavor.bearer_policy(credential, *scopes, enforce_https=kwargs.pop("enforce_https", True))


def _check_credential_flavor(credential: Any, flavor: PipelineFlavor) -> None:
    """Refuse an async credential on the sync client and the reverse, at construction.

    Otherwise the mistake only shows at the first call, as an obscure error from inside the pipeline.
    """
    methods = [getattr(credential, name, None) for name in ("get_token_info", "get_token")]
    methods = [m for m in methods if inspect.ismethod(m) or inspect.isfunction(m)]
    if not methods:
        return  # not inspectable (a mock, say): let the pipeline decide
    is_async = any(inspect.iscoroutinefunction(m) for m in methods)
    if is_async and not flavor.async_credential:
        raise TypeError(
            f"{type(credential).__name__} is an async credential; use azbatch.aio.BatchClient with it, "
            "or a sync credential (azure.identity, not azure.identity.aio) with azbatch.BatchClient"
        )
    if not is_async and flavor.async_credential:
        raise TypeError(
            f"{type(credential).__name__} is a sync credential; use azbatch.BatchClient with it, "
            "or an async credential (azure.identity.aio) with azbatch.aio.BatchClient"
        )


def build_policies(
    credential: Any, flavor: PipelineFlavor, *, own_transport: bool, kwargs: dict[str, Any]
) -> list[Any]:
    """The ordered policies of a client pipeline; consumes the keywords it uses from ``kwargs``.

    ``own_transport`` is true when the client builds its default transport itself; the proxy
    environment is then resolved once here rather than by the transport on every request.
    """
    # The client-wide default of the per-call total deadline; taken out before azure-core's retry policy
    # would read it as its own retry budget. Checked here so that a bad value fails at construction.
    default_timeout = check_timeout(kwargs.pop("timeout", None))
    auth = _auth_policy(credential, flavor, kwargs)
    # The Batch service does not redirect; following a redirect would re-sign the request for whatever
    # host it names, so redirects are off unless the caller asks for them.
    kwargs.setdefault("permit_redirects", False)
    per_call = list(kwargs.pop("per_call_policies", []) or [])
    per_retry = list(kwargs.pop("per_retry_policies", []) or [])
    policies: list[Any] = [
        # First, so that a call's timeout bounds everything after it, token requests included (async).
        flavor.deadline_policy(default_timeout),
        RandomRequestIdPolicy(request_id_header_name=HEADER_CLIENT_REQUEST_ID, **kwargs),
        HeadersPolicy(**kwargs),
        UserAgentPolicy(sdk_moniker=f"{SDK_MONIKER}/{VERSION}", **kwargs),
        ProxyPolicy(**kwargs),
    ]
    if own_transport and flavor.proxy_env_once:
        policies.append(EnvironmentProxyPolicy())
    if flavor.blocking:
        policies.append(SameLoopGuardPolicy())
    policies += [
        # Kept for callers that pass stream=False explicitly; the operations themselves do not, so the
        # JSON of a response is parsed once, by the response parsers, not twice.
        ContentDecodePolicy(**kwargs),
        *per_call,
        flavor.redirect_policy(**kwargs),
        flavor.retry_policy(**kwargs),
        *([flavor.lost_response_policy()] if flavor.lost_response_policy else []),
        auth,
        *per_retry,
        CustomHookPolicy(**kwargs),
        RedactedNetworkTraceLoggingPolicy(**kwargs),
        DistributedTracingPolicy(**kwargs),
        logging_policy(**kwargs),
        flavor.decode_error_policy(),  # next to the transport, so every policy above sees a typed error
        # Last, next to the transport: it sees every attempt and bounds each one by the time left.
        flavor.attempt_policy(),
    ]
    return policies
