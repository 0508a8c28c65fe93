"""DEBUG logging of whole requests and responses, with credentials removed.

azure-core's own network-trace policy prints every header, ``Authorization`` included, and every body.
Batch request bodies can hold secrets too (storage keys of mount configurations, user passwords, SAS
URLs of resource files), so this policy replaces it: same switch (``logging_enable`` on the client or
per call), but the Authorization value, secret-looking headers, secret JSON properties, the query of
storage URL properties, secret-named environment values and anything :func:`azbatch._redact.mask_text`
recognises in any other string (a SAS URL in a ``commandLine``, say) are masked before anything reaches
the log; so are secrets in the logged request URL.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import SansIOHTTPPolicy

from .._redact import MASK, is_secret_name, mask_headers, mask_text, mask_url_query

__all__ = ["RedactedNetworkTraceLoggingPolicy", "redact_body", "redact_headers"]

_LOGGER = logging.getLogger("azbatch.http")
# Wire properties whose values are credentials whatever they look like, and those that are URLs that
# may carry a SAS (their whole query is hidden, not just a recognised "sig=").
_SECRET_PROPERTIES = frozenset({"accountKey", "sasKey", "password", "protectedSettings", "sshPrivateKey"})
_URL_PROPERTIES = frozenset({"containerUrl", "httpUrl", "storageContainerUrl", "azureFileUrl"})
_MAX_BODY = 16 * 1024
_CONTEXT_KEY = "azbatch_trace_logging"


def redact_headers(headers: Any) -> dict[str, str]:
    """A copy of ``headers`` with credential-bearing values masked."""
    return mask_headers(headers)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        secret_pair = is_secret_name(value.get("name"))
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in _SECRET_PROPERTIES or (secret_pair and key == "value"):
                out[key] = MASK
            elif key in _URL_PROPERTIES and isinstance(item, str):
                out[key] = mask_url_query(item)
            else:
                out[key] = _redact(item)
        return out
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if isinstance(value, str):
        # commandLine, environment values, ...: any text may hold a SAS URL or a connection string.
        return mask_text(value)
    return value


def redact_body(body: bytes | str | None) -> str:
    """Printable form of a body: JSON with secret properties masked, else a size note."""
    if not body:
        return "<no body>"
    if len(body) > _MAX_BODY:
        return f"<{len(body)} bytes, not logged>"
    try:
        return json.dumps(_redact(json.loads(body)), ensure_ascii=False)
    except (ValueError, RecursionError):  # RecursionError: a hostile, absurdly nested body
        return f"<{len(body)} bytes of non-JSON content>"


class RedactedNetworkTraceLoggingPolicy(SansIOHTTPPolicy[Any, Any]):
    """Logs each request and response at DEBUG on the ``azbatch.http`` logger, secrets masked.

    :param bool logging_enable: log every call of this client (a call can also pass ``logging_enable``).
    """

    def __init__(self, logging_enable: bool = False, **kwargs: Any) -> None:
        self.enable_http_logger = logging_enable

    def on_request(self, request: PipelineRequest[Any]) -> None:
        enabled = request.context.options.pop("logging_enable", self.enable_http_logger)
        request.context[_CONTEXT_KEY] = enabled
        if not enabled or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        http_request = request.http_request
        body = http_request.content if isinstance(http_request.content, (bytes, str)) else None
        _LOGGER.debug(
            "Request %s %s\nheaders: %s\nbody: %s",
            http_request.method,
            mask_text(http_request.url),
            redact_headers(http_request.headers),
            redact_body(body),
        )

    def on_response(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> None:
        if not request.context.get(_CONTEXT_KEY) or not _LOGGER.isEnabledFor(logging.DEBUG):
            return
        http_response = response.http_response
        try:
            body: bytes | None = http_response.content
        except Exception:  # streamed and not yet read: do not consume it for a log line
            body = None
        _LOGGER.debug(
            "Response %s %s\nheaders: %s\nbody: %s",
            http_response.status_code,
            mask_text(str(http_response.reason)),
            redact_headers(http_response.headers),
            redact_body(body),
        )
