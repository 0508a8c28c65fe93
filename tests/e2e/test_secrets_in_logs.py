"""End to end through the emulator: secrets stay out of logs, reprs and errors; ids reach it intact.

A job whose command line, environment and resource files carry SAS URLs and keys goes through add, get,
list, patch and a failing call with ``logging_enable=True`` and every logger at DEBUG; no record may show
a signature, key, password, token or Authorization value. Ids that need escaping must arrive as exactly
one path segment (checked on a raw loopback socket and in the emulator's request log), and ``.``/``..``
must never be sent at all.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.identity import ClientSecretCredential
from azure.identity.aio import ClientSecretCredential as AsyncClientSecretCredential

import azbatch
from azbatch import BatchResourceNotFoundError, BatchServiceError, models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator
from azbatch.transports import AsyncHttpXTransport, HttpXTransport

from .conftest import POOL_ID, new_client, unique_id

pytestmark = pytest.mark.batch_emulator(transition_ms=20)

SIG = "c2lnbmF0dXJlLXZhbHVl%2BSAS%3D"
SAS_URL = f"https://store.blob.core.windows.net/in/run.sh?sv=2022-11-02&sr=b&sp=r&se=2030-01-01&sig={SIG}"
CONTAINER_SIG = "Y29udGFpbmVyLXNpZw%3D%3D"
OUTPUT_SIG = "b3V0cHV0LXNpZw%3D%3D"
STORAGE_KEY = "U1RPUkFHRS1LRVktZm9yLXRlc3RzLW9ubHk+/w=="
DB_PASSWORD = "db-Pa55w0rd-for-tests"
CLIENT_SECRET = "client-SECRET-value-123"


class AuthorizationRecorder(SansIOHTTPPolicy[Any, Any]):
    """Remembers every Authorization value sent (it runs after the credential policy signs)."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def on_request(self, request: Any) -> None:
        value = request.http_request.headers.get("Authorization")
        if value:
            self.values.append(value)


def job_with_secrets(job_id: str) -> models.JobAddParameter:
    return models.JobAddParameter(
        id=job_id,
        pool_info=models.PoolInformation(pool_id=POOL_ID),
        job_manager_task=models.JobManagerTask(
            id="manager",
            command_line=f"/bin/sh -c 'curl -fsS \"{SAS_URL}\" | sh'",
            resource_files=[
                models.ResourceFile(http_url=SAS_URL, file_path="run.sh"),
                models.ResourceFile(
                    storage_container_url=f"https://store.blob.core.windows.net/tools?sp=rl&sig={CONTAINER_SIG}"
                ),
            ],
            output_files=[
                models.OutputFile(
                    file_pattern="*.log",
                    destination=models.OutputFileDestination(
                        container=models.OutputFileBlobContainerDestination(
                            container_url=f"https://store.blob.core.windows.net/out?sp=w&sig={OUTPUT_SIG}"
                        )
                    ),
                    upload_options=models.OutputFileUploadOptions(upload_condition="taskcompletion"),
                )
            ],
            environment_settings=[
                models.EnvironmentSetting(name="INPUT_URL", value=SAS_URL),
                models.EnvironmentSetting(
                    name="STORAGE",
                    value=f"DefaultEndpointsProtocol=https;AccountName=store;AccountKey={STORAGE_KEY}",
                ),
                models.EnvironmentSetting(name="DB_PASSWORD", value=DB_PASSWORD),
            ],
        ),
        common_environment_settings=[models.EnvironmentSetting(name="SHARED_INPUT", value=SAS_URL)],
    )


def all_log_text(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Everything a log handler could print: messages, raw args and formatted tracebacks."""
    texts: list[str] = []
    for record in caplog.records:
        texts.append(record.getMessage())
        texts.append(repr(record.args))
        if record.exc_info and record.exc_info[1] is not None:
            texts.append("".join(traceback.format_exception(*record.exc_info)))
    return texts


def assert_nothing_secret(texts: list[str], secrets: list[str]) -> None:
    for secret in secrets:
        assert secret, "an empty secret would make this check vacuous"
        for text in texts:
            assert secret not in text, f"{secret!r} leaked into: {text[:300]!r}"


async def exercise(client: BatchClient, job_id: str) -> list[BaseException]:
    """Calls that send and receive the secret-bearing job, plus two that fail."""
    await client.jobs.add(job_with_secrets(job_id))
    job = await client.jobs.get(job_id)
    assert job.job_manager_task is not None and job.job_manager_task.command_line is not None
    assert SIG in job.job_manager_task.command_line  # the data itself is intact, only displays are masked
    assert [j.id async for j in client.jobs.list(filter=f"id eq '{job_id}'")] == [job_id]
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=5))
    errors: list[BaseException] = []
    try:
        await client.jobs.get(job_id + "-missing")
    except BatchResourceNotFoundError as exc:
        errors.append(exc)
    try:
        # The emulator quotes the start of an invalid value back in the error details.
        bad = job_with_secrets(unique_id())
        bad.display_name = SAS_URL + "x" * 1100
        await client.jobs.add(bad)
    except BatchServiceError as exc:
        errors.append(exc)
    assert len(errors) == 2
    return errors


def secrets_of(key_credential: AzureNamedKeyCredential | None, authorizations: list[str]) -> list[str]:
    secrets = [SIG, CONTAINER_SIG, OUTPUT_SIG, STORAGE_KEY, DB_PASSWORD, *authorizations]
    secrets += [value.split(" ", 1)[1] for value in authorizations]  # the credential without its scheme
    if key_credential is not None:
        key = key_credential.named_key.key
        secrets += [key, base64.b64decode(key).hex()]
    return secrets


@pytest.mark.parametrize("credential_kind", ["shared_key", "token"])
async def test_logs_at_debug_never_show_secrets(
    batch_emulator: BatchEmulator, caplog: pytest.LogCaptureFixture, credential_kind: str
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = AuthorizationRecorder()
    async with batch_emulator.token_credential() as token_credential:
        credential: Any = batch_emulator.credential if credential_kind == "shared_key" else token_credential
        async with new_client(
            batch_emulator, credential, logging_enable=True, per_retry_policies=[recorder]
        ) as client:
            errors = await exercise(client, unique_id())
            logging.getLogger("test").error("failure", exc_info=errors[1])
            for error in errors:
                logging.getLogger("test").warning("call failed: %s / %r", error, error)

    assert recorder.values, "no request was authorized, so the check below would be vacuous"
    key = batch_emulator.credential if credential_kind == "shared_key" else None
    texts = all_log_text(caplog)
    assert_nothing_secret(texts, secrets_of(key, recorder.values))

    # Not vacuous: the bodies were logged (masked), the error texts too.
    traces = [r.getMessage() for r in caplog.records if r.name == "azbatch.http"]
    assert any("store.blob.core.windows.net/in/run.sh" in t and "REDACTED" in t for t in traces)
    assert any("Response 400" in t and "InvalidPropertyValue" in t for t in traces)
    assert any("JobNotFound" in t for t in texts)


async def test_error_texts_never_show_secrets(batch_emulator: BatchEmulator) -> None:
    async with new_client(batch_emulator) as client:
        errors = await exercise(client, unique_id())
    for error in errors:
        shown = [str(error), repr(error), "".join(traceback.format_exception(error))]
        assert_nothing_secret(shown, [SIG])
    invalid = errors[1]
    assert isinstance(invalid, BatchServiceError) and invalid.code == "InvalidPropertyValue"
    assert "displayName" in str(invalid) and "store.blob.core.windows.net" in str(invalid)


def test_sync_client_logs_never_show_secrets(
    batch_emulator_thread: BatchEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = AuthorizationRecorder()
    job_id = unique_id()
    with azbatch.BatchClient(
        batch_emulator_thread.endpoint,
        batch_emulator_thread.credential,
        logging_enable=True,
        per_retry_policies=[recorder],
    ) as client:
        client.jobs.add(job_with_secrets(job_id))
        assert client.jobs.get(job_id).id == job_id
        with pytest.raises(BatchResourceNotFoundError) as caught:
            client.jobs.get(job_id + "-missing")
        logging.getLogger("test").warning("failed: %r", caught.value)
    assert recorder.values
    assert_nothing_secret(all_log_text(caplog), secrets_of(batch_emulator_thread.credential, recorder.values))
    assert any(r.name == "azbatch.http" and "REDACTED" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------------------------- reprs


class PlainTokenCredential:
    """A token credential that keeps its token in an attribute, as hand-written ones often do."""

    def __init__(self) -> None:
        self.token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.plain-token-sig"

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self.token, 2**31)


class AsyncPlainTokenCredential(PlainTokenCredential):
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        return AccessToken(self.token, 2**31)

    async def close(self) -> None:
        pass


async def test_client_repr_shows_no_credential_of_any_kind(batch_emulator: BatchEmulator) -> None:
    endpoint = batch_emulator.endpoint
    key = batch_emulator.credential
    sync_secret = ClientSecretCredential("tenant-id", "client-id", CLIENT_SECRET)
    async_secret = AsyncClientSecretCredential("tenant-id", "client-id", CLIENT_SECRET)
    emulator_token = batch_emulator.token_credential()
    plain = PlainTokenCredential()
    clients: list[Any] = [
        azbatch.BatchClient(endpoint, key),
        azbatch.BatchClient(endpoint, sync_secret),
        azbatch.BatchClient(endpoint, plain),
        BatchClient(endpoint, key),
        BatchClient(endpoint, async_secret),
        BatchClient(endpoint, emulator_token),
        BatchClient(endpoint, AsyncPlainTokenCredential()),
    ]
    secrets = [key.named_key.key, CLIENT_SECRET, plain.token, batch_emulator.auth.identity_header]
    try:
        for client in clients:
            shown = [repr(client), str(client), repr(client.jobs), repr(client._pipeline._impl_policies)]
            assert repr(client) == f"BatchClient(endpoint={endpoint!r})"
            assert_nothing_secret(shown, secrets)
    finally:
        await async_secret.close()
        await emulator_token.close()
        sync_secret.close()


# --------------------------------------------------------------------------- ids on the wire


DOT_CALLS: list[Callable[[BatchClient, str], Any]] = [
    lambda c, i: c.jobs.get(i),
    lambda c, i: c.jobs.delete(i),
    lambda c, i: c.jobs.disable(i, "requeue"),
    lambda c, i: c.jobs.enable(i),
    lambda c, i: c.jobs.terminate(i),
    lambda c, i: c.jobs.patch(i, models.JobPatchParameter(priority=1)),
    lambda c, i: c.jobs.get_task_counts(i),
    lambda c, i: c.jobs.list_from_job_schedule(i).__anext__(),
    lambda c, i: c.jobs.list_preparation_and_release_task_status(i).__anext__(),
    lambda c, i: c.jobs.begin_delete(i),
]


@pytest.mark.parametrize("dots", [".", ".."])
async def test_dot_ids_never_reach_the_emulator(batch_emulator: BatchEmulator, dots: str) -> None:
    async with new_client(batch_emulator) as client:
        for call in DOT_CALLS:
            with pytest.raises(ValueError, match=r"(job_id|job_schedule_id) must not be"):
                await call(client, dots)
    assert batch_emulator.request_log.count() == 0


# Ids the service would not create but a caller may still ask about: each must be looked up as itself.
ODD_IDS = [
    "schedule-1:job-7",  # how jobs made by a job schedule are named
    "a/b",
    "../jobs",
    "%2e%2e",
    "a?b",
    "a#b",
    "100%",
    "sp ace",
    "plus+sign",
    "at@sign",
    "back\\slash",
    "ünïcödé-日本",
    "...",
]


def assert_exact_targets(targets: list[str]) -> None:
    paths = [target.split("?", 1)[0] for target in targets]
    expected = [f"/jobs/{quote(job_id, safe=':@')}" for job_id in ODD_IDS]
    assert paths == [*expected, "/jobschedules/sched%2F1%3Fx/jobs"]
    assert all(t.split("?", 1)[1].startswith("api-version=") for t in targets)


def sync_lookups(endpoint: str, credential: AzureNamedKeyCredential, transport: Any) -> None:
    options: dict[str, Any] = {"retry_total": 0}
    if transport is not None:
        options["transport"] = transport
    with azbatch.BatchClient(endpoint, credential, **options) as client:
        for job_id in ODD_IDS:
            with pytest.raises(BatchResourceNotFoundError):
                client.jobs.get(job_id)
        with pytest.raises(BatchResourceNotFoundError):
            next(iter(client.jobs.list_from_job_schedule("sched/1?x")))


async def test_odd_ids_arrive_as_one_exact_path_segment() -> None:
    """A raw loopback socket shows the request line as each transport (aiohttp, requests, httpx) sent it."""
    targets: list[str] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                targets.append(head.split(b"\r\n", 1)[0].decode("ascii").split(" ")[1])
                body = json.dumps(
                    {"code": "JobNotFound", "message": {"lang": "en-US", "value": "no"}}
                ).encode()
                writer.write(
                    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        credential = AzureNamedKeyCredential("acct", base64.b64encode(b"k").decode())
        for transport in (None, AsyncHttpXTransport()):
            targets.clear()
            options: dict[str, Any] = {"retry_total": 0}
            if transport is not None:
                options["transport"] = transport
            async with BatchClient(f"http://127.0.0.1:{port}", credential, **options) as client:
                for job_id in ODD_IDS:
                    with pytest.raises(BatchResourceNotFoundError):
                        await client.jobs.get(job_id)
                with pytest.raises(BatchResourceNotFoundError):
                    await client.jobs.list_from_job_schedule("sched/1?x").__anext__()
            assert_exact_targets(targets)
        for sync_transport in (None, HttpXTransport()):
            targets.clear()
            # The sync client blocks, so it runs in a worker thread while this loop serves the socket.
            await asyncio.to_thread(sync_lookups, f"http://127.0.0.1:{port}", credential, sync_transport)
            assert_exact_targets(targets)
    finally:
        server.close()
        await server.wait_closed()


async def test_odd_ids_reach_the_emulator_intact_and_signed(batch_emulator: BatchEmulator) -> None:
    """Shared Key signs the path as sent, so every odd id gets JobNotFound, never AuthenticationFailed."""
    for transport in (None, AsyncHttpXTransport()):
        batch_emulator.request_log.reset()
        options: dict[str, Any] = {} if transport is None else {"transport": transport}
        async with new_client(batch_emulator, **options) as client:
            for job_id in ODD_IDS:
                with pytest.raises(BatchResourceNotFoundError) as caught:
                    await client.jobs.get(job_id)
                assert caught.value.code == "JobNotFound", job_id
        recent = batch_emulator.request_log.snapshot()["recent"]
        assert [entry["path"] for entry in recent] == [f"/jobs/{job_id}" for job_id in ODD_IDS]


def test_sync_transports_send_odd_ids_signed(batch_emulator_thread: BatchEmulator) -> None:
    for transport in (None, HttpXTransport()):
        options: dict[str, Any] = {} if transport is None else {"transport": transport}
        with azbatch.BatchClient(
            batch_emulator_thread.endpoint, batch_emulator_thread.credential, **options
        ) as client:
            for job_id in ODD_IDS:
                with pytest.raises(BatchResourceNotFoundError) as caught:
                    client.jobs.get(job_id)
                assert caught.value.code == "JobNotFound", job_id


async def test_ids_the_service_allows_round_trip(client: BatchClient) -> None:
    for job_id in ("Mixed_Case-ID_" + unique_id("x"), "_-_" + unique_id("y"), "9" * 64):
        await client.jobs.add(
            models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=POOL_ID))
        )
        job = await client.jobs.get(job_id)
        assert job.id == job_id
        assert job.url is not None and job.url.endswith(f"/jobs/{job_id}")
        await client.jobs.delete(job_id)


@pytest.fixture
async def token_client(batch_emulator: BatchEmulator) -> AsyncIterator[BatchClient]:
    async with (
        batch_emulator.token_credential() as credential,
        new_client(batch_emulator, credential) as opened,
    ):
        yield opened


async def test_token_client_on_loopback_http_works(token_client: BatchClient) -> None:
    """The construction-time https check leaves the emulator's plain-http loopback endpoint usable."""
    job_id = unique_id()
    await token_client.jobs.add(
        models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=POOL_ID))
    )
    assert (await token_client.jobs.get(job_id)).id == job_id
