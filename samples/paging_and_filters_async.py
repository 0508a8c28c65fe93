"""Listings: OData filters, $select, page sizes, and resuming a listing from a continuation token.

python samples/paging_and_filters_async.py
"""

from __future__ import annotations

import asyncio
import uuid

from _connect import connect

from azbatch import models


async def main() -> None:
    async with connect() as session:
        client = session.client
        prefix = f"paging-{uuid.uuid4().hex[:6]}-"
        job_ids = [f"{prefix}{i:03d}" for i in range(25)]
        for job_id in job_ids:
            await client.jobs.add(
                models.JobAddParameter(id=job_id, pool_info=models.PoolInformation(pool_id=session.pool_id))
            )
        print(f"added {len(job_ids)} jobs")

        try:
            # A filter and a projection: only ids and states come back, 10 per page.
            listing = client.jobs.list(
                filter=f"startswith(id,'{prefix}') and state eq 'active'",
                select=["id", "state"],
                max_results=10,
            )
            seen = [job.id async for job in listing]
            print(f"filtered listing: {len(seen)} jobs")
            assert sorted(seen) == job_ids

            # Page by page; keep the continuation token to resume later, e.g. in another process.
            pages = client.jobs.list(filter=f"startswith(id,'{prefix}')", max_results=10).by_page()
            first_page = [job.id async for job in await pages.__anext__()]
            token = pages.continuation_token
            print(f"first page: {len(first_page)} jobs, continuation token saved")

            resumed = client.jobs.list(filter=f"startswith(id,'{prefix}')", max_results=10).by_page(
                continuation_token=token
            )
            rest = [job.id async for page in resumed async for job in page]
            print(f"resumed listing: {len(rest)} more jobs")
            assert sorted(first_page + rest) == job_ids
        finally:
            for job_id in job_ids:
                await client.jobs.delete(job_id)
            print("cleaned up")


if __name__ == "__main__":
    asyncio.run(main())
