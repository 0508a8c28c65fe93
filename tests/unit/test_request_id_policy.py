"""client-request-id: random version-4 UUIDs by default; explicit ids win."""

from __future__ import annotations

import uuid

from azure.core.pipeline import PipelineContext, PipelineRequest
from azure.core.rest import HttpRequest

from azbatch.policies._request_id import RandomRequestIdPolicy


def _run(
    policy: RandomRequestIdPolicy, headers: dict[str, str] | None = None, **options: object
) -> HttpRequest:
    request = PipelineRequest(
        HttpRequest("GET", "https://x/jobs", headers=headers), PipelineContext(None, **options)
    )
    policy.on_request(request)
    return request.http_request


def test_random_v4_ids_differ_per_request() -> None:
    policy = RandomRequestIdPolicy(request_id_header_name="client-request-id")
    first = uuid.UUID(_run(policy).headers["client-request-id"])
    second = uuid.UUID(_run(policy).headers["client-request-id"])
    assert first.version == 4 and second.version == 4
    assert first != second


def test_a_header_already_set_is_kept() -> None:
    policy = RandomRequestIdPolicy(request_id_header_name="client-request-id")
    assert _run(policy, {"client-request-id": "mine"}).headers["client-request-id"] == "mine"


def test_per_call_and_constructor_ids_are_azure_cores() -> None:
    per_call = RandomRequestIdPolicy(request_id_header_name="client-request-id")
    assert _run(per_call, request_id="call-id").headers["client-request-id"] == "call-id"
    fixed = RandomRequestIdPolicy(request_id_header_name="client-request-id", request_id="fixed")
    assert _run(fixed).headers["client-request-id"] == "fixed"
    off = RandomRequestIdPolicy(request_id_header_name="client-request-id", auto_request_id=False)
    assert "client-request-id" not in _run(off).headers
