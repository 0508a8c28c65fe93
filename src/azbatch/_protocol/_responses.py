"""Response parsers for the 12 job operations: a received response in, a typed result out.

Pure: they read the status, headers and already-loaded body of an azure-core response and either
return the result or raise the mapped :mod:`azbatch.exceptions` error. Shared by both clients.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from azure.core.exceptions import AzureError
from azure.core.rest import AsyncHttpResponse, HttpResponse

from .._constants import HEADER_CLIENT_REQUEST_ID, HEADER_DATA_SERVICE_ID, HEADER_REQUEST_ID
from ..exceptions import BatchDecodeError, error_from_response
from ..models import (
    CloudJob,
    JobPreparationAndReleaseTaskExecutionInformation,
    JobWriteResult,
    Model,
    TaskCountsResult,
)

__all__ = [
    "ResponseHeaders",
    "ResponseLike",
    "json_object",
    "parse_accepted_response",
    "parse_add_response",
    "parse_get_response",
    "parse_get_task_counts_response",
    "parse_http_date",
    "parse_job_page",
    "parse_preparation_and_release_page",
    "parse_update_response",
]

M = TypeVar("M", bound=Model)


ResponseLike = HttpResponse | AsyncHttpResponse
"""An azure-core response, sync or async, whose body has been read; parsers only look at it."""


# Success statuses, per operation, as the service documents them.
ADD_OK = (201,)
ACCEPTED = (202,)  # delete, disable, enable, terminate
OK = (200,)  # get, get_task_counts, lists, patch, update


class ResponseHeaders(dict[str, str]):
    """A plain ``dict`` of response headers whose lookups ignore case, as HTTP header names do.

    Transports differ in the case they report names in (httpx lower-cases them); ``raw.headers["ETag"]``
    must work whichever transport is used. It is a snapshot of the response: changing it is refused.
    """

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__(headers)
        self._lower = {key.lower(): key for key in self}

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(self._lower.get(key.lower(), key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._lower

    def get(self, key: str, default: Any = None) -> Any:
        original = self._lower.get(key.lower())
        return default if original is None else super().__getitem__(original)

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("response headers are read-only; copy them with dict(headers) to change them")

    __setitem__ = __delitem__ = pop = popitem = setdefault = update = clear = _read_only


def ensure_status(response: ResponseLike, expected: tuple[int, ...]) -> None:
    """Raise the mapped Batch error unless the status is one the operation succeeds with."""
    if response.status_code not in expected:
        raise error_from_response(response)


def parse_http_date(value: str | None) -> datetime.datetime | None:
    """An RFC 1123 header date (``Date``, ``Last-Modified``) as an aware UTC datetime.

    ``None`` when absent or malformed: a bad date header must not turn a successful write into a
    failure, nor escape as an untyped error.
    """
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment


def _last_modified(headers: Any) -> Any:
    return parse_http_date(headers.get("Last-Modified"))


def write_result(response: ResponseLike) -> JobWriteResult:
    """The ETag, dates and ids a write reports in its headers."""
    headers = response.headers
    return JobWriteResult(
        etag=headers.get("ETag"),
        last_modified=_last_modified(headers),
        request_id=headers.get(HEADER_REQUEST_ID),
        client_request_id=headers.get(HEADER_CLIENT_REQUEST_ID),
        data_service_id=headers.get(HEADER_DATA_SERVICE_ID),
    )


def parse_add_response(response: ResponseLike) -> JobWriteResult:
    """Result of add (201 Created)."""
    ensure_status(response, ADD_OK)
    return write_result(response)


def parse_accepted_response(response: ResponseLike) -> JobWriteResult:
    """Result of delete, disable, enable and terminate (202 Accepted)."""
    ensure_status(response, ACCEPTED)
    return write_result(response)


def parse_update_response(response: ResponseLike) -> JobWriteResult:
    """Result of patch and update (200 OK)."""
    ensure_status(response, OK)
    return write_result(response)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON but no float: read as inf it could never be sent back as it came.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is beyond the range of a double")
    return value


def _body(response: ResponseLike) -> bytes:
    try:
        return response.content
    except AzureError:
        raise  # the body was never read, or the connection broke while reading it: already typed
    except Exception as exc:
        # Transports decompress lazily, here: a body declared gzip that is not raises zlib.error.
        raise BatchDecodeError(
            "the service's response body could not be decoded (Content-Encoding)",
            response=response,
            error=exc,
        ) from exc


def json_object(response: ResponseLike) -> dict[str, Any]:
    """The body as a JSON object; ``BatchDecodeError`` when it is not one (or nests too deep)."""
    body = _body(response)
    try:
        # NaN and Infinity are Python extensions to JSON; the service never sends them.
        data = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        # RecursionError: a body nested deeper than the parser can follow is not a job either.
        raise BatchDecodeError(
            "the service's response body is not valid JSON", response=response, error=exc
        ) from exc
    if not isinstance(data, dict):
        raise BatchDecodeError("the service's response body is not a JSON object", response=response)
    return data


def parse_get_response(response: ResponseLike) -> CloudJob:
    """The job of a get (200)."""
    ensure_status(response, OK)
    return CloudJob._from_wire(json_object(response))


def parse_get_task_counts_response(response: ResponseLike) -> TaskCountsResult:
    """Task and slot counts of a job (200)."""
    ensure_status(response, OK)
    return TaskCountsResult._from_wire(json_object(response))


def _page(response: ResponseLike, model: type[M]) -> tuple[str | None, list[M]]:
    ensure_status(response, OK)
    data = json_object(response)
    items = data.get("value")
    if items is None:
        items = []
    elif not isinstance(items, list):
        raise BatchDecodeError("the page's 'value' is not a JSON array", response=response)
    elif not all(isinstance(item, dict) for item in items):
        raise BatchDecodeError(
            "the page's 'value' holds an entry that is not a JSON object", response=response
        )
    next_link = data.get("odata.nextLink")
    if next_link is not None and not isinstance(next_link, str):
        raise BatchDecodeError("the page's 'odata.nextLink' is not a string", response=response)
    wrap = model._from_wire
    return next_link or None, [wrap(item) for item in items]


def parse_job_page(response: ResponseLike) -> tuple[str | None, list[CloudJob]]:
    """One page of list / list_from_job_schedule: (next link or None, jobs)."""
    return _page(response, CloudJob)


def parse_preparation_and_release_page(
    response: ResponseLike,
) -> tuple[str | None, list[JobPreparationAndReleaseTaskExecutionInformation]]:
    """One page of list_preparation_and_release_task_status: (next link or None, entries)."""
    return _page(response, JobPreparationAndReleaseTaskExecutionInformation)
