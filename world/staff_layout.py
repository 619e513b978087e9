"""The building as staff left it: ``building.toml`` with the edits of ``layout.toml`` applied.

``staff_layout(site, plan)`` returns a ``StaffLayout``: the plan with anchors added, moved or
removed and furniture moved or removed, plus the library assets placed in rooms, the
spawn points staff set and the signs they put up (built as ``wall_sign`` furniture). The
builder calls its three hooks: ``add_pieces`` (placed assets keep avatars out and collide),
``spawn_points`` (a room with staff spawn points uses those) and ``add_nodes`` (the
assets' models go into the hub model). The layout tools use the same object to list,
check and compare what stands where. Furniture from ``building.toml`` gets ids here:
``<room>-<type>-<n>``, counted per room and type in file order.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from world.asset_embedding import PlacedAsset, embed_assets
from world.building import AnchorPlan, BuildingPlan, FurniturePlan, RoomPlan
from world.conventions import SIZED_ANCHOR_KINDS
from world.errors import InputFileError
from world.floor_plan import FloorRaster, SpawnSpot
from world.furniture import furniture_params
from world.gltf_writer import GlbWriter
from world.layout_file import Layout, SignEntry, layout_path, read_layout
from world.library import LibraryAsset, UnknownAssetError, get_asset
from world.pieces import Pieces
from world.site import Site

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FurniturePiece:
    """One piece of furniture (one position of a ``[[furniture]]`` entry) and its id."""

    id: str
    item: FurniturePlan  # with exactly one position
    moved: bool = False

    @property
    def x(self) -> float:
        return self.item.positions[0][0]

    @property
    def z(self) -> float:
        return self.item.positions[0][1]


@dataclass(frozen=True)
class PlacedSpawn:
    """A spawn point set by staff (world x, z; the floor height comes from the build)."""

    id: str
    room: str
    x: float
    z: float
    yaw: float


@dataclass(frozen=True)
class PlacedSign:
    """A sign staff put up (world x, z of the plate's back; yaw in radians) and the
    ``wall_sign`` furniture the builder makes of it."""

    id: str
    room: str
    x: float
    z: float
    yaw: float
    width: float
    bottom: float  # the plate's lower edge above the room's floor
    title: dict[str, str]
    item: FurniturePlan

    @property
    def height(self) -> float:
        """The plate's height: a quarter of its width, as ``wall_sign`` draws it."""
        return self.width / 4


def sign_furniture(
    entry: SignEntry, room: RoomPlan, x: float, z: float, languages: tuple[str, ...], where: str
) -> FurniturePlan:
    """A staff sign as ``building.toml`` would write it: a ``wall_sign`` whose title is the
    first language's text and whose smaller line the second's."""
    first = entry.title.get(languages[0]) or next(iter(entry.title.values()))
    second = next((entry.title[lang] for lang in languages[1:] if entry.title.get(lang)), "")
    return FurniturePlan(
        type="wall_sign",
        room=room.id,
        positions=((x, z),),
        elevation=room.elevation,
        yaw=math.radians(entry.facing),
        params={
            "title": first,
            "subtitle": second if second != first else "",
            "width": entry.width,
            "bottom": entry.bottom,
        },
        where=where,
    )


@dataclass
class StaffLayout:
    """``building.toml`` plus ``layout.toml``: everything that stands in the rooms."""

    plan: BuildingPlan
    layout: Layout
    base_anchor_ids: frozenset[str]
    furniture: list[FurniturePiece]
    placements: list[PlacedAsset] = field(default_factory=list)
    spawns: list[PlacedSpawn] = field(default_factory=list)
    signs: list[PlacedSign] = field(default_factory=list)

    # --- builder hooks ---------------------------------------------------------------------

    def add_pieces(self, pieces: Pieces) -> None:
        """Placed assets keep avatars out and collide (unless low enough to walk over)."""
        for placed in self.placements:
            if not placed.asset.solid:
                continue
            width, height, depth = placed.asset.size
            at = placed.placement
            pieces.block(at, width / 2, depth / 2, height)
            pieces.collide(f"asset-{placed.id}", at, placed.asset.size, (0.0, height / 2, 0.0))

    def spawn_points(
        self, raster: FloorRaster | Mapping[str, FloorRaster], automatic: list[SpawnSpot]
    ) -> list[SpawnSpot]:
        """The automatic spawn points, except in rooms where staff set their own.

        ``raster`` is the floor, or for a building of several floors each room's floor.
        """
        if not self.spawns:
            return automatic
        rooms = {s.room for s in self.spawns}
        out = [s for s in automatic if s.room not in rooms]
        for spawn in self.spawns:
            grid = raster[spawn.room] if isinstance(raster, Mapping) else raster
            rows, cols = grid.heights.shape
            col = int((spawn.x - grid.origin_x) // grid.cell)
            row = int((spawn.z - grid.origin_z) // grid.cell)
            height = grid.heights[row, col] if 0 <= row < rows and 0 <= col < cols else np.nan
            if np.isnan(height):
                raise InputFileError(
                    f"{self.layout.path}: spawn point {spawn.id} stands where one cannot walk "
                    "(in a wall or furniture); move it with `hubtwin world move`"
                )
            out.append(
                SpawnSpot(
                    spawn.id,
                    spawn.room,
                    round(spawn.x, 3),
                    float(height),
                    round(spawn.z, 3),
                    round(spawn.yaw, 4),
                )
            )
        ids = [s.id for s in out]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise InputFileError(
                f"{self.layout.path}: spawn point id {twice[0]!r} is taken by an automatic "
                "spawn point of another room; choose another id"
            )
        return out

    def add_nodes(self, writer: GlbWriter) -> tuple[int | None, int]:
        """The placed assets' models as one node tree: (root node or None, triangles)."""
        return embed_assets(writer, self.placements)


def furniture_pieces(plan: BuildingPlan) -> list[FurniturePiece]:
    """Every piece of ``building.toml`` furniture, one per position, with its id."""
    counts: dict[tuple[str, str], int] = {}
    out: list[FurniturePiece] = []
    for item in plan.furniture:
        for position in item.positions:
            key = (item.room or "outside", item.type)
            counts[key] = counts.get(key, 0) + 1
            piece_id = f"{key[0]}-{item.type}-{counts[key]}"
            out.append(FurniturePiece(piece_id, dataclasses.replace(item, positions=(position,))))
    return out


def _room(plan: BuildingPlan, room_id: str, where: str) -> RoomPlan:
    try:
        return plan.room(room_id)
    except KeyError:
        known = ", ".join(r.id for r in plan.rooms)
        raise InputFileError(f"{where}: unknown room {room_id!r} (rooms: {known})") from None


def _inside(room: RoomPlan, at: tuple[float, float], where: str) -> tuple[float, float]:
    x, z = room.x0 + at[0], room.z0 + at[1]
    if not room.contains(x, z):
        raise InputFileError(
            f"{where}: at {at[0]:g}, {at[1]:g} lies outside room {room.id} "
            f"({room.x1 - room.x0:g} x {room.z1 - room.z0:g} m)"
        )
    return x, z


def _anchors(plan: BuildingPlan, layout: Layout) -> list[AnchorPlan]:
    path = layout.path
    base = {a.id: a for a in plan.anchors}
    removed = set(layout.removed_anchors)
    for anchor_id in sorted(removed - set(base)):
        log.warning(
            "layout removes an anchor building.toml no longer has",
            extra={"file": str(path), "anchor": anchor_id},
        )
    changed: dict[str, AnchorPlan] = {}
    added: list[AnchorPlan] = []
    for i, entry in enumerate(layout.anchors):
        where = f"{path}: anchors[{i}] ({entry.id})"
        old = base.get(entry.id)
        if old is None:
            if entry.kind is None or entry.room is None or entry.at is None:
                raise InputFileError(
                    f"{where}: building.toml has no anchor {entry.id!r}; "
                    "a new one needs kind, room and at"
                )
            if entry.kind in SIZED_ANCHOR_KINDS and entry.size is None:
                raise InputFileError(f"{where}: a {entry.kind} needs a size [width, height]")
            room = _room(plan, entry.room, where)
            x, z = _inside(room, entry.at, where)
            extras: dict[str, Any] = {"title": entry.title} if entry.title else {}
            added.append(
                AnchorPlan(
                    id=entry.id,
                    kind=entry.kind,
                    room=room.id,
                    x=x,
                    z=z,
                    elevation=entry.elevation or 0.0,
                    yaw=math.radians(entry.facing or 0.0),
                    size=entry.size,
                    extras=extras,
                )
            )
            continue
        if entry.kind is not None and entry.kind != old.kind:
            raise InputFileError(f"{where}: {entry.id} is a {old.kind}; its kind cannot change")
        room = _room(plan, entry.room or old.room, where)
        if entry.at is not None:
            x, z = _inside(room, entry.at, where)
        elif room.id != old.room:
            raise InputFileError(f"{where}: moving to room {room.id} needs a new 'at'")
        else:
            x, z = old.x, old.z
        extras = dict(old.extras)
        if entry.title:
            extras["title"] = entry.title
        changed[entry.id] = dataclasses.replace(
            old,
            room=room.id,
            x=x,
            z=z,
            elevation=old.elevation if entry.elevation is None else entry.elevation,
            yaw=old.yaw if entry.facing is None else math.radians(entry.facing),
            size=entry.size if entry.size is not None else old.size,
            extras=extras,
        )
    anchors = [changed.get(a.id, a) for a in plan.anchors if a.id not in removed] + added
    ids = [a.id for a in anchors]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InputFileError(f"{path}: two anchors have the id {twice[0]!r}")
    return anchors


def _furniture(plan: BuildingPlan, layout: Layout) -> list[FurniturePiece]:
    pieces = furniture_pieces(plan)
    known = {p.id for p in pieces}
    for piece_id in sorted(set(layout.removed_furniture) - known):
        log.warning(
            "layout removes furniture building.toml no longer has",
            extra={"file": str(layout.path), "furniture": piece_id},
        )
    moves = {}
    for i, entry in enumerate(layout.furniture):
        where = f"{layout.path}: furniture[{i}] ({entry.id})"
        if entry.id not in known:
            raise InputFileError(
                f"{where}: building.toml has no furniture {entry.id!r} "
                "(`hubtwin world list` shows the ids)"
            )
        room = _room(plan, entry.room, where)
        moves[entry.id] = (room, _inside(room, entry.at, where), entry)
    out = []
    for piece in pieces:
        if piece.id in layout.removed_furniture:
            continue
        if piece.id in moves:
            room, (x, z), entry = moves[piece.id]
            item = dataclasses.replace(
                piece.item,
                room=room.id,
                positions=((x, z),),
                elevation=room.elevation + entry.elevation,
                yaw=math.radians(entry.facing),
            )
            piece = FurniturePiece(piece.id, item, moved=True)
        out.append(piece)
    return out


def _signs(plan: BuildingPlan, layout: Layout, languages: tuple[str, ...]) -> list[PlacedSign]:
    out = []
    for i, entry in enumerate(layout.signs):
        where = f"{layout.path}: signs[{i}] ({entry.id})"
        room = _room(plan, entry.room, where)
        x, z = _inside(room, entry.at, where)
        item = sign_furniture(entry, room, x, z, languages, where)
        furniture_params(item.type, item.params, where, set(plan.materials))
        out.append(
            PlacedSign(
                entry.id,
                room.id,
                x,
                z,
                math.radians(entry.facing),
                entry.width,
                entry.bottom,
                dict(entry.title),
                item,
            )
        )
    return out


def apply_layout(
    plan: BuildingPlan,
    layout: Layout,
    assets: dict[str, LibraryAsset],
    languages: tuple[str, ...] = ("de", "en"),
) -> StaffLayout:
    """``plan`` with ``layout`` applied; ``assets`` holds every asset the layout places;
    ``languages`` the site's (a sign's big line is the first one's)."""
    furniture = _furniture(plan, layout)
    signs = _signs(plan, layout, languages)
    edited = dataclasses.replace(
        plan,
        anchors=_anchors(plan, layout),
        furniture=(
            [p.item for p in furniture]
            if layout.furniture or layout.removed_furniture
            else list(plan.furniture)
        )
        + [s.item for s in signs],
    )
    staff = StaffLayout(
        plan=edited,
        layout=layout,
        base_anchor_ids=frozenset(a.id for a in plan.anchors),
        furniture=furniture,
        signs=signs,
    )
    for i, entry in enumerate(layout.placements):
        where = f"{layout.path}: placements[{i}] ({entry.id})"
        room = _room(plan, entry.room, where)
        x, z = _inside(room, entry.at, where)
        if entry.asset not in assets:
            raise InputFileError(f"{where}: no asset {entry.asset!r} in the library")
        staff.placements.append(
            PlacedAsset(
                id=entry.id,
                asset=assets[entry.asset],
                room=room.id,
                x=x,
                y=room.elevation + entry.elevation,
                z=z,
                elevation=entry.elevation,
                yaw=math.radians(entry.facing),
            )
        )
    for i, spawn in enumerate(layout.spawns):
        where = f"{layout.path}: spawns[{i}] ({spawn.id})"
        room = _room(plan, spawn.room, where)
        x, z = _inside(room, spawn.at, where)
        staff.spawns.append(PlacedSpawn(spawn.id, room.id, x, z, math.radians(spawn.facing)))
    return staff


def staff_layout(site: Site, plan: BuildingPlan, layout: Layout | None = None) -> StaffLayout:
    """The site's ``layout.toml`` (or ``layout``, e.g. an edit not yet saved) on ``plan``."""
    layout = layout if layout is not None else read_layout(layout_path(site.path))
    assets: dict[str, LibraryAsset] = {}
    for i, entry in enumerate(layout.placements):
        if entry.asset not in assets:
            try:
                assets[entry.asset] = get_asset(site, entry.asset)
            except UnknownAssetError as exc:
                where = f"{layout.path}: placements[{i}] ({entry.id})"
                raise InputFileError(f"{where}: {exc}") from None
    return apply_layout(plan, layout, assets, tuple(site.languages))
