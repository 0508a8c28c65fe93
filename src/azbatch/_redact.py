"""The one place that decides what a secret looks like in text this package shows.

Logs, model reprs, the client's repr and exception messages all pass text through these helpers, so
that a SAS signature in a ``commandLine``, a key in a connection string held by an environment
setting, a password in a URL or a bearer token is masked the same way everywhere.

Masking is by shape, not by knowing every secret: what follows a credential-looking name (``sig=``,
``AccountKey=``, ``"password": ``), the user info of a URL, the credential after ``Bearer`` or
``SharedKey``, and anything shaped like a JWT. It errs on the side of hiding too much.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "MASK",
    "excerpt",
    "is_secret_name",
    "mask_exception",
    "mask_headers",
    "mask_text",
    "mask_url_query",
]

MASK = "REDACTED"

# Names whose "=" value is a credential: SAS and OAuth query parameters, the keys of Azure connection
# strings (AccountKey=, SharedAccessKey=, SharedAccessSignature=) and common command-line spellings.
_ASSIGNED_NAMES = (
    r"sig|signature|sas|sastoken|sas_token|token|access_token|refresh_token|id_token|"
    r"client_secret|secret|password|passwd|pwd|apikey|api_key|api-key|accountkey|"
    r"sharedaccesskey|sharedaccesssignature"
)
# Names too common in ordinary text ("exit code=1", a repr's "key='JobId'") to count unless they are
# a query parameter: after "?", "&" or ";".
_QUERY_NAMES = r"code|key"
# JSON (or Python dict repr) properties whose string value is a credential. "key" is not one: Batch
# error details are {"key": ..., "value": ...} pairs with nothing secret in them.
_PROPERTY_NAMES = (
    r"accountkey|saskey|sastoken|password|sshprivatekey|secret|clientsecret|client_secret|"
    r"accesstoken|access_token|refreshtoken|refresh_token|apikey|api_key|connectionstring"
)
# Last word of a command-line option whose argument is a credential (--account-key, --sas-token...).
_FLAG_NAMES = r"password|passwd|pwd|secret|token|key|sas|sig|signature|connection-string"
_ESCAPED = r"(?<=%26)|(?<=%3[Ff])"
_QUOTED = r"\"(?:[^\"\\]|\\.)*(?:\"|\Z)|'(?:[^'\\]|\\.)*(?:'|\Z)"

_SECRET = re.compile(
    # name=value; the name stands alone (not "monkey=") or follows an escaped "&" / "?" (%26, %3F).
    r"(?P<assign>(?:(?:(?<![A-Za-z0-9_])|" + _ESCAPED + r")(?:" + _ASSIGNED_NAMES + r")"
    r"|(?:(?<=[?&;])|" + _ESCAPED + r")(?:" + _QUERY_NAMES + r"))(?:=|%3[Dd]))"
    r"(?P<assign_value>" + _QUOTED + r"|[^&\s\"'<>;\\]*)"
    # "password": "value" (JSON) or 'password': 'value' (a dict's repr)
    r"|(?P<prop>[\"'](?:" + _PROPERTY_NAMES + r")[\"']\s*:\s*)(?P<prop_value>" + _QUOTED + r")"
    # a command-line option taking a credential: --account-key KEY, --sas-token "...", --key=x
    r"|(?P<flag>(?<![\w-])--?(?:[a-z]+-)*(?:" + _FLAG_NAMES + r")(?:\s+|=))"
    r"(?P<flag_value>" + _QUOTED + r"|[^\s\"'<>;&|]+)"
    # an Authorization header written out as text, whatever its scheme
    r"|(?P<header>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)(?P<header_value>[^\"'\r\n]+)"
    # the credential after an HTTP authorization scheme (case-sensitive: "a basic example" is prose)
    r"|(?P<scheme>(?-i:\b(?:Bearer|SharedKey)\s+))(?P<scheme_value>[^\s\"',;]+)"
    r"|(?P<basic>(?-i:\bBasic\s+))(?P<basic_value>[A-Za-z0-9+/]{8,}={0,2})"
    # user info of a URL: scheme://user:password@host
    r"|(?P<url>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@?#\"'<>]+)(?P<at>@)"
    # a JSON Web Token (what Entra ID issues), wherever it appears
    r"|(?P<jwt>\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*)",
    re.IGNORECASE,
)
# Cheap pre-check: text containing none of these cannot match any rule above.
_TRIGGERS = re.compile(r"[=@:]|%3[Dd]|bearer|sharedkey|basic|eyJ|-(?:" + _FLAG_NAMES + r")\s", re.IGNORECASE)

_SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-identity-header",
        "cookie",
        "set-cookie",
        "x-ms-encryption-key",
        "ocp-apim-subscription-key",
    }
)


def _requoted(value: str) -> str:
    """:data:`MASK` in the quotes ``value`` had, if any."""
    if value[:1] in ("'", '"'):  # keep the quotes, so JSON or a repr stays well-formed
        return value[0] + MASK + value[0]
    return MASK


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "assign_value":
        return match.group("assign") + _requoted(match.group("assign_value"))
    if kind == "prop_value":
        return match.group("prop") + _requoted(match.group("prop_value"))
    if kind == "flag_value":
        return match.group("flag") + _requoted(match.group("flag_value"))
    if kind == "header_value":
        return match.group("header") + MASK
    if kind == "scheme_value":
        return match.group("scheme") + MASK
    if kind == "basic_value":
        return match.group("basic") + MASK
    if kind == "at":
        return match.group("url") + MASK + "@"
    return MASK  # a JWT


def mask_text(text: str) -> str:
    """``text`` with every credential found in it replaced by :data:`MASK`.

    Masked: values of credential query parameters and assignments (``sig=``, ``AccountKey=``,
    ``--password=``...), secret JSON properties, ``Authorization`` values, ``Bearer``/``SharedKey``
    credentials, URL user info and JWTs. Text without any of them is returned unchanged.
    """
    if not _TRIGGERS.search(text):  # the common case costs one scan
        return text
    return _SECRET.sub(_replace, text)


def mask_url_query(url: str) -> str:
    """A URL with its whole query string replaced by :data:`MASK` (for properties that hold SAS URLs).

    User info, if the URL has any, is masked too.
    """
    head, sep, _query = url.partition("?")
    if not sep:
        return mask_text(url)
    fragment = url.partition("#")[2]
    return f"{mask_text(head)}?{MASK}" + (f"#{fragment}" if fragment else "")


def mask_headers(headers: Mapping[str, Any]) -> dict[str, str]:
    """A copy of ``headers`` with credential headers masked and secrets in the others masked too."""
    return {
        name: (MASK if name.lower() in _SECRET_HEADERS else mask_text(str(value)))
        for name, value in headers.items()
    }


def excerpt(text: str, limit: int = 200) -> str:
    """A short, secret-masked excerpt of ``text`` for an error message (never the whole body).

    Masking runs on a window longer than the excerpt, so that a secret whose name lies inside the
    excerpt but whose value runs past its end is still recognised and hidden.
    """
    window = text[: max(4 * limit, 4096)]
    masked = mask_text(window)
    if len(masked) <= limit and len(window) == len(text):
        return masked
    return masked[:limit] + f"... ({len(text)} characters in all)"


# {"name": ..., "value": ...} pairs (environment settings, metadata) whose name says the value is secret.
_SECRET_NAME = re.compile(r"(?i)password|passwd|secret|token|key|sas|signature|credential|connection")


def is_secret_name(name: object) -> bool:
    """Whether a name/value pair's name (``DB_PASSWORD``, ``api_token``) says its value is a secret."""
    return isinstance(name, str) and bool(_SECRET_NAME.search(name))


def mask_exception(error: BaseException) -> None:
    """Mask, in place, the text an exception shows (``str()``, azure-core's ``message`` and ``exc_msg``).

    Transports put the request URL into their messages (aiohttp: ``url='...?sig=...'``); a SAS there
    must not reach the caller's logs through ``str(error)``.
    """
    if error.args and isinstance(error.args[0], str):
        error.args = (mask_text(error.args[0]), *error.args[1:])
    for name in ("message", "exc_msg"):
        value = getattr(error, name, None)
        if isinstance(value, str):
            # A read-only property on some exception type stays as it is: str() is masked anyway.
            with contextlib.suppress(AttributeError):
                setattr(error, name, mask_text(value))
