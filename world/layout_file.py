"""A site's ``layout.toml``: the staff's edits to the room layout, on top of ``building.toml``.

``building.toml`` describes the building as designed; ``layout.toml`` holds what staff
changed since with ``hubtwin world place | add | move | remove``: library assets placed in
rooms, stations and screens added or moved, furniture moved or taken out, spawn points set,
signs (lettering on a wall, as building.toml's ``wall_sign``) put up.
Keeping the edits in a file of their own leaves the hand-written building description (and
its comments) untouched. Positions are given as in ``building.toml``: metres from the room's
north-west corner, ``facing`` in degrees (0 = south, 90 = east) or a compass word. This
module reads and checks the file's structure; ``world/staff_layout.py`` applies it to the
building. Format: docs/asset-tools.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from world.conventions import ANCHOR_KINDS
from world.errors import InputFileError
from world.library import library_files
from world.site import Site
from world.toml_table import TomlTable

LAYOUT_FILE = "layout.toml"
MAX_SIGN_WIDTH = 8.0
LAYOUT_HEADER = (
    "Staff edits to the room layout, on top of building.toml (docs/asset-tools.md).\n"
    "Written by `hubtwin world place | add | move | remove`; hand edits are fine.\n"
    "Positions as in building.toml: metres from the room's north-west corner;\n"
    "facing in degrees (0 = south, 90 = east, 180 = north, 270 = west)."
)


@dataclass(frozen=True)
class PlacementEntry:
    """A library asset standing in a room."""

    id: str
    asset: str
    room: str
    at: tuple[float, float]
    elevation: float = 0.0
    facing: float = 0.0  # degrees


@dataclass(frozen=True)
class AnchorEntry:
    """A new anchor (all of kind, room and at given), or changes to one from building.toml."""

    id: str
    kind: str | None = None
    room: str | None = None
    at: tuple[float, float] | None = None
    elevation: float | None = None
    facing: float | None = None
    size: tuple[float, float] | None = None
    title: dict[str, str] | None = None


@dataclass(frozen=True)
class FurnitureEntry:
    """A piece of building.toml furniture moved (ids as ``hubtwin world list`` shows them)."""

    id: str
    room: str
    at: tuple[float, float]
    facing: float
    elevation: float = 0.0


@dataclass(frozen=True)
class SpawnEntry:
    """A spawn point set by staff; a room with any of these uses only these."""

    id: str
    room: str
    at: tuple[float, float]
    facing: float = 0.0


@dataclass(frozen=True)
class SignEntry:
    """A sign staff put up: lettering on a wall, built as ``building.toml``'s ``wall_sign``
    (the site's first language the big line, its second the small line below)."""

    id: str
    room: str
    at: tuple[float, float]  # on the wall's inner face, the plate's back
    facing: float  # degrees, into the room
    title: dict[str, str]
    width: float = 2.4
    bottom: float = 2.0  # the plate's lower edge above the room's floor


@dataclass
class Layout:
    """The parsed file (empty when the site has none yet)."""

    path: Path
    placements: list[PlacementEntry] = field(default_factory=list)
    anchors: list[AnchorEntry] = field(default_factory=list)
    furniture: list[FurnitureEntry] = field(default_factory=list)
    spawns: list[SpawnEntry] = field(default_factory=list)
    signs: list[SignEntry] = field(default_factory=list)
    removed_anchors: list[str] = field(default_factory=list)
    removed_furniture: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.placements
            or self.anchors
            or self.furniture
            or self.spawns
            or self.signs
            or self.removed_anchors
            or self.removed_furniture
        )

    def to_data(self) -> dict[str, Any]:
        """The file's content as plain data (empty sections left out), for a TOML writer."""
        data: dict[str, Any] = {}
        removed = {
            k: v
            for k, v in (
                ("anchors", self.removed_anchors),
                ("furniture", self.removed_furniture),
            )
            if v
        }
        if removed:
            data["removed"] = removed
        if self.placements:
            data["placements"] = [
                {
                    "id": p.id,
                    "asset": p.asset,
                    "room": p.room,
                    "at": list(p.at),
                    "elevation": p.elevation,
                    "facing": p.facing,
                }
                for p in self.placements
            ]
        if self.anchors:
            data["anchors"] = [
                {
                    "id": a.id,
                    "kind": a.kind,
                    "room": a.room,
                    "at": list(a.at) if a.at is not None else None,
                    "elevation": a.elevation,
                    "facing": a.facing,
                    "size": list(a.size) if a.size is not None else None,
                    "title": a.title,
                }
                for a in self.anchors
            ]
        if self.furniture:
            data["furniture"] = [
                {
                    "id": f.id,
                    "room": f.room,
                    "at": list(f.at),
                    "elevation": f.elevation,
                    "facing": f.facing,
                }
                for f in self.furniture
            ]
        if self.spawns:
            data["spawns"] = [
                {"id": s.id, "room": s.room, "at": list(s.at), "facing": s.facing}
                for s in self.spawns
            ]
        if self.signs:
            data["signs"] = [
                {
                    "id": s.id,
                    "room": s.room,
                    "at": list(s.at),
                    "facing": s.facing,
                    "width": s.width,
                    "bottom": s.bottom,
                    "title": s.title,
                }
                for s in self.signs
            ]
        return data


def layout_path(site_path: Path) -> Path:
    return site_path / LAYOUT_FILE


def layout_inputs(site: Site) -> list[Path]:
    """The files besides building.toml a build depends on: layout.toml and the library."""
    path = layout_path(site.path)
    return ([path] if path.is_file() else []) + library_files(site)


class _Entry(TomlTable):
    """A table of layout.toml: absent values stay absent (None)."""

    def ident(self, key: str, required: bool = True) -> str | None:
        value = self.optional_ident(key)
        if value is None and required:
            raise self.fail(f"{key} must be letters, digits, - or _")
        return value

    def facing(self) -> float | None:
        """Degrees."""
        return self.optional_compass("facing")

    def texts(self, key: str) -> dict[str, str] | None:
        return self.optional_texts(key, '{ de = "…" }')


T = TypeVar("T")


def _required(value: T | None, where: str, key: str) -> T:
    if value is None:
        raise InputFileError(f"{where}: {key} is missing")
    return value


def _tables(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputFileError(f"{path}: {key} must be a list of tables ([[{key}]])")
    return value


def read_layout(path: Path) -> Layout:
    """The edits in ``path``; an empty layout when the file does not exist."""
    layout = Layout(path)
    if not path.is_file():
        return layout
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{path}: not valid TOML: {exc}") from None
    top = _Entry(
        data, str(path), {"placements", "anchors", "furniture", "spawns", "signs", "removed"}
    )

    for i, table in enumerate(_tables(top.table, "placements", path)):
        e = _Entry(
            table, f"{path}: placements[{i}]", {"id", "asset", "room", "at", "elevation", "facing"}
        )
        layout.placements.append(
            PlacementEntry(
                id=_required(e.ident("id"), e.where, "id"),
                asset=_required(e.ident("asset"), e.where, "asset"),
                room=_required(e.ident("room"), e.where, "room"),
                at=_required(e.optional_pair("at"), e.where, "at"),
                elevation=e.optional_number("elevation") or 0.0,
                facing=e.facing() or 0.0,
            )
        )
    for i, table in enumerate(_tables(top.table, "anchors", path)):
        e = _Entry(
            table,
            f"{path}: anchors[{i}]",
            {"id", "kind", "room", "at", "elevation", "facing", "size", "title"},
        )
        kind = e.ident("kind", required=False)
        if kind is not None and kind not in ANCHOR_KINDS:
            raise InputFileError(f"{e.where}: kind must be one of {', '.join(ANCHOR_KINDS)}")
        layout.anchors.append(
            AnchorEntry(
                id=_required(e.ident("id"), e.where, "id"),
                kind=kind,
                room=e.ident("room", required=False),
                at=e.optional_pair("at"),
                elevation=e.optional_number("elevation"),
                facing=e.facing(),
                size=e.optional_pair("size"),
                title=e.texts("title"),
            )
        )
    for i, table in enumerate(_tables(top.table, "furniture", path)):
        e = _Entry(table, f"{path}: furniture[{i}]", {"id", "room", "at", "elevation", "facing"})
        layout.furniture.append(
            FurnitureEntry(
                id=_required(e.ident("id"), e.where, "id"),
                room=_required(e.ident("room"), e.where, "room"),
                at=_required(e.optional_pair("at"), e.where, "at"),
                facing=e.facing() or 0.0,
                elevation=e.optional_number("elevation") or 0.0,
            )
        )
    for i, table in enumerate(_tables(top.table, "spawns", path)):
        e = _Entry(table, f"{path}: spawns[{i}]", {"id", "room", "at", "facing"})
        layout.spawns.append(
            SpawnEntry(
                id=_required(e.ident("id"), e.where, "id"),
                room=_required(e.ident("room"), e.where, "room"),
                at=_required(e.optional_pair("at"), e.where, "at"),
                facing=e.facing() or 0.0,
            )
        )
    for i, table in enumerate(_tables(top.table, "signs", path)):
        e = _Entry(
            table,
            f"{path}: signs[{i}]",
            {"id", "room", "at", "facing", "width", "bottom", "title"},
        )
        width, bottom = e.optional_number("width"), e.optional_number("bottom")
        if width is not None and not 0 < width <= MAX_SIGN_WIDTH:
            raise InputFileError(f"{e.where}: width must be between 0 and {MAX_SIGN_WIDTH:g} m")
        layout.signs.append(
            SignEntry(
                id=_required(e.ident("id"), e.where, "id"),
                room=_required(e.ident("room"), e.where, "room"),
                at=_required(e.optional_pair("at"), e.where, "at"),
                facing=e.facing() or 0.0,
                title=_required(e.texts("title"), e.where, "title"),
                width=width if width is not None else SignEntry.width,
                bottom=bottom if bottom is not None else SignEntry.bottom,
            )
        )
    removed = _Entry(top.table.get("removed", {}), f"{path}: removed", {"anchors", "furniture"})
    for key, target in (
        ("anchors", layout.removed_anchors),
        ("furniture", layout.removed_furniture),
    ):
        ids = removed.table.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(v, str) and v for v in ids):
            raise InputFileError(f"{path}: removed.{key} must be a list of ids")
        target.extend(ids)

    for what, ids in (
        ("placements", [p.id for p in layout.placements]),
        ("anchors", [a.id for a in layout.anchors]),
        ("furniture", [f.id for f in layout.furniture]),
        ("spawns", [s.id for s in layout.spawns]),
        ("signs", [s.id for s in layout.signs]),
    ):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise InputFileError(f"{path}: {what}: the id {twice[0]!r} appears twice")
    return layout
