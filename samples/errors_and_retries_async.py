"""Errors as typed exceptions, optimistic concurrency with ETags, and retries that ride out throttling.

    python samples/errors_and_retries_async.py

Offline, the emulator injects the faults (a 503 with Retry-After, a connection reset) that a real
service produces under load, to show the client retrying through them.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from _connect import connect
from azure.core import MatchConditions

from azbatch import (
    BatchConflictError,
    BatchErrorCode,
    BatchResourceExistsError,
    BatchResourceModifiedError,
    BatchResourceNotFoundError,
    models,
)


async def main() -> None:
    # Retry settings are ordinary azure-core keywords; these keep the sample quick.
    async with connect(retry_total=4, retry_backoff_factor=0.2) as session:
        client = session.client
        job_id = f"errors-{uuid.uuid4().hex[:8]}"

        try:
            await client.jobs.get(job_id)
        except BatchResourceNotFoundError as err:
            print(f"404 {err.code}: request-id {err.request_id}")

        job = models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=session.pool_id))
        added = await client.jobs.add(job)
        try:
            await client.jobs.add(job)
        except BatchResourceExistsError as err:
            print(
                f"409 {err.code}: {err.error.message.splitlines()[0] if err.error and err.error.message else ''}"
            )

        # Optimistic concurrency: a write conditioned on an ETag that is no longer current fails with 412.
        await client.jobs.patch(job_id, models.JobPatchParameter(priority=1))
        try:
            await client.jobs.patch(
                job_id,
                models.JobPatchParameter(priority=2),
                etag=added.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except BatchResourceModifiedError as err:
            print(f"412 {err.code}: someone changed the job since our etag")

        if session.emulator is not None:
            # Two 503s with Retry-After: 1, then a reset connection: the call still succeeds.
            session.emulator.faults.server_busy(times=2, retry_after=1, operation="get")
            session.emulator.faults.reset_before_response(times=1, operation="get")
            started = time.monotonic()
            fetched = await client.jobs.get(job_id)
            print(
                f"get succeeded after 2x503 and a reset, in {time.monotonic() - started:.1f}s: {fetched.id}"
            )

        await client.jobs.terminate(job_id)
        for _ in range(50):
            state = (await client.jobs.get(job_id, select="state")).state
            if state == "completed":
                break
            await asyncio.sleep(0.1)
        try:
            await client.jobs.terminate(job_id)
        except BatchConflictError as err:
            # A state conflict is not "already exists": it is its own exception type.
            assert err.code == BatchErrorCode.JOB_COMPLETED
            print(f"409 {err.code}: terminate of a completed job")

        await client.jobs.delete(job_id)
        print("done")


if __name__ == "__main__":
    asyncio.run(main())
