"""Regression tests for inputs an adversarial review found that escaped as untyped errors or leaked."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest

from azbatch import models
from azbatch._config import logging_policy
from azbatch._protocol import _idempotency as idem
from azbatch._protocol import _lro
from azbatch._protocol import _requests as rq
from azbatch._redact import mask_exception
from azbatch.policies._retry import BatchRetryPolicy

UTC = datetime.timezone.utc


class _Response:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.status_code = 503


@pytest.mark.parametrize("value", ["0x10", "Mon, 99 Foo 2015 99:99:99 GMT", "\u00a0", "soon"])
def test_a_malformed_retry_after_is_ignored_not_raised(value: str) -> None:
    policy = BatchRetryPolicy()
    request = PipelineRequest(HttpRequest("GET", "https://a/jobs"), PipelineContext(None))
    response: Any = PipelineResponse(request.http_request, _Response({"Retry-After": value}), request.context)
    assert policy.get_retry_after(response) is None


def test_a_date_at_the_edge_of_the_calendar_places_no_call_window() -> None:
    edge = datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert idem.within_call_window(edge, edge, 5.0) is False
    start = datetime.datetime(1, 1, 1, tzinfo=UTC)
    assert idem.within_call_window(start, start, 5.0) is False


def test_the_info_log_never_shows_challenges_or_redirects() -> None:
    allowed = logging_policy().allowed_header_names
    assert "WWW-Authenticate" not in allowed
    assert "Location" not in allowed
    assert "ETag" in allowed and "request-id" in allowed


def test_a_repr_with_a_non_string_key_does_not_raise() -> None:
    job = models.CloudJob.from_dict({"id": "j", 1: "a", "b": 2})  # type: ignore[dict-item]
    assert repr(job) == "CloudJob(id='j', additional_properties=[1, 'b'])"


@pytest.mark.parametrize("etag", ['"0x1"\r\nX-Injected: 1', "0x1\n", "0x1\x00", "0x\u20ac"])
def test_an_etag_that_could_break_its_header_is_refused(etag: str) -> None:
    with pytest.raises(ValueError, match="etag must be printable ASCII"):
        rq.conditions(etag, rq.MatchConditions.IfNotModified, None, None)


def test_a_hostile_continuation_token_is_damaged_not_a_recursion_error() -> None:
    payload = base64.urlsafe_b64encode(b"[" * 100_000 + b"]" * 100_000).decode()
    with pytest.raises(ValueError, match="damaged"):
        _lro.decode_token("azbatch-job-lro:" + payload, "terminate")


def test_transport_error_text_is_masked_in_place() -> None:
    from azure.core.exceptions import ServiceResponseError

    error = ServiceResponseError("400, message='bad', url='http://h/pools?sv=1&sig=TOPSECRET'")
    mask_exception(error)
    assert "TOPSECRET" not in str(error)
    assert "TOPSECRET" not in error.message
    assert "sig=REDACTED" in str(error)


def test_a_number_beyond_a_double_is_a_decode_error_not_infinity() -> None:
    from azure.core.rest._http_response_impl import HttpResponseImpl

    from azbatch._protocol import _responses as rs
    from azbatch.exceptions import BatchDecodeError

    class Body(HttpResponseImpl):
        pass

    request = HttpRequest("GET", "https://a/jobs/j")
    response = Body(
        request=request,
        internal_response=None,
        status_code=200,
        headers={"Content-Type": "application/json"},
        reason="OK",
        content_type="application/json",
        stream_download_generator=None,
    )
    response._content = b'{"id": "j", "stats": {"readIOGiB": 1e400}}'
    with pytest.raises(BatchDecodeError, match="not valid JSON"):
        rs.parse_get_response(response)


@pytest.mark.parametrize(
    "repeat",
    [
        "https://a/jobs?$skiptoken=same&api-version=2",  # only the api-version differs (the client sets its own)
        "HTTPS://A/jobs?$skiptoken=same",  # scheme and host case
        "https://a/jobs?%24skiptoken=same",  # percent-encoding
        "https://a/jobs?api-version=9&$skiptoken=same",  # parameter order
    ],
)
def test_a_next_link_spelled_differently_is_still_the_same_page(repeat: str) -> None:
    from azbatch._protocol._paging import LinkTracker
    from azbatch.exceptions import BatchPagingError

    tracker = LinkTracker()
    tracker.record(tracker.check("https://a/jobs?$skiptoken=same&api-version=1"))
    with pytest.raises(BatchPagingError):
        tracker.check(repeat)
    tracker.check("https://a/jobs?$skiptoken=other")  # a different page is fine
