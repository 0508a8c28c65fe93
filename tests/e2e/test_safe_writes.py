"""A small seeded soak: every job operation under injected faults, and not one write misreported.

The emulator injects, at random but from a fixed seed (the same faults on every run, because the
request sequence is sequential and therefore the same), throttling, 503s, 500s and connections reset
before or after the answer -- including after the operation was applied. The client must report every
write that took effect as a success, and leave exactly the jobs the calls asked for.
"""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import MatchConditions

import azbatch
from azbatch import models
from azbatch.aio import BatchClient
from azbatch.emulator import BatchEmulator

from .conftest import new_job, record_sleeps

pytestmark = pytest.mark.batch_emulator(transition_ms=0, seed=20261203)

JOBS = 25
# Generous per-kind counters: the point is what happens around a fault, not running out of retries.
RETRIES = {"retry_total": 12, "retry_connect": 12, "retry_read": 12, "retry_status": 12}


def inject_faults(emulator: BatchEmulator, probability: float = 0.04) -> list[Any]:
    faults = emulator.faults
    return [
        faults.add("throttle", probability=probability, retry_after=0),
        faults.add("busy", probability=probability, retry_after=0),
        faults.add("internal_error", probability=probability),
        faults.add("reset_before", probability=probability),
        faults.add("reset_after", probability=probability),
    ]


def expected_ids(prefix: str) -> list[str]:
    return sorted(f"{prefix}-{n:03d}" for n in range(JOBS))


async def test_async_client_under_faults(
    batch_emulator: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = inject_faults(batch_emulator)
    async with BatchClient(batch_emulator.endpoint, batch_emulator.credential, **RETRIES) as client:
        record_sleeps(client, monkeypatch)  # Retry-After 0 and backoff: record instead of sleeping
        for job_id in expected_ids("soak"):
            added = await client.jobs.add(new_job(job_id, priority=1))
            patched = await client.jobs.patch(
                job_id, {"priority": 2}, etag=added.etag, match_condition=MatchConditions.IfNotModified
            )
            assert patched.etag != added.etag
            await client.jobs.disable(job_id, "requeue")
            await client.jobs.enable(job_id)
            await client.jobs.terminate(job_id, "soaked")
            # Adding it again is a genuine conflict, unless asked to accept the existing job.
            existing = await client.jobs.add(new_job(job_id), if_not_exists=True)
            job = await client.jobs.get(job_id)
            assert (job.state, job.priority, existing.etag) == ("completed", 2, job.etag)
            assert job.execution_info is not None and job.execution_info.terminate_reason == "soaked"
        doomed = expected_ids("soak")[:5]
        for job_id in doomed:
            await client.jobs.delete(job_id)
    assert sorted(batch_emulator.store.job_ids()) == expected_ids("soak")[5:]
    assert all(rule.fired > 0 for rule in rules), [rule.to_dict() for rule in rules]
    # A reset after the answer started was among the faults: some write was applied and then lost.
    assert batch_emulator.request_log.count(status=0) > 0


def test_sync_client_under_faults(
    batch_emulator_thread: BatchEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = batch_emulator_thread
    rules = inject_faults(emulator)
    with azbatch.BatchClient(emulator.endpoint, emulator.credential, **RETRIES) as client:
        monkeypatch.setattr(client._pipeline._transport, "sleep", lambda seconds: None)
        for job_id in expected_ids("sync"):
            added = client.jobs.add(new_job(job_id, metadata=[models.MetadataItem(name="n", value="1")]))
            client.jobs.update(
                job_id,
                models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id="e2e-pool"), priority=3),
                etag=added.etag,
                match_condition=MatchConditions.IfNotModified,
            )
            client.jobs.terminate(job_id)
            client.jobs.delete(job_id)
    assert emulator.store.job_ids() == []
    assert all(rule.fired > 0 for rule in rules), [rule.to_dict() for rule in rules]
