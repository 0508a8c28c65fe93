"""BatchEmulator lifecycle (async and in a thread), the pytest fixtures, and auth wired into the app."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.identity.aio import ManagedIdentityCredential

from azbatch.emulator import BatchEmulator

from ._client import API_VERSION, JSON_TYPE, Api, assert_batch_error

SCOPE = "https://batch.core.windows.net//.default"
STANDARD_HEADERS = (
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
)


def shared_key(method: str, url: str, headers: dict[str, str], account: str, key: str) -> str:
    """Sign a request the documented way (written here independently of the emulator and the client)."""
    parts = urlsplit(url)
    lines = [method] + [headers.get(name, "") for name in STANDARD_HEADERS]
    ocp = "".join(f"{k.lower()}:{v}\n" for k, v in sorted(headers.items()) if k.lower().startswith("ocp-"))
    query = sorted((k.lower(), v) for k, v in parse_qsl(parts.query))
    resource = f"/{account}{parts.path}" + "".join(f"\n{k}:{v}" for k, v in query)
    to_sign = "\n".join(lines) + "\n" + ocp + resource
    digest = hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()
    return f"SharedKey {account}:{base64.b64encode(digest).decode()}"


async def signed(
    session: aiohttp.ClientSession, emu: BatchEmulator, method: str, url: str, body: Any = None
) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    headers = {"ocp-date": email.utils.formatdate(usegmt=True)}
    if method != "GET":
        headers["Content-Length"] = str(len(data))
    if method != "GET":
        # Set it even without a body: aiohttp would otherwise add an unsigned octet-stream type.
        headers["Content-Type"] = JSON_TYPE
    headers["Authorization"] = shared_key(method, url, headers, emu.account, emu.key)
    async with session.request(method, url, data=data or None, headers=headers) as response:
        raw = await response.read()
        return response.status, json.loads(raw) if raw else None


async def test_async_lifecycle() -> None:
    emu = BatchEmulator(account="acct", key=base64.b64encode(b"s" * 32).decode())
    with pytest.raises(RuntimeError):
        _ = emu.endpoint
    async with emu:
        assert emu.endpoint == f"http://127.0.0.1:{emu.port}"
        assert emu.port > 0
        assert emu.store.base_url == emu.endpoint
        assert isinstance(emu.credential, AzureNamedKeyCredential)
        assert emu.credential.named_key == ("acct", emu.key)
        assert emu.identity_env() == {
            "IDENTITY_ENDPOINT": f"{emu.endpoint}/metadata/identity/oauth2/token",
            "IDENTITY_HEADER": emu.auth.identity_header,
        }
        with pytest.raises(RuntimeError):
            await emu.start()
    await emu.close()  # a second close is harmless


def test_random_keys_differ_and_are_base64() -> None:
    first, second = BatchEmulator(), BatchEmulator()
    assert first.key != second.key
    assert len(base64.b64decode(first.key, validate=True)) == 64


def test_in_thread_runner_serves_sync_code() -> None:
    emu = BatchEmulator(auth=False, transition_ms=0).start_in_thread()
    try:
        emu.store.add_job({"id": "sync", "poolInfo": {"poolId": "p"}})
        with urllib.request.urlopen(
            f"{emu.endpoint}/jobs/sync?api-version={API_VERSION}", timeout=10
        ) as resp:
            assert json.loads(resp.read())["id"] == "sync"
    finally:
        emu.stop()
    emu.stop()  # idempotent
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{emu.port}/jobs?api-version={API_VERSION}", timeout=2)


def test_context_manager_runs_in_a_thread() -> None:
    with BatchEmulator(auth=False) as emu:
        request = urllib.request.Request(
            f"{emu.endpoint}/jobs?api-version={API_VERSION}",
            data=json.dumps({"id": "ctx", "poolInfo": {"poolId": "p"}}).encode(),
            headers={"Content-Type": JSON_TYPE},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 201
        assert emu.store.job_ids() == ["ctx"]


def test_batch_emulator_thread_fixture(batch_emulator_thread: BatchEmulator) -> None:
    assert batch_emulator_thread.auth.enabled
    url = f"{batch_emulator_thread.endpoint}/jobs?api-version={API_VERSION}"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 403
    info.value.close()


@pytest.mark.batch_emulator(auth=False, account="marked", transition_ms=5)
async def test_batch_emulator_fixture_takes_marker_options(batch_emulator: BatchEmulator) -> None:
    assert batch_emulator.account == "marked"
    assert batch_emulator.store.transition_ms == 5
    async with aiohttp.ClientSession() as session:
        reply = await Api(session, batch_emulator.endpoint).call("GET", "/jobs")
    assert reply.status == 200


async def test_shared_key_requests_and_signed_next_links(batch_emulator: BatchEmulator) -> None:
    emu = batch_emulator
    base = f"{emu.endpoint}/jobs?api-version={API_VERSION}"
    async with aiohttp.ClientSession() as session:
        for job_id in ("a", "b", "c"):
            status, _ = await signed(session, emu, "POST", base, {"id": job_id, "poolInfo": {"poolId": "p"}})
            assert status == 201
        status, page = await signed(session, emu, "GET", f"{base}&maxresults=2&$filter=startswith(id,'')")
        assert status == 200 and len(page["value"]) == 2
        status, rest = await signed(session, emu, "GET", page["odata.nextLink"])
        assert status == 200 and [j["id"] for j in rest["value"]] == ["c"]
        status, _ = await signed(
            session, emu, "POST", f"{emu.endpoint}/jobs/a/terminate?api-version={API_VERSION}"
        )
        assert status == 202
        async with session.get(base, headers={"Authorization": "SharedKey emulator:bad"}) as response:
            assert response.status in (400, 403)


async def test_bearer_tokens_from_the_emulator(batch_emulator: BatchEmulator) -> None:
    emu = batch_emulator
    async with emu.token_credential() as credential, aiohttp.ClientSession() as session:
        token = await credential.get_token(SCOPE)
        info = await credential.get_token_info(SCOPE)
        api = Api(session, emu.endpoint)
        reply = await api.call("GET", "/jobs", headers={"Authorization": f"Bearer {token.token}"})
        assert reply.status == 200
        reply = await api.call("GET", "/jobs", headers={"Authorization": f"Bearer {info.token}"})
        assert reply.status == 200
        assert_batch_error(
            await api.call("GET", "/jobs", headers={"Authorization": "Bearer x.y.z"}),
            403,
            "AuthenticationFailed",
        )
        # The admin API needs no credentials.
        assert (await api.admin("GET", "/info")).status == 200


async def test_azure_identity_managed_identity_credential(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in batch_emulator.identity_env().items():
        monkeypatch.setenv(name, value)
    for name in (
        "IDENTITY_SERVER_THUMBPRINT",
        "IMDS_ENDPOINT",
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "AZURE_CLIENT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    async with ManagedIdentityCredential() as credential, aiohttp.ClientSession() as session:
        token = await credential.get_token(SCOPE)
        api = Api(session, batch_emulator.endpoint)
        reply = await api.call("GET", "/jobs", headers={"Authorization": f"Bearer {token.token}"})
    assert reply.status == 200


PLUGIN_TESTS = """
import pytest

def test_sync_test_asks_for_the_async_fixture(batch_emulator):
    pass

def test_thread_fixture_still_works(batch_emulator_thread):
    assert batch_emulator_thread.endpoint.startswith("http://127.0.0.1:")
"""


def test_plugin_explains_a_missing_pytest_asyncio(tmp_path: Path) -> None:
    (tmp_path / "test_plugin_user.py").write_text(PLUGIN_TESTS, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:asyncio", "-p", "no:cacheprovider", "-q", "-rA"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 passed" in out and "1 error" in out, out
    assert "needs the pytest-asyncio plugin, which is not installed or not enabled" in out
    assert "batch_emulator_thread" in out
    assert "Traceback" not in out
