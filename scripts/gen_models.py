#!/usr/bin/env python3
"""Generate ``src/azbatch/models/_generated.py``, ``_enums.py`` and ``_versions.py`` from the job-model tables.

One model set covers every api-version in ``VERSIONS``; each version has a table in ``scripts/spec/``
(names, wire types, ``required`` lists and enum values only, no prose), so CI never needs the large
OpenAPI files:

``--extract BATCHSERVICE_JSON``
    Walks a (2024-era, hand-written) OpenAPI document from the 12 job operations, follows every ``$ref``
    and writes ``scripts/spec/jobs-<info.version>.json``.

``--extract-derived JOB_MODELS_JSON``
    Reads the definitions-only description of 2025-06-01 (derived from azure-batch 15.1.0), maps its
    names back to the 2024 ones (``NAMES_2025``) and writes ``scripts/spec/jobs-2025-06-01.json``.

(default) / ``--check``
    Merges the tables (every property records the versions that know it) and writes the Python source;
    property docstrings come from ``scripts/spec/descriptions.json``, which must describe every
    property. ``--check`` exits non-zero when the committed files differ from what the tables produce,
    which CI runs so hand edits cannot drift from the tables.
"""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
from pathlib import Path
from typing import Any

from model_summaries import SUMMARIES

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "scripts" / "spec"
MODELS_OUT = ROOT / "src" / "azbatch" / "models" / "_generated.py"
ENUMS_OUT = ROOT / "src" / "azbatch" / "models" / "_enums.py"
VERSIONS_OUT = ROOT / "src" / "azbatch" / "models" / "_versions.py"
DESCRIPTIONS = SPEC / "descriptions.json"

# The api-versions the one model set covers, oldest first, each with its table in scripts/spec/.
# The first is the package's naming basis: classes and attributes keep its (azure-batch 14.x) names.
VERSIONS = ("2024-02-01.19.0", "2024-07-01.20.0", "2025-06-01")
TABLE = SPEC / f"jobs-{VERSIONS[0]}.json"


def table_path(version: str) -> Path:
    return SPEC / f"jobs-{version}.json"


JOB_OPERATIONS = {
    "Job_Add",
    "Job_Delete",
    "Job_Disable",
    "Job_Enable",
    "Job_Get",
    "Job_GetTaskCounts",
    "Job_List",
    "Job_ListFromJobSchedule",
    "Job_ListPreparationAndReleaseTaskStatus",
    "Job_Patch",
    "Job_Terminate",
    "Job_Update",
}

# Wire properties whose values are credentials: their reprs are masked.
SECRET_PROPERTIES = {"accountKey", "sasKey", "password", "protectedSettings", "sshPrivateKey"}

# Wire properties holding URLs that may carry a SAS token: the query string is masked in reprs.
URL_PROPERTIES = {"containerUrl", "httpUrl", "storageContainerUrl", "azureFileUrl"}

# Attribute names that differ from plain snake_case of the wire name: eTag as the issue asks, and the
# spellings azure-batch 14.x used where mechanical splitting reads badly (readIOps -> read_i_ops).
# Properties with an x-ms-client-name (``username`` -> ``userName``) use that name instead.
ATTRIBUTE_OVERRIDES = {
    "eTag": "etag",
    "odata.nextLink": "odata_next_link",
    "readIOps": "read_iops",
    "writeIOps": "write_iops",
    "dynamicVNetAssignmentScope": "dynamic_vnet_assignment_scope",
    "skipWithdrawFromVNet": "skip_withdraw_from_vnet",  # as azure-batch 15.x spells it
    # enum members of IPFamily (2025-06-01): IPV4 reads better than I_PV4
    "IPv4": "ipv4",
    "IPv6": "ipv6",
}


# --------------------------------------------------------------------------------------------------
# Step 1: extraction from the OpenAPI document
# --------------------------------------------------------------------------------------------------


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type_of(
    schema: dict[str, Any], enums: dict[str, Any], queue: list[str], definitions: dict[str, Any]
) -> Any:
    """Reduce a property schema to a compact type descriptor, registering enums and refs."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        if "enum" in definitions[name]:
            return _type_of(definitions[name], enums, queue, definitions)
        queue.append(name)
        return {"ref": name}
    if "enum" in schema:
        meta = schema.get("x-ms-enum", {})
        name = meta["name"]
        values = meta.get("values") or [{"value": v} for v in schema["enum"]]
        enums[name] = {
            "values": [[v["value"], v.get("name", v["value"])] for v in values],
            "open": bool(meta.get("modelAsString", False)),
        }
        return {"enum": name}
    kind = schema.get("type")
    if kind == "array":
        return {"list": _type_of(schema["items"], enums, queue, definitions)}
    if kind == "object" and "additionalProperties" in schema:
        return {"dict": _type_of(schema["additionalProperties"], enums, queue, definitions)}
    if kind == "object":
        return "object"
    fmt = schema.get("format")
    if kind == "string":
        return {"date-time": "datetime", "duration": "duration", "date-time-rfc1123": "datetime"}.get(
            fmt or "", "str"
        )
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    raise ValueError(f"unsupported schema: {schema}")


def _walk(definitions: dict[str, Any], queue: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every model and enum reachable from the definitions named in ``queue``, as table entries."""
    models: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    while queue:
        name = queue.pop()
        if name in models or name in enums:
            continue
        schema = definitions[name]
        if "enum" in schema:
            _type_of(schema, enums, queue, definitions)
            continue
        props = {
            wire: {
                "type": _type_of(prop, enums, queue, definitions),
                **({"readOnly": True} if prop.get("readOnly") else {}),
                **({"clientName": prop["x-ms-client-name"]} if "x-ms-client-name" in prop else {}),
            }
            for wire, prop in schema.get("properties", {}).items()
        }
        models[name] = {"properties": props, "required": sorted(schema.get("required", []))}
    return models, enums


def extract(spec_path: Path) -> dict[str, Any]:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    definitions = spec["definitions"]
    queue: list[str] = []
    for methods in spec["paths"].values():
        for op in methods.values():
            if op.get("operationId") not in JOB_OPERATIONS:
                continue
            for param in op.get("parameters", []):
                if param.get("in") == "body":
                    queue.append(_ref_name(param["schema"]["$ref"]))
            for response in op.get("responses", {}).values():
                if "schema" in response:
                    queue.append(_ref_name(response["schema"]["$ref"]))
    models, enums = _walk(definitions, queue)
    return {
        "api_version": spec["info"]["version"],
        "models": dict(sorted(models.items())),
        "enums": dict(sorted(enums.items())),
    }


# 2025-06-01 (TypeSpec) names of the models and enums this package keeps under their 2024 names.
# Models with no 2024 counterpart keep their 2025 name (VMDiskSecurityProfile is the 2024-07-01 name).
# JobUpdateParameter is absent: from 2025-06-01 the PUT body is the job model itself (BatchJob).
NAMES_2025 = {
    "ApplicationPackageReference": "BatchApplicationPackageReference",
    "AutoPoolSpecification": "BatchAutoPoolSpecification",
    "AutomaticOSUpgradePolicy": "AutomaticOsUpgradePolicy",
    "CIFSMountConfiguration": "CifsMountConfiguration",
    "CloudJob": "BatchJob",
    "CloudJobListPreparationAndReleaseTaskStatusResult": "BatchJobPreparationAndReleaseTaskStatusListResult",
    "CloudJobListResult": "BatchJobListResult",
    "ComputeNodeIdentityReference": "BatchNodeIdentityReference",
    "ContainerConfiguration": "BatchContainerConfiguration",
    "ContainerRegistry": "ContainerRegistryReference",
    "DiffDiskSettings": "BatchDiffDiskSettings",
    "ErrorMessage": "BatchErrorMessage",
    "HttpHeader": "OutputFileUploadHeader",
    "ImageReference": "BatchVmImageReference",
    "InboundNATPool": "BatchInboundNatPool",
    "JobAddParameter": "BatchJobCreateOptions",
    "JobConstraints": "BatchJobConstraints",
    "JobDisableParameter": "BatchJobDisableOptions",
    "JobExecutionInformation": "BatchJobExecutionInfo",
    "JobManagerTask": "BatchJobManagerTask",
    "JobNetworkConfiguration": "BatchJobNetworkConfiguration",
    "JobPatchParameter": "BatchJobUpdateOptions",
    "JobPreparationAndReleaseTaskExecutionInformation": "BatchJobPreparationAndReleaseTaskStatus",
    "JobPreparationTask": "BatchJobPreparationTask",
    "JobPreparationTaskExecutionInformation": "BatchJobPreparationTaskExecutionInfo",
    "JobReleaseTask": "BatchJobReleaseTask",
    "JobReleaseTaskExecutionInformation": "BatchJobReleaseTaskExecutionInfo",
    "JobSchedulingError": "BatchJobSchedulingError",
    "JobStatistics": "BatchJobStatistics",
    "JobTerminateParameter": "BatchJobTerminateOptions",
    "MetadataItem": "BatchMetadataItem",
    "NFSMountConfiguration": "NfsMountConfiguration",
    "NodePlacementConfiguration": "BatchNodePlacementConfiguration",
    "OSDisk": "BatchOsDisk",
    "OutputFileUploadOptions": "OutputFileUploadConfiguration",
    "PoolEndpointConfiguration": "BatchPoolEndpointConfiguration",
    "PoolInformation": "BatchPoolInfo",
    "PoolSpecification": "BatchPoolSpecification",
    "PublicIPAddressConfiguration": "BatchPublicIpAddressConfiguration",
    "StartTask": "BatchStartTask",
    "TaskConstraints": "BatchTaskConstraints",
    "TaskContainerExecutionInformation": "BatchTaskContainerExecutionInfo",
    "TaskContainerSettings": "BatchTaskContainerSettings",
    "TaskCounts": "BatchTaskCounts",
    "TaskCountsResult": "BatchTaskCountsResult",
    "TaskFailureInformation": "BatchTaskFailureInfo",
    "TaskSchedulingPolicy": "BatchTaskSchedulingPolicy",
    "TaskSlotCounts": "BatchTaskSlotCounts",
    "UefiSettings": "BatchUefiSettings",
    "VMDiskSecurityProfile": "BatchVmDiskSecurityProfile",
    # enums
    "ComputeNodeFillType": "BatchNodeFillType",
    "DisableJobOption": "DisableBatchJobOption",
    "ErrorCategory": "BatchErrorSourceCategory",
    "IPAddressProvisioningType": "IpAddressProvisioningType",
    "JobPreparationTaskState": "BatchJobPreparationTaskState",
    "JobReleaseTaskState": "BatchJobReleaseTaskState",
    "JobState": "BatchJobState",
    "NodePlacementPolicyType": "BatchNodePlacementPolicyType",
    "OnAllTasksComplete": "BatchAllTasksCompleteMode",
    "OnTaskFailure": "BatchTaskFailureMode",
    "PoolLifetimeOption": "BatchPoolLifetimeOption",
    "TaskExecutionResult": "BatchTaskExecutionResult",
}

# Where the TypeSpec-derived 2025 table starts: the bodies and responses of the 12 job operations.
ROOTS_2025 = (
    "BatchJob",
    "BatchJobCreateOptions",
    "BatchJobUpdateOptions",
    "BatchJobDisableOptions",
    "BatchJobTerminateOptions",
    "BatchJobPreparationAndReleaseTaskStatus",
    "BatchTaskCountsResult",
    "BatchError",
)

# Enum values the Python package spells differently from the 2025 swagger; the swagger wins.
VALUE_FIXES_2025 = {("BatchJobDefaultOrder", "creationtime"): "creationTime"}


def extract_derived(path: Path, version: str, older: dict[str, Any]) -> dict[str, Any]:
    """Table of a TypeSpec-era version from a definitions-only file, under the 2024 names.

    ``older`` is the previous version's table; it supplies what the derived file leaves out on
    purpose (``authenticationTokenSettings``, which the 2025 swagger still has).
    """
    definitions = json.loads(path.read_text(encoding="utf-8"))["definitions"]
    back = {new: old for old, new in NAMES_2025.items()}
    models, enums = _walk(definitions, list(ROOTS_2025))
    for (enum, wrong), right in VALUE_FIXES_2025.items():
        enums[enum]["values"] = [
            [right if v == wrong else v, right if m == wrong else m] for v, m in enums[enum]["values"]
        ]

    def rename(t: Any) -> Any:
        if isinstance(t, str):
            return t
        return {k: (back.get(v, v) if k in ("ref", "enum") else rename(v)) for k, v in t.items()}

    table_models = {
        back.get(name, name): {
            "properties": {w: {**p, "type": rename(p["type"])} for w, p in m["properties"].items()},
            "required": m["required"],
        }
        for name, m in models.items()
    }
    table_enums = {back.get(name, name): e for name, e in enums.items()}
    job = table_models["CloudJob"]
    # From 2025-06-01 the PUT body is the job model; what it may carry is the job's writable part.
    table_models["JobUpdateParameter"] = {
        "properties": {w: p for w, p in job["properties"].items() if not p.get("readOnly")},
        "required": job["required"],
    }
    for envelope, item in (
        ("CloudJobListResult", "CloudJob"),
        (
            "CloudJobListPreparationAndReleaseTaskStatusResult",
            "JobPreparationAndReleaseTaskExecutionInformation",
        ),
    ):
        table_models[envelope] = {
            "properties": {"value": {"type": {"list": {"ref": item}}}, "odata.nextLink": {"type": "str"}},
            "required": [],
        }
    # The derived file follows azure-batch 15.1.0, which hides the job manager's token settings; the
    # 2025 swagger still defines them, so they stay sendable.
    table_models["JobManagerTask"]["properties"]["authenticationTokenSettings"] = older["models"][
        "JobManagerTask"
    ]["properties"]["authenticationTokenSettings"]
    table_models["AuthenticationTokenSettings"] = older["models"]["AuthenticationTokenSettings"]
    table_enums["AccessScope"] = older["enums"]["AccessScope"]
    return {
        "api_version": version,
        "source": path.name,
        "models": dict(sorted(table_models.items())),
        "enums": dict(sorted(table_enums.items())),
    }


# --------------------------------------------------------------------------------------------------
# Step 2: code generation
# --------------------------------------------------------------------------------------------------


def snake(name: str) -> str:
    """``poolInfo`` -> ``pool_info``, ``nodeAgentSKUId`` -> ``node_agent_sku_id``, ``readIOGiB`` -> ``read_io_gib``."""
    if name in ATTRIBUTE_OVERRIDES:
        return ATTRIBUTE_OVERRIDES[name]
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = text.replace(".", "_").lower()
    return text + "_" if keyword.iskeyword(text) else text


def attribute(wire: str, prop: dict[str, Any]) -> str:
    """The Python attribute of a wire property: snake_case of its client name, else of its wire name."""
    return snake(prop.get("clientName", wire))


def enum_member(name: str) -> str:
    return snake(name).upper()


def _py_type(t: Any) -> str:
    if isinstance(t, str):
        return {
            "str": "str",
            "int": "int",
            "float": "float",
            "bool": "bool",
            "datetime": "datetime.datetime",
            "duration": "datetime.timedelta",
            "object": "dict[str, Any]",
        }[t]
    if "ref" in t:
        return t["ref"]
    if "enum" in t:
        return f"{t['enum']} | str"
    if "list" in t:
        return f"list[{_py_type(t['list'])}]"
    if "dict" in t:
        return f"dict[str, {_py_type(t['dict'])}]"
    raise ValueError(t)


def _codec(t: Any) -> str:
    if isinstance(t, str):
        return f"_c.{t.upper()}"
    if "ref" in t:
        return f"_c.model({t['ref']})"
    if "enum" in t:
        return f"_c.enum({t['enum']})"
    if "list" in t:
        return f"_c.list_of({_codec(t['list'])})"
    if "dict" in t:
        return f"_c.dict_of({_codec(t['dict'])})"
    raise ValueError(t)


def _refs(t: Any) -> set[str]:
    if isinstance(t, str):
        return set()
    if "ref" in t:
        return {t["ref"]}
    for key in ("list", "dict"):
        if key in t:
            return _refs(t[key])
    return set()


def _ordered(models: dict[str, Any]) -> list[str]:
    """Dependencies first, so every class a field table names is already defined."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, stack: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in stack:
            raise ValueError(f"reference cycle: {' -> '.join((*stack, name))}")
        for prop in models[name]["properties"].values():
            for dep in sorted(_refs(prop["type"])):
                visit(dep, (*stack, name))
        seen.add(name)
        done.append(name)

    for name in sorted(models):
        visit(name, ())
    return done


HEADER = '''"""GENERATED by scripts/gen_models.py from scripts/spec/{table} -- do not edit by hand.

Run ``python scripts/gen_models.py`` after changing the tables or the generator; CI runs it with ``--check``.
"""
'''

LINE_LENGTH = 110  # pyproject.toml [tool.ruff] line-length

TABLES_NOTE = "jobs-*.json (one table per api-version) and descriptions.json"


def merge(tables: list[dict[str, Any]]) -> dict[str, Any]:
    """One model set covering every version: the union of models, properties and enum values.

    Each property records the versions that know it. Names, types and spellings come from the oldest
    version that has them, so upgrading the tables never renames an attribute or an enum value. A
    property is ``required`` only when every version that has it requires it: the client-side check
    must not refuse a body some supported version accepts.
    """
    models: dict[str, Any] = {}
    enums: dict[str, Any] = {}
    for table in tables:
        version = table["api_version"]
        for name, model in table["models"].items():
            merged = models.setdefault(name, {"properties": {}, "required": None, "versions": []})
            merged["versions"].append(version)
            required = set(model["required"])
            merged["required"] = required if merged["required"] is None else merged["required"] & required
            for wire, prop in model["properties"].items():
                into = merged["properties"].setdefault(wire, {**prop, "versions": []})
                into["versions"].append(version)
            # a required property new in this version is not required by the older ones
            merged["required"] &= set(model["properties"])
        for name, enum in table["enums"].items():
            merged_enum = enums.setdefault(name, {"values": [], "open": False, "versions": []})
            merged_enum["versions"].append(version)
            merged_enum["open"] = merged_enum["open"] or enum["open"]
            known = {value.lower() for value, _ in merged_enum["values"]}
            merged_enum["values"].extend([v, m] for v, m in enum["values"] if v.lower() not in known)
    for model in models.values():
        model["required"] = sorted(model["required"])
    return {
        "api_versions": [t["api_version"] for t in tables],
        "models": dict(sorted(models.items())),
        "enums": dict(sorted(enums.items())),
    }


def _since(versions: list[str], all_versions: list[str]) -> str:
    """A short note on which api-versions know something, or "" when all of them do."""
    if versions == all_versions:
        return ""
    if versions == all_versions[all_versions.index(versions[0]) :]:
        return f"api-version {versions[0]} and later"
    if versions == all_versions[: len(versions)]:
        return f"api-versions before {all_versions[len(versions)]}"
    return "api-versions " + ", ".join(versions)


def generate_enums(table: dict[str, Any]) -> str:
    all_versions = table["api_versions"]
    out = [
        HEADER.format(table=TABLES_NOTE),
        "from __future__ import annotations\n",
        "from ._base import BatchEnum\n",
    ]
    names = list(table["enums"])
    aliases = sorted(NAMES_2025[n] for n in names if NAMES_2025.get(n, n) != n)
    out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(names + aliases)) + "]\n")
    for name, enum in table["enums"].items():
        notes = []
        if NAMES_2025.get(name, name) != name:
            notes.append(f"``{NAMES_2025[name]}`` from 2025-06-01")
        since = _since(enum["versions"], all_versions)
        if since:
            notes.append(f"only in {since}")
        note = f" ({'; '.join(notes)})" if notes else ""
        out.append(f"\nclass {name}(BatchEnum):")
        out.append(f'    """Wire enum ``{name}``{note}; values it does not list are kept as str."""\n')
        for value, member in enum["values"]:
            out.append(f'    {enum_member(member)} = "{value}"')
        # azure-batch 14.x spelled members in lower case (DisableJobOption.requeue); keep those names
        # working as aliases so legacy code only needs its imports changed.
        out.append("")
        for value, member in enum["values"]:
            alias = snake(member)
            if alias != enum_member(member):
                out.append(f'    {alias} = "{value}"')
        out.append("")
    out.append("\n# The 2025-06-01 names of these enums (same classes).")
    for name in names:
        if NAMES_2025.get(name, name) != name:
            out.append(f"{NAMES_2025[name]} = {name}")
    return "\n".join(out).rstrip() + "\n"


def _doc_type(t: Any) -> str:
    if isinstance(t, str):
        return {
            "datetime": "datetime (UTC)",
            "duration": "timedelta (ISO 8601 duration on the wire)",
            "object": "free-form JSON object",
        }.get(t, t)
    if "ref" in t:
        return f":class:`{t['ref']}`"
    if "enum" in t:
        return f":class:`{t['enum']}`"
    if "list" in t:
        return f"list of {_doc_type(t['list'])}"
    return f"mapping of str to {_doc_type(t['dict'])}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "?", "!")) else text + "."


def generate_models(table: dict[str, Any], descriptions: dict[str, dict[str, str]]) -> str:
    models = table["models"]
    all_versions = table["api_versions"]
    enum_names = sorted(table["enums"])
    out = [HEADER.format(table=TABLES_NOTE)]
    out.append("from __future__ import annotations\n")
    out.append("import datetime")
    out.append("from typing import Any, ClassVar\n")
    out.append("from . import _codec as _c")
    out.append("from ._base import Field, Model")
    if enum_names:
        out.append("from ._enums import (\n" + "".join(f"    {n},\n" for n in enum_names) + ")")
    out.append("")
    aliases = sorted(
        NAMES_2025[n] for n in models if NAMES_2025.get(n, n) != n and NAMES_2025[n] not in models
    )
    out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted([*models, *aliases])) + "]\n")
    for name in _ordered(models):
        spec = models[name]
        required = set(spec["required"])
        props = spec["properties"]
        described = descriptions.get(name, {})
        out.append(f"\nclass {name}(Model):")
        header = f"    Wire definition ``{name}``"
        if NAMES_2025.get(name, name) != name:
            header += f" (``{NAMES_2025[name]}`` from 2025-06-01)"
        since = _since(spec["versions"], all_versions)
        if since:
            header += f", only in {since}"
        doc = [f'    """{SUMMARIES[name]}', "", header + "."]
        if props:
            doc.append("")
            for wire, prop in props.items():
                notes = [_sentence(described.get(wire, ""))]
                if wire in required:
                    notes.append("Required when sent.")
                since = _since(prop["versions"], all_versions)
                if since:
                    notes.append(f"Only in {since}.")
                text = " ".join(n for n in notes if n)
                line = f"    :ivar {attribute(wire, prop)}: ``{wire}``, {_doc_type(prop['type'])}."
                doc.append(line + (f" {text}" if text else ""))
        doc.append('    """')
        out.append("\n".join(doc))
        out.append("")
        out.append("    __slots__ = ()")
        out.append(f'    _wire_name: ClassVar[str] = "{name}"')
        out.append("")
        for wire, prop in props.items():
            attr = attribute(wire, prop)
            flags = []
            if wire in SECRET_PROPERTIES:
                flags.append("secret=True")
            if wire in URL_PROPERTIES:
                flags.append("url=True")
            if wire in required:
                flags.append("required=True")
            extra = "".join(", " + f for f in flags)
            out.append(f"    {attr}: Field[{_py_type(prop['type'])} | None] = Field(")
            out.append(f'        "{wire}", {_codec(prop["type"])}{extra}')
            out.append("    )")
        if props:
            out.append("")
            out.append("    def __init__(")
            out.append("        self,")
            out.append("        *,")
            for wire, prop in props.items():
                out.append(f"        {attribute(wire, prop)}: {_py_type(prop['type'])} | None = None,")
            out.append("    ) -> None:")
            out.append("        super().__init__()")
            for wire, prop in props.items():
                attr = attribute(wire, prop)
                out.append(f"        if {attr} is not None:")
                out.append(f'            self._values["{attr}"] = {attr}')
        out.append("")
    out.append(
        "\n# The 2025-06-01 names of these models (same classes). BatchJob also serves as the PUT body there."
    )
    for name in models:
        if NAMES_2025.get(name, name) != name and NAMES_2025[name] not in models:
            out.append(f"{NAMES_2025[name]} = {name}")
    return "\n".join(out).rstrip() + "\n"


def generate_versions(table: dict[str, Any]) -> str:
    """The per-version property table the request-side version gate walks."""
    all_versions = table["api_versions"]
    sets: dict[tuple[str, ...], str] = {}

    def set_name(versions: list[str]) -> str:
        key = tuple(versions)
        if key not in sets:
            sets[key] = "_ALL" if key == tuple(all_versions) else f"_V{len(sets)}"
        return sets[key]

    body = []
    for name, model in table["models"].items():
        body.append(f'    "{name}": {{')
        for wire, prop in model["properties"].items():
            nested = sorted(_refs(prop["type"]))
            ref = f'"{nested[0]}"' if nested else "None"
            args = f'"{attribute(wire, prop)}", {ref}, {set_name(prop["versions"])}'
            line = f'        "{wire}": Property({args}),'
            # wrapped the way ruff format would, so the file passes ``ruff format --check`` as written
            body.extend(
                [line]
                if len(line) <= LINE_LENGTH
                else [f'        "{wire}": Property(', f"            {args}", "        ),"]
            )
        body.append("    },")
    out = [HEADER.format(table=TABLES_NOTE)]
    out.append("from __future__ import annotations\n")
    out.append("from typing import Final, NamedTuple\n")
    out.append('__all__ = ["API_VERSIONS", "PROPERTIES", "Property"]\n')
    out.append("API_VERSIONS: Final = (" + "".join(f'"{v}", ' for v in all_versions).rstrip(", ") + ")")
    out.append('"""The api-versions the model set describes, oldest first."""\n')
    out.append("")
    out.append("class Property(NamedTuple):")
    out.append(
        '    """One wire property of a model: its attribute, the model it nests (if any), its versions."""'
    )
    out.append("")
    out.append("    attribute: str")
    out.append("    model: str | None")
    out.append("    versions: frozenset[str]")
    out.append("\n")
    for key, var in sorted(sets.items(), key=lambda kv: kv[1]):
        out.append(f"{var}: Final = frozenset({{" + ", ".join(f'"{v}"' for v in key) + "})")
    out.append("")
    out.append("PROPERTIES: Final[dict[str, dict[str, Property]]] = {")
    out.extend(body)
    out.append("}")
    out.append('"""Model name -> wire name -> :class:`Property`, for every model of every version."""')
    return "\n".join(out).rstrip() + "\n"


def _description_problems(table: dict[str, Any], descriptions: dict[str, dict[str, str]]) -> list[str]:
    """Every property needs a one-line meaning in descriptions.json, and every entry a property."""
    problems = []
    for name, model in table["models"].items():
        for wire in model["properties"]:
            if not descriptions.get(name, {}).get(wire, "").strip():
                problems.append(f"descriptions.json: no description for {name}.{wire}")
    for name, entries in descriptions.items():
        for wire in entries:
            if wire not in table["models"].get(name, {}).get("properties", {}):
                problems.append(f"descriptions.json: {name}.{wire} is not a property of any api-version")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--extract",
        type=Path,
        help="path to a BatchService.json (2024-era) to refresh its version's table from",
    )
    parser.add_argument(
        "--extract-derived",
        type=Path,
        help="path to the 2025-06-01 job-models.derived-*.json to refresh the 2025-06-01 table from",
    )
    parser.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    args = parser.parse_args()
    if args.extract:
        extracted = extract(args.extract)
        path = table_path(extracted["api_version"])
        path.write_text(json.dumps(extracted, indent=1) + "\n", encoding="utf-8")
    if args.extract_derived:
        older = json.loads(table_path(VERSIONS[-2]).read_text(encoding="utf-8"))
        derived = extract_derived(args.extract_derived, VERSIONS[-1], older)
        table_path(VERSIONS[-1]).write_text(json.dumps(derived, indent=1) + "\n", encoding="utf-8")
    table = merge([json.loads(table_path(v).read_text(encoding="utf-8")) for v in VERSIONS])
    descriptions = json.loads(DESCRIPTIONS.read_text(encoding="utf-8"))
    problems = _description_problems(table, descriptions)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    outputs = {
        ENUMS_OUT: generate_enums(table),
        MODELS_OUT: generate_models(table, descriptions),
        VERSIONS_OUT: generate_versions(table),
    }
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python scripts/gen_models.py)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"{len(table['models'])} models, {len(table['enums'])} enums, {len(VERSIONS)} api-versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
