"""The pytest plugin's guards: ``batch_emulator`` without pytest-asyncio, and from synchronous tests.

Each case runs an inner pytest session with ``pytester`` (in-process: fast, and the plugin is already
registered through its entry point). The inner tests that would hang without the guard talk to the
emulator with a short timeout, so a regression fails these tests instead of hanging them.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

NEEDS_ASYNCIO = "needs the pytest-asyncio plugin, which is not installed or not enabled"
NEEDS_ASYNC_TEST = "The batch_emulator fixture is async and cannot serve the synchronous test"
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

WITHOUT_ASYNCIO = """
import pytest

def test_sync_one(batch_emulator):
    pass

def test_sync_two(batch_emulator):
    pass

async def test_async_one(batch_emulator):
    pass

async def test_async_two(batch_emulator):
    pass

def test_dynamic(request):
    request.getfixturevalue("batch_emulator")

def test_thread_fixture_still_works(batch_emulator_thread):
    assert batch_emulator_thread.endpoint.startswith("http://127.0.0.1:")
"""


def failures(recorder: pytest.HookRecorder) -> dict[str, tuple[str, str]]:
    """Each failed or errored test's (phase, report text), by test name."""
    return {
        report.nodeid.partition("::")[2]: (report.when or "", report.longreprtext)
        for report in recorder.getfailures()
    }


def test_every_test_without_pytest_asyncio_gets_the_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=WITHOUT_ASYNCIO)
    recorder = pytester.inline_run("-p", "no:asyncio", "-p", "no:cacheprovider")
    recorder.assertoutcome(passed=1, failed=5)
    failed = failures(recorder)
    assert set(failed) == {
        "test_sync_one",
        "test_sync_two",
        "test_async_one",
        "test_async_two",
        "test_dynamic",
    }
    for name, (when, text) in failed.items():
        # Each test gets the message, not only the first one (pytest's internal AssertionError before).
        assert when == ("call" if name == "test_dynamic" else "setup"), (name, text)
        assert NEEDS_ASYNCIO in text and "batch_emulator_thread" in text, (name, text)
        assert "AssertionError" not in text and "Traceback" not in text, (name, text)


SYNC_TESTS = """
import urllib.request

import pytest

import azbatch

def test_sync_client(batch_emulator):
    client = azbatch.BatchClient(batch_emulator.endpoint, batch_emulator.credential, timeout=2)
    client.jobs.exists("x")

def test_plain_request(batch_emulator):
    urllib.request.urlopen(batch_emulator.endpoint + "/jobs", timeout=2)

class TestSync:
    def test_method(self, batch_emulator):
        pass

@pytest.fixture
def endpoint(batch_emulator):
    return batch_emulator.endpoint

def test_through_a_sync_fixture(endpoint):
    pass

async def test_async_still_works(batch_emulator):
    assert batch_emulator.endpoint.startswith("http://127.0.0.1:")

async def test_async_through_a_sync_fixture(endpoint):
    assert endpoint.startswith("http://127.0.0.1:")

class TestAsync:
    async def test_method(self, batch_emulator):
        assert batch_emulator.endpoint
"""


def test_a_sync_test_using_the_async_fixture_fails_fast(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user=SYNC_TESTS)
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    recorder.assertoutcome(passed=3, failed=4)
    failed = failures(recorder)
    sync_tests = (
        "test_sync_client",
        "test_plain_request",
        "TestSync::test_method",
        "test_through_a_sync_fixture",
    )
    assert set(failed) == set(sync_tests)
    for name, (when, text) in failed.items():
        assert when == "setup", (name, text)  # before the emulator starts, not after a request timed out
        assert f"{NEEDS_ASYNC_TEST} {name.rpartition('::')[2]}:" in text, (name, text)
        assert "use the batch_emulator_thread fixture" in text, (name, text)
        assert "Traceback" not in text, (name, text)


def test_a_users_own_batch_emulator_fixture_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        import pytest

        @pytest.fixture
        def batch_emulator():
            return "mine"

        def test_own(batch_emulator):
            assert batch_emulator == "mine"
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:asyncio", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
