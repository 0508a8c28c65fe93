"""A tiny raw-JSON HTTP client for the emulator tests (plain aiohttp, no azbatch client code)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

API_VERSION = "2024-02-01.19.0"
EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "examples"
JSON_TYPE = "application/json; odata=minimalmetadata"


def example(name: str) -> dict[str, Any]:
    """One of the spec's example files (tests/data/examples/<name>.json)."""
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@dataclass
class Reply:
    """A response, fully read."""

    status: int
    headers: CIMultiDictProxy[str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None

    @property
    def code(self) -> str | None:
        body = self.body
        return body.get("code") if isinstance(body, dict) else None

    def detail(self, key: str) -> str | None:
        for item in self.body.get("values", []):
            if item["key"] == key:
                return str(item["value"])
        return None


class Api:
    """Sends requests to one emulator endpoint; ``api-version`` is added unless told otherwise."""

    def __init__(self, session: aiohttp.ClientSession, endpoint: str) -> None:
        self.session = session
        self.endpoint = endpoint

    async def call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        api_version: str | None = API_VERSION,
    ) -> Reply:
        params = dict(query or {})
        if api_version is not None:
            params["api-version"] = api_version
        send_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            send_headers.setdefault("Content-Type", JSON_TYPE)
        async with self.session.request(
            method, self.endpoint + path, params=params, data=data, headers=send_headers
        ) as response:
            return Reply(response.status, response.headers, await response.read())

    async def url(self, method: str, url: str, **kwargs: Any) -> Reply:
        """Request an absolute URL as-is (e.g. an odata.nextLink)."""
        async with self.session.request(method, url, **kwargs) as response:
            return Reply(response.status, response.headers, await response.read())

    async def add(self, job_id: str, **props: Any) -> Reply:
        body = {"id": job_id, "poolInfo": {"poolId": "pool"}, **props}
        reply = await self.call("POST", "/jobs", body=body)
        assert reply.status == 201, reply.raw
        return reply

    async def get(self, job_id: str, **query: str) -> Reply:
        return await self.call("GET", f"/jobs/{job_id}", query=query)

    async def state(self, job_id: str) -> str | None:
        reply = await self.get(job_id)
        return None if reply.status == 404 else str(reply.body["state"])

    async def admin(self, method: str, path: str, body: Any = None) -> Reply:
        return await self.call(method, "/_emulator" + path, body=body, api_version=None)


def assert_batch_error(reply: Reply, status: int, code: str) -> None:
    """The reply is a Batch error body with this status and code, in the service's shape."""
    assert reply.status == status, (reply.status, reply.raw)
    assert reply.headers["Content-Type"].startswith("application/json;odata=minimalmetadata")
    body = reply.body
    assert body["code"] == code, body
    assert body["odata.metadata"].endswith(
        "/$metadata#Microsoft.Azure.Batch.Protocol.Entities.Container.errors/@Element"
    )
    assert body["message"]["lang"] == "en-US"
    value = body["message"]["value"]
    request_id = reply.headers["request-id"]
    assert f"\nRequestId:{request_id}\nTime:" in value
    assert value.endswith("Z")
    for item in body.get("values", []):
        assert set(item) == {"key", "value"}
        assert isinstance(item["key"], str) and isinstance(item["value"], str)
    assert "Traceback" not in reply.raw.decode()
