"""Inputs that could misroute a request or hide a mistake are refused (or encoded) before any I/O.

Covers the ids that land in URL paths, the client's endpoint, plain http with a credential, and every
float-valued argument (``polling_interval``, the httpx transports' per-call timeouts).
"""

from __future__ import annotations

import asyncio
import math
import warnings
from collections.abc import Callable
from fractions import Fraction
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
import requests
import yarl
from azure.core.credentials import AccessToken, AzureNamedKeyCredential
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import HttpRequest

import azbatch
import azbatch.aio
from azbatch import models
from azbatch._protocol import _requests as rq
from azbatch._protocol import _validation as check
from azbatch.transports import AsyncHttpXTransport, HttpXTransport

TARGET = rq.Target.create("https://acct.westus.batch.azure.com", "2024-02-01.19.0")
ENDPOINT = "https://acct.westus.batch.azure.com"
KEY = AzureNamedKeyCredential("acct", "c2VjcmV0")
PASSWORD = "hunter2-Pa55"


def _pool() -> models.JobPatchParameter:
    return models.JobPatchParameter(priority=1)


# Every builder whose URL path carries an id, called with that id; the name the error must give.
PATH_BUILDERS: list[tuple[str, Callable[[Any], HttpRequest]]] = [
    ("job_id", lambda i: rq.build_get_request(TARGET, i)),
    ("job_id", lambda i: rq.build_delete_request(TARGET, i)),
    ("job_id", lambda i: rq.build_disable_request(TARGET, i, "requeue")),
    ("job_id", lambda i: rq.build_enable_request(TARGET, i)),
    ("job_id", lambda i: rq.build_get_task_counts_request(TARGET, i)),
    ("job_id", lambda i: rq.build_list_preparation_and_release_task_status_request(TARGET, i)),
    ("job_id", lambda i: rq.build_patch_request(TARGET, i, _pool())),
    ("job_id", lambda i: rq.build_terminate_request(TARGET, i)),
    (
        "job_id",
        lambda i: rq.build_update_request(
            TARGET, i, models.JobUpdateParameter(pool_info=models.PoolInformation(pool_id="p"))
        ),
    ),
    ("job_schedule_id", lambda i: rq.build_list_from_job_schedule_request(TARGET, i)),
]
PATH_BUILDER_IDS = [f"{name}-{n}" for n, (name, _) in enumerate(PATH_BUILDERS)]


def _segments(request: HttpRequest) -> list[str]:
    return urlsplit(request.url).path.split("/")


# ------------------------------------------------------------------------------------------ ids


@pytest.mark.parametrize(("name", "build"), PATH_BUILDERS, ids=PATH_BUILDER_IDS)
@pytest.mark.parametrize("dots", [".", ".."])
def test_dot_segment_ids_are_refused_naming_the_parameter(
    name: str, build: Callable[[Any], HttpRequest], dots: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must not be '\.{{1,2}}'"):
        build(dots)


@pytest.mark.parametrize(("name", "build"), PATH_BUILDERS, ids=PATH_BUILDER_IDS)
@pytest.mark.parametrize(
    "bad",
    [
        "a\nb",
        "tab\there",
        "nul\x00",
        "del\x7f",
        "c1\x85",
        "semi;colon",
        "a=b",
        "a&b",
        "it's",
        "(x)",
        "a,b",
        "!",
        "$",
        "*",
    ],
)
def test_ids_with_unsendable_characters_are_refused(
    name: str, build: Callable[[Any], HttpRequest], bad: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must not contain") as caught:
        build(bad)
    # The offending character is shown escaped, never raw (a newline would forge a log line).
    assert "\n" not in str(caught.value) and "\x00" not in str(caught.value)


@pytest.mark.parametrize(("name", "build"), PATH_BUILDERS, ids=PATH_BUILDER_IDS)
def test_lone_surrogates_are_refused(name: str, build: Callable[[Any], HttpRequest]) -> None:
    with pytest.raises(ValueError, match=rf"^{name} contains a lone surrogate"):
        build("job\ud800")


@pytest.mark.parametrize(("name", "build"), PATH_BUILDERS, ids=PATH_BUILDER_IDS)
def test_ids_keep_their_type_and_length_checks(name: str, build: Callable[[Any], HttpRequest]) -> None:
    with pytest.raises(TypeError, match=name):
        build(7)
    with pytest.raises(ValueError, match=name):
        build("")
    with pytest.raises(ValueError, match=rf"{name} must be at most 64"):
        build("j" * 65)
    build("j" * 64)  # the limit itself is fine


# id -> its exact path segment. Unreserved characters, ":" (ids of jobs a schedule made) and "@" are
# sent as they are; everything that could end or escape the segment is percent-encoded.
ENCODED_IDS = {
    "job-1_A": "job-1_A",
    "sched-1:job-7": "sched-1:job-7",
    "a.b~c@d": "a.b~c@d",
    "...": "...",
    ".hidden": ".hidden",
    "a/b": "a%2Fb",
    "..%2F..": "..%252F..",
    "a\\b": "a%5Cb",
    "q?x": "q%3Fx",
    "frag#1": "frag%231",
    "100%": "100%25",
    "%2e%2e": "%252e%252e",
    "sp ace": "sp%20ace",
    " lead": "%20lead",
    "plus+sign": "plus%2Bsign",
    "br[a]ce{s}": "br%5Ba%5Dce%7Bs%7D",
    'quo"te<>|^`': "quo%22te%3C%3E%7C%5E%60",
    "é-ü": "%C3%A9-%C3%BC",
    "日本": "%E6%97%A5%E6%9C%AC",
}


@pytest.mark.parametrize(("job_id", "segment"), ENCODED_IDS.items(), ids=list(ENCODED_IDS))
def test_job_ids_are_one_exact_path_segment(job_id: str, segment: str) -> None:
    for suffix, request in [
        ("", rq.build_get_request(TARGET, job_id)),
        ("/terminate", rq.build_terminate_request(TARGET, job_id)),
        ("/taskcounts", rq.build_get_task_counts_request(TARGET, job_id)),
    ]:
        parts = urlsplit(request.url)
        assert parts.path == f"/jobs/{segment}{suffix}"
        assert parts.query.startswith("api-version=") and not parts.fragment
        assert unquote(_segments(request)[2]) == job_id


@pytest.mark.parametrize(("schedule_id", "segment"), ENCODED_IDS.items(), ids=list(ENCODED_IDS))
def test_schedule_ids_are_one_exact_path_segment(schedule_id: str, segment: str) -> None:
    request = rq.build_list_from_job_schedule_request(TARGET, schedule_id)
    assert urlsplit(request.url).path == f"/jobschedules/{segment}/jobs"


@pytest.mark.parametrize("job_id", list(ENCODED_IDS))
def test_every_transport_library_sends_the_path_unchanged(job_id: str) -> None:
    """aiohttp (yarl), requests and httpx all keep the path as built, so Shared Key signs what is sent.

    yarl unescapes some characters (%3A becomes ":"); the builders never produce those escapes.
    """
    url = rq.build_get_request(TARGET, job_id).url
    path = urlsplit(url).path
    assert yarl.URL(url).raw_path == path
    assert httpx.URL(url).raw_path.decode("ascii").split("?")[0] == path
    assert requests.Request("GET", url).prepare().path_url.split("?")[0] == path


def test_new_job_ids_still_follow_the_creation_rules() -> None:
    job = models.JobAddParameter(id="a:b", pool_info=models.PoolInformation(pool_id="p"))
    with pytest.raises(ValueError, match=r"job\.id may contain only"):
        rq.build_add_request(TARGET, job)
    job = models.JobAddParameter(id="..", pool_info=models.PoolInformation(pool_id="p"))
    with pytest.raises(ValueError, match=r"job\.id"):
        rq.build_add_request(TARGET, job)


# ------------------------------------------------------------------------------------- endpoint


@pytest.mark.parametrize(
    "endpoint",
    [
        f"https://user:{PASSWORD}@acct.westus.batch.azure.com",
        f"https://{PASSWORD}@acct.westus.batch.azure.com",
        f"http://user:{PASSWORD}@127.0.0.1:8080",
        f"user:{PASSWORD}@acct.westus.batch.azure.com",
        f"https://acct.westus.batch.azure.com:{PASSWORD}@evil.example",
    ],
)
def test_endpoints_with_user_info_are_refused_without_echoing_them(endpoint: str) -> None:
    with pytest.raises(ValueError, match="endpoint must not contain user info") as caught:
        rq.Target.create(endpoint, "v")
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(caught.value)
    for client_class in (azbatch.BatchClient, azbatch.aio.BatchClient):
        with pytest.raises(ValueError) as from_client:
            client_class(endpoint, KEY)
        assert PASSWORD not in str(from_client.value)


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("https://acct.batch.azure.com?sig=SECRETSIG", "must not carry a query string or fragment"),
        ("https://acct.batch.azure.com/?a=1", "must not carry a query string or fragment"),
        ("https://acct.batch.azure.com?", "must not carry a query string or fragment"),
        ("https://acct.batch.azure.com#frag", "must not carry a query string or fragment"),
        ("https://acct.batch.azure.com/#", "must not carry a query string or fragment"),
        ("ftp://acct.batch.azure.com", "absolute http"),
        ("file:///etc/passwd", "absolute http"),
        ("javascript:alert(1)", "absolute http"),
        ("acct.westus.batch.azure.com", "absolute http"),
        ("//acct.westus.batch.azure.com", "absolute http"),
        ("https://", "must name a host"),
        ("https://:443", "must name a host"),
        ("https:///jobs", "must name a host"),
        ("http://host:notaport", "not a valid URL"),
        ("http://host:99999", "not a valid URL"),
        ("https://[::1", "not a valid URL"),
        ("https://acct batch.azure.com", "whitespace, control characters or backslashes"),
        ("https://acct.batch.azure.com\\@evil", "user info"),
        ("https://acct.batch.azure.com\\evil", "whitespace, control characters or backslashes"),
        ("https://acct.batch\n.azure.com", "whitespace, control characters or backslashes"),
        ("https://acct.batch.azure.com/\x00", "whitespace, control characters or backslashes"),
    ],
)
def test_bad_endpoints_are_refused_clearly(endpoint: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        rq.Target.create(endpoint, "v")
    assert str(caught.value).startswith("endpoint")
    assert "SECRETSIG" not in str(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "normalised"),
    [
        ("https://acct.westus.batch.azure.com/", "https://acct.westus.batch.azure.com"),
        ("  https://acct.westus.batch.azure.com  ", "https://acct.westus.batch.azure.com"),
        ("HTTPS://Acct.westus.batch.azure.com", "HTTPS://Acct.westus.batch.azure.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:10000/", "http://[::1]:10000"),
        ("https://gateway.example/batch/", "https://gateway.example/batch"),
    ],
)
def test_good_endpoints_are_accepted(endpoint: str, normalised: str) -> None:
    assert rq.Target.create(endpoint, "v").endpoint == normalised


# ------------------------------------------------------------------- plain http with a credential


class SyncToken:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise AssertionError("no token may be requested at construction")


class AsyncToken:
    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        raise AssertionError("no token may be requested at construction")

    async def close(self) -> None:
        pass


CLIENTS_WITH_TOKENS: list[tuple[type[Any], Any]] = [
    (azbatch.BatchClient, SyncToken()),
    (azbatch.aio.BatchClient, AsyncToken()),
]


@pytest.mark.parametrize(("client_class", "credential"), CLIENTS_WITH_TOKENS)
@pytest.mark.parametrize(
    "endpoint", ["http://acct.westus.batch.azure.com", "http://10.0.0.4:8080", "http://127.0.0.1.nip.io"]
)
def test_token_over_plain_http_to_another_host_is_refused_at_construction(
    client_class: type[Any], credential: Any, endpoint: str
) -> None:
    with pytest.raises(ValueError, match=r"^endpoint uses plain http.*enforce_https=False"):
        client_class(endpoint, credential)


@pytest.mark.parametrize(("client_class", "credential"), CLIENTS_WITH_TOKENS)
@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:2", ENDPOINT]
)
def test_token_over_https_or_to_loopback_is_accepted(
    client_class: type[Any], credential: Any, endpoint: str
) -> None:
    assert client_class(endpoint, credential).endpoint == endpoint


@pytest.mark.parametrize(("client_class", "credential"), CLIENTS_WITH_TOKENS)
def test_enforce_https_false_accepts_plain_http(client_class: type[Any], credential: Any) -> None:
    client = client_class("http://acct.westus.batch.azure.com", credential, enforce_https=False)
    assert client.endpoint == "http://acct.westus.batch.azure.com"


@pytest.mark.parametrize("client_class", [azbatch.BatchClient, azbatch.aio.BatchClient])
@pytest.mark.parametrize("value", ["no", 0, None])
def test_enforce_https_must_be_a_bool(client_class: type[Any], value: Any) -> None:
    with pytest.raises(TypeError, match="enforce_https must be a bool"):
        client_class(ENDPOINT, KEY, enforce_https=value)


@pytest.mark.parametrize("client_class", [azbatch.BatchClient, azbatch.aio.BatchClient])
def test_shared_key_over_plain_http_to_another_host_warns(client_class: type[Any]) -> None:
    with pytest.warns(UserWarning, match=r"plain http.*enforce_https=False") as caught:
        client_class("http://acct.westus.batch.azure.com", KEY)
    # The warning points at the caller's line, not at azbatch's internals.
    assert caught[0].filename == __file__


@pytest.mark.parametrize("client_class", [azbatch.BatchClient, azbatch.aio.BatchClient])
@pytest.mark.parametrize(
    ("endpoint", "options"),
    [
        ("http://127.0.0.1:8080", {}),
        (ENDPOINT, {}),
        ("http://acct.westus.batch.azure.com", {"enforce_https": False}),
    ],
)
def test_shared_key_over_https_loopback_or_opted_out_is_silent(
    client_class: type[Any], endpoint: str, options: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client_class(endpoint, KEY, **options)


# --------------------------------------------------------------------------- float-valued args


class RefusingTransport(HttpTransport):
    """A sync transport that fails the test if anything is sent."""

    def send(self, request: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args: Any) -> None:
        pass


class AsyncRefusingTransport(AsyncHttpTransport):
    """An async transport that fails the test if anything is sent."""

    async def send(self, request: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aexit__(self, *args: Any) -> None:
        pass


BAD_INTERVALS: list[tuple[Any, type[Exception], str]] = [
    (math.nan, ValueError, "finite"),
    (math.inf, ValueError, "finite"),
    (-math.inf, ValueError, "finite"),
    (10**400, ValueError, "finite"),
    (-1, ValueError, ">= 0"),
    (-0.5, ValueError, ">= 0"),
    (True, TypeError, "not bool"),
    ("2", TypeError, "not str"),
    (None, TypeError, "not NoneType"),
]
POLLERS = ["begin_delete", "begin_disable", "begin_enable", "begin_terminate"]


def _poller_args(name: str) -> tuple[Any, ...]:
    return ("job-1", "requeue") if name == "begin_disable" else ("job-1",)


@pytest.mark.parametrize(("value", "error", "message"), BAD_INTERVALS)
def test_polling_interval_check(value: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=rf"^polling_interval .*{message}"):
        check.polling_interval(value)


@pytest.mark.parametrize("value", [0, 0.0, 2, 0.25, Fraction(1, 4), 1e9])
def test_polling_interval_accepts_finite_non_negative_numbers(value: Any) -> None:
    assert check.polling_interval(value) == float(value)


@pytest.mark.parametrize("operation", POLLERS)
@pytest.mark.parametrize(("value", "error", "message"), BAD_INTERVALS)
def test_sync_pollers_refuse_bad_intervals_before_sending(
    operation: str, value: Any, error: type[Exception], message: str
) -> None:
    client = azbatch.BatchClient(ENDPOINT, KEY, transport=RefusingTransport())
    with pytest.raises(error, match="polling_interval"):
        getattr(client.jobs, operation)(*_poller_args(operation), polling_interval=value)


@pytest.mark.parametrize("operation", POLLERS)
@pytest.mark.parametrize(("value", "error", "message"), BAD_INTERVALS)
async def test_async_pollers_refuse_bad_intervals_before_sending(
    operation: str, value: Any, error: type[Exception], message: str
) -> None:
    client = azbatch.aio.BatchClient(ENDPOINT, KEY, transport=AsyncRefusingTransport())
    with pytest.raises(error, match="polling_interval"):
        await getattr(client.jobs, operation)(*_poller_args(operation), polling_interval=value)


@pytest.mark.parametrize("operation", POLLERS)
@pytest.mark.parametrize("job_id", [".", ".."])
async def test_pollers_refuse_dot_ids_before_sending(operation: str, job_id: str) -> None:
    client = azbatch.aio.BatchClient(ENDPOINT, KEY, transport=AsyncRefusingTransport())
    args = (job_id, "requeue") if operation == "begin_disable" else (job_id,)
    with pytest.raises(ValueError, match="job_id must not be"):
        await getattr(client.jobs, operation)(*args)


@pytest.mark.parametrize("option", ["connection_timeout", "read_timeout"])
@pytest.mark.parametrize(("value", "message"), [(math.nan, "finite"), (math.inf, "finite"), (-1, ">= 0")])
def test_sync_httpx_timeouts_must_be_finite(option: str, value: float, message: str) -> None:
    # Port 9 on loopback (discard) is never contacted: the option is checked before connecting.
    with HttpXTransport() as transport, pytest.raises(ValueError, match=rf"^{option} .*{message}"):
        transport.send(HttpRequest("GET", "http://127.0.0.1:9/"), **{option: value})


@pytest.mark.parametrize("option", ["connection_timeout", "read_timeout"])
@pytest.mark.parametrize(("value", "message"), [(math.nan, "finite"), (math.inf, "finite"), (-1, ">= 0")])
async def test_async_httpx_timeouts_must_be_finite(option: str, value: float, message: str) -> None:
    async with AsyncHttpXTransport() as transport:
        with pytest.raises(ValueError, match=rf"^{option} .*{message}"):
            await asyncio.wait_for(
                transport.send(HttpRequest("GET", "http://127.0.0.1:9/"), **{option: value}), 10
            )
