"""Fault injection rules: which requests fail, how, how often.

A rule matches requests by operation (operationId such as ``Job_Get``, the short name ``get``, or
``ManagedIdentity_GetToken`` for the token route), HTTP method and/or a glob on the path. It fires at most ``times`` times (unlimited when None) and, when
``probability`` is below 1, only on the draws of a seeded ``random.Random`` that fall under it, so a run
with the same seed and the same request sequence injects the same faults.

Kinds:

``throttle``       429 TooManyRequests with ``Retry-After``
``busy``           503 ServerBusy with ``Retry-After``
``internal_error`` 500 InternalError
``reset_before``   the connection is reset before any response byte is sent
``reset_after``    the status line, headers and part of the body are sent, then the connection is reset
``delay``          the request is answered normally after ``delay_ms``

By default a fault stands in for the operation: throttle, busy, internal_error and reset_before never
reach the store, delay runs the operation after the pause. With ``after_commit`` the operation runs to
completion first (a write is applied) and only its answer is lost: replaced by the 429/503/500, cut by
a reset before any byte, or held back for ``delay_ms``. ``reset_after`` always runs the operation
first, so the flag changes nothing there.

429 and 503 carry ``Retry-After: <retry_after>`` seconds, or with ``retry_after_ms`` the millisecond
headers azure-core honours (``retry-after-ms``, ``x-ms-retry-after-ms``), which keeps retry tests fast.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

FAULT_KINDS = ("throttle", "busy", "internal_error", "reset_before", "reset_after", "delay")

OPERATIONS: dict[str, str] = {
    "add": "Job_Add",
    "delete": "Job_Delete",
    "disable": "Job_Disable",
    "enable": "Job_Enable",
    "get": "Job_Get",
    "get_task_counts": "Job_GetTaskCounts",
    "list": "Job_List",
    "list_from_job_schedule": "Job_ListFromJobSchedule",
    "list_preparation_and_release_task_status": "Job_ListPreparationAndReleaseTaskStatus",
    "patch": "Job_Patch",
    "terminate": "Job_Terminate",
    "update": "Job_Update",
}
"""Short operation names (as in JOBS-API.md §2) mapped to the spec's operationIds, which name the routes."""


def normalize_operation(name: str) -> str:
    """Map a short name or an operationId (any case) to the operationId; unknown names pass through."""
    lowered = name.lower()
    if lowered in OPERATIONS:
        return OPERATIONS[lowered]
    for op_id in OPERATIONS.values():
        if op_id.lower() == lowered:
            return op_id
    return name


@dataclass
class FaultRule:
    """One injected fault; see the module docstring for the kinds."""

    kind: str
    operation: str | None = None
    method: str | None = None
    path: str | None = None
    times: int | None = None
    probability: float = 1.0
    retry_after: int | None = 1
    delay_ms: int = 0
    after_commit: bool = False
    retry_after_ms: int | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        # Rules also come from JSON (the admin API), so types are checked here, not only ranges: a bad
        # rule must be refused when it is added, never fail the requests it is matched against.
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        for name in ("operation", "method", "path"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string")
        _check_count("times", self.times, optional=True)
        _check_count("retry_after", self.retry_after, optional=True)
        _check_count("retry_after_ms", self.retry_after_ms, optional=True)
        _check_count("delay_ms", self.delay_ms, optional=False)
        probability: object = self.probability
        if isinstance(probability, bool) or not isinstance(probability, (int, float)):
            raise ValueError("probability must be a number between 0 and 1")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if not isinstance(self.after_commit, bool):
            raise ValueError("after_commit must be true or false")
        if self.operation is not None:
            self.operation = normalize_operation(self.operation)
        if self.method is not None:
            self.method = self.method.upper()

    def retry_headers(self) -> dict[str, str]:
        """The retry hint headers a 429/503 from this rule carries.

        With ``retry_after_ms`` the hint is ``retry-after-ms`` and ``x-ms-retry-after-ms`` only: azure-core
        reads ``Retry-After`` first, and takes ``Retry-After: 0`` as "no hint" (falling back to its
        exponential backoff), so a millisecond hint works only without it.
        """
        if self.retry_after_ms is not None:
            value = str(self.retry_after_ms)
            return {"retry-after-ms": value, "x-ms-retry-after-ms": value}
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return {}

    @property
    def exhausted(self) -> bool:
        """True once the rule fired ``times`` times."""
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, path: str, operation: str | None) -> bool:
        """Whether the rule applies to the request, ignoring counts and probability."""
        if self.operation is not None and self.operation != operation:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        if self.path is not None:
            return fnmatch.fnmatchcase(path, self.path)
        if self.operation is not None:
            return True
        # A rule naming neither path nor operation targets the Batch operations, not the token route.
        return operation is not None and operation.startswith("Job_")

    def to_dict(self) -> dict[str, Any]:
        """The rule as JSON-ready data (the admin API returns this)."""
        return asdict(self)


def _check_count(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer" + (" or null" if optional else ""))


class FaultInjector:
    """The ordered list of fault rules of one emulator; the first rule that fires wins."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def reseed(self, seed: int | None) -> None:
        """Restart the random sequence used for probabilistic rules."""
        with self._lock:
            self._rng = random.Random(seed)

    @property
    def rules(self) -> list[FaultRule]:
        """A copy of the current rules, in matching order."""
        with self._lock:
            return list(self._rules)

    def add(
        self,
        kind: str,
        *,
        operation: str | None = None,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
        retry_after: int | None = 1,
        delay_ms: int = 0,
        after_commit: bool = False,
        retry_after_ms: int | None = None,
    ) -> FaultRule:
        """Append a rule and return it (its ``fired`` count shows how often it triggered).

        ``after_commit`` runs the operation (applying a write) before the fault takes its answer away.
        ``retry_after_ms`` (throttle, busy) sends the pause in milliseconds instead of ``Retry-After``.
        """
        rule = FaultRule(
            kind,
            operation,
            method,
            path,
            times,
            probability,
            retry_after,
            delay_ms,
            after_commit,
            retry_after_ms,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_from_dict(self, data: Mapping[str, Any]) -> FaultRule:
        """Append a rule described by JSON data (the admin API's body); raise ``ValueError`` when invalid."""
        allowed = {
            "kind",
            "operation",
            "method",
            "path",
            "times",
            "probability",
            "retry_after",
            "delay_ms",
            "after_commit",
            "retry_after_ms",
        }
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(f"unknown fault rule field {unknown[0]!r}")
        if "kind" not in data:
            raise ValueError("a fault rule needs a 'kind'")
        try:
            return self.add(**data)
        except TypeError as exc:
            raise ValueError(str(exc)) from None

    def throttle(self, *, times: int | None = 1, retry_after: int | None = 1, **match: Any) -> FaultRule:
        """Answer matching requests with 429 TooManyRequests."""
        return self.add("throttle", times=times, retry_after=retry_after, **match)

    def server_busy(self, *, times: int | None = 1, retry_after: int | None = 1, **match: Any) -> FaultRule:
        """Answer matching requests with 503 ServerBusy."""
        return self.add("busy", times=times, retry_after=retry_after, **match)

    def internal_error(self, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Answer matching requests with 500 InternalError."""
        return self.add("internal_error", times=times, **match)

    def reset_before_response(self, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Reset the connection of matching requests before anything is sent back."""
        return self.add("reset_before", times=times, **match)

    def reset_after_headers(self, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Send the response head and part of its body, then reset the connection."""
        return self.add("reset_after", times=times, **match)

    def slow(self, delay_ms: int, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Delay matching requests by ``delay_ms`` before answering them normally."""
        return self.add("delay", times=times, delay_ms=delay_ms, **match)

    def fail_after_commit(self, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Apply matching requests, then answer 500 InternalError: the service did it, the answer was lost."""
        return self.add("internal_error", times=times, after_commit=True, **match)

    def reset_after_commit(self, *, times: int | None = 1, **match: Any) -> FaultRule:
        """Apply matching requests, then reset the connection before any byte of the answer is sent."""
        return self.add("reset_before", times=times, after_commit=True, **match)

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def pick(self, method: str, path: str, operation: str | None) -> FaultRule | None:
        """Return the rule that fires for this request (and count it), or None."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method, path, operation):
                    continue
                # Draw only for probabilistic rules so that count-based rules do not shift the sequence.
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
            return None
