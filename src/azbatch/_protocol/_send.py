"""Preparing a caller's own request for ``BatchClient.send_request`` (pure, no I/O).

``send_request`` is the escape hatch for anything the typed operations do not cover (tasks, pools, a
newer operation): the request goes through the same pipeline -- authentication, retries, logging with
secrets masked -- after this module has made its URL absolute and given it an api-version.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote, urlsplit

from azure.core.rest import HttpRequest

from ._requests import Target

__all__ = ["prepare_request"]


def prepare_request(target: Target, request: Any) -> HttpRequest:
    """A copy of ``request`` aimed at the client's endpoint, with ``api-version`` added when absent.

    A relative URL (``"/jobs/j1"`` or ``"jobs/j1"``) is resolved against the endpoint. An absolute URL
    must name the endpoint's own scheme and host: the pipeline signs every request, and sending that
    signature or token to another host would hand over the account's credentials.
    """
    if not isinstance(request, HttpRequest):
        raise TypeError(f"request must be an azure.core.rest.HttpRequest, not {type(request).__name__}")
    prepared = copy.deepcopy(request)  # the caller's object stays as it was, so it can be sent again
    parts = urlsplit(prepared.url)
    if parts.scheme or parts.netloc:
        base = urlsplit(target.endpoint)
        if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(), base.netloc.lower()):
            raise ValueError(
                "request.url must be relative or point at the client's endpoint; "
                "the client's credentials are never sent to another host"
            )
        url = prepared.url
    else:
        url = target.endpoint + "/" + prepared.url.lstrip("/")
    query = urlsplit(url).query
    names = {pair.split("=", 1)[0].lower() for pair in query.split("&") if pair}
    if "api-version" not in names:
        joiner = "&" if query else ("" if url.endswith("?") else "?")
        url = f"{url}{joiner}api-version={quote(target.api_version, safe='')}"
    prepared.url = url
    return prepared
