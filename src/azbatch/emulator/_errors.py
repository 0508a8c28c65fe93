"""Batch-shaped errors: the exception the emulator raises internally and the JSON body it turns into."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ERROR_METADATA_SUFFIX = "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"


class BatchApiError(Exception):
    """A failure that is answered with a Batch error body and the given HTTP status.

    ``values`` become the ``values`` array of the body (key/value detail pairs); ``headers`` are added to
    the response as-is (e.g. ``Retry-After`` on throttling).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        values: Iterable[tuple[str, str]] = (),
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.values: list[tuple[str, str]] = list(values)
        self.headers: dict[str, str] = dict(headers or {})


def error_body(base_url: str, error: BatchApiError, request_id: str, time_text: str) -> dict[str, Any]:
    """Build the JSON error document for ``error``.

    The message ends with the request id and time lines because the service appends them and clients
    sometimes parse them out.
    """
    body: dict[str, Any] = {
        "odata.metadata": base_url + ERROR_METADATA_SUFFIX,
        "code": error.code,
        "message": {
            "lang": "en-US",
            "value": f"{error.message}\nRequestId:{request_id}\nTime:{time_text}",
        },
    }
    if error.values:
        body["values"] = [{"key": k, "value": v} for k, v in error.values]
    return body


# --- factories for the codes the emulator uses, so wording and details stay consistent ------------------


def job_not_found(job_id: str) -> BatchApiError:
    """404 for an unknown (or already removed) job id."""
    return BatchApiError(
        404, "JobNotFound", "No job with this id exists in the account.", [("JobId", job_id)]
    )


def job_schedule_not_found(schedule_id: str) -> BatchApiError:
    """404 for an unknown job schedule id."""
    return BatchApiError(
        404,
        "JobScheduleNotFound",
        "No job schedule with this id exists in the account.",
        [("JobScheduleId", schedule_id)],
    )


def job_exists(job_id: str) -> BatchApiError:
    """409 when a job with that id (compared case-insensitively) is already present."""
    return BatchApiError(
        409, "JobExists", "A job with this id is already present in the account.", [("JobId", job_id)]
    )


def schedule_id_taken(job_id: str) -> BatchApiError:
    """409 when a job schedule already uses the id a new job asks for."""
    return BatchApiError(
        409,
        "JobScheduleWithSameIdExists",
        "The id is already used by a job schedule in the account.",
        [("JobId", job_id)],
    )


_STATE_CONFLICTS: dict[str, tuple[str, str]] = {
    "deleting": ("JobBeingDeleted", "The job is being deleted."),
    "terminating": ("JobBeingTerminated", "The job is being terminated."),
    "completed": ("JobCompleted", "The job has already completed."),
    "disabled": ("JobDisabled", "The job is disabled."),
}


def state_conflict(job_id: str, state: str, operation: str) -> BatchApiError:
    """409 for an operation the job's current state does not allow; the code names the state."""
    code, message = _STATE_CONFLICTS.get(
        state,
        ("OperationInvalidForCurrentState", "The job's current state does not allow this operation."),
    )
    return BatchApiError(
        409, code, message, [("JobId", job_id), ("JobState", state), ("Operation", operation)]
    )


def condition_not_met() -> BatchApiError:
    """412 for a failed If-Match / If-None-Match / If-(Un)Modified-Since precondition."""
    return BatchApiError(
        412, "ConditionNotMet", "A precondition given in the conditional request headers does not hold."
    )


def missing_property(name: str) -> BatchApiError:
    """400 for a required body property that was not sent."""
    return BatchApiError(
        400,
        "MissingRequiredProperty",
        "The request body lacks a required property.",
        [("PropertyName", name)],
    )


def invalid_property(name: str, value: object, reason: str) -> BatchApiError:
    """400 for a body property whose value breaks a rule (type, range, enum, state-independent logic)."""
    return BatchApiError(
        400,
        "InvalidPropertyValue",
        "A property in the request body has a value that is not allowed.",
        [("PropertyName", name), ("PropertyValue", _short(value)), ("Reason", reason)],
    )


def unsupported_property(name: str) -> BatchApiError:
    """400 for a body property the operation does not know."""
    return BatchApiError(
        400,
        "UnsupportedProperty",
        "The request body contains a property this operation does not accept.",
        [("PropertyName", name)],
    )


def invalid_body(reason: str) -> BatchApiError:
    """400 for a body that is not a JSON object at all."""
    return BatchApiError(
        400,
        "InvalidRequestBody",
        "The request body could not be read as a JSON object.",
        [("Reason", reason)],
    )


def invalid_query(name: str, value: str, reason: str) -> BatchApiError:
    """400 for a query parameter whose value cannot be used (bad $filter, $select, token, ...)."""
    return BatchApiError(
        400,
        "InvalidQueryParameterValue",
        "A query parameter has a value that cannot be used.",
        [("QueryParameterName", name), ("QueryParameterValue", value), ("Reason", reason)],
    )


def out_of_range_query(name: str, value: str, low: int, high: int) -> BatchApiError:
    """400 for a numeric query parameter outside its allowed range."""
    return BatchApiError(
        400,
        "OutOfRangeQueryParameterValue",
        "A query parameter is outside its allowed range.",
        [
            ("QueryParameterName", name),
            ("QueryParameterValue", value),
            ("MinLimit", str(low)),
            ("MaxLimit", str(high)),
        ],
    )


def missing_query(name: str) -> BatchApiError:
    """400 for a required query parameter (``api-version``) that is absent."""
    return BatchApiError(
        400,
        "MissingRequiredQueryParameter",
        "A query parameter this request needs is absent.",
        [("QueryParameterName", name)],
    )


def unsupported_query(name: str) -> BatchApiError:
    """400 for a query parameter the operation does not take."""
    return BatchApiError(
        400,
        "UnsupportedQueryParameter",
        "The request carries a query parameter this operation does not accept.",
        [("QueryParameterName", name)],
    )


def invalid_header(name: str, value: str) -> BatchApiError:
    """400 for a header whose value cannot be parsed (e.g. a malformed date)."""
    return BatchApiError(
        400,
        "InvalidHeaderValue",
        "A request header has a value that cannot be parsed.",
        [("HeaderName", name), ("HeaderValue", value)],
    )


def missing_content_length() -> BatchApiError:
    """411 for a POST/PUT/PATCH that carries no Content-Length header."""
    return BatchApiError(411, "MissingContentLengthHeader", "The request has no Content-Length header.")


def admin_not_local(remote: str | None) -> BatchApiError:
    """403 for an admin API (``/_emulator/*``) request from a caller that is not on loopback."""
    return BatchApiError(
        403,
        "InsufficientAccountPermissions",
        "The emulator's admin API (/_emulator/*) answers only requests from a loopback address "
        "(127.0.0.0/8 or ::1).",
        [("Reason", "admin API is loopback-only"), ("RemoteAddress", remote or "unknown")],
    )


def internal_error() -> BatchApiError:
    """500 for anything unexpected; the real exception is logged, never sent."""
    return BatchApiError(500, "InternalError", "The emulator hit an unexpected error; retrying may succeed.")


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
