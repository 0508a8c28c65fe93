"""Validation of request bodies: the service's 400 answers for add, patch, update, disable and terminate.

Each ``validate_*`` function returns the normalised body to store, or raises the Batch error the service
would send (MissingRequiredProperty, InvalidPropertyValue, UnsupportedProperty).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from . import _errors as err
from ._time import TICKS_PER_SECOND
from ._versions import job_network_properties, patch_takes_network, pool_spec_properties

_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DURATION_RE = re.compile(
    r"P(?=\d|T\d)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?"
)
_TICKS_PER_DAY = 86_400 * TICKS_PER_SECOND
_MAX_FIELD_DIGITS = 30
MAX_DURATION = "P10675199DT2H48M5.4775807S"
"""The largest duration the service takes or returns: .NET ``TimeSpan.MaxValue``."""
MAX_DURATION_TICKS = 2**63 - 1
"""``TimeSpan.MaxValue`` in 100 ns ticks (``Int64.MaxValue``)."""
_ON_ALL_TASKS_COMPLETE = frozenset({"noaction", "terminatejob"})
_ON_TASK_FAILURE = frozenset({"noaction", "performexitoptionsjobaction"})
_DISABLE_OPTIONS = frozenset({"requeue", "terminate", "wait"})
_POOL_LIFETIME = frozenset({"job", "jobschedule"})
# Duration properties inside definitions that are otherwise stored as sent (BatchService.json, format
# "duration", reachable from JobAddParameter).
_TASK_CONSTRAINT_DURATIONS = ("constraints.maxWallClockTime", "constraints.retentionTime")
_RELEASE_TASK_DURATIONS = ("maxWallClockTime", "retentionTime")
_POOL_DURATIONS = (
    "resizeTimeout",
    "autoScaleEvaluationInterval",
    "upgradePolicy.rollingUpgradePolicy.pauseTimeBetweenBatches",
)
TASK_STATES = frozenset({"running", "completed"})
TASK_RESULTS = frozenset({"success", "failure"})

_ADD_PROPS = (
    "id",
    "displayName",
    "priority",
    "maxParallelTasks",
    "allowTaskPreemption",
    "constraints",
    "jobManagerTask",
    "jobPreparationTask",
    "jobReleaseTask",
    "commonEnvironmentSettings",
    "poolInfo",
    "onAllTasksComplete",
    "onTaskFailure",
    "metadata",
    "usesTaskDependencies",
    "networkConfiguration",
)
# Top-level properties of the task definitions (the same in every version the emulator knows; the 2025
# swagger keeps authenticationTokenSettings even though the 2025 Python models dropped it).
_TASK_PROPS = {
    "jobManagerTask": (
        "id", "displayName", "commandLine", "containerSettings", "resourceFiles", "outputFiles",
        "environmentSettings", "constraints", "requiredSlots", "killJobOnCompletion", "userIdentity",
        "runExclusive", "applicationPackageReferences", "authenticationTokenSettings", "allowLowPriorityNode",
    ),
    "jobPreparationTask": (
        "id", "commandLine", "containerSettings", "resourceFiles", "environmentSettings", "constraints",
        "waitForSuccess", "userIdentity", "rerunOnNodeRebootAfterSuccess",
    ),
    "jobReleaseTask": (
        "id", "commandLine", "containerSettings", "resourceFiles", "environmentSettings", "maxWallClockTime",
        "retentionTime", "userIdentity",
    ),
}  # fmt: skip
_AUTO_POOL_PROPS = ("autoPoolIdPrefix", "poolLifetimeOption", "keepAlive", "pool")
UPDATABLE_PROPS = (
    "priority",
    "maxParallelTasks",
    "allowTaskPreemption",
    "onAllTasksComplete",
    "constraints",
    "poolInfo",
    "metadata",
)


def reject_unknown(body: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
    known = set(allowed)
    for name in body:
        # OData annotations (odata.metadata, echoed back by clients that send a fetched job) are not
        # properties: an OData service ignores them in request payloads, and they are never stored.
        if name not in known and not name.startswith("odata."):
            raise err.unsupported_property(prefix + name)


def as_object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise err.invalid_property(name, value, "expected a JSON object")
    return value


def as_string(value: Any, name: str, *, max_len: int | None = None, non_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise err.invalid_property(name, value, "expected a string")
    if non_empty and not value:
        raise err.invalid_property(name, value, "must not be empty")
    if max_len is not None and len(value) > max_len:
        raise err.invalid_property(name, value, f"longer than {max_len} characters")
    return value


def as_int(value: Any, name: str) -> int:
    # bool is an int subclass in Python but not a JSON integer.
    if isinstance(value, bool) or not isinstance(value, int):
        raise err.invalid_property(name, value, "expected an integer")
    return value


def as_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise err.invalid_property(name, value, "expected true or false")
    return value


def as_enum(value: Any, name: str, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise err.invalid_property(name, value, "expected one of " + ", ".join(sorted(allowed)))
    return str(value)


def duration_ticks(text: str) -> int | None:
    """The ISO 8601 duration ``text`` in 100 ns ticks, exactly (integers only), or None if malformed.

    Years count 365 days, months 30 and weeks 7, as the service's .NET parser counts them; fractional
    seconds beyond 7 digits are truncated, never rounded up. No upper bound is applied here, except that
    a field with more than 30 significant digits (far beyond ``TimeSpan.MaxValue`` in any unit) gives
    ``MAX_DURATION_TICKS + 1`` instead of being converted: Python refuses to convert very long digit
    strings to int, and a 1 MiB body could hold one.
    """
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        return None
    *fields, fraction = (g or "" for g in match.groups())
    significant = [f.lstrip("0") for f in fields]
    if any(len(f) > _MAX_FIELD_DIGITS for f in significant):
        return MAX_DURATION_TICKS + 1
    years, months, weeks, days, hours, minutes, seconds = (int(f or 0) for f in significant)
    total_days = years * 365 + months * 30 + weeks * 7 + days
    total_seconds = (hours * 60 + minutes) * 60 + seconds
    return total_days * _TICKS_PER_DAY + total_seconds * TICKS_PER_SECOND + int((fraction + "0000000")[:7])


def as_duration(value: Any, name: str) -> str:
    """Check an ISO 8601 duration property: well formed, not negative, at most ``TimeSpan.MaxValue``."""
    text = as_string(value, name)
    if text.startswith("-"):
        raise err.invalid_property(name, value, "a negative duration is not allowed here")
    ticks = duration_ticks(text)
    if ticks is None:
        raise err.invalid_property(name, value, "expected an ISO 8601 duration such as PT1H")
    if ticks > MAX_DURATION_TICKS:
        raise err.invalid_property(
            name, value, f"longer than the largest duration the service accepts ({MAX_DURATION})"
        )
    return text


def check_durations(obj: Mapping[str, Any], paths: Iterable[str], prefix: str) -> None:
    """Check the duration properties at the dotted ``paths`` of ``obj`` wherever they are present.

    Used for definitions that are otherwise stored as sent (tasks, auto-pool specifications): a missing
    or non-object parent, or a null value, is skipped; a value that is there must be a valid duration.
    """
    for path in paths:
        node: Any = obj
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(leaf) is not None:
            as_duration(node[leaf], prefix + path)


def check_job_id(value: Any, name: str = "id") -> str:
    if value is None:
        raise err.missing_property(name)
    text = as_string(value, name, non_empty=False)
    if not _ID_RE.fullmatch(text):
        raise err.invalid_property(
            name, value, "ids are 1-64 characters of letters, digits, hyphens and underscores"
        )
    return text


def _priority(value: Any) -> int:
    number = as_int(value, "priority")
    if not -1000 <= number <= 1000:
        raise err.invalid_property("priority", value, "must be between -1000 and 1000")
    return number


def _max_parallel(value: Any) -> int:
    number = as_int(value, "maxParallelTasks")
    if number != -1 and number <= 0:
        raise err.invalid_property("maxParallelTasks", value, "must be -1 (unlimited) or greater than 0")
    return number


def _constraints(value: Any) -> dict[str, Any]:
    obj = as_object(value, "constraints")
    reject_unknown(obj, ("maxWallClockTime", "maxTaskRetryCount"), "constraints.")
    out: dict[str, Any] = {}
    if obj.get("maxWallClockTime") is not None:
        out["maxWallClockTime"] = as_duration(obj["maxWallClockTime"], "constraints.maxWallClockTime")
    if obj.get("maxTaskRetryCount") is not None:
        count = as_int(obj["maxTaskRetryCount"], "constraints.maxTaskRetryCount")
        if count < -1:
            raise err.invalid_property("constraints.maxTaskRetryCount", count, "must be -1 or greater")
        out["maxTaskRetryCount"] = count
    return out


def _pairs(value: Any, name: str, *, value_required: bool) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise err.invalid_property(name, value, "expected a JSON array")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        obj = as_object(item, where)
        reject_unknown(obj, ("name", "value"), where + ".")
        if obj.get("name") is None:
            raise err.missing_property(where + ".name")
        pair: dict[str, Any] = {"name": as_string(obj["name"], where + ".name")}
        if obj.get("value") is not None:
            pair["value"] = as_string(obj["value"], where + ".value", non_empty=False)
        elif value_required:
            raise err.missing_property(where + ".value")
        out.append(pair)
    return out


def _pool_info(value: Any, version: str | None) -> dict[str, Any]:
    obj = as_object(value, "poolInfo")
    reject_unknown(obj, ("poolId", "autoPoolSpecification"), "poolInfo.")
    has_id = obj.get("poolId") is not None
    has_auto = obj.get("autoPoolSpecification") is not None
    if has_id == has_auto:
        raise err.invalid_property(
            "poolInfo", value, "exactly one of poolId and autoPoolSpecification must be given"
        )
    if has_id:
        return {"poolId": as_string(obj["poolId"], "poolInfo.poolId", max_len=64)}
    auto = as_object(obj["autoPoolSpecification"], "poolInfo.autoPoolSpecification")
    where = "poolInfo.autoPoolSpecification."
    reject_unknown(auto, _AUTO_POOL_PROPS, where)
    if auto.get("poolLifetimeOption") is None:
        raise err.missing_property(where + "poolLifetimeOption")
    as_enum(auto["poolLifetimeOption"], where + "poolLifetimeOption", _POOL_LIFETIME)
    if auto.get("autoPoolIdPrefix") is not None:
        as_string(auto["autoPoolIdPrefix"], where + "autoPoolIdPrefix", max_len=20)
    if auto.get("keepAlive") is not None:
        as_bool(auto["keepAlive"], where + "keepAlive")
    if auto.get("pool") is not None:
        pool = as_object(auto["pool"], where + "pool")
        # Retired properties (cloudServiceConfiguration, ...) are unknown to the versions that dropped them.
        reject_unknown(pool, pool_spec_properties(version), where + "pool.")
        if pool.get("vmSize") is None:
            raise err.missing_property(where + "pool.vmSize")
        as_string(pool["vmSize"], where + "pool.vmSize")
        check_durations(pool, _POOL_DURATIONS, where + "pool.")
    return {"autoPoolSpecification": copy.deepcopy(auto)}


def _task(
    value: Any,
    name: str,
    *,
    id_required: bool,
    default_id: str | None,
    durations: tuple[str, ...] = _TASK_CONSTRAINT_DURATIONS,
) -> dict[str, Any]:
    # Task definitions are stored as sent; only their own property names and the properties the service
    # cannot do without are checked.
    obj = copy.deepcopy(as_object(value, name))
    reject_unknown(obj, _TASK_PROPS[name], name + ".")
    if obj.get("id") is None:
        if id_required:
            raise err.missing_property(name + ".id")
        if default_id is not None:
            obj = {"id": default_id, **obj}
    else:
        check_job_id(obj["id"], name + ".id")
    if obj.get("commandLine") is None:
        raise err.missing_property(name + ".commandLine")
    as_string(obj["commandLine"], name + ".commandLine")
    check_durations(obj, durations, name + ".")
    return obj


def validate_add(body: Mapping[str, Any], *, version: str | None = None) -> dict[str, Any]:
    """Check a JobAddParameter body for ``version`` (None: any known version); return what to keep."""
    reject_unknown(body, _ADD_PROPS)
    props: dict[str, Any] = {"id": check_job_id(body.get("id"))}
    if body.get("poolInfo") is None:
        raise err.missing_property("poolInfo")
    props.update(_updatable(body, UPDATABLE_PROPS, version))
    if body.get("displayName") is not None:
        props["displayName"] = as_string(body["displayName"], "displayName", max_len=1024, non_empty=False)
    if body.get("usesTaskDependencies") is not None:
        props["usesTaskDependencies"] = as_bool(body["usesTaskDependencies"], "usesTaskDependencies")
    if body.get("onTaskFailure") is not None:
        props["onTaskFailure"] = as_enum(body["onTaskFailure"], "onTaskFailure", _ON_TASK_FAILURE)
    if body.get("jobManagerTask") is not None:
        props["jobManagerTask"] = _task(
            body["jobManagerTask"], "jobManagerTask", id_required=True, default_id=None
        )
    if body.get("jobPreparationTask") is not None:
        props["jobPreparationTask"] = _task(
            body["jobPreparationTask"], "jobPreparationTask", id_required=False, default_id="jobpreparation"
        )
    if body.get("jobReleaseTask") is not None:
        props["jobReleaseTask"] = _task(
            body["jobReleaseTask"],
            "jobReleaseTask",
            id_required=False,
            default_id="jobrelease",
            durations=_RELEASE_TASK_DURATIONS,
        )
    if body.get("commonEnvironmentSettings") is not None:
        props["commonEnvironmentSettings"] = _pairs(
            body["commonEnvironmentSettings"], "commonEnvironmentSettings", value_required=False
        )
    if body.get("networkConfiguration") is not None:
        props["networkConfiguration"] = _network(body["networkConfiguration"], version)
    return props


def _network(value: Any, version: str | None) -> dict[str, Any]:
    net = as_object(value, "networkConfiguration")
    reject_unknown(net, job_network_properties(version), "networkConfiguration.")
    if net.get("subnetId") is None:
        raise err.missing_property("networkConfiguration.subnetId")
    out: dict[str, Any] = {"subnetId": as_string(net["subnetId"], "networkConfiguration.subnetId")}
    if net.get("skipWithdrawFromVNet") is not None:
        out["skipWithdrawFromVNet"] = as_bool(
            net["skipWithdrawFromVNet"], "networkConfiguration.skipWithdrawFromVNet"
        )
    return out


def _updatable(body: Mapping[str, Any], names: Iterable[str], version: str | None) -> dict[str, Any]:
    """Validate the properties that add, patch and update share; absent or null ones are skipped."""
    out: dict[str, Any] = {}
    for name in names:
        value = body.get(name)
        if value is None:
            continue
        if name == "priority":
            out[name] = _priority(value)
        elif name == "maxParallelTasks":
            out[name] = _max_parallel(value)
        elif name == "allowTaskPreemption":
            out[name] = as_bool(value, name)
        elif name == "onAllTasksComplete":
            out[name] = as_enum(value, name, _ON_ALL_TASKS_COMPLETE)
        elif name == "constraints":
            out[name] = _constraints(value)
        elif name == "poolInfo":
            out[name] = _pool_info(value, version)
        elif name == "metadata":
            out[name] = _pairs(value, name, value_required=True)
    return out


def validate_patch(body: Mapping[str, Any], *, version: str | None = None) -> dict[str, Any]:
    """Check a JobPatchParameter body; return the properties to merge.

    From 2024-07-01.20.0 on, patch may also set the job's ``networkConfiguration``.
    """
    with_network = patch_takes_network(version)
    reject_unknown(body, (*UPDATABLE_PROPS, "networkConfiguration") if with_network else UPDATABLE_PROPS)
    out = _updatable(body, UPDATABLE_PROPS, version)
    if with_network and body.get("networkConfiguration") is not None:
        out["networkConfiguration"] = _network(body["networkConfiguration"], version)
    return out


def validate_update(
    body: Mapping[str, Any], *, job_id: str | None = None, version: str | None = None
) -> dict[str, Any]:
    """Check a JobUpdateParameter body; return the properties that replace the updatable set.

    With ``job_id`` the body may also carry ``id`` (the 2025 PUT body is the whole job model), and it
    must name that job (ids compare case-insensitively, as everywhere in Batch).
    """
    if job_id is not None and "id" in body:
        sent = body["id"]
        if not isinstance(sent, str) or sent.lower() != job_id.lower():
            raise err.invalid_property("id", sent, "the id in the body must be the id of the job in the URL")
        body = {name: value for name, value in body.items() if name != "id"}
    reject_unknown(body, UPDATABLE_PROPS)
    if body.get("poolInfo") is None:
        raise err.missing_property("poolInfo")
    return _updatable(body, UPDATABLE_PROPS, version)


def validate_disable(body: Mapping[str, Any]) -> str:
    """Check a JobDisableParameter body; return the ``disableTasks`` option."""
    reject_unknown(body, ("disableTasks",))
    if body.get("disableTasks") is None:
        raise err.missing_property("disableTasks")
    return as_enum(body["disableTasks"], "disableTasks", _DISABLE_OPTIONS)


def validate_terminate(body: Mapping[str, Any]) -> str | None:
    """Check a JobTerminateParameter body; return the caller's reason, if any."""
    reject_unknown(body, ("terminateReason",))
    if body.get("terminateReason") is None:
        return None
    return as_string(body["terminateReason"], "terminateReason", max_len=4096)
