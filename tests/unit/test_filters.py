"""azbatch.filters: typed filter expressions render to the Batch OData text and are checked per listing."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from azbatch._protocol import _requests as rq
from azbatch.emulator._odata import FilterError, compile_filter
from azbatch.emulator._store import JOB_FILTER_FIELDS, PREP_RELEASE_FILTER_FIELDS
from azbatch.filters import LISTINGS, F, Filter, quote
from azbatch.models import JobState, TaskExecutionResult

UTC = datetime.timezone.utc
TARGET = rq.Target.create("https://account.region.batch.azure.com", "2024-02-01.19.0")


# ------------------------------------------------------------------------------------------- rendering


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (F.id == "job-1", "id eq 'job-1'"),
        (F.id != "job-1", "id ne 'job-1'"),
        (F.id > "b", "id gt 'b'"),
        (F.id >= "b", "id ge 'b'"),
        (F.id < "b", "id lt 'b'"),
        (F.id <= "b", "id le 'b'"),
        (F.id.startswith("nightly-"), "startswith(id,'nightly-')"),
        (F.state == JobState.ACTIVE, "state eq 'active'"),
        (F.state != "Completed", "state ne 'completed'"),  # values are matched without regard to case
        (F.execution_info.pool_id.startswith("p"), "startswith(executionInfo/poolId,'p')"),
        (
            F.execution_info.end_time < datetime.datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC),
            "executionInfo/endTime lt DateTime'2024-05-01T10:20:30Z'",
        ),
        (
            F.job_preparation_task_execution_info.exit_code != 0,
            "jobPreparationTaskExecutionInfo/exitCode ne 0",
        ),
        (
            F.job_release_task_execution_info.result == TaskExecutionResult.FAILURE,
            "jobReleaseTaskExecutionInfo/result eq 'failure'",
        ),
        (F.node_id == "tvm-1", "nodeId eq 'tvm-1'"),
    ],
)
def test_a_comparison_renders_to_the_service_syntax(expr: Filter, text: str) -> None:
    assert str(expr) == text
    assert repr(expr) == f"Filter({text!r})"


def test_reflected_comparisons_keep_their_meaning() -> None:
    when = datetime.datetime(2024, 1, 2, tzinfo=UTC)
    assert str(when <= F.creation_time) == "creationTime ge DateTime'2024-01-02T00:00:00Z'"
    assert str(when > F.creation_time) == "creationTime lt DateTime'2024-01-02T00:00:00Z'"
    assert str("x" == F.id) == "id eq 'x'"  # noqa: SIM300


def test_and_or_and_parentheses() -> None:
    active = F.state == "active"
    a, b, c = F.id.startswith("a"), F.id.startswith("b"), F.id.startswith("c")
    assert str(active & (a | b)) == "state eq 'active' and (startswith(id,'a') or startswith(id,'b'))"
    assert str((a | b) & active) == "(startswith(id,'a') or startswith(id,'b')) and state eq 'active'"
    # "and" binds tighter than "or" in OData, so no parentheses are needed here.
    assert str(active & a | b) == "state eq 'active' and startswith(id,'a') or startswith(id,'b')"
    assert str(b | active & a) == "startswith(id,'b') or state eq 'active' and startswith(id,'a')"
    # Chains flatten instead of nesting.
    assert str(a & b & c) == "startswith(id,'a') and startswith(id,'b') and startswith(id,'c')"
    assert str(a | (b | c)) == "startswith(id,'a') or startswith(id,'b') or startswith(id,'c')"
    assert str((a | b) & (c | active)) == (
        "(startswith(id,'a') or startswith(id,'b')) and (startswith(id,'c') or state eq 'active')"
    )


def test_quotes_are_doubled_and_other_literals() -> None:
    assert quote("O'Brien") == "'O''Brien'"
    assert quote("''") == "''''''"
    assert quote("") == "''"
    assert quote(JobState.DISABLED) == "'disabled'"
    assert quote(True) == "true" and quote(False) == "false"
    assert quote(-3) == "-3"
    assert str(F.id == "it's") == "id eq 'it''s'"
    with pytest.raises(TypeError, match="float"):
        quote(1.5)
    with pytest.raises(TypeError, match="NoneType"):
        quote(None)


def test_datetime_literals_are_utc_with_trimmed_fractions() -> None:
    naive = datetime.datetime(2024, 5, 1, 10, 20, 30)
    assert quote(naive) == "DateTime'2024-05-01T10:20:30Z'"  # naive is taken as UTC
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert (
        quote(datetime.datetime(2024, 5, 1, 12, 20, 30, tzinfo=plus_two)) == "DateTime'2024-05-01T10:20:30Z'"
    )
    assert (
        quote(datetime.datetime(2024, 5, 1, 0, 0, 0, 500000, tzinfo=UTC))
        == "DateTime'2024-05-01T00:00:00.5Z'"
    )
    assert (
        quote(datetime.datetime(2024, 5, 1, 0, 0, 0, 123, tzinfo=UTC))
        == "DateTime'2024-05-01T00:00:00.000123Z'"
    )


def test_datetime_literals_at_the_edges_of_the_calendar() -> None:
    # Four-digit years, as the filter grammar (and the models' codec) writes them.
    assert quote(datetime.datetime(5, 1, 1)) == "DateTime'0005-01-01T00:00:00Z'"
    assert quote(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "DateTime'9999-12-31T23:59:59Z'"
    minus_five = datetime.timezone(-datetime.timedelta(hours=5))
    plus_five = datetime.timezone(datetime.timedelta(hours=5))
    assert quote(datetime.datetime(1, 1, 1, 5, tzinfo=plus_five)) == "DateTime'0001-01-01T00:00:00Z'"
    # A value that exists only outside the years 1-9999 once in UTC is a ValueError naming it.
    too_late = datetime.datetime(9999, 12, 31, 23, tzinfo=minus_five)
    with pytest.raises(ValueError, match=r"9999-12-31T23:00:00-05:00 is outside the years 1-9999") as caught:
        quote(too_late)
    assert not isinstance(caught.value, OverflowError)
    with pytest.raises(ValueError, match=r"0001-01-01T01:00:00\+05:00 .*'creationTime'"):
        F.creation_time >= datetime.datetime(1, 1, 1, 1, tzinfo=plus_five)  # noqa: B015
    with pytest.raises(ValueError, match=r"outside the years 1-9999 .*'executionInfo/endTime'"):
        F.execution_info.end_time < too_late  # noqa: B015


# -------------------------------------------------------------------------------------------- mistakes


def test_python_boolean_operators_and_chains_are_refused() -> None:
    a, b = F.id == "a", F.id == "b"
    with pytest.raises(TypeError, match="& and \\|"):
        _ = a and b
    with pytest.raises(TypeError, match="truth value"):
        _ = not a
    when = datetime.datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TypeError, match="truth value"):
        _ = when < F.creation_time < when


def test_the_precedence_trap_is_explained() -> None:
    # & binds tighter than ==: this is F.state == (JobState.ACTIVE & F.id.startswith("x")).
    with pytest.raises(TypeError, match="parentheses"):
        _ = F.state == JobState.ACTIVE & F.id.startswith("x")  # type: ignore[operator]
    with pytest.raises(TypeError, match="parentheses"):
        _ = F.state & (F.id == "x")  # type: ignore[operator]
    with pytest.raises(TypeError, match="parentheses"):
        _ = (F.id == "x") | "state eq 'active'"


def test_not_is_refused_because_the_service_has_none() -> None:
    with pytest.raises(TypeError, match="no 'not'"):
        _ = ~(F.id == "a")


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: F.creation_time >= "2024-01-01", TypeError, "creationTime.*datetime, not str"),
        (lambda: F.id == 3, TypeError, "'id' is a string"),
        (lambda: F.id == None, TypeError, "None"),  # noqa: E711
        (lambda: F.job_preparation_task_execution_info.exit_code == True, TypeError, "int, not bool"),  # noqa: E712
        (lambda: F.job_preparation_task_execution_info.exit_code == "0", TypeError, "int, not str"),
        (lambda: F.state == "running", ValueError, "'running' is not a value of 'state'"),
        (lambda: F.state > "active", ValueError, "'state' cannot be compared with 'gt'"),
        (
            lambda: F.creation_time.startswith("2024"),
            ValueError,
            "startswith cannot be used on 'creationTime'",
        ),
        (lambda: F.id.startswith(3), TypeError, "str prefix"),
    ],
)
def test_bad_values_and_operators_fail_when_built(build: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        build()


def test_properties_are_not_hashable_and_have_a_repr() -> None:
    with pytest.raises(TypeError):
        hash(F.id)
    assert repr(F.execution_info.pool_id) == "Property('executionInfo/poolId')"


# ----------------------------------------------------------------------------------- listing checks


def test_render_checks_the_listing() -> None:
    jobs_only = F.state == "active"
    nodes_only = F.node_id == "tvm-1"
    assert jobs_only.render("jobs") == "state eq 'active'"
    assert nodes_only.render("preparation_and_release_task_status") == "nodeId eq 'tvm-1'"
    with pytest.raises(ValueError, match="'nodeId', which jobs listings cannot filter on"):
        (jobs_only & nodes_only).render("jobs")
    with pytest.raises(ValueError, match=r"'state'.*preparation_and_release_task_status"):
        jobs_only.render("preparation_and_release_task_status")
    with pytest.raises(ValueError, match="did you mean 'poolId'"):
        (F.execution_info.pool_id == "p").render("preparation_and_release_task_status")
    with pytest.raises(ValueError, match="listing must be one of"):
        jobs_only.render("tasks")


def test_an_operator_one_listing_refuses_is_refused_there() -> None:
    # Allowed on the property in some listing, so building works; this listing table says no.
    narrow = {**LISTINGS["jobs"], "id": frozenset({"eq"})}
    expr = F.id.startswith("a")
    from azbatch.filters import _Condition

    assert isinstance(expr, _Condition)
    with pytest.raises(ValueError, match=r"'startswith' on 'id'.*allowed: eq"):
        expr._check("jobs", narrow)


def _filter_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["$filter"][0]


def test_the_request_builders_take_strings_and_checked_expressions() -> None:
    request = rq.build_list_request(TARGET, F.id.startswith("a'b") & (F.state == "active"))
    assert _filter_of(request.url) == "startswith(id,'a''b') and state eq 'active'"
    # A plain string is still sent as given, unchecked.
    assert _filter_of(rq.build_list_request(TARGET, "nodeId eq 'x'").url) == "nodeId eq 'x'"
    with pytest.raises(ValueError, match="nodeId"):
        rq.build_list_request(TARGET, F.node_id == "x")
    with pytest.raises(ValueError, match="nodeId"):
        rq.build_list_from_job_schedule_request(TARGET, "schedule", F.node_id == "x")
    prep = rq.build_list_preparation_and_release_task_status_request(TARGET, "job", F.node_id == "x")
    assert _filter_of(prep.url) == "nodeId eq 'x'"
    with pytest.raises(ValueError, match="'state'"):
        rq.build_list_preparation_and_release_task_status_request(TARGET, "job", F.state == "active")
    with pytest.raises(TypeError, match="filter must be a str"):
        rq.build_list_request(TARGET, 42)


# ------------------------------------------------------------------------- what the emulator accepts

JOB = {
    "id": "Nightly-O'Hara",
    "state": "active",
    "creationTime": 17_000_000_000_000_000,  # ticks of 2023-11-14T22:13:20Z
    "executionInfo/poolId": "pool-a",
}


@pytest.mark.parametrize(
    ("expr", "matches"),
    [
        (F.id.startswith("nightly-o'"), True),  # ids compare without regard to case
        (F.id == "nightly-o'hara", True),
        ((F.state == "active") & (F.execution_info.pool_id == "pool-b"), False),
        ((F.state == "disabled") | F.execution_info.pool_id.startswith("pool-"), True),
        (F.creation_time > datetime.datetime(2023, 11, 14, 22, 13, 19, tzinfo=UTC), True),
        (F.creation_time >= datetime.datetime(2023, 11, 14, 22, 13, 20, 1, tzinfo=UTC), False),
        ((F.state == "completed") & ((F.id == "x") | (F.id == "y")), False),
    ],
)
def test_the_rendered_text_parses_and_means_the_same_to_the_emulator(expr: Filter, matches: bool) -> None:
    predicate = compile_filter(expr.render("jobs"), JOB_FILTER_FIELDS)
    assert predicate(JOB) is matches


def test_every_listed_property_is_one_the_emulator_knows() -> None:
    assert set(LISTINGS["jobs"]) == set(JOB_FILTER_FIELDS)
    assert set(LISTINGS["preparation_and_release_task_status"]) == set(PREP_RELEASE_FILTER_FIELDS)
    for name, ops in LISTINGS["jobs"].items():
        assert ops == JOB_FILTER_FIELDS[name].ops, name
    with pytest.raises(FilterError):  # a sanity check that the emulator does refuse what we refuse
        compile_filter("nodeId eq 'x'", JOB_FILTER_FIELDS)
