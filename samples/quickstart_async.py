"""Quickstart: a job's whole life with the async client.

    python samples/quickstart_async.py

Offline (no AZURE_BATCH_ENDPOINT) it runs against the emulator started in-process; see _connect.py for
running it against a real account.
"""

from __future__ import annotations

import asyncio
import uuid

from _connect import connect

from azbatch import BatchResourceNotFoundError, models
from azbatch.aio import BatchClient


async def wait_for_state(
    client: BatchClient, job_id: str, wanted: str, *, attempts: int = 60
) -> models.CloudJob:
    """Poll until the job reaches ``wanted`` (bounded: the state changes asynchronously on the service)."""
    for _ in range(attempts):
        job = await client.jobs.get(job_id, select=["id", "state"])
        if job.state == wanted:
            return job
        await asyncio.sleep(0.1)
    raise TimeoutError(f"job {job_id} did not reach {wanted}")


async def main() -> None:
    async with connect() as session:
        client = session.client
        job_id = f"quickstart-{uuid.uuid4().hex[:8]}"

        # Create: a JobAddParameter names the job and the pool it runs on.
        job = models.JobAddParameter(
            id=job_id,
            display_name="azbatch quickstart",
            pool_info=models.PoolInformation(pool_id=session.pool_id),
            priority=10,
            metadata=[models.MetadataItem(name="owner", value="quickstart")],
        )
        created = await client.jobs.add(job)
        print(f"added {job_id} (etag {created.etag})")

        fetched = await client.jobs.get(job_id)
        print(
            f"get: state={fetched.state} priority={fetched.priority} created={fetched.creation_time:%H:%M:%S}"
        )

        ids = [j.id async for j in client.jobs.list(filter=f"startswith(id,'{job_id}')", select="id,state")]
        print(f"list: {ids}")

        # patch changes only what it names; update replaces every updatable property.
        await client.jobs.patch(job_id, models.JobPatchParameter(priority=100))
        await client.jobs.update(
            job_id,
            models.JobUpdateParameter(
                pool_info=models.PoolInformation(pool_id=session.pool_id),
                priority=50,
                on_all_tasks_complete=models.OnAllTasksComplete.TERMINATE_JOB,
            ),
        )
        updated = await client.jobs.get(job_id)
        print(f"after update: priority={updated.priority} metadata={updated.metadata}")

        await client.jobs.disable(job_id, models.DisableJobOption.REQUEUE)
        await wait_for_state(client, job_id, "disabled")
        print("disabled")
        await client.jobs.enable(job_id)
        await wait_for_state(client, job_id, "active")
        print("enabled again")

        await client.jobs.terminate(job_id, terminate_reason="quickstart done")
        await wait_for_state(client, job_id, "completed")
        done = await client.jobs.get(job_id)
        assert done.execution_info is not None
        print(f"terminated: reason={done.execution_info.terminate_reason!r}")

        await client.jobs.delete(job_id)
        for _ in range(60):
            try:
                await client.jobs.get(job_id)
            except BatchResourceNotFoundError:
                print("deleted")
                break
            await asyncio.sleep(0.1)
        else:
            raise TimeoutError("job was not deleted")


if __name__ == "__main__":
    asyncio.run(main())
