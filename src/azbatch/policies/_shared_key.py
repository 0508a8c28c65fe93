"""Shared Key request signing for the Batch data plane (account name + base64 account key)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.pipeline.transport import HttpRequest as LegacyHttpRequest
from azure.core.rest import HttpRequest

from .._constants import HEADER_OCP_DATE

if TYPE_CHECKING:
    from azure.core.credentials import AzureNamedKeyCredential

__all__ = ["SharedKeyCredentialPolicy", "sign", "string_to_sign"]

HTTPRequestType = TypeVar("HTTPRequestType", HttpRequest, LegacyHttpRequest)
# Left unconstrained: one instance serves the sync and the async pipeline, whose response types differ.
HTTPResponseType = TypeVar("HTTPResponseType")

# The eleven standard headers, in the order the scheme signs them (after the verb).
_SIGNED_STANDARD_HEADERS = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)
_CANONICAL_HEADER_PREFIX = "ocp-"
# HTTP linear whitespace only; other Unicode spaces are part of the value.
_HTTP_WHITESPACE = " \t\r\n"
_WHITESPACE_RUN = re.compile(f"[{_HTTP_WHITESPACE}]+")
# Remembers, across retries of one pipeline request, that this policy (not the caller) chose ocp-date,
# so each attempt may get a fresh date instead of drifting towards the service's 15-minute window.
_CONTEXT_OWNS_DATE = "azbatch.shared_key.owns_ocp_date"
_KEY_WHAT = "the account key of 'credential'"


def _decode_key(key_b64: str, what: str) -> bytes:
    """Decode a base64 account key; the error names ``what`` and never echoes the key."""
    try:
        key = base64.b64decode(key_b64.strip(), validate=True)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        key = b""
    if not key:
        # `from None`: the decoder's own exception must not travel along in the traceback chain.
        raise ValueError(f"{what} is not a valid non-empty base64 string") from None
    return key


def _fold(value: str) -> str:
    return _WHITESPACE_RUN.sub(" ", value.strip(_HTTP_WHITESPACE))


def _canonicalized_headers(headers: Mapping[str, str]) -> str:
    ocp = sorted(
        (name, _fold(value))
        for name, value in headers.items()
        if name.startswith(_CANONICAL_HEADER_PREFIX) and value
    )
    return "".join(f"{name}:{value}\n" for name, value in ocp)


def _canonicalized_resource(url: str, account_name: str) -> str:
    parts = urlsplit(url)
    # The path is signed as it appears in the URL (still percent-encoded), never decoded.
    resource = f"/{account_name}{parts.path or '/'}"
    params: dict[str, list[str]] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        params.setdefault(name.lower(), []).append(value)
    for name in sorted(params):
        resource += f"\n{name}:{','.join(sorted(params[name]))}"
    return resource


def string_to_sign(method: str, url: str, headers: Mapping[str, str], account_name: str) -> str:
    """Build the Shared Key StringToSign for a request.

    :param method: HTTP verb (any case).
    :param url: absolute request URL; its path is used as encoded, its query values decoded.
    :param headers: request headers; names are matched case-insensitively and empty values count as absent.
    :param account_name: Batch account name.
    :return: the exact text to HMAC. ``Date`` is left empty whenever ``ocp-date`` is present.
    """
    lowered = {name.lower(): value for name, value in headers.items() if value}
    standard = [lowered.get(name, "") for name in _SIGNED_STANDARD_HEADERS]
    if HEADER_OCP_DATE in lowered:
        standard[_SIGNED_STANDARD_HEADERS.index("date")] = ""
    return (
        method.upper()
        + "\n"
        + "".join(f"{value}\n" for value in standard)
        + _canonicalized_headers(lowered)
        + _canonicalized_resource(url, account_name)
    )


def sign(string_to_sign: str, key_b64: str) -> str:
    """Return base64(HMAC-SHA256(base64-decoded ``key_b64``, UTF-8 ``string_to_sign``)).

    :raises ValueError: if ``key_b64`` is not valid base64 (the message does not contain it).
    """
    return _sign_with(_decode_key(key_b64, "key_b64"), string_to_sign)


def _sign_with(key: bytes, string_to_sign: str) -> str:
    digest = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _body_length(http_request: HttpRequest | LegacyHttpRequest) -> int | None:
    """Byte length of an in-memory body, 0 for no body, None when it cannot be known up front."""
    if getattr(http_request, "files", None):
        return None
    data: Any = getattr(http_request, "data", None)
    if data is None or data == b"" or data == "":
        return 0
    if isinstance(data, str):
        return len(data.encode("utf-8"))
    if isinstance(data, (bytes, bytearray, memoryview)):
        return len(data)
    return None


class SharedKeyCredentialPolicy(SansIOHTTPPolicy[HTTPRequestType, HTTPResponseType]):
    """Signs every request with the Batch Shared Key scheme.

    Works in both the sync and the async pipeline. The account name and key are read from the
    credential on every request, so ``credential.update(name, new_key)`` rotates the key in place.
    Place it after the retry policy so that every attempt is signed afresh.

    :param credential: account name and base64 account key.
    :raises TypeError: if ``credential`` is not an ``AzureNamedKeyCredential``-like object.
    :raises ValueError: if the account name is empty or the key is not valid base64.
    """

    def __init__(self, credential: AzureNamedKeyCredential) -> None:
        super().__init__()
        if not hasattr(credential, "named_key"):
            raise TypeError("credential must be an azure.core.credentials.AzureNamedKeyCredential")
        name, key = credential.named_key
        if not name:
            raise ValueError("credential has an empty account name")
        # Decoded once per distinct key string: rotation (credential.update) is still seen at once.
        self._decoded: tuple[str, bytes] = (key, _decode_key(key, _KEY_WHAT))
        self._credential = credential

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account_name={self._credential.named_key.name!r})"

    def on_request(self, request: PipelineRequest[HTTPRequestType]) -> None:
        """Add ``ocp-date`` and ``Content-Length`` where needed, then the ``Authorization`` header."""
        http_request = request.http_request
        headers = http_request.headers

        if request.context.get(_CONTEXT_OWNS_DATE) or not headers.get(HEADER_OCP_DATE):
            headers[HEADER_OCP_DATE] = formatdate(usegmt=True)
            request.context[_CONTEXT_OWNS_DATE] = True

        # An ocp-* header sent empty would be signed differently by readers who drop vs keep empty
        # values; not sending it at all makes both readings agree.
        for name in [
            n for n, v in headers.items() if not v and n.lower().startswith(_CANONICAL_HEADER_PREFIX)
        ]:
            del headers[name]

        if http_request.method.upper() not in ("GET", "HEAD") and not headers.get("Content-Length"):
            length = _body_length(http_request)
            if length is None:
                raise ValueError(
                    "Shared Key signing needs a Content-Length header for a streamed or multipart body"
                )
            # The service checks the signed length against the received one, so it must really be sent.
            headers["Content-Length"] = str(length)

        name, key = self._credential.named_key
        to_sign = string_to_sign(http_request.method, http_request.url, headers, name)
        if key != self._decoded[0]:
            # A rotated key that is not base64 fails here with a message naming no value.
            self._decoded = (key, _decode_key(key, _KEY_WHAT))
        signature = _sign_with(self._decoded[1], to_sign)
        headers["Authorization"] = f"SharedKey {name}:{signature}"
