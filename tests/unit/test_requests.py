"""Pure request builders: URLs, headers, bodies and argument validation, without any I/O."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import pytest
from azure.core import MatchConditions

from azbatch import models
from azbatch._protocol import _requests as rq

TARGET = rq.Target.create("https://acct.westus.batch.azure.com/", "2024-02-01.19.0")
UTC = datetime.timezone.utc


def _body(request: Any) -> Any:
    return json.loads(request.content)


def test_target_normalises_and_validates_the_endpoint() -> None:
    assert TARGET.endpoint == "https://acct.westus.batch.azure.com"
    for bad in ("acct.westus.batch.azure.com", "ftp://x", "https://", "https://x?y=1"):
        with pytest.raises(ValueError, match="endpoint"):
            rq.Target.create(bad, "v")
    with pytest.raises(TypeError, match="endpoint"):
        rq.Target.create(None, "v")


def test_get_request_escapes_the_id_and_joins_select_and_expand() -> None:
    request = rq.build_get_request(TARGET, "a b/c", select=["id", "state"], expand="stats")
    assert request.method == "GET"
    assert request.url == (
        "https://acct.westus.batch.azure.com/jobs/a%20b%2Fc?api-version=2024-02-01.19.0&$select=id%2Cstate&$expand=stats"
    )
    assert "Content-Length" not in request.headers


def test_list_query_encodes_filter_values() -> None:
    request = rq.build_list_request(TARGET, filter="state eq 'active'", max_results=10)
    assert request.url.endswith(
        "/jobs?api-version=2024-02-01.19.0&$filter=state%20eq%20%27active%27&maxresults=10"
    )


def test_common_options_become_query_and_headers() -> None:
    rid = uuid.UUID("9c4d50ee-2d56-4cd3-8152-34347dc9f2b0")
    options = rq.options(
        service_timeout=20,
        client_request_id=rid,
        return_client_request_id=True,
        ocp_date=datetime.datetime(2017, 2, 17, tzinfo=UTC),
    )
    request = rq.build_get_task_counts_request(TARGET, "j", options)
    assert request.url.endswith("/jobs/j/taskcounts?api-version=2024-02-01.19.0&timeout=20")
    assert request.headers["client-request-id"] == str(rid)
    assert request.headers["return-client-request-id"] == "true"
    assert request.headers["ocp-date"] == "Fri, 17 Feb 2017 00:00:00 GMT"


@pytest.mark.parametrize(
    ("condition", "header", "value"),
    [
        (MatchConditions.IfNotModified, "If-Match", "0x8D1"),
        (MatchConditions.IfModified, "If-None-Match", "0x8D1"),
        (MatchConditions.IfPresent, "If-Match", "*"),
        (MatchConditions.IfMissing, "If-None-Match", "*"),
    ],
)
def test_match_conditions_map_to_if_headers(condition: MatchConditions, header: str, value: str) -> None:
    etag = "0x8D1" if condition in (MatchConditions.IfNotModified, MatchConditions.IfModified) else None
    request = rq.build_delete_request(TARGET, "j", conditions=rq.conditions(etag, condition))
    assert request.headers[header] == value
    assert request.headers["Content-Length"] == "0"


def test_date_conditions_are_rfc1123_and_naive_means_utc() -> None:
    conditions = rq.conditions(
        if_modified_since=datetime.datetime(2020, 1, 2, 3, 4, 5),
        if_unmodified_since=datetime.datetime(
            2020, 1, 2, 4, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
        ),
    )
    request = rq.build_enable_request(TARGET, "j", conditions=conditions)
    assert request.headers["If-Modified-Since"] == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert request.headers["If-Unmodified-Since"] == "Thu, 02 Jan 2020 03:04:05 GMT"


def test_bodies_are_compact_json_with_the_batch_content_type() -> None:
    request = rq.build_disable_request(TARGET, "j", models.DisableJobOption.TERMINATE)
    assert request.headers["Content-Type"] == "application/json; odata=minimalmetadata"
    assert request.content == b'{"disableTasks":"terminate"}'
    assert request.headers["Content-Length"] == str(len(request.content))
    assert _body(rq.build_disable_request(TARGET, "j", "REQUEUE")) == {"disableTasks": "requeue"}


def test_terminate_without_reason_has_no_body() -> None:
    request = rq.build_terminate_request(TARGET, "j")
    assert request.content is None
    assert "Content-Type" not in request.headers
    assert request.headers["Content-Length"] == "0"
    assert _body(rq.build_terminate_request(TARGET, "j", "done")) == {"terminateReason": "done"}


def test_add_accepts_model_or_wire_mapping() -> None:
    model = models.JobAddParameter(id="j1", pool_info=models.PoolInformation(pool_id="p"))
    wire = {"id": "j1", "poolInfo": {"poolId": "p"}}
    assert _body(rq.build_add_request(TARGET, model)) == wire
    assert _body(rq.build_add_request(TARGET, wire)) == wire


def test_update_from_a_fetched_job_sends_only_writable_properties() -> None:
    fetched = models.CloudJob.from_dict(
        {
            "id": "j",
            "state": "active",
            "eTag": "0x1",
            "priority": 5,
            "poolInfo": {"poolId": "p", "futureNested": 1},
            "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 0},
        }
    )
    body = _body(rq.build_update_request(TARGET, "j", fetched))
    assert body == {
        "priority": 5,
        "poolInfo": {"poolId": "p", "futureNested": 1},
        "constraints": {"maxWallClockTime": "P10675199DT2H48M5.4775807S", "maxTaskRetryCount": 0},
    }


def test_next_page_request_keeps_the_link_but_forces_the_client_api_version() -> None:
    link = "https://acct.westus.batch.azure.com/jobs?$skiptoken=abc%3D&api-version=2020-01-01.0&maxresults=2"
    request = rq.build_next_page_request(TARGET, link, rq.options(return_client_request_id=True))
    assert request.url == (
        "https://acct.westus.batch.azure.com/jobs?api-version=2024-02-01.19.0&$skiptoken=abc%3D&maxresults=2"
    )
    assert request.headers["return-client-request-id"] == "true"


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/jobs?$skiptoken=1",
        "http://acct.westus.batch.azure.com/jobs?$skiptoken=1",
        "https://acct.westus.batch.azure.com:8443/jobs",
    ],
)
def test_next_page_request_refuses_other_origins(link: str) -> None:
    with pytest.raises(ValueError, match="continuation_token"):
        rq.build_next_page_request(TARGET, link)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: rq.build_get_request(TARGET, ""), ValueError, "job_id"),
        (lambda: rq.build_get_request(TARGET, "x" * 65), ValueError, "job_id"),
        (lambda: rq.build_get_request(TARGET, 42), TypeError, "job_id"),
        (lambda: rq.build_list_request(TARGET, max_results=0), ValueError, "max_results"),
        (lambda: rq.build_list_request(TARGET, max_results=1001), ValueError, "max_results"),
        (lambda: rq.build_list_request(TARGET, max_results="10"), TypeError, "max_results"),
        (lambda: rq.build_list_request(TARGET, max_results=True), TypeError, "max_results"),
        (lambda: rq.build_list_request(TARGET, filter=" "), ValueError, "filter"),
        (lambda: rq.build_list_request(TARGET, select=[1]), TypeError, "select"),
        (lambda: rq.build_list_request(TARGET, select=""), ValueError, "select"),
        (lambda: rq.build_list_from_job_schedule_request(TARGET, ""), ValueError, "job_schedule_id"),
        (lambda: rq.options(service_timeout="30"), TypeError, "service_timeout"),
        (lambda: rq.options(service_timeout=0), ValueError, "service_timeout"),
        (lambda: rq.options(client_request_id="not-a-uuid"), ValueError, "client_request_id"),
        (lambda: rq.options(return_client_request_id="yes"), TypeError, "return_client_request_id"),
        (lambda: rq.options(ocp_date="today"), TypeError, "ocp_date"),
        (lambda: rq.conditions(etag="0x1"), ValueError, "etag"),
        (lambda: rq.conditions(match_condition=MatchConditions.IfNotModified), ValueError, "etag"),
        (lambda: rq.conditions(match_condition="IfMatch"), TypeError, "match_condition"),
        (lambda: rq.build_disable_request(TARGET, "j", "bogus"), ValueError, "disable_tasks"),
        (lambda: rq.build_disable_request(TARGET, "j", None), TypeError, "disable_tasks"),
        (lambda: rq.build_terminate_request(TARGET, "j", 5), TypeError, "terminate_reason"),
        (lambda: rq.build_add_request(TARGET, {"poolInfo": {"poolId": "p"}}), TypeError, "job.id"),
        (
            lambda: rq.build_add_request(TARGET, {"id": "bad id!", "poolInfo": {"poolId": "p"}}),
            ValueError,
            "job.id",
        ),
        (lambda: rq.build_add_request(TARGET, {"id": "j"}), ValueError, "pool_info"),
        (lambda: rq.build_add_request(TARGET, "j"), TypeError, "job"),
        (lambda: rq.build_add_request(TARGET, models.JobPatchParameter()), TypeError, "job"),
        (
            lambda: rq.build_add_request(
                TARGET,
                models.JobAddParameter(id="j", pool_info=models.PoolInformation(pool_id="p"), priority="hi"),  # type: ignore[arg-type]
            ),
            TypeError,
            "priority",
        ),
        (
            lambda: rq.build_update_request(TARGET, "j", models.JobUpdateParameter(priority=1)),
            ValueError,
            "pool_info",
        ),
    ],
)
def test_bad_arguments_raise_naming_the_parameter(call: Any, error: type[Exception], name: str) -> None:
    with pytest.raises(error, match=name.replace(".", r"\.")):
        call()


def test_odata_annotations_of_a_fetched_resource_are_not_sent() -> None:
    fetched = {
        "odata.metadata": "https://acct/$metadata#jobs/@Element",
        "priority": 3,
        "poolInfo": {"poolId": "p"},
    }
    body = _body(rq.build_update_request(TARGET, "j", models.JobUpdateParameter.from_dict(fetched)))
    assert body == {"priority": 3, "poolInfo": {"poolId": "p"}}
    assert "odata.metadata" not in _body(rq.build_patch_request(TARGET, "j", fetched))


def test_newer_api_versions_spell_the_timeout_parameter_timeout_with_capital_o() -> None:
    newer = rq.Target.create("https://acct.westus.batch.azure.com", "2025-06-01")
    assert rq.build_get_request(newer, "j", options=rq.options(service_timeout=5)).url.endswith(
        "/jobs/j?api-version=2025-06-01&timeOut=5"
    )
    assert rq.build_get_request(TARGET, "j", options=rq.options(service_timeout=5)).url.endswith("&timeout=5")


def test_every_page_carries_the_server_timeout() -> None:
    link = "https://acct.westus.batch.azure.com/jobs?$skiptoken=abc"
    request = rq.build_next_page_request(TARGET, link, rq.options(service_timeout=7))
    assert request.url.endswith("/jobs?api-version=2024-02-01.19.0&$skiptoken=abc&timeout=7")
    already = rq.build_next_page_request(TARGET, link + "&timeout=9", rq.options(service_timeout=7))
    assert already.url.endswith("&timeout=9")  # the service's own link wins


def test_update_from_a_fetched_job_keeps_properties_this_package_does_not_know() -> None:
    fetched = models.CloudJob.from_dict(
        {
            "id": "j",
            "state": "active",
            "futureWritable": {"a": 1},
            "odata.metadata": "m",
            "poolInfo": {"poolId": "p"},
        }
    )
    assert _body(rq.build_update_request(TARGET, "j", fetched)) == {
        "poolInfo": {"poolId": "p"},
        "futureWritable": {"a": 1},
    }


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_a_body_with_nan_or_infinity_is_refused_not_sent_as_invalid_json(value: float) -> None:
    wire = {"id": "j1", "poolInfo": {"poolId": "p"}, "futureSetting": value}
    with pytest.raises(ValueError, match="NaN or infinity"):
        rq.build_add_request(TARGET, wire)


def test_a_body_with_a_value_json_cannot_carry_is_a_type_error() -> None:
    wire = {"id": "j1", "poolInfo": {"poolId": "p"}, "futureSetting": object()}
    with pytest.raises(TypeError, match="JSON cannot carry"):
        rq.build_add_request(TARGET, wire)


def test_a_date_that_overflows_utc_is_a_value_error_naming_the_parameter() -> None:
    edge = datetime.datetime(9999, 12, 31, 23, 30, tzinfo=datetime.timezone(-datetime.timedelta(hours=1)))
    with pytest.raises(ValueError, match="ocp_date falls outside the years 1-9999"):
        rq.options(None, None, None, edge)
    with pytest.raises(ValueError, match="if_modified_since falls outside"):
        rq.conditions(None, None, edge, None)
