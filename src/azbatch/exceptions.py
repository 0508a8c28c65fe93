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
    DecodeError,
    HttpResponseError,
    ODataV4Format,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    ServiceResponseTimeoutError,
)

from ._constants import HEADER_CLIENT_REQUEST_ID, HEADER_REQUEST_ID
from ._redact import excerpt, mask_text
from .models import BatchError, BatchErrorDetail, JobSnapshot

__all__ = [
    "ApiVersionError",
    "BatchAuthenticationError",
    "BatchConflictError",
    "BatchDecodeError",
    "BatchErrorCode",
    "BatchErrorException",
    "BatchErrorFormat",
    "BatchJobStateError",
    "BatchPagingError",
    "BatchResourceExistsError",
    "BatchResourceModifiedError",
    "BatchResourceNotFoundError",
    "BatchResourceNotModifiedError",
    "BatchServiceError",
    "BatchTimeoutError",
    "BatchWaitTimeoutError",
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


# Longest error message shown, in characters (azure-core's own cap for a body it appends).
_MAX_MESSAGE = 2048

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
        # The service's text can quote what the caller sent (a SAS URL in an invalid property, say).
        flat["message"] = _masked(flat["message"])
        for detail in flat.get("details", []):
            detail["message"] = _masked(detail["message"])
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
        # azure-core's message is built from the body (message, details, inner error) and may echo
        # what the caller sent; keep it masked and bounded, in every form the exception shows it.
        self.message = excerpt(self.message, limit=_MAX_MESSAGE)
        self.exc_msg = excerpt(self.exc_msg, limit=_MAX_MESSAGE)
        self.args = (self.message, *self.args[1:])
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

    def __str__(self) -> str:
        # azure-core appends up to 2 KB of a non-Batch body (a proxy's page, say) verbatim; a short,
        # masked excerpt says as much without copying what the body might hold.
        return _text_with_excerpt(self)


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


def _masked(text: Any) -> Any:
    return mask_text(text) if isinstance(text, str) else text


def _text_with_excerpt(error: HttpResponseError) -> str:
    """The message of ``error`` plus, for a body that was not a Batch error, a short masked excerpt of it.

    azure-core's own ``__str__`` appends up to 2 KB of such a body verbatim, SAS signatures included.
    """
    text = mask_text(error.message)
    if error.error is None and error.response is not None:
        try:
            body = error.response.text()
        except Exception:  # not read, or not decodable (a broken gzip body): nothing to show
            body = ""
        if body:
            text += "\nContent: " + excerpt(body)
    return text


def _body_json(response: Any) -> Any:
    try:
        body = response.content
    except Exception:  # a streamed body that was never read: no details to offer
        return None
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # A proxy's HTML page or a hostile, absurdly nested body: still an error, just without details.
        return None


def _code_of(response: Any) -> str | None:
    data = _body_json(response)
    code = data.get("code") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def _batch_error_model(response: Any) -> BatchError | None:
    data = _body_json(response)
    if isinstance(data, dict) and ("code" in data or "message" in data):
        return BatchError._from_wire(data)
    return None


class BatchWaitTimeoutError(AzureError, TimeoutError):
    """A wait for a job (``wait_for_state``, ``wait_for_completion``) ran out of time.

    Also a builtin ``TimeoutError``. ``last`` is the last :class:`~azbatch.models.JobSnapshot` seen
    (``None`` if not even one look finished); ``state`` and ``task_counts`` are taken from it.
    """

    def __init__(self, job_id: str, waited_for: str, timeout: float, last: JobSnapshot | None) -> None:
        state = last.state if last is not None else None
        seen = (
            "nothing was seen yet" if last is None else f"it was last seen {getattr(state, 'value', state)!r}"
        )
        super().__init__(f"job {job_id!r} did not become {waited_for} within {timeout:g} s; {seen}")
        self.job_id = job_id
        self.waited_for = waited_for
        self.timeout = timeout
        self.last = last
        self.state = state
        self.task_counts = last.task_counts if last is not None else None


class BatchDecodeError(DecodeError):
    """A response's body could not be read as the JSON the operation returns.

    Not JSON, nested too deeply, a broken compressed body, or a page of the wrong shape. ``str()`` of the
    error shows at most a short excerpt of the body, with credentials masked; ``response`` has it all.
    """

    @staticmethod
    def _parse_odata_body(error_format: Any, response: Any) -> None:
        # The body is what could not be read; an "error" member in it must not replace the message.
        return None

    def __str__(self) -> str:
        return _text_with_excerpt(self)


class BatchPagingError(BatchDecodeError):
    """A listing's ``odata.nextLink`` led back to a page already read in the same iteration.

    Following it would repeat the same pages forever, so the pager stops. ``next_link`` is the repeated
    link with credentials masked. The error carries no ``continuation_token``: resuming would loop again.
    """

    def __init__(self, next_link: str, response: Any = None) -> None:
        self.next_link = mask_text(next_link)
        super().__init__(
            f"the listing's odata.nextLink repeats a page already read: {excerpt(next_link)}",
            response=response,
        )


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
        failure = kwargs.get("error")
        if status is None and isinstance(failure, BaseException):
            # Say why no answer came (connection refused, reset, ...), masked and short.
            last += f"; last failure: {type(failure).__name__}: {excerpt(str(failure), limit=160)}"
        plural = "" if attempts == 1 else "s"
        super().__init__(f"{message} ({elapsed:.3f} s elapsed, {attempts} attempt{plural}, {last})", **kwargs)
        self.deadline = deadline
        self.elapsed = elapsed
        self.attempts = attempts
        self.response = response
        self.status_code: int | None = None if status is None else int(status)
        self.error_code: str | None = code


class ApiVersionError(ValueError):
    """A property or parameter is not part of the api-version the client was created with.

    Raised before anything is sent. ``name`` is what was refused (``ImageReference.shared_gallery_image_id``
    or the keyword ``force``), ``wire`` its name on the wire, ``api_version`` the client's version and
    ``supported_in`` the api-versions this package knows that do have it.
    """

    def __init__(
        self, message: str, *, name: str, wire: str, api_version: str, supported_in: tuple[str, ...]
    ) -> None:
        super().__init__(message)
        self.name = name
        self.wire = wire
        self.api_version = api_version
        self.supported_in = supported_in
