"""Errors raised for Batch service responses, and the one table that picks them.

Every non-success response raises a subclass of :class:`BatchServiceError`, which is itself an
``azure.core.exceptions.HttpResponseError``. The subclasses also derive from azure-core's specific
classes (``ResourceNotFoundError``, ``ResourceExistsError``, ...) so code written against azure-core
conventions keeps working. Each error carries:

* ``error.code`` / ``error.message`` -- the Batch error code and message text (``code`` shortcut too);
* ``model`` -- the decoded :class:`azbatch.models.BatchError` (``None`` if the body was not a Batch error);
* ``status_code``, ``reason``, ``response``, ``request_id`` and ``client_request_id``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import Enum
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ODataV4Format,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    ServiceResponseTimeoutError,
)

from ._constants import HEADER_CLIENT_REQUEST_ID, HEADER_REQUEST_ID
from .models import BatchError, BatchErrorDetail

__all__ = [
    "BatchAuthenticationError",
    "BatchConflictError",
    "BatchErrorCode",
    "BatchErrorException",
    "BatchErrorFormat",
    "BatchJobStateError",
    "BatchResourceExistsError",
    "BatchResourceModifiedError",
    "BatchResourceNotFoundError",
    "BatchResourceNotModifiedError",
    "BatchServiceError",
    "BatchTimeoutError",
    "ErrorText",
    "error_from_response",
]


class BatchErrorCode(str, Enum):
    """Error codes the Batch service puts in ``BatchError.code`` for job operations.

    Members compare equal to the plain strings, so ``err.code == BatchErrorCode.JOB_NOT_FOUND`` and
    ``err.code == "JobNotFound"`` are the same test. The service may send codes not listed here.
    """

    def __str__(self) -> str:
        return str(self.value)

    JOB_NOT_FOUND = "JobNotFound"
    JOB_SCHEDULE_NOT_FOUND = "JobScheduleNotFound"
    RESOURCE_NOT_FOUND = "ResourceNotFound"
    JOB_EXISTS = "JobExists"
    JOB_SCHEDULE_WITH_SAME_ID_EXISTS = "JobScheduleWithSameIdExists"
    JOB_BEING_DELETED = "JobBeingDeleted"
    JOB_BEING_TERMINATED = "JobBeingTerminated"
    JOB_COMPLETED = "JobCompleted"
    JOB_DISABLED = "JobDisabled"
    JOB_NOT_ACTIVE = "JobNotActive"
    OPERATION_INVALID_FOR_CURRENT_STATE = "OperationInvalidForCurrentState"
    JOB_PREPARATION_TASK_NOT_SPECIFIED = "JobPreparationTaskNotSpecified"
    JOB_RELEASE_TASK_NOT_SPECIFIED = "JobReleaseTaskNotSpecified"
    JOB_PREPARATION_TASK_OR_RELEASE_TASK_NOT_SPECIFIED = "JobPreparationTaskOrReleaseTaskNotSpecified"
    ACTIVE_JOB_AND_SCHEDULE_QUOTA_REACHED = "ActiveJobAndScheduleQuotaReached"
    INVALID_APPLICATION_PACKAGE_REFERENCES = "InvalidApplicationPackageReferences"
    TASK_ID_SAME_AS_JOB_PREPARATION_TASK = "TaskIdSameAsJobPreparationTask"
    TASK_ID_SAME_AS_JOB_RELEASE_TASK = "TaskIdSameAsJobReleaseTask"
    CONDITION_NOT_MET = "ConditionNotMet"
    MISSING_REQUIRED_PROPERTY = "MissingRequiredProperty"
    INVALID_PROPERTY_VALUE = "InvalidPropertyValue"
    UNSUPPORTED_PROPERTY = "UnsupportedProperty"
    INVALID_REQUEST_BODY = "InvalidRequestBody"
    MISSING_REQUIRED_QUERY_PARAMETER = "MissingRequiredQueryParameter"
    INVALID_QUERY_PARAMETER_VALUE = "InvalidQueryParameterValue"
    OUT_OF_RANGE_QUERY_PARAMETER_VALUE = "OutOfRangeQueryParameterValue"
    UNSUPPORTED_QUERY_PARAMETER = "UnsupportedQueryParameter"
    INVALID_HEADER_VALUE = "InvalidHeaderValue"
    MISSING_REQUIRED_HEADER = "MissingRequiredHeader"
    UNSUPPORTED_HEADER = "UnsupportedHeader"
    MULTIPLE_CONDITION_HEADERS_NOT_SUPPORTED = "MultipleConditionHeadersNotSupported"
    UNSUPPORTED_REQUEST_VERSION = "UnsupportedRequestVersion"
    INVALID_AUTHENTICATION_INFO = "InvalidAuthenticationInfo"
    AUTHENTICATION_FAILED = "AuthenticationFailed"
    INSUFFICIENT_ACCOUNT_PERMISSIONS = "InsufficientAccountPermissions"
    ACCOUNT_IS_DISABLED = "AccountIsDisabled"
    MISSING_CONTENT_LENGTH_HEADER = "MissingContentLengthHeader"
    REQUEST_BODY_TOO_LARGE = "RequestBodyTooLarge"
    INTERNAL_ERROR = "InternalError"
    OPERATION_TIMED_OUT = "OperationTimedOut"
    SERVER_BUSY = "ServerBusy"
    TOO_MANY_REQUESTS = "TooManyRequests"


# Conflict codes that mean "it already exists"; every other 409 is a state conflict.
_EXISTS_CODES = frozenset(
    {BatchErrorCode.JOB_EXISTS.value, BatchErrorCode.JOB_SCHEDULE_WITH_SAME_ID_EXISTS.value}
)


class ErrorText(str):
    """The text of a Batch error message: a ``str``, also readable the way azure-batch 14.x exposed it.

    ``err.error.message`` is the text itself; ``err.error.message.value`` (the same text) and
    ``err.error.message.lang`` keep 14.x error handlers working unchanged.
    """

    lang: str | None = None

    @property
    def value(self) -> str:
        """The message text (14.x spelling)."""
        return str(self)


class BatchErrorFormat(ODataV4Format):
    """Reads a Batch error body into azure-core's error shape.

    Batch nests the text as ``message: {lang, value}`` and lists details as ``values: [{key, value}]``;
    this flattens the text into ``message`` and turns each detail into an entry of ``details`` whose
    ``code`` is the key and ``message`` the value.
    """

    def __init__(self, json_object: Mapping[str, Any]) -> None:
        message = json_object.get("message")
        text = message.get("value") if isinstance(message, Mapping) else message
        flat: dict[str, Any] = {"code": json_object.get("code"), "message": text}
        values = json_object.get("values")
        if isinstance(values, list):
            flat["details"] = [
                {"code": v.get("key"), "message": v.get("value")} for v in values if isinstance(v, Mapping)
            ]
        super().__init__(flat)
        self.lang: str | None = message.get("lang") if isinstance(message, Mapping) else None
        if self.message is not None:
            text = ErrorText(self.message)
            text.lang = self.lang
            self.message = text
        # The Batch error details as models, under the name 14.x used (err.error.values).
        self.values: list[BatchErrorDetail] = (
            [BatchErrorDetail._from_wire(dict(v)) for v in values or [] if isinstance(v, Mapping)]
            if isinstance(values, list)
            else []
        )


class BatchServiceError(HttpResponseError):
    """The Batch service answered with a status that is not a success for the operation.

    :ivar str code: the Batch error code (``None`` when the body was not a Batch error).
    :ivar str request_id: the ``request-id`` response header, for support requests.
    :ivar str client_request_id: the ``client-request-id`` the request carried, if any.
    """

    def __init__(self, message: object | None = None, response: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("error_format", BatchErrorFormat)
        if "model" not in kwargs and response is not None:
            kwargs["model"] = _batch_error_model(response)
        super().__init__(message, response, **kwargs)
        headers = getattr(response, "headers", None) or {}
        request = getattr(response, "request", None)
        request_headers = getattr(request, "headers", None) or {}
        self.request_id: str | None = headers.get(HEADER_REQUEST_ID)
        self.client_request_id: str | None = headers.get(HEADER_CLIENT_REQUEST_ID) or request_headers.get(
            HEADER_CLIENT_REQUEST_ID
        )

    @property
    def code(self) -> str | None:
        """The Batch error code, e.g. ``"JobNotFound"``."""
        return self.error.code if self.error is not None else None


BatchErrorException = BatchServiceError
"""azure-batch 14.x's name for a failed call; ``except BatchErrorException`` keeps catching every one."""


class BatchAuthenticationError(BatchServiceError, ClientAuthenticationError):
    """401 or 403: the credential was refused or lacks permission."""


class BatchResourceNotFoundError(BatchServiceError, ResourceNotFoundError):
    """404: the job (or job schedule) does not exist."""


class BatchResourceExistsError(BatchServiceError, ResourceExistsError):
    """409 with ``JobExists`` (or a schedule using the id): the id is taken."""


class BatchConflictError(BatchServiceError):
    """409 for any other reason: the job's state does not allow the operation.

    Examples: ``JobBeingDeleted``, ``JobCompleted``, ``JobBeingTerminated``. Deliberately not a
    ``ResourceExistsError``: nothing already exists, and retrying after the state changes may succeed.
    """


class BatchResourceModifiedError(BatchServiceError, ResourceModifiedError):
    """412: a conditional write's precondition (ETag or date) did not hold."""


class BatchResourceNotModifiedError(BatchServiceError, ResourceNotModifiedError):
    """304: a conditional read found the job unchanged."""


class BatchJobStateError(AzureError):
    """A poller saw the job leave the path of the change it waits for.

    For example, a job being disabled was terminated by someone else. ``state`` is what the job showed
    (``None`` if it was gone) and ``expected`` the state the change should have ended in.
    """

    def __init__(self, job_id: str, operation: str, state: str | None, expected: str | None) -> None:
        seen = "no longer exists" if state is None else f"is {state!r}"
        goal = "to be deleted" if expected is None else f"to become {expected!r}"
        super().__init__(f"job {job_id!r} {seen} while the {operation} waited for it {goal}")
        self.job_id = job_id
        self.operation = operation
        self.state = state
        self.expected = expected


_BY_STATUS: dict[int, type[BatchServiceError]] = {
    304: BatchResourceNotModifiedError,
    401: BatchAuthenticationError,
    403: BatchAuthenticationError,
    404: BatchResourceNotFoundError,
    412: BatchResourceModifiedError,
}


def error_from_response(response: Any) -> BatchServiceError:
    """Build the exception for a failed response: the single mapping table of this package.

    ``response`` is an azure-core HTTP response whose body has been read.
    """
    status = int(response.status_code)
    if status == 409:
        code = _code_of(response)
        cls: type[BatchServiceError] = (
            BatchResourceExistsError if code in _EXISTS_CODES else BatchConflictError
        )
    else:
        cls = _BY_STATUS.get(status, BatchServiceError)
    return cls(response=response)


def _body_json(response: Any) -> Any:
    try:
        body = response.content
    except Exception:  # a streamed body that was never read: no details to offer
        return None
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None  # a proxy's HTML page, say: still an error, just without Batch details


def _code_of(response: Any) -> str | None:
    data = _body_json(response)
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _batch_error_model(response: Any) -> BatchError | None:
    data = _body_json(response)
    if isinstance(data, dict) and ("code" in data or "message" in data):
        return BatchError._from_wire(data)
    return None


class BatchTimeoutError(ServiceResponseTimeoutError):
    """A call ran out of its ``timeout``: the total time allowed for every attempt and wait together.

    A ``ServiceResponseTimeoutError`` (so an ``AzureError`` and a ``ServiceResponseError``), raised
    instead of sending another attempt, instead of a wait the time left cannot cover, or when the
    deadline stops a connect, a send or a read in progress.

    :ivar float deadline: the seconds the call was allowed (its ``timeout``).
    :ivar float elapsed: seconds from the start of the call to this error.
    :ivar int attempts: requests that were sent (or started) for the call.
    :ivar response: the last HTTP response received, if any (a 503 the service asked to retry, say).
    :ivar status_code: that response's status, or ``None``.
    :ivar str error_code: that response's Batch error code (``"ServerBusy"``...), or ``None``.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        deadline: float,
        elapsed: float,
        attempts: int,
        response: Any = None,
        **kwargs: Any,
    ) -> None:
        status = getattr(response, "status_code", None)
        code = _code_of(response) if response is not None else None
        if message is None:
            message = f"the call did not finish within its {deadline:g} s timeout"
        last = "no response" if status is None else f"last response {status}" + (f" {code}" if code else "")
        plural = "" if attempts == 1 else "s"
        super().__init__(f"{message} ({elapsed:.3f} s elapsed, {attempts} attempt{plural}, {last})", **kwargs)
        self.deadline = deadline
        self.elapsed = elapsed
        self.attempts = attempts
        self.response = response
        self.status_code: int | None = None if status is None else int(status)
        self.error_code: str | None = code
