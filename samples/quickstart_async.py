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

        # disable/enable/terminate/delete return once the service accepted them; the job then passes
        # through transient states. The begin_* variants return a poller that waits for the final state.
        poller = await client.jobs.begin_disable(
            job_id, models.DisableJobOption.REQUEUE, polling_interval=0.2
        )
        print(f"disabled: {(await poller.result()).state}")
        poller = await client.jobs.begin_enable(job_id, polling_interval=0.2)
        print(f"enabled again: {(await poller.result()).state}")

        poller = await client.jobs.begin_terminate(
            job_id, terminate_reason="quickstart done", polling_interval=0.2
        )
        done = await poller.result()
        assert done.execution_info is not None
        print(f"terminated: state={done.state} reason={done.execution_info.terminate_reason!r}")

        await (await client.jobs.begin_delete(job_id, polling_interval=0.2)).result()
        try:
            await client.jobs.get(job_id)
        except BatchResourceNotFoundError:
            print("deleted")


if __name__ == "__main__":
    asyncio.run(main())
