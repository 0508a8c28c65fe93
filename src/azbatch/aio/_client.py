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

from .._config import ASYNC_FLAVOR, build_policies
from .._constants import DEFAULT_API_VERSION
from .._protocol._requests import Target
from ._jobs import JobOperations

__all__ = ["BatchClient"]


class BatchClient:
    """Async client for the Azure Batch job API.

    :param endpoint: the account URL, e.g. ``https://myaccount.westus2.batch.azure.com``.
    :param credential: an azure-core ``AsyncTokenCredential`` (any ``azure.identity.aio`` credential)
        for Entra ID, or an ``AzureNamedKeyCredential`` (account name and key) for Shared Key.
    :keyword str api_version: the Batch REST api-version to send; defaults to ``2024-02-01.19.0``.
    :keyword list[str] credential_scopes: Entra ID scopes; defaults to the public cloud's Batch scope.
    :keyword bool enforce_https: refuse to send a bearer token over plain http to a non-loopback host
        (default ``True``).
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
        transport = kwargs.pop("transport", None)
        policies = build_policies(credential, ASYNC_FLAVOR, own_transport=transport is None, kwargs=kwargs)
        if transport is None:
            transport = ASYNC_FLAVOR.default_transport(kwargs)
        self._pipeline: AsyncPipeline[HttpRequest, AsyncHttpResponse] = AsyncPipeline(transport, policies)
        self._endpoint = target.endpoint
        self.jobs = JobOperations(self._pipeline, target)
        """The job operations."""
        self.job = self.jobs
        """The same object as :attr:`jobs`, under the name legacy code uses."""

    @property
    def endpoint(self) -> str:
        """The account URL requests are sent to."""
        return self._endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self._endpoint!r})"

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
