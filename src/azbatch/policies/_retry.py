"""Retry policies that follow the Batch job operations' semantics instead of the HTTP method alone.

azure-core's policy retries connection errors only for GET, PUT and DELETE, and status codes on POST
and PATCH only for 500/503/504. Batch writes are safe to repeat once the result of the repeat is
checked (``aio/_safe_writes.py``), so these policies retry every transient failure of a named job
operation and record, in the pipeline context, whether an earlier attempt may have been applied.

The operation name arrives as the ``batch_operation`` pipeline option (``pipeline.run(request,
batch_operation="add")``); requests without one are retried by their HTTP method, conservatively.
The usual keywords still apply: ``retry_total``, ``retry_connect``, ``retry_read``, ``retry_status``,
``retry_backoff_factor``, ``retry_backoff_max``, ``retry_mode``, ``retry_on_status_codes``.
``Retry-After`` is honoured but never waits longer than ``retry_backoff_max``. Waits go through the
transport's ``sleep``, which the deadline policy (``_deadline.py``) wraps: a wait that would end past the
call's ``timeout`` fails at once with ``BatchTimeoutError`` -- one place enforces deadlines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.exceptions import AzureError, ClientAuthenticationError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    AsyncHTTPPolicy,
    AsyncRetryPolicy,
    HTTPPolicy,
    RetryPolicy,
)
from azure.core.pipeline.policies._retry import RetryPolicyBase

from .._protocol._idempotency import (
    ATTEMPTS_KEY,
    OPERATION_OPTION,
    AttemptLog,
    OperationRule,
    Outcome,
    is_lost_response,
    outcome_of_error,
    outcome_of_status,
    rule_for,
)

__all__ = [
    "AsyncBatchRetryPolicy",
    "AsyncLostResponsePolicy",
    "BatchRetryPolicy",
    "BatchRetryRules",
    "LostResponsePolicy",
]


_OPERATION = "azbatch_operation"
_WAIT = "azbatch_wait"


class BatchRetryRules(RetryPolicyBase):
    """The decisions shared by :class:`BatchRetryPolicy` and :class:`AsyncBatchRetryPolicy`."""

    clock: Callable[[], float] = staticmethod(time.monotonic)
    """The monotonic clock a call's attempt log starts on when the caller hands in none."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        """azure-core's settings plus the operation name, taken out of the options so that it never
        reaches the transport as an unknown keyword."""
        settings = super().configure_retries(options)
        settings[_OPERATION] = options.pop(OPERATION_OPTION, None)
        return settings

    def _rule(self, settings: dict[str, Any], method: str) -> OperationRule:
        rule = rule_for(settings.get(_OPERATION), method)
        if settings.get(_OPERATION) is None and method.upper() not in settings["methods"]:
            # An unnamed request keeps azure-core's per-call retry_on_methods meaning.
            return OperationRule(rule.name, retry_unknown=False)
        return rule

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        # Every method may be retried; increment() decides from what the failure says about the
        # request (not sent, refused, or maybe applied) and the operation's rule.
        return True

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        """Retry transient statuses (408, 429, 5xx but 501 and 505) and any in ``retry_on_status_codes``."""
        status = response.http_response.status_code
        return status >= 400 and status in self._retry_on_status_codes

    def increment(
        self,
        settings: dict[str, Any],
        response: PipelineRequest[Any] | PipelineResponse[Any, Any] | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Record the failed attempt, then allow a retry if the rule and azure-core's counters do.

        The deadline is not checked here: the deadline policy refuses a wait the time left cannot cover.
        """
        if response is None:  # azure-core always passes the request or response; be safe anyway
            return False
        context = response.context
        if error is not None:
            outcome = outcome_of_error(error)
        elif isinstance(response, PipelineResponse):
            outcome = outcome_of_status(response.http_response.status_code)
        else:
            outcome = Outcome.UNKNOWN
        log = context.get(ATTEMPTS_KEY)
        if isinstance(log, AttemptLog):
            log.note(outcome)
        rule = self._rule(settings, response.http_request.method)
        if outcome is Outcome.UNKNOWN and not rule.retry_unknown:
            return False
        if not super().increment(settings, response=response, error=error):
            return False
        wait = self.wait_before_retry(settings, response if isinstance(response, PipelineResponse) else None)
        settings[_WAIT] = wait
        return True

    def wait_before_retry(
        self, settings: dict[str, Any], response: PipelineResponse[Any, Any] | None
    ) -> float:
        """Seconds to wait before the next attempt: ``Retry-After`` when the service sent one, capped by
        ``retry_backoff_max`` (a throttled service may ask for minutes), else the backoff."""
        retry_after = self.get_retry_after(response) if response is not None else None
        if retry_after:
            return float(min(retry_after, settings["max_backoff"]))
        return float(self.get_backoff_time(settings))

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """The service's retry hint in seconds; ``None`` when absent or malformed.

        azure-core's parser raises a bare ``ValueError`` for a header like ``Retry-After: 0x10``; a bad
        hint must not fail the call, so it is ignored and the backoff applies instead.
        """
        try:
            return super().get_retry_after(response)
        except (ValueError, TypeError, OverflowError):
            return None

    def _start_log(self, request: PipelineRequest[Any]) -> None:
        # The operation may hand in its own log (as the azbatch_attempts option) to read it even when
        # the call ends in an exception; the option must not reach the transport either way.
        log = request.context.options.pop(ATTEMPTS_KEY, None)
        request.context[ATTEMPTS_KEY] = (
            log if isinstance(log, AttemptLog) else AttemptLog(started=self.clock())
        )


class BatchRetryPolicy(BatchRetryRules, RetryPolicy[Any, Any]):
    """The sync client's retry policy: azure-core's :class:`RetryPolicy` with Batch rules."""

    def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        """Wait as :meth:`increment` decided (capped ``Retry-After`` or backoff)."""
        wait = settings.pop(_WAIT, None)
        if wait is None:
            wait = self.wait_before_retry(settings, response)
        if wait > 0:
            transport.sleep(wait)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Run the attempts, keeping an :class:`AttemptLog` in the request context."""
        self._start_log(request)
        return super().send(request)


class AsyncBatchRetryPolicy(BatchRetryRules, AsyncRetryPolicy[Any, Any]):
    """The async client's retry policy: azure-core's :class:`AsyncRetryPolicy` with Batch rules."""

    async def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
        """Wait as :meth:`increment` decided (capped ``Retry-After`` or backoff)."""
        wait = settings.pop(_WAIT, None)
        if wait is None:
            wait = self.wait_before_retry(settings, response)
        if wait > 0:
            await transport.sleep(wait)

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Run the attempts, keeping an :class:`AttemptLog` in the request context."""
        self._start_log(request)
        return await super().send(request)


def _as_lost_response(error: AzureError) -> AzureError:
    if isinstance(error, (ClientAuthenticationError, ServiceResponseError)):
        return error
    if is_lost_response(error):
        lost = ServiceResponseError(
            "the connection broke while the response was being read; the request may have been applied",
            error=error,
        )
        lost.__cause__ = error
        return lost
    return error


class LostResponsePolicy(HTTPPolicy[Any, Any]):
    """Reports a response cut short as azure-core's ``ServiceResponseError``.

    The transports raise a status-less ``HttpResponseError`` (requests) or ``IncompleteReadError``
    (aiohttp) for it; as a ``ServiceResponseError`` it is retried as a read error and, if it reaches
    the caller, says what happened: the request left, the answer was lost.
    """

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Pass the request on; translate a lost response."""
        try:
            return self.next.send(request)
        except AzureError as err:
            lost = _as_lost_response(err)
            if lost is err:
                raise
            raise lost from err


class AsyncLostResponsePolicy(AsyncHTTPPolicy[Any, Any]):
    """Async twin of :class:`LostResponsePolicy`."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        """Pass the request on; translate a lost response."""
        try:
            return await self.next.send(request)
        except AzureError as err:
            lost = _as_lost_response(err)
            if lost is err:
                raise
            raise lost from err
