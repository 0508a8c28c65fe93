"""Shared helpers of the end-to-end tests: real clients, default transports, the emulator on 127.0.0.1.

Nothing here replaces a transport or a policy: every request goes through the client's own pipeline
(azure-core's aiohttp transport for ``azbatch.aio.BatchClient``, its requests transport for the sync
``azbatch.BatchClient``) over a loopback socket to :class:`azbatch.emulator.BatchEmulator`. The one
hook, :func:`record_sleeps`, only records the waits the retry policy asks the transport for.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from azbatch import models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator

POOL_ID = "e2e-pool"

# Upper bound for every polling loop of this package: generous for a loaded CI machine, yet a hung
# state machine fails the test in seconds rather than hanging the run.
POLL_DEADLINE_S = 10.0
POLL_INTERVAL_S = 0.01


def unique_id(prefix: str = "e2e") -> str:
    """A fresh job id (letters, digits and hyphens only, well under 64 characters)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_job(job_id: str, *, pool_id: str = POOL_ID, **kwargs: Any) -> models.JobAddParameter:
    """A minimal job on an existing pool; extra keywords go to :class:`JobAddParameter`."""
    return models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=pool_id), **kwargs)


def metadata(**pairs: str) -> list[models.MetadataItem]:
    return [models.MetadataItem(name=name, value=value) for name, value in pairs.items()]


def metadata_dict(items: list[models.MetadataItem] | None) -> dict[str, str | None]:
    return {str(item.name): item.value for item in items or []}


def new_client(emulator: BatchEmulator, credential: Any = None, **kwargs: Any) -> BatchClient:
    """An async client for the emulator on the default transport, with a near-zero retry backoff."""
    kwargs.setdefault("retry_backoff_factor", 0.01)
    return BatchClient(
        emulator.endpoint, credential if credential is not None else emulator.credential, **kwargs
    )


@pytest.fixture
def make_client(batch_emulator: BatchEmulator) -> Callable[..., BatchClient]:
    """Build an (unopened) async client for the test's emulator: ``async with make_client() as c``."""

    def factory(credential: Any = None, **kwargs: Any) -> BatchClient:
        return new_client(batch_emulator, credential, **kwargs)

    return factory


@pytest.fixture
async def client(batch_emulator: BatchEmulator) -> AsyncIterator[BatchClient]:
    """An open Shared Key async client for the test's emulator, closed after the test."""
    async with new_client(batch_emulator) as opened:
        yield opened


def record_sleeps(client: BatchClient, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record, instead of sleeping, every wait the client's retry policy asks its transport for.

    azure-core's retry policy waits by calling ``transport.sleep(seconds)`` (for Retry-After and for the
    backoff alike), so the returned list shows exactly which waits were asked for, with no wall clock
    involved and no time spent. Everything else about the default transport is unchanged.
    """
    transport = client._pipeline._transport  # the default transport the client built
    slept: list[float] = []

    async def sleep(duration: float) -> None:
        slept.append(duration)

    monkeypatch.setattr(transport, "sleep", sleep)
    return slept


async def wait_for_state(
    client: BatchClient, job_id: str, wanted: str, *, seen: list[str] | None = None
) -> models.CloudJob:
    """Poll ``get`` until the job is in ``wanted``; record every state seen; fail after the deadline."""
    deadline = time.monotonic() + POLL_DEADLINE_S
    while True:
        job = await client.jobs.get(job_id)
        if seen is not None and (not seen or seen[-1] != job.state):
            seen.append(str(job.state))
        if job.state == wanted:
            return job
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} still {job.state!s} after {POLL_DEADLINE_S} s, wanted {wanted}")
        await asyncio.sleep(POLL_INTERVAL_S)


# Variables azure-identity's ManagedIdentityCredential also looks at; cleared so that an ambient managed
# identity (a CI runner on Azure, say) cannot take precedence over the emulator's App Service-style route.
_OTHER_IDENTITY_VARIABLES = (
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "AZURE_CLIENT_ID",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_FEDERATED_TOKEN_FILE",
)


def use_emulator_identity(monkeypatch: pytest.MonkeyPatch, emulator: BatchEmulator) -> None:
    """Point azure-identity's managed identity at the emulator; call before building the credential."""
    for name in _OTHER_IDENTITY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in emulator.identity_env().items():
        monkeypatch.setenv(name, value)
