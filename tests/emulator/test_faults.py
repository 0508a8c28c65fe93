"""Fault injection: throttling, busy, internal errors, connection resets, slow answers; counts and seeds."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline import AsyncPipeline
from azure.core.pipeline.policies import AsyncRetryPolicy
from azure.core.pipeline.transport import AioHttpTransport
from azure.core.rest import HttpRequest

from azbatch.emulator import BatchEmulator

from ._client import API_VERSION, Api, assert_batch_error


async def test_throttle_with_retry_after(api: Api, emu: BatchEmulator) -> None:
    await api.add("t")
    rule = emu.faults.throttle(operation="get", times=2, retry_after=3)
    for _ in range(2):
        reply = await api.get("t")
        assert_batch_error(reply, 429, "TooManyRequests")
        assert reply.headers["Retry-After"] == "3"
    assert (await api.get("t")).status == 200
    assert rule.fired == 2 and rule.exhausted
    assert (await api.call("GET", "/jobs")).status == 200  # other operations untouched
    assert emu.request_log.count("Job_Get", 429) == 2
    assert emu.request_log.count("get", 200) == 1


async def test_server_busy_and_internal_error(api: Api, emu: BatchEmulator) -> None:
    emu.faults.server_busy(operation="Job_List", retry_after=5)
    emu.faults.internal_error(method="POST", path="/jobs")
    busy = await api.call("GET", "/jobs")
    assert_batch_error(busy, 503, "ServerBusy")
    assert busy.headers["Retry-After"] == "5"
    broken = await api.call("POST", "/jobs", body={"id": "x", "poolInfo": {"poolId": "p"}})
    assert_batch_error(broken, 500, "InternalError")
    assert "Retry-After" not in broken.headers
    assert (await api.call("GET", "/jobs")).body["value"] == []  # the failed add did nothing


async def test_reset_before_response(api: Api, emu: BatchEmulator) -> None:
    emu.faults.reset_before_response(operation="add")
    with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        await api.call("POST", "/jobs", body={"id": "r", "poolInfo": {"poolId": "p"}})
    assert (await api.get("r")).status == 404  # the request never reached the store
    assert emu.request_log.count("add", 0) == 1
    await api.add("r")  # the next attempt goes through


async def test_reset_after_the_response_started(api: Api, emu: BatchEmulator) -> None:
    await api.add("big")
    emu.faults.reset_after_headers(operation="list")
    with pytest.raises(aiohttp.ClientPayloadError):
        await api.call("GET", "/jobs")
    assert (await api.call("GET", "/jobs")).status == 200


async def test_reset_after_a_write_was_applied(api: Api, emu: BatchEmulator) -> None:
    emu.faults.reset_after_headers(operation="add")
    with pytest.raises((aiohttp.ClientPayloadError, aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        await api.call("POST", "/jobs", body={"id": "lost-answer", "poolInfo": {"poolId": "p"}})
    # The job was created even though the client never saw the 201: a retry meets JobExists.
    assert (await api.get("lost-answer")).status == 200
    retry = await api.call("POST", "/jobs", body={"id": "lost-answer", "poolInfo": {"poolId": "p"}})
    assert_batch_error(retry, 409, "JobExists")


def list_faults(emu: BatchEmulator) -> list[str | None]:
    """The fault kind (None: no fault) of every list request answered so far, oldest first."""
    return [e["fault"] for e in emu.request_log.snapshot()["recent"] if e["operation"] == "Job_List"]


async def test_slow_response(api: Api, emu: BatchEmulator) -> None:
    """No clock is read. The client and the emulator share one event loop and the client's read timer is
    armed before the emulator's delay starts, so a read timeout shorter than the delay always fires and
    one far longer than the delay never does."""
    url = f"{api.endpoint}/jobs?api-version={API_VERSION}"
    # A read timeout longer than the delay: the answer is normal, just late.
    rule = emu.faults.slow(150, operation="list")
    reply = await api.url("GET", url, timeout=aiohttp.ClientTimeout(sock_read=30))
    assert reply.status == 200 and reply.body["value"] == []
    assert rule.fired == 1 and rule.exhausted
    assert list_faults(emu) == ["delay"]
    # The rule is used up: the next list is not delayed.
    assert (await api.call("GET", "/jobs")).status == 200
    assert list_faults(emu) == ["delay", None]

    # A read timeout shorter than the delay fires before any byte of the answer arrives.
    rule = emu.faults.slow(300, operation="list")
    with pytest.raises(asyncio.TimeoutError):  # aiohttp.ServerTimeoutError derives from it
        await api.url("GET", url, timeout=aiohttp.ClientTimeout(sock_read=0.05))
    assert rule.fired == 1


async def test_path_and_method_matching(api: Api, emu: BatchEmulator) -> None:
    await api.add("special-1")
    await api.add("plain")
    emu.faults.throttle(path="/jobs/special*", method="GET", times=None)
    assert (await api.get("special-1")).status == 429
    assert (await api.get("special-1")).status == 429
    assert (await api.get("plain")).status == 200
    assert (await api.call("PATCH", "/jobs/special-1", body={"priority": 1})).status == 200
    emu.faults.clear()
    assert (await api.get("special-1")).status == 200


async def test_rules_without_a_path_spare_the_token_route(emu: BatchEmulator) -> None:
    emu.faults.throttle(times=None)
    async with emu.token_credential() as credential:
        token = await credential.get_token("https://batch.core.windows.net//.default")
    assert token.token
    assert emu.request_log.count("ManagedIdentity_GetToken", 200) == 1


async def test_the_token_route_can_be_faulted_by_name(emu: BatchEmulator) -> None:
    emu.faults.server_busy(operation="ManagedIdentity_GetToken")
    async with emu.token_credential() as credential:
        with pytest.raises(ClientAuthenticationError, match="503"):
            await credential.get_token("https://batch.core.windows.net//.default")
        assert (await credential.get_token("https://batch.core.windows.net//.default")).token


async def statuses(seed: int) -> list[int]:
    async with BatchEmulator(auth=False, seed=seed) as emu, aiohttp.ClientSession() as session:
        api = Api(session, emu.endpoint)
        emu.faults.add("busy", operation="list", probability=0.5)
        return [(await api.call("GET", "/jobs")).status for _ in range(30)]


async def test_probability_is_reproducible_with_a_seed() -> None:
    first, second, other = await statuses(42), await statuses(42), await statuses(43)
    assert first == second
    assert set(first) == {200, 503}
    assert first != other


def test_rule_validation() -> None:
    emu = BatchEmulator()
    with pytest.raises(ValueError):
        emu.faults.add("explode")
    with pytest.raises(ValueError):
        emu.faults.add("busy", probability=1.5)
    with pytest.raises(ValueError):
        emu.faults.add_from_dict({"kind": "busy", "colour": "red"})
    assert emu.faults.add("busy", operation="GET_TASK_COUNTS").operation == "Job_GetTaskCounts"


async def test_faults_through_the_admin_api(api: Api) -> None:
    created = await api.admin(
        "POST", "/faults", {"kind": "throttle", "operation": "list", "times": 1, "retry_after": 7}
    )
    assert created.status == 201
    assert created.body["operation"] == "Job_List"
    assert (await api.admin("GET", "/faults")).body["rules"][0]["fired"] == 0
    reply = await api.call("GET", "/jobs")
    assert reply.status == 429 and reply.headers["Retry-After"] == "7"
    assert (await api.admin("GET", "/faults")).body["rules"][0]["fired"] == 1
    assert_batch_error(await api.admin("POST", "/faults", {"kind": "nope"}), 400, "InvalidPropertyValue")
    assert (await api.admin("DELETE", "/faults")).body == {"rules": []}
    log = (await api.admin("GET", "/requests")).body
    assert log["byOperation"]["Job_List"] == 1
    assert log["byStatus"]["429"] == 1
    assert log["recent"][-1]["fault"] == "throttle"
    # Admin calls are neither faulted nor counted.
    assert (await api.admin("GET", "/requests")).body["total"] == 1


# ------------------------------------------------------------------------------------- after commit

ADD_BODY = {"id": "committed", "poolInfo": {"poolId": "p"}}


async def test_internal_error_after_commit_applies_the_write(api: Api, emu: BatchEmulator) -> None:
    rule = emu.faults.fail_after_commit(operation="add")
    assert (rule.kind, rule.after_commit) == ("internal_error", True)
    reply = await api.call("POST", "/jobs", body=ADD_BODY)
    assert_batch_error(reply, 500, "InternalError")
    assert "ETag" not in reply.headers and "Location" not in reply.headers  # the real answer is gone
    assert (await api.get("committed")).status == 200  # ... but the job exists
    assert_batch_error(await api.call("POST", "/jobs", body=ADD_BODY), 409, "JobExists")
    assert emu.request_log.snapshot()["recent"][0]["fault"] == "internal_error+after_commit"


@pytest.mark.parametrize(
    ("kind", "status", "code"), [("throttle", 429, "TooManyRequests"), ("busy", 503, "ServerBusy")]
)
async def test_throttle_and_busy_after_commit(
    api: Api, emu: BatchEmulator, kind: str, status: int, code: str
) -> None:
    await api.add("j", priority=1)
    emu.faults.add(kind, operation="patch", times=1, retry_after=0, after_commit=True)
    reply = await api.call("PATCH", "/jobs/j", body={"priority": 7})
    assert_batch_error(reply, status, code)
    assert reply.headers["Retry-After"] == "0"
    assert (await api.get("j")).body["priority"] == 7


async def test_default_faults_still_stand_in_for_the_operation(api: Api, emu: BatchEmulator) -> None:
    await api.add("j", priority=1)
    for kind in ("throttle", "busy", "internal_error"):
        emu.faults.add(kind, operation="patch", times=1)
        assert (await api.call("PATCH", "/jobs/j", body={"priority": 7})).status >= 429
    assert (await api.get("j")).body["priority"] == 1


async def test_reset_after_commit(api: Api, emu: BatchEmulator) -> None:
    await api.add("j")
    emu.faults.reset_after_commit(operation="terminate")
    with pytest.raises((aiohttp.ClientOSError, aiohttp.ServerDisconnectedError)):
        await api.call("POST", "/jobs/j/terminate", data=b"")
    assert await api.state("j") in ("terminating", "completed")
    assert emu.request_log.count("terminate", 0) == 1
    again = await api.call("POST", "/jobs/j/terminate", data=b"")
    assert again.status == 409 and again.code in ("JobBeingTerminated", "JobCompleted")


@pytest.mark.batch_emulator(shutdown_timeout=0.05)  # the held-back answer is abandoned
async def test_delay_after_commit_applies_before_the_answer(api: Api, emu: BatchEmulator) -> None:
    emu.faults.slow(60_000, operation="add", after_commit=True)
    pending = asyncio.ensure_future(api.call("POST", "/jobs", body=ADD_BODY))
    try:
        for _ in range(500):  # bounded: the job appears while the answer is still held back
            if emu.store.job_ids():
                break
            await asyncio.sleep(0.01)
        assert emu.store.job_ids() == ["committed"]
        assert not pending.done()
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending


@pytest.mark.batch_emulator(shutdown_timeout=0.05)  # the held-back answer is abandoned
async def test_delay_without_after_commit_applies_after_the_pause(api: Api, emu: BatchEmulator) -> None:
    emu.faults.slow(60_000, operation="add")
    pending = asyncio.ensure_future(api.call("POST", "/jobs", body=ADD_BODY))
    try:
        for _ in range(500):
            if emu.faults.rules[0].fired:
                break
            await asyncio.sleep(0.01)
        assert emu.faults.rules[0].fired == 1
        assert emu.store.job_ids() == []
    finally:
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pending


async def test_after_commit_replaces_an_error_answer_too(api: Api, emu: BatchEmulator) -> None:
    emu.faults.fail_after_commit(operation="get")
    assert_batch_error(await api.get("missing"), 500, "InternalError")  # not the 404


async def test_after_commit_through_the_admin_api(api: Api, emu: BatchEmulator) -> None:
    created = await api.admin(
        "POST", "/faults", {"kind": "internal_error", "operation": "add", "after_commit": True}
    )
    assert created.status == 201 and created.body["after_commit"] is True
    assert_batch_error(await api.call("POST", "/jobs", body=ADD_BODY), 500, "InternalError")
    assert emu.store.job_ids() == ["committed"]
    listed = (await api.admin("GET", "/faults")).body["rules"]
    assert listed[0]["after_commit"] is True and listed[0]["fired"] == 1
    bad = await api.admin("POST", "/faults", {"kind": "busy", "after_commit": "yes"})
    assert_batch_error(bad, 400, "InvalidPropertyValue")


# ------------------------------------------------------------------------------ fast retry hints


class RecordingTransport(AioHttpTransport):
    """azure-core's aiohttp transport, recording the retry sleeps instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, duration: float) -> None:
        self.slept.append(duration)


async def get_with_azure_core_retries(emu: BatchEmulator) -> tuple[int, list[float]]:
    transport = RecordingTransport()
    policies = [AsyncRetryPolicy(retry_total=3, retry_backoff_factor=0.8)]
    async with AsyncPipeline(transport, policies=policies) as pipeline:
        response = await pipeline.run(HttpRequest("GET", f"{emu.endpoint}/jobs?api-version={API_VERSION}"))
        return response.http_response.status_code, transport.slept


async def test_retry_after_ms_makes_azure_core_retry_after_milliseconds(emu: BatchEmulator) -> None:
    rule = emu.faults.throttle(operation="list", times=2, retry_after_ms=5)
    status, slept = await get_with_azure_core_retries(emu)
    assert status == 200
    assert slept == [0.005, 0.005]
    assert rule.fired == 2


async def test_retry_after_zero_falls_back_to_azure_core_backoff(emu: BatchEmulator) -> None:
    emu.faults.server_busy(operation="list", times=2, retry_after=0)
    status, slept = await get_with_azure_core_retries(emu)
    assert status == 200
    # "Retry-After: 0" counts as no hint: the first retry is immediate, the second waits for the
    # exponential backoff (seconds with the default factor) instead of a few milliseconds.
    assert len(slept) == 1 and slept[0] >= 0.8


async def test_retry_after_ms_headers(api: Api, emu: BatchEmulator) -> None:
    emu.faults.server_busy(operation="list", retry_after_ms=20)
    reply = await api.call("GET", "/jobs")
    assert_batch_error(reply, 503, "ServerBusy")
    assert reply.headers["retry-after-ms"] == "20" and reply.headers["x-ms-retry-after-ms"] == "20"
    assert "Retry-After" not in reply.headers
    created = await api.admin("POST", "/faults", {"kind": "throttle", "retry_after_ms": 0})
    assert created.status == 201 and created.body["retry_after_ms"] == 0
    bad = await api.admin("POST", "/faults", {"kind": "throttle", "retry_after_ms": -1})
    assert_batch_error(bad, 400, "InvalidPropertyValue")
