"""The in-memory job store: the job state machine with time, and keyset listing.

Times are integer ticks (see ``_time``); request bodies are checked by ``_validation`` before they reach
the store. State transitions are lazy: an operation that starts one records the
target state and a deadline; any later read of the job resolves it. Nothing runs in the background, so
behaviour depends only on the clock, which tests may replace.

Every public method takes the store lock, because the in-thread runner lets test code seed the store from
another thread while the server loop is serving requests.
"""

from __future__ import annotations

import copy
import random
import threading
import uuid
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from . import _errors as err
from ._errors import BatchApiError
from ._odata import FilterField, Predicate, parse_datetime_ticks
from ._time import DOTNET_TICKS_AT_UNIX_EPOCH, format_datetime, now_ticks
from ._validation import (
    TASK_RESULTS,
    TASK_STATES,
    UPDATABLE_PROPS,
    as_enum,
    as_int,
    as_object,
    as_string,
    check_job_id,
    reject_unknown,
    validate_add,
    validate_disable,
    validate_patch,
    validate_terminate,
    validate_update,
)

MAX_TIMESPAN = "P10675199DT2H48M5.4775807S"
"""What the service prints for an unset ``constraints.maxWallClockTime`` (.NET ``TimeSpan.MaxValue``)."""

JOB_STATES = ("active", "disabling", "disabled", "enabling", "terminating", "completed", "deleting")
_AUTO_TERMINABLE = frozenset({"active", "disabling", "disabled", "enabling"})
_GONE = "<gone>"  # pseudo target state of a pending delete

Check = Callable[[str, int], None]
"""Precondition hook: called with the job's current ETag and lastModified ticks; raises to refuse."""


# -------------------------------------------------------------------------------------- filter tables

_ORDERED = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_ORDERED_PREFIX = _ORDERED | {"startswith"}
_DATETIME = FilterField("datetime", _ORDERED)

JOB_FILTER_FIELDS: dict[str, FilterField] = {
    "id": FilterField("string", _ORDERED_PREFIX, ignore_case=True),
    "state": FilterField("enum", frozenset({"eq", "ne"}), frozenset(JOB_STATES)),
    "stateTransitionTime": _DATETIME,
    "creationTime": _DATETIME,
    "lastModified": _DATETIME,
    "executionInfo/startTime": _DATETIME,
    "executionInfo/endTime": _DATETIME,
    "executionInfo/poolId": FilterField("string", _ORDERED_PREFIX),
}
"""Filterable properties of the two job listings (see JOBS-API.md §10)."""

PREP_RELEASE_FILTER_FIELDS: dict[str, FilterField] = {
    "nodeId": FilterField("string", _ORDERED_PREFIX),
    "poolId": FilterField("string", _ORDERED_PREFIX),
}
for _task_info in ("jobPreparationTaskExecutionInfo", "jobReleaseTaskExecutionInfo"):
    PREP_RELEASE_FILTER_FIELDS[f"{_task_info}/state"] = FilterField(
        "enum", frozenset({"eq", "ne"}), TASK_STATES
    )
    PREP_RELEASE_FILTER_FIELDS[f"{_task_info}/result"] = FilterField(
        "enum", frozenset({"eq", "ne"}), TASK_RESULTS
    )
    PREP_RELEASE_FILTER_FIELDS[f"{_task_info}/startTime"] = _DATETIME
    PREP_RELEASE_FILTER_FIELDS[f"{_task_info}/endTime"] = _DATETIME
    PREP_RELEASE_FILTER_FIELDS[f"{_task_info}/exitCode"] = FilterField("int", _ORDERED)
"""Filterable properties of list_preparation_and_release_task_status."""

JOB_PROPERTIES = (
    "id",
    "displayName",
    "url",
    "eTag",
    "lastModified",
    "creationTime",
    "state",
    "stateTransitionTime",
    "previousState",
    "previousStateTransitionTime",
    "priority",
    "maxParallelTasks",
    "allowTaskPreemption",
    "usesTaskDependencies",
    "constraints",
    "jobManagerTask",
    "jobPreparationTask",
    "jobReleaseTask",
    "commonEnvironmentSettings",
    "poolInfo",
    "executionInfo",
    "onAllTasksComplete",
    "onTaskFailure",
    "networkConfiguration",
    "metadata",
    "stats",
)
"""CloudJob properties in the order the service prints them; also the names ``$select`` accepts."""

PREP_RELEASE_PROPERTIES = (
    "poolId",
    "nodeId",
    "nodeUrl",
    "jobPreparationTaskExecutionInfo",
    "jobReleaseTaskExecutionInfo",
)
"""Properties of one preparation/release status entry; the names ``$select`` accepts on that listing."""


# ------------------------------------------------------------------------------------------- records


_COUNT_NAMES = ("active", "running", "completed", "succeeded", "failed")


@dataclass
class _Pending:
    target: str
    deadline: int
    reason: str | None = None


@dataclass
class _CountStep:
    at: int
    task_counts: dict[str, int]
    slot_counts: dict[str, int] | None


@dataclass
class _Job:
    id: str
    key: str
    props: dict[str, Any]
    creation_time: int
    etag: str
    last_modified: int
    state: str
    state_time: int
    previous_state: str | None = None
    previous_state_time: int | None = None
    pending: _Pending | None = None
    end_time: int | None = None
    terminate_reason: str | None = None
    pool_id: str | None = None
    schedule_key: str | None = None
    disable_tasks: str | None = None
    task_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT_NAMES, 0))
    task_slot_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNT_NAMES, 0))
    count_steps: list[_CountStep] = field(default_factory=list)
    prep_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    prep_views: dict[str, dict[str, Any]] = field(default_factory=dict)
    prep_keys: list[str] = field(default_factory=list)


@dataclass
class _Schedule:
    id: str
    job_keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WriteResult:
    """What a successful write reports back: the job's id, new ETag and lastModified ticks."""

    job_id: str
    etag: str
    last_modified: int


@dataclass(frozen=True)
class JobSnapshot:
    """A job as returned by get: the wire document plus the values for the ETag/Last-Modified headers."""

    document: dict[str, Any]
    etag: str
    last_modified: int


@dataclass(frozen=True)
class Page:
    """One page of a listing: the items, and the key to continue after (None when the listing is done)."""

    items: list[dict[str, Any]]
    next_after: str | None


@dataclass
class StoreCounters:
    """Work counters, so tests can assert on cost structurally instead of by wall-clock time."""

    visited: int = 0
    """Records examined by list scans (each costs one resolve + one filter evaluation)."""
    pages: int = 0
    """List pages served."""


class EmulatorStore:
    """All jobs, job schedules and seeded task data of one emulated Batch account.

    ``transition_ms`` is how long the transient states (disabling, enabling, terminating, deleting) last;
    0 makes every transition complete within the request that starts it. ``clock`` returns ticks and is
    replaceable for deterministic tests. ``page_scan_limit`` caps how many records one list page may
    examine; with a selective filter this yields short (even empty) pages that still carry a next link,
    as the real service may return.
    """

    def __init__(
        self,
        *,
        transition_ms: int = 300,
        clock: Callable[[], int] | None = None,
        seed: int | None = None,
        page_scan_limit: int | None = None,
        base_url: str = "http://127.0.0.1",
    ) -> None:
        self.transition_ms = transition_ms
        self.clock: Callable[[], int] = clock or now_ticks
        self.page_scan_limit = page_scan_limit
        self.base_url = base_url
        """Used for URLs in documents built outside a request (the server sets it to its endpoint)."""
        self.counters = StoreCounters()
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._jobs: dict[str, _Job] = {}
        self._keys: list[str] = []  # sorted lower-cased ids: the keyset listings page over
        self._schedules: dict[str, _Schedule] = {}
        self._etag_seq = 0

    # ---------------------------------------------------------------------------------- internals

    def _transition_ticks(self) -> int:
        return max(0, int(self.transition_ms)) * 10_000

    def _new_etag(self, ticks: int) -> str:
        # Opaque to clients, but shaped like the service's (hex .NET ticks) and strictly increasing, so two
        # changes within one clock tick still get different ETags.
        self._etag_seq = max(self._etag_seq + 1, ticks + DOTNET_TICKS_AT_UNIX_EPOCH)
        return f"0x{self._etag_seq:X}"

    def _touch(self, job: _Job, ticks: int) -> None:
        job.last_modified = ticks
        job.etag = self._new_etag(ticks)

    def _resolve(self, job: _Job, now: int) -> bool:
        """Catch the job up with the clock; True when the job is now gone.

        Two kinds of timed events may be due: the end of a transition and scripted task-count steps.
        They are applied in time order, each at its own time, so that e.g. counts showing every task
        complete start an ``AllTasksComplete`` termination at the moment of that step.
        """
        while True:
            pending = job.pending
            step = job.count_steps[0] if job.count_steps else None
            transition_at = pending.deadline if pending is not None and pending.deadline <= now else None
            step_at = step.at if step is not None and step.at <= now else None
            if transition_at is None and step_at is None:
                return False
            # On a tie the transition ends first: it was started before the counts changed.
            if transition_at is not None and (step_at is None or transition_at <= step_at):
                if self._finish_transition(job):
                    return True
            elif step is not None:
                job.count_steps.pop(0)
                self._apply_counts(job, step.task_counts, step.slot_counts, step.at)

    def _finish_transition(self, job: _Job) -> bool:
        """End the job's due transition at its deadline; True when that removed the job."""
        pending = job.pending
        assert pending is not None
        job.pending = None
        at = pending.deadline
        if pending.target == _GONE:
            self._remove(job)
            return True
        # The transient state is not recorded as previousState: the service reports the state before it
        # (e.g. completed with previousState active), as its example payloads show.
        job.state = pending.target
        job.state_time = at
        if pending.target == "completed":
            job.end_time = at
            job.terminate_reason = pending.reason or "UserTerminate"
        self._touch(job, at)
        return False

    def _remove(self, job: _Job) -> None:
        self._jobs.pop(job.key, None)
        _sorted_remove(self._keys, job.key)
        if job.schedule_key is not None:
            schedule = self._schedules.get(job.schedule_key)
            if schedule is not None:
                _sorted_remove(schedule.job_keys, job.key)

    def _find(self, job_id: str, now: int) -> _Job | None:
        job = self._jobs.get(job_id.lower())
        if job is None or self._resolve(job, now):
            return None
        return job

    def _live(self, job_id: str, now: int) -> _Job:
        job = self._find(job_id, now)
        if job is None:
            raise err.job_not_found(job_id)
        return job

    def _apply_counts(
        self, job: _Job, counts: Mapping[str, int], slots: Mapping[str, int] | None, at: int
    ) -> None:
        job.task_counts.update(counts)
        job.task_slot_counts.update(counts if slots is None else slots)
        self._check_all_tasks_complete(job, at)

    def _check_all_tasks_complete(self, job: _Job, at: int) -> None:
        """Start the service's own termination when ``onAllTasksComplete`` asks for it and counts allow.

        The service ends such a job once it has tasks and none of them is active or running.
        """
        counts = job.task_counts
        if (
            job.props.get("onAllTasksComplete") == "terminatejob"
            and job.state in _AUTO_TERMINABLE
            and counts["completed"] > 0
            and counts["active"] == 0
            and counts["running"] == 0
        ):
            self._begin(job, "terminating", "completed", at, "AllTasksComplete")

    def _begin(self, job: _Job, transient: str, target: str, now: int, reason: str | None = None) -> None:
        job.previous_state, job.previous_state_time = job.state, job.state_time
        job.state, job.state_time = transient, now
        job.pending = _Pending(target, now + self._transition_ticks(), reason)
        self._touch(job, now)
        self._resolve(job, now)  # completes at once when transition_ms is 0

    def _result(self, job: _Job) -> WriteResult:
        return WriteResult(job.id, job.etag, job.last_modified)

    def _execution_pool_id(self, pool_info: Mapping[str, Any]) -> str:
        if "poolId" in pool_info:
            return str(pool_info["poolId"])
        prefix = pool_info["autoPoolSpecification"].get("autoPoolIdPrefix")
        suffix = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        return f"{prefix}_{suffix}" if prefix else suffix

    def _refuse_in(self, job: _Job, operation: str, states: Iterable[str]) -> None:
        if job.state in states:
            raise err.state_conflict(job.id, job.state, operation)

    def _apply_updatable(self, job: _Job, new: Mapping[str, Any], operation: str) -> None:
        current = job.props
        if (
            current.get("onAllTasksComplete") == "terminatejob"
            and new.get("onAllTasksComplete") == "noaction"
        ):
            raise err.invalid_property(
                "onAllTasksComplete", "noaction", "a job set to terminatejob cannot go back to noaction"
            )
        if "poolInfo" in new and new["poolInfo"] != current.get("poolInfo"):
            if job.state != "disabled":
                raise BatchApiError(
                    409,
                    "OperationInvalidForCurrentState",
                    "The pool of a job can only be changed while the job is disabled.",
                    [("JobId", job.id), ("JobState", job.state), ("Operation", operation)],
                )
            job.pool_id = self._execution_pool_id(new["poolInfo"])

    # -------------------------------------------------------------------------------- documents

    def _url(self, job: _Job, base_url: str) -> str:
        return f"{base_url}/jobs/{quote(job.id, safe='')}"

    def _document(self, job: _Job, base_url: str, expand_stats: bool) -> dict[str, Any]:
        props = job.props
        doc: dict[str, Any] = {"id": job.id}
        if "displayName" in props:
            doc["displayName"] = props["displayName"]
        url = self._url(job, base_url)
        doc["url"] = url
        doc["eTag"] = job.etag
        doc["lastModified"] = format_datetime(job.last_modified)
        doc["creationTime"] = format_datetime(job.creation_time)
        doc["state"] = job.state
        doc["stateTransitionTime"] = format_datetime(job.state_time)
        if job.previous_state is not None and job.previous_state_time is not None:
            doc["previousState"] = job.previous_state
            doc["previousStateTransitionTime"] = format_datetime(job.previous_state_time)
        doc["priority"] = props.get("priority", 0)
        doc["maxParallelTasks"] = props.get("maxParallelTasks", -1)
        doc["allowTaskPreemption"] = props.get("allowTaskPreemption", False)
        doc["usesTaskDependencies"] = props.get("usesTaskDependencies", False)
        constraints = props.get("constraints", {})
        doc["constraints"] = {
            "maxWallClockTime": constraints.get("maxWallClockTime", MAX_TIMESPAN),
            "maxTaskRetryCount": constraints.get("maxTaskRetryCount", 0),
        }
        for name in ("jobManagerTask", "jobPreparationTask", "jobReleaseTask", "commonEnvironmentSettings"):
            if name in props:
                doc[name] = copy.deepcopy(props[name])
        doc["poolInfo"] = copy.deepcopy(props["poolInfo"])
        execution: dict[str, Any] = {"startTime": format_datetime(job.creation_time)}
        if job.end_time is not None:
            execution["endTime"] = format_datetime(job.end_time)
        if job.pool_id is not None:
            execution["poolId"] = job.pool_id
        if job.terminate_reason is not None:
            execution["terminateReason"] = job.terminate_reason
        doc["executionInfo"] = execution
        doc["onAllTasksComplete"] = props.get("onAllTasksComplete", "noaction")
        doc["onTaskFailure"] = props.get("onTaskFailure", "noaction")
        if "networkConfiguration" in props:
            doc["networkConfiguration"] = copy.deepcopy(props["networkConfiguration"])
        if props.get("metadata"):
            doc["metadata"] = copy.deepcopy(props["metadata"])
        if expand_stats:
            doc["stats"] = self._stats(job, url)
        return doc

    def _stats(self, job: _Job, url: str) -> dict[str, Any]:
        return {
            "url": url,
            "startTime": format_datetime(job.creation_time),
            "lastUpdateTime": format_datetime(job.last_modified),
            "userCPUTime": "PT0S",
            "kernelCPUTime": "PT0S",
            "wallClockTime": "PT0S",
            "readIOps": 0,
            "writeIOps": 0,
            "readIOGiB": 0.0,
            "writeIOGiB": 0.0,
            "numSucceededTasks": job.task_counts["succeeded"],
            "numFailedTasks": job.task_counts["failed"],
            "numTaskRetries": 0,
            "waitTime": "PT0S",
        }

    @staticmethod
    def _filter_view(job: _Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "state": job.state,
            "stateTransitionTime": job.state_time,
            "creationTime": job.creation_time,
            "lastModified": job.last_modified,
            "executionInfo/startTime": job.creation_time,
            "executionInfo/endTime": job.end_time,
            "executionInfo/poolId": job.pool_id,
        }

    # ----------------------------------------------------------------------------- the operations

    def add_job(
        self, body: Mapping[str, Any], *, schedule_id: str | None = None, api_version: str | None = None
    ) -> WriteResult:
        """Create a job from a JobAddParameter body (the ``add`` operation), optionally owned by a schedule.

        ``api_version`` selects which properties the body may carry (None: those of any known version).
        """
        props = validate_add(body, version=api_version)
        with self._lock:
            now = self.clock()
            key = props["id"].lower()
            if self._find(props["id"], now) is not None:
                raise err.job_exists(props["id"])
            if key in self._schedules:
                raise err.schedule_id_taken(props["id"])
            schedule: _Schedule | None = None
            if schedule_id is not None:
                schedule = self._schedules.get(schedule_id.lower())
                if schedule is None:
                    raise err.job_schedule_not_found(schedule_id)
            job = _Job(
                id=props["id"],
                key=key,
                props=props,
                creation_time=now,
                etag="",
                last_modified=now,
                state="active",
                state_time=now,
                pool_id=self._execution_pool_id(props["poolInfo"]),
                schedule_key=schedule.id.lower() if schedule else None,
            )
            self._touch(job, now)
            self._jobs[key] = job
            insort(self._keys, key)
            if schedule is not None:
                insort(schedule.job_keys, key)
            return self._result(job)

    def get_job(
        self,
        job_id: str,
        *,
        base_url: str | None = None,
        expand_stats: bool = False,
        check: Check | None = None,
    ) -> JobSnapshot:
        """The job's wire document (the ``get`` operation); ``check`` sees its ETag/lastModified first."""
        with self._lock:
            job = self._live(job_id, self.clock())
            if check is not None:
                check(job.etag, job.last_modified)
            doc = self._document(job, base_url or self.base_url, expand_stats)
            return JobSnapshot(doc, job.etag, job.last_modified)

    def delete_job(self, job_id: str, *, check: Check | None = None) -> None:
        """Start deleting the job; it answers with state ``deleting`` until the transition ends."""
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            self._refuse_in(job, "delete", ("deleting",))
            self._begin(job, "deleting", _GONE, now)

    def disable_job(self, job_id: str, body: Mapping[str, Any], *, check: Check | None = None) -> WriteResult:
        """Start disabling an active job; repeated on a disabling/disabled job it changes nothing."""
        option = validate_disable(body)
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            if job.state in ("disabling", "disabled"):
                return self._result(job)
            if job.state != "active":
                raise err.state_conflict(job.id, job.state, "disable")
            job.disable_tasks = option
            self._begin(job, "disabling", "disabled", now)
            return self._result(job)

    def enable_job(self, job_id: str, *, check: Check | None = None) -> WriteResult:
        """Start enabling a disabled (or disabling) job; repeated while enabling it changes nothing."""
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            if job.state == "enabling":
                return self._result(job)
            if job.state not in ("disabled", "disabling"):
                raise err.state_conflict(job.id, job.state, "enable")
            job.disable_tasks = None
            self._begin(job, "enabling", "active", now)
            return self._result(job)

    def terminate_job(
        self, job_id: str, body: Mapping[str, Any], *, check: Check | None = None
    ) -> WriteResult:
        """Start terminating a live job; it ends ``completed`` with the given reason or ``UserTerminate``."""
        reason = validate_terminate(body)
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            self._refuse_in(job, "terminate", ("terminating", "completed", "deleting"))
            self._begin(job, "terminating", "completed", now, reason)
            return self._result(job)

    def patch_job(
        self,
        job_id: str,
        body: Mapping[str, Any],
        *,
        check: Check | None = None,
        api_version: str | None = None,
    ) -> WriteResult:
        """Merge the given updatable properties into the job (the ``patch`` operation)."""
        new = validate_patch(body, version=api_version)
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            self._refuse_in(job, "patch", ("deleting", "terminating", "completed"))
            self._apply_updatable(job, new, "patch")
            job.props.update(new)
            self._touch(job, now)
            self._check_all_tasks_complete(job, now)
            return self._result(job)

    def update_job(
        self,
        job_id: str,
        body: Mapping[str, Any],
        *,
        check: Check | None = None,
        with_id: bool = False,
        api_version: str | None = None,
    ) -> WriteResult:
        """Replace the job's updatable properties (the ``update`` operation); omitted ones get defaults.

        ``with_id`` (api-version 2025-06-01 and later, whose PUT body is the whole job model) lets the
        body carry ``id``, which must then name this job.
        """
        new = validate_update(body, job_id=job_id if with_id else None, version=api_version)
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            if check is not None:
                check(job.etag, job.last_modified)
            self._refuse_in(job, "update", ("deleting", "terminating", "completed"))
            self._apply_updatable(job, {"onAllTasksComplete": "noaction", **new}, "update")
            for name in UPDATABLE_PROPS:
                job.props.pop(name, None)
            job.props.update(new)
            self._touch(job, now)
            self._check_all_tasks_complete(job, now)
            return self._result(job)

    def get_task_counts(self, job_id: str) -> dict[str, Any]:
        """The TaskCountsResult body for the job (zeros unless seeded with :meth:`set_task_counts`)."""
        with self._lock:
            job = self._live(job_id, self.clock())
            return {"taskCounts": dict(job.task_counts), "taskSlotCounts": dict(job.task_slot_counts)}

    def list_jobs(
        self,
        *,
        predicate: Predicate | None = None,
        after: str | None = None,
        limit: int = 1000,
        expand_stats: bool = False,
        schedule_id: str | None = None,
        base_url: str | None = None,
    ) -> Page:
        """One page of jobs in lower-cased id order, starting after the key ``after``.

        With ``schedule_id`` only that schedule's jobs are listed (404 JobScheduleNotFound if unknown).
        """
        with self._lock:
            now = self.clock()
            keys = self._keys
            if schedule_id is not None:
                schedule = self._schedules.get(schedule_id.lower())
                if schedule is None:
                    raise err.job_schedule_not_found(schedule_id)
                keys = schedule.job_keys
            base = base_url or self.base_url

            def render(key: str) -> dict[str, Any] | None:
                job = self._jobs[key]
                if self._resolve(job, now):
                    return None
                if predicate is not None and not predicate(self._filter_view(job)):
                    return {}
                return self._document(job, base, expand_stats)

            return self._page(keys, after, limit, render)

    def list_prep_release_status(
        self,
        job_id: str,
        *,
        predicate: Predicate | None = None,
        after: str | None = None,
        limit: int = 1000,
        base_url: str | None = None,
    ) -> Page:
        """One page of the job's preparation/release task status entries, in node id order.

        409 JobPreparationTaskOrReleaseTaskNotSpecified when the job has neither a preparation nor a release task.
        """
        with self._lock:
            job = self._live(job_id, self.clock())
            if "jobPreparationTask" not in job.props and "jobReleaseTask" not in job.props:
                raise BatchApiError(
                    409,
                    "JobPreparationTaskOrReleaseTaskNotSpecified",
                    "The job has neither a job preparation task nor a job release task.",
                    [("JobId", job.id)],
                )
            base = base_url or self.base_url

            def render(key: str) -> dict[str, Any] | None:
                if predicate is not None and not predicate(job.prep_views[key]):
                    return {}
                entry = copy.deepcopy(job.prep_entries[key])
                doc: dict[str, Any] = {"poolId": entry.pop("poolId", job.pool_id)}
                doc["nodeId"] = entry.pop("nodeId")
                node_url = (
                    f"{base}/pools/{quote(str(doc['poolId']), safe='')}/nodes/{quote(doc['nodeId'], safe='')}"
                )
                doc["nodeUrl"] = entry.pop("nodeUrl", node_url)
                doc.update(entry)
                return doc

            return self._page(job.prep_keys, after, limit, render)

    def _page(
        self, keys: list[str], after: str | None, limit: int, render: Callable[[str], dict[str, Any] | None]
    ) -> Page:
        """Keyset paging over a sorted key list: O(log n) to find the start, then O(page) records.

        ``render`` returns the item, ``{}`` when the record does not match, or None when reading it made it
        disappear (a finished delete), in which case the key is already gone from ``keys``.
        """
        self.counters.pages += 1
        i = bisect_right(keys, after) if after is not None else 0
        items: list[dict[str, Any]] = []
        scanned = 0
        last: str | None = None
        scan_limit = self.page_scan_limit
        while i < len(keys) and len(items) < limit:
            if scan_limit is not None and scanned >= scan_limit:
                break
            key = keys[i]
            self.counters.visited += 1
            scanned += 1
            item = render(key)
            if item is None:
                last = key  # removed from keys: the same index now holds the next key
                continue
            if item:
                items.append(item)
            last = key
            i += 1
        more = i < len(keys)
        return Page(items, last if more else None)

    # ------------------------------------------------------------------------- seeding / admin API

    def add_job_schedule(self, schedule_id: str) -> None:
        """Create an (empty) job schedule, so jobs can be seeded into it and listed by it."""
        check_job_id(schedule_id, "id")
        with self._lock:
            key = schedule_id.lower()
            if key in self._schedules:
                raise BatchApiError(
                    409,
                    "JobScheduleExists",
                    "A job schedule with this id is already present.",
                    [("JobScheduleId", schedule_id)],
                )
            self._schedules[key] = _Schedule(schedule_id)

    def job_schedule_ids(self) -> list[str]:
        """Ids of all job schedules."""
        with self._lock:
            return sorted((s.id for s in self._schedules.values()), key=str.lower)

    def seed_job(
        self,
        body: Mapping[str, Any],
        *,
        schedule_id: str | None = None,
        state: str | None = None,
        terminate_reason: str | None = None,
    ) -> WriteResult:
        """Add a job as the ``add`` operation would, optionally in a schedule and forced into ``state``."""
        if state is not None and state not in JOB_STATES:
            # Checked before adding, so a bad state leaves no half-seeded job behind.
            raise err.invalid_property("state", state, "expected one of " + ", ".join(JOB_STATES))
        result = self.add_job(body, schedule_id=schedule_id)
        if state is not None and state != "active":
            return self.force_state(result.job_id, state, terminate_reason=terminate_reason)
        return result

    def force_state(self, job_id: str, state: str, *, terminate_reason: str | None = None) -> WriteResult:
        """Put the job into ``state`` at once and keep it there (no pending transition) until told otherwise.

        Useful to hold a job in a transient state such as ``deleting`` or ``terminating``.
        """
        if state not in JOB_STATES:
            raise err.invalid_property("state", state, "expected one of " + ", ".join(JOB_STATES))
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            job.pending = None
            if state != job.state:
                job.previous_state, job.previous_state_time = job.state, job.state_time
                job.state, job.state_time = state, now
            if state == "completed":
                job.end_time = job.end_time or now
                job.terminate_reason = terminate_reason or job.terminate_reason or "UserTerminate"
            else:
                job.end_time = None
                job.terminate_reason = None
            self._touch(job, now)
            return self._result(job)

    def set_task_counts(
        self,
        job_id: str,
        task_counts: Mapping[str, int] | None = None,
        task_slot_counts: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        """Set (merge) the job's task counts; slot counts follow the task counts unless given."""
        counts = _counts(task_counts or {}, "taskCounts")
        slots = _counts(task_slot_counts, "taskSlotCounts") if task_slot_counts is not None else None
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            self._apply_counts(job, counts, slots, now)
            return self._counts_view(job)

    def set_task_count_timeline(
        self, job_id: str, steps: Iterable[Mapping[str, Any]], *, replace: bool = True
    ) -> dict[str, Any]:
        """Script the job's task counts over time: each step is applied ``afterMs`` after this call.

        A step is ``{"afterMs": 250, "taskCounts": {...}, "taskSlotCounts": {...}}`` (``after_ms`` is
        accepted too); its counts are merged into the current ones when the store's clock reaches it,
        like :meth:`set_task_counts`. Steps run in ``afterMs`` order; with ``replace`` false they join
        the steps still pending. Returns the current counts and ``pendingSteps``.
        """
        parsed = [_count_step(step, i) for i, step in enumerate(steps)]
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            new = [_CountStep(now + after * 10_000, counts, slots) for after, counts, slots in parsed]
            merged = new if replace else job.count_steps + new
            job.count_steps = sorted(merged, key=lambda step: step.at)  # stable: equal times keep order
            self._resolve(job, now)  # steps due at once (afterMs 0) apply now
            return self._counts_view(job)

    def step_task_counts(self, job_id: str, steps: int = 1) -> dict[str, Any]:
        """Apply the next ``steps`` scripted task-count steps now, whatever their time; return the counts."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise err.invalid_property("steps", steps, "expected a positive integer")
        with self._lock:
            now = self.clock()
            job = self._live(job_id, now)
            for _ in range(min(steps, len(job.count_steps))):
                step = job.count_steps.pop(0)
                self._apply_counts(job, step.task_counts, step.slot_counts, now)
            return self._counts_view(job)

    @staticmethod
    def _counts_view(job: _Job) -> dict[str, Any]:
        return {
            "taskCounts": dict(job.task_counts),
            "taskSlotCounts": dict(job.task_slot_counts),
            "pendingSteps": len(job.count_steps),
        }

    def set_prep_release_status(
        self, job_id: str, entries: Iterable[Mapping[str, Any]], *, replace: bool = True
    ) -> int:
        """Seed preparation/release task status entries (one per node id); returns the job's entry count.

        Each entry is a JobPreparationAndReleaseTaskExecutionInformation; ``nodeId`` is required, ``poolId``
        defaults to the job's pool and ``nodeUrl`` is derived when absent. With ``replace`` false the
        entries are merged by node id into the existing ones.
        """
        prepared = [_prep_entry(entry) for entry in entries]
        with self._lock:
            job = self._live(job_id, self.clock())
            if replace:
                job.prep_entries.clear()
                job.prep_views.clear()
                job.prep_keys.clear()
            for entry, view in prepared:
                key = str(entry["nodeId"]).lower()
                if key not in job.prep_entries:
                    insort(job.prep_keys, key)
                view.setdefault("poolId", job.pool_id)
                if view["poolId"] is None:
                    view["poolId"] = job.pool_id
                job.prep_entries[key] = entry
                job.prep_views[key] = view
            return len(job.prep_keys)

    def reset(self) -> None:
        """Forget every job and job schedule and zero the counters."""
        with self._lock:
            self._jobs.clear()
            self._keys.clear()
            self._schedules.clear()
            self.counters = StoreCounters()

    def job_ids(self) -> list[str]:
        """Ids of all jobs still present (including ones being deleted), in listing order."""
        with self._lock:
            now = self.clock()
            return [job.id for key in list(self._keys) if (job := self._find(key, now)) is not None]

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def _sorted_remove(keys: list[str], key: str) -> None:
    i = bisect_right(keys, key) - 1
    if i >= 0 and keys[i] == key:
        del keys[i]


def _counts(values: Mapping[str, Any], name: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, value in values.items():
        if key not in _COUNT_NAMES:
            raise err.unsupported_property(f"{name}.{key}")
        number = as_int(value, f"{name}.{key}")
        if number < 0:
            raise err.invalid_property(f"{name}.{key}", value, "counts cannot be negative")
        out[key] = number
    return out


def _count_step(step: Any, index: int) -> tuple[int, dict[str, int], dict[str, int] | None]:
    """Validate one task-count timeline step; return (afterMs, taskCounts, taskSlotCounts or None)."""
    where = f"steps[{index}]"
    obj = as_object(step, where)
    reject_unknown(obj, ("afterMs", "after_ms", "taskCounts", "taskSlotCounts"), where + ".")
    if "afterMs" in obj and "after_ms" in obj:
        raise err.invalid_property(where + ".afterMs", obj["afterMs"], "give afterMs or after_ms, not both")
    name = "after_ms" if "after_ms" in obj else "afterMs"
    if obj.get(name) is None:
        raise err.missing_property(where + ".afterMs")
    after = as_int(obj[name], f"{where}.{name}")
    if after < 0:
        raise err.invalid_property(f"{where}.{name}", after, "must not be negative")
    counts = _counts(as_object(obj.get("taskCounts") or {}, where + ".taskCounts"), where + ".taskCounts")
    raw_slots = obj.get("taskSlotCounts")
    slots = (
        _counts(as_object(raw_slots, where + ".taskSlotCounts"), where + ".taskSlotCounts")
        if raw_slots is not None
        else None
    )
    return after, counts, slots


def _prep_entry(entry: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Validate one seeded status entry; return it (copied) and its flat filter view."""
    obj = copy.deepcopy(as_object(entry, "entry"))
    reject_unknown(obj, PREP_RELEASE_PROPERTIES, "entry.")
    if obj.get("nodeId") is None:
        raise err.missing_property("nodeId")
    view: dict[str, Any] = {"nodeId": as_string(obj["nodeId"], "nodeId")}
    if obj.get("poolId") is not None:
        view["poolId"] = as_string(obj["poolId"], "poolId")
    for info_name in ("jobPreparationTaskExecutionInfo", "jobReleaseTaskExecutionInfo"):
        info = obj.get(info_name)
        if info is None:
            continue
        info = as_object(info, info_name)
        if info.get("state") is not None:
            view[f"{info_name}/state"] = as_enum(info["state"], f"{info_name}.state", TASK_STATES)
        if info.get("result") is not None:
            view[f"{info_name}/result"] = as_enum(info["result"], f"{info_name}.result", TASK_RESULTS)
        if info.get("exitCode") is not None:
            view[f"{info_name}/exitCode"] = as_int(info["exitCode"], f"{info_name}.exitCode")
        for time_name in ("startTime", "endTime"):
            if info.get(time_name) is not None:
                try:
                    view[f"{info_name}/{time_name}"] = parse_datetime_ticks(str(info[time_name]))
                except ValueError:
                    raise err.invalid_property(
                        f"{info_name}.{time_name}", info[time_name], "not a date-time"
                    ) from None
    return obj, view
