"""The aiohttp application: Batch job routes, the admin API, and the middleware around them.

Middleware, outermost first:

1. error boundary: gives every response a fresh ``request-id`` (and the echoed ``client-request-id`` when
   asked), turns :class:`BatchApiError`, :class:`AuthError` and aiohttp's HTTP errors into Batch error
   bodies, logs and hides anything unexpected behind a 500 ``InternalError``, and records the request;
2. fault injection (:mod:`._faults`);
3. access control: the admin API answers loopback callers only (403 otherwise); everything else except
   the token route goes through authentication (:class:`EmulatorAuth`).

Batch handlers then check the query (``api-version`` and the parameters each operation takes), the
``Content-Length`` of writes, the conditional headers, and the JSON body, before calling the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import threading
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware
from aiohttp.web_protocol import RequestPayloadError

from . import _errors as err
from ._auth import AuthError, EmulatorAuth
from ._errors import BatchApiError
from ._faults import FaultInjector, FaultRule, normalize_operation
from ._http import DATA_SERVICE_VERSION, JSON_CONTENT_TYPE, request_timeout_error
from ._net import is_loopback_address
from ._odata import FilterError, Predicate, compile_filter, parse_expand, parse_select, project
from ._paging import SKIPTOKEN, TokenError, decode_token, encode_token, next_link
from ._store import (
    JOB_FILTER_FIELDS,
    JOB_PROPERTIES,
    PREP_RELEASE_FILTER_FIELDS,
    PREP_RELEASE_PROPERTIES,
    EmulatorStore,
    Page,
    WriteResult,
)
from ._time import TICKS_PER_SECOND, format_datetime, format_http_date, now_ticks, parse_http_date
from ._versions import has_force_flag, put_takes_full_job

logger = logging.getLogger("azbatch.emulator")

TOKEN_OPERATION = "ManagedIdentity_GetToken"
"""Operation name of the managed-identity token route in the request log and in fault rules."""

ADMIN_PREFIX = "/_emulator"
"""Path prefix of the admin API; Batch has no path starting with an underscore, so nothing can clash."""

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REQUEST_ID = web.RequestKey("request_id", str)
_FAULT = web.RequestKey("fault", str)
_BODY_TIMEOUT = web.AppKey("body_timeout", float)
_COMMON_QUERY = frozenset({"api-version", "timeout"})
_LIST_QUERY = _COMMON_QUERY | {"$filter", "$select", "$expand", "maxresults", SKIPTOKEN}


# ------------------------------------------------------------------------------------------ request log


class RequestLog:
    """Counts of the requests the emulator answered, by operation and status, plus the latest few.

    Admin API calls are not recorded. A status of 0 stands for a connection reset on purpose by a fault.
    """

    def __init__(self, keep: int = 500) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, int]] = Counter()
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)

    def record(self, method: str, path: str, operation: str | None, status: int, fault: str | None) -> None:
        """Count one request."""
        with self._lock:
            self._counts[(operation or "<unmatched>", status)] += 1
            self._recent.append(
                {"method": method, "path": path, "operation": operation, "status": status, "fault": fault}
            )

    def count(self, operation: str | None = None, status: int | None = None) -> int:
        """How many requests had ``operation`` (an operationId or short name) and/or ``status``."""
        op = normalize_operation(operation) if operation is not None else None
        with self._lock:
            return sum(
                n
                for (o, s), n in self._counts.items()
                if (op is None or o == op) and (status is None or s == status)
            )

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready counts and recent entries (what ``GET /_emulator/requests`` returns)."""
        with self._lock:
            by_operation: Counter[str] = Counter()
            by_status: Counter[str] = Counter()
            for (o, s), n in self._counts.items():
                by_operation[o] += n
                by_status[str(s)] += n
            return {
                "total": sum(self._counts.values()),
                "byOperation": dict(by_operation),
                "byStatus": dict(sorted(by_status.items())),
                "recent": list(self._recent),
            }

    def reset(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._counts.clear()
            self._recent.clear()


# ----------------------------------------------------------------------------------- response helpers


def _base_url(request: web.Request) -> str:
    # Built from the request's own Host, so URLs in bodies and next links work through any address/port.
    return f"{request.scheme}://{request.host}"


def _json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return web.Response(
        status=status, body=data, headers={"Content-Type": JSON_CONTENT_TYPE, **(headers or {})}
    )


def _error_response(request: web.Request, error: BatchApiError) -> web.Response:
    body = err.error_body(_base_url(request), error, request[_REQUEST_ID], format_datetime(now_ticks()))
    headers = dict(error.headers)
    close = headers.pop("Connection", "").lower() == "close"
    response = _json_response(error.status, body, headers)
    if close:
        # aiohttp writes "Connection: close" itself and then really closes the connection.
        response.force_close()
    return response


def _common_headers(request: web.Request) -> dict[str, str]:
    headers = {"request-id": request[_REQUEST_ID]}
    client_id = request.headers.get("client-request-id")
    if (
        client_id is not None
        and request.headers.get("return-client-request-id", "").strip().lower() == "true"
    ):
        headers["client-request-id"] = client_id
    return headers


def _write_headers(result: WriteResult, job_url: str) -> dict[str, str]:
    return {
        "ETag": result.etag,
        "Last-Modified": format_http_date(result.last_modified),
        "DataServiceId": job_url,
    }


def _job_url(request: web.Request, job_id: str) -> str:
    return f"{_base_url(request)}/jobs/{quote(job_id, safe='')}"


def _abort_connection(request: web.Request) -> None:
    """Close the client connection with a TCP reset (SO_LINGER 0) instead of an orderly FIN."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # A plain close still breaks the exchange if the option cannot be set.
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


# ---------------------------------------------------------------------------------------- conditions


class _NotModified(Exception):
    def __init__(self, etag: str, last_modified: int) -> None:
        super().__init__("not modified")
        self.etag = etag
        self.last_modified = last_modified


@dataclass(frozen=True)
class _Conditions:
    if_match: tuple[str, ...] | None
    if_none_match: tuple[str, ...] | None
    if_modified_since: int | None
    if_unmodified_since: int | None

    def checker(self, *, read: bool) -> Callable[[str, int], None] | None:
        if (self.if_match, self.if_none_match, self.if_modified_since, self.if_unmodified_since) == (
            None,
        ) * 4:
            return None

        def check(etag: str, last_modified: int) -> None:
            # HTTP dates have whole seconds, so compare the job's time truncated to seconds.
            modified = last_modified - last_modified % TICKS_PER_SECOND
            if self.if_match is not None and "*" not in self.if_match and etag not in self.if_match:
                raise err.condition_not_met()
            if self.if_unmodified_since is not None and modified > self.if_unmodified_since:
                raise err.condition_not_met()
            if self.if_none_match is not None:
                if "*" in self.if_none_match or etag in self.if_none_match:
                    if read:
                        raise _NotModified(etag, last_modified)
                    raise err.condition_not_met()
            elif self.if_modified_since is not None and modified <= self.if_modified_since:
                # RFC 9110: If-Modified-Since is ignored when If-None-Match is present.
                if read:
                    raise _NotModified(etag, last_modified)
                raise err.condition_not_met()

        return check


def _etags(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    tags = []
    for part in value.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        # The service's ETags are unquoted; accept quoted ones as well.
        tags.append(tag.strip('"'))
    return tuple(tags)


def _date_header(request: web.Request, name: str) -> int | None:
    value = request.headers.get(name)
    if value is None:
        return None
    try:
        return parse_http_date(value)
    except ValueError:
        raise err.invalid_header(name, value) from None


def _conditions(request: web.Request) -> _Conditions:
    return _Conditions(
        _etags(request.headers.get("If-Match")),
        _etags(request.headers.get("If-None-Match")),
        _date_header(request, "If-Modified-Since"),
        _date_header(request, "If-Unmodified-Since"),
    )


# ------------------------------------------------------------------------------------- request checks


def _query(request: web.Request, allowed: frozenset[str]) -> dict[str, str]:
    """The query as a dict with lower-cased names, after checking api-version and unknown names."""
    params: dict[str, str] = {}
    for name, value in request.rel_url.query.items():
        lowered = name.lower()
        if lowered not in allowed:
            raise err.unsupported_query(name)
        params.setdefault(lowered, value)
    if not params.get("api-version"):
        raise err.missing_query("api-version")
    if "timeout" in params:
        try:
            int(params["timeout"])
        except ValueError:
            raise err.invalid_query(
                "timeout", params["timeout"], "expected an integer number of seconds"
            ) from None
    return params


def _check_force(params: Mapping[str, str]) -> None:
    """``force`` (delete, terminate) exists from api-version 2024-07-01.20.0 on; older ones refuse it."""
    value = params.get("force")
    if value is None:
        return
    if not has_force_flag(params["api-version"]):
        raise err.unsupported_query("force")
    if value.lower() not in ("true", "false"):
        raise err.invalid_query("force", value, "expected true or false")


def _require_content_length(request: web.Request) -> None:
    if request.method in ("POST", "PUT", "PATCH") and "Content-Length" not in request.headers:
        raise err.missing_content_length()


def _reject_nan(token: str) -> Any:
    raise ValueError(f"{token} is not valid JSON")


async def read_body(request: web.Request) -> bytes:
    """The request body, or 408 ``RequestTimeout`` (closing the connection) if it is not all there in time.

    aiohttp waits for a body as long as the client keeps the connection open; a client that sends half
    a body and stalls would otherwise hold its handler (and the emulator's shutdown) indefinitely.
    """
    try:
        return await asyncio.wait_for(request.read(), request.app[_BODY_TIMEOUT])
    except asyncio.TimeoutError:
        raise request_timeout_error("body") from None
    except ConnectionError:
        # The client went away mid-body: nobody to answer, nothing to log as an emulator error.
        raise asyncio.CancelledError() from None
    except (RequestPayloadError, HttpProcessingError):
        # A body aiohttp cannot decode (bad gzip/deflate data, a broken chunk): the client's fault.
        raise BatchApiError(
            400,
            "InvalidRequestBody",
            "The request body could not be decoded.",
            [("Reason", "the body does not match its Content-Encoding or transfer coding")],
            headers={"Connection": "close"},
        ) from None


async def _read_json(request: web.Request, *, required: bool) -> dict[str, Any]:
    raw = await read_body(request)
    if not raw.strip():
        if required:
            raise err.invalid_body("the request body is empty")
        return {}
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_nan)
    except (UnicodeDecodeError, ValueError) as exc:
        raise err.invalid_body(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise err.invalid_body("the JSON is nested too deeply") from None
    if not isinstance(data, dict):
        raise err.invalid_body("the body must be a JSON object")
    return data


def _max_results(params: Mapping[str, str]) -> int:
    raw = params.get("maxresults")
    if raw is None:
        return 1000
    try:
        value = int(raw)
    except ValueError:
        raise err.invalid_query("maxresults", raw, "expected an integer") from None
    if not 1 <= value <= 1000:
        raise err.out_of_range_query("maxresults", raw, 1, 1000)
    return value


def _filter(params: Mapping[str, str], fields: Mapping[str, Any]) -> Predicate | None:
    text = params.get("$filter")
    if text is None:
        return None
    try:
        return compile_filter(text, fields)
    except FilterError as exc:
        raise err.invalid_query("$filter", text, str(exc)) from None


def _select(params: Mapping[str, str], allowed: tuple[str, ...]) -> list[tuple[str, ...]] | None:
    text = params.get("$select")
    if text is None:
        return None
    try:
        return parse_select(text, allowed)
    except FilterError as exc:
        raise err.invalid_query("$select", text, str(exc)) from None


def _expand_stats(params: Mapping[str, str]) -> bool:
    text = params.get("$expand")
    if text is None:
        return False
    try:
        return "stats" in parse_expand(text, ("stats",))
    except FilterError as exc:
        raise err.invalid_query("$expand", text, str(exc)) from None


def _after(params: Mapping[str, str], listing: str) -> str | None:
    token = params.get(SKIPTOKEN)
    if token is None:
        return None
    try:
        return decode_token(token, listing)
    except TokenError as exc:
        raise err.invalid_query(SKIPTOKEN, token, str(exc)) from None


# -------------------------------------------------------------------------------------- the Batch API


class _BatchApi:
    """Handlers of the 12 job operations."""

    def __init__(self, store: EmulatorStore) -> None:
        self.store = store

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/jobs", self.add, name="Job_Add"),
            web.get("/jobs", self.list_jobs, name="Job_List", allow_head=False),
            web.get("/jobs/{jobId}", self.get, name="Job_Get", allow_head=False),
            web.delete("/jobs/{jobId}", self.delete, name="Job_Delete"),
            web.patch("/jobs/{jobId}", self.patch, name="Job_Patch"),
            web.put("/jobs/{jobId}", self.update, name="Job_Update"),
            web.post("/jobs/{jobId}/disable", self.disable, name="Job_Disable"),
            web.post("/jobs/{jobId}/enable", self.enable, name="Job_Enable"),
            web.post("/jobs/{jobId}/terminate", self.terminate, name="Job_Terminate"),
            web.get("/jobs/{jobId}/taskcounts", self.task_counts, name="Job_GetTaskCounts", allow_head=False),
            web.get(
                "/jobs/{jobId}/jobpreparationandreleasetaskstatus",
                self.prep_release,
                name="Job_ListPreparationAndReleaseTaskStatus",
                allow_head=False,
            ),
            web.get(
                "/jobschedules/{jobScheduleId}/jobs",
                self.list_from_schedule,
                name="Job_ListFromJobSchedule",
                allow_head=False,
            ),
        ]

    async def add(self, request: web.Request) -> web.StreamResponse:
        params = _query(request, _COMMON_QUERY)
        _require_content_length(request)
        body = await _read_json(request, required=True)
        result = self.store.add_job(body, api_version=params["api-version"])
        url = _job_url(request, result.job_id)
        return web.Response(status=201, headers={**_write_headers(result, url), "Location": url})

    async def get(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        params = _query(request, _COMMON_QUERY | {"$select", "$expand"})
        select = _select(params, JOB_PROPERTIES)
        expand = _expand_stats(params)
        check = _conditions(request).checker(read=True)
        snap = self.store.get_job(job_id, base_url=_base_url(request), expand_stats=expand, check=check)
        body: dict[str, Any] = {"odata.metadata": f"{_base_url(request)}/$metadata#jobs/@Element"}
        body.update(project(snap.document, select) if select is not None else snap.document)
        headers = {"ETag": snap.etag, "Last-Modified": format_http_date(snap.last_modified)}
        return _json_response(200, body, headers)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        _check_force(_query(request, _COMMON_QUERY | {"force"}))
        check = _conditions(request).checker(read=False)
        self.store.delete_job(job_id, check=check)
        return web.Response(status=202)

    async def disable(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        _query(request, _COMMON_QUERY)
        _require_content_length(request)
        check = _conditions(request).checker(read=False)
        body = await _read_json(request, required=True)
        result = self.store.disable_job(job_id, body, check=check)
        return web.Response(status=202, headers=_write_headers(result, _job_url(request, result.job_id)))

    async def enable(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        _query(request, _COMMON_QUERY)
        _require_content_length(request)
        check = _conditions(request).checker(read=False)
        await read_body(request)  # no body is defined; whatever was sent is ignored
        result = self.store.enable_job(job_id, check=check)
        return web.Response(status=202, headers=_write_headers(result, _job_url(request, result.job_id)))

    async def terminate(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        # There are no tasks or nodes to wait for, so a valid "force" changes nothing.
        _check_force(_query(request, _COMMON_QUERY | {"force"}))
        _require_content_length(request)
        check = _conditions(request).checker(read=False)
        body = await _read_json(request, required=False)
        result = self.store.terminate_job(job_id, body, check=check)
        return web.Response(status=202, headers=_write_headers(result, _job_url(request, result.job_id)))

    async def patch(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        params = _query(request, _COMMON_QUERY)
        _require_content_length(request)
        check = _conditions(request).checker(read=False)
        body = await _read_json(request, required=True)
        result = self.store.patch_job(job_id, body, check=check, api_version=params["api-version"])
        return web.Response(status=200, headers=_write_headers(result, _job_url(request, result.job_id)))

    async def update(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        params = _query(request, _COMMON_QUERY)
        _require_content_length(request)
        check = _conditions(request).checker(read=False)
        body = await _read_json(request, required=True)
        full_model = put_takes_full_job(params["api-version"])
        result = self.store.update_job(
            job_id, body, check=check, with_id=full_model, api_version=params["api-version"]
        )
        return web.Response(status=200, headers=_write_headers(result, _job_url(request, result.job_id)))

    async def task_counts(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        _query(request, _COMMON_QUERY)
        counts = self.store.get_task_counts(job_id)
        body = {"odata.metadata": f"{_base_url(request)}/$metadata#taskcountsresult/@Element", **counts}
        return _json_response(200, body)

    async def list_jobs(self, request: web.Request) -> web.StreamResponse:
        return await self._list_jobs(request, None)

    async def list_from_schedule(self, request: web.Request) -> web.StreamResponse:
        return await self._list_jobs(request, request.match_info["jobScheduleId"])

    async def _list_jobs(self, request: web.Request, schedule_id: str | None) -> web.StreamResponse:
        params = _query(request, _LIST_QUERY)
        listing = "jobs" if schedule_id is None else f"jobschedule:{schedule_id.lower()}"
        limit = _max_results(params)
        predicate = _filter(params, JOB_FILTER_FIELDS)
        select = _select(params, JOB_PROPERTIES)
        expand = _expand_stats(params)
        after = _after(params, listing)
        page = self.store.list_jobs(
            predicate=predicate,
            after=after,
            limit=limit,
            expand_stats=expand,
            schedule_id=schedule_id,
            base_url=_base_url(request),
        )
        return self._page_response(request, page, listing, select, "jobs")

    async def prep_release(self, request: web.Request) -> web.StreamResponse:
        job_id = request.match_info["jobId"]
        params = _query(request, _LIST_QUERY - {"$expand"})
        listing = f"jobprep:{job_id.lower()}"
        limit = _max_results(params)
        predicate = _filter(params, PREP_RELEASE_FILTER_FIELDS)
        select = _select(params, PREP_RELEASE_PROPERTIES)
        after = _after(params, listing)
        page = self.store.list_prep_release_status(
            job_id, predicate=predicate, after=after, limit=limit, base_url=_base_url(request)
        )
        return self._page_response(request, page, listing, select, "jobpreparationandreleasetaskstatuslist")

    def _page_response(
        self,
        request: web.Request,
        page: Page,
        listing: str,
        select: list[tuple[str, ...]] | None,
        metadata_name: str,
    ) -> web.StreamResponse:
        items = page.items if select is None else [project(item, select) for item in page.items]
        body: dict[str, Any] = {
            "odata.metadata": f"{_base_url(request)}/$metadata#{metadata_name}",
            "value": items,
        }
        if page.next_after is not None:
            token = encode_token(listing, page.next_after)
            body["odata.nextLink"] = next_link(
                _base_url(request), request.rel_url.raw_path, request.rel_url.query.items(), token
            )
        return _json_response(200, body)


# -------------------------------------------------------------------------------------- the admin API


class _AdminApi:
    """JSON endpoints under :data:`ADMIN_PREFIX` for seeding and observing the emulator."""

    def __init__(
        self, store: EmulatorStore, faults: FaultInjector, log: RequestLog, info: Callable[[], dict[str, Any]]
    ) -> None:
        self.store = store
        self.faults = faults
        self.log = log
        self.info = info

    def routes(self) -> list[web.RouteDef]:
        p = ADMIN_PREFIX
        return [
            web.get(f"{p}/info", self.get_info, allow_head=False),
            web.post(f"{p}/reset", self.reset),
            web.put(f"{p}/config", self.config),
            web.post(f"{p}/jobschedules", self.add_schedule),
            web.post(f"{p}/jobs", self.seed_job),
            web.put(f"{p}/jobs/{{jobId}}/state", self.force_state),
            web.put(f"{p}/jobs/{{jobId}}/taskcounts", self.task_counts),
            web.put(f"{p}/jobs/{{jobId}}/taskcounts/timeline", self.task_count_timeline),
            web.post(f"{p}/jobs/{{jobId}}/taskcounts/step", self.step_task_counts),
            web.put(f"{p}/jobs/{{jobId}}/jobpreparationandreleasetaskstatus", self.prep_release),
            web.get(f"{p}/faults", self.list_faults, allow_head=False),
            web.post(f"{p}/faults", self.add_fault),
            web.delete(f"{p}/faults", self.clear_faults),
            web.get(f"{p}/requests", self.requests, allow_head=False),
            web.delete(f"{p}/requests", self.reset_requests),
        ]

    async def get_info(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.info())

    async def reset(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=False)
        self.store.reset()
        if body.get("faults", True):
            self.faults.clear()
        if body.get("requests", True):
            self.log.reset()
        return web.json_response({"reset": True})

    async def config(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        if "transitionMs" in body:
            value = body["transitionMs"]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise err.invalid_property("transitionMs", value, "expected a non-negative integer")
            self.store.transition_ms = value
        if "pageScanLimit" in body:
            limit = body["pageScanLimit"]
            if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
                raise err.invalid_property("pageScanLimit", limit, "expected null or a positive integer")
            self.store.page_scan_limit = limit
        if "seed" in body:
            seed = body["seed"]
            if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
                raise err.invalid_property("seed", seed, "expected null or an integer")
            self.faults.reseed(seed)
        return web.json_response(
            {"transitionMs": self.store.transition_ms, "pageScanLimit": self.store.page_scan_limit}
        )

    async def add_schedule(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        if body.get("id") is None:
            raise err.missing_property("id")
        self.store.add_job_schedule(str(body["id"]))
        return web.json_response({"id": body["id"]}, status=201)

    async def seed_job(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        job = body.get("job")
        if not isinstance(job, dict):
            raise err.missing_property("job")
        result = self.store.seed_job(
            job,
            schedule_id=_optional_string(body, "jobScheduleId"),
            state=_optional_string(body, "state"),
            terminate_reason=_optional_string(body, "terminateReason"),
        )
        return web.json_response({"id": result.job_id, "eTag": result.etag}, status=201)

    async def force_state(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        if body.get("state") is None:
            raise err.missing_property("state")
        result = self.store.force_state(
            request.match_info["jobId"],
            str(body["state"]),
            terminate_reason=_optional_string(body, "terminateReason"),
        )
        return web.json_response({"id": result.job_id, "eTag": result.etag})

    async def task_counts(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        counts = self.store.set_task_counts(
            request.match_info["jobId"], body.get("taskCounts"), body.get("taskSlotCounts")
        )
        return web.json_response(counts)

    async def task_count_timeline(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        steps = body.get("steps")
        if not isinstance(steps, list):
            raise err.missing_property("steps")
        replace = body.get("replace", True)
        if not isinstance(replace, bool):
            raise err.invalid_property("replace", replace, "expected true or false")
        counts = self.store.set_task_count_timeline(request.match_info["jobId"], steps, replace=replace)
        return web.json_response(counts)

    async def step_task_counts(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=False)
        counts = self.store.step_task_counts(request.match_info["jobId"], body.get("steps", 1))
        return web.json_response(counts)

    async def prep_release(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        entries = body.get("value")
        if not isinstance(entries, list):
            raise err.missing_property("value")
        count = self.store.set_prep_release_status(
            request.match_info["jobId"], entries, replace=bool(body.get("replace", True))
        )
        return web.json_response({"count": count})

    async def list_faults(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"rules": [rule.to_dict() for rule in self.faults.rules]})

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        body = await _read_json(request, required=True)
        try:
            rule = self.faults.add_from_dict(body)
        except ValueError as exc:
            raise err.invalid_property("rule", body, str(exc)) from None
        return web.json_response(rule.to_dict(), status=201)

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.faults.clear()
        return web.json_response({"rules": []})

    async def requests(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(self.log.snapshot())

    async def reset_requests(self, request: web.Request) -> web.StreamResponse:
        self.log.reset()
        return web.json_response({"total": 0})


def _optional_string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise err.invalid_property(name, value, "expected a string")
    return value


# ---------------------------------------------------------------------------------------- middleware


def is_admin_request(request: web.Request) -> bool:
    """True for a request to the admin API: its path, or the route it matched, is under ``/_emulator``."""
    path = request.path
    if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
        return True
    resource = getattr(request.match_info.route, "resource", None)
    canonical = getattr(resource, "canonical", None)
    return isinstance(canonical, str) and canonical.startswith(ADMIN_PREFIX + "/")


def check_admin_caller(request: web.Request) -> None:
    """Raise 403 ``InsufficientAccountPermissions`` unless the TCP peer of ``request`` is loopback.

    ``request.remote`` is the socket's peer address (aiohttp only changes it when a middleware clones the
    request with another ``remote``); forwarding headers are not trusted.
    """
    if not is_loopback_address(request.remote):
        raise err.admin_not_local(request.remote)


def _operation(request: web.Request, token_path: str) -> str | None:
    """The operationId the request was routed to (None for the admin API and unknown routes)."""
    if request.path == token_path:
        return TOKEN_OPERATION
    route = request.match_info.route
    name = getattr(route, "name", None)
    return name if isinstance(name, str) else None


def _http_error(exc: web.HTTPException) -> BatchApiError:
    """Translate aiohttp's own errors (no route, wrong method, oversized body) into Batch errors."""
    if exc.status == 404:
        return BatchApiError(404, "ResourceNotFound", "No resource exists at this path.")
    if exc.status == 405:
        allowed = sorted(getattr(exc, "allowed_methods", ()) or ())
        error = BatchApiError(
            405,
            "UnsupportedHttpVerb",
            "This path does not support the HTTP method used.",
            [("HttpVerb", getattr(exc, "method", "")), ("AllowedVerbs", ", ".join(allowed))],
        )
        error.headers["Allow"] = ", ".join(allowed)
        return error
    if exc.status == 413:
        return BatchApiError(
            413, "RequestBodyTooLarge", "The request body is larger than the service accepts."
        )
    return BatchApiError(exc.status, exc.reason.replace(" ", ""), exc.text or exc.reason)


def _make_middlewares(faults: FaultInjector, auth: EmulatorAuth, log: RequestLog) -> list[Middleware]:
    @web.middleware
    async def boundary(request: web.Request, handler: _Handler) -> web.StreamResponse:
        request[_REQUEST_ID] = str(uuid.uuid4())
        operation = _operation(request, auth.identity_endpoint_path)
        admin = is_admin_request(request)
        try:
            try:
                response = await handler(request)
            except _NotModified as nm:
                response = web.Response(
                    status=304,
                    headers={"ETag": nm.etag, "Last-Modified": format_http_date(nm.last_modified)},
                )
            except AuthError as exc:
                response = _error_response(
                    request, BatchApiError(exc.status, exc.code, exc.message, exc.values)
                )
            except BatchApiError as exc:
                response = _error_response(request, exc)
            except web.HTTPException as exc:
                response = _error_response(request, _http_error(exc))
        except asyncio.CancelledError:
            if not admin:
                log.record(request.method, request.path, operation, 0, request.get(_FAULT))
            raise
        except Exception:
            logger.exception("unexpected error while handling %s %s", request.method, request.path_qs)
            response = _error_response(request, err.internal_error())
        if not response.prepared:
            response.headers.update(_common_headers(request))
            if not admin and operation != TOKEN_OPERATION:
                response.headers["DataServiceVersion"] = DATA_SERVICE_VERSION
        if not admin:
            log.record(request.method, request.path, operation, response.status, request.get(_FAULT))
        return response

    @web.middleware
    async def inject(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if is_admin_request(request):
            return await handler(request)
        rule = faults.pick(request.method, request.path, _operation(request, auth.identity_endpoint_path))
        if rule is None:
            return await handler(request)
        request[_FAULT] = rule.kind + ("+after_commit" if rule.after_commit else "")
        return await _apply_fault(request, handler, rule)

    @web.middleware
    async def guard(request: web.Request, handler: _Handler) -> web.StreamResponse:
        if is_admin_request(request):
            check_admin_caller(request)
        elif request.path != auth.identity_endpoint_path:
            auth.verify(request)
        return await handler(request)

    return [boundary, inject, guard]


async def _commit(request: web.Request, handler: _Handler) -> Callable[[], web.StreamResponse]:
    """Run the operation to completion; return what answers it (its response, or re-raising its error)."""
    try:
        response = await handler(request)
    except (BatchApiError, AuthError, _NotModified, web.HTTPException) as exc:
        error = exc

        def fail() -> web.StreamResponse:
            raise error

        return fail
    return lambda: response


async def _apply_fault(request: web.Request, handler: _Handler, rule: FaultRule) -> web.StreamResponse:
    kind = rule.kind
    if rule.after_commit and kind != "reset_after":
        # The operation takes effect first; the fault below only decides what happens to its answer.
        answer = await _commit(request, handler)
        if kind == "delay":
            await asyncio.sleep(rule.delay_ms / 1000)
            return answer()
        # The other kinds below answer without calling the handler again.
    retry = rule.retry_headers()
    if kind == "throttle":
        raise BatchApiError(
            429,
            "TooManyRequests",
            "The account has sent too many requests; retry after a pause.",
            headers=retry,
        )
    if kind == "busy":
        raise BatchApiError(
            503,
            "ServerBusy",
            "The server is currently unable to receive requests; retry later.",
            headers=retry,
        )
    if kind == "internal_error":
        raise err.internal_error()
    if kind == "reset_before":
        _abort_connection(request)
        # The same path aiohttp takes when a client goes away: nothing more is written for this request.
        raise asyncio.CancelledError()
    if kind == "delay":
        await asyncio.sleep(rule.delay_ms / 1000)
        return await handler(request)
    # reset_after: produce the real answer, send its head and half of its body, then reset.
    try:
        response = await handler(request)
    except BatchApiError as exc:
        response = _error_response(request, exc)
    body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b""
    declared = len(body) if len(body) >= 2 else len(body) + 16  # a body-less answer still gets cut short
    partial = web.StreamResponse(status=response.status, headers=response.headers)
    partial.headers.update(_common_headers(request))
    partial.headers["DataServiceVersion"] = DATA_SERVICE_VERSION
    partial.content_length = declared
    await partial.prepare(request)
    await partial.write(body[: declared // 2])
    if rule.delay_ms:
        await asyncio.sleep(rule.delay_ms / 1000)
    _abort_connection(request)
    raise asyncio.CancelledError()


# ---------------------------------------------------------------------------------------------- factory


def create_app(
    store: EmulatorStore,
    faults: FaultInjector,
    auth: EmulatorAuth,
    log: RequestLog,
    *,
    info: Callable[[], dict[str, Any]] | None = None,
    body_timeout: float = 30.0,
) -> web.Application:
    """Build the emulator's aiohttp application around the given store, faults, auth and request log.

    ``body_timeout`` is how many seconds a handler waits for a request body before answering 408.
    """
    app = web.Application(middlewares=_make_middlewares(faults, auth, log))
    app[_BODY_TIMEOUT] = float(body_timeout)
    auth.add_routes(app)
    app.add_routes(_BatchApi(store).routes())
    app.add_routes(_AdminApi(store, faults, log, info or dict).routes())
    return app
