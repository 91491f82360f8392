"""The config reference, generated from the schema (``workflow/schemas/config.schema.yaml``)
so that the documentation cannot drift from what the workflow accepts: every key with
its type, default and description, grouped by top-level block.

Written here rather than taken from a JSON-schema documentation generator: those render
whole HTML sites, and the docs need one Markdown page inside mkdocs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

#: How the schema's named definitions read in the reference.
DEF_NAMES = {
    "positive_number": "number > 0",
    "positive_integer": "integer ≥ 1",
    "name": "name",
    "element": "element symbol",
    "supercell": "3 integers ≥ 1",
    "stage": "MD stage (see md)",
}


def _resolve(node: Mapping, schema: Mapping) -> tuple[dict, str]:
    """The node with its ``$ref`` merged in, and the referenced definition's name."""
    ref = node.get("$ref", "")
    if not ref.startswith("#/$defs/"):
        return dict(node), ""
    name = ref.removeprefix("#/$defs/")
    merged = {**schema["$defs"][name], **{k: v for k, v in node.items() if k != "$ref"}}
    return merged, name


def type_of(node: Mapping, schema: Mapping) -> str:
    """A short type: ``number > 0``, ``one of: nvt, npt``, ``list of name``, ``name or null``."""
    node, ref = _resolve(node, schema)
    if ref in DEF_NAMES:
        return DEF_NAMES[ref]
    if "const" in node:
        return str(node["const"])
    if "enum" in node:
        return "one of: " + ", ".join(str(v) for v in node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            types = [type_of(option, schema) for option in node[key]]
            types = [t for t in dict.fromkeys(types) if t]
            return " or ".join(types)
    kind = node.get("type", "")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array" and "items" in node:
        return f"list of {type_of(node['items'], schema)}"
    if kind == "object" and "properties" not in node and "additionalProperties" in node:
        return "mapping of name to block"
    return kind


def entries(schema: Mapping, node: Mapping | None = None, path: str = "") -> Iterator[dict]:
    """Every key of the schema, depth first: {path, type, default, description}.
    A block of named entries (``structures.<name>``) is written ``<name>``."""
    node, _ = _resolve(node if node is not None else schema, schema)
    children: list[tuple[str, Mapping]] = []
    children += [(f"{path}.{k}" if path else k, v) for k, v in node.get("properties", {}).items()]
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and path:
        children.append((f"{path}.<name>", extra))
    items = node.get("items")
    if isinstance(items, Mapping) and path:
        resolved, _ = _resolve(items, schema)
        if "properties" in resolved:
            children.append((f"{path}[]", items))
    for option in node.get("oneOf", []) + node.get("anyOf", []):
        resolved, _ = _resolve(option, schema)
        if ("properties" in resolved or "items" in resolved) and path:
            children.append((path, option))  # its keys, under this same path
    for child_path, child in children:
        resolved, _ = _resolve(child, schema)
        if child_path != path:
            yield {
                "path": child_path,
                "type": type_of(child, schema),
                "default": resolved.get("default"),
                "description": " ".join(str(resolved.get("description", "")).split()),
            }
        yield from entries(schema, child, child_path)


def _yaml(value) -> str:
    """A default as it is written in a config: ``[1, 1, 1]``, ``0.5``, ``null``."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip()
    return text.removesuffix("...").strip()


def _cell(text: str, code: bool = False) -> str:
    """Text safe in a Markdown table cell (and, outside code, from being read as HTML)."""
    text = str(text).replace("|", "\\|").replace("\n", " ")
    return text if code else text.replace("<", "&lt;").replace(">", "&gt;")


def reference_markdown(schema: Mapping) -> str:
    """The reference as Markdown: one section per top-level block, one table row per key."""
    parts = []
    rows_by_block: dict[str, list[dict]] = {}
    seen = set()
    for entry in entries(schema):
        if entry["path"] in seen:
            continue
        seen.add(entry["path"])
        rows_by_block.setdefault(entry["path"].split(".")[0].split("[")[0], []).append(entry)
    required = set(schema.get("required", []))
    for block, rows in rows_by_block.items():
        top = rows[0]
        need = " (required)" if block in required else ""
        parts.append(f"## `{block}`{need}\n\n{_cell(top['description'])}\n")
        parts.append("| key | type | default | description |\n|---|---|---|---|")
        for row in rows[1:] or rows:
            default = "" if row["default"] is None else f"`{_yaml(row['default'])}`"
            parts.append(
                f"| `{_cell(row['path'], code=True)}` | {_cell(row['type'])} | "
                f"{_cell(default, code=True)} | "
                f"{_cell(row['description'])} |"
            )
        parts.append("")
    return "\n".join(parts)


def load_schema(path: str | Path) -> dict:
    return yaml.safe_load(Path(path).read_text())
