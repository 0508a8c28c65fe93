"""The job operations of the async client.

This file is the source of truth for both clients: ``scripts/unasync.py`` generates
``azbatch/_sync/_jobs.py`` from it. Keep every operation as thin glue -- validate and build the request
(pure), send it through the pipeline, parse the response (pure) -- so the two stay identical.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Literal, TypeVar, overload

from azure.core import MatchConditions
from azure.core.async_paging import AsyncItemPaged, AsyncList
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline import AsyncPipeline, PipelineResponse
from azure.core.polling import AsyncLROPoller
from azure.core.rest import AsyncHttpResponse, HttpRequest
from azure.core.tracing.decorator import distributed_trace
from azure.core.tracing.decorator_async import distributed_trace_async

from .._legacy import ClientRawResponse, legacy_call_shapes
from .._protocol import _idempotency as idem
from .._protocol import _lro
from .._protocol import _requests as rq
from .._protocol import _responses as rs
from .._protocol import _validation as check
from .._typing import ResultHook
from ..exceptions import BatchDecodeError, BatchServiceError, BatchTimeoutError
from ..filters import Filter
from ..models import (
    CloudJob,
    DisableJobOption,
    JobAddParameter,
    JobPatchParameter,
    JobPreparationAndReleaseTaskExecutionInformation,
    JobUpdateParameter,
    JobWriteResult,
    TaskCountsResult,
)
from ..models import _options as opts
from ._lifecycle import JobLifecycleMixin
from ._lro import JobStatePolling
from ._paging import LoopSafeItemPaged
from ._safe_writes import WriteVerifier

__all__ = ["JobOperations"]

T = TypeVar("T")
ItemT = TypeVar("ItemT")


class JobOperations(JobLifecycleMixin):
    """The 12 operations of the Batch job API. Reach it as ``client.jobs`` (or ``client.job``).

    Every operation accepts these keyword options:

    :keyword int service_timeout: seconds the service may spend on the call (sent as the ``timeout``
        query parameter; the service caps it at 30).
    :keyword float timeout: client-side total deadline, in seconds, of the call: connecting, reading,
        every retry and every wait between retries together (each page of a listing gets its own).
        Defaults to the client's ``timeout``; on expiry raises :class:`~azbatch.exceptions.BatchTimeoutError`.
    :keyword str client_request_id: a UUID identifying the call in the service's logs.
    :keyword bool return_client_request_id: ask the service to echo ``client_request_id``.
    :keyword datetime.datetime ocp_date: the time the request was created (sent as ``ocp-date``).

    Operations on one existing job also take the conditions:

    :keyword str etag: the ETag to compare, used with ``match_condition``.
    :keyword ~azure.core.MatchConditions match_condition: ``IfNotModified`` (If-Match), ``IfModified``
        (If-None-Match), ``IfPresent`` or ``IfMissing``.
    :keyword datetime.datetime if_modified_since: proceed only if the job changed since then.
    :keyword datetime.datetime if_unmodified_since: proceed only if the job has not changed since then.

    For code written against azure-batch 14.x, every operation also accepts its options object
    (``job_get_options=JobGetOptions(...)`` and so on), ``custom_headers`` (a dict of extra headers) and
    ``raw=True`` (returns a :class:`~azbatch.ClientRawResponse` with ``output``, ``response`` and
    ``headers``). A value given both in an options object and as a keyword is an error.

    Any other keyword goes to the azure-core pipeline (``retry_total``, ``logging_enable``, ``headers``,
    ``timeout``, ...). ``cls`` may be a callable ``(pipeline_response, result, headers)`` whose return
    value replaces the result. Invalid arguments raise ``TypeError``/``ValueError`` before anything is
    sent; service errors raise :class:`azbatch.exceptions.BatchServiceError` subclasses.
    """

    def __init__(
        self,
        pipeline: AsyncPipeline[HttpRequest, AsyncHttpResponse],
        target: rq.Target,
        default_timeout: float | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._target = target
        # The client-wide per-call deadline (the deadline policy applies it); waits must not loosen it.
        self._default_timeout = default_timeout
        self._verifier = WriteVerifier(pipeline, target)

    # ------------------------------------------------------------------------------------ plumbing

    async def _call(
        self,
        request: HttpRequest,
        parse: Callable[[AsyncHttpResponse], T],
        kwargs: dict[str, Any],
        operation: str,
    ) -> T:
        cls = kwargs.pop("cls", None)
        # The operation name tells the retry policy which Batch rule applies (policies/_retry.py).
        pipeline_response: PipelineResponse[HttpRequest, AsyncHttpResponse] = await self._pipeline.run(
            request, batch_operation=operation, **kwargs
        )
        result = parse(pipeline_response.http_response)
        if cls is not None:
            # Header lookups ignore case whatever case the transport reports names in (httpx lower-cases).
            headers = rs.ResponseHeaders(pipeline_response.http_response.headers)
            return cls(pipeline_response, result, headers)  # type: ignore[no-any-return]
        return result

    async def _write(
        self,
        request: HttpRequest,
        parse: Callable[[AsyncHttpResponse], JobWriteResult],
        kwargs: dict[str, Any],
        operation: str,
        job_id: str | None = None,
        *,
        if_not_exists: bool = False,
    ) -> JobWriteResult:
        """Send a write; a failure that an earlier attempt of this call explains becomes its success."""
        cls = kwargs.pop("cls", None)
        # The retry policy fills this log in; it outlives the pipeline run even when that raises.
        log = idem.AttemptLog(started=time.monotonic())
        pipeline_response: PipelineResponse[HttpRequest, AsyncHttpResponse]
        try:
            pipeline_response = await self._pipeline.run(
                request, batch_operation=operation, azbatch_attempts=log, **kwargs
            )
        except BatchTimeoutError:
            raise  # out of time: a verification would run past the deadline the caller set
        except (ServiceRequestError, ServiceResponseError):
            verify = _within_deadline(kwargs, log)
            recovered = (
                None
                if verify is None
                else await self._verifier.recover(operation, job_id, request, log, verify)
            )
            if recovered is None:
                raise
            result, pipeline_response = recovered
        else:
            try:
                result = parse(pipeline_response.http_response)
            except BatchServiceError as error:
                verify = _within_deadline(kwargs, log)
                recovered = (
                    None
                    if verify is None
                    else await self._verifier.recover(
                        operation, job_id, request, log, verify, error, if_not_exists=if_not_exists
                    )
                )
                if recovered is None:
                    raise
                result, pipeline_response = recovered
        if cls is not None:
            # Header lookups ignore case whatever case the transport reports names in (httpx lower-cases).
            headers = rs.ResponseHeaders(pipeline_response.http_response.headers)
            return cls(pipeline_response, result, headers)  # type: ignore[no-any-return]
        return result

    def _pages(
        self,
        first_request: Callable[[], HttpRequest],
        parse: Callable[[AsyncHttpResponse], tuple[str | None, list[ItemT]]],
        options: rq.RequestOptions,
        kwargs: dict[str, Any],
    ) -> AsyncItemPaged[ItemT]:
        """A lazy listing: no request is sent until the caller starts iterating."""
        # A bad deadline is the caller's error now, not at the first page.
        check.optional_seconds("timeout", kwargs.get("timeout"), positive=True)

        # Links the service itself sent: one that cannot be followed (another origin, relative) is then a
        # malformed answer (BatchDecodeError), not a bad continuation_token of the caller's (ValueError).
        served_links: set[str] = set()

        async def get_next(continuation_token: str | None) -> AsyncHttpResponse:
            if continuation_token is None:
                request = first_request()
            else:
                try:
                    request = rq.build_next_page_request(self._target, continuation_token, options)
                except ValueError as exc:
                    if continuation_token not in served_links:
                        raise
                    raise BatchDecodeError(
                        "the service's odata.nextLink does not point at the client's endpoint; "
                        "it is not followed",
                        error=exc,
                    ) from exc
            pipeline_response = await self._pipeline.run(request, **kwargs)
            response: AsyncHttpResponse = pipeline_response.http_response
            # Raise a failed page here, not in extract_data: azure-core's pager then records on the
            # error the continuation token of the page that failed, so the caller can resume from it.
            rs.ensure_status(response, rs.OK)
            return response

        async def extract_data(response: AsyncHttpResponse) -> tuple[str | None, AsyncIterator[ItemT]]:
            next_link, items = parse(response)
            if next_link is not None:
                served_links.add(next_link)
            return next_link, AsyncList(items)

        return LoopSafeItemPaged(get_next, extract_data)

    # ---------------------------------------------------------------------------------- operations

    @overload
    async def add(
        self, job: JobAddParameter | Mapping[str, Any], *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def add(
        self, job: JobAddParameter | Mapping[str, Any], *, cls: ResultHook[JobWriteResult, T], **kwargs: Any
    ) -> T: ...
    @overload
    async def add(
        self,
        job: JobAddParameter | Mapping[str, Any],
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        if_not_exists: bool = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_add_options", opts.JobAddOptions)
    @distributed_trace_async
    async def add(
        self,
        job: JobAddParameter | Mapping[str, Any],
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        if_not_exists: bool = False,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Create a job (``POST /jobs``).

        Transient failures are retried. If a retry finds the id taken and an earlier attempt of this
        call may have reached the service, the job is fetched: when it was created during this call
        and shows what was sent, the call succeeds (see docs/reliability.md, "safe create").

        :param job: the job to create: a :class:`~azbatch.models.JobAddParameter` or its wire-form mapping.
        :keyword bool if_not_exists: when a job with this id already exists, return its ETag,
            Last-Modified and URL instead of raising (whoever created it, whatever it holds).
        :return: the new job's ETag, Last-Modified and URL.
        :raises ~azbatch.exceptions.BatchResourceExistsError: a job with this id exists (and was not
            created by this call, or ``if_not_exists`` was not set).
        """
        if not isinstance(if_not_exists, bool):
            raise TypeError(f"if_not_exists must be a bool, not {type(if_not_exists).__name__}")
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        request = rq.build_add_request(self._target, job, options)
        return await self._write(request, rs.parse_add_response, kwargs, "add", if_not_exists=if_not_exists)

    @overload
    async def delete(
        self, job_id: str, *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def delete(self, job_id: str, *, cls: ResultHook[JobWriteResult, T], **kwargs: Any) -> T: ...
    @overload
    async def delete(
        self,
        job_id: str,
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        force: bool | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_delete_options", opts.JobDeleteOptions)
    @distributed_trace_async
    async def delete(
        self,
        job_id: str,
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        force: bool | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Delete a job and its tasks (``DELETE /jobs/{jobId}``).

        The service accepts the request (202) and moves the job to ``deleting``; it disappears later.

        :param job_id: the job's id.
        :keyword force: ``True`` deletes the job even if nodes have not finished processing the
            deletion (api-version 2024-07-01.20.0 and later; refused before anything is sent otherwise).
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_delete_request(self._target, job_id, options, conditions, force=force)
        return await self._write(request, rs.parse_accepted_response, kwargs, "delete", job_id)

    @overload
    async def disable(
        self, job_id: str, disable_tasks: DisableJobOption | str, *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def disable(
        self,
        job_id: str,
        disable_tasks: DisableJobOption | str,
        *,
        cls: ResultHook[JobWriteResult, T],
        **kwargs: Any,
    ) -> T: ...
    @overload
    async def disable(
        self,
        job_id: str,
        disable_tasks: DisableJobOption | str,
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_disable_options", opts.JobDisableOptions)
    @distributed_trace_async
    async def disable(
        self,
        job_id: str,
        disable_tasks: DisableJobOption | str,
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Stop scheduling new tasks of a job (``POST /jobs/{jobId}/disable``).

        :param job_id: the job's id.
        :param disable_tasks: what happens to running tasks: ``requeue``, ``terminate`` or ``wait``.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_disable_request(self._target, job_id, disable_tasks, options, conditions)
        return await self._write(request, rs.parse_accepted_response, kwargs, "disable", job_id)

    @overload
    async def enable(
        self, job_id: str, *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def enable(self, job_id: str, *, cls: ResultHook[JobWriteResult, T], **kwargs: Any) -> T: ...
    @overload
    async def enable(
        self,
        job_id: str,
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_enable_options", opts.JobEnableOptions)
    @distributed_trace_async
    async def enable(
        self,
        job_id: str,
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Resume scheduling tasks of a disabled job (``POST /jobs/{jobId}/enable``).

        :param job_id: the job's id.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_enable_request(self._target, job_id, options, conditions)
        return await self._write(request, rs.parse_accepted_response, kwargs, "enable", job_id)

    @overload
    async def get(self, job_id: str, *, raw: Literal[True], **kwargs: Any) -> ClientRawResponse[CloudJob]: ...
    @overload
    async def get(self, job_id: str, *, cls: ResultHook[CloudJob, T], **kwargs: Any) -> T: ...
    @overload
    async def get(
        self,
        job_id: str,
        *,
        select: str | Sequence[str] | None = ...,
        expand: str | Sequence[str] | None = ...,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> CloudJob: ...

    @legacy_call_shapes("job_get_options", opts.JobGetOptions)
    @distributed_trace_async
    async def get(
        self,
        job_id: str,
        *,
        select: str | Sequence[str] | None = None,
        expand: str | Sequence[str] | None = None,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> CloudJob | ClientRawResponse[CloudJob] | Any:
        """Fetch one job (``GET /jobs/{jobId}``).

        :param job_id: the job's id.
        :keyword select: property names to return (``["id", "state"]`` or ``"id,state"``).
        :keyword expand: related data to include; ``"stats"`` adds :attr:`CloudJob.stats`.
        :raises ~azbatch.exceptions.BatchResourceNotFoundError: no such job.
        :raises ~azbatch.exceptions.BatchResourceNotModifiedError: a read condition found it unchanged.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_get_request(self._target, job_id, select, expand, options, conditions)
        return await self._call(request, rs.parse_get_response, kwargs, "get")

    @overload
    async def get_task_counts(
        self, job_id: str, *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[TaskCountsResult]: ...
    @overload
    async def get_task_counts(
        self, job_id: str, *, cls: ResultHook[TaskCountsResult, T], **kwargs: Any
    ) -> T: ...
    @overload
    async def get_task_counts(
        self,
        job_id: str,
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> TaskCountsResult: ...

    @legacy_call_shapes("job_get_task_counts_options", opts.JobGetTaskCountsOptions)
    @distributed_trace_async
    async def get_task_counts(
        self,
        job_id: str,
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> TaskCountsResult | ClientRawResponse[TaskCountsResult] | Any:
        """Count a job's tasks and task slots by state (``GET /jobs/{jobId}/taskcounts``).

        :param job_id: the job's id.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        request = rq.build_get_task_counts_request(self._target, job_id, options)
        return await self._call(request, rs.parse_get_task_counts_response, kwargs, "get_task_counts")

    @legacy_call_shapes("job_list_options", opts.JobListOptions, listing=True)
    @distributed_trace
    def list(
        self,
        *,
        filter: str | Filter | None = None,
        select: str | Sequence[str] | None = None,
        expand: str | Sequence[str] | None = None,
        max_results: int | None = None,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> AsyncItemPaged[CloudJob]:
        """List the account's jobs, page by page as the caller iterates (``GET /jobs``).

        :keyword filter: an OData filter such as ``"state eq 'active'"``, or an :mod:`azbatch.filters`
            expression (checked against this listing before anything is sent).
        :keyword select: property names to return.
        :keyword expand: ``"stats"`` to include statistics.
        :keyword max_results: page size, 1 to 1000 (the service's default is 1000).
        :return: an async iterable of jobs; ``.by_page(continuation_token=...)`` resumes from a page link.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        rq.build_list_request(self._target, filter, select, expand, max_results, options)  # validate now

        def first() -> HttpRequest:
            return rq.build_list_request(self._target, filter, select, expand, max_results, options)

        return self._pages(first, rs.parse_job_page, options, kwargs)

    @legacy_call_shapes(
        "job_list_from_job_schedule_options", opts.JobListFromJobScheduleOptions, listing=True
    )
    @distributed_trace
    def list_from_job_schedule(
        self,
        job_schedule_id: str,
        *,
        filter: str | Filter | None = None,
        select: str | Sequence[str] | None = None,
        expand: str | Sequence[str] | None = None,
        max_results: int | None = None,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> AsyncItemPaged[CloudJob]:
        """List the jobs a job schedule created (``GET /jobschedules/{jobScheduleId}/jobs``).

        :param job_schedule_id: the schedule's id.
        :keyword filter: an OData filter such as ``"state eq 'active'"``, or an :mod:`azbatch.filters`
            expression (checked against this listing before anything is sent).
        :keyword select: property names to return.
        :keyword expand: ``"stats"`` to include statistics.
        :keyword max_results: page size, 1 to 1000.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        rq.build_list_from_job_schedule_request(
            self._target, job_schedule_id, filter, select, expand, max_results, options
        )

        def first() -> HttpRequest:
            return rq.build_list_from_job_schedule_request(
                self._target, job_schedule_id, filter, select, expand, max_results, options
            )

        return self._pages(first, rs.parse_job_page, options, kwargs)

    @legacy_call_shapes(
        "job_list_preparation_and_release_task_status_options",
        opts.JobListPreparationAndReleaseTaskStatusOptions,
        listing=True,
    )
    @distributed_trace
    def list_preparation_and_release_task_status(
        self,
        job_id: str,
        *,
        filter: str | Filter | None = None,
        select: str | Sequence[str] | None = None,
        max_results: int | None = None,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> AsyncItemPaged[JobPreparationAndReleaseTaskExecutionInformation]:
        """List, per compute node, how the job's preparation and release tasks ran.

        (``GET /jobs/{jobId}/jobpreparationandreleasetaskstatus``.)

        :param job_id: the job's id.
        :keyword filter: an OData filter such as ``"nodeId eq 'tvm-1'"``, or an :mod:`azbatch.filters`
            expression (checked against this listing before anything is sent).
        :keyword select: property names to return.
        :keyword max_results: page size, 1 to 1000.
        :raises ~azbatch.exceptions.BatchConflictError: the job has neither task (when iterated).
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        rq.build_list_preparation_and_release_task_status_request(
            self._target, job_id, filter, select, max_results, options
        )

        def first() -> HttpRequest:
            return rq.build_list_preparation_and_release_task_status_request(
                self._target, job_id, filter, select, max_results, options
            )

        return self._pages(first, rs.parse_preparation_and_release_page, options, kwargs)

    @overload
    async def patch(
        self,
        job_id: str,
        job_patch_parameter: JobPatchParameter | CloudJob | Mapping[str, Any],
        *,
        raw: Literal[True],
        **kwargs: Any,
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def patch(
        self,
        job_id: str,
        job_patch_parameter: JobPatchParameter | CloudJob | Mapping[str, Any],
        *,
        cls: ResultHook[JobWriteResult, T],
        **kwargs: Any,
    ) -> T: ...
    @overload
    async def patch(
        self,
        job_id: str,
        job_patch_parameter: JobPatchParameter | CloudJob | Mapping[str, Any],
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_patch_options", opts.JobPatchOptions)
    @distributed_trace_async
    async def patch(
        self,
        job_id: str,
        job_patch_parameter: JobPatchParameter | CloudJob | Mapping[str, Any],
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Change only the given properties of a job (``PATCH /jobs/{jobId}``).

        :param job_id: the job's id.
        :param job_patch_parameter: the properties to change; a fetched :class:`CloudJob` sends its
            updatable properties.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_patch_request(self._target, job_id, job_patch_parameter, options, conditions)
        return await self._write(request, rs.parse_update_response, kwargs, "patch", job_id)

    @overload
    async def terminate(
        self, job_id: str, terminate_reason: str | None = ..., *, raw: Literal[True], **kwargs: Any
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def terminate(
        self,
        job_id: str,
        terminate_reason: str | None = ...,
        *,
        cls: ResultHook[JobWriteResult, T],
        **kwargs: Any,
    ) -> T: ...
    @overload
    async def terminate(
        self,
        job_id: str,
        terminate_reason: str | None = ...,
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        force: bool | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_terminate_options", opts.JobTerminateOptions)
    @distributed_trace_async
    async def terminate(
        self,
        job_id: str,
        terminate_reason: str | None = None,
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        force: bool | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """End a job: running tasks are stopped and it moves to ``completed`` (``POST .../terminate``).

        :param job_id: the job's id.
        :param terminate_reason: text stored as the job's ``execution_info.terminate_reason``
            (the service uses ``UserTerminate`` when none is given).
        :keyword force: ``True`` terminates the job even if nodes have not finished processing the
            termination (api-version 2024-07-01.20.0 and later; refused before anything is sent otherwise).
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_terminate_request(
            self._target, job_id, terminate_reason, options, conditions, force=force
        )
        return await self._write(request, rs.parse_accepted_response, kwargs, "terminate", job_id)

    @overload
    async def update(
        self,
        job_id: str,
        job_update_parameter: JobUpdateParameter | CloudJob | Mapping[str, Any],
        *,
        raw: Literal[True],
        **kwargs: Any,
    ) -> ClientRawResponse[JobWriteResult]: ...
    @overload
    async def update(
        self,
        job_id: str,
        job_update_parameter: JobUpdateParameter | CloudJob | Mapping[str, Any],
        *,
        cls: ResultHook[JobWriteResult, T],
        **kwargs: Any,
    ) -> T: ...
    @overload
    async def update(
        self,
        job_id: str,
        job_update_parameter: JobUpdateParameter | CloudJob | Mapping[str, Any],
        *,
        service_timeout: int | None = ...,
        client_request_id: str | None = ...,
        return_client_request_id: bool | None = ...,
        ocp_date: datetime.datetime | None = ...,
        etag: str | None = ...,
        match_condition: MatchConditions | None = ...,
        if_modified_since: datetime.datetime | None = ...,
        if_unmodified_since: datetime.datetime | None = ...,
        raw: Literal[False] = ...,
        cls: None = ...,
        **kwargs: Any,
    ) -> JobWriteResult: ...

    @legacy_call_shapes("job_update_options", opts.JobUpdateOptions)
    @distributed_trace_async
    async def update(
        self,
        job_id: str,
        job_update_parameter: JobUpdateParameter | CloudJob | Mapping[str, Any],
        *,
        service_timeout: int | None = None,
        client_request_id: str | None = None,
        return_client_request_id: bool | None = None,
        ocp_date: datetime.datetime | None = None,
        etag: str | None = None,
        match_condition: MatchConditions | None = None,
        if_modified_since: datetime.datetime | None = None,
        if_unmodified_since: datetime.datetime | None = None,
        **kwargs: Any,
    ) -> JobWriteResult | ClientRawResponse[JobWriteResult] | Any:
        """Replace all updatable properties of a job (``PUT /jobs/{jobId}``).

        Properties left out return to their defaults (priority 0, no constraints, no metadata, ...);
        use :meth:`patch` to change only some. ``pool_info`` is required.

        :param job_id: the job's id.
        :param job_update_parameter: the job's new updatable properties; a fetched :class:`CloudJob`
            sends its updatable properties.
        """
        options = rq.options(service_timeout, client_request_id, return_client_request_id, ocp_date)
        conditions = rq.conditions(etag, match_condition, if_modified_since, if_unmodified_since)
        request = rq.build_update_request(self._target, job_id, job_update_parameter, options, conditions)
        return await self._write(request, rs.parse_update_response, kwargs, "update", job_id)

    # ------------------------------------------------------------------------- waiting for changes

    async def _begin(
        self,
        operation: str,
        job_id: str,
        start: Callable[[], Any],
        polling_interval: float,
        continuation_token: str | None,
    ) -> AsyncLROPoller[Any]:
        interval = check.polling_interval(polling_interval)
        check.resource_id("job_id", job_id)
        polling = JobStatePolling(operation, job_id, interval, {})
        if continuation_token is not None:
            if _lro.decode_token(continuation_token, operation) != job_id:
                raise ValueError("continuation_token was made for another job than job_id")
            return AsyncLROPoller.from_continuation_token(polling, continuation_token, client=self)
        initial = await start()
        return AsyncLROPoller(self, initial, lambda job: job, polling)

    @distributed_trace_async
    async def begin_delete(
        self,
        job_id: str,
        *,
        polling_interval: float = 2.0,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[None]:
        """Delete a job and get a poller that finishes once the job is gone.

        :param job_id: the job's id.
        :keyword polling_interval: seconds between looks at the job (default 2).
        :keyword continuation_token: resume waiting from ``poller.continuation_token()`` (no new delete is sent).
        :keyword kwargs: every keyword :meth:`delete` takes (``force=True`` among them).
        :return: a poller; ``await poller.result()`` returns ``None`` once the job no longer exists.
        """
        return await self._begin(
            "delete", job_id, lambda: self.delete(job_id, **kwargs), polling_interval, continuation_token
        )

    @distributed_trace_async
    async def begin_disable(
        self,
        job_id: str,
        disable_tasks: DisableJobOption | str,
        *,
        polling_interval: float = 2.0,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[CloudJob]:
        """Disable a job and get a poller that finishes when it is ``disabled``.

        :param job_id: the job's id.
        :param disable_tasks: what happens to running tasks: ``requeue``, ``terminate`` or ``wait``.
        :keyword polling_interval: seconds between looks at the job (default 2).
        :keyword continuation_token: resume waiting from ``poller.continuation_token()`` (no new call is sent).
        :keyword kwargs: every keyword :meth:`disable` takes.
        :return: a poller whose result is the disabled job.
        :raises ~azbatch.exceptions.BatchJobStateError: (from the result) the job went to another state.
        """
        return await self._begin(
            "disable",
            job_id,
            lambda: self.disable(job_id, disable_tasks, **kwargs),
            polling_interval,
            continuation_token,
        )

    @distributed_trace_async
    async def begin_enable(
        self,
        job_id: str,
        *,
        polling_interval: float = 2.0,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[CloudJob]:
        """Enable a disabled job and get a poller that finishes when it is ``active`` again.

        :param job_id: the job's id.
        :keyword polling_interval: seconds between looks at the job (default 2).
        :keyword continuation_token: resume waiting from ``poller.continuation_token()`` (no new call is sent).
        :keyword kwargs: every keyword :meth:`enable` takes.
        :return: a poller whose result is the active job.
        :raises ~azbatch.exceptions.BatchJobStateError: (from the result) the job went to another state.
        """
        return await self._begin(
            "enable", job_id, lambda: self.enable(job_id, **kwargs), polling_interval, continuation_token
        )

    @distributed_trace_async
    async def begin_terminate(
        self,
        job_id: str,
        terminate_reason: str | None = None,
        *,
        polling_interval: float = 2.0,
        continuation_token: str | None = None,
        **kwargs: Any,
    ) -> AsyncLROPoller[CloudJob]:
        """Terminate a job and get a poller that finishes when it is ``completed``.

        :param job_id: the job's id.
        :param terminate_reason: text stored as the job's ``execution_info.terminate_reason``.
        :keyword polling_interval: seconds between looks at the job (default 2).
        :keyword continuation_token: resume waiting from ``poller.continuation_token()`` (no new call is sent).
        :keyword kwargs: every keyword :meth:`terminate` takes (``force=True`` among them).
        :return: a poller whose result is the completed job.
        :raises ~azbatch.exceptions.BatchJobStateError: (from the result) the job was deleted meanwhile.
        """
        return await self._begin(
            "terminate",
            job_id,
            lambda: self.terminate(job_id, terminate_reason, **kwargs),
            polling_interval,
            continuation_token,
        )


def _within_deadline(kwargs: dict[str, Any], log: idem.AttemptLog) -> dict[str, Any] | None:
    """The keywords for a verification request: bounded by what is left of the call's deadline.

    ``None`` when the deadline has passed: the failure then stands rather than run late.
    """
    left = log.time_left(time.monotonic())
    if left is None:
        return kwargs
    if left <= 0:
        return None
    return {**kwargs, "timeout": left}
