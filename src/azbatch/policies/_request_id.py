"""The ``client-request-id`` policy: azure-core's, with random (version 4) UUIDs."""

from __future__ import annotations

import uuid
from typing import Any

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import RequestIdPolicy

__all__ = ["RandomRequestIdPolicy"]


class RandomRequestIdPolicy(RequestIdPolicy):
    """Gives every request a random ``client-request-id`` unless the caller chose one.

    azure-core's policy uses ``uuid1``, which embeds the host's MAC address and the time in every
    request the service logs, and on Linux may call the uuidd daemon each time (about 12 us). A
    version 4 UUID carries nothing about the host and costs about 2 us. Ids given explicitly (per
    call as ``request_id=`` or at construction) are used as azure-core would.
    """

    def __init__(self, *, request_id_header_name: str, **kwargs: Any) -> None:
        super().__init__(request_id_header_name=request_id_header_name, **kwargs)
        self._header = request_id_header_name
        self._random = "request_id" not in kwargs and kwargs.get("auto_request_id", True)

    def on_request(self, request: PipelineRequest[Any]) -> None:
        """Set a random id when none is given, then defer to azure-core for the explicit cases."""
        if (
            self._random
            and "request_id" not in request.context.options
            and self._header not in request.http_request.headers
        ):
            request.http_request.headers[self._header] = str(uuid.uuid4())
        super().on_request(request)
