"""Unit tests of the $filter tokenizer/parser/compiler and the $select / $expand helpers."""

from __future__ import annotations

from typing import Any

import pytest

from azbatch.emulator._odata import (
    And,
    Compare,
    FilterError,
    Literal,
    Not,
    Or,
    StartsWith,
    compile_filter,
    parse_datetime_ticks,
    parse_expand,
    parse_filter,
    parse_select,
    project,
)
from azbatch.emulator._store import JOB_FILTER_FIELDS, PREP_RELEASE_FILTER_FIELDS

JAN1 = parse_datetime_ticks("2024-01-01T00:00:00Z")
DAY = 24 * 3600 * 10_000_000


def job(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "job-1",
        "state": "active",
        "creationTime": JAN1,
        "stateTransitionTime": JAN1,
        "lastModified": JAN1,
        "executionInfo/startTime": JAN1,
        "executionInfo/endTime": None,
        "executionInfo/poolId": "pool-a",
    }
    base.update(values)
    return base


def matches(expr: str, item: dict[str, Any]) -> bool:
    return compile_filter(expr, JOB_FILTER_FIELDS)(item)


# ---------------------------------------------------------------------------------------------- parsing


def test_parse_comparison() -> None:
    assert parse_filter("state eq 'active'") == Compare("state", "eq", Literal("string", "active"))


def test_and_binds_tighter_than_or() -> None:
    a = Compare("id", "eq", Literal("string", "a"))
    b = Compare("id", "eq", Literal("string", "b"))
    c = Compare("id", "eq", Literal("string", "c"))
    assert parse_filter("id eq 'a' or id eq 'b' and id eq 'c'") == Or(a, And(b, c))
    assert parse_filter("id eq 'a' and id eq 'b' or id eq 'c'") == Or(And(a, b), c)
    assert parse_filter("(id eq 'a' or id eq 'b') and id eq 'c'") == And(Or(a, b), c)
    assert parse_filter("id eq 'a' or id eq 'b' or id eq 'c'") == Or(Or(a, b), c)


def test_not_and_nested_parentheses() -> None:
    a = Compare("id", "eq", Literal("string", "a"))
    assert parse_filter("not (id eq 'a')") == Not(a)
    assert parse_filter("((id eq 'a'))") == a
    assert parse_filter("not not id eq 'a'") == Not(Not(a))


def test_literals() -> None:
    assert parse_filter("id eq 'it''s'") == Compare("id", "eq", Literal("string", "it's"))
    assert parse_filter("id eq ''") == Compare("id", "eq", Literal("string", ""))
    node = parse_filter("creationTime gt datetime'2024-01-01T00:00:00Z'")
    assert node == Compare("creationTime", "gt", Literal("datetime", JAN1))
    assert parse_filter("x eq -12") == Compare("x", "eq", Literal("number", -12))
    assert parse_filter("x eq null") == Compare("x", "eq", Literal("null", None))


def test_startswith_forms() -> None:
    assert parse_filter("startswith(id,'ab')") == StartsWith("id", Literal("string", "ab"))
    assert parse_filter("startswith( id , 'ab' ) eq true") == StartsWith("id", Literal("string", "ab"), True)
    assert parse_filter("startswith(id,'ab') eq false") == StartsWith("id", Literal("string", "ab"), False)
    assert parse_filter("startswith(id,'ab') ne true") == StartsWith("id", Literal("string", "ab"), False)


def test_keywords_are_case_insensitive_but_properties_are_not() -> None:
    assert parse_filter("state EQ 'active' AND id Ne 'x'") == And(
        Compare("state", "eq", Literal("string", "active")), Compare("id", "ne", Literal("string", "x"))
    )
    with pytest.raises(FilterError, match="State"):
        compile_filter("State eq 'active'", JOB_FILTER_FIELDS)


@pytest.mark.parametrize(
    "expr",
    [
        "",
        "   ",
        "state",
        "state eq",
        "state 'active'",
        "state == 'active'",
        "state eq 'active",
        "(state eq 'active'",
        "state eq 'active')",
        "state eq 'active' and",
        "or state eq 'active'",
        "state eq 'active' state eq 'x'",
        "startswith(id 'a')",
        "startswith(id,'a'",
        "startswith(id,'a') eq 'yes'",
        "endswith(id,'a')",
        "id eq datetime'not a date'",
        "creationTime gt datetime'2024-13-01T00:00:00Z'",
        'id eq "double"',
        "id eq 'a' & id eq 'b'",
        "'active' eq state",
    ],
)
def test_malformed_expressions(expr: str) -> None:
    with pytest.raises(FilterError):
        compile_filter(expr, JOB_FILTER_FIELDS)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(FilterError, match="nested"):
        compile_filter("(" * 5000 + "id eq 'a'" + ")" * 5000, JOB_FILTER_FIELDS)
    with pytest.raises(FilterError, match="nested"):
        compile_filter("not " * 5000 + "id eq 'a'", JOB_FILTER_FIELDS)
    with pytest.raises(FilterError, match="nested"):
        compile_filter(" or ".join(["id eq 'a'"] * 900), JOB_FILTER_FIELDS)
    assert compile_filter(" or ".join(["id eq 'a'"] * 150), JOB_FILTER_FIELDS)(job(id="a"))


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("priority eq 1", "cannot be used"),
        ("state gt 'active'", "not allowed"),
        ("startswith(state,'a')", "not allowed"),
        ("state eq 'sleeping'", "not a valid value"),
        ("state eq 3", "quoted string"),
        ("creationTime gt 'yesterday'", "DateTime"),
        ("creationTime gt 5", "DateTime"),
        ("id gt null", "null"),
        ("startswith(id, 5)", "string literal"),
    ],
)
def test_expressions_the_listing_does_not_allow(expr: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        compile_filter(expr, JOB_FILTER_FIELDS)


# -------------------------------------------------------------------------------------------- evaluation


def test_string_and_enum_comparisons() -> None:
    assert matches("state eq 'active'", job())
    assert not matches("state ne 'active'", job())
    assert matches("id gt 'job-0' and id lt 'job-2'", job())
    assert matches("id eq 'JOB-1'", job())  # job ids compare case-insensitively
    assert matches("startswith(id,'JOB')", job())
    assert not matches("startswith(executionInfo/poolId,'POOL')", job())
    assert matches("startswith(executionInfo/poolId,'pool')", job())
    assert matches("startswith(id,'x') eq false", job())


def test_boolean_combinations() -> None:
    item = job(state="disabled")
    assert matches("state eq 'active' or state eq 'disabled'", item)
    assert not matches("state eq 'active' and id eq 'job-1'", item)
    assert matches("not (state eq 'active')", item)
    assert matches("(state eq 'active' or state eq 'disabled') and id eq 'job-1'", item)
    assert not matches("state eq 'active' or state eq 'disabled' and id eq 'other'", item)


def test_datetime_comparisons() -> None:
    later = job(creationTime=JAN1 + DAY)
    assert matches("creationTime gt datetime'2024-01-01T00:00:00Z'", later)
    assert matches("creationTime ge datetime'2024-01-02T00:00:00Z'", later)
    assert not matches("creationTime gt datetime'2024-01-02T00:00:00Z'", later)
    assert matches("creationTime lt datetime'2024-01-02T00:00:00.0000001Z'", later)
    assert matches("creationTime eq datetime'2024-01-02T01:00:00+01:00'", later)
    # A bare ISO string literal is accepted for a DateTime property.
    assert matches("creationTime le '2024-01-02T00:00:00Z'", later)
    assert matches("executionInfo/endTime eq null", job())
    assert not matches("executionInfo/endTime lt datetime'2030-01-01T00:00:00Z'", job())
    assert matches("executionInfo/endTime ne datetime'2030-01-01T00:00:00Z'", job())
    assert matches("executionInfo/endTime ne null", job(**{"executionInfo/endTime": JAN1}))


def test_prep_release_fields() -> None:
    pred = compile_filter(
        "jobPreparationTaskExecutionInfo/exitCode ne 0 or nodeId eq 'tvm-1'", PREP_RELEASE_FILTER_FIELDS
    )
    assert pred({"nodeId": "tvm-1"})
    assert pred({"nodeId": "tvm-2", "jobPreparationTaskExecutionInfo/exitCode": 3})
    assert not pred({"nodeId": "tvm-2", "jobPreparationTaskExecutionInfo/exitCode": 0})
    with pytest.raises(FilterError):
        compile_filter("jobReleaseTaskExecutionInfo/state eq 'waiting'", PREP_RELEASE_FILTER_FIELDS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", JAN1),
        ("2024-01-01T00:00:00.5Z", JAN1 + 5_000_000),
        ("2024-01-01T00:00:00.1234567Z", JAN1 + 1_234_567),
        ("2024-01-01T00:00:00.123456789Z", JAN1 + 1_234_567),
        ("2024-01-01T00:00:00", JAN1),
        ("2024-01-01", JAN1),
        ("2024-01-01T02:00:00+02:00", JAN1),
        ("2023-12-31T23:00:00-0100", JAN1),
    ],
)
def test_parse_datetime_ticks(text: str, expected: int) -> None:
    assert parse_datetime_ticks(text) == expected


@pytest.mark.parametrize("text", ["", "2024", "2024-02-30", "2024-01-01T25:00:00Z", "tomorrow"])
def test_parse_datetime_ticks_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime_ticks(text)


# -------------------------------------------------------------------------------------- $select/$expand


def test_select_and_project() -> None:
    paths = parse_select("id, executionInfo/poolId,state", ("id", "state", "executionInfo"))
    assert paths == [("id",), ("executionInfo", "poolId"), ("state",)]
    doc = {"id": "a", "state": "active", "priority": 1, "executionInfo": {"poolId": "p", "startTime": "t"}}
    assert project(doc, paths) == {"id": "a", "state": "active", "executionInfo": {"poolId": "p"}}
    whole = parse_select("executionInfo/poolId,executionInfo", ("executionInfo",))
    assert project(doc, whole) == {"executionInfo": doc["executionInfo"]}
    assert project(doc, parse_select("executionInfo/missing", ("executionInfo",))) == {"executionInfo": {}}


@pytest.mark.parametrize("text", ["", "id,", "colour", "id,/x", "id//x"])
def test_select_rejects(text: str) -> None:
    with pytest.raises(FilterError):
        parse_select(text, ("id",))


def test_expand() -> None:
    assert parse_expand("stats", ("stats",)) == {"stats"}
    with pytest.raises(FilterError):
        parse_expand("stats,tasks", ("stats",))
