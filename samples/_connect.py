"""Where the samples connect: a real Batch account when AZURE_BATCH_ENDPOINT is set, else the emulator.

Real account: set AZURE_BATCH_ENDPOINT (https://<account>.<region>.batch.azure.com) and either
AZURE_BATCH_ACCOUNT + AZURE_BATCH_KEY for Shared Key, or nothing more for DefaultAzureCredential
(Entra ID). Samples that create jobs also need AZURE_BATCH_POOL_ID (an existing pool; jobs are
created on it and deleted again).

No endpoint: the emulator from ``azbatch.emulator`` starts in-process on 127.0.0.1, nothing leaves
the machine, and no Azure account is needed.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from azure.core.credentials import AzureNamedKeyCredential

from azbatch.aio import BatchClient


@dataclass
class Session:
    """What a sample works with."""

    client: BatchClient
    pool_id: str
    emulator: Any | None  # an azbatch.emulator.BatchEmulator when running offline


def offline() -> bool:
    return not os.environ.get("AZURE_BATCH_ENDPOINT")


@asynccontextmanager
async def connect(**client_kwargs: Any) -> AsyncIterator[Session]:
    """Yield a ready client, against the emulator (offline) or the account named by the environment."""
    async with AsyncExitStack() as stack:
        if offline():
            from azbatch.emulator import BatchEmulator

            emulator = await stack.enter_async_context(BatchEmulator(transition_ms=100))
            print(f"(offline: Batch emulator at {emulator.endpoint})")
            client = BatchClient(emulator.endpoint, emulator.credential, **client_kwargs)
            await stack.enter_async_context(client)
            yield Session(client, pool_id="emulator-pool", emulator=emulator)
            return
        endpoint = os.environ["AZURE_BATCH_ENDPOINT"]
        key = os.environ.get("AZURE_BATCH_KEY")
        if key:
            credential: Any = AzureNamedKeyCredential(os.environ["AZURE_BATCH_ACCOUNT"], key)
        else:
            from azure.identity.aio import DefaultAzureCredential

            credential = await stack.enter_async_context(DefaultAzureCredential())
        pool_id = os.environ.get("AZURE_BATCH_POOL_ID")
        if not pool_id:
            raise SystemExit(
                "set AZURE_BATCH_POOL_ID to an existing pool of the account to run the samples on it"
            )
        client = await stack.enter_async_context(BatchClient(endpoint, credential, **client_kwargs))
        yield Session(client, pool_id=pool_id, emulator=None)
