"""Which keyword arguments an operation accepts besides its own parameters.

Operations pass unknown keywords on to the azure-core pipeline. A misspelt one (``retry_totl=3``) would
otherwise travel all the way to the transport and fail there with an obscure ``TypeError`` -- after the
request was signed, or worse, be silently ignored by a policy. Checking the names up front, against the
keywords the pipeline's policies and transports read per call, turns that into a clear error naming the
operation and the keyword, before anything is sent.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["PIPELINE_KEYWORDS", "check_keywords"]

PIPELINE_KEYWORDS = frozenset(
    {
        # retries and the whole-call deadline
        "timeout",
        "retry_total",
        "retry_connect",
        "retry_read",
        "retry_status",
        "retry_backoff_factor",
        "retry_backoff_max",
        "retry_mode",
        "retry_on_status_codes",
        "retry_on_methods",
        # redirects
        "permit_redirects",
        "redirect_max",
        "redirect_on_status_codes",
        "redirect_remove_headers",
        # headers, ids, proxies
        "headers",
        "user_agent",
        "user_agent_overwrite",
        "request_id",
        "proxies",
        # logging, tracing, hooks
        "logging_enable",
        "logger",
        "http_logging_level",
        "network_span_namer",
        "tracing_attributes",
        "tracing_options",
        "merge_span",
        "parent_span",
        "raw_request_hook",
        "raw_response_hook",
        "response_encoding",
        # transports
        "connection_timeout",
        "read_timeout",
        "connection_verify",
        "connection_cert",
        "connection_data_block_size",
        "decompress",
        # bearer authentication (continuous access evaluation)
        "enable_cae",
    }
)
"""Per-call keywords that azure-core's policies and transports (and this package's) read."""


def check_keywords(operation: str, kwargs: Mapping[str, Any], own: Iterable[str]) -> None:
    """Raise ``TypeError`` naming ``operation`` and the first keyword that nothing would read."""
    allowed = PIPELINE_KEYWORDS.union(own)
    for name in kwargs:
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, sorted(allowed), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{operation}() got an unexpected keyword argument {name!r}{hint}")
