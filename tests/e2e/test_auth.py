"""Authentication end to end: Shared Key, Entra ID through the real azure-identity, and no auth at all.

The emulator verifies every Batch request independently of the client's signer, so a passing request
here means the client's Shared Key signature or bearer token is what the service scheme expects.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.identity.aio import ManagedIdentityCredential

from azbatch import BatchAuthenticationError, BatchServiceError, models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator, generate_key

from .conftest import new_client, new_job, unique_id, use_emulator_identity

BATCH_SCOPE = "https://batch.core.windows.net//.default"
STORAGE_SCOPE = "https://storage.azure.com/.default"


class AuthorizationRecorder(SansIOHTTPPolicy[Any, Any]):
    """Records the scheme of each request's Authorization header (never the value)."""

    def __init__(self) -> None:
        self.schemes: list[str | None] = []

    def on_request(self, request: PipelineRequest[Any]) -> None:
        value = request.http_request.headers.get("Authorization")
        self.schemes.append(value.split(" ", 1)[0] if value else None)


class StripAuthorization(SansIOHTTPPolicy[Any, Any]):
    """Removes the Authorization header after the auth policy set it: an unsigned request."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.headers.pop("Authorization", None)


class MintingCredential:
    """An async token credential that mints tokens directly from the emulator for any scope asked for.

    The emulator's managed-identity route only serves the Batch resource, so this is how a test gets a
    well-signed token for *another* audience, to show that the Batch endpoint refuses it.
    """

    def __init__(self, emulator: BatchEmulator) -> None:
        self._emulator = emulator
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        (scope,) = scopes
        resource = scope.removesuffix("/.default")  # the resource, as a token endpoint names it
        token, expires_on = self._emulator.auth.issue_token(resource)
        return AccessToken(token, expires_on)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> MintingCredential:
        return self

    async def __aexit__(self, *args: Any) -> None:
        await self.close()


async def exercise(client: BatchClient) -> str:
    """add, get, list, patch and delete one job; return its id."""
    job_id = unique_id("auth")
    await client.jobs.add(new_job(job_id))
    job = await client.jobs.get(job_id)
    assert job.state == models.JobState.ACTIVE
    assert job_id in [j.id async for j in client.jobs.list(filter=f"id eq '{job_id}'")]
    await client.jobs.patch(job_id, models.JobPatchParameter(priority=3))
    assert (await client.jobs.get(job_id)).priority == 3
    await client.jobs.delete(job_id)
    return job_id


# ------------------------------------------------------------------------------------------ Shared Key


async def test_shared_key_is_the_default_and_is_accepted(batch_emulator: BatchEmulator) -> None:
    recorder = AuthorizationRecorder()
    async with new_client(batch_emulator, per_retry_policies=[recorder]) as client:
        await exercise(client)
    assert recorder.schemes and set(recorder.schemes) == {"SharedKey"}
    assert batch_emulator.request_log.count(status=403) == 0


@pytest.mark.parametrize(
    "credential_factory",
    [
        pytest.param(lambda emu: AzureNamedKeyCredential(emu.account, generate_key()), id="wrong-key"),
        pytest.param(lambda emu: AzureNamedKeyCredential("someone-else", emu.key), id="wrong-account"),
    ],
)
async def test_wrong_shared_key_is_refused(batch_emulator: BatchEmulator, credential_factory: Any) -> None:
    job_id = unique_id("denied")
    async with new_client(batch_emulator, credential_factory(batch_emulator)) as client:
        with pytest.raises(BatchAuthenticationError) as caught:
            await client.jobs.add(new_job(job_id))
        err = caught.value
        assert isinstance(err, ClientAuthenticationError)
        assert isinstance(err, BatchServiceError)
        assert err.status_code == 403
        assert err.code == "AuthenticationFailed"
        assert err.request_id
        assert err.model is not None and err.model.message is not None
        assert err.model.message.value and "RequestId:" in err.model.message.value

        # Reads, listings and writes without a body are refused the same way.
        with pytest.raises(BatchAuthenticationError):
            await client.jobs.get(job_id)
        with pytest.raises(BatchAuthenticationError):
            [job async for job in client.jobs.list()]
        with pytest.raises(BatchAuthenticationError):
            await client.jobs.enable(job_id)
    # Nothing was created and a 403 is not retried.
    assert batch_emulator.store.job_ids() == []
    assert batch_emulator.request_log.count(status=403) == 4


async def test_wrong_key_error_carries_the_string_to_sign_detail(batch_emulator: BatchEmulator) -> None:
    async with new_client(
        batch_emulator, AzureNamedKeyCredential(batch_emulator.account, generate_key())
    ) as c:
        with pytest.raises(BatchAuthenticationError) as caught:
            await c.jobs.get("any-job")
    model = caught.value.model
    assert model is not None and model.values
    details = {value.key: value.value for value in model.values}
    assert "AuthenticationErrorDetail" in details
    # The server's string to sign names the account and the path, never a key.
    assert f"/{batch_emulator.account}/jobs/any-job" in str(details["AuthenticationErrorDetail"])
    assert batch_emulator.key not in str(details)


async def test_unsigned_request_is_refused_when_auth_is_on(batch_emulator: BatchEmulator) -> None:
    async with new_client(batch_emulator, per_retry_policies=[StripAuthorization()]) as client:
        with pytest.raises(BatchAuthenticationError) as caught:
            await client.jobs.get("whatever")
    assert caught.value.status_code == 403
    assert caught.value.code == "AuthenticationFailed"


# ------------------------------------------------------------------------------------------- Entra ID


async def test_real_managed_identity_credential_against_the_emulator(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # azure-identity reads the environment when the credential is built: set it first.
    use_emulator_identity(monkeypatch, batch_emulator)
    for name in (
        "MSI_ENDPOINT",
        "MSI_SECRET",
        "IDENTITY_SERVER_THUMBPRINT",
        "IMDS_ENDPOINT",
        "AZURE_CLIENT_ID",
    ):
        monkeypatch.delenv(name, raising=False)

    recorder = AuthorizationRecorder()
    async with (
        ManagedIdentityCredential() as credential,
        new_client(batch_emulator, credential, per_retry_policies=[recorder]) as client,
    ):
        await exercise(client)
        token = await credential.get_token(BATCH_SCOPE)
        assert token.expires_on > time.time()
    assert recorder.schemes and set(recorder.schemes) == {"Bearer"}
    # The bearer policy caches the token: one trip to the token route for the whole sequence (the
    # explicit get_token above is served from azure-identity's own cache).
    assert batch_emulator.request_log.count(operation="ManagedIdentity_GetToken") == 1
    assert batch_emulator.request_log.count(status=403) == 0


async def test_managed_identity_cannot_get_a_token_for_another_resource(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The emulator's token route only serves the Batch resource; azure-identity reports the refusal."""
    use_emulator_identity(monkeypatch, batch_emulator)
    async with (
        ManagedIdentityCredential() as credential,
        new_client(batch_emulator, credential, credential_scopes=[STORAGE_SCOPE]) as client,
    ):
        with pytest.raises(ClientAuthenticationError) as caught:
            await client.jobs.get("any-job")
    # Raised by azure-identity before any Batch request was sent.
    assert not isinstance(caught.value, BatchServiceError)
    assert batch_emulator.request_log.count(operation="get") == 0


async def test_emulator_token_credential(batch_emulator: BatchEmulator) -> None:
    recorder = AuthorizationRecorder()
    async with (
        batch_emulator.token_credential() as credential,
        new_client(batch_emulator, credential, per_retry_policies=[recorder]) as client,
    ):
        await exercise(client)
    assert set(recorder.schemes) == {"Bearer"}


async def test_token_for_another_audience_is_refused(batch_emulator: BatchEmulator) -> None:
    credential = MintingCredential(batch_emulator)
    async with new_client(batch_emulator, credential, credential_scopes=[STORAGE_SCOPE]) as client:
        with pytest.raises(BatchAuthenticationError) as caught:
            await client.jobs.add(new_job(unique_id("aud")))
    assert credential.scopes == [(STORAGE_SCOPE,)]
    err = caught.value
    assert isinstance(err, ClientAuthenticationError)
    assert err.status_code == 403
    assert err.code == "AuthenticationFailed"
    assert err.model is not None
    assert any("audience" in str(value.value) for value in err.model.values or [])
    assert batch_emulator.store.job_ids() == []

    # The same minting credential with the Batch scope is accepted: only the audience was wrong.
    async with new_client(batch_emulator, MintingCredential(batch_emulator)) as client:
        await exercise(client)


async def test_token_from_another_emulator_is_refused(batch_emulator: BatchEmulator) -> None:
    async with (
        BatchEmulator() as other,
        other.token_credential() as foreign,
        new_client(batch_emulator, foreign) as client,
    ):
        with pytest.raises(BatchAuthenticationError) as caught:
            await client.jobs.get("any-job")
    assert caught.value.code == "AuthenticationFailed"


# ------------------------------------------------------------------------------------------- no auth


@pytest.mark.batch_emulator(auth=False)
async def test_emulator_without_auth_accepts_an_unsigned_client(batch_emulator: BatchEmulator) -> None:
    recorder = AuthorizationRecorder()
    async with new_client(batch_emulator, per_retry_policies=[StripAuthorization(), recorder]) as client:
        await exercise(client)
    assert recorder.schemes and set(recorder.schemes) == {None}

    # Any credential is fine too, even a wrong key.
    async with new_client(batch_emulator, AzureNamedKeyCredential("nobody", generate_key())) as client:
        await exercise(client)
    assert batch_emulator.request_log.count(status=403) == 0


async def test_the_emulators_token_credential_fails_with_a_typed_error() -> None:
    from azure.core.exceptions import ClientAuthenticationError

    from azbatch.aio import BatchClient as AsyncBatchClient
    from azbatch.emulator import BatchEmulator

    async with BatchEmulator() as emu:
        emu.faults.add("internal_error", operation="ManagedIdentity_GetToken", times=10)
        async with emu.token_credential() as credential, AsyncBatchClient(emu.endpoint, credential) as client:
            with pytest.raises(ClientAuthenticationError, match="no token from the emulator"):
                await client.jobs.exists("job-1", timeout=5)
