"""Properties of the response parsers: any status, headers and body give a result or a typed error.

"Typed" means an azure-core exception (``AzureError``, which every :mod:`azbatch.exceptions` error is,
or ``DeserializationError``); never ``RecursionError``, ``zlib.error``, ``UnicodeDecodeError``,
``KeyError`` and the like. Error messages never carry more than a short excerpt of the body.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import AzureError, DeserializationError
from hypothesis import given
from hypothesis import strategies as st

from azbatch._protocol import _responses as rs
from azbatch.models import Model

from .strategies import json_values

# Each parser with the status it succeeds with: half the examples use it, so bodies really get parsed.
PARSERS: dict[str, tuple[Callable[[Any], Any], int]] = {
    "add": (rs.parse_add_response, 201),
    "accepted": (rs.parse_accepted_response, 202),
    "update": (rs.parse_update_response, 200),
    "get": (rs.parse_get_response, 200),
    "get_task_counts": (rs.parse_get_task_counts_response, 200),
    "job_page": (rs.parse_job_page, 200),
    "preparation_page": (rs.parse_preparation_and_release_page, 200),
}


class FakeResponse:
    """A read azure-core response with a lazily decoded body (``gzip=True``: decompressed on access)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, *, gzip: bool) -> None:
        self.status_code = status
        self.reason = "Reason"
        self.headers = headers
        self.request = None
        self._body = body
        self._gzip = gzip

    @property
    def content(self) -> bytes:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(self._body)
        return self._body

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode(encoding or "utf-8")


def _deep(depth: int, kind: str) -> bytes:
    return {"[": b"[" * depth, "{": b'{"a":' * depth, "[]": b"[" * depth + b"]" * depth}[kind]


bodies = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={
            "value": json_values
            | st.lists(st.dictionaries(st.sampled_from(["id", "state", "priority"]), json_values)),
            "odata.nextLink": json_values,
            "code": json_values,
            "message": json_values | st.fixed_dictionaries({"value": json_values, "lang": json_values}),
            "values": json_values | st.lists(st.dictionaries(st.sampled_from(["key", "value"]), json_values)),
            "error": json_values,
        },
    ).map(lambda v: json.dumps(v).encode()),
    st.tuples(st.sampled_from([1, 500, 5_000, 100_000]), st.sampled_from(["[", "{", "[]"])).map(
        lambda t: _deep(*t)
    ),
    st.sampled_from([b"NaN", b'{"value": [Infinity]}', b"\xef\xbb\xbf{}", b'{"id": "\xed\xa0\x80"}']),
)
statuses = st.sampled_from([200, 201, 202, 204, 304, 400, 401, 403, 404, 409, 412, 500, 503]) | st.integers(
    100, 599
)
headers = st.dictionaries(
    st.sampled_from(
        [
            "ETag",
            "Last-Modified",
            "request-id",
            "client-request-id",
            "DataServiceId",
            "Content-Type",
            "X-Other",
        ]
    ),
    st.text(max_size=40),
    max_size=4,
)


@pytest.mark.parametrize(("parse", "ok"), PARSERS.values(), ids=PARSERS.keys())
@given(
    success=st.booleans(),
    status=statuses,
    head=headers,
    body=bodies,
    compressed=st.sampled_from([False, False, True]),
    garble=st.booleans(),
)
def test_parsers_raise_only_typed_errors(
    parse: Callable[[Any], Any],
    ok: int,
    success: bool,
    status: int,
    head: dict[str, str],
    body: bytes,
    compressed: bool,
    garble: bool,
) -> None:
    if compressed:
        body = gzip.compress(body)
        if garble:
            body = body[:10] + bytes(reversed(body[10:]))
    response = FakeResponse(ok if success else status, head, body, gzip=compressed)

    try:
        result = parse(response)
    except (AzureError, DeserializationError) as error:
        text = str(error)
        assert len(text) < 1200, "an error message copied the body"
        return

    # Whatever was returned can be shown and compared without raising.
    for item in result[1] if isinstance(result, tuple) else [result]:
        repr(item)
        if isinstance(item, Model):
            assert item == item
