"""Type aliases shared by the clients' signatures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from azure.core.pipeline import PipelineResponse

__all__ = ["ResultHook"]

OutputT = TypeVar("OutputT")
HookT = TypeVar("HookT")

ResultHook = Callable[[PipelineResponse[Any, Any], OutputT, Mapping[str, str]], HookT]
"""A ``cls=`` hook: called with the pipeline response, the parsed result and the response headers; what it
returns is what the operation returns."""
