"""A script in the style of azure-batch 14.x, moved to azbatch by changing its imports.

    python samples/legacy_sync.py

The 14.x original imported ``azure.batch`` / ``azure.batch.models`` / ``azure.batch.batch_auth`` and built
``BatchServiceClient(SharedKeyCredentials(account, key), batch_url=...)``. Everything below the
client construction is unchanged 14.x code: option objects, ``raw=True``, lower-case enum members.
Offline (no AZURE_BATCH_ENDPOINT) it runs against the emulator in a background thread.
"""

from __future__ import annotations

import os
import time
import uuid

from azure.core.credentials import AzureNamedKeyCredential

import azbatch as batch  # was: import azure.batch as batch
import azbatch.models as batchmodels  # was: import azure.batch.models as batchmodels


def wait_for_state(client: batch.BatchClient, job_id: str, state: str) -> None:
    for _ in range(100):
        if client.job.get(job_id, job_get_options=batchmodels.JobGetOptions(select="state")).state == state:
            return
        time.sleep(0.1)
    raise TimeoutError(f"{job_id} never reached {state}")


def run(client: batch.BatchClient, pool_id: str) -> None:
    job_id = f"legacy-{uuid.uuid4().hex[:8]}"
    job = batchmodels.JobAddParameter(
        id=job_id,
        pool_info=batchmodels.PoolInformation(pool_id=pool_id),
        on_all_tasks_complete=batchmodels.OnAllTasksComplete.no_action,
    )
    client.job.add(job)

    cloud_job = client.job.get(job_id)
    print(f"created {cloud_job.id}: {cloud_job.state}")

    options = batchmodels.JobListOptions(filter=f"startswith(id,'{job_id}')", max_results=10)
    for listed in client.job.list(job_list_options=options):
        print(f"listed {listed.id}")

    client.job.patch(job_id, batchmodels.JobPatchParameter(priority=500))
    client.job.update(
        job_id,
        batchmodels.JobUpdateParameter(pool_info=batchmodels.PoolInformation(pool_id=pool_id), priority=250),
    )
    print(f"priority after update: {client.job.get(job_id).priority}")

    client.job.disable(job_id, batchmodels.DisableJobOption.requeue)
    wait_for_state(client, job_id, batchmodels.JobState.disabled)
    client.job.enable(job_id)
    wait_for_state(client, job_id, batchmodels.JobState.active)

    response = client.job.terminate(job_id, terminate_reason="legacy script done", raw=True)
    print(f"terminate: HTTP {response.response.status_code}, request-id {response.headers['request-id']}")
    wait_for_state(client, job_id, batchmodels.JobState.completed)

    client.job.delete(job_id, job_delete_options=batchmodels.JobDeleteOptions(timeout=30))
    print("deleted")


def main() -> None:
    endpoint = os.environ.get("AZURE_BATCH_ENDPOINT")
    if endpoint:
        credentials = AzureNamedKeyCredential(
            os.environ["AZURE_BATCH_ACCOUNT"], os.environ["AZURE_BATCH_KEY"]
        )
        with batch.BatchClient(endpoint, credentials) as client:  # was: batch.BatchServiceClient(...)
            run(client, os.environ["AZURE_BATCH_POOL_ID"])
        return

    from azbatch.emulator import BatchEmulator

    with BatchEmulator(transition_ms=100).start_in_thread() as emulator:
        print(f"(offline: Batch emulator at {emulator.endpoint})")
        with batch.BatchClient(emulator.endpoint, emulator.credential) as client:
            run(client, "emulator-pool")


if __name__ == "__main__":
    main()
