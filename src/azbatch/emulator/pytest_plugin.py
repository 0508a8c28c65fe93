"""pytest fixtures that run the Batch emulator: ``batch_emulator`` (async) and ``batch_emulator_thread``.

Registered through the ``pytest11`` entry point, so pytest imports this module in every session of any
project that has azbatch installed. It therefore imports only pytest at module level; aiohttp and the
emulator are loaded when a fixture is first used. The async fixture is declared with pytest-asyncio when
it is installed (any mode) and as a plain async generator fixture otherwise; when pytest-asyncio is
missing or disabled (``-p no:asyncio``), using ``batch_emulator`` fails the test with a message that
says so, instead of pytest's obscure complaint about an un-awaited coroutine.

Per-test options go through a marker, e.g.
``@pytest.mark.batch_emulator(transition_ms=20, auth=False)``; its keywords are those of
``BatchEmulator``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._server import BatchEmulator

try:  # pytest-asyncio is itself a pytest plugin, so when present it is already imported: no extra cost.
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - exercised only without pytest-asyncio
    _async_fixture = pytest.fixture

_MARKER = "batch_emulator"
_ASYNC_FIXTURE = "batch_emulator"
_NEEDS_ASYNCIO = (
    "The batch_emulator fixture is async and needs the pytest-asyncio plugin, which is not installed or "
    "not enabled: `pip install pytest-asyncio` (any asyncio_mode works) and write the test as "
    "`async def`. From synchronous tests use the batch_emulator_thread fixture instead."
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``batch_emulator`` marker so ``--strict-markers`` accepts it."""
    config.addinivalue_line(
        "markers", f"{_MARKER}(**kwargs): keyword arguments for the BatchEmulator of the emulator fixtures"
    )


def _asyncio_plugin_active(config: pytest.Config) -> bool:
    manager = config.pluginmanager
    # Registered as "asyncio" through its entry point, or under its module name with -p pytest_asyncio.
    return bool(manager.has_plugin("asyncio") or manager.has_plugin("pytest_asyncio"))


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> None:
    """Fail ``batch_emulator`` with a clear message when no plugin can run async fixtures."""
    if (
        fixturedef.argname == _ASYNC_FIXTURE
        and getattr(fixturedef.func, "__module__", None) == __name__  # not a user's own override
        and not _asyncio_plugin_active(request.config)
    ):
        pytest.fail(_NEEDS_ASYNCIO, pytrace=False)


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker last, so a function marker overrides a class or module one.
    for marker in reversed(list(request.node.iter_markers(_MARKER))):
        options.update(marker.kwargs)
    return options


@_async_fixture
async def batch_emulator(request: pytest.FixtureRequest) -> AsyncIterator[BatchEmulator]:
    """A started emulator in the test's event loop; closed after the test."""
    from ._server import BatchEmulator

    async with BatchEmulator(**_options(request)) as emulator:
        yield emulator


@pytest.fixture
def batch_emulator_thread(request: pytest.FixtureRequest) -> Iterator[BatchEmulator]:
    """A started emulator serving from its own thread, for synchronous tests; stopped after the test."""
    from ._server import BatchEmulator

    emulator = BatchEmulator(**_options(request)).start_in_thread()
    try:
        yield emulator
    finally:
        emulator.stop()
