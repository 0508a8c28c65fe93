"""Which failures of a job operation may be retried, and when a conflict on a retry means "already done".

Pure rules shared by the retry policy (``azbatch.policies._retry``) and the write verification of both
clients (``aio/_safe_writes.py`` and its generated sync twin). Nothing here sends a request or reads a
clock: times come in as arguments.

Four outcomes of a failed attempt matter:

* ``NOT_SENT`` -- the connection failed before the request went out; the service never saw it.
* ``REFUSED`` -- 429: the service throttled the request before processing it.
* ``BUSY`` -- 503: normally a refusal too, but a gateway can answer 503 after the service behind it did
  the work, so it is retried like a refusal and remembered like an ``UNKNOWN``.
* ``UNKNOWN`` -- the request may have been applied (a 500, a timeout, a connection lost after sending).

Every job operation is retried on all four; an attempt that may have been applied is remembered so that a later
conflict (``JobExists`` on add, ``JobBeingDeleted`` on delete, 412 on a conditional write, ...) can be
checked against the job instead of being reported as a failure of a write that took effect.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import DecodeError, HttpResponseError, IncompleteReadError, ServiceRequestError

from ..models._codec import parse_datetime, parse_duration

__all__ = [
    "ADD_COMPARED",
    "ATTEMPTS_KEY",
    "CLOCK_SLACK_S",
    "OPERATION_OPTION",
    "RULES",
    "TRANSIENT_STATUSES",
    "AttemptLog",
    "OperationRule",
    "Outcome",
    "content_matches",
    "is_lost_response",
    "outcome_of_error",
    "outcome_of_status",
    "parse_wire_datetime",
    "rule_for",
    "within_call_window",
]

OPERATION_OPTION = "batch_operation"
"""Pipeline option naming the job operation a request belongs to (read and removed by the retry policy)."""

ATTEMPTS_KEY = "azbatch_attempts"
"""Pipeline context key (and option name) of the :class:`AttemptLog` the retry policy keeps for one call."""

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, *range(506, 999)})
"""Statuses worth another attempt: the service (or a gateway) may answer differently a moment later.

The same set azure-core's retry policy retries by default (408, 429, and 5xx but 501 and 505), so that a
status the policy retried is also one a verification after the last attempt looks into.
"""

CLOCK_SLACK_S = 2.0
"""Seconds added on each side of a call's time window: ``Date`` has one-second resolution and the
service stamps a job a little after the request arrives."""


class Outcome(enum.Enum):
    """What a failed attempt says about whether the service applied the request."""

    NOT_SENT = "not-sent"
    REFUSED = "refused"
    BUSY = "busy"
    UNKNOWN = "unknown"


def outcome_of_status(status: int) -> Outcome:
    """429 is a refusal before any work, 503 usually is; any other failure status may follow applied work."""
    if status == 429:
        return Outcome.REFUSED
    return Outcome.BUSY if status == 503 else Outcome.UNKNOWN


# Transport exceptions, by class name (this module imports no transport), that can only happen before a
# byte of the request left: the connection could not be opened at all.
_CONNECT_PHASE_ERRORS = frozenset(
    {
        # aiohttp
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "ClientConnectorSSLError",
        "ClientConnectorCertificateError",
        "ClientProxyConnectionError",
        "ConnectionTimeoutError",
        # urllib3 (requests)
        "NewConnectionError",
        "ConnectTimeoutError",
        "NameResolutionError",
        # httpx / httpcore
        "ConnectError",
        "ConnectTimeout",
        # the standard library
        "ConnectionRefusedError",
        "gaierror",
    }
)


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps (azure-core's ``inner_exception``, ``__cause__``, ``__context__``)."""
    seen: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(seen) < 16:  # bounded: a hostile or cyclic chain must not loop
        current = pending.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        for inner in (getattr(current, "inner_exception", None), current.__cause__, current.__context__):
            if isinstance(inner, BaseException):
                pending.append(inner)
    return seen


def outcome_of_error(error: BaseException) -> Outcome:
    """``NOT_SENT`` only when the connection provably could not be opened; else ``UNKNOWN``.

    azure-core reports more than connect failures as ``ServiceRequestError``: its aiohttp transport also
    maps a server that closed the connection after reading the request (``ServerDisconnectedError``) to
    it. Such a request may well have been applied, so only a connect-phase cause counts as not sent.
    """
    if not isinstance(error, ServiceRequestError):
        return Outcome.UNKNOWN
    if any(type(cause).__name__ in _CONNECT_PHASE_ERRORS for cause in _causes(error)):
        return Outcome.NOT_SENT
    return Outcome.UNKNOWN


def is_lost_response(error: BaseException) -> bool:
    """An azure-core response error that carries no response: the connection broke while reading it.

    The transports report a body cut short as ``IncompleteReadError`` (aiohttp) or a bare
    ``HttpResponseError`` (requests), both without a status; they are a lost response, not an answer.
    """
    if isinstance(error, DecodeError) and not isinstance(error, IncompleteReadError):
        return False  # the body arrived whole but could not be read (bad gzip, say): an answer, not a loss
    return isinstance(error, HttpResponseError) and getattr(error, "response", None) is None


@dataclass(frozen=True)
class OperationRule:
    """How one job operation is retried and what counts as "already done" when a retry conflicts.

    ``done_codes``: error codes that, after an attempt that may have been applied, suggest the
    earlier attempt did the work; the job is then fetched and its state checked against
    ``done_states``. ``done_when_gone``: a missing job means the work is done (delete).
    ``verify_content``: after a 412 the job's properties are compared with the body that was sent.
    """

    name: str
    retry_unknown: bool = True
    done_codes: frozenset[str] = frozenset()
    done_states: frozenset[str] = frozenset()
    done_when_gone: bool = False
    verify_content: bool = False
    writes: bool = True


_READ = OperationRule("read", writes=False)

RULES: Mapping[str, OperationRule] = {
    "get": OperationRule("get", writes=False),
    "get_task_counts": OperationRule("get_task_counts", writes=False),
    "list": OperationRule("list", writes=False),
    "add": OperationRule("add", done_codes=frozenset({"JobExists"})),
    "delete": OperationRule(
        "delete",
        done_codes=frozenset({"JobBeingDeleted", "JobNotFound"}),
        done_states=frozenset({"deleting"}),
        done_when_gone=True,
    ),
    "disable": OperationRule(
        "disable",
        done_codes=frozenset({"JobDisabled", "JobNotActive", "OperationInvalidForCurrentState"}),
        done_states=frozenset({"disabling", "disabled"}),
    ),
    "enable": OperationRule(
        "enable",
        done_codes=frozenset({"JobNotActive", "OperationInvalidForCurrentState"}),
        done_states=frozenset({"enabling", "active"}),
    ),
    "terminate": OperationRule(
        "terminate",
        done_codes=frozenset({"JobBeingTerminated", "JobCompleted"}),
        done_states=frozenset({"terminating", "completed"}),
    ),
    # PATCH and PUT carry absolute values (no increments), so applying one twice leaves the job as
    # applying it once: every transient failure is retried. A conditional one whose retry meets 412
    # is checked against the job (see content_matches).
    "patch": OperationRule("patch", verify_content=True),
    "update": OperationRule("update", verify_content=True),
}
"""The rule of each operation, by its short name (the ``batch_operation`` pipeline option)."""

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})


def rule_for(operation: str | None, method: str) -> OperationRule:
    """The rule of a named operation; unnamed requests fall back to the HTTP method's own semantics.

    An unnamed POST or PATCH is not retried after an attempt that may have been applied, because
    nothing would check the result of the retry.
    """
    if operation is not None and operation in RULES:
        return RULES[operation]
    if method.upper() in _IDEMPOTENT_METHODS:
        return _READ
    return OperationRule("unnamed", retry_unknown=False)


@dataclass
class AttemptLog:
    """What the retry policy saw while running one call, for the verification after it.

    ``started`` is the monotonic time the call began; ``outcomes`` lists how each failed attempt
    failed; ``maybe_applied`` is true once one failed in a way that may follow applied work;
    ``deadline`` is the call's absolute monotonic deadline when it has one (the deadline policy sets
    it), which a verification after the failure must respect too.
    """

    started: float
    maybe_applied: bool = False
    outcomes: list[Outcome] = field(default_factory=list)
    deadline: float | None = None

    def time_left(self, now: float) -> float | None:
        """Seconds left before the call's deadline (``None``: no deadline; at most 0 once it passed)."""
        return None if self.deadline is None else self.deadline - now

    def note(self, outcome: Outcome) -> None:
        """Record the outcome of a failed attempt."""
        self.outcomes.append(outcome)
        if outcome in (Outcome.UNKNOWN, Outcome.BUSY):
            self.maybe_applied = True


def parse_wire_datetime(value: Any) -> datetime.datetime | None:
    """An ISO 8601 date-time from a job document; ``None`` when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def within_call_window(
    stamp: datetime.datetime,
    service_now: datetime.datetime,
    elapsed_s: float,
    slack_s: float = CLOCK_SLACK_S,
) -> bool:
    """Whether the service stamped ``stamp`` during this call, judged on the service's own clock.

    ``service_now`` is a ``Date`` the service sent at the end of the call and ``elapsed_s`` the
    monotonic seconds since the call's first attempt began, so the call started no earlier than
    ``service_now - elapsed_s``. ``Date`` is truncated to the second, hence one more second at the end.
    """
    try:
        start = service_now - datetime.timedelta(seconds=max(elapsed_s, 0.0) + slack_s)
        end = service_now + datetime.timedelta(seconds=1.0 + slack_s)
    except OverflowError:  # a Date at the edge of the calendar (year 1 or 9999) is no clock to trust
        return False
    return start <= stamp <= end


ADD_COMPARED = (
    "id",
    "displayName",
    "priority",
    "maxParallelTasks",
    "allowTaskPreemption",
    "usesTaskDependencies",
    "poolInfo",
    "constraints",
    "onAllTasksComplete",
    "onTaskFailure",
    "metadata",
    "jobManagerTask",
    "jobPreparationTask",
    "jobReleaseTask",
    "commonEnvironmentSettings",
    "networkConfiguration",
)
"""Top-level properties of a created job compared with the add body in safe create."""


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def _same_value(sent: Any, found: Any) -> bool:
    """Equal as the service would store them: nested objects compare on the keys both sides have
    (the service fills defaults and hides secrets), lists element by element, durations and
    date-times by value rather than by spelling."""
    if isinstance(sent, Mapping) and isinstance(found, Mapping):
        return all(_same_value(sent[k], found[k]) for k in sent.keys() & found.keys())
    if isinstance(sent, list) and isinstance(found, list):
        return len(sent) == len(found) and all(map(_same_value, sent, found))
    if isinstance(sent, str) and isinstance(found, str):
        return sent == found or _same_time(sent, found)
    if isinstance(sent, bool) or isinstance(found, bool):
        return sent is found
    return bool(sent == found)


def _same_time(a: str, b: str) -> bool:
    try:
        return parse_duration(a) == parse_duration(b)
    except ValueError:
        pass
    try:
        return parse_datetime(a) == parse_datetime(b)
    except ValueError:
        return False


def content_matches(sent: Mapping[str, Any], found: Mapping[str, Any], names: Any = None) -> bool:
    """Whether a fetched job shows every property that was sent (``names`` limits the top level).

    A top-level property sent with a value but missing from the job is a mismatch, unless it was
    empty; ids compare without case, as the service compares them.
    """
    keys = [k for k in sent if names is None or k in names]
    for key in keys:
        value = sent[key]
        if key not in found:
            if _empty(value):
                continue
            return False
        if key == "id" and isinstance(value, str) and isinstance(found[key], str):
            if value.lower() != found[key].lower():
                return False
            continue
        if _empty(value) and _empty(found[key]):
            continue
        if not _same_value(value, found[key]):
            return False
    return True
