"""A local, in-memory emulator of the Azure Batch job API, for tests and samples.

It speaks the REST contract of JOBS-API.md over real HTTP (aiohttp.web) and works on plain JSON; it
imports nothing from the rest of ``azbatch`` and the client never imports it. Start it with
``python -m azbatch.emulator`` or in-process with :class:`BatchEmulator`; pytest users get the
``batch_emulator`` and ``batch_emulator_thread`` fixtures from :mod:`azbatch.emulator.pytest_plugin`.

Names are imported lazily so that importing this package (which pytest does for the plugin in every
session) does not pull in aiohttp.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._app import RequestLog
    from ._errors import BatchApiError
    from ._faults import FaultInjector, FaultRule
    from ._http import ConnectionLimits
    from ._server import BatchEmulator, EmulatorTokenCredential, generate_key
    from ._store import EmulatorStore

__all__ = [
    "BatchApiError",
    "BatchEmulator",
    "ConnectionLimits",
    "EmulatorStore",
    "EmulatorTokenCredential",
    "FaultInjector",
    "FaultRule",
    "RequestLog",
    "generate_key",
]

_EXPORTS = {
    "BatchApiError": "._errors",
    "BatchEmulator": "._server",
    "ConnectionLimits": "._http",
    "EmulatorStore": "._store",
    "EmulatorTokenCredential": "._server",
    "FaultInjector": "._faults",
    "FaultRule": "._faults",
    "RequestLog": "._app",
    "generate_key": "._server",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
