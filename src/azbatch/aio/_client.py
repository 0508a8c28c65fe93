"""The async client: an azure-core pipeline plus the job operations that use it.

Source of truth for ``azbatch/_sync/_client.py``, which ``scripts/unasync.py`` generates from this file.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from azure.core.credentials import AzureNamedKeyCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import AsyncPipeline
from azure.core.rest import AsyncHttpResponse, HttpRequest

from .._config import ASYNC_FLAVOR, build_policies, check_endpoint_security
from .._constants import DEFAULT_API_VERSION
from .._keywords import check_keywords
from .._protocol._requests import Target
from .._protocol._send import prepare_request
from .._redact import mask_text
from ._jobs import JobOperations

__all__ = ["BatchClient"]


class BatchClient:
    """Async client for the Azure Batch job API.

    The job operations live on :attr:`jobs` (also reachable as ``job``, the name azure-batch 14.x
    code uses): ``client.jobs.get("job-1")``, ``client.jobs.list(...)`` and the other job
    operations of :class:`JobOperations`. :meth:`send_request` sends any other Batch request
    through the same pipeline.

    :param endpoint: the account URL, e.g. ``https://myaccount.westus2.batch.azure.com``.
    :param credential: an azure-core ``AsyncTokenCredential`` (any ``azure.identity.aio`` credential)
        for Entra ID, or an ``AzureNamedKeyCredential`` (account name and key) for Shared Key.
    :keyword str api_version: the Batch REST api-version to send; defaults to ``2024-02-01.19.0``. The
        models also cover ``2024-07-01.20.0`` and ``2025-06-01``; properties the chosen version lacks raise
        :class:`~azbatch.exceptions.ApiVersionError` before sending.
    :keyword list[str] credential_scopes: Entra ID scopes; defaults to the public cloud's Batch scope.
    :keyword bool enforce_https: with the default ``True``, a plain http endpoint that is not a loopback
        host is refused for a token credential (``ValueError``) and warned about for Shared Key;
        ``False`` accepts plain http.
    :keyword float timeout: default total deadline, in seconds, of every call (connecting, reading,
        retries and the waits between them together); a call's own ``timeout=`` overrides it. Default:
        none. On expiry a call raises :class:`~azbatch.exceptions.BatchTimeoutError`; see
        ``docs/timeouts.md``.
    :keyword transport: an azure-core ``AsyncHttpTransport``; defaults to azure-core's aiohttp transport
        (or pass ``azbatch.transports.AsyncHttpXTransport()``). Other keywords go to
        azure-core's policies and transport (``retry_total``, ``logging_enable``, ``per_call_policies``,
        ``connection_timeout``, ...).

    Use it as an async context manager, or call :meth:`close` when done.
    """

    def __init__(
        self,
        endpoint: str,
        credential: AsyncTokenCredential | AzureNamedKeyCredential,
        *,
        api_version: str = DEFAULT_API_VERSION,
        **kwargs: Any,
    ) -> None:
        target = Target.create(endpoint, api_version)
        check_endpoint_security(credential, target.endpoint, kwargs)
        transport = kwargs.pop("transport", None)
        default_timeout = kwargs.get(
            "timeout"
        )  # build_policies checks it and hands it to the deadline policy
        policies = build_policies(credential, ASYNC_FLAVOR, own_transport=transport is None, kwargs=kwargs)
        if transport is None:
            transport = ASYNC_FLAVOR.default_transport(kwargs)
        self._pipeline: AsyncPipeline[HttpRequest, AsyncHttpResponse] = AsyncPipeline(transport, policies)
        self._target = target
        self._endpoint = target.endpoint
        self._jobs = JobOperations(self._pipeline, target, default_timeout)

    # Properties rather than plain attributes, so that help(BatchClient) lists them with their meaning.
    @property
    def jobs(self) -> JobOperations:
        """The job operations: ``client.jobs.add(...)``, ``.get(...)``, ``.list(...)`` and the rest."""
        return self._jobs

    @property
    def job(self) -> JobOperations:
        """The same object as :attr:`jobs`, under the name azure-batch 14.x code uses."""
        return self._jobs

    @property
    def endpoint(self) -> str:
        """The account URL requests are sent to."""
        return self._endpoint

    def __repr__(self) -> str:
        # The endpoint cannot hold user info (Target.create refuses it); masking is a second line of defence.
        return f"{type(self).__name__}(endpoint={mask_text(self._endpoint)!r})"

    async def send_request(
        self, request: HttpRequest, *, stream: bool = False, **kwargs: Any
    ) -> AsyncHttpResponse:
        """Send a request of your own through this client's pipeline (auth, retries, logging, tracing).

        The escape hatch for Batch operations the typed API does not cover (tasks, pools, ...)::

            response = await client.send_request(HttpRequest("GET", "/pools"))
            response.raise_for_status()
            pools = response.json()["value"]

        :param request: an ``azure.core.rest.HttpRequest``; a relative URL is resolved against the
            endpoint, and the client's api-version is added unless the URL names one. The caller's
            object is not changed.
        :keyword stream: leave the body unread, for the caller to stream (default ``False``: read it).
        :keyword kwargs: pipeline keywords, as on every operation (``timeout``, ``retry_total``, ...).
        :return: the response, whatever its status: call ``raise_for_status()`` to turn errors into
            exceptions.
        :raises ValueError: the URL points at another host than the client's endpoint.
        """
        check_keywords("send_request", kwargs, ())
        prepared = prepare_request(self._target, request)
        pipeline_response = await self._pipeline.run(prepared, stream=stream, **kwargs)
        response: AsyncHttpResponse = pipeline_response.http_response
        if not stream:
            await response.read()
        return response

    async def close(self) -> None:
        """Close the transport and its connections."""
        await self._pipeline.__aexit__()

    async def __aenter__(self) -> BatchClient:
        await self._pipeline.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        await self._pipeline.__aexit__(exc_type, exc_value, traceback)
