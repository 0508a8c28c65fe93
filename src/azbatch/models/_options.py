"""Per-operation option objects in the shape azure-batch 14.x code passes them.

``client.job.list(job_list_options=JobListOptions(filter="state eq 'active'"))`` keeps working; each
field maps onto the keyword of the same meaning (``timeout`` becomes ``service_timeout``; ``if_match``
and ``if_none_match`` become ``etag`` + ``match_condition``). New code can use the keywords directly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from uuid import UUID

__all__ = [
    "JobAddOptions",
    "JobDeleteOptions",
    "JobDisableOptions",
    "JobEnableOptions",
    "JobGetOptions",
    "JobGetTaskCountsOptions",
    "JobListFromJobScheduleOptions",
    "JobListOptions",
    "JobListPreparationAndReleaseTaskStatusOptions",
    "JobPatchOptions",
    "JobTerminateOptions",
    "JobUpdateOptions",
    "OperationOptions",
]


@dataclass(kw_only=True)
class OperationOptions:
    """Options every job operation takes.

    :ivar timeout: seconds the service may spend on the call (the ``timeout`` query parameter).
    :ivar client_request_id: a UUID identifying the call in the service's logs.
    :ivar return_client_request_id: ask the service to echo ``client_request_id``.
    :ivar ocp_date: when the request was created.
    """

    timeout: int | None = None
    client_request_id: str | UUID | None = None
    return_client_request_id: bool | None = None
    ocp_date: datetime.datetime | None = None


@dataclass(kw_only=True)
class _ConditionalOptions(OperationOptions):
    """Options of operations on one existing job, with HTTP preconditions.

    :ivar if_match: proceed only if the job's ETag equals this (``*``: if it exists).
    :ivar if_none_match: proceed only if the job's ETag differs (``*``: if it does not exist).
    :ivar if_modified_since: proceed only if the job changed since then.
    :ivar if_unmodified_since: proceed only if the job has not changed since then.
    """

    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime.datetime | None = None
    if_unmodified_since: datetime.datetime | None = None


@dataclass(kw_only=True)
class _ListingOptions(OperationOptions):
    """Options of a listing.

    :ivar filter: an OData filter.
    :ivar select: comma-separated property names to return.
    :ivar max_results: page size, 1 to 1000.
    """

    filter: str | None = None
    select: str | None = None
    max_results: int | None = None


class JobAddOptions(OperationOptions):
    """Options of ``add``."""


class JobGetTaskCountsOptions(OperationOptions):
    """Options of ``get_task_counts``."""


class JobDeleteOptions(_ConditionalOptions):
    """Options of ``delete``."""


class JobDisableOptions(_ConditionalOptions):
    """Options of ``disable``."""


class JobEnableOptions(_ConditionalOptions):
    """Options of ``enable``."""


class JobPatchOptions(_ConditionalOptions):
    """Options of ``patch``."""


class JobTerminateOptions(_ConditionalOptions):
    """Options of ``terminate``."""


class JobUpdateOptions(_ConditionalOptions):
    """Options of ``update``."""


@dataclass(kw_only=True)
class JobGetOptions(_ConditionalOptions):
    """Options of ``get``.

    :ivar select: comma-separated property names to return.
    :ivar expand: related data to include (``stats``).
    """

    select: str | None = None
    expand: str | None = None


@dataclass(kw_only=True)
class JobListOptions(_ListingOptions):
    """Options of ``list``.

    :ivar expand: related data to include (``stats``).
    """

    expand: str | None = None


@dataclass(kw_only=True)
class JobListFromJobScheduleOptions(_ListingOptions):
    """Options of ``list_from_job_schedule``.

    :ivar expand: related data to include (``stats``).
    """

    expand: str | None = None


class JobListPreparationAndReleaseTaskStatusOptions(_ListingOptions):
    """Options of ``list_preparation_and_release_task_status``."""
