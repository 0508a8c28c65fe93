"""Waiting for jobs, checking that they exist, typed filters, and changing many jobs at once.

    python samples/lifecycle_async.py

Offline (no AZURE_BATCH_ENDPOINT) it runs against the emulator started in-process; see _connect.py for
running it against a real account.
"""

from __future__ import annotations

import asyncio
import uuid

from _connect import connect

from azbatch import BatchWaitTimeoutError, models
from azbatch.filters import F
from azbatch.models import BulkOutcome, JobSnapshot, JobState


def show(snapshot: JobSnapshot) -> None:
    counts = snapshot.task_counts
    tasks = (
        ""
        if counts is None
        else f" tasks active={counts.active} running={counts.running} done={counts.completed}"
    )
    print(f"  look {snapshot.polls} after {snapshot.elapsed:.1f}s: {snapshot.state}{tasks}")


def report(outcome: BulkOutcome) -> None:
    print(f"  {outcome.job_id}: {outcome.status} after {outcome.attempts} attempt(s)")


async def main() -> None:
    async with connect() as session:
        client = session.client
        prefix = f"lifecycle-{uuid.uuid4().hex[:6]}-"
        job_ids = [f"{prefix}{i}" for i in range(6)]
        for job_id in job_ids:
            await client.jobs.add(
                models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=session.pool_id))
            )
        print(f"added {len(job_ids)} jobs")

        first = job_ids[0]
        print(f"exists({first}): {await client.jobs.exists(first)}")
        print(f"exists({prefix}nope): {await client.jobs.exists(prefix + 'nope')}")

        # Wait for a state: disable returns once accepted; the job passes through "disabling".
        await client.jobs.disable(first, models.DisableJobOption.REQUEUE)
        snapshot = await client.jobs.wait_for_state(
            first, JobState.DISABLED, timeout=120, polling_interval=0.2, on_progress=show
        )
        print(f"{first} is {snapshot.state}")

        # A wait that runs out of time raises BatchWaitTimeoutError with what it saw last.
        try:
            await client.jobs.wait_for_state(first, JobState.ACTIVE, timeout=0.5, polling_interval=0.2)
        except BatchWaitTimeoutError as error:
            print(
                f"timed out as expected: still {error.state} after {error.last.polls if error.last else 0} looks"
            )

        # Wait for completion; task counts are part of every snapshot.
        await client.jobs.terminate(first, "sample finished")
        done = await client.jobs.wait_for_completion(
            first, timeout=120, polling_interval=0.2, on_progress=show
        )
        info = done.job.execution_info if done.job is not None else None
        print(f"{first} is {done.state} (reason {info.terminate_reason if info else None!r})")

        # Bulk: a typed filter picks the jobs; throttling is backed off and retried; each job is reported.
        still_active = F.id.startswith(prefix) & (F.state == JobState.ACTIVE)
        print(f"terminating jobs matching: {still_active}")
        result = await client.jobs.terminate_many(
            filter=still_active,
            terminate_reason="cleanup",
            wait=True,
            polling_interval=0.2,
            on_progress=report,
        )
        print(f"terminate_many: {result}")
        assert result.ok and sorted(result.succeeded) == job_ids[1:]

        # The same ids twice and one that does not exist: every job gets exactly one outcome.
        result = await client.jobs.delete_many(
            [*job_ids, job_ids[0], prefix + "nope"], wait=True, polling_interval=0.2, on_progress=report
        )
        print(f"delete_many: {result}")
        assert result.not_found == [prefix + "nope"] and result.ok
        remaining = [job.id async for job in client.jobs.list(filter=F.id.startswith(prefix))]
        print(f"left over: {remaining}")
        assert remaining == []


if __name__ == "__main__":
    asyncio.run(main())
