"""Hypothesis strategies for wire JSON: valid values of every codec kind, and anything at all.

Valid values are built from the field tables (``Model._fields`` and each codec's ``inner``), so a new
property or codec in the generated models is covered without touching these tests.
"""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

from azbatch import models
from azbatch.models._base import BatchEnum, Model
from azbatch.models._codec import Codec

UTC = datetime.timezone.utc

# Every model class the package exports.
MODEL_CLASSES: list[type[Model]] = sorted(
    (
        value
        for name in models.__all__
        if isinstance(value := getattr(models, name), type)
        and issubclass(value, Model)
        and value is not Model
    ),
    key=lambda cls: cls.__name__,
)

# Any JSON value: what a misbehaving service (or proxy) could put anywhere.
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


# One value of every JSON type and of every shape a property can take, so that each property meets each
# wrong type often (free generation rarely puts, say, a string where a number belongs).
REPRESENTATIVES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    2**70,
    1.5,
    -0.0,
    1e308,
    "",
    "abc",
    "active",
    "Active",
    "2020-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "PT1H",
    "P99999999999D",
    [],
    ["a"],
    [1],
    [None],
    [{}],
    [[]],
    {},
    {"a": 1},
    {"id": "x"},
    [[[[[[[[[[["deep"]]]]]]]]]]],
]
any_json: st.SearchStrategy[Any] = st.sampled_from(REPRESENTATIVES) | json_values


# ------------------------------------------------------------------------------------ date-times


@st.composite
def service_datetimes(draw: st.DrawFn) -> str:
    """A date-time as the service writes it: UTC with ``Z``, 0-7 fraction digits; sometimes an offset."""
    value = draw(
        st.datetimes(min_value=datetime.datetime(1, 1, 2), max_value=datetime.datetime(9999, 12, 30))
    )
    digits = draw(st.integers(0, 7))
    fraction = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=digits, max_size=digits)))
    text = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    if fraction:
        text += "." + fraction
    zone = draw(st.sampled_from(["Z", "Z", "+00:00", "+05:30", "-08:00", "+14:00", "-12:00"]))
    return text + zone


def extreme_datetime_texts() -> st.SearchStrategy[str]:
    """Date-time-like text at and beyond the edges: years 0/1/9999, any offsets, absurd fields."""
    year = st.sampled_from(["0000", "0001", "9999", "2024", "1970"]) | st.from_regex(r"\A\d{4}\Z")
    two = st.from_regex(r"\A\d\d\Z")
    zone = st.sampled_from(["", "Z", "z"]) | st.from_regex(r"\A[+-]\d\d:?\d\d\Z")
    fraction = st.sampled_from(["", ".0", ".9999999"]) | st.from_regex(r"\A\.\d{1,30}\Z")
    return st.builds(
        lambda y, mo, d, h, mi, s, f, z: f"{y}-{mo}-{d}T{h}:{mi}:{s}{f}{z}",
        year,
        two,
        two,
        two,
        two,
        two,
        fraction,
        zone,
    )


# ------------------------------------------------------------------------------------ durations

_MAX_MICROSECONDS = 10675199 * 86_400_000_000  # the service's largest duration, whole days


@st.composite
def service_durations(draw: st.DrawFn) -> str:
    """A duration as .NET prints it: ``[-]P[nD][T[nH][nM][n[.fffffff]S]]``."""
    total = draw(st.integers(0, _MAX_MICROSECONDS))
    days, rest = divmod(total, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    sign = draw(st.sampled_from(["", "", "-"]))
    text = f"{sign}P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros:
        extra = draw(st.integers(0, 9))  # a seventh digit below one microsecond
        clock += f"{seconds}.{micros:06d}{extra}S"
    if clock:
        text += "T" + clock
    elif not days:
        text += "T0S"
    return text


def extreme_duration_texts() -> st.SearchStrategy[str]:
    """Duration-like text: huge numbers in every unit, calendar units, fractions, odd signs."""
    number = st.integers(0, 10**30).map(str) | st.from_regex(r"\A\d{1,40}(\.\d{1,12})?\Z")
    part = st.tuples(number, st.sampled_from("YMWDHS"))
    return st.builds(
        lambda sign, date, time: (
            sign
            + "P"
            + "".join(n + u for n, u in date)
            + ("T" + "".join(n + u for n, u in time) if time else "")
        ),
        st.sampled_from(["", "-", "+", "--"]),
        st.lists(part, max_size=3),
        st.lists(part, max_size=3),
    )


# ------------------------------------------------------------------------------------ per codec


def _enum_values(cls: type[BatchEnum], *, any_case: bool) -> st.SearchStrategy[str]:
    members = [member.value for member in cls]
    known = st.sampled_from(members)
    if any_case:
        known = known.flatmap(lambda v: st.sampled_from([v, v.upper(), v.lower(), v[:1].upper() + v[1:]]))
    # An unknown value from a newer service is kept as a plain string.
    return known | st.just("someFutureValue")


def wire_values(codec: Codec, depth: int = 0, *, any_case: bool = False) -> st.SearchStrategy[Any]:
    """Valid wire values for ``codec``: what a well-behaved service could send."""
    inner = codec.inner
    if isinstance(inner, type) and issubclass(inner, BatchEnum):
        return _enum_values(inner, any_case=any_case)
    if isinstance(inner, type) and issubclass(inner, Model):
        return model_wire(inner, depth + 1, any_case=any_case)
    if codec.name.startswith("list["):
        return st.lists(st.none() | wire_values(inner, depth, any_case=any_case), max_size=2)
    if codec.name.startswith("dict["):
        return st.dictionaries(
            st.text(max_size=5), st.none() | wire_values(inner, depth, any_case=any_case), max_size=2
        )
    return _SCALARS[codec.name]


_SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "str": st.text(max_size=20),
    "int": st.integers(-(2**63), 2**63 - 1) | st.integers(),
    "float": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53),
    "bool": st.booleans(),
    "object": st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    "datetime": service_datetimes(),
    "duration": service_durations(),
}

MAX_DEPTH = 3


def model_wire(
    cls: type[Model], depth: int = 0, *, any_case: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid wire object of ``cls``: any subset of its properties, plus unknown ones."""
    if depth > MAX_DEPTH:
        return st.just({})
    optional = {
        field.wire: st.deferred(lambda field=field: wire_values(field.codec, depth, any_case=any_case))
        for field in cls._fields
    }
    unknown = st.dictionaries(
        st.sampled_from(["futureThing", "odata.metadata", "x-extra"]), json_values, max_size=2
    )
    return st.builds(
        lambda known, extra: {**extra, **known}, st.fixed_dictionaries({}, optional=optional), unknown
    )


def anything_wire(cls: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """A wire object of ``cls`` whose properties hold any JSON at all (mostly the wrong type)."""
    optional = {field.wire: any_json for field in cls._fields}
    return st.fixed_dictionaries({}, optional=optional)


def mixed_wire(cls: type[Model]) -> st.SearchStrategy[dict[str, Any]]:
    """Each property valid or arbitrary, independently: the realistic hostile case."""
    optional = {
        field.wire: st.deferred(lambda field=field: wire_values(field.codec, 1) | json_values)
        for field in cls._fields
    }
    return st.fixed_dictionaries({}, optional=optional)


models_and_wire = st.sampled_from(MODEL_CLASSES).flatmap(lambda cls: st.tuples(st.just(cls), model_wire(cls)))
models_and_any_case_wire = st.sampled_from(MODEL_CLASSES).flatmap(
    lambda cls: st.tuples(st.just(cls), model_wire(cls, any_case=True))
)
models_and_mixed_wire = st.sampled_from(MODEL_CLASSES).flatmap(
    lambda cls: st.tuples(st.just(cls), mixed_wire(cls))
)
models_and_anything = st.sampled_from(MODEL_CLASSES).flatmap(
    lambda cls: st.tuples(st.just(cls), anything_wire(cls))
)
