"""Decisions of the lifecycle helpers (waiting, bulk changes), made without I/O.

Which job states can still lead to the awaited one (JOBS-API.md §3), when a job counts as done, which
service errors mean "slow down", how long to back off, and the argument checks of the helpers. The
async and sync clients call these same functions; ``tests/unit/test_lifecycle_rules.py`` covers them.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError

from ..exceptions import BatchErrorCode
from ..models import JobState, TaskCounts
from . import _validation as check
from ._lro import Verdict

__all__ = [
    "ALREADY",
    "LAST_LOOK_S",
    "ThrottleGate",
    "WaitBudget",
    "backoff_delay",
    "bulk_ids",
    "can_reach",
    "is_throttling",
    "judge_completion",
    "judge_states",
    "limit_int",
    "optional_seconds",
    "read_options",
    "retry_after",
    "seconds",
    "wait_states",
]

JOB_STATES = frozenset(str(s.value) for s in JobState)
_LIVE = frozenset({"active", "disabling", "disabled", "enabling"})

# The states that mean a bulk change is already done or under way for a job whose change the service
# refused with 409: a second delete of a deleting job, say.
ALREADY: Mapping[str, frozenset[str]] = {
    "delete": frozenset({"deleting"}),
    "terminate": frozenset({"terminating", "completed"}),
    "disable": frozenset({"disabling", "disabled"}),
    "enable": frozenset({"enabling", "active"}),
}

_THROTTLING_CODES = frozenset(
    {
        BatchErrorCode.TOO_MANY_REQUESTS.value,
        BatchErrorCode.SERVER_BUSY.value,
        BatchErrorCode.ACTIVE_JOB_AND_SCHEDULE_QUOTA_REACHED.value,
    }
)
MAX_BACKOFF_S = 60.0
"""No single back-off waits longer than this, whatever Retry-After says."""


# ---------------------------------------------------------------------------------------- reachability


def can_reach(current: str, target: str) -> bool:
    """Whether a job in state ``current`` can still get to ``target``, by itself or through a call.

    The live states (active, disabling, disabled, enabling) reach each other through disable/enable and
    everything after them; terminating only leads to completed; completed is final but for delete;
    deleting leads nowhere (the job disappears). A state this client does not know is assumed to lead
    anywhere, so a newer service never makes a wait fail early.
    """
    current, target = str(current), str(target)  # a JobState member hashes unlike its value
    if current not in JOB_STATES or target not in JOB_STATES:
        return True
    if target == "deleting":
        return True
    if current == "deleting":
        return False
    if target == "completed":
        return True
    if target == "terminating":
        return current in _LIVE or current == "terminating"
    return current in _LIVE


def judge_states(state: str | None, targets: frozenset[str]) -> Verdict:
    """``wait_for_state``: done, still possible, or impossible (``None`` = the job is gone)."""
    if state is None:
        return "Failed"
    state = str(state)  # a JobState member hashes unlike its value
    if state in targets:
        return "Succeeded"
    return "InProgress" if any(can_reach(state, t) for t in targets) else "Failed"


def judge_completion(
    state: str | None, counts: TaskCounts | None, *, tasks_done: bool, min_tasks: int
) -> Verdict:
    """``wait_for_completion``: the job is completed, or (``tasks_done``) its tasks are all finished.

    "All finished" means no active and no running task and at least ``min_tasks`` completed ones: a
    job whose tasks have not been added yet (or not yet counted) shows zero active and running tasks
    too, so some completed ones are required before counting it as done.
    """
    if state is None or str(state) == "deleting":
        return "Failed"
    if state == "completed":
        return "Succeeded"
    if tasks_done and counts is not None:
        active, running, completed = counts.active or 0, counts.running or 0, counts.completed or 0
        if active == 0 and running == 0 and completed >= min_tasks:
            return "Succeeded"
    return "InProgress"


# ------------------------------------------------------------------------------------------- throttling


def is_throttling(error: BaseException) -> bool:
    """Whether the service asks the caller to slow down: 429, 503, or a quota or busy error code."""
    if not isinstance(error, HttpResponseError):
        return False
    if error.status_code in (429, 503):
        return True
    code = getattr(error, "code", None) or (error.error.code if error.error is not None else None)
    return code in _THROTTLING_CODES


def retry_after(error: BaseException) -> float | None:
    """The ``Retry-After`` of a throttling response, in seconds (only the delay-seconds form)."""
    response: Any = getattr(error, "response", None)
    headers: Any = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        delay = float(value)
    except (TypeError, ValueError):
        return None
    return delay if math.isfinite(delay) and delay >= 0 else None


def backoff_delay(attempt: int, base: float, hint: float | None = None) -> float:
    """Seconds to wait after the ``attempt``-th throttled try: ``base`` doubling each time.

    A larger ``Retry-After`` (``hint``) wins; both are capped at :data:`MAX_BACKOFF_S`.
    """
    delay = base * 2.0 ** (attempt - 1)
    if hint is not None:
        delay = max(delay, hint)
    return min(delay, MAX_BACKOFF_S)


@dataclass
class ThrottleGate:
    """Holds every worker of a bulk call once one of them was throttled.

    Without it the other workers would keep sending at full speed into the limit that just tripped.
    Times are the caller's clock readings; this class never reads a clock. Safe to share between the
    threads of the sync client's bulk calls: a lock makes each hold a single read-max-write.
    """

    until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def hold(self, now: float, delay: float) -> None:
        """Hold new requests for ``delay`` seconds from ``now`` (never shortens an existing hold)."""
        with self._lock:
            self.until = max(self.until, now + delay)

    def remaining(self, now: float) -> float:
        """Seconds a worker must still wait before sending."""
        with self._lock:
            return max(0.0, self.until - now)


# ----------------------------------------------------------------------------------------------- waits

LAST_LOOK_S = 2.0
"""The time a wait's last look (the one taken when its ``timeout`` is up) may take, at most."""


@dataclass(frozen=True)
class WaitBudget:
    """The time of one wait (``wait_for_state``, a bulk ``wait=True``) and what each request may use of it.

    ``limit`` is the wait's ``timeout`` (``None``: no limit); ``per_request`` the deadline a single
    request has anyway (the caller's per-call ``timeout``, else the client's default; ``None``: none).
    Times are the caller's clock readings; this class never reads a clock.
    """

    started: float
    limit: float | None
    per_request: float | None = None

    def left(self, now: float) -> float | None:
        """Seconds left of the wait (``<= 0`` once it is up), or ``None`` without a limit."""
        return None if self.limit is None else self.started + self.limit - now

    def request_timeout(self, now: float, last_look: bool) -> tuple[float | None, bool]:
        """The ``timeout`` to give the next request, and whether the wait's time is what bounds it.

        A request gets no longer than the wait has left, nor than ``per_request``. The last look, taken
        when the wait's time is up, gets :data:`LAST_LOOK_S` (at most the wait's whole ``limit``): so a
        wait ends at the latest that long after its ``timeout``. ``(None, False)``: no limit to add.
        """
        left = self.left(now)
        if left is None or self.limit is None:
            return None, False
        share = left if left > 0 and not last_look else min(LAST_LOOK_S, self.limit)
        if self.per_request is not None and self.per_request < share:
            return self.per_request, False
        return share, True


# Keywords of a bulk change that belong to the change alone: its conditions, its own options, and the
# request-specific headers (a stale ocp-date would even make a later Shared Key request fail). The
# follow-up reads of a bulk call (the job's state after a 409, the looks of ``wait=True``) drop them.
_WRITE_ONLY_KEYWORDS = frozenset(
    {
        "etag",
        "match_condition",
        "if_modified_since",
        "if_unmodified_since",
        "force",
        "raw",
        "cls",
        "client_request_id",
        "return_client_request_id",
        "ocp_date",
        "job_delete_options",
        "job_terminate_options",
        "job_disable_options",
        "job_enable_options",
    }
)


def read_options(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of a bulk change that its follow-up ``GET`` requests take too.

    Pipeline options (``headers``, ``timeout``, ``retry_total``, ``logging_enable``, hooks, ...) and
    ``service_timeout`` pass; the change's conditions and options do not (see ``_WRITE_ONLY_KEYWORDS``).
    """
    return {name: value for name, value in kwargs.items() if name not in _WRITE_ONLY_KEYWORDS}


# ----------------------------------------------------------------------------------------- arguments


def wait_states(states: tuple[Any, ...]) -> frozenset[str]:
    """The states given to ``wait_for_state``: at least one, each a :class:`JobState` or its string."""
    if not states:
        raise TypeError("wait_for_state needs at least one state to wait for (states)")
    found: set[str] = set()
    for state in states:
        if not isinstance(state, str):
            raise TypeError(f"states must be JobState values or str, not {type(state).__name__}")
        value = JobState.lookup(state)
        if not isinstance(value, JobState):
            allowed = ", ".join(sorted(JOB_STATES))
            raise ValueError(f"states must be job states ({allowed}), got {state!r}")
        found.add(str(value.value))
    return frozenset(found)


def seconds(name: str, value: Any) -> float:
    """A finite, positive number of seconds (the package-wide rule, :func:`_validation.seconds`)."""
    return check.seconds(name, value, positive=True)


def optional_seconds(name: str, value: Any) -> float | None:
    """Like :func:`seconds`, or ``None`` for "no limit"."""
    return check.optional_seconds(name, value, positive=True)


def limit_int(name: str, value: Any, *, low: int, high: int) -> int:
    """An int in ``[low, high]``."""
    result = check.optional_int(name, value, low=low, high=high)
    if result is None:
        raise TypeError(f"{name} must be an int, not NoneType")
    return result


def bulk_ids(job_ids: Any, filter: Any) -> list[str] | None:
    """Check the two ways to name the jobs of a bulk call; the ids (de-duplicated, in order) or ``None``.

    Exactly one of ``job_ids`` (an iterable of str) and ``filter`` must be given; ``None`` means the
    jobs come from listing with the filter.
    """
    if (job_ids is None) == (filter is None):
        raise TypeError("give either job_ids or filter (exactly one of them)")
    if job_ids is None:
        return None
    if isinstance(job_ids, (str, bytes, Mapping)) or not isinstance(job_ids, Iterable):
        raise TypeError(f"job_ids must be an iterable of str (a list of ids), not {type(job_ids).__name__}")
    ids: dict[str, None] = {}
    for job_id in job_ids:
        ids[check.resource_id("job_ids item", job_id)] = None
    return list(ids)
