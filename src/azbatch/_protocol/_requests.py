"""Request builders for the 12 job operations: arguments in, ``azure.core.rest.HttpRequest`` out.

Pure: no I/O, no clock reads, no pipeline. Each builder validates its arguments first (raising
``TypeError``/``ValueError`` that name the parameter), so a bad call never reaches the network. Both
the async and the sync client call these same functions.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urlsplit

from azure.core import MatchConditions
from azure.core.rest import HttpRequest

from .. import filters
from .._constants import (
    HEADER_CLIENT_REQUEST_ID,
    HEADER_OCP_DATE,
    HEADER_RETURN_CLIENT_REQUEST_ID,
    JSON_CONTENT_TYPE,
)
from .._redact import mask_text
from ..models import (
    CloudJob,
    DisableJobOption,
    JobAddParameter,
    JobPatchParameter,
    JobUpdateParameter,
    Model,
)
from . import _validation as check
from . import _version_gate as gate

__all__ = [
    "Conditions",
    "RequestOptions",
    "Target",
    "build_add_request",
    "build_delete_request",
    "build_disable_request",
    "build_enable_request",
    "build_get_request",
    "build_get_task_counts_request",
    "build_list_from_job_schedule_request",
    "build_list_preparation_and_release_task_status_request",
    "build_list_request",
    "build_next_page_request",
    "build_patch_request",
    "build_terminate_request",
    "build_update_request",
    "conditions",
    "options",
    "path_segment",
]

# Properties a PUT/PATCH may carry; used when a fetched CloudJob is passed to update or patch.
_WRITABLE = (
    "priority",
    "maxParallelTasks",
    "allowTaskPreemption",
    "onAllTasksComplete",
    "constraints",
    "poolInfo",
    "metadata",
)


# --------------------------------------------------------------------------------------------------
# Inputs shared by the builders
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where requests go: the account endpoint (no trailing slash) and the api-version."""

    endpoint: str
    api_version: str

    @classmethod
    def create(cls, endpoint: Any, api_version: Any) -> Target:
        """Validate and normalise the client's endpoint and api-version.

        The endpoint must be an absolute http(s) URL with a host and nothing that could carry a
        credential or change where requests go: no user info (``user:password@``), query or fragment.
        Messages never repeat an endpoint that may hold a password.
        """
        check.require_str("endpoint", endpoint)
        check.require_str("api_version", api_version)
        return cls(endpoint=_checked_endpoint(endpoint.strip()), api_version=api_version)

    def spelled(self, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """``query`` with parameter names as this api-version spells them."""
        if self.api_version >= "2025":
            # From api-version 2025-06-01 on, the server-side timeout parameter is spelled "timeOut".
            return [("timeOut" if name == "timeout" else name, value) for name, value in query]
        return query

    def url(self, path: str, query: list[tuple[str, str]]) -> str:
        """The absolute URL of ``path`` with api-version first, then ``query`` in order."""
        pairs = [("api-version", self.api_version), *self.spelled(query)]
        # "$filter" etc. keep their "$" unescaped, as the service documents them; values are escaped fully.
        encoded = "&".join(f"{name}={quote(value, safe='')}" for name, value in pairs)
        return f"{self.endpoint}{path}?{encoded}"


# Characters that never belong in an endpoint and that URL parsers disagree about (a backslash is a
# "/" to browsers' parsers but not to urllib's; whitespace and control characters are stripped by some).
_ENDPOINT_BAD_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_ENDPOINT_EXAMPLE = "https://<account>.<region>.batch.azure.com"


def _checked_endpoint(endpoint: str) -> str:
    """``endpoint`` without a trailing slash, or a ValueError saying what is wrong with it."""
    if "@" in endpoint:
        # Checked first and reported without the value: what precedes "@" is often a password.
        raise ValueError(
            "endpoint must not contain user info (a name or password before '@'); "
            "pass credentials as the credential argument instead"
        )
    shown = mask_text(endpoint)
    bad = _ENDPOINT_BAD_CHARS.search(endpoint)
    if bad is not None:
        raise ValueError(
            f"endpoint must not contain whitespace, control characters or backslashes, "
            f"found {bad.group()!r} in {shown!r}"
        )
    try:
        parts = urlsplit(endpoint)
        _ = parts.port  # parses the port; a malformed one raises
    except ValueError:
        raise ValueError(f"endpoint is not a valid URL (check the host and port): {shown!r}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(
            f"endpoint must be an absolute http(s) URL such as {_ENDPOINT_EXAMPLE}, got {shown!r}"
        )
    if not parts.hostname:
        raise ValueError(f"endpoint must name a host, as in {_ENDPOINT_EXAMPLE}, got {shown!r}")
    if parts.query or parts.fragment or endpoint.endswith(("?", "#")):
        # Not echoed: a query is where a SAS token or key would be, and neither belongs here.
        raise ValueError("endpoint must not carry a query string or fragment")
    return endpoint.rstrip("/")


def path_segment(value: str) -> str:
    """``value`` (an id already checked by :func:`_validation.resource_id`) as one URL path segment.

    Everything but unreserved characters, ``:`` and ``@`` is percent-encoded, so ``/``, ``?``, ``#``,
    ``%``, spaces and non-ASCII stay inside the segment. ``:`` (ids of jobs made by a schedule have one)
    and ``@`` are legal in a segment and are left as they are because aiohttp would unescape them
    anyway, and Shared Key signs the path exactly as sent.
    """
    return quote(value, safe=":@")


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """Options every operation accepts, validated."""

    service_timeout: int | None = None
    client_request_id: str | None = None
    return_client_request_id: bool | None = None
    ocp_date: datetime.datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        service_timeout: Any = None,
        client_request_id: Any = None,
        return_client_request_id: Any = None,
        ocp_date: Any = None,
    ) -> RequestOptions:
        """Validate the per-call options; raises naming the offending parameter."""
        return cls(
            service_timeout=check.service_timeout(service_timeout),
            client_request_id=check.client_request_id(client_request_id),
            return_client_request_id=check.optional_bool(
                "return_client_request_id", return_client_request_id
            ),
            ocp_date=check.optional_datetime("ocp_date", ocp_date),
        )

    def query(self) -> list[tuple[str, str]]:
        return [] if self.service_timeout is None else [("timeout", str(self.service_timeout))]

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.client_request_id is not None:
            headers[HEADER_CLIENT_REQUEST_ID] = self.client_request_id
        if self.return_client_request_id is not None:
            headers[HEADER_RETURN_CLIENT_REQUEST_ID] = "true" if self.return_client_request_id else "false"
        if self.ocp_date is not None:
            headers[HEADER_OCP_DATE] = http_date(self.ocp_date)
        return headers


@dataclass(frozen=True, slots=True)
class Conditions:
    """Optimistic-concurrency conditions (If-Match and friends), validated."""

    etag: str | None = None
    match_condition: MatchConditions | None = None
    if_modified_since: datetime.datetime | None = None
    if_unmodified_since: datetime.datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        etag: Any = None,
        match_condition: Any = None,
        if_modified_since: Any = None,
        if_unmodified_since: Any = None,
    ) -> Conditions:
        """Validate the condition keywords; ``etag`` needs a ``match_condition`` that uses it."""
        check.optional_str("etag", etag)
        if etag is not None and (not etag.isprintable() or not etag.isascii()):
            # It goes into an If-Match header: a line break there would end the header early.
            raise ValueError("etag must be printable ASCII (no line breaks or control characters)")
        if match_condition is not None and not isinstance(match_condition, MatchConditions):
            raise TypeError(
                f"match_condition must be an azure.core.MatchConditions, not {type(match_condition).__name__}"
            )
        needs_etag = match_condition in (MatchConditions.IfNotModified, MatchConditions.IfModified)
        if needs_etag and not etag:
            raise ValueError(f"match_condition={match_condition} needs an etag")
        if etag and match_condition is None:
            raise ValueError("etag needs a match_condition (for example MatchConditions.IfNotModified)")
        return cls(
            etag=etag,
            match_condition=match_condition,
            if_modified_since=check.optional_datetime("if_modified_since", if_modified_since),
            if_unmodified_since=check.optional_datetime("if_unmodified_since", if_unmodified_since),
        )

    def headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        condition = self.match_condition
        if condition is MatchConditions.IfNotModified:
            headers["If-Match"] = _quoted(self.etag)
        elif condition is MatchConditions.IfModified:
            headers["If-None-Match"] = _quoted(self.etag)
        elif condition is MatchConditions.IfPresent:
            headers["If-Match"] = "*"
        elif condition is MatchConditions.IfMissing:
            headers["If-None-Match"] = "*"
        if self.if_modified_since is not None:
            headers["If-Modified-Since"] = http_date(self.if_modified_since)
        if self.if_unmodified_since is not None:
            headers["If-Unmodified-Since"] = http_date(self.if_unmodified_since)
        return headers


def options(
    service_timeout: Any = None,
    client_request_id: Any = None,
    return_client_request_id: Any = None,
    ocp_date: Any = None,
) -> RequestOptions:
    """Shorthand for :meth:`RequestOptions.create`, in the order the operations declare them."""
    return RequestOptions.create(
        service_timeout=service_timeout,
        client_request_id=client_request_id,
        return_client_request_id=return_client_request_id,
        ocp_date=ocp_date,
    )


def conditions(
    etag: Any = None,
    match_condition: Any = None,
    if_modified_since: Any = None,
    if_unmodified_since: Any = None,
) -> Conditions:
    """Shorthand for :meth:`Conditions.create`, in the order the operations declare them."""
    return Conditions.create(
        etag=etag,
        match_condition=match_condition,
        if_modified_since=if_modified_since,
        if_unmodified_since=if_unmodified_since,
    )


_NO_OPTIONS = RequestOptions()

FORCE_SINCE = "2024-07-01.20.0"
"""The first api-version with the ``force`` query parameter of delete and terminate."""
_NO_CONDITIONS = Conditions()


def http_date(value: datetime.datetime) -> str:
    """RFC 1123 form (``Fri, 17 Feb 2017 00:00:00 GMT``); a naive value is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return format_datetime(value.astimezone(datetime.timezone.utc), usegmt=True)


def _quoted(etag: str | None) -> str:
    # The service's ETags are bare (0x8D...); it compares them as sent, so send them unchanged.
    return etag or ""


# --------------------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------------------


def _body(name: str, value: Any, model: type[Model]) -> dict[str, Any]:
    """Wire JSON for a model argument that may also be given as a wire-form mapping.

    OData annotations a fetched resource carried (``odata.metadata``) are dropped: they describe a
    response, not properties to send.
    """
    return {k: v for k, v in _encode(name, value, model).items() if not k.startswith("odata.")}


def _encode(name: str, value: Any, model: type[Model]) -> dict[str, Any]:
    if isinstance(value, model):
        try:
            body: dict[str, Any] = value.as_dict()
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from None
        return body
    if isinstance(value, Model):
        raise TypeError(f"{name} must be a {model.__name__} or a mapping, not {type(value).__name__}")
    if isinstance(value, Mapping):
        try:
            # Round-trip through the model so nested models and enums in the mapping are encoded too.
            body = model.from_dict(value).as_dict()
        except TypeError as exc:
            raise TypeError(f"{name}: {exc}") from None
        return body
    raise TypeError(f"{name} must be a {model.__name__} or a mapping, not {type(value).__name__}")


def _writable_subset(job: CloudJob) -> dict[str, Any]:
    """The properties of a fetched job that a PUT/PATCH can carry.

    Properties this package does not know go along too: a newer service may have made them updatable,
    and dropping them would lose data. The read-only properties it does know (id, state, times, ...)
    are left out; the service rejects them in an update body.
    """
    data = job.as_dict()
    body = {key: data[key] for key in _WRITABLE if key in data}
    body.update(
        (key, value) for key, value in job.additional_properties.items() if not key.startswith("odata.")
    )
    return body


def _update_body(name: str, value: Any, model: type[Model]) -> dict[str, Any]:
    """Body of patch/update: the parameter model or mapping, or the writable part of a fetched job."""
    return _writable_subset(value) if isinstance(value, CloudJob) else _body(name, value, model)


def _force_query(target: Target, force: Any) -> list[tuple[str, str]]:
    """``force=true`` when asked for; nothing otherwise (false is the service's default)."""
    if not check.optional_bool("force", force):
        return []
    gate.require_version(target.api_version, "force", "force", FORCE_SINCE)
    return [("force", "true")]


def _json_request(method: str, url: str, headers: dict[str, str], body: dict[str, Any]) -> HttpRequest:
    try:
        # allow_nan=False: NaN and Infinity are not JSON; the service would answer with an unhelpful 400.
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        raise ValueError("the request body holds NaN or infinity, which JSON cannot carry") from None
    except TypeError as exc:
        raise TypeError(f"the request body holds a value JSON cannot carry: {exc}") from None
    content = text.encode("utf-8")
    headers["Content-Type"] = JSON_CONTENT_TYPE
    headers["Content-Length"] = str(len(content))
    return HttpRequest(method, url, headers=headers, content=content)


def _empty_request(method: str, url: str, headers: dict[str, str]) -> HttpRequest:
    if method not in ("GET", "HEAD"):
        # The service wants a Content-Length on every write; Shared Key signs it, so it must be sent.
        headers["Content-Length"] = "0"
    return HttpRequest(method, url, headers=headers)


def _job_path(job_id: str, suffix: str = "") -> str:
    return f"/jobs/{path_segment(job_id)}{suffix}"


def _headers(options: RequestOptions, conditions: Conditions = _NO_CONDITIONS) -> dict[str, str]:
    headers = options.headers()
    headers.update(conditions.headers())
    return headers


# --------------------------------------------------------------------------------------------------
# The 12 operations
# --------------------------------------------------------------------------------------------------


def build_add_request(target: Target, job: Any, options: RequestOptions = _NO_OPTIONS) -> HttpRequest:
    """``POST /jobs`` -- create a job from a ``JobAddParameter`` (or its wire-form mapping)."""
    body = _body("job", job, JobAddParameter)
    gate.check_body(target.api_version, "JobAddParameter", body, "job")
    check.new_job_id("job.id", body.get("id"))
    if not body.get("poolInfo"):
        raise ValueError("job.pool_info is required: give a pool_id or an auto_pool_specification")
    return _json_request("POST", target.url("/jobs", options.query()), options.headers(), body)


def build_delete_request(
    target: Target,
    job_id: Any,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
    *,
    force: Any = None,
) -> HttpRequest:
    """``DELETE /jobs/{jobId}``; ``force=True`` (2024-07-01.20.0 and later) sends ``force=true``."""
    path = _job_path(check.resource_id("job_id", job_id))
    query = _force_query(target, force) + options.query()
    return _empty_request("DELETE", target.url(path, query), _headers(options, conditions))


def build_disable_request(
    target: Target,
    job_id: Any,
    disable_tasks: Any,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
) -> HttpRequest:
    """``POST /jobs/{jobId}/disable`` with what to do with running tasks."""
    path = _job_path(check.resource_id("job_id", job_id), "/disable")
    if not isinstance(disable_tasks, str):
        raise TypeError(
            f"disable_tasks must be a DisableJobOption or str, not {type(disable_tasks).__name__}"
        )
    option = DisableJobOption.lookup(disable_tasks)
    if not isinstance(option, DisableJobOption):
        allowed = ", ".join(repr(o.value) for o in DisableJobOption)
        raise ValueError(f"disable_tasks must be one of {allowed}, got {disable_tasks!r}")
    body = {"disableTasks": option.value}
    return _json_request("POST", target.url(path, options.query()), _headers(options, conditions), body)


def build_enable_request(
    target: Target,
    job_id: Any,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
) -> HttpRequest:
    """``POST /jobs/{jobId}/enable`` (no body)."""
    path = _job_path(check.resource_id("job_id", job_id), "/enable")
    return _empty_request("POST", target.url(path, options.query()), _headers(options, conditions))


def build_get_request(
    target: Target,
    job_id: Any,
    select: Any = None,
    expand: Any = None,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
) -> HttpRequest:
    """``GET /jobs/{jobId}`` with optional ``$select`` / ``$expand``."""
    path = _job_path(check.resource_id("job_id", job_id))
    query = _list_query(select=select, expand=expand) + options.query()
    return _empty_request("GET", target.url(path, query), _headers(options, conditions))


def build_get_task_counts_request(
    target: Target, job_id: Any, options: RequestOptions = _NO_OPTIONS
) -> HttpRequest:
    """``GET /jobs/{jobId}/taskcounts``."""
    path = _job_path(check.resource_id("job_id", job_id), "/taskcounts")
    return _empty_request("GET", target.url(path, options.query()), _headers(options))


def _list_query(
    *,
    filter: Any = None,
    select: Any = None,
    expand: Any = None,
    max_results: Any = None,
    listing: str = "jobs",
) -> list[tuple[str, str]]:
    query: list[tuple[str, str]] = []
    # A str is sent as given; an azbatch.filters expression is first checked against this listing.
    filter_text = filters.filter_text(filter, listing)
    if filter_text is not None:
        if not filter_text.strip():
            raise ValueError("filter must not be blank")
        query.append(("$filter", filter_text))
    select_text = check.name_list("select", select)
    if select_text is not None:
        query.append(("$select", select_text))
    expand_text = check.name_list("expand", expand)
    if expand_text is not None:
        query.append(("$expand", expand_text))
    size = check.max_results(max_results)
    if size is not None:
        query.append(("maxresults", str(size)))
    return query


def build_list_request(
    target: Target,
    filter: Any = None,
    select: Any = None,
    expand: Any = None,
    max_results: Any = None,
    options: RequestOptions = _NO_OPTIONS,
) -> HttpRequest:
    """``GET /jobs``: the first page of the account's jobs."""
    query = (
        _list_query(filter=filter, select=select, expand=expand, max_results=max_results) + options.query()
    )
    return _empty_request("GET", target.url("/jobs", query), _headers(options))


def build_list_from_job_schedule_request(
    target: Target,
    job_schedule_id: Any,
    filter: Any = None,
    select: Any = None,
    expand: Any = None,
    max_results: Any = None,
    options: RequestOptions = _NO_OPTIONS,
) -> HttpRequest:
    """``GET /jobschedules/{jobScheduleId}/jobs``: the first page of a schedule's jobs."""
    schedule = path_segment(check.resource_id("job_schedule_id", job_schedule_id))
    query = (
        _list_query(filter=filter, select=select, expand=expand, max_results=max_results) + options.query()
    )
    return _empty_request("GET", target.url(f"/jobschedules/{schedule}/jobs", query), _headers(options))


def build_list_preparation_and_release_task_status_request(
    target: Target,
    job_id: Any,
    filter: Any = None,
    select: Any = None,
    max_results: Any = None,
    options: RequestOptions = _NO_OPTIONS,
) -> HttpRequest:
    """``GET /jobs/{jobId}/jobpreparationandreleasetaskstatus``: the first page of per-node status."""
    path = _job_path(check.resource_id("job_id", job_id), "/jobpreparationandreleasetaskstatus")
    query = _list_query(
        filter=filter,
        select=select,
        max_results=max_results,
        listing="preparation_and_release_task_status",
    )
    query += options.query()
    return _empty_request("GET", target.url(path, query), _headers(options))


def build_patch_request(
    target: Target,
    job_id: Any,
    job_patch_parameter: Any,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
) -> HttpRequest:
    """``PATCH /jobs/{jobId}``: change only the properties given."""
    path = _job_path(check.resource_id("job_id", job_id))
    body = _update_body("job_patch_parameter", job_patch_parameter, JobPatchParameter)
    gate.check_body(target.api_version, "JobPatchParameter", body, "job_patch_parameter")
    return _json_request("PATCH", target.url(path, options.query()), _headers(options, conditions), body)


def build_terminate_request(
    target: Target,
    job_id: Any,
    terminate_reason: Any = None,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
    *,
    force: Any = None,
) -> HttpRequest:
    """``POST /jobs/{jobId}/terminate``, with a reason when one is given; ``force`` as for delete."""
    path = _job_path(check.resource_id("job_id", job_id), "/terminate")
    reason = check.optional_str("terminate_reason", terminate_reason)
    url = target.url(path, _force_query(target, force) + options.query())
    if reason is None:
        return _empty_request("POST", url, _headers(options, conditions))
    return _json_request("POST", url, _headers(options, conditions), {"terminateReason": reason})


def build_update_request(
    target: Target,
    job_id: Any,
    job_update_parameter: Any,
    options: RequestOptions = _NO_OPTIONS,
    conditions: Conditions = _NO_CONDITIONS,
) -> HttpRequest:
    """``PUT /jobs/{jobId}``: replace every updatable property (omitted ones return to defaults)."""
    path = _job_path(check.resource_id("job_id", job_id))
    body = _update_body("job_update_parameter", job_update_parameter, JobUpdateParameter)
    gate.check_body(target.api_version, "JobUpdateParameter", body, "job_update_parameter")
    if not body.get("poolInfo"):
        raise ValueError("job_update_parameter.pool_info is required: an update replaces the whole job")
    return _json_request("PUT", target.url(path, options.query()), _headers(options, conditions), body)


def build_next_page_request(
    target: Target, next_link: Any, options: RequestOptions = _NO_OPTIONS
) -> HttpRequest:
    """GET the page behind an ``odata.nextLink`` (also what ``by_page(continuation_token=...)`` takes).

    The link is used as the service wrote it, except that the client's api-version replaces any in the
    link. A link to another origin than the client's endpoint is refused: following it would send the
    account's credentials to that host.
    """
    link = check.require_str("continuation_token", next_link)
    parts = urlsplit(link)
    base = urlsplit(target.endpoint)
    if (parts.scheme.lower(), (parts.netloc or "").lower()) != (base.scheme.lower(), base.netloc.lower()):
        raise ValueError("continuation_token (odata.nextLink) must point at the client's endpoint")
    kept = [p for p in parts.query.split("&") if p and not p.lower().startswith("api-version=")]
    kept.insert(0, "api-version=" + quote(target.api_version, safe=""))
    for name, value in target.spelled(options.query()):
        # The service's link does not always repeat the caller's server timeout; every page gets it.
        if not any(p.lower().startswith(name.lower() + "=") for p in kept):
            kept.append(f"{name}={quote(value, safe='')}")
    url = f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(kept)}"
    headers = options.headers()
    headers.pop(HEADER_CLIENT_REQUEST_ID, None)  # every page is its own request and gets its own id
    return _empty_request("GET", url, headers)
