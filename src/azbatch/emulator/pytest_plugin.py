"""pytest fixtures that run the Batch emulator: ``batch_emulator`` (async) and ``batch_emulator_thread``.

Registered through the ``pytest11`` entry point, so pytest imports this module in every session of any
project that has azbatch installed. It therefore imports only pytest at module level; aiohttp and the
emulator are loaded when a fixture is first used. The async fixture is declared with pytest-asyncio when
it is installed (any mode) and as a plain async generator fixture otherwise; when pytest-asyncio is
missing or disabled (``-p no:asyncio``), using ``batch_emulator`` fails the test with a message that
says so, instead of pytest's obscure complaint about an un-awaited coroutine. A synchronous test that asks
for ``batch_emulator`` fails at once too, pointing to ``batch_emulator_thread``: the emulator would serve
from the test's event loop, which does not run during a synchronous test, so its first request would hang.
Both failures are recorded as the fixture's setup error, so every such test gets the message.

Per-test options go through a marker, e.g.
``@pytest.mark.batch_emulator(transition_ms=20, auth=False)``; its keywords are those of
``BatchEmulator``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from _pytest.fixtures import SubRequest  # the hook's request type; pytest does not export it

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
_NEEDS_ASYNC_TEST = (
    "The batch_emulator fixture is async and cannot serve the synchronous test {test}: its server runs on "
    "the test's event loop, which does not run during a synchronous test, so any request to the emulator "
    "would hang. Write the test as `async def`, or use the batch_emulator_thread fixture, which serves "
    "from its own thread and works with synchronous clients."
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


def _is_async_test(node: Any) -> bool:
    """Whether ``node`` is a test whose function is a coroutine function (so an event loop runs it)."""
    function = getattr(node, "obj", None)
    if isinstance(function, staticmethod):
        function = function.__func__
    if inspect.iscoroutinefunction(function):
        return True
    # @hypothesis.given wraps the test in a synchronous function and keeps the original as inner_test.
    inner = getattr(getattr(function, "hypothesis", None), "inner_test", None)
    return inspect.iscoroutinefunction(inner)


def _fail_setup(fixturedef: pytest.FixtureDef[Any], request: SubRequest, message: str) -> NoReturn:
    """Fail the fixture's setup and record the failure as pytest's own fixture setup does.

    Without the record (``cached_result``) pytest never finalizes the fixture definition, and the next
    test using it trips an internal assertion instead of getting this message.
    """
    try:
        pytest.fail(message, pytrace=False)
    except pytest.fail.Exception as exc:
        assert exc.__traceback__ is not None
        fixturedef.cached_result = (None, fixturedef.cache_key(request), (exc, exc.__traceback__))
        raise


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: SubRequest) -> None:
    """Fail ``batch_emulator`` with a clear message where it cannot work, before it starts anything.

    That is when no plugin can run async fixtures, and when the test using it is synchronous.
    """
    if fixturedef.argname != _ASYNC_FIXTURE or getattr(fixturedef.func, "__module__", None) != __name__:
        return  # another fixture, or a user's own override of the name
    if not _asyncio_plugin_active(request.config):
        _fail_setup(fixturedef, request, _NEEDS_ASYNCIO)
    if isinstance(request.node, pytest.Function) and not _is_async_test(request.node):
        _fail_setup(fixturedef, request, _NEEDS_ASYNC_TEST.format(test=request.node.name))


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
