"""Result types of the lifecycle helpers: what a wait saw, and what a bulk change did to each job.

Hand-written (not wire definitions). ``JobSnapshot`` is one look at a job while waiting;
``BulkOutcome``/``BulkResult`` report a ``*_many`` call job by job.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum

from ._generated import CloudJob, TaskCounts

__all__ = ["BulkOutcome", "BulkResult", "BulkStatus", "JobSnapshot"]


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """One look at a job taken while waiting for it (passed to ``on_progress``, and returned at the end).

    Task counts come from a separate request and are eventually consistent: they may lag the job's
    state and the tasks actually added by some seconds.
    """

    job_id: str
    """The job's id."""
    state: str | None
    """The job's state (a :class:`~azbatch.models.JobState` value; an unknown newer state stays a str)."""
    job: CloudJob | None = field(repr=False)
    """The job as fetched on this look (left out of the repr: it is long)."""
    task_counts: TaskCounts | None = None
    """The job's task counts, when the wait asks for them (``wait_for_completion`` does)."""
    polls: int = 1
    """How many looks the wait has taken so far, this one included."""
    elapsed: float = 0.0
    """Seconds since the wait started."""


class BulkStatus(str, Enum):
    """How a ``*_many`` call ended for one job. Members compare equal to their string values."""

    def __str__(self) -> str:
        return str(self.value)

    SUCCEEDED = "succeeded"
    """The service accepted the change (and, with ``wait=True``, the job reached its final state)."""
    NOT_FOUND = "not_found"
    """No job with this id exists (404)."""
    ALREADY_IN_STATE = "already_in_state"
    """The service refused the change because the job already is, or is on its way to, that state."""
    FAILED = "failed"
    """Anything else: the outcome's ``error`` says what went wrong."""


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a ``*_many`` call did to one job."""

    job_id: str
    """The job's id."""
    status: BulkStatus
    """How it ended for this job."""
    error: Exception | None = None
    """The error behind ``FAILED`` (and the service's refusal behind ``NOT_FOUND``/``ALREADY_IN_STATE``)."""
    attempts: int = 1
    """Requests made for the change itself, counting retries after throttling."""


@dataclass(frozen=True, slots=True)
class BulkResult:
    """The per-job report of a ``*_many`` call, in the order the jobs were given (or listed).

    Iterate it for :class:`BulkOutcome` objects, or use the grouped views below. A failure of one job
    never raises; check :attr:`ok` or :attr:`failed`.
    """

    outcomes: Sequence[BulkOutcome]
    """Every job's outcome."""

    def __iter__(self) -> Iterator[BulkOutcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)

    def _ids(self, status: BulkStatus) -> list[str]:
        return [o.job_id for o in self.outcomes if o.status is status]

    @property
    def succeeded(self) -> list[str]:
        """Ids of the jobs the change was applied to."""
        return self._ids(BulkStatus.SUCCEEDED)

    @property
    def not_found(self) -> list[str]:
        """Ids of the jobs that do not exist."""
        return self._ids(BulkStatus.NOT_FOUND)

    @property
    def already_in_state(self) -> list[str]:
        """Ids of the jobs that already were in (or on their way to) the wanted state."""
        return self._ids(BulkStatus.ALREADY_IN_STATE)

    @property
    def failed(self) -> dict[str, Exception]:
        """Job id -> the error, for every job the change failed for."""
        return {
            o.job_id: o.error for o in self.outcomes if o.status is BulkStatus.FAILED and o.error is not None
        }

    @property
    def ok(self) -> bool:
        """Whether no job failed (missing jobs and jobs already in the state do not count as failures)."""
        return all(o.status is not BulkStatus.FAILED for o in self.outcomes)

    def __repr__(self) -> str:
        counts = {s.value: 0 for s in BulkStatus}
        for outcome in self.outcomes:
            counts[outcome.status.value] += 1
        text = ", ".join(f"{name}={n}" for name, n in counts.items())
        return f"BulkResult({text})"
