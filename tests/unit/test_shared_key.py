"""Tests for Shared Key signing (JOBS-API.md §5.2)."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from azure.core.credentials import AzureNamedKeyCredential
from azure.core.pipeline import AsyncPipeline, Pipeline, PipelineContext, PipelineRequest
from azure.core.pipeline.transport import AsyncHttpTransport, HttpTransport
from azure.core.rest import HttpRequest

from azbatch._constants import JSON_CONTENT_TYPE
from azbatch.policies import SharedKeyCredentialPolicy, _shared_key
from azbatch.policies._shared_key import sign, string_to_sign

ACCOUNT = "myaccount"
KEY = "c2VjcmV0"  # base64("secret"), the key of the reference test vectors
OCP_DATE = "Tue, 29 Jul 2014 21:49:13 GMT"
BASE = "https://myaccount.westus2.batch.azure.com"

VECTOR_GET_STS = (
    "GET" + "\n" * 12 + f"ocp-date:{OCP_DATE}\n/myaccount/jobs\napi-version:2024-02-01.19.0\ntimeout:20"
)
VECTOR_GET_AUTH = "SharedKey myaccount:W1knKUfg0kDIUY5aR+iYW4qby8A0gDkjCKSNCEgYgWk="
VECTOR_POST_STS = (
    "POST\n\n\n0\n"
    + "\n" * 8
    + f"ocp-date:{OCP_DATE}\n/myaccount/jobs/job-1/enable\napi-version:2024-02-01.19.0"
)
VECTOR_POST_AUTH = "SharedKey myaccount:elkt8SFBn6qkOIqWA9gulEqjbEEO1O9n3w84jBTgcII="

# A distinctive key so a leak is easy to spot in any string.
SECRET_BYTES = b"do-not-leak-this-key-0123456789"
SECRET_KEY = base64.b64encode(SECRET_BYTES).decode()


def _policy(key: str = KEY) -> SharedKeyCredentialPolicy[Any, Any]:
    return SharedKeyCredentialPolicy(AzureNamedKeyCredential(ACCOUNT, key))


def _run(policy: SharedKeyCredentialPolicy[Any, Any], http_request: HttpRequest) -> HttpRequest:
    policy.on_request(PipelineRequest(http_request, PipelineContext(None)))
    return http_request


def _signed_fields(sts: str) -> list[str]:
    """Verb and the eleven standard header values of a StringToSign."""
    return sts.split("\n")[:12]


# --- the two reference vectors ------------------------------------------------------------------


def test_vector_get_string_to_sign() -> None:
    url = f"{BASE}/jobs?api-version=2024-02-01.19.0&timeout=20"
    assert string_to_sign("GET", url, {"ocp-date": OCP_DATE}, ACCOUNT) == VECTOR_GET_STS
    assert f"SharedKey {ACCOUNT}:{sign(VECTOR_GET_STS, KEY)}" == VECTOR_GET_AUTH


def test_vector_get_through_policy() -> None:
    request = HttpRequest("GET", f"{BASE}/jobs?api-version=2024-02-01.19.0&timeout=20")
    request.headers["ocp-date"] = OCP_DATE
    _run(_policy(), request)
    assert request.headers["Authorization"] == VECTOR_GET_AUTH
    assert "Content-Length" not in request.headers


def test_vector_post_without_body_string_to_sign() -> None:
    url = f"{BASE}/jobs/job-1/enable?api-version=2024-02-01.19.0"
    headers = {"ocp-date": OCP_DATE, "Content-Length": "0"}
    assert string_to_sign("POST", url, headers, ACCOUNT) == VECTOR_POST_STS
    assert f"SharedKey {ACCOUNT}:{sign(VECTOR_POST_STS, KEY)}" == VECTOR_POST_AUTH


def test_vector_post_without_body_through_policy_sets_content_length() -> None:
    request = HttpRequest("POST", f"{BASE}/jobs/job-1/enable?api-version=2024-02-01.19.0")
    request.headers["ocp-date"] = OCP_DATE
    assert "Content-Length" not in request.headers
    _run(_policy(), request)
    assert request.headers["Content-Length"] == "0"
    assert request.headers["Authorization"] == VECTOR_POST_AUTH


# --- canonicalization rules ---------------------------------------------------------------------


def test_mixed_case_query_name_is_lowercased_and_sorted_lowercase() -> None:
    url = f"{BASE}/jobs?timeOut=20&api-version=2025-06-01&Zeta=1&$skipToken=abc"
    sts = string_to_sign("GET", url, {"ocp-date": OCP_DATE}, ACCOUNT)
    assert sts.endswith("/myaccount/jobs\n$skiptoken:abc\napi-version:2025-06-01\ntimeout:20\nzeta:1")


def test_multi_valued_query_sorted_and_joined() -> None:
    url = f"{BASE}/jobs?b=2&a=y&a=x&A=w"
    sts = string_to_sign("GET", url, {}, ACCOUNT)
    assert sts.endswith("/myaccount/jobs\na:w,x,y\nb:2")


def test_query_values_are_url_decoded() -> None:
    url = f"{BASE}/jobs?%24filter=state%20eq%20%27active%27&api-version=2024-02-01.19.0"
    sts = string_to_sign("GET", url, {}, ACCOUNT)
    assert sts.endswith("/myaccount/jobs\n$filter:state eq 'active'\napi-version:2024-02-01.19.0")


def test_no_query_means_no_trailing_newline() -> None:
    sts = string_to_sign("GET", f"{BASE}/jobs", {}, ACCOUNT)
    assert sts.endswith("\n/myaccount/jobs")


def test_encoded_path_is_signed_as_encoded() -> None:
    url = f"{BASE}/jobs/my%20job?api-version=2024-02-01.19.0"
    sts = string_to_sign("GET", url, {}, ACCOUNT)
    assert "\n/myaccount/jobs/my%20job\napi-version:2024-02-01.19.0" in sts
    assert "my job" not in sts


def test_post_with_json_body_signs_content_type_and_length_as_sent() -> None:
    request = HttpRequest(
        "POST",
        f"{BASE}/jobs?api-version=2024-02-01.19.0",
        json={"id": "job-1", "poolInfo": {"poolId": "pool-1"}},
        headers={"Content-Type": JSON_CONTENT_TYPE, "ocp-date": OCP_DATE},
    )
    _run(_policy(), request)
    body_length = str(len(request.content.encode()))
    assert request.headers["Content-Length"] == body_length
    sts = string_to_sign("POST", request.url, request.headers, ACCOUNT)
    fields = _signed_fields(sts)
    assert fields[3] == body_length
    assert fields[5] == "application/json; odata=minimalmetadata"
    assert request.headers["Authorization"] == f"SharedKey {ACCOUNT}:{sign(sts, KEY)}"


@pytest.mark.parametrize("method", ["DELETE", "POST", "PUT", "PATCH"])
def test_bodyless_write_gets_content_length_zero(method: str) -> None:
    request = _run(_policy(), HttpRequest(method, f"{BASE}/jobs/job-1?api-version=2024-02-01.19.0"))
    assert request.headers["Content-Length"] == "0"
    assert _signed_fields(string_to_sign(method, request.url, request.headers, ACCOUNT))[3] == "0"


def test_empty_content_length_counts_as_absent() -> None:
    request = HttpRequest("POST", f"{BASE}/jobs/job-1/enable", headers={"Content-Length": ""})
    _run(_policy(), request)
    assert request.headers["Content-Length"] == "0"


def test_streamed_body_without_length_is_rejected() -> None:
    request = HttpRequest("POST", f"{BASE}/jobs", content=iter([b"{}"]))
    with pytest.raises(ValueError, match="Content-Length"):
        _run(_policy(), request)


def test_headers_are_case_insensitive_and_empty_values_absent() -> None:
    headers = {"OCP-DATE": OCP_DATE, "content-type": "", "IF-MATCH": '"0x8D"', "Range": ""}
    fields = _signed_fields(string_to_sign("get", f"{BASE}/jobs", headers, ACCOUNT))
    assert fields[0] == "GET"
    assert fields[5] == ""  # Content-Type
    assert fields[8] == '"0x8D"'  # If-Match
    assert fields[11] == ""  # Range


def test_date_is_blank_when_ocp_date_present() -> None:
    with_ocp = string_to_sign("GET", f"{BASE}/jobs", {"Date": "x", "ocp-date": OCP_DATE}, ACCOUNT)
    without_ocp = string_to_sign("GET", f"{BASE}/jobs", {"Date": "x"}, ACCOUNT)
    assert _signed_fields(with_ocp)[6] == ""
    assert _signed_fields(without_ocp)[6] == "x"


def test_canonicalized_headers_sorted_lowercased_and_folded() -> None:
    headers = {"ocp-date": OCP_DATE, "OCP-B": "x  \t y", "Ocp-A": "  v  ", "x-other": "ignored"}
    sts = string_to_sign("GET", f"{BASE}/jobs", headers, ACCOUNT)
    assert sts.endswith(f"\nocp-a:v\nocp-b:x y\nocp-date:{OCP_DATE}\n/myaccount/jobs")
    assert "x-other" not in sts


def test_empty_ocp_header_is_neither_signed_nor_sent() -> None:
    request = HttpRequest("GET", f"{BASE}/jobs", headers={"ocp-custom": "", "ocp-date": OCP_DATE})
    _run(_policy(), request)
    assert "ocp-custom" not in request.headers
    assert request.headers["Authorization"].startswith("SharedKey myaccount:")


# --- ocp-date -----------------------------------------------------------------------------------


def test_ocp_date_added_when_absent_in_rfc1123_utc() -> None:
    request = _run(_policy(), HttpRequest("GET", f"{BASE}/jobs"))
    value = request.headers["ocp-date"]
    assert value.endswith(" GMT")
    parsed = parsedate_to_datetime(value)
    assert abs((datetime.now(timezone.utc) - parsed).total_seconds()) < 60
    sts = string_to_sign("GET", request.url, request.headers, ACCOUNT)
    assert request.headers["Authorization"] == f"SharedKey {ACCOUNT}:{sign(sts, KEY)}"


def test_caller_ocp_date_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    request = HttpRequest("GET", f"{BASE}/jobs", headers={"Ocp-Date": OCP_DATE})
    pipeline_request = PipelineRequest(request, PipelineContext(None))
    policy = _policy()
    policy.on_request(pipeline_request)
    policy.on_request(pipeline_request)  # a retry
    assert request.headers["ocp-date"] == OCP_DATE


def test_policy_owned_ocp_date_is_refreshed_on_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    dates: Iterator[str] = iter(["Tue, 29 Jul 2014 21:49:13 GMT", "Tue, 29 Jul 2014 21:59:13 GMT"])
    monkeypatch.setattr(_shared_key, "formatdate", lambda usegmt: next(dates))
    request = HttpRequest("GET", f"{BASE}/jobs")
    pipeline_request = PipelineRequest(request, PipelineContext(None))
    policy = _policy()
    policy.on_request(pipeline_request)
    first_auth = request.headers["Authorization"]
    policy.on_request(pipeline_request)
    assert request.headers["ocp-date"] == "Tue, 29 Jul 2014 21:59:13 GMT"
    assert request.headers["Authorization"] != first_auth


# --- credential handling and secrecy ------------------------------------------------------------


def test_key_rotation_is_picked_up_per_request() -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, KEY)
    policy: SharedKeyCredentialPolicy[Any, Any] = SharedKeyCredentialPolicy(credential)
    first = _run(policy, HttpRequest("GET", f"{BASE}/jobs", headers={"ocp-date": OCP_DATE}))
    credential.update(ACCOUNT, SECRET_KEY)
    second = _run(policy, HttpRequest("GET", f"{BASE}/jobs", headers={"ocp-date": OCP_DATE}))
    sts = string_to_sign("GET", second.url, second.headers, ACCOUNT)
    assert second.headers["Authorization"] == f"SharedKey {ACCOUNT}:{sign(sts, SECRET_KEY)}"
    assert second.headers["Authorization"] != first.headers["Authorization"]


def test_account_rename_is_picked_up_per_request() -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, KEY)
    policy: SharedKeyCredentialPolicy[Any, Any] = SharedKeyCredentialPolicy(credential)
    credential.update("other", KEY)
    request = _run(policy, HttpRequest("GET", f"{BASE}/jobs", headers={"ocp-date": OCP_DATE}))
    assert request.headers["Authorization"].startswith("SharedKey other:")


def test_repr_and_str_do_not_contain_the_key() -> None:
    policy = _policy(SECRET_KEY)
    for text in (repr(policy), str(policy)):
        assert SECRET_KEY not in text
        assert SECRET_BYTES.decode() not in text
        assert ACCOUNT in text


@pytest.mark.parametrize("bad_key", ["not base64!!", "abc", "", "   "])
def test_bad_key_rejected_at_construction_without_echo(bad_key: str) -> None:
    with pytest.raises(ValueError, match="credential") as info:
        _policy(bad_key)
    if bad_key.strip():
        assert bad_key not in str(info.value)
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_bad_rotated_key_rejected_at_request_without_echo() -> None:
    credential = AzureNamedKeyCredential(ACCOUNT, KEY)
    policy: SharedKeyCredentialPolicy[Any, Any] = SharedKeyCredentialPolicy(credential)
    credential.update(ACCOUNT, "bad-key-value!")
    with pytest.raises(ValueError, match="credential") as info:
        _run(policy, HttpRequest("GET", f"{BASE}/jobs"))
    assert "bad-key-value" not in str(info.value)


def test_sign_rejects_bad_key_without_echo() -> None:
    with pytest.raises(ValueError, match="key_b64") as info:
        sign("GET\n", "bad-key-value!")
    assert "bad-key-value" not in str(info.value)


def test_constructor_validates_credential_type_and_name() -> None:
    with pytest.raises(TypeError):
        SharedKeyCredentialPolicy(KEY)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="account name"):
        SharedKeyCredentialPolicy(AzureNamedKeyCredential("", KEY))


# --- end to end through azure-core pipelines (fake transports, no network) ----------------------


class _Response:
    """Just enough of an HTTP response for the pipeline to hand back."""

    status_code = 200
    headers: dict[str, str] = {}


class _RecordingTransport(HttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        self.requests.append(request)
        return _Response()

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __exit__(self, *args: Any) -> None:
        pass


class _AsyncRecordingTransport(AsyncHttpTransport):  # type: ignore[type-arg]
    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    async def send(self, request: HttpRequest, **kwargs: Any) -> Any:
        self.requests.append(request)
        return _Response()

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    async def __aexit__(self, *args: Any) -> None:
        pass


def test_sync_pipeline_signs_and_logs_no_secret(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    transport = _RecordingTransport()
    pipeline = Pipeline(
        transport, policies=[SharedKeyCredentialPolicy(AzureNamedKeyCredential(ACCOUNT, SECRET_KEY))]
    )
    pipeline.run(HttpRequest("POST", f"{BASE}/jobs/job-1/enable?api-version=2024-02-01.19.0"))
    (sent,) = transport.requests
    assert sent.headers["Content-Length"] == "0"
    sts = string_to_sign("POST", sent.url, sent.headers, ACCOUNT)
    assert sent.headers["Authorization"] == f"SharedKey {ACCOUNT}:{sign(sts, SECRET_KEY)}"
    signature = sent.headers["Authorization"].split(":", 1)[1]
    for record in caplog.records:
        message = record.getMessage()
        assert SECRET_KEY not in message
        assert signature not in message


async def test_async_pipeline_signs() -> None:
    transport = _AsyncRecordingTransport()
    policy: SharedKeyCredentialPolicy[Any, Any] = SharedKeyCredentialPolicy(
        AzureNamedKeyCredential(ACCOUNT, KEY)
    )
    async with AsyncPipeline(transport, policies=[policy]) as pipeline:
        request = HttpRequest("GET", f"{BASE}/jobs?api-version=2024-02-01.19.0&timeout=20")
        request.headers["ocp-date"] = OCP_DATE
        await pipeline.run(request)
    (sent,) = transport.requests
    assert sent.headers["Authorization"] == VECTOR_GET_AUTH
