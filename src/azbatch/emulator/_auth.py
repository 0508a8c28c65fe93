"""Authentication for the Batch emulator: Shared Key, bearer tokens and a managed-identity token endpoint.

This module is the emulator's own, independent implementation of the Batch authentication schemes
(``JOBS-API.md`` §5). It deliberately imports nothing from the azbatch client so that a bug in the
client's signer cannot be masked by the same bug here.

Only :attr:`EmulatorAuth.identity_endpoint_path` must be exempt from :meth:`EmulatorAuth.verify`; every
other path served by the emulator is a Batch request and must be verified.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import email.utils
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, parse_qsl

from aiohttp import web

__all__ = [
    "BATCH_RESOURCE",
    "IDENTITY_API_VERSION",
    "IDENTITY_ENDPOINT_PATH",
    "MAX_CLOCK_SKEW_S",
    "TOKEN_ISSUER",
    "AuthError",
    "EmulatorAuth",
    "canonical_string_to_sign",
]

BATCH_RESOURCE = "https://batch.core.windows.net/"
"""The Entra ID resource (token audience) of the Batch data plane."""

TOKEN_ISSUER = "azbatch-emulator"
"""The ``iss`` claim of every token this emulator issues."""

IDENTITY_ENDPOINT_PATH = "/metadata/identity/oauth2/token"
"""Path of the App Service style managed-identity token route."""

IDENTITY_API_VERSION = "2019-08-01"
"""The App Service managed-identity protocol version that the token route speaks."""

MAX_CLOCK_SKEW_S = 15 * 60
"""How far (either way) a Shared Key request's ``ocp-date``/``Date`` may be from the server clock."""

# Both spellings name the same resource; azure-identity sends the one with the slash.
_BATCH_AUDIENCES = frozenset({BATCH_RESOURCE, BATCH_RESOURCE.rstrip("/")})

# The eleven standard headers of the StringToSign, in their fixed order (JOBS-API.md §5.2).
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

_MSG_FAILED = (
    "Server failed to authenticate the request. "
    "Make sure the value of Authorization header is formed correctly including the signature."
)
_MSG_INVALID = (
    "Authentication information is not given in the correct format. Check the value of Authorization header."
)
_DETAIL_KEY = "AuthenticationErrorDetail"


class AuthError(Exception):
    """A Batch authentication failure that the app turns into a Batch error response.

    ``status`` is 403 for ``AuthenticationFailed`` and 400 for ``InvalidAuthenticationInfo``. ``message``
    and ``values`` never contain a key, token, signature or the identity header.
    """

    status: int
    code: str
    message: str
    values: list[tuple[str, str]]

    def __init__(
        self, status: int, code: str, message: str, values: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.values = list(values or [])

    @classmethod
    def failed(cls, detail: str) -> AuthError:
        """A 403 ``AuthenticationFailed`` with ``detail`` as its ``AuthenticationErrorDetail``."""
        return cls(403, "AuthenticationFailed", _MSG_FAILED, [(_DETAIL_KEY, detail)])

    @classmethod
    def invalid(cls, detail: str) -> AuthError:
        """A 400 ``InvalidAuthenticationInfo`` (malformed ``Authorization``) with ``detail``."""
        return cls(400, "InvalidAuthenticationInfo", _MSG_INVALID, [(_DETAIL_KEY, detail)])


def _collapse(value: str) -> str:
    # Canonicalized header values: trimmed, runs of (folded) whitespace reduced to one space.
    return " ".join(value.split())


def _canonical_query(query: str, lowercase_names: bool) -> list[str]:
    if not query:
        return []
    if lowercase_names:
        # Documented scheme: names lowercased, every value URL-decoded, several values sorted and comma-joined.
        grouped: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            grouped.setdefault(name.lower(), []).append(value)
        return [f"{name}:{','.join(sorted(grouped[name]))}" for name in sorted(grouped)]
    # azure-batch 15.1's BatchSharedKeyAuthPolicy: parse_qs (blank values dropped), names as sent with
    # Python's case-sensitive sort, first value only.
    parsed = parse_qs(query)
    return [f"{name}:{parsed[name][0]}" for name in sorted(parsed)]


def canonical_string_to_sign(
    method: str,
    raw_path_and_query: str,
    headers: Mapping[str, str],
    account: str,
    *,
    lowercase_names: bool = True,
) -> str:
    """Build the Shared Key StringToSign of a request as the Batch service sees it (JOBS-API.md §5.2).

    ``raw_path_and_query`` is the request target exactly as sent (percent-encoding preserved); header
    names are matched case-insensitively and absent headers count as empty. ``Date`` is left empty when
    an ``ocp-date`` header is present. With ``lowercase_names`` (the documented scheme) query names are
    lowercased; without it, the query is canonicalized the way azure-batch 15.1 signs it (names as sent,
    case-sensitive order, blank values dropped, first value only).
    """
    by_name: dict[str, list[str]] = {}
    for name, value in headers.items():
        by_name.setdefault(name.lower(), []).append(value)

    def header(name: str) -> str:
        return ",".join(by_name.get(name, ()))

    standard = [header(name) for name in _SIGNED_STANDARD_HEADERS]
    if "ocp-date" in by_name:
        standard[_SIGNED_STANDARD_HEADERS.index("date")] = ""

    ocp_headers = "".join(
        f"{name}:{','.join(_collapse(v) for v in by_name[name])}\n"
        for name in sorted(by_name)
        if name.startswith("ocp-")
    )
    path, _, query = raw_path_and_query.partition("?")
    resource = "\n".join([f"/{account}{path}", *_canonical_query(query, lowercase_names)])
    return "".join(f"{line}\n" for line in [method.upper(), *standard]) + ocp_headers + resource


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _same(expected: str, given: str) -> bool:
    # compare_digest on str rejects non-ASCII input with TypeError; bytes keep the comparison total.
    return hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8", "surrogateescape"))


class EmulatorAuth:
    """Verifies Batch requests (Shared Key or emulator-issued bearer tokens) and issues tokens.

    Tokens come from :meth:`issue_token` or from the App Service style managed-identity route that
    :meth:`add_routes` adds at :attr:`identity_endpoint_path`; point azure-identity at it with
    ``IDENTITY_ENDPOINT=<base url><identity_endpoint_path>`` and ``IDENTITY_HEADER=<identity_header>``.
    That route is the only path the app must exempt from :meth:`verify`. Call :meth:`add_routes` before
    adding any catch-all route, so that the catch-all does not shadow it.

    ``clock`` returns the current epoch time in seconds; it exists so tests can pin time.
    """

    account: str
    """The Batch account name that Shared Key requests must name and sign."""

    enabled: bool
    """When false, :meth:`verify` accepts every request (the token route keeps working)."""

    token_ttl_s: int
    """Lifetime in seconds of issued tokens."""

    identity_endpoint_path: str
    """Path of the managed-identity token route (exempt from :meth:`verify`)."""

    identity_header: str
    """The random per-instance value clients must send as ``X-IDENTITY-HEADER`` to get a token."""

    def __init__(
        self,
        account: str,
        key: str,
        *,
        enabled: bool = True,
        token_ttl_s: int = 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not account:
            raise ValueError("account name must not be empty")
        if token_ttl_s < 0:
            raise ValueError("token_ttl_s must not be negative")
        try:
            self._key = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            # `from None`: the chained error could quote the key.
            raise ValueError("account key is not valid base64") from None
        self.account = account
        self.enabled = enabled
        self.token_ttl_s = token_ttl_s
        self._clock = clock
        self.identity_endpoint_path = IDENTITY_ENDPOINT_PATH
        self.identity_header = secrets.token_urlsafe(32)
        # Tokens are signed with their own secret, not the account key: a leaked token must not help
        # anyone forge Shared Key signatures.
        self._token_secret = secrets.token_bytes(32)
        self._principal_id = str(uuid.uuid4())
        self._tenant_id = str(uuid.uuid4())

    def __repr__(self) -> str:
        return (
            f"EmulatorAuth(account={self.account!r}, enabled={self.enabled!r}, "
            f"token_ttl_s={self.token_ttl_s!r}, identity_endpoint_path={self.identity_endpoint_path!r})"
        )

    # -- Batch request verification ---------------------------------------------------------------

    def verify(self, request: web.Request) -> None:
        """Authenticate one Batch request from its method, raw target and headers; raise :class:`AuthError`.

        Never reads the body. Does nothing when the instance was created with ``enabled=False``.
        """
        if not self.enabled:
            return
        values = request.headers.getall("Authorization", [])
        if not values:
            raise AuthError.failed("The request has no Authorization header.")
        if len(values) > 1:
            raise AuthError.invalid("The request has more than one Authorization header.")
        scheme, _, credentials = values[0].strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "sharedkey":
            self._verify_shared_key(request, credentials)
        elif scheme.lower() == "bearer":
            self._verify_bearer(credentials)
        else:
            raise AuthError.invalid("The Authorization scheme must be SharedKey or Bearer.")

    def _signature(self, string_to_sign: str) -> str:
        digest = hmac.new(self._key, string_to_sign.encode("utf-8"), hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")

    def _verify_shared_key(self, request: web.Request, credentials: str) -> None:
        account, colon, signature = credentials.partition(":")
        if not colon or not account or not signature or " " in credentials:
            raise AuthError.invalid(
                "A SharedKey Authorization header must be 'SharedKey <account>:<signature>'."
            )
        if account != self.account:
            raise AuthError.failed(
                f"The account name '{account}' in the Authorization header is not this account."
            )
        self._check_date(request)

        method, target, headers = request.method, request.raw_path, request.headers
        documented = canonical_string_to_sign(method, target, headers, self.account, lowercase_names=True)
        if _same(self._signature(documented), signature):
            return
        # Only on the failure path: also accept the as-sent query names that azure-batch 15.1 signs.
        as_sent = canonical_string_to_sign(method, target, headers, self.account, lowercase_names=False)
        if as_sent != documented and _same(self._signature(as_sent), signature):
            return
        raise AuthError.failed(
            "The MAC signature found in the HTTP request is not the same as any computed signature. "
            f"Server used following string to sign: '{documented}'."
        )

    def _check_date(self, request: web.Request) -> None:
        name = "ocp-date" if "ocp-date" in request.headers else "Date"
        raw = request.headers.get(name)
        if raw is None:
            raise AuthError.failed("The request must carry an ocp-date (or Date) header for Shared Key.")
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            raise AuthError.failed(f"The {name} header value '{raw}' is not a valid RFC 1123 date.") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        skew = when.timestamp() - self._clock()
        if abs(skew) > MAX_CLOCK_SKEW_S:
            now = datetime.datetime.fromtimestamp(self._clock(), datetime.timezone.utc)
            raise AuthError.failed(
                f"Request date {raw} ({name}) is more than {MAX_CLOCK_SKEW_S // 60} minutes "
                f"{'before' if skew < 0 else 'after'} the server time {email.utils.format_datetime(now, True)}."
            )

    # -- bearer tokens ----------------------------------------------------------------------------

    def _token_signature(self, signing_input: str) -> str:
        return _b64url(hmac.new(self._token_secret, signing_input.encode("ascii"), hashlib.sha256).digest())

    def issue_token(self, resource: str, *, client_id: str | None = None) -> tuple[str, int]:
        """Mint a bearer token whose audience is ``resource``; return ``(access_token, expires_on)``.

        The token is JWT-shaped and HMAC-SHA256 signed with a per-instance secret. ``resource`` is not
        checked here (so tests can mint wrong-audience tokens); :meth:`verify` only accepts
        :data:`BATCH_RESOURCE`. ``expires_on`` is in epoch seconds.
        """
        issued_at = int(self._clock())
        expires_on = issued_at + self.token_ttl_s
        principal = client_id or self._principal_id
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "aud": resource,
            "iss": TOKEN_ISSUER,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": expires_on,
            "oid": principal,
            "appid": principal,
            "sub": principal,
            "tid": self._tenant_id,
            "jti": str(uuid.uuid4()),
        }
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode("utf-8")) for part in (header, claims)
        )
        return f"{signing_input}.{self._token_signature(signing_input)}", expires_on

    def _verify_bearer(self, token: str) -> None:
        if not token:
            raise AuthError.invalid("A Bearer Authorization header must carry a token.")
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise AuthError.failed("The bearer token is malformed: it is not a three-part JWT.")
        signing_input = f"{parts[0]}.{parts[1]}"
        if not signing_input.isascii() or not _same(self._token_signature(signing_input), parts[2]):
            raise AuthError.failed(
                "The bearer token signature is invalid: it was not issued by this emulator."
            )
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
        except (binascii.Error, ValueError):
            raise AuthError.failed(
                "The bearer token is malformed: its header or claims are not JSON."
            ) from None
        if not isinstance(header, dict) or header.get("alg") != "HS256" or not isinstance(claims, dict):
            raise AuthError.failed("The bearer token is malformed: unexpected header or claims.")
        if claims.get("iss") != TOKEN_ISSUER:
            raise AuthError.failed(f"The bearer token issuer is not '{TOKEN_ISSUER}'.")
        audience = claims.get("aud")
        if audience not in _BATCH_AUDIENCES:
            raise AuthError.failed(f"The bearer token audience '{audience}' is not '{BATCH_RESOURCE}'.")
        expires_on, not_before = claims.get("exp"), claims.get("nbf", 0)
        if not isinstance(expires_on, int) or not isinstance(not_before, int):
            raise AuthError.failed("The bearer token is malformed: exp/nbf are not integers.")
        now = self._clock()
        if now >= expires_on:
            raise AuthError.failed(f"The bearer token expired at epoch {expires_on}.")
        if now < not_before:
            raise AuthError.failed(f"The bearer token is not valid before epoch {not_before}.")

    # -- managed-identity token endpoint ----------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """Add the managed-identity token route (``GET`` :attr:`identity_endpoint_path`) to ``app``."""
        app.router.add_get(self.identity_endpoint_path, self._handle_token)

    async def _handle_token(self, request: web.Request) -> web.Response:
        # Works even when verification is disabled: clients may still be configured for Entra ID.
        given = request.headers.get("X-IDENTITY-HEADER")
        if given is None:
            return _identity_error(400, "invalid_request", "The X-IDENTITY-HEADER header is missing.")
        if not _same(self.identity_header, given):
            return _identity_error(401, "unauthorized_client", "The X-IDENTITY-HEADER value is not valid.")
        query = request.rel_url.query
        if query.get("api-version") != IDENTITY_API_VERSION:
            return _identity_error(400, "invalid_request", f"api-version must be '{IDENTITY_API_VERSION}'.")
        resource = query.get("resource")
        if not resource:
            return _identity_error(400, "invalid_request", "The resource query parameter is required.")
        if resource not in _BATCH_AUDIENCES:
            return _identity_error(
                400, "invalid_resource", f"Unknown resource '{resource}'; only '{BATCH_RESOURCE}' is served."
            )
        client_id = query.get("client_id") or None
        access_token, expires_on = self.issue_token(resource, client_id=client_id)
        body = {
            "access_token": access_token,
            "expires_on": str(expires_on),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": client_id or self._principal_id,
        }
        return web.json_response(body, headers={"Cache-Control": "no-store"})


def _identity_error(status: int, error: str, description: str) -> web.Response:
    # App Service reports statusCode/message (read by msal); error/error_description serve OAuth-style readers.
    body = {"statusCode": status, "message": description, "error": error, "error_description": description}
    return web.json_response(body, status=status)
