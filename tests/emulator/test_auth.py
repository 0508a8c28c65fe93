"""Tests for the emulator's authentication (azbatch.emulator._auth) over real loopback HTTP.

Requests are signed by a small signer written here from JOBS-API.md §5.2, independent of both the
emulator's verifier and the client's signing policy, so that one implementation's bug cannot hide another's.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import email.utils
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import unquote_plus

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ManagedIdentityCredential
from azure.identity.aio import ManagedIdentityCredential as AioManagedIdentityCredential
from yarl import URL

from azbatch.emulator._auth import (
    BATCH_RESOURCE,
    AuthError,
    EmulatorAuth,
    canonical_string_to_sign,
)

ACCOUNT = "myaccount"
KEY = base64.b64encode(b"emulator-test-key-0123456789").decode()
OTHER_KEY = base64.b64encode(b"some-other-key").decode()
API = "api-version=2024-02-01.19.0"
SCOPE = "https://batch.core.windows.net//.default"
JSON_CT = "application/json; odata=minimalmetadata"
TIMEOUT = aiohttp.ClientTimeout(total=10)

# ---------------------------------------------------------------------------------------------------
# Independent test signer (JOBS-API.md §5.2)
# ---------------------------------------------------------------------------------------------------

_STANDARD = [
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-MD5",
    "Content-Type",
    "Date",
    "If-Modified-Since",
    "If-Match",
    "If-None-Match",
    "If-Unmodified-Since",
    "Range",
]


def sts_for(
    method: str, target: str, headers: dict[str, str], account: str, *, lowercase: bool = True
) -> str:
    """StringToSign per §5.2, written from the doc (query names lowercased unless ``lowercase`` is False)."""
    lower = {name.lower(): value for name, value in headers.items()}
    out = method + "\n"
    for name in _STANDARD:
        value = lower.get(name.lower(), "")
        if name == "Date" and "ocp-date" in lower:
            value = ""
        out += value + "\n"
    for name in sorted(n for n in lower if n.startswith("ocp-")):
        out += f"{name}:{lower[name].strip()}\n"
    path, _, query = target.partition("?")
    out += "/" + account + path
    pairs = []
    for item in query.split("&") if query else []:
        name, _, value = item.partition("=")
        pairs.append((name.lower() if lowercase else name, unquote_plus(value)))
    for name, value in sorted(pairs):
        out += f"\n{name}:{value}"
    return out


def shared_key(sts: str, account: str = ACCOUNT, key: str = KEY) -> str:
    mac = hmac.new(base64.b64decode(key), sts.encode("utf-8"), hashlib.sha256).digest()
    return f"SharedKey {account}:{base64.b64encode(mac).decode()}"


def rfc1123(when: datetime.datetime | None = None) -> str:
    when = when or datetime.datetime.now(datetime.timezone.utc)
    return email.utils.format_datetime(when.astimezone(datetime.timezone.utc), usegmt=True)


def signed(
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    *,
    account: str = ACCOUNT,
    key: str = KEY,
    lowercase: bool = True,
    date: str | None = None,
    sign_target: str | None = None,
) -> dict[str, str]:
    """Headers for a Shared Key request; ``sign_target`` signs a different target than the one sent."""
    out = {"ocp-date": date or rfc1123(), **(headers or {})}
    sts = sts_for(method, sign_target or target, out, account, lowercase=lowercase)
    out["Authorization"] = shared_key(sts, account, key)
    return out


# ---------------------------------------------------------------------------------------------------
# Loopback server
# ---------------------------------------------------------------------------------------------------

Serve = Callable[[EmulatorAuth], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start a tiny app (token route + catch-all that calls verify) on 127.0.0.1:0; yield its base URL."""
    runners: list[web.AppRunner] = []

    async def start(auth: EmulatorAuth) -> str:
        app = web.Application()
        auth.add_routes(app)

        async def catch_all(request: web.Request) -> web.Response:
            try:
                auth.verify(request)
            except AuthError as exc:
                body = {
                    "code": exc.code,
                    "message": exc.message,
                    "values": [{"key": k, "value": v} for k, v in exc.values],
                }
                return web.json_response(body, status=exc.status)
            payload = await request.read()
            seen = {"raw_path": request.raw_path, "content_length": request.headers.get("Content-Length")}
            return web.json_response({"ok": True, "body_len": len(payload), **seen})

        app.router.add_route("*", "/{tail:.*}", catch_all)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # aiohttp would add "Content-Type: application/octet-stream" to body-less POSTs, an unsigned header
    # the service then sees; azure-core's aiohttp transport skips it the same way.
    async with aiohttp.ClientSession(timeout=TIMEOUT, skip_auto_headers=["Content-Type"]) as s:
        yield s


@pytest.fixture
def auth() -> EmulatorAuth:
    return EmulatorAuth(ACCOUNT, KEY)


async def send(
    session: aiohttp.ClientSession,
    base: str,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    # encoded=True: the target goes on the wire byte for byte, as it was signed.
    async with session.request(method, URL(base + target, encoded=True), headers=headers, data=body) as resp:
        return resp.status, await resp.json()


def detail(body: dict[str, Any]) -> str:
    return " ".join(v["value"] for v in body["values"] if v["key"] == "AuthenticationErrorDetail")


def assert_failed(status: int, body: dict[str, Any], *, mentions: str = "") -> None:
    assert (status, body["code"]) == (403, "AuthenticationFailed"), body
    assert mentions.lower() in detail(body).lower(), body


# ---------------------------------------------------------------------------------------------------
# StringToSign builder against the JOBS-API.md §5.2 test vectors
# ---------------------------------------------------------------------------------------------------

VECTOR_DATE = "Tue, 29 Jul 2014 21:49:13 GMT"
VECTORS = [
    (
        "GET",
        "/jobs?api-version=2024-02-01.19.0&timeout=20",
        {"ocp-date": VECTOR_DATE},
        "GET"
        + "\n" * 12
        + f"ocp-date:{VECTOR_DATE}\n/myaccount/jobs\napi-version:2024-02-01.19.0\ntimeout:20",
        "SharedKey myaccount:W1knKUfg0kDIUY5aR+iYW4qby8A0gDkjCKSNCEgYgWk=",
    ),
    (
        "POST",
        "/jobs/job-1/enable?api-version=2024-02-01.19.0",
        {"ocp-date": VECTOR_DATE, "Content-Length": "0"},
        "POST\n\n\n0\n"
        + "\n" * 8
        + f"ocp-date:{VECTOR_DATE}\n/myaccount/jobs/job-1/enable\napi-version:2024-02-01.19.0",
        "SharedKey myaccount:elkt8SFBn6qkOIqWA9gulEqjbEEO1O9n3w84jBTgcII=",
    ),
]


@pytest.mark.parametrize(("method", "target", "headers", "sts", "authorization"), VECTORS)
def test_string_to_sign_matches_doc_vectors(
    method: str, target: str, headers: dict[str, str], sts: str, authorization: str
) -> None:
    for lowercase in (True, False):
        assert (
            canonical_string_to_sign(method, target, headers, "myaccount", lowercase_names=lowercase) == sts
        )
    # The test signer agrees with the doc too, so the loopback tests below rest on a checked signer.
    assert sts_for(method, target, headers, "myaccount") == sts
    assert shared_key(sts, "myaccount", "c2VjcmV0") == authorization


@pytest.mark.parametrize(("method", "target", "headers", "sts", "authorization"), VECTORS)
async def test_verify_accepts_doc_vectors_at_their_time(
    method: str, target: str, headers: dict[str, str], sts: str, authorization: str
) -> None:
    signed_at = email.utils.parsedate_to_datetime(VECTOR_DATE).timestamp()
    auth = EmulatorAuth("myaccount", "c2VjcmV0", clock=lambda: signed_at + 60)
    auth.verify(make_mocked_request(method, target, headers={**headers, "Authorization": authorization}))
    bad = authorization[:-4] + ("AAA=" if not authorization.endswith("AAA=") else "BBB=")
    with pytest.raises(AuthError) as info:
        auth.verify(make_mocked_request(method, target, headers={**headers, "Authorization": bad}))
    assert (info.value.status, info.value.code) == (403, "AuthenticationFailed")
    # Like the service, the detail shows the server's StringToSign (not a secret) ...
    assert sts in dict(info.value.values)["AuthenticationErrorDetail"]
    # ... but never the expected signature.
    assert authorization.split(":")[1] not in str(info.value.values) + str(info.value)


def test_string_to_sign_details() -> None:
    headers = {
        "OCP-Date": "Tue, 29 Jul 2014 21:49:13 GMT",
        "Date": "Wed, 30 Jul 2014 00:00:00 GMT",  # ignored: ocp-date wins
        "ocp-custom": "  a   b ",
        "Content-Type": JSON_CT,
        "Content-Length": "12",
        "If-Match": '"0x8D4"',
    }
    target = "/jobs/my%20job?timeOut=5&$filter=state%20eq%20%27active%27&api-version=x&b=2&B=1"
    documented = canonical_string_to_sign("post", target, headers, "acct")
    assert documented == (
        f'POST\n\n\n12\n\n{JSON_CT}\n\n\n"0x8D4"\n\n\n\n'
        "ocp-custom:a b\nocp-date:Tue, 29 Jul 2014 21:49:13 GMT\n"
        "/acct/jobs/my%20job\n$filter:state eq 'active'\napi-version:x\nb:1,2\ntimeout:5"
    )
    as_sent = canonical_string_to_sign("POST", target, headers, "acct", lowercase_names=False)
    assert as_sent.endswith(
        "/acct/jobs/my%20job\n$filter:state eq 'active'\nB:1\napi-version:x\nb:2\ntimeOut:5"
    )
    # Without ocp-date the Date header takes its standard slot.
    no_ocp = canonical_string_to_sign("GET", "/jobs", {"Date": VECTOR_DATE}, "acct")
    assert no_ocp == "GET" + "\n" * 6 + VECTOR_DATE + "\n" * 6 + "/acct/jobs"


# ---------------------------------------------------------------------------------------------------
# Shared Key over loopback
# ---------------------------------------------------------------------------------------------------


async def test_shared_key_get_passes(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs?{API}&timeout=20&maxresults=10"
    status, body = await send(session, base, "GET", target, signed("GET", target))
    assert (status, body["ok"], body["content_length"]) == (200, True, None)


async def test_shared_key_post_with_json_body_passes(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    payload = json.dumps({"id": "job-1", "poolInfo": {"poolId": "pool-1"}}).encode()
    target = f"/jobs?{API}"
    headers = signed("POST", target, {"Content-Type": JSON_CT, "Content-Length": str(len(payload))})
    status, body = await send(session, base, "POST", target, headers, payload)
    assert (status, body["ok"], body["body_len"]) == (200, True, len(payload))


async def test_shared_key_bodyless_post_with_content_length_zero_passes(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs/job-1/enable?{API}"
    status, body = await send(session, base, "POST", target, signed("POST", target, {"Content-Length": "0"}))
    assert (status, body["content_length"]) == (200, "0")


async def test_shared_key_percent_encoded_path_is_signed_as_sent(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs/job%2D1?{API}&$filter=state%20eq%20%27active%27"
    status, body = await send(session, base, "GET", target, signed("GET", target))
    assert (status, body["raw_path"]) == (200, target)
    # Signing the decoded path instead does not match what was sent.
    decoded = f"/jobs/job-1?{API}&$filter=state%20eq%20%27active%27"
    status, body = await send(session, base, "GET", target, signed("GET", target, sign_target=decoded))
    assert_failed(status, body, mentions="/myaccount/jobs/job%2D1")


async def test_mixed_case_query_name_signed_either_way_passes(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs?{API}&$skipToken=abc&timeOut=10"
    for lowercase in (False, True):  # as-sent (azure-batch 15.1) and the documented lowercased form
        status, body = await send(session, base, "GET", target, signed("GET", target, lowercase=lowercase))
        assert status == 200, (lowercase, body)
    # A signature over a different value still fails in both forms.
    other = f"/jobs?{API}&$skipToken=abd&timeOut=10"
    for lowercase in (False, True):
        headers = signed("GET", target, lowercase=lowercase, sign_target=other)
        status, body = await send(session, base, "GET", target, headers)
        assert_failed(status, body, mentions="string to sign")


async def test_shared_key_rejections(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs/job-1?{API}"

    # Tampered path: signed for job-1, sent for job-2.
    tampered = f"/jobs/job-2?{API}"
    status, body = await send(session, base, "GET", tampered, signed("GET", target))
    assert_failed(status, body, mentions="/myaccount/jobs/job-2")

    status, body = await send(session, base, "GET", target, signed("GET", target, key=OTHER_KEY))
    assert_failed(status, body, mentions="signature")

    status, body = await send(session, base, "GET", target, signed("GET", target, account="otheraccount"))
    assert_failed(status, body, mentions="otheraccount")

    now = datetime.datetime.now(datetime.timezone.utc)
    for delta in (-20, 20):  # stale and too far in the future
        date = rfc1123(now + datetime.timedelta(minutes=delta))
        status, body = await send(session, base, "GET", target, signed("GET", target, date=date))
        assert_failed(status, body, mentions="15 minutes")

    status, body = await send(session, base, "GET", target)
    assert_failed(status, body, mentions="no authorization header")

    # Signed without any date header.
    headers = {"Authorization": shared_key(sts_for("GET", target, {}, ACCOUNT))}
    status, body = await send(session, base, "GET", target, headers)
    assert_failed(status, body, mentions="ocp-date")

    headers = signed("GET", target)
    headers["ocp-date"] = "yesterday-ish"
    status, body = await send(session, base, "GET", target, headers)
    assert_failed(status, body, mentions="not a valid RFC 1123 date")

    # A header that was signed but dropped on the way (ocp-date present, Content-Type lost).
    headers = signed("POST", target, {"Content-Type": JSON_CT, "Content-Length": "2"})
    del headers["Content-Type"]
    status, body = await send(session, base, "POST", target, {**headers, "Content-Length": "2"}, b"{}")
    assert_failed(status, body, mentions="signature")


async def test_shared_key_accepts_date_header_without_ocp_date(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs?{API}"
    headers = {"Date": rfc1123()}
    headers["Authorization"] = shared_key(sts_for("GET", target, headers, ACCOUNT))
    status, _ = await send(session, base, "GET", target, headers)
    assert status == 200


@pytest.mark.parametrize(
    "authorization",
    ["SharedKey myaccount", "SharedKey :sig", "SharedKey myaccount:", "Basic dXNlcjpwYXNz", "Bearer"],
)
async def test_malformed_authorization_is_invalid_authentication_info(
    authorization: str, auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs?{API}"
    headers = {"ocp-date": rfc1123(), "Authorization": authorization}
    status, body = await send(session, base, "GET", target, headers)
    assert (status, body["code"]) == (400, "InvalidAuthenticationInfo"), body


async def test_error_responses_leak_no_secrets(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    target = f"/jobs?{API}"
    headers = signed("GET", target, key=OTHER_KEY)
    status, body = await send(session, base, "GET", target, headers)
    assert status == 403
    text = json.dumps(body)
    expected = signed("GET", target, date=headers["ocp-date"])["Authorization"].split(":")[1]
    for secret in (KEY, expected, headers["Authorization"].split(":")[1], auth.identity_header):
        assert secret not in text


# ---------------------------------------------------------------------------------------------------
# Managed identity and bearer tokens
# ---------------------------------------------------------------------------------------------------


def point_identity_env(monkeypatch: pytest.MonkeyPatch, endpoint: str, header: str) -> None:
    """Make azure-identity's ManagedIdentityCredential pick the App Service flow and reach us directly."""
    for name in (
        "IDENTITY_SERVER_THUMBPRINT",
        "IMDS_ENDPOINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "AZURE_CLIENT_ID",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("IDENTITY_ENDPOINT", endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", header)


async def test_async_managed_identity_credential_token_passes_verify(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await serve(auth)
    point_identity_env(monkeypatch, base + auth.identity_endpoint_path, auth.identity_header)
    async with AioManagedIdentityCredential() as cred:
        token = await asyncio.wait_for(cred.get_token(SCOPE), 10)
    assert token.expires_on > datetime.datetime.now().timestamp() + 3000
    status, body = await send(
        session, base, "GET", f"/jobs?{API}", {"Authorization": f"Bearer {token.token}"}
    )
    assert (status, body["ok"]) == (200, True)


async def test_sync_managed_identity_credential_token_passes_verify(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await serve(auth)
    point_identity_env(monkeypatch, base + auth.identity_endpoint_path, auth.identity_header)

    def fetch() -> str:
        with ManagedIdentityCredential(client_id="11111111-2222-3333-4444-555555555555") as cred:
            return str(cred.get_token(SCOPE).token)

    # The sync credential blocks, and the server runs on this loop: fetch from a worker thread.
    token = await asyncio.wait_for(asyncio.to_thread(fetch), 10)
    status, _ = await send(session, base, "GET", f"/jobs?{API}", {"Authorization": f"Bearer {token}"})
    assert status == 200


async def test_token_endpoint_response_shape(
    auth: EmulatorAuth, serve: Serve, session: aiohttp.ClientSession
) -> None:
    base = await serve(auth)
    url = URL(base + auth.identity_endpoint_path).with_query(
        {"api-version": "2019-08-01", "resource": BATCH_RESOURCE, "client_id": "abc"}
    )
    async with session.get(url, headers={"X-IDENTITY-HEADER": auth.identity_header}) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert set(body) >= {"access_token", "expires_on", "resource", "token_type"}
    assert (body["resource"], body["token_type"], body["client_id"]) == (BATCH_RESOURCE, "Bearer", "abc")
    assert isinstance(body["expires_on"], str) and int(body["expires_on"]) > 0
    claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
    assert (claims["aud"], claims["iss"], claims["appid"]) == (BATCH_RESOURCE, "azbatch-emulator", "abc")


@pytest.mark.parametrize(
    ("header", "query", "status"),
    [
        (None, {"api-version": "2019-08-01", "resource": BATCH_RESOURCE}, 400),
        ("wrong", {"api-version": "2019-08-01", "resource": BATCH_RESOURCE}, 401),
        ("good", {"api-version": "2019-08-01", "resource": "https://management.azure.com/"}, 400),
        ("good", {"api-version": "2019-08-01"}, 400),
        ("good", {"api-version": "2017-09-01", "resource": BATCH_RESOURCE}, 400),
    ],
)
async def test_token_endpoint_rejections(
    header: str | None,
    query: dict[str, str],
    status: int,
    auth: EmulatorAuth,
    serve: Serve,
    session: aiohttp.ClientSession,
) -> None:
    base = await serve(auth)
    headers = (
        {} if header is None else {"X-IDENTITY-HEADER": auth.identity_header if header == "good" else header}
    )
    url = URL(base + auth.identity_endpoint_path).with_query(query)
    async with session.get(url, headers=headers) as resp:
        assert resp.status == status
        body = await resp.json()
    assert "access_token" not in body
    assert body["statusCode"] == status and body["message"]
    assert auth.identity_header not in json.dumps(body)


async def test_credential_with_wrong_identity_header_fails(
    auth: EmulatorAuth, serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = await serve(auth)
    point_identity_env(monkeypatch, base + auth.identity_endpoint_path, "not-the-header")
    async with AioManagedIdentityCredential() as cred:
        with pytest.raises(ClientAuthenticationError):
            await asyncio.wait_for(cred.get_token(SCOPE), 10)


async def test_bearer_rejections(serve: Serve, session: aiohttp.ClientSession) -> None:
    now = [1_700_000_000.0]
    auth = EmulatorAuth(ACCOUNT, KEY, token_ttl_s=600, clock=lambda: now[0])
    base = await serve(auth)
    target = f"/jobs?{API}"

    async def bearer(token: str) -> tuple[int, dict[str, Any]]:
        return await send(session, base, "GET", target, {"Authorization": f"Bearer {token}"})

    good, expires_on = auth.issue_token(BATCH_RESOURCE)
    assert expires_on == int(now[0]) + 600
    assert (await bearer(good))[0] == 200
    assert (await bearer(auth.issue_token(BATCH_RESOURCE.rstrip("/"))[0]))[0] == 200

    now[0] += 600  # exactly at exp
    status, body = await bearer(good)
    assert_failed(status, body, mentions="expired")
    now[0] -= 600

    status, body = await bearer(auth.issue_token("https://management.azure.com/")[0])
    assert_failed(status, body, mentions="audience")

    head, claims, sig = good.split(".")
    flipped = sig[:5] + ("A" if sig[5] != "A" else "B") + sig[6:]
    for token in (f"{head}.{claims}.{flipped}", f"{head}.{claims}.{sig}x", f"{head}.{claims[:-2]}.{sig}"):
        status, body = await bearer(token)
        assert_failed(status, body, mentions="signature")
        assert token not in json.dumps(body)

    status, body = await bearer("not-a-jwt")
    assert_failed(status, body, mentions="malformed")

    # A token from another emulator instance (different secret) is not ours.
    stranger = EmulatorAuth(ACCOUNT, KEY, clock=lambda: now[0]).issue_token(BATCH_RESOURCE)[0]
    status, body = await bearer(stranger)
    assert_failed(status, body, mentions="signature")


async def test_zero_ttl_token_is_expired(serve: Serve, session: aiohttp.ClientSession) -> None:
    auth = EmulatorAuth(ACCOUNT, KEY, token_ttl_s=0)
    base = await serve(auth)
    token, _ = auth.issue_token(BATCH_RESOURCE)
    status, body = await send(session, base, "GET", f"/jobs?{API}", {"Authorization": f"Bearer {token}"})
    assert_failed(status, body, mentions="expired")


# ---------------------------------------------------------------------------------------------------
# Disabled auth, repr, construction
# ---------------------------------------------------------------------------------------------------


async def test_disabled_lets_unsigned_requests_through_and_still_serves_tokens(
    serve: Serve, session: aiohttp.ClientSession
) -> None:
    auth = EmulatorAuth(ACCOUNT, KEY, enabled=False)
    base = await serve(auth)
    status, body = await send(session, base, "POST", f"/jobs/job-1/enable?{API}")
    assert (status, body["ok"]) == (200, True)
    url = URL(base + auth.identity_endpoint_path).with_query(
        {"api-version": "2019-08-01", "resource": BATCH_RESOURCE}
    )
    async with session.get(url, headers={"X-IDENTITY-HEADER": auth.identity_header}) as resp:
        assert resp.status == 200


def test_repr_and_errors_hide_secrets() -> None:
    auth = EmulatorAuth(ACCOUNT, KEY)
    text = repr(auth)
    assert ACCOUNT in text
    for secret in (KEY, auth.identity_header, base64.b64decode(KEY).decode()):
        assert secret not in text
    with pytest.raises(ValueError) as info:
        EmulatorAuth(ACCOUNT, "not base64 !!")
    assert "not base64 !!" not in str(info.value) and info.value.__cause__ is None
    assert EmulatorAuth(ACCOUNT, KEY).identity_header != auth.identity_header


def test_auth_error_attributes() -> None:
    err = AuthError.failed("why")
    assert (err.status, err.code, err.values) == (
        403,
        "AuthenticationFailed",
        [("AuthenticationErrorDetail", "why")],
    )
    assert err.message and "AuthenticationFailed" in str(err)
    err = AuthError.invalid("bad")
    assert (err.status, err.code) == (400, "InvalidAuthenticationInfo")
