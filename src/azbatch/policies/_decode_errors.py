"""Right next to the transport: type the errors it lets escape and mask what their messages show.

azure-core's aiohttp transport inflates a ``Content-Encoding: gzip`` body itself, while it reads the
response, and lets ``zlib.error`` escape when the body is not what the header claims. Nothing above the
transport expects a non-azure-core exception, so this policy types it as ``DecodeError``. Transport errors
also quote the request URL (aiohttp: ``url='...?sig=...'``): their text is masked here, once, for every
policy above and for the caller.
"""

from __future__ import annotations

import zlib
from typing import Any

from azure.core.exceptions import AzureError, DecodeError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncHTTPPolicy, HTTPPolicy

from .._redact import mask_exception

__all__ = ["AsyncBodyDecodeErrorPolicy", "BodyDecodeErrorPolicy"]

_MESSAGE = "the response body does not match its Content-Encoding and could not be decompressed"


class BodyDecodeErrorPolicy(HTTPPolicy[Any, Any]):
    """Raises ``DecodeError`` (not ``zlib.error``) for a body the transport could not decompress."""

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Pass the request on; a body that cannot be decompressed becomes ``DecodeError``."""
        try:
            return self.next.send(request)
        except zlib.error as exc:
            raise DecodeError(_MESSAGE, error=exc) from exc
        except AzureError as exc:
            mask_exception(exc)
            raise


class AsyncBodyDecodeErrorPolicy(AsyncHTTPPolicy[Any, Any]):
    """Raises ``DecodeError`` (not ``zlib.error``) for a body the transport could not decompress."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Pass the request on; a body that cannot be decompressed becomes ``DecodeError``."""
        try:
            return await self.next.send(request)
        except zlib.error as exc:
            raise DecodeError(_MESSAGE, error=exc) from exc
        except AzureError as exc:
            mask_exception(exc)
            raise
