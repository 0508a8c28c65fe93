"""Optional azure-core transports built on httpx.

httpx is an optional dependency (``pip install "azbatch[httpx]"``), so the transports are imported only
when first accessed: importing this package never imports httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._httpx_async import AsyncHttpXTransport
    from ._httpx_sync import HttpXTransport

__all__ = ["AsyncHttpXTransport", "HttpXTransport"]

_MODULES = {"AsyncHttpXTransport": "._httpx_async", "HttpXTransport": "._httpx_sync"}


def __getattr__(name: str) -> Any:
    """Import a transport on first access, with an install hint if httpx is missing."""
    module_name = _MODULES.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(module_name, __name__)
    except ModuleNotFoundError as error:
        if error.name != "httpx" and not (error.name or "").startswith("httpx."):
            raise
        raise ImportError(
            f'{name} needs the optional httpx dependency: pip install "azbatch[httpx]"', name=error.name
        ) from error
    value = getattr(module, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    """List the lazily imported transports alongside the module's own names."""
    return sorted({*globals(), *__all__})
