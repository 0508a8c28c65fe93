"""Typed ``$filter`` expressions for the job listings, checked before anything is sent.

Build a condition from the properties on :data:`F` and combine conditions with ``&`` (and) and ``|``
(or)::

    from azbatch.filters import F

    recent = (F.state == JobState.ACTIVE) & (F.creation_time >= datetime(2024, 5, 1, tzinfo=timezone.utc))
    nightly = F.id.startswith("nightly-") | F.id.startswith("weekly-")
    client.jobs.list(filter=recent & nightly)

Put each comparison in parentheses: Python's ``&`` and ``|`` bind tighter than ``==``. The result renders
to the text the Batch service expects (``state eq 'active' and creationTime ge DateTime'...'``): strings
single-quoted with quotes doubled, date-times as ``DateTime'<ISO 8601 UTC>'``, parentheses only where
``or`` sits inside ``and``. The service's filter language has no ``not``, so ``~`` is refused.

A listing accepts only some properties and operators (JOBS-API.md §10); an expression using others is
refused with ``ValueError`` when the listing is called, instead of being answered with a 400. Pure code:
no I/O.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import NoReturn

from .models import JobPreparationTaskState, JobReleaseTaskState, JobState, TaskExecutionResult
from .models._codec import format_datetime

__all__ = [
    "LISTINGS",
    "ExecutionInfoFields",
    "F",
    "Filter",
    "FilterFields",
    "Property",
    "TaskExecutionInfoFields",
    "quote",
]

_ORDERED = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
_EQUALITY = frozenset({"eq", "ne"})
_PREFIX = _ORDERED | {"startswith"}

_JOB_STATES = frozenset(str(s.value) for s in JobState)
_TASK_STATES = frozenset(str(s.value) for s in JobPreparationTaskState) | frozenset(
    str(s.value) for s in JobReleaseTaskState
)
_TASK_RESULTS = frozenset(str(s.value) for s in TaskExecutionResult)

_TASK_INFOS = ("jobPreparationTaskExecutionInfo", "jobReleaseTaskExecutionInfo")

LISTINGS: Mapping[str, Mapping[str, frozenset[str]]] = {
    # list and list_from_job_schedule
    "jobs": {
        "id": _PREFIX,
        "state": _EQUALITY,
        "stateTransitionTime": _ORDERED,
        "creationTime": _ORDERED,
        "lastModified": _ORDERED,
        "executionInfo/startTime": _ORDERED,
        "executionInfo/endTime": _ORDERED,
        "executionInfo/poolId": _PREFIX,
    },
    # list_preparation_and_release_task_status
    "preparation_and_release_task_status": {
        "nodeId": _PREFIX,
        "poolId": _PREFIX,
        **{f"{info}/state": _EQUALITY for info in _TASK_INFOS},
        **{f"{info}/result": _EQUALITY for info in _TASK_INFOS},
        **{f"{info}/startTime": _ORDERED for info in _TASK_INFOS},
        **{f"{info}/endTime": _ORDERED for info in _TASK_INFOS},
        **{f"{info}/exitCode": _ORDERED for info in _TASK_INFOS},
    },
}
"""Listing name -> the properties its filter may use -> the operators allowed on each."""

_PARENS_HINT = "put each comparison in parentheses, e.g. (F.state == 'active') & (F.id.startswith('x'))"


# ------------------------------------------------------------------------------------------- literals


def quote(value: object) -> str:
    """Render a Python value as a filter literal.

    ``str`` (and str enums) become ``'text'`` with every ``'`` doubled; ``datetime`` becomes
    ``DateTime'2024-05-01T10:20:30Z'`` (naive values are taken as UTC, aware ones converted to UTC);
    ``bool`` becomes ``true``/``false``; ``int`` stays a number.

    :raises TypeError: any other type.
    :raises ValueError: a ``datetime`` that falls outside the years 1-9999 once converted to UTC.
    """
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, datetime.datetime):
        # The models' codec: ISO 8601 in UTC, a four-digit year, a fraction only when there is one.
        try:
            return f"DateTime'{format_datetime(value)}'"
        except ValueError as exc:  # an aware value that leaves the years 1-9999 once in UTC
            raise ValueError(f"the filter date-time {exc}") from None
    raise TypeError(f"a filter literal must be a str, int, bool or datetime, not {type(value).__name__}")


# ----------------------------------------------------------------------------------------- expressions


class Filter:
    """A filter expression: combine with ``&`` and ``|``; ``str(expr)`` gives the filter text.

    Pass it as ``filter=`` to a listing (or to a ``*_many`` bulk call); it is checked against that
    listing's allowed properties and operators first.
    """

    __slots__ = ()

    def render(self, listing: str = "jobs") -> str:
        """The filter text, after checking every condition against ``listing``.

        :param listing: ``"jobs"`` (``list``, ``list_from_job_schedule``) or
            ``"preparation_and_release_task_status"``.
        :raises ValueError: a property or operator the listing does not allow.
        """
        allowed = LISTINGS.get(listing)
        if allowed is None:
            raise ValueError(f"listing must be one of {', '.join(map(repr, LISTINGS))}, got {listing!r}")
        for condition in self._conditions():
            condition._check(listing, allowed)
        return self._text()

    def _text(self) -> str:
        raise NotImplementedError

    def _conditions(self) -> Iterator[_Condition]:
        raise NotImplementedError

    def __and__(self, other: object) -> Filter:
        return _combine(_All, self, other, "&")

    def __rand__(self, other: object) -> Filter:
        return _combine(_All, other, self, "&")

    def __or__(self, other: object) -> Filter:
        return _combine(_Any, self, other, "|")

    def __ror__(self, other: object) -> Filter:
        return _combine(_Any, other, self, "|")

    def __invert__(self) -> NoReturn:
        raise TypeError(
            "Batch filters have no 'not': write the opposite comparison instead (== / !=, < / >=, ...)"
        )

    def __bool__(self) -> NoReturn:
        # Reached through `a and b`, `a or b`, `not a` and chained comparisons (x < F.y < z), which would
        # silently drop half of the filter.
        raise TypeError(f"a filter has no truth value: combine with & and | (not and/or), {_PARENS_HINT}")

    def __str__(self) -> str:
        return self._text()

    def __repr__(self) -> str:
        return f"Filter({self._text()!r})"


def _combine(cls: type[_All] | type[_Any], left: object, right: object, symbol: str) -> Filter:
    for side in (left, right):
        if not isinstance(side, Filter):
            raise TypeError(
                f"{symbol} combines two filter conditions, not {type(side).__name__}; {_PARENS_HINT}"
            )
    assert isinstance(left, Filter) and isinstance(right, Filter)
    parts: list[Filter] = []
    for side in (left, right):
        # a & (b & c) is a & b & c: flatten so the text stays free of needless parentheses.
        parts.extend(side.parts if isinstance(side, cls) else (side,))
    return cls(tuple(parts))


class _Condition(Filter):
    """One comparison (``prop op literal``) or ``startswith(prop, literal)``."""

    __slots__ = ("literal", "op", "prop")

    def __init__(self, prop: Property, op: str, literal: str) -> None:
        self.prop = prop
        self.op = op
        self.literal = literal

    def _text(self) -> str:
        if self.op == "startswith":
            return f"startswith({self.prop.name},{self.literal})"
        return f"{self.prop.name} {self.op} {self.literal}"

    def _conditions(self) -> Iterator[_Condition]:
        yield self

    def _check(self, listing: str, allowed: Mapping[str, frozenset[str]]) -> None:
        ops = allowed.get(self.prop.name)
        if ops is None:
            hint = [name for name in allowed if name.rsplit("/", 1)[-1] == self.prop.name.rsplit("/", 1)[-1]]
            also = f" (did you mean {hint[0]!r}?)" if hint else f" (allowed: {', '.join(allowed)})"
            raise ValueError(
                f"filter uses {self.prop.name!r}, which {listing} listings cannot filter on{also}"
            )
        if self.op not in ops:
            raise ValueError(
                f"filter uses {self.op!r} on {self.prop.name!r}, which {listing} listings do not allow "
                f"(allowed: {', '.join(sorted(ops))})"
            )


class _All(Filter):
    """Every part must hold (``and``)."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Filter, ...]) -> None:
        self.parts = parts

    def _text(self) -> str:
        # "and" binds tighter than "or" in OData: only an "or" inside needs parentheses.
        return " and ".join(f"({p._text()})" if isinstance(p, _Any) else p._text() for p in self.parts)

    def _conditions(self) -> Iterator[_Condition]:
        for part in self.parts:
            yield from part._conditions()


class _Any(Filter):
    """At least one part must hold (``or``)."""

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[Filter, ...]) -> None:
        self.parts = parts

    def _text(self) -> str:
        return " or ".join(p._text() for p in self.parts)

    def _conditions(self) -> Iterator[_Condition]:
        for part in self.parts:
            yield from part._conditions()


# ------------------------------------------------------------------------------------------ properties


class Property:
    """A filterable property (``F.creation_time``): compare it with a value to get a :class:`Filter`.

    ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` and :meth:`startswith` are available where some listing
    allows them; the value's type is checked at once (a str for strings, a ``datetime`` for times, an
    int for exit codes, a known value for states).
    """

    __slots__ = ("kind", "name", "ops", "values")

    def __init__(
        self, name: str, kind: str, ops: frozenset[str], values: frozenset[str] = frozenset()
    ) -> None:
        self.name = name
        """The property's name on the wire (``executionInfo/poolId``)."""
        self.kind = kind
        """``string``, ``enum``, ``datetime`` or ``int``."""
        self.ops = ops
        """Every operator some listing allows on it."""
        self.values = values
        """For ``enum`` properties, the values it can take."""

    def _compare(self, op: str, value: object) -> Filter:
        if op not in self.ops:
            raise ValueError(
                f"{self.name!r} cannot be compared with {op!r} (allowed: {', '.join(sorted(self.ops))})"
            )
        literal = self._literal(value)
        try:
            text = quote(literal)
        except ValueError as exc:
            raise ValueError(f"{exc} (compared with {self.name!r})") from None
        return _Condition(self, op, text)

    def _literal(self, value: object) -> object:
        if value is None:
            raise TypeError(f"{self.name!r} cannot be compared with None")
        if isinstance(value, Enum):
            value = value.value
        if self.kind == "datetime":
            if not isinstance(value, datetime.datetime):
                raise TypeError(
                    f"{self.name!r} is a date-time: compare it with a datetime, not {type(value).__name__}"
                )
            return value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(
                    f"{self.name!r} is an integer: compare it with an int, not {type(value).__name__}"
                )
            return value
        if not isinstance(value, str):
            raise TypeError(f"{self.name!r} is a string: compare it with a str, not {type(value).__name__}")
        if self.kind == "enum":
            for known in self.values:
                if known.lower() == value.lower():
                    return known
            raise ValueError(
                f"{value!r} is not a value of {self.name!r} (one of: {', '.join(sorted(self.values))})"
            )
        return value

    def __eq__(self, value: object) -> Filter:  # type: ignore[override]
        return self._compare("eq", value)

    def __ne__(self, value: object) -> Filter:  # type: ignore[override]
        return self._compare("ne", value)

    def __lt__(self, value: object) -> Filter:
        return self._compare("lt", value)

    def __le__(self, value: object) -> Filter:
        return self._compare("le", value)

    def __gt__(self, value: object) -> Filter:
        return self._compare("gt", value)

    def __ge__(self, value: object) -> Filter:
        return self._compare("ge", value)

    __hash__ = None  # type: ignore[assignment]  # == builds a filter, so a property is not hashable

    def startswith(self, prefix: str) -> Filter:
        """The property's value begins with ``prefix`` (``startswith(id,'nightly-')``)."""
        if "startswith" not in self.ops:
            raise ValueError(f"startswith cannot be used on {self.name!r}")
        if not isinstance(prefix, str):
            raise TypeError(f"startswith needs a str prefix, not {type(prefix).__name__}")
        return _Condition(self, "startswith", quote(prefix))

    def _misuse(self, other: object) -> NoReturn:
        raise TypeError(f"{self.name!r} is a property, not a condition; {_PARENS_HINT}")

    __and__ = __rand__ = __or__ = __ror__ = _misuse

    def __repr__(self) -> str:
        return f"Property({self.name!r})"


def _string(name: str) -> Property:
    return Property(name, "string", _PREFIX)


def _time(name: str) -> Property:
    return Property(name, "datetime", _ORDERED)


class ExecutionInfoFields:
    """Properties under a job's ``executionInfo`` (job listings)."""

    def __init__(self) -> None:
        self.start_time = _time("executionInfo/startTime")
        """When the job started."""
        self.end_time = _time("executionInfo/endTime")
        """When the job completed."""
        self.pool_id = _string("executionInfo/poolId")
        """The pool the job ran on (also auto-pools)."""


class TaskExecutionInfoFields:
    """Properties of a preparation or release task's run on one node (preparation/release status)."""

    def __init__(self, base: str) -> None:
        self.state = Property(f"{base}/state", "enum", _EQUALITY, _TASK_STATES)
        """``running`` or ``completed``."""
        self.result = Property(f"{base}/result", "enum", _EQUALITY, _TASK_RESULTS)
        """``success`` or ``failure``."""
        self.start_time = _time(f"{base}/startTime")
        """When the task started on the node."""
        self.end_time = _time(f"{base}/endTime")
        """When the task finished on the node."""
        self.exit_code = Property(f"{base}/exitCode", "int", _ORDERED)
        """The task's exit code."""


class FilterFields:
    """The filterable properties, by their Python names; use the instance :data:`F`."""

    def __init__(self) -> None:
        # Job listings (list, list_from_job_schedule).
        self.id = _string("id")
        """The job id (the service compares ids without regard to case)."""
        self.state = Property("state", "enum", _EQUALITY, _JOB_STATES)
        """The job state (a :class:`~azbatch.models.JobState` or its string)."""
        self.state_transition_time = _time("stateTransitionTime")
        """When the job entered its current state."""
        self.creation_time = _time("creationTime")
        """When the job was created."""
        self.last_modified = _time("lastModified")
        """When the job's properties last changed."""
        self.execution_info = ExecutionInfoFields()
        """``executionInfo/...`` properties."""
        # Preparation and release task status.
        self.node_id = _string("nodeId")
        """The compute node's id (preparation/release status)."""
        self.pool_id = _string("poolId")
        """The node's pool (preparation/release status)."""
        self.job_preparation_task_execution_info = TaskExecutionInfoFields(_TASK_INFOS[0])
        """How the preparation task ran on the node."""
        self.job_release_task_execution_info = TaskExecutionInfoFields(_TASK_INFOS[1])
        """How the release task ran on the node."""


F = FilterFields()
"""The filterable properties: ``F.state == "active"``, ``F.execution_info.pool_id.startswith("p")``."""


def filter_text(value: object, listing: str) -> str | None:
    """The ``$filter`` text for a listing's ``filter`` argument: a str as given, an expression checked.

    :raises TypeError: neither ``None``, a str nor a :class:`Filter`.
    :raises ValueError: an expression the listing does not allow.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Filter):
        return value.render(listing)
    raise TypeError(f"filter must be a str or an azbatch.filters expression, not {type(value).__name__}")
