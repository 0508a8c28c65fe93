"""Microsoft Entra ID sign-in with azure-identity.

    python samples/entra_id_auth_async.py

Against a real account (AZURE_BATCH_ENDPOINT set) it uses DefaultAzureCredential: environment
variables, workload or managed identity, Azure CLI login, ... Offline, the emulator also serves a
managed-identity token endpoint of the App Service kind, so azure-identity's real
ManagedIdentityCredential signs in against it exactly as it would on an Azure host.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

from azbatch import models
from azbatch.aio import BatchClient


async def run(client: BatchClient, pool_id: str) -> None:
    job_id = f"entra-{uuid.uuid4().hex[:8]}"
    await client.jobs.add(
        models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=pool_id))
    )
    job = await client.jobs.get(job_id)
    print(f"signed in with Entra ID; created {job.id} ({job.state})")
    await client.jobs.delete(job_id)


async def main() -> None:
    endpoint = os.environ.get("AZURE_BATCH_ENDPOINT")
    if endpoint:
        # The client asks for https://batch.core.windows.net//.default (resource URL + "/.default").
        pool_id = os.environ.get("AZURE_BATCH_POOL_ID")
        if not pool_id:
            raise SystemExit("set AZURE_BATCH_POOL_ID to an existing pool of the account")
        async with DefaultAzureCredential() as credential, BatchClient(endpoint, credential) as client:
            await run(client, pool_id)
        return

    from azbatch.emulator import BatchEmulator

    async with BatchEmulator() as emulator:
        # What an App Service or Functions host sets; azure-identity reads them when the credential is built.
        os.environ.update(emulator.identity_env())
        print(
            f"(offline: Batch emulator at {emulator.endpoint}, token endpoint {emulator.identity_endpoint})"
        )
        async with (
            ManagedIdentityCredential() as credential,
            BatchClient(emulator.endpoint, credential) as client,
        ):
            # Plain http is allowed for the bearer token only because the emulator is on a loopback address.
            await run(client, "emulator-pool")


if __name__ == "__main__":
    asyncio.run(main())
