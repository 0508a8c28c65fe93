"""Issue 7: hostile or broken clients get Batch errors, bounded waits and a prompt shutdown."""

from __future__ import annotations

from azbatch.emulator import BatchEmulator

from ._client import Api, assert_batch_error


async def test_huge_integer_in_filter_is_a_400(api: Api) -> None:
    digits = "9" * 5000
    for expr in (
        f"jobPreparationTaskExecutionInfo/exitCode eq {digits}",
        f"id eq {digits}",
        f"jobPreparationTaskExecutionInfo/exitCode eq -{digits}",
    ):
        reply = await api.call("GET", "/jobs", query={"$filter": expr})
        assert_batch_error(reply, 400, "InvalidQueryParameterValue")
        assert reply.detail("QueryParameterName") == "$filter"
    prep = "jobPreparationTaskExecutionInfo/exitCode eq 99999999999999999999"
    await api.add("p", jobPreparationTask={"commandLine": "x"})
    reply = await api.call("GET", "/jobs/p/jobpreparationandreleasetaskstatus", query={"$filter": prep})
    assert_batch_error(reply, 400, "InvalidQueryParameterValue")
    assert "out of range" in (reply.detail("Reason") or "")
    ok = "jobPreparationTaskExecutionInfo/exitCode eq 9223372036854775807"
    assert (
        await api.call("GET", "/jobs/p/jobpreparationandreleasetaskstatus", query={"$filter": ok})
    ).status == 200


async def test_huge_numbers_in_other_query_parameters(api: Api, emu: BatchEmulator) -> None:
    digits = "1" * 5000
    assert_batch_error(
        await api.call("GET", "/jobs", query={"maxresults": digits}), 400, "InvalidQueryParameterValue"
    )
    assert_batch_error(
        await api.call("GET", "/jobs", query={"timeout": digits}), 400, "InvalidQueryParameterValue"
    )
