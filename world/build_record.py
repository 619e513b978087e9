"""Whether a built model is up to date: the digest of what a build depends on, kept beside it.

Kept apart from the builder so the check is cheap: ``hubtwin world build`` runs on every
setup and must return at once when nothing changed, without loading the builder's libraries.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

from world.layout_file import layout_inputs
from world.site import Site

BUILDER_VERSION = "2"


def inputs_digest(site: Site) -> str:
    """What a build depends on: builder version, the world package's source, the site files."""
    h = hashlib.sha256(f"hubtwin-world-builder {BUILDER_VERSION}\n".encode())
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        h.update(source.name.encode() + b"\0" + source.read_bytes())
    logo = [site.path / site.branding.logo] if site.branding.logo else []
    for path in (site.path / "site.toml", site.building_file, *logo, *layout_inputs(site)):
        h.update(path.name.encode() + b"\0")
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def record_path(out: Path) -> Path:
    return out.with_name(out.name + ".build.json")


def is_up_to_date(site: Site, out: Path) -> bool:
    """True if ``out`` was built from exactly these inputs and nobody changed it since."""
    record = record_path(out)
    if not out.is_file() or not record.is_file():
        return False
    try:
        data = orjson.loads(record.read_bytes())
    except orjson.JSONDecodeError:
        return False
    if not isinstance(data, dict) or data.get("inputs") != inputs_digest(site):
        return False
    return bool(data.get("sha256") == hashlib.sha256(out.read_bytes()).hexdigest())


def write_record(site: Site, out: Path, sha256: str) -> None:
    record = {"inputs": inputs_digest(site), "sha256": sha256}
    record_path(out).write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))
