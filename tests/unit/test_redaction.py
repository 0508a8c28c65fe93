"""Secrets are masked in every text this package shows: free text, URLs, headers, logged bodies, errors."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

from azbatch import exceptions
from azbatch._config import logging_policy
from azbatch._redact import MASK, excerpt, mask_headers, mask_text, mask_url_query
from azbatch.policies._trace_logging import RedactedNetworkTraceLoggingPolicy, redact_body, redact_headers

SIG = "sv2ZmFrZXNpZw%2B%2Fz%3D"  # what a URL-encoded SAS signature looks like
SAS_URL = f"https://store.blob.core.windows.net/inputs/run.sh?sv=2022-11-02&sr=b&sp=r&sig={SIG}&se=2030-01-01"
ACCOUNT_KEY = "QUNDT1VOVC1LRVktZm9yLXRlc3RzLW9ubHk+/w=="
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJiYXRjaCJ9.c2lnbmF0dXJl-_x"

# (text, secret that must disappear, text that must survive)
CASES: list[tuple[str, str, str]] = [
    (SAS_URL, SIG, "https://store.blob.core.windows.net/inputs/run.sh?sv=2022-11-02&sr=b&sp=r&sig="),
    (f"/bin/sh -c 'curl -o in.dat \"{SAS_URL}\" && ./run'", SIG, "&& ./run"),
    (f"sig={SIG}&sv=1", SIG, "&sv=1"),
    (f"https://x/y?SIG={SIG}", SIG, "https://x/y?SIG="),
    (f"url%3Fsv%3D1%26sig%3D{SIG}", SIG, "url%3Fsv%3D1%26sig%3D"),
    (
        f"DefaultEndpointsProtocol=https;AccountName=store;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        ACCOUNT_KEY,
        ";EndpointSuffix=core.windows.net",
    ),
    (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=root;SharedAccessKey=c2Fz=",
        "c2Fz=",
        "root",
    ),
    (f"BlobEndpoint=https://s/;SharedAccessSignature=sv=1&sig={SIG}", SIG, "BlobEndpoint=https://s/;"),
    ("run --password=hunter2 --user bob", "hunter2", "--user bob"),
    ("run --password 'hunter 2' --user bob", "hunter 2", "--user bob"),
    (f"az storage blob upload --account-key {ACCOUNT_KEY} -n x", ACCOUNT_KEY, "-n x"),
    ("tool --key=k3y-value --verbose", "k3y-value", "--verbose"),
    ("https://api.example/v1?key=k3y-value&q=1", "k3y-value", "&q=1"),
    (f'az storage copy --sas-token "?sv=1&sig={SIG}" -c x', SIG, "-c x"),
    ("https://login.example/cb?code=0AUTHC0DE&state=s", "0AUTHC0DE", "state=s"),
    ('{"password": "p\\"w0rd", "name": "u"}', 'p\\"w0rd', '"name": "u"'),
    (f'{{"accountKey":"{ACCOUNT_KEY}"}}', ACCOUNT_KEY, '"accountKey":'),
    ("{'password': 'pw-in-a-repr', 'id': 'j'}", "pw-in-a-repr", "'id': 'j'"),
    ("UserAccount(name='u', password='pw-as-kwarg')", "pw-as-kwarg", "name='u'"),
    ("Authorization: SharedKey acct:c2lnbmF0dXJl=", "c2lnbmF0dXJl=", "Authorization: "),
    ("{'Authorization': 'Bearer tok-123', 'x': 1}", "tok-123", "'x': 1"),
    (f"token {JWT} end", JWT, "token "),
    ("Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA==", "Basic "),
    ("see https://alice:s3cr3t@proxy.example:3128/ now", "s3cr3t", "@proxy.example:3128/ now"),
    ("see https://ghp_tokenonly@github.example/x", "ghp_tokenonly", "@github.example/x"),
]

# Text that mentions secrets' names without carrying one stays as it was.
UNCHANGED = [
    "The specified job does not exist.\nRequestId:9b4c\nTime:2024-01-01T00:00:00.0000000Z",
    "exit code=1, monkey=banana, keyboard=yes",
    "a basic example; the Authorization header is missing",
    "https://acct.westus.batch.azure.com/jobs/job-1?api-version=2024-02-01.19.0&$skiptoken=abc",
    '{"key": "Reason", "value": "The job is completed"}',
    "--key-vault name --tokens 3",
    "BatchErrorDetail(key='JobId', value='job-1')",
    "MetadataItem(name='owner', value='team-a')",
    "",
]


@pytest.mark.parametrize(("text", "secret", "kept"), CASES)
def test_mask_text_hides_the_secret_and_keeps_the_rest(text: str, secret: str, kept: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert MASK in masked
    assert kept in masked


@pytest.mark.parametrize("text", UNCHANGED)
def test_mask_text_leaves_ordinary_text_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(("text", "secret", "kept"), CASES)
def test_mask_text_is_idempotent(text: str, secret: str, kept: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


def test_masked_json_stays_json() -> None:
    body = json.dumps({"commandLine": f'curl "{SAS_URL}"', "password": "pw", "n": 1})
    masked = json.loads(mask_text(body))
    assert masked["password"] == MASK
    assert SIG not in masked["commandLine"] and masked["n"] == 1


def test_mask_url_query_hides_the_whole_query_and_user_info() -> None:
    assert mask_url_query(SAS_URL) == f"https://store.blob.core.windows.net/inputs/run.sh?{MASK}"
    assert mask_url_query("https://a/b?x=1#frag") == f"https://a/b?{MASK}#frag"
    assert mask_url_query("https://u:pw@a/b") == f"https://{MASK}@a/b"
    assert mask_url_query("https://a/b") == "https://a/b"


def test_mask_headers() -> None:
    headers = {
        "Authorization": "SharedKey acct:c2ln",
        "proxy-authorization": "Basic abc",
        "x-identity-header": "h",
        "Cookie": "c=1",
        "Location": SAS_URL,
        "client-request-id": "9c4d50ee-2d56-4cd3-8152-34347dc9f2b0",
    }
    masked = mask_headers(headers)
    assert masked["Authorization"] == masked["proxy-authorization"] == masked["x-identity-header"] == MASK
    assert masked["Cookie"] == MASK
    assert SIG not in masked["Location"] and masked["Location"].startswith("https://store.blob")
    assert masked["client-request-id"] == headers["client-request-id"]
    assert redact_headers(headers) == masked


def test_excerpt_is_short_and_masked() -> None:
    text = f"<html>{SAS_URL}" + "x" * 10_000 + "</html>"
    short = excerpt(text)
    assert SIG not in short
    assert len(short) < 260
    assert short.endswith(f"({len(text)} characters in all)")
    assert excerpt("short text") == "short text"


@pytest.mark.parametrize("cut", range(150, 215, 3))
def test_excerpt_never_shows_part_of_a_secret_cut_at_the_limit(cut: int) -> None:
    # Whatever the position of the cut, no prefix of the secret survives.
    secret = "S3CR3T-" + "q" * 40
    for text in (
        "a" * cut + f"?sig={secret}&x=1",
        "a" * cut + f'"password": "{secret}"',
        "a" * cut + f"https://user:{secret}@host/",
        "a" * cut + f" --account-key {secret} tail",
    ):
        assert "S3CR3T" not in excerpt(text, limit=200)


# ------------------------------------------------------------------------------ logged bodies

JOB_WITH_SECRETS: dict[str, Any] = {
    "id": "job-1",
    "poolInfo": {
        "autoPoolSpecification": {
            "poolLifetimeOption": "job",
            "pool": {
                "vmSize": "standard_d2s_v3",
                "mountConfiguration": [
                    {"azureBlobFileSystemConfiguration": {"accountName": "s", "accountKey": ACCOUNT_KEY}}
                ],
            },
        }
    },
    "jobManagerTask": {
        "id": "jm",
        "commandLine": f"/bin/sh -c 'azcopy copy \"{SAS_URL}\" .'",
        "resourceFiles": [
            {"httpUrl": SAS_URL, "filePath": "run.sh"},
            {"storageContainerUrl": "https://store.blob.core.windows.net/c?sp=rl&sig=CONTAINERSIG"},
        ],
        "outputFiles": [
            {
                "filePattern": "*.log",
                "destination": {"container": {"containerUrl": "https://s/c?sig=OUTSIG&sp=w"}},
                "uploadOptions": {"uploadCondition": "taskcompletion"},
            }
        ],
        "environmentSettings": [
            {"name": "INPUT_URL", "value": SAS_URL},
            {"name": "STORAGE_CONNECTION", "value": f"AccountName=s;AccountKey={ACCOUNT_KEY}"},
            {"name": "DB_PASSWORD", "value": "plain-db-password"},
            {"name": "MODE", "value": "fast"},
        ],
    },
    "commonEnvironmentSettings": [{"name": "API_TOKEN", "value": "opaque-token-value"}],
    "metadata": [{"name": "owner", "value": "team-a"}],
}
SECRETS_IN_JOB = [SIG, "CONTAINERSIG", "OUTSIG", ACCOUNT_KEY, "plain-db-password", "opaque-token-value"]


def test_logged_bodies_hide_secrets_in_any_string() -> None:
    logged = redact_body(json.dumps(JOB_WITH_SECRETS).encode())
    for secret in SECRETS_IN_JOB:
        assert secret not in logged
    data = json.loads(logged)
    task = data["jobManagerTask"]
    assert task["resourceFiles"][0] == {"httpUrl": f"{SAS_URL.split('?')[0]}?{MASK}", "filePath": "run.sh"}
    assert task["commandLine"].startswith("/bin/sh -c 'azcopy copy \"https://store.blob.core.windows.net")
    env = {e["name"]: e["value"] for e in task["environmentSettings"]}
    assert env["DB_PASSWORD"] == MASK and env["MODE"] == "fast"
    assert data["metadata"] == [{"name": "owner", "value": "team-a"}]
    assert data["id"] == "job-1"


def test_logged_bodies_that_are_not_json_or_too_big_are_not_shown() -> None:
    assert redact_body(f"<html>{SAS_URL}</html>".encode()).startswith("<")
    assert SIG not in redact_body(f"<html>{SAS_URL}</html>".encode())
    big = json.dumps({"commandLine": SAS_URL, "pad": "x" * 20_000}).encode()
    assert redact_body(big) == f"<{len(big)} bytes, not logged>"
    assert redact_body(None) == redact_body(b"") == "<no body>"


# ------------------------------------------------------------------------------------ errors


class FakeResponse:
    """The parts of an azure-core response that errors read (status, reason, headers, body)."""

    def __init__(self, status: int, body: bytes, reason: str = "Bad Request") -> None:
        self.status_code = status
        self.reason = reason
        self.headers = {"request-id": "rid-1", "Content-Type": "application/json"}
        self.request = None
        self.content = body

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode("utf-8")


def _batch_error_body(message: str, **values: str) -> bytes:
    return json.dumps(
        {
            "odata.metadata": "https://acct/$metadata#errors",
            "code": "InvalidPropertyValue",
            "message": {"lang": "en-US", "value": message},
            "values": [{"key": k, "value": v} for k, v in values.items()],
        }
    ).encode()


def _shown(error: BaseException) -> list[str]:
    extra = [str(getattr(error, "message", "")), str(getattr(error, "exc_msg", ""))]
    return [str(error), repr(error), *extra]


def test_batch_error_messages_echoing_a_sas_url_are_masked() -> None:
    body = _batch_error_body(
        f"The value '{SAS_URL}' is not allowed.",
        PropertyName="jobManagerTask.resourceFiles[0].httpUrl",
        PropertyValue=SAS_URL,
        Reason=f"Authorization: SharedKey acct:{ACCOUNT_KEY}",
    )
    error = exceptions.error_from_response(FakeResponse(400, body))
    assert error.code == "InvalidPropertyValue"
    for text in _shown(error):
        assert SIG not in text
        assert ACCOUNT_KEY not in text
    assert "jobManagerTask.resourceFiles[0].httpUrl" in str(error)
    assert error.error is not None
    assert SIG not in str(error.error) and SIG not in str(error.error.message)
    assert "is not allowed" in error.error.message


def test_non_batch_bodies_appear_only_as_a_short_masked_excerpt() -> None:
    page = f"<html><body>Proxy error for {SAS_URL} token=abc123secret " + "pad " * 3000 + "</body></html>"
    error = exceptions.error_from_response(FakeResponse(502, page.encode(), reason="Bad Gateway"))
    assert isinstance(error, HttpResponseError)
    text = str(error)
    assert "Bad Gateway" in text and "Content: <html><body>Proxy error for" in text
    assert f"({len(page)} characters in all)" in text
    assert len(text) < 400
    for shown in _shown(error):
        assert SIG not in shown and "abc123secret" not in shown


def test_long_batch_messages_are_bounded() -> None:
    body = _batch_error_body("x" * 50_000, Reason="y" * 50_000)
    error = exceptions.error_from_response(FakeResponse(400, body))
    assert len(str(error)) < 2200
    assert len(repr(error)) < 2300


@pytest.mark.parametrize("status", [401, 403, 404, 409, 412, 500])
def test_every_error_class_is_masked(status: int) -> None:
    body = _batch_error_body(f"see {SAS_URL}")
    error = exceptions.error_from_response(FakeResponse(status, body))
    for text in _shown(error):
        assert SIG not in text


# ------------------------------------------------------------------------------ logged URLs


def _pipeline_request(url: str, **options: Any) -> Any:
    context = PipelineContext(None, **options)
    return PipelineRequest(HttpRequest("GET", url, headers={"Authorization": "SharedKey a:c2ln"}), context)


NEXT_LINK = f"https://acct.batch.azure.com/jobs?api-version=2024-02-01.19.0&$skiptoken=page-2&sig={SIG}"


def test_trace_logger_masks_secrets_in_the_request_url(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="azbatch.http")
    RedactedNetworkTraceLoggingPolicy(logging_enable=True).on_request(_pipeline_request(NEXT_LINK))
    (record,) = caplog.records
    message = record.getMessage()
    assert SIG not in message and "c2ln" not in message
    assert "$skiptoken=page-2&sig=REDACTED" in message


def test_azure_core_request_log_shows_only_the_allowed_query_values(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="azure.core.pipeline.policies.http_logging_policy")
    logging_policy().on_request(_pipeline_request(NEXT_LINK))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "api-version=2024-02-01.19.0" in text and "$skiptoken=page-2" in text
    assert "sig=REDACTED" in text
    assert SIG not in text and "c2ln" not in text
