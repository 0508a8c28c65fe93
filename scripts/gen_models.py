#!/usr/bin/env python3
"""Generate ``src/azbatch/models/_generated.py`` and ``_enums.py`` from the job-model table.

Two steps, so that CI never needs the (large) OpenAPI file:

``--extract BATCHSERVICE_JSON``
    Walks the OpenAPI document from the 12 job operations, follows every ``$ref`` and writes the
    reachable definitions -- names, wire types, ``required`` lists and enum values only, no prose --
    to ``scripts/spec/jobs-2024-02-01.19.0.json``.

(default) / ``--check``
    Turns that table into Python source. ``--check`` exits non-zero when the committed files differ
    from what the table produces, which CI runs so hand edits cannot drift from the table.
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
TABLE = ROOT / "scripts" / "spec" / "jobs-2024-02-01.19.0.json"
MODELS_OUT = ROOT / "src" / "azbatch" / "models" / "_generated.py"
ENUMS_OUT = ROOT / "src" / "azbatch" / "models" / "_enums.py"

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
    return {
        "api_version": spec["info"]["version"],
        "models": dict(sorted(models.items())),
        "enums": dict(sorted(enums.items())),
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

Run ``python scripts/gen_models.py`` after changing the table or the generator; CI runs it with ``--check``.
"""
'''


def generate_enums(table: dict[str, Any]) -> str:
    out = [
        HEADER.format(table=TABLE.name),
        "from __future__ import annotations\n",
        "from ._base import BatchEnum\n",
    ]
    names = list(table["enums"])
    out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in names) + "]\n")
    for name, enum in table["enums"].items():
        kind = "open" if enum["open"] else "closed"
        out.append(f"\nclass {name}(BatchEnum):")
        out.append(
            f'    """Wire enum ``{name}`` ({kind} in the {table["api_version"]} spec; unknown values are kept as str)."""\n'
        )
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


def generate_models(table: dict[str, Any]) -> str:
    models = table["models"]
    enum_names = sorted(table["enums"])
    out = [HEADER.format(table=TABLE.name)]
    out.append("from __future__ import annotations\n")
    out.append("import datetime")
    out.append("from typing import Any, ClassVar\n")
    out.append("from . import _codec as _c")
    out.append("from ._base import Field, Model")
    if enum_names:
        out.append("from ._enums import (\n" + "".join(f"    {n},\n" for n in enum_names) + ")")
    out.append("")
    out.append("__all__ = [\n" + "".join(f'    "{n}",\n' for n in sorted(models)) + "]\n")
    for name in _ordered(models):
        spec = models[name]
        required = set(spec["required"])
        props = spec["properties"]
        out.append(f"\nclass {name}(Model):")
        doc = [f'    """{SUMMARIES[name]}', "", f"    Wire definition ``{name}``."]
        if props:
            doc.append("")
            for wire, prop in props.items():
                flag = " Required when sent." if wire in required else ""
                doc.append(f"    :ivar {attribute(wire, prop)}: ``{wire}``: {_doc_type(prop['type'])}.{flag}")
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
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extract", type=Path, help="path to BatchService.json to refresh the table from")
    parser.add_argument("--check", action="store_true", help="fail if the generated files are stale")
    args = parser.parse_args()
    if args.extract:
        TABLE.parent.mkdir(parents=True, exist_ok=True)
        TABLE.write_text(json.dumps(extract(args.extract), indent=1) + "\n", encoding="utf-8")
    table = json.loads(TABLE.read_text(encoding="utf-8"))
    outputs = {ENUMS_OUT: generate_enums(table), MODELS_OUT: generate_models(table)}
    if args.check:
        stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)} (run python scripts/gen_models.py)", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"{len(table['models'])} models, {len(table['enums'])} enums")
    return 0


if __name__ == "__main__":
    sys.exit(main())
