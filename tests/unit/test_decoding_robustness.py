"""Malformed responses and wire values: every failure is a typed azure-core error, nothing else escapes.

Covers the response parsers (bodies that are not JSON, too deep, badly compressed, not UTF-8), the codecs
(wrong JSON types, extreme date-times and durations), model ``repr``/``==`` with undecodable values, and
the next-link loop bookkeeping of the pagers.
"""

from __future__ import annotations

import copy
import datetime
import gzip
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import DecodeError, DeserializationError, HttpResponseError

from azbatch import models
from azbatch._protocol import _responses as rs
from azbatch._protocol._paging import LinkTracker
from azbatch.exceptions import BatchDecodeError, BatchPagingError, BatchServiceError
from azbatch.models._codec import parse_datetime, parse_duration

SECRET = "TOPSECRETSIGNATURE"
SAS_URL = f"https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&sig={SECRET}"
UTC = datetime.timezone.utc


class FakeResponse:
    """What the parsers and azure-core's error classes read from a response, with a lazy body.

    ``gzip=True`` decompresses on every access to ``content``, as azure-core's aiohttp transport does,
    so a broken gzip body raises the genuine ``zlib.error`` at the same point.
    """

    def __init__(
        self,
        body: bytes = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        gzip: bool = False,
    ) -> None:
        self.status_code = status
        self.reason = "OK" if status < 400 else "Error"
        self.headers = dict(headers or {})
        self.request = None
        self._body = body
        self._gzip = gzip

    @property
    def content(self) -> bytes:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(self._body)
        return self._body

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode(encoding or "utf-8")


PARSERS: dict[str, Callable[[Any], Any]] = {
    "get": rs.parse_get_response,
    "get_task_counts": rs.parse_get_task_counts_response,
    "job_page": rs.parse_job_page,
    "preparation_page": rs.parse_preparation_and_release_page,
}


# ------------------------------------------------------------------------------------ response bodies


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["open-arrays", "open-objects", "closed-arrays"],
)
def test_absurdly_nested_bodies_are_decode_errors(parse: Callable[[Any], Any], body: bytes) -> None:
    with pytest.raises(DecodeError) as caught:
        parse(FakeResponse(body))

    assert "not valid JSON" in caught.value.message
    # The message has a short excerpt of the body at most, not the 100 KB.
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
def test_a_broken_gzip_body_is_a_decode_error(parse: Callable[[Any], Any]) -> None:
    response = FakeResponse(
        b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"}, gzip=True
    )
    with pytest.raises(zlib.error):
        _ = response.content  # the fake fails the way the transport does

    with pytest.raises(BatchDecodeError) as caught:
        parse(response)

    assert isinstance(caught.value.inner_exception, zlib.error)
    assert "could not be decoded" in str(caught.value)


def test_a_good_gzip_body_still_parses() -> None:
    response = FakeResponse(gzip.compress(b'{"id": "job-1"}'), gzip=True)
    assert rs.parse_get_response(response).id == "job-1"


def test_a_broken_gzip_error_body_is_still_a_service_error() -> None:
    response = FakeResponse(b"\x1f\x8bnope", status=500, gzip=True)

    with pytest.raises(BatchServiceError) as caught:
        rs.parse_get_response(response)

    assert caught.value.status_code == 500 and caught.value.code is None
    assert str(caught.value)


@pytest.mark.parametrize("parse", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfa",
        b'{"id": "\xc3\x28"}',
        b"\xed\xa0\x80",
        b"",
        b"NaN",
        b'{"id": NaN}',
        b'{"x": -Infinity}',
    ],
    ids=["garbage", "bad-utf8-in-string", "surrogate", "empty", "nan", "nan-member", "infinity"],
)
def test_bodies_that_are_not_json_are_decode_errors(parse: Callable[[Any], Any], body: bytes) -> None:
    with pytest.raises(DecodeError):
        parse(FakeResponse(body))


@pytest.mark.parametrize(
    "body",
    [
        b'{"value": "abc"}',
        b'{"value": {"id": "a"}}',
        b'{"value": false}',
        b'{"value": [1, 2]}',
        b'{"value": [{"id": "a"}, "b"]}',
        b'{"value": [null]}',
        b'{"value": [], "odata.nextLink": 42}',
        b'{"value": [], "odata.nextLink": ["https://x"]}',
        b'{"value": [], "odata.nextLink": false}',
    ],
)
def test_pages_of_the_wrong_shape_are_decode_errors(body: bytes) -> None:
    with pytest.raises(DecodeError):
        rs.parse_job_page(FakeResponse(body))


@pytest.mark.parametrize(
    ("link", "expected"), [(None, None), ("", None), ("https://a/jobs?x=1", "https://a/jobs?x=1")]
)
def test_page_next_link_values(link: str | None, expected: str | None) -> None:
    body = b'{"value": [], "odata.nextLink": ' + (b"null" if link is None else f'"{link}"'.encode()) + b"}"
    assert rs.parse_job_page(FakeResponse(body)) == (expected, [])


def test_decode_error_message_shows_only_a_masked_excerpt_of_the_body() -> None:
    body = ('{"not": "json", "url": "' + SAS_URL + '"' + " " * 5000).encode()

    with pytest.raises(DecodeError) as caught:
        rs.parse_get_response(FakeResponse(body))

    text = str(caught.value)
    assert SECRET not in text and SECRET not in repr(caught.value) and SECRET not in caught.value.exc_msg
    assert "sig=REDACTED" in text
    assert len(text) < 600
    # The whole body stays available to whoever wants it, on the response.
    assert caught.value.response is not None and SECRET in caught.value.response.text()


def test_decode_error_keeps_its_own_message_when_the_body_looks_like_an_odata_error() -> None:
    with pytest.raises(DecodeError) as caught:
        rs.parse_job_page(FakeResponse(b'{"error": {"code": "X", "message": "Y"}, "value": "no"}'))

    assert "'value' is not a JSON array" in str(caught.value)


def test_service_error_with_an_unparsed_body_shows_only_a_masked_excerpt() -> None:
    body = ("<html>proxy says no: " + SAS_URL + "x" * 5000 + "</html>").encode()

    with pytest.raises(BatchServiceError) as caught:
        rs.parse_get_response(FakeResponse(body, status=502))

    text = str(caught.value)
    assert SECRET not in text
    assert "Content: <html>proxy says no" in text
    assert len(text) < 600


def test_service_error_message_masks_a_sas_in_the_service_text() -> None:
    body = b'{"code": "InvalidPropertyValue", "message": {"value": "bad url ' + SAS_URL.encode() + b'"}}'

    with pytest.raises(BatchServiceError) as caught:
        rs.parse_get_response(FakeResponse(body, status=400))

    assert caught.value.code == "InvalidPropertyValue"
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"code": ' * 50_000])
@pytest.mark.parametrize("status", [400, 404, 409, 500])
def test_deeply_nested_error_bodies_are_still_service_errors(body: bytes, status: int) -> None:
    with pytest.raises(BatchServiceError) as caught:
        rs.parse_get_response(FakeResponse(body, status=status))

    assert caught.value.status_code == status and caught.value.code is None
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize(
    "date",
    [
        "Mon, 01 Jan 99999 00:00:00 GMT",
        "not a date",
        "Mon, 32 Foo 2020 99:99:99 GMT",
        "",
        "Fri, 31 Dec 9999 23:59:59 -2359",
    ],
)
def test_a_malformed_last_modified_header_does_not_fail_a_write(date: str) -> None:
    result = rs.parse_update_response(
        FakeResponse(status=200, headers={"Last-Modified": date, "ETag": "0x1"})
    )
    assert result.etag == "0x1"


# ------------------------------------------------------------------------------------ date-times


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59-01:00",  # UTC is in the year 10000
        "0001-01-01T00:00:00+01:00",  # UTC is in the year 0
        "9999-12-31T23:00:00-23:59",
        "2020-13-01T00:00:00Z",
        "2020-02-30T00:00:00Z",
        "2020-01-01T24:00:00Z",
        "2020-01-01T00:00:00+24:00",
        "0000-01-01T00:00:00Z",
        "\uff12\uff10\uff12\uff10-01-01T00:00:00Z",  # fullwidth digits
        "2020-01-01T00:00:00." + "9" * 10_000 + "Z",  # fine: truncated to microseconds
    ],
)
def test_extreme_date_times_are_deserialization_errors_when_read(text: str) -> None:
    job = models.CloudJob.from_dict({"creationTime": text})

    if text.startswith("2020-01-01T00:00:00.9"):
        assert job.creation_time == datetime.datetime(2020, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)
        return
    with pytest.raises(ValueError):
        parse_datetime(text)
    with pytest.raises(DeserializationError, match=r"CloudJob\.creation_time \(wire 'creationTime'\)"):
        _ = job.creation_time
    # The value was not cached: it still goes back exactly as received, and reading fails again.
    assert job.as_dict() == {"creationTime": text}
    with pytest.raises(DeserializationError):
        _ = job.creation_time


def test_the_edges_of_the_datetime_range_are_readable() -> None:
    assert parse_datetime("9999-12-31T23:59:59.9999999Z") == datetime.datetime.max.replace(tzinfo=UTC)
    assert parse_datetime("0001-01-01T00:00:00Z") == datetime.datetime.min.replace(tzinfo=UTC)
    assert parse_datetime("9999-12-31T23:59:59+01:00").year == 9999
    assert parse_datetime("0001-01-01T01:00:00+01:00") == datetime.datetime.min.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "P1000000000D",
        "P99999999999999999999Y",
        "PT" + "9" * 5000 + "S",  # beyond int()'s digit limit and this package's length limit
        "P" + "1" * 60 + "D",
        "-P1000000000D",
        "P1.5.5D",
        "P\u0661D",  # Arabic-Indic digit one
        "PT",
        "P",
        "1D",
    ],
)
def test_extreme_durations_are_deserialization_errors_when_read(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
    constraints = models.JobConstraints.from_dict({"maxWallClockTime": text})
    with pytest.raises(DeserializationError, match=r"JobConstraints\.max_wall_clock_time"):
        _ = constraints.max_wall_clock_time
    assert constraints.as_dict() == {"maxWallClockTime": text}


# ------------------------------------------------------------------------------------ wrong JSON types

# (model, wire name, attribute, wrong-typed wire values) for every codec kind.
WRONG_TYPES: list[tuple[type[models.Model], str, str, list[Any]]] = [
    (models.CloudJob, "id", "id", [42, 1.5, True, ["a"], {"a": 1}]),
    (models.CloudJob, "priority", "priority", ["100", 1.5, True, False, [1], {"n": 1}]),
    (models.JobStatistics, "readIOGiB", "read_io_gi_b", ["1.5", True, [1.0], {}]),
    (models.CloudJob, "usesTaskDependencies", "uses_task_dependencies", [1, 0, "true", [True], {}]),
    (models.CloudJob, "creationTime", "creation_time", [1_600_000_000, True, ["2020-01-01T00:00:00Z"], {}]),
    (models.JobConstraints, "maxWallClockTime", "max_wall_clock_time", [3600, 1.5, False, ["PT1H"], {}]),
    (models.CloudJob, "state", "state", [1, True, ["active"], {"v": "active"}]),
    (models.CloudJob, "poolInfo", "pool_info", ["pool-1", 1, True, ["pool-1"]]),
    (
        models.CloudJob,
        "metadata",
        "metadata",
        ["abc", 1, True, {"name": "a", "value": "b"}, ["abc"], [1], [[]]],
    ),
    (
        models.ContainerConfiguration,
        "containerImageNames",
        "container_image_names",
        ["ubuntu", 1, {}, [1], [["a"]], [True]],
    ),
    (models.PoolSpecification, "resourceTags", "resource_tags", ["k=v", ["k"], 1, {"k": 1}, {"k": ["v"]}]),
    (models.VMExtension, "settings", "settings", ["{}", ["a"], 1, True]),
]


@pytest.mark.parametrize(
    ("model", "wire", "attr", "value"),
    [(m, w, a, v) for m, w, a, values in WRONG_TYPES for v in values],
    ids=lambda x: x.__name__ if isinstance(x, type) else repr(x)[:20],
)
def test_wrong_typed_wire_values_raise_when_read_and_are_never_converted(
    model: type[models.Model], wire: str, attr: str, value: Any
) -> None:
    data = {wire: copy.deepcopy(value), "other": "x"}
    instance = model.from_dict(data)
    before = copy.deepcopy(instance.as_dict())

    with pytest.raises(DeserializationError) as caught:
        getattr(instance, attr)

    message = str(caught.value)
    assert f"{model.__name__}.{attr}" in message and repr(wire) in message
    # Reading (and failing) changes nothing that would be sent.
    assert instance.as_dict() == before
    assert instance.as_dict()[wire] == value
    # repr and == still work and show the raw value, marked.
    assert "<undecodable" in repr(instance)
    assert instance == model.from_dict(copy.deepcopy(data))


def test_a_string_is_never_read_as_a_list_of_letters() -> None:
    config = models.ContainerConfiguration.from_dict({"containerImageNames": "ubuntu"})
    with pytest.raises(DeserializationError):
        _ = config.container_image_names


def test_an_int_is_never_read_as_a_string() -> None:
    with pytest.raises(DeserializationError, match=r"expected str, got number"):
        _ = models.CloudJob.from_dict({"id": 42}).id


def test_a_whole_number_is_a_valid_double_and_stays_exact() -> None:
    stats = models.JobStatistics.from_dict({"readIOGiB": 3, "writeIOGiB": 2.5})
    assert (stats.read_io_gi_b, stats.write_io_gi_b) == (3, 2.5)
    assert stats.as_dict() == {"readIOGiB": 3, "writeIOGiB": 2.5}


def test_nested_wrong_types_surface_when_the_nested_property_is_read() -> None:
    job = models.CloudJob.from_dict({"poolInfo": {"poolId": 7}, "metadata": [{"name": "a", "value": 1}]})
    pool = job.pool_info
    assert pool is not None
    with pytest.raises(DeserializationError, match=r"PoolInformation\.pool_id"):
        _ = pool.pool_id
    assert job.metadata is not None
    with pytest.raises(DeserializationError, match=r"MetadataItem\.value"):
        _ = job.metadata[0].value
    assert job.as_dict() == {"poolInfo": {"poolId": 7}, "metadata": [{"name": "a", "value": 1}]}


def test_null_items_in_lists_and_maps_survive_reading() -> None:
    data = {"containerImageNames": ["a", None]}
    config = models.ContainerConfiguration.from_dict(data)
    assert config.container_image_names == ["a", None]
    assert config.as_dict() == data
    spec = models.PoolSpecification.from_dict({"resourceTags": {"k": None, "j": "v"}})
    assert spec.resource_tags == {"k": None, "j": "v"}
    assert spec.as_dict() == {"resourceTags": {"k": None, "j": "v"}}


# ------------------------------------------------------------------------------------ reading vs as_dict


def test_reading_an_enum_in_another_casing_does_not_change_what_is_sent() -> None:
    job = models.CloudJob.from_dict({"state": "Active", "onAllTasksComplete": "TerminateJob"})
    untouched = job.as_dict()

    assert job.state is models.JobState.ACTIVE
    assert job.on_all_tasks_complete == "terminatejob"

    assert job.as_dict() == untouched == {"state": "active", "onAllTasksComplete": "terminatejob"}


def test_reading_an_explicit_null_container_does_not_drop_it() -> None:
    job = models.CloudJob.from_dict({"metadata": None, "poolInfo": None, "id": None})
    untouched = job.as_dict()

    assert (job.metadata, job.pool_info, job.id) == (None, None, None)

    assert job.as_dict() == untouched == {"metadata": None, "poolInfo": None, "id": None}


def test_reading_every_property_of_a_real_job_changes_nothing(
    example: Callable[[str], dict[str, Any]],
) -> None:
    body = example("JobGet")["responses"]["200"]["body"]
    job = models.CloudJob.from_dict(copy.deepcopy(body))
    untouched = job.as_dict()

    _read_everything(job)

    assert job.as_dict() == untouched
    assert models.CloudJob.from_dict(copy.deepcopy(body)).as_dict() == untouched


def test_editing_a_read_container_in_place_is_still_sent() -> None:
    job = models.CloudJob.from_dict({"metadata": [{"name": "a", "value": "1"}]})
    assert job.metadata is not None
    job.metadata.append(models.MetadataItem(name="b", value="2"))
    assert job.as_dict()["metadata"] == [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]


def _read_everything(model: models.Model) -> None:
    for field in type(model)._fields:
        try:
            value = getattr(model, field.attr)
        except DeserializationError:
            continue
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, models.Model):
                _read_everything(item)


@pytest.fixture
def example() -> Callable[[str], dict[str, Any]]:
    from tests.aio.conftest import load_example

    return load_example


# ------------------------------------------------------------------------------------ repr and ==


def test_repr_masks_sas_signatures_in_every_string() -> None:
    job = models.CloudJob.from_dict(
        {
            "id": "job-1",
            "jobManagerTask": {
                "id": "jm",
                "commandLine": f"/bin/sh -c 'curl \"{SAS_URL}\" -o f'",
                "environmentSettings": [{"name": "INPUT", "value": SAS_URL}],
                "resourceFiles": [{"httpUrl": SAS_URL, "filePath": "f.txt"}],
            },
            "metadata": [{"name": "source", "value": f"copied from {SAS_URL}"}],
            "unknownThing": SAS_URL,
        }
    )

    text = repr(job)

    assert SECRET not in text
    assert text.count("REDACTED") >= 4
    assert "commandLine" not in text and "command_line=" in text
    assert "id='job-1'" in text


def test_repr_masks_secret_fields_entirely_even_when_undecodable() -> None:
    share = models.AzureFileShareConfiguration.from_dict(
        {"accountName": "acct", "accountKey": ["S3CR3T-KEY"], "azureFileUrl": 5, "relativeMountPath": "m"}
    )
    text = repr(share)
    assert "S3CR3T-KEY" not in text
    assert "account_key=REDACTED" in text
    assert "azure_file_url=<undecodable 5>" in text
    with pytest.raises(DeserializationError) as caught:
        _ = share.account_key
    assert "S3CR3T-KEY" not in str(caught.value)


def test_repr_and_eq_with_undecodable_values() -> None:
    a = models.CloudJob.from_dict({"id": 42, "creationTime": "9999-12-31T23:59:59-01:00", "priority": "high"})
    b = models.CloudJob.from_dict({"id": 42, "creationTime": "9999-12-31T23:59:59-01:00", "priority": "high"})
    c = models.CloudJob.from_dict(
        {"id": "42", "creationTime": "9999-12-31T23:59:59-01:00", "priority": "high"}
    )
    d = models.CloudJob.from_dict({"id": 42, "creationTime": "9999-12-31T23:59:59-01:00", "priority": True})

    assert a == b
    assert a != c  # the number 42 is not the string "42"
    assert a != d
    text = repr(a)
    assert "id=<undecodable 42>" in text
    assert "creation_time=<undecodable '9999-12-31T23:59:59-01:00'>" in text
    assert "priority=<undecodable 'high'>" in text


def test_repr_and_eq_survive_deeply_nested_unknown_values() -> None:
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    a = models.VMExtension.from_dict({"name": "x", "settings": {"k": deep}, "extra": deep})
    b = models.VMExtension.from_dict({"name": "x", "settings": {"k": deep}, "extra": deep})

    assert isinstance(repr(a), str)
    assert (a == b) in (True, False)
    assert a == a


# ------------------------------------------------------------------------------------ next-link loops


def test_link_tracker_refuses_a_recorded_link_only() -> None:
    tracker = LinkTracker()
    tracker.record(tracker.check("https://a/jobs?$skiptoken=1"))
    tracker.check("https://a/jobs?$skiptoken=2")  # checked, never recorded: a retry is not a loop
    tracker.check("https://a/jobs?$skiptoken=2")

    with pytest.raises(BatchPagingError) as caught:
        tracker.check("https://a/jobs?$skiptoken=1")

    assert caught.value.next_link == "https://a/jobs?$skiptoken=1"
    assert isinstance(caught.value, DecodeError) and isinstance(caught.value, HttpResponseError)
    assert caught.value.continuation_token is None


@pytest.mark.parametrize("cycle", [1, 2, 3, 7, 50])
@pytest.mark.parametrize("lead", [0, 5, 100])
def test_link_tracker_finds_cycles_after_its_exact_memory_is_full(cycle: int, lead: int) -> None:
    limit = 10
    tracker = LinkTracker(limit=limit)
    # A listing longer than the exact memory, then a cycle among links never seen before.
    links = [f"https://a/jobs?$skiptoken=lead-{i}" for i in range(limit + lead)]
    loop = [f"https://a/jobs?$skiptoken=loop-{i}" for i in range(cycle)]
    followed = 0
    with pytest.raises(BatchPagingError):
        for link in links:
            tracker.record(tracker.check(link))
            followed += 1
        for step in range(100 * cycle + 100):
            tracker.record(tracker.check(loop[step % cycle]))
            followed += 1
    # Found within a few laps of the cycle, not after the bound of the loop above.
    assert followed <= limit + lead + 4 * cycle + 2 * (lead + cycle) + 2
    assert len(tracker._seen) == limit


def test_link_tracker_with_the_default_memory_sees_a_long_listing_without_false_alarms() -> None:
    tracker = LinkTracker()
    for i in range(20_000):
        tracker.record(tracker.check(f"https://a/jobs?$skiptoken={i}"))
    with pytest.raises(BatchPagingError):
        tracker.check("https://a/jobs?$skiptoken=0")


@pytest.mark.parametrize("depth", [3000, 8000])
def test_logging_an_absurdly_nested_body_does_not_raise(depth: int) -> None:
    from azbatch.policies._trace_logging import redact_body

    body = b"[" * depth + b"]" * depth
    # Whether the JSON decoder gives up depends on the interpreter's recursion limit (a test framework
    # may have raised it); either way logging must not raise, and the body is noted or shown whole.
    assert redact_body(body) in (f"<{2 * depth} bytes of non-JSON content>", body.decode())


def test_a_datetime_that_overflows_utc_is_a_value_error_naming_the_property() -> None:
    job = models.CloudJob.from_dict({"id": "j"})
    job.creation_time = datetime.datetime(
        9999, 12, 31, 23, 30, tzinfo=datetime.timezone(-datetime.timedelta(hours=1))
    )

    with pytest.raises(ValueError, match=r"CloudJob\.creation_time: .*outside the years 1-9999"):
        job.as_dict()


def test_a_deserialization_error_never_carries_a_sas_from_the_wire_value() -> None:
    job = models.CloudJob.from_dict({"creationTime": SAS_URL})

    with pytest.raises(DeserializationError) as caught:
        _ = job.creation_time

    error = caught.value
    chained = [error.__cause__, error.__context__]
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert all(SECRET not in str(inner) for inner in chained if inner is not None)
