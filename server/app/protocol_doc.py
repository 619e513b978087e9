"""The protocol table as Markdown: the generated part of docs/protocol.md.

``python -m server.app.protocol_doc`` prints it; ``python -m server.app.protocol_doc --write``
puts it between the markers in docs/protocol.md. A test keeps the file in step with the table.
It lives with the composition root because only that knows every feature's messages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from server.app.protocol_features import FEATURE_MESSAGES
from server.protocol.table import describe

BEGIN = "<!-- generated from server/protocol/table.py: begin -->"
END = "<!-- generated from server/protocol/table.py: end -->"
DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _limits(field: dict[str, Any]) -> str:
    parts = []
    if field.get("optional"):
        parts.append("optional")
    if field.get("nullable"):
        parts.append("may be nil")
    if "length" in field:
        parts.append(f"exactly {field['length']} items")
    if "max_len" in field and "choices" not in field:
        parts.append(f"≤ {field['max_len']} chars")
    if "min" in field and "max" in field:
        parts.append(f"{field['min']:g} … {field['max']:g}")
    if "choices" in field:
        parts.append("one of " + ", ".join(f"`{c}`" for c in field["choices"]))
    if "pattern" in field:
        parts.append(f"`{field['pattern']}`")
    return "; ".join(parts)


def _field_rows(fields: list[dict[str, Any]], prefix: str = "") -> list[str]:
    rows = []
    for field in fields:
        name = f"{prefix}{field['name']}"
        kind = field["kind"]
        if kind == "list" and "items" in field:
            kind = f"list of {field['items']['kind']}"
        rows.append(f"| `{name}` | {kind} | {_cell(_limits(field))} | {_cell(field['doc'])} |")
        if field.get("fields"):
            rows += _field_rows(field["fields"], f"{name}.")
        items = field.get("items")
        if items and items.get("fields"):
            rows += _field_rows(items["fields"], f"{name}[].")
    return rows


def _messages(title: str, table: dict[str, Any]) -> list[str]:
    out = [f"### {title}", ""]
    for kind, spec in table.items():
        out += [f"#### `{kind}`", "", spec["doc"], ""]
        if spec["fields"]:
            out += ["| field | kind | limits | meaning |", "|---|---|---|---|"]
            out += _field_rows(spec["fields"])
            out.append("")
        else:
            out += ["No fields besides `t`.", ""]
    return out


def _layout(title: str, layout: list[dict[str, Any]]) -> list[str]:
    out = [title, "", "| offset | size | type | field | meaning |", "|---|---|---|---|---|"]
    for part in layout:
        out.append(
            f"| {part['offset']} | {part['size']} | {part['type']} | `{part['name']}` |"
            f" {_cell(part['doc'])} |"
        )
    out.append("")
    return out


def render() -> str:
    """The generated Markdown (message table, binary layouts, error codes, limits)."""
    table = describe(features=FEATURE_MESSAGES)
    binary = table["binary"]
    lines = [BEGIN, "", f"Protocol version **{table['version']}**.", ""]
    lines += _messages("Client → server", table["messages"]["client"])
    lines += _messages("Server → client", table["messages"]["server"])
    lines += ["### Binary frames (little-endian)", ""]
    pose = binary["pose"]
    lines += _layout(
        f"**Pose** (client → server), tag `0x{pose['tag']:02x}`, {pose['size']} bytes:",
        pose["layout"],
    )
    snap = binary["snapshot"]
    lines += _layout(
        f"**Snapshot header** (server → client), tag `0x{snap['tag']:02x}`,"
        f" {snap['header_size']} bytes:",
        snap["header"],
    )
    lines += _layout(
        f"**Snapshot entry**, {snap['entry_size']} bytes each, as many as fit after the header:",
        snap["entry"],
    )
    lines += ["### Error codes", "", "| code | closes with | Deutsch | English |"]
    lines.append("|---|---|---|---|")
    for code, spec in table["errors"].items():
        close = spec["close"] if spec["close"] is not None else "—"
        lines.append(f"| `{code}` | {close} | {_cell(spec['de'])} | {_cell(spec['en'])} |")
    lines += ["", "### Limits (defaults; `welcome.limits` has the live values)", ""]
    lines += ["| limit | default |", "|---|---|"]
    for name, value in table["limits"].items():
        lines.append(f"| `{name}` | {value:g} |")
    lines += [
        "",
        "Avatar appearance choices (the first is the default):",
        "",
        *(
            f"- `{name}`: " + ", ".join(f"`{c}`" for c in choices)
            for name, choices in table["appearance"].items()
        ),
        "",
        "Reactions: " + " ".join(table["emoji"]) + ".",
        "",
        END,
    ]
    return "\n".join(lines)


def splice(document: str, generated: str) -> str:
    """``document`` with the part between the markers replaced by ``generated``."""
    head, found, rest = document.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise ValueError("docs/protocol.md lacks the generated-section markers")
    return head + generated + tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update docs/protocol.md in place")
    args = parser.parse_args(argv)
    if args.write:
        DOC_PATH.write_text(splice(DOC_PATH.read_text(encoding="utf-8"), render()), "utf-8")
    else:
        sys.stdout.write(render() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
