"""Checked by mypy from tests/test_typing.py (never run): what each call shape returns, statically."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azure.core.pipeline import PipelineResponse
from typing_extensions import assert_type

import azbatch
from azbatch import ClientRawResponse, models
from azbatch.aio import BatchClient as AsyncBatchClient


def status_of(
    response: PipelineResponse[Any, Any], result: models.CloudJob, headers: Mapping[str, str]
) -> int:
    return int(response.http_response.status_code)


def status_of_write(
    response: PipelineResponse[Any, Any], result: models.JobWriteResult, headers: Mapping[str, str]
) -> str | None:
    return headers.get("ETag")


async def async_shapes(client: AsyncBatchClient) -> None:
    assert_type(await client.jobs.get("j"), models.CloudJob)
    assert_type(await client.jobs.get("j", raw=True), ClientRawResponse[models.CloudJob])
    assert_type(await client.jobs.get("j", cls=status_of), int)
    assert_type(await client.jobs.terminate("j", "why", raw=True), ClientRawResponse[models.JobWriteResult])
    assert_type(await client.jobs.delete("j", cls=status_of_write), str | None)
    assert_type(await client.jobs.get_task_counts("j"), models.TaskCountsResult)
    raw = await client.jobs.add(models.JobAddParameter(id="j"), raw=True)
    assert_type(raw.output, models.JobWriteResult)


def sync_shapes(client: azbatch.BatchClient) -> None:
    assert_type(client.jobs.get("j"), models.CloudJob)
    assert_type(client.jobs.get("j", raw=True), ClientRawResponse[models.CloudJob])
    assert_type(client.jobs.get("j", cls=status_of), int)
    assert_type(client.jobs.patch("j", models.JobPatchParameter(), raw=True).output, models.JobWriteResult)
    assert_type(client.jobs.disable("j", "requeue"), models.JobWriteResult)
