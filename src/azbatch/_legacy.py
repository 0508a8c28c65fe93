"""azure-batch 14.x call shapes on top of the keyword API: options objects, ``custom_headers``, ``raw``.

One decorator serves the sync and the async operations alike: it only rewrites keyword arguments
before the operation runs, so both clients share this code instead of generating a copy.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from azure.core import MatchConditions

from ._constants import MAX_RESULTS_LIMIT
from ._keywords import check_keywords
from ._protocol import _validation as check
from ._protocol._responses import ResponseHeaders
from .models._options import OperationOptions

__all__ = ["ClientRawResponse", "legacy_call_shapes"]

OutputT = TypeVar("OutputT")
F = TypeVar("F", bound=Callable[..., Any])

# Options-object field -> operation keyword, where the names differ.
_RENAMED = {"timeout": "service_timeout"}

# Checks applied to option-object fields up front, so that a bad value is reported under the name the
# caller wrote (job_list_options.max_results), not under the keyword it maps to.
_FIELD_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "timeout": lambda name, value: check.optional_int(name, value, low=1),
    "max_results": lambda name, value: check.optional_int(name, value, low=1, high=MAX_RESULTS_LIMIT),
    "return_client_request_id": check.optional_bool,
    "ocp_date": check.optional_datetime,
    "if_modified_since": check.optional_datetime,
    "if_unmodified_since": check.optional_datetime,
    "if_match": check.optional_str,
    "if_none_match": check.optional_str,
    "filter": check.optional_str,
    "select": check.optional_str,
    "expand": check.optional_str,
}


class ClientRawResponse(Generic[OutputT]):
    """What an operation returns when called with ``raw=True``, as in azure-batch 14.x.

    :ivar output: what the call returns without ``raw``.
    :ivar response: the azure-core HTTP response.
    :ivar headers: the response headers, as a dict.
    """

    def __init__(self, output: OutputT, response: Any, headers: Mapping[str, str]) -> None:
        self.output: OutputT = output
        self.response = response
        self.headers: dict[str, str] = ResponseHeaders(headers)

    def __repr__(self) -> str:
        status = getattr(self.response, "status_code", None)
        return f"ClientRawResponse(status={status}, output={self.output!r})"


def _etag_keywords(options: Any) -> dict[str, Any]:
    if_match = getattr(options, "if_match", None)
    if_none_match = getattr(options, "if_none_match", None)
    if if_match is not None and if_none_match is not None:
        raise ValueError("set only one of if_match and if_none_match: the service accepts one condition")
    if if_match is not None:
        if if_match == "*":
            return {"match_condition": MatchConditions.IfPresent}
        return {"etag": if_match, "match_condition": MatchConditions.IfNotModified}
    if if_none_match is not None:
        if if_none_match == "*":
            return {"match_condition": MatchConditions.IfMissing}
        return {"etag": if_none_match, "match_condition": MatchConditions.IfModified}
    return {}


def _option_keywords(param: str, options: Any, expected: type[OperationOptions]) -> dict[str, Any]:
    if not isinstance(options, expected):
        given = f"{type(options).__module__}.{type(options).__qualname__}"
        raise TypeError(f"{param} must be an azbatch.models.{expected.__name__}, not {given}")
    result: dict[str, Any] = {}
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        field_check = _FIELD_CHECKS.get(field.name)
        if field_check is not None:
            field_check(f"{param}.{field.name}", value)
        if field.name in ("if_match", "if_none_match"):
            continue
        if value is not None:
            result[_RENAMED.get(field.name, field.name)] = value
    result.update(_etag_keywords(options))
    return result


def apply_legacy_keywords(
    kwargs: dict[str, Any], param: str, expected: type[OperationOptions], *, listing: bool
) -> None:
    """Rewrite 14.x-style keywords in ``kwargs`` (in place) into the keyword API."""
    options = kwargs.pop(param, None)
    if options is not None:
        for name, value in _option_keywords(param, options, expected).items():
            if kwargs.get(name) is not None:
                raise TypeError(f"{name} was given both as a keyword and in {param}; pass it once")
            kwargs[name] = value
    custom_headers = kwargs.pop("custom_headers", None)
    if custom_headers:
        if not isinstance(custom_headers, Mapping):
            raise TypeError(f"custom_headers must be a mapping, not {type(custom_headers).__name__}")
        # azure-core's HeadersPolicy adds per-call `headers` to the request (to every page of a listing).
        kwargs["headers"] = {**kwargs.get("headers", {}), **custom_headers}
    if kwargs.pop("raw", False) and not listing:
        if kwargs.get("cls") is not None:
            raise TypeError("pass either raw=True or cls, not both")
        kwargs["cls"] = lambda pipeline_response, result, headers: ClientRawResponse(
            result, pipeline_response.http_response, headers
        )


def _positional_legacy(
    args: tuple[Any, ...], kwargs: dict[str, Any], count: int, param: str
) -> tuple[Any, ...]:
    """Move 14.x's trailing positional arguments (options, custom_headers, raw) into ``kwargs``."""
    if len(args) <= count:
        return args
    extra = args[count:]
    names = (param, "custom_headers", "raw")
    if len(extra) > len(names):
        raise TypeError(f"too many positional arguments: expected at most {count - 1 + len(names)}")
    for name, value in zip(names, extra, strict=False):
        if name in kwargs:
            raise TypeError(f"{name} was given both positionally and as a keyword")
        kwargs[name] = value
    return args[:count]


def legacy_call_shapes(
    param: str, expected: type[OperationOptions], *, listing: bool = False
) -> Callable[[F], F]:
    """Let an operation also accept ``<param>=<Options>``, ``custom_headers=`` and ``raw=``.

    As in 14.x they may also follow the operation's own positional arguments, in that order
    (``client.job.get(job_id, JobGetOptions(...))``). A listing ignores ``raw`` (as 14.x did, it returns
    the pager either way).
    """

    def decorate(func: F) -> F:
        # self plus the operation's own positional parameters; anything after them is 14.x style.
        parameters = inspect.signature(func).parameters.values()
        kinds = [p.kind for p in parameters]
        count = kinds.count(inspect.Parameter.POSITIONAL_OR_KEYWORD)
        # "cls" (the azure-core result hook) is every operation's own keyword, though not in its signature.
        own = {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD} | {"cls"}
        operation = func.__name__
        if inspect.iscoroutinefunction(func):
            # Stay a coroutine function, so that inspection (and frameworks that rely on it) still works.
            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                args = _positional_legacy(args, kwargs, count, param)
                apply_legacy_keywords(kwargs, param, expected, listing=listing)
                check_keywords(operation, kwargs, own)
                return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args = _positional_legacy(args, kwargs, count, param)
            apply_legacy_keywords(kwargs, param, expected, listing=listing)
            check_keywords(operation, kwargs, own)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
