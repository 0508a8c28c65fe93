"""The client's azure-core pipeline as seen on the wire: retries, authentication, ids, hooks, logging.

The Shared Key signatures are checked against an independent signer written here from JOBS-API.md
§5.2 (and itself checked against the document's test vectors), not against the library's signer.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import logging
import re
import uuid
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from azure.core import MatchConditions
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.exceptions import ServiceRequestError
from pytest_httpx import HTTPXMock

import azbatch
from azbatch import models
from azbatch.aio import BatchClient
from azbatch.exceptions import BatchServiceError
from azbatch.transports import AsyncHttpXTransport

from .conftest import (
    ACCOUNT,
    ACCOUNT_KEY,
    API_VERSION,
    ENDPOINT,
    JOB_ID,
    ClientFactory,
    FakeTokenCredential,
    batch_error,
    collect,
    new_transport,
    only_request,
)

DEFAULT_SCOPE = "https://batch.core.windows.net//.default"
RFC1123 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$"
)


# --------------------------------------------------------------------------------------------------
# An independent Shared Key signer (JOBS-API.md §5.2)
# --------------------------------------------------------------------------------------------------

_STANDARD = (
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
)


def expected_string_to_sign(method: str, raw_target: str, headers: dict[str, str], account: str) -> str:
    """StringToSign for a request line target (``/path?query``, still percent-encoded) and its headers."""
    lower = {name.lower(): value for name, value in headers.items()}
    values = [lower.get(name, "") for name in _STANDARD]
    if lower.get("ocp-date"):
        values[_STANDARD.index("date")] = ""
    text = method.upper() + "\n" + "".join(f"{value}\n" for value in values)
    for name in sorted(n for n in lower if n.startswith("ocp-")):
        text += f"{name}:{' '.join(lower[name].split())}\n"
    path, _, query = raw_target.partition("?")
    text += f"/{account}{path}"
    params: dict[str, list[str]] = {}
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        params.setdefault(unquote(name).lower(), []).append(unquote(value))
    for name in sorted(params):
        text += f"\n{name}:{','.join(sorted(params[name]))}"
    return text


def expected_signature(string_to_sign: str, key_b64: str) -> str:
    digest = hmac.new(base64.b64decode(key_b64), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def assert_signed(request: httpx.Request) -> None:
    """The request carries ``SharedKey account:<signature>`` and the signature is right."""
    scheme, _, credential = request.headers["Authorization"].partition(" ")
    assert scheme == "SharedKey"
    account, _, signature = credential.partition(":")
    assert account == ACCOUNT
    assert RFC1123.match(request.headers["ocp-date"]), request.headers["ocp-date"]
    string_to_sign = expected_string_to_sign(
        request.method, request.url.raw_path.decode("ascii"), dict(request.headers), ACCOUNT
    )
    assert signature == expected_signature(string_to_sign, ACCOUNT_KEY), string_to_sign


@pytest.mark.parametrize(
    ("method", "target", "headers", "authorization"),
    [
        (
            "GET",
            "/jobs?api-version=2024-02-01.19.0&timeout=20",
            {"ocp-date": "Tue, 29 Jul 2014 21:49:13 GMT"},
            "W1knKUfg0kDIUY5aR+iYW4qby8A0gDkjCKSNCEgYgWk=",
        ),
        (
            "POST",
            "/jobs/job-1/enable?api-version=2024-02-01.19.0",
            {"ocp-date": "Tue, 29 Jul 2014 21:49:13 GMT", "Content-Length": "0"},
            "elkt8SFBn6qkOIqWA9gulEqjbEEO1O9n3w84jBTgcII=",
        ),
    ],
)
def test_the_test_signer_reproduces_the_documented_vectors(
    method: str, target: str, headers: dict[str, str], authorization: str
) -> None:
    string_to_sign = expected_string_to_sign(method, target, headers, "myaccount")
    assert expected_signature(string_to_sign, "c2VjcmV0") == authorization


SIGNED_CALLS: dict[str, Any] = {
    "get with select": lambda c: c.jobs.get(JOB_ID, select=["id", "state"], expand="stats"),
    "list with filter": lambda c: collect(
        c.jobs.list(filter="state eq 'active' and startswith(id,'a b')", max_results=10, service_timeout=5)
    ),
    "add with body": lambda c: c.jobs.add(
        {"id": "job-1", "displayName": "Jöb ✓", "poolInfo": {"poolId": "pool-1"}},
        client_request_id=str(uuid.uuid4()),
    ),
    "enable without body": lambda c: c.jobs.enable(JOB_ID),
    "terminate without body": lambda c: c.jobs.terminate(JOB_ID),
    "delete with conditions": lambda c: c.jobs.delete(
        JOB_ID,
        etag="0x8D4100FC49F0278",
        match_condition=MatchConditions.IfNotModified,
        if_unmodified_since=datetime.datetime(2017, 2, 17, tzinfo=datetime.timezone.utc),
    ),
    "get with If-None-Match and If-Modified-Since": lambda c: c.jobs.get(
        JOB_ID,
        match_condition=MatchConditions.IfMissing,
        if_modified_since=datetime.datetime(2017, 2, 17, tzinfo=datetime.timezone.utc),
    ),
    "patch with caller's ocp-date": lambda c: c.jobs.patch(
        JOB_ID, {"priority": 1}, ocp_date=datetime.datetime(2017, 2, 17, tzinfo=datetime.timezone.utc)
    ),
    "update": lambda c: c.jobs.update(JOB_ID, {"poolInfo": {"poolId": "p"}}),
    "disable": lambda c: c.jobs.disable(JOB_ID, "wait", return_client_request_id=True),
}
SIGNED_STATUS = {"add with body": 201, "enable without body": 202, "terminate without body": 202}


@pytest.mark.parametrize("case", list(SIGNED_CALLS))
async def test_shared_key_signature(case: str, client: BatchClient, httpx_mock: HTTPXMock) -> None:
    status = SIGNED_STATUS.get(case, 202 if case.startswith(("delete", "disable")) else 200)
    body = {"value": []} if case.startswith("list") else {"id": "x"} if case.startswith("get") else None
    httpx_mock.add_response(status_code=status, json=body)

    await SIGNED_CALLS[case](client)

    request = only_request(httpx_mock.get_requests())
    assert_signed(request)
    if case.startswith("patch"):
        assert request.headers["ocp-date"] == "Fri, 17 Feb 2017 00:00:00 GMT"


async def test_shared_key_signs_every_page(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    link = f"{ENDPOINT}/jobs?$skipToken=p%202&api-version={API_VERSION}"
    httpx_mock.add_response(json={"value": [{"id": "a"}], "odata.nextLink": link})
    httpx_mock.add_response(json={"value": [{"id": "b"}]})

    assert [job.id for job in await collect(client.jobs.list())] == ["a", "b"]

    for request in httpx_mock.get_requests():
        assert_signed(request)


async def test_shared_key_uses_a_rotated_key(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    # AzureNamedKeyCredential.update() takes effect on the next request.
    new_key = base64.b64encode(b"rotated key").decode()
    httpx_mock.add_response(status_code=202)
    credential = AzureNamedKeyCredential(ACCOUNT, ACCOUNT_KEY)

    async with BatchClient(ENDPOINT, credential, transport=new_transport()) as rotating:
        credential.update(ACCOUNT, new_key)
        await rotating.jobs.enable("job-1")

    request = only_request(httpx_mock.get_requests())
    string_to_sign = expected_string_to_sign(
        request.method, request.url.raw_path.decode(), dict(request.headers), ACCOUNT
    )
    assert (
        request.headers["Authorization"]
        == f"SharedKey {ACCOUNT}:{expected_signature(string_to_sign, new_key)}"
    )


# --------------------------------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------------------------------


class SleepRecorder:
    """Stands in for the transport's ``sleep``: records the delays asked for, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, duration: float) -> None:
        self.delays.append(duration)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def recording_transport(sleeps: SleepRecorder) -> AsyncHttpXTransport:
    transport = new_transport()
    transport.sleep = sleeps  # type: ignore[method-assign]
    return transport


async def test_503_then_200_succeeds(
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    sleeps: SleepRecorder,
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=503, json=batch_error("ServerBusy", "busy"))
    httpx_mock.add_response(json={"id": "job-1"})

    async with make_client(transport=recording_transport) as client:
        job = await client.jobs.get("job-1")

    assert job.id == "job-1"
    requests = httpx_mock.get_requests()
    assert len(requests) == 2
    # Each attempt is signed afresh, and both belong to the same logical call.
    for request in requests:
        assert_signed(request)
    assert requests[0].headers["client-request-id"] == requests[1].headers["client-request-id"]


async def test_429_retry_after_is_honoured(
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    sleeps: SleepRecorder,
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(
        status_code=429, headers={"Retry-After": "1"}, json=batch_error("TooManyRequests", "slow")
    )
    httpx_mock.add_response(status_code=202)

    async with make_client(transport=recording_transport) as client:
        await client.jobs.enable("job-1")

    assert len(httpx_mock.get_requests()) == 2
    assert sleeps.delays == [pytest.approx(1.0)]


async def test_retry_after_on_a_post_503(
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    sleeps: SleepRecorder,
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=503, headers={"Retry-After": "7"})
    httpx_mock.add_response(status_code=201)

    async with make_client(transport=recording_transport) as client:
        await client.jobs.add({"id": "job-1", "poolInfo": {"poolId": "p"}})

    requests = httpx_mock.get_requests()
    assert len(requests) == 2
    assert requests[0].content == requests[1].content  # the body is sent again intact
    assert sleeps.delays == [pytest.approx(7.0)]


async def test_400_is_not_retried(
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    sleeps: SleepRecorder,
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(status_code=400, json=batch_error("InvalidQueryParameterValue", "bad"))

    async with make_client(transport=recording_transport) as client:
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("job-1")

    assert caught.value.status_code == 400
    assert len(httpx_mock.get_requests()) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("retry_total", [0, 1, 3])
async def test_500_is_retried_up_to_retry_total(
    retry_total: int,
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    httpx_mock: HTTPXMock,
) -> None:
    for _ in range(retry_total + 1):
        httpx_mock.add_response(status_code=500, json=batch_error("InternalError", "oops"))

    async with make_client(transport=recording_transport, retry_total=retry_total) as client:
        with pytest.raises(BatchServiceError) as caught:
            await client.jobs.get("job-1")

    assert type(caught.value) is BatchServiceError
    assert caught.value.status_code == 500
    assert caught.value.code == "InternalError"
    assert len(httpx_mock.get_requests()) == retry_total + 1


async def test_retry_total_per_call(
    make_client: ClientFactory, recording_transport: AsyncHttpXTransport, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(status_code=500)
    httpx_mock.add_response(status_code=500)

    async with make_client(transport=recording_transport, retry_total=5) as client:
        with pytest.raises(BatchServiceError):
            await client.jobs.get("job-1", retry_total=1)

    assert len(httpx_mock.get_requests()) == 2


async def test_backoff_uses_the_transport_sleep(
    make_client: ClientFactory,
    recording_transport: AsyncHttpXTransport,
    sleeps: SleepRecorder,
    httpx_mock: HTTPXMock,
) -> None:
    for _ in range(3):
        httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json={"id": "job-1"})

    async with make_client(transport=recording_transport, retry_backoff_factor=0.5, retry_total=3) as client:
        await client.jobs.get("job-1")

    assert len(httpx_mock.get_requests()) == 4
    # azure-core: no wait before the first retry, then factor * 2 ** (n - 1).
    assert sleeps.delays == [pytest.approx(1.0), pytest.approx(2.0)]


async def test_connection_error_is_retried(
    make_client: ClientFactory, recording_transport: AsyncHttpXTransport, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("connection refused"))
    httpx_mock.add_response(json={"id": "job-1"})

    async with make_client(transport=recording_transport) as client:
        assert (await client.jobs.get("job-1")).id == "job-1"

    assert len(httpx_mock.get_requests()) == 2


async def test_connection_error_after_retries_is_a_service_request_error(
    make_client: ClientFactory, recording_transport: AsyncHttpXTransport, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_exception(httpx.ConnectError("connection refused"))
    httpx_mock.add_exception(httpx.ConnectError("connection refused"))

    async with make_client(transport=recording_transport, retry_total=1) as client:
        with pytest.raises(ServiceRequestError):
            await client.jobs.get("job-1")


# --------------------------------------------------------------------------------------------------
# Microsoft Entra ID
# --------------------------------------------------------------------------------------------------


async def test_entra_token_with_the_batch_scope(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    credential = FakeTokenCredential()
    httpx_mock.add_response(json={"id": "job-1"})
    httpx_mock.add_response(status_code=202)

    async with make_client(credential) as client:
        await client.jobs.get("job-1")
        await client.jobs.enable("job-1")

    assert credential.calls == [(DEFAULT_SCOPE,)]  # one token, cached for the second call
    for request in httpx_mock.get_requests():
        assert request.headers["Authorization"] == "Bearer tok"
        assert "SharedKey" not in request.headers["Authorization"]


async def test_entra_credential_scopes_override(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    credential = FakeTokenCredential()
    httpx_mock.add_response(json={"id": "job-1"})

    async with make_client(
        credential, credential_scopes=["https://batch.chinacloudapi.cn/.default"]
    ) as client:
        await client.jobs.get("job-1")

    assert credential.calls == [("https://batch.chinacloudapi.cn/.default",)]
    assert only_request(httpx_mock.get_requests()).headers["Authorization"] == "Bearer tok"


async def test_entra_token_on_every_retry_and_page(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    credential = FakeTokenCredential()
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_response(json={"value": [{"id": "a"}], "odata.nextLink": f"{ENDPOINT}/jobs?$skiptoken=2"})
    httpx_mock.add_response(json={"value": [{"id": "b"}]})

    async with make_client(credential) as client:
        assert [job.id for job in await collect(client.jobs.list())] == ["a", "b"]

    requests = httpx_mock.get_requests()
    assert len(requests) == 3
    assert all(r.headers["Authorization"] == "Bearer tok" for r in requests)


# --------------------------------------------------------------------------------------------------
# Headers every request carries; the cls hook
# --------------------------------------------------------------------------------------------------


async def test_user_agent(make_client: ClientFactory, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    httpx_mock.add_response(status_code=202)

    async with make_client() as client:
        await client.jobs.enable("job-1")
    async with make_client(user_agent="myapp/2.0") as client:
        await client.jobs.enable("job-1")

    plain, custom = (r.headers["User-Agent"] for r in httpx_mock.get_requests())
    assert f"azsdk-python-azbatch/{azbatch.__version__}" in plain
    assert f"azsdk-python-azbatch/{azbatch.__version__}" in custom
    assert custom.startswith("myapp/2.0")


async def test_client_request_id_is_generated(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    httpx_mock.add_response(status_code=202)

    await client.jobs.enable("job-1")
    await client.jobs.enable("job-1")

    ids = [r.headers["client-request-id"] for r in httpx_mock.get_requests()]
    assert all(str(uuid.UUID(value)) == value.lower() for value in ids)
    assert ids[0] != ids[1]


async def test_given_client_request_id_is_not_replaced(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)
    given = "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0"

    await client.jobs.enable("job-1", client_request_id=given)

    assert only_request(httpx_mock.get_requests()).headers["client-request-id"] == given


async def test_cls_hook_receives_response_result_and_headers(
    client: BatchClient, httpx_mock: HTTPXMock
) -> None:
    httpx_mock.add_response(json={"id": "job-1"}, headers={"ETag": "0x1", "request-id": "rid-1"})
    httpx_mock.add_response(status_code=201, headers={"ETag": "0x2", "request-id": "rid-2"})
    seen: list[tuple[Any, Any, dict[str, str]]] = []

    def hook(pipeline_response: Any, result: Any, headers: dict[str, str]) -> str:
        seen.append((pipeline_response, result, headers))
        return f"hooked-{len(seen)}"

    got = await client.jobs.get("job-1", cls=hook)
    added = await client.jobs.add({"id": "job-1", "poolInfo": {"poolId": "p"}}, cls=hook)

    assert (got, added) == ("hooked-1", "hooked-2")
    (response_1, job, headers_1), (response_2, write, headers_2) = seen
    assert response_1.http_response.status_code == 200
    assert response_1.http_request.method == "GET"
    assert isinstance(job, models.CloudJob) and job.id == "job-1"
    assert isinstance(headers_1, dict)
    assert headers_1["ETag"] == "0x1"
    assert headers_1["etag"] == "0x1"  # names are looked up ignoring case, whatever the transport
    assert headers_1.get("Request-Id") == "rid-1"
    assert "REQUEST-ID" in headers_1
    assert response_2.http_response.status_code == 201
    assert write == models.JobWriteResult(etag="0x2", request_id="rid-2")
    assert headers_2["ETag"] == "0x2"


async def test_per_call_headers_are_sent(client: BatchClient, httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(status_code=202)

    await client.jobs.enable("job-1", headers={"x-ms-custom": "yes"})

    request = only_request(httpx_mock.get_requests())
    assert request.headers["x-ms-custom"] == "yes"
    assert_signed(request)


# --------------------------------------------------------------------------------------------------
# Logging never shows credentials
# --------------------------------------------------------------------------------------------------

SAS_URL = (
    "https://mystorage.blob.core.windows.net/scripts/run.sh?sv=2022-11-02&se=2030-01-01&sp=r&sig=SECRETSIG"
)
STORAGE_KEY = "U3RvcmFnZUFjY291bnRLZXlTRUNSRVQ="
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.SECRET-BEARER-TOKEN.sig"


def _job_with_secrets() -> models.JobAddParameter:
    return models.JobAddParameter.from_dict(
        {
            "id": "job-1",
            "jobManagerTask": {
                "id": "manager",
                "commandLine": "/bin/sh run.sh",
                "resourceFiles": [{"httpUrl": SAS_URL, "filePath": "run.sh"}],
            },
            "poolInfo": {
                "autoPoolSpecification": {
                    "poolLifetimeOption": "job",
                    "pool": {
                        "vmSize": "standard_d2s_v3",
                        "mountConfiguration": [
                            {
                                "azureBlobFileSystemConfiguration": {
                                    "accountName": "mystorage",
                                    "containerName": "data",
                                    "accountKey": STORAGE_KEY,
                                    "relativeMountPath": "data",
                                }
                            }
                        ],
                    },
                }
            },
        }
    )


def _record_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), str(record.msg), repr(record.args), record.exc_text or ""]
    return texts


@pytest.mark.parametrize("auth", ["shared_key", "bearer"])
async def test_logging_never_shows_secrets(
    auth: str, make_client: ClientFactory, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(
        status_code=201,
        headers={"request-id": "rid-1", "ETag": "0x1", "DataServiceId": f"{ENDPOINT}/jobs/job-1"},
    )
    credential = FakeTokenCredential(TOKEN) if auth == "bearer" else None
    client_request_id = str(uuid.uuid4())

    async with make_client(credential, logging_enable=True) as client:
        await client.jobs.add(_job_with_secrets(), client_request_id=client_request_id)

    request = only_request(httpx_mock.get_requests())
    # The secrets really were on the wire ...
    assert STORAGE_KEY.encode() in request.content
    assert b"SECRETSIG" in request.content
    authorization = request.headers["Authorization"]
    secrets = [STORAGE_KEY, "SECRETSIG", authorization]
    if auth == "shared_key":
        signature = authorization.split(":", 1)[1]
        secrets += [ACCOUNT_KEY, signature, base64.b64decode(ACCOUNT_KEY).decode()]
    else:
        assert authorization == f"Bearer {TOKEN}"
        secrets += [TOKEN, "SECRET-BEARER-TOKEN"]

    # ... and never reached the log.
    texts = _record_texts(caplog)
    for secret in secrets:
        for text in texts:
            assert secret not in text

    # The body was logged (redacted), so the check above is not vacuous.
    body_records = [r.getMessage() for r in caplog.records if r.name == "azbatch.http"]
    assert any('"accountKey": "REDACTED"' in message for message in body_records), body_records
    assert any("mystorage.blob.core.windows.net/scripts/run.sh" in message for message in body_records)

    # azure-core's INFO request log shows the Batch headers but redacts the credential.
    http_log = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name == "azure.core.pipeline.policies.http_logging_policy" and r.levelno == logging.INFO
    )
    assert f"'client-request-id': '{client_request_id}'" in http_log
    assert "'Authorization': 'REDACTED'" in http_log
    if auth == "shared_key":
        assert f"'ocp-date': '{request.headers['ocp-date']}'" in http_log
    assert "'request-id': 'rid-1'" in http_log
    assert f"api-version={API_VERSION}" in http_log


async def test_logging_off_by_default_logs_no_bodies(
    make_client: ClientFactory, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(status_code=201)

    async with make_client() as client:
        await client.jobs.add(_job_with_secrets())

    assert not [r for r in caplog.records if r.name == "azbatch.http"]
    for text in _record_texts(caplog):
        assert STORAGE_KEY not in text
        assert "SECRETSIG" not in text
        assert ACCOUNT_KEY not in text


async def test_logging_enabled_per_call(
    make_client: ClientFactory, httpx_mock: HTTPXMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(json={"id": "job-1", "jobManagerTask": {"resourceFiles": [{"httpUrl": SAS_URL}]}})

    async with make_client() as client:
        job = await client.jobs.get("job-1", logging_enable=True)

    assert job.job_manager_task is not None
    responses = [
        r.getMessage() for r in caplog.records if r.name == "azbatch.http" and "Response" in r.getMessage()
    ]
    assert len(responses) == 1
    assert "SECRETSIG" not in caplog.text
    assert "REDACTED" in responses[0]
