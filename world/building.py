"""Reading a site's ``building.toml``: floors, rooms, doors, windows, furniture, anchors.

The result is a ``BuildingPlan`` in world coordinates (metres, X east, Y up, Z south) that the
builder turns into geometry. Positions in the file are given relative to a room's north-west
corner, so a room can move without touching what stands in it. Every mistake is reported as
an ``InputFileError`` naming the file, the entry and what is wrong. Format:
docs/site-format.md.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from world.conventions import ANCHOR_KINDS, AVATAR_RADIUS, SIZED_ANCHOR_KINDS
from world.errors import InputFileError
from world.furniture import furniture_params
from world.materials import MaterialSpec, material_from_table, with_additions
from world.toml_table import TomlTable

SIDES = ("north", "south", "east", "west")
DOOR_STYLES = ("opening", "wood", "glass")


@dataclass(frozen=True)
class FloorPlan:
    id: str
    names: dict[str, str]
    elevation: float


@dataclass(frozen=True)
class RoomPlan:
    """One room: an axis-aligned rectangle on a floor, from ``x0..x1`` and ``z0..z1``."""

    id: str
    names: dict[str, str]
    kind: str
    floor: str
    elevation: float
    x0: float
    x1: float
    z0: float
    z1: float
    height: float
    capacity: int
    floor_material: str
    wall_material: str
    spawns: int
    moderated: bool
    outdoor: bool
    sign: bool
    accent_wall: str | None = None
    accent_material: str | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.z0 + self.z1) / 2)

    def contains(self, x: float, z: float, margin: float = 0.0) -> bool:
        return (
            self.x0 + margin <= x <= self.x1 - margin and self.z0 + margin <= z <= self.z1 - margin
        )


@dataclass(frozen=True)
class DoorPlan:
    """An opening in the wall two rooms share; ``axis`` is the wall's direction ("x" or "z")."""

    id: str
    rooms: tuple[str, str]
    x: float
    z: float
    axis: str
    width: float
    height: float
    style: str


@dataclass(frozen=True)
class WindowPlan:
    room: str
    side: str
    centres: tuple[float, ...]  # world coordinate along the wall
    width: float
    sill: float
    height: float


@dataclass(frozen=True)
class FurniturePlan:
    """One kind of piece, placed once or several times, with its type's parameters."""

    type: str
    room: str | None
    positions: tuple[tuple[float, float], ...]  # world x, z
    elevation: float
    yaw: float  # radians; 0 faces +Z (south)
    params: dict[str, Any]
    where: str


@dataclass(frozen=True)
class AnchorPlan:
    id: str
    kind: str
    room: str
    x: float
    z: float
    elevation: float  # above the room's floor
    yaw: float
    size: tuple[float, float] | None
    extras: dict[str, Any]


@dataclass(frozen=True)
class BuildingSettings:
    wall_thickness: float = 0.2
    exterior_wall_thickness: float = 0.35
    door_height: float = 2.4
    avatar_radius: float = AVATAR_RADIUS
    ground_material: str = "grass"
    apron_material: str = "paving"
    ground_margin: float = 16.0
    railing_height: float = 1.0


@dataclass
class BuildingPlan:
    path: Path
    name: dict[str, str]
    settings: BuildingSettings
    floors: list[FloorPlan]
    rooms: list[RoomPlan]
    doors: list[DoorPlan]
    windows: list[WindowPlan]
    furniture: list[FurniturePlan]
    anchors: list[AnchorPlan]
    materials: dict[str, MaterialSpec] = field(default_factory=dict)

    def room(self, room_id: str) -> RoomPlan:
        for room in self.rooms:
            if room.id == room_id:
                return room
        raise KeyError(room_id)


class _Reader(TomlTable):
    """A table of building.toml: values with defaults and limits."""

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{key} must be a non-empty text")
        return value

    def ident(self, key: str) -> str:
        self.text(key)
        return cast(str, self.optional_ident(key))

    def number(self, key: str, default: float | None = None, low: float | None = None) -> float:
        value = self.optional_number(key)
        if value is None:
            if default is None:
                raise self.fail(f"{key} must be a number")
            value = default
        if low is not None and value < low:
            raise self.fail(f"{key} must be at least {low}")
        return value

    def integer(self, key: str, default: int | None = None, low: int = 0) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(f"{key} must be a whole number >= {low}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false")
        return value

    def pair(self, key: str, default: tuple[float, float] | None = None) -> tuple[float, float]:
        value = self.optional_pair(key)
        if value is not None:
            return value
        if default is None:
            raise self.fail(f"{key} must be two numbers, like [1.5, 2]")
        return default

    def names(self, key: str, languages: tuple[str, ...]) -> dict[str, str]:
        example = '{ de = "…", en = "…" }'
        value = self.optional_texts(key, example)
        if value is None:
            raise self.fail(f"{key} must be a table of texts, like {example}")
        missing = [lang for lang in languages if lang not in value]
        if missing:
            raise self.fail(f"{key} has no {', '.join(missing)} text")
        return value

    def facing(self, key: str = "facing") -> float:
        """Radians; south when not given."""
        return math.radians(self.optional_compass(key) or 0.0)


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputFileError(f"{path}: building description not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputFileError(f"{path}: not valid TOML: {exc}") from None


def _tables(data: dict[str, Any], key: str, path: Path) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputFileError(f"{path}: {key} must be a list of tables ([[{key}]])")
    return value


def _shared_edge(a: RoomPlan, b: RoomPlan) -> tuple[str, float, float, float] | None:
    """The wall two rooms share: (axis along the wall, fixed coordinate, start, end)."""
    for fixed_a, fixed_b in ((a.x1, b.x0), (a.x0, b.x1)):
        if math.isclose(fixed_a, fixed_b):
            lo, hi = max(a.z0, b.z0), min(a.z1, b.z1)
            if hi > lo:
                return ("z", fixed_a, lo, hi)
    for fixed_a, fixed_b in ((a.z1, b.z0), (a.z0, b.z1)):
        if math.isclose(fixed_a, fixed_b):
            lo, hi = max(a.x0, b.x0), min(a.x1, b.x1)
            if hi > lo:
                return ("x", fixed_a, lo, hi)
    return None


def _side_span(room: RoomPlan, side: str) -> tuple[float, float]:
    return (room.x0, room.x1) if side in ("north", "south") else (room.z0, room.z1)


def load_building(path: Path, languages: tuple[str, ...] = ("de", "en")) -> BuildingPlan:
    """Read and check a building description; positions come out in world coordinates."""
    data = _load_toml(path)
    top = _Reader(
        data,
        str(path),
        {"building", "floors", "rooms", "doors", "windows", "furniture", "anchors", "materials"},
    )
    head = _Reader(
        top.table.get("building", {}),
        f"{path}: [building]",
        {"name", *BuildingSettings.__dataclass_fields__},
    )
    defaults = BuildingSettings()
    settings = BuildingSettings(
        wall_thickness=head.number("wall_thickness", defaults.wall_thickness, 0.05),
        exterior_wall_thickness=head.number(
            "exterior_wall_thickness", defaults.exterior_wall_thickness, 0.05
        ),
        door_height=head.number("door_height", defaults.door_height, 1.9),
        avatar_radius=head.number("avatar_radius", defaults.avatar_radius, 0.1),
        ground_material=head.text("ground_material", defaults.ground_material),
        apron_material=head.text("apron_material", defaults.apron_material),
        ground_margin=head.number("ground_margin", defaults.ground_margin, 0.0),
        railing_height=head.number("railing_height", defaults.railing_height, 0.5),
    )
    name = head.names("name", languages) if head.has("name") else {lang: "" for lang in languages}

    additions: dict[str, MaterialSpec] = {}
    mats = top.table.get("materials", {})
    if not isinstance(mats, dict):
        raise InputFileError(f"{path}: [materials] must be a table of tables")
    for mat_name, table in mats.items():
        if not isinstance(table, dict):
            raise InputFileError(f"{path}: [materials.{mat_name}] must be a table")
        additions[mat_name] = material_from_table(
            mat_name, table, f"{path}: [materials.{mat_name}]"
        )
    palette = with_additions(additions)

    def check_material(value: str, where: str) -> str:
        if value not in palette:
            raise InputFileError(
                f"{where}: unknown material {value!r} (known: {', '.join(sorted(palette))})"
            )
        return value

    check_material(settings.ground_material, f"{path}: [building].ground_material")
    check_material(settings.apron_material, f"{path}: [building].apron_material")

    floors: list[FloorPlan] = []
    for i, table in enumerate(_tables(data, "floors", path)):
        r = _Reader(table, f"{path}: floors[{i}]", {"id", "names", "elevation"})
        floors.append(
            FloorPlan(r.ident("id"), r.names("names", languages), r.number("elevation", 0.0))
        )
    if not floors:
        floors.append(FloorPlan("ground", {lang: "0" for lang in languages}, 0.0))
    floor_by_id = {f.id: f for f in floors}
    if len(floor_by_id) != len(floors):
        raise InputFileError(f"{path}: two floors share an id")

    rooms: list[RoomPlan] = []
    room_keys = {
        "id",
        "names",
        "kind",
        "floor",
        "x",
        "z",
        "height",
        "capacity",
        "floor_material",
        "wall_material",
        "spawns",
        "moderated",
        "outdoor",
        "sign",
        "accent_wall",
        "accent_material",
    }
    for i, table in enumerate(_tables(data, "rooms", path)):
        where = f"{path}: rooms[{i}]"
        r = _Reader(table, where, room_keys)
        room_id = r.ident("id")
        where = f"{path}: room {room_id}"
        r.where = where
        floor_id = r.text("floor", floors[0].id)
        if floor_id not in floor_by_id:
            raise InputFileError(f"{where}: unknown floor {floor_id!r}")
        x0, x1 = r.pair("x")
        z0, z1 = r.pair("z")
        if x1 - x0 < 1.5 or z1 - z0 < 1.5:
            raise InputFileError(f"{where}: x and z must each span at least 1.5 m, low to high")
        outdoor = r.flag("outdoor", False)
        accent_wall = r.text("accent_wall") if r.has("accent_wall") else None
        if accent_wall is not None and accent_wall not in SIDES:
            raise InputFileError(f"{where}: accent_wall must be one of {', '.join(SIDES)}")
        accent_material = (
            check_material(r.text("accent_material"), where) if r.has("accent_material") else None
        )
        if (accent_wall is None) != (accent_material is None):
            raise InputFileError(f"{where}: give accent_wall and accent_material together")
        rooms.append(
            RoomPlan(
                id=room_id,
                names=r.names("names", languages),
                kind=r.ident("kind"),
                floor=floor_id,
                elevation=floor_by_id[floor_id].elevation,
                x0=x0,
                x1=x1,
                z0=z0,
                z1=z1,
                height=r.number("height", 3.0 if outdoor else 3.5, 2.6),
                capacity=r.integer("capacity", low=1),
                floor_material=check_material(r.text("floor_material", "oak"), where),
                wall_material=check_material(r.text("wall_material", "plaster-white"), where),
                spawns=r.integer("spawns", 8, low=1),
                moderated=r.flag("moderated", False),
                outdoor=outdoor,
                sign=r.flag("sign", True),
                accent_wall=accent_wall,
                accent_material=accent_material,
            )
        )
    if not rooms:
        raise InputFileError(f"{path}: no rooms ([[rooms]] tables) described")
    by_id: dict[str, RoomPlan] = {}
    for room in rooms:
        if room.id in by_id:
            raise InputFileError(f"{path}: two rooms have the id {room.id!r}")
        by_id[room.id] = room
    for a_i, a in enumerate(rooms):
        for b in rooms[a_i + 1 :]:
            if a.floor == b.floor and a.x0 < b.x1 and b.x0 < a.x1 and a.z0 < b.z1 and b.z0 < a.z1:
                raise InputFileError(f"{path}: rooms {a.id} and {b.id} overlap")

    def room_ref(r: _Reader, key: str = "room") -> RoomPlan:
        room_id = r.text(key)
        if room_id not in by_id:
            raise InputFileError(f"{r.where}: unknown room {room_id!r}")
        return by_id[room_id]

    doors: list[DoorPlan] = []
    for i, table in enumerate(_tables(data, "doors", path)):
        r = _Reader(table, f"{path}: doors[{i}]", {"id", "rooms", "at", "width", "style"})
        pair = r.table.get("rooms")
        if not isinstance(pair, list) or len(pair) != 2 or not all(p in by_id for p in pair):
            raise InputFileError(f"{r.where}: rooms must name two known rooms")
        a, b = by_id[pair[0]], by_id[pair[1]]
        edge = _shared_edge(a, b)
        if edge is None or a.floor != b.floor:
            raise InputFileError(f"{r.where}: rooms {a.id} and {b.id} share no wall")
        axis, fixed, lo, hi = edge
        width = r.number("width", 1.6, 0.9)
        at = r.number("at", (lo + hi) / 2)
        start = a.x0 if axis == "x" else a.z0
        centre = start + at if r.has("at") else at
        if centre - width / 2 < lo - 1e-6 or centre + width / 2 > hi + 1e-6:
            raise InputFileError(
                f"{r.where}: a {width} m door at {centre} does not fit the shared wall "
                f"({lo} to {hi}); 'at' is measured from {a.id}'s north-west corner"
            )
        style = r.text("style", "opening")
        if style not in DOOR_STYLES:
            raise InputFileError(f"{r.where}: style must be one of {', '.join(DOOR_STYLES)}")
        door_id = r.ident("id") if r.has("id") else f"{a.id}-{b.id}"
        x, z = (centre, fixed) if axis == "x" else (fixed, centre)
        doors.append(
            DoorPlan(door_id, (a.id, b.id), x, z, axis, width, settings.door_height, style)
        )
    if len({d.id for d in doors}) != len(doors):
        raise InputFileError(f'{path}: two doors share an id (give them an id = "…")')

    windows: list[WindowPlan] = []
    for i, table in enumerate(_tables(data, "windows", path)):
        r = _Reader(
            table,
            f"{path}: windows[{i}]",
            {"room", "side", "at", "count", "width", "sill", "height"},
        )
        room = room_ref(r)
        side = r.text("side")
        if side not in SIDES:
            raise InputFileError(f"{r.where}: side must be one of {', '.join(SIDES)}")
        width = r.number("width", 2.0, 0.4)
        sill = r.number("sill", 0.9, 0.0)
        height = r.number("height", 2.0, 0.4)
        if sill + height > room.height - 0.2:
            raise InputFileError(f"{r.where}: sill + height leaves no wall above the window")
        lo, hi = _side_span(room, side)
        if r.has("at"):
            raw = r.table["at"]
            if not isinstance(raw, list) or not all(isinstance(v, int | float) for v in raw):
                raise InputFileError(f"{r.where}: at must be a list of positions along the wall")
            centres = tuple(lo + float(v) for v in raw)
        else:
            count = r.integer("count", 1, low=1)
            step = (hi - lo) / count
            centres = tuple(lo + step * (k + 0.5) for k in range(count))
        for c in centres:
            if c - width / 2 < lo + 0.3 or c + width / 2 > hi - 0.3:
                raise InputFileError(f"{r.where}: a window at {c - lo:.2f} m runs off the wall")
        windows.append(WindowPlan(room.id, side, centres, width, sill, height))

    furniture: list[FurniturePlan] = []
    for i, table in enumerate(_tables(data, "furniture", path)):
        if not isinstance(table, dict):
            raise InputFileError(f"{path}: furniture[{i}]: expected a table")
        params = {
            k: v for k, v in table.items() if k not in {"type", "room", "at", "facing", "elevation"}
        }
        where = f"{path}: furniture[{i}]"
        r = _Reader(
            {k: v for k, v in table.items() if k not in params},
            where,
            {"type", "room", "at", "facing", "elevation"},
        )
        kind = r.text("type")
        r.where = where = f"{path}: furniture[{i}] ({kind})"
        origin = (0.0, 0.0)
        in_room: str | None = None
        base = 0.0
        if r.has("room"):
            room = room_ref(r)
            in_room, origin, base = room.id, (room.x0, room.z0), room.elevation
        raw_at = r.table.get("at")
        points = (
            raw_at
            if isinstance(raw_at, list) and raw_at and isinstance(raw_at[0], list)
            else [raw_at]
        )
        positions = []
        for point in points:
            px, pz = _Reader({"at": point}, where, {"at"}).pair("at")
            positions.append((origin[0] + px, origin[1] + pz))
        furniture_params(kind, params, where, set(palette))
        furniture.append(
            FurniturePlan(
                type=kind,
                room=in_room,
                positions=tuple(positions),
                elevation=base + r.number("elevation", 0.0),
                yaw=r.facing(),
                params=params,
                where=where,
            )
        )

    anchors: list[AnchorPlan] = []
    anchor_keys = {"id", "kind", "room", "at", "facing", "elevation", "size"}
    for i, table in enumerate(_tables(data, "anchors", path)):
        if not isinstance(table, dict):
            raise InputFileError(f"{path}: anchors[{i}]: expected a table")
        extras = {k: v for k, v in table.items() if k not in anchor_keys}
        r = _Reader(
            {k: v for k, v in table.items() if k in anchor_keys},
            f"{path}: anchors[{i}]",
            anchor_keys,
        )
        anchor_id = r.ident("id")
        r.where = f"{path}: anchor {anchor_id}"
        kind = r.text("kind")
        if kind not in ANCHOR_KINDS:
            raise InputFileError(f"{r.where}: kind must be one of {', '.join(ANCHOR_KINDS)}")
        room = room_ref(r)
        ax, az = r.pair("at")
        size = r.pair("size") if kind in SIZED_ANCHOR_KINDS or r.has("size") else None
        if kind in SIZED_ANCHOR_KINDS and size is not None and min(size) <= 0:
            raise InputFileError(f"{r.where}: size must be positive")
        x, z = room.x0 + ax, room.z0 + az
        if not room.contains(x, z):
            raise InputFileError(f"{r.where}: at {ax}, {az} lies outside room {room.id}")
        for key, value in extras.items():
            if not isinstance(value, str | int | float | bool | dict | list):
                raise InputFileError(f"{r.where}: {key} has an unsupported value")
        anchors.append(
            AnchorPlan(
                id=anchor_id,
                kind=kind,
                room=room.id,
                x=x,
                z=z,
                elevation=r.number("elevation", 0.0),
                yaw=r.facing(),
                size=size,
                extras=extras,
            )
        )
    if len({a.id for a in anchors}) != len(anchors):
        raise InputFileError(f"{path}: two anchors share an id")

    return BuildingPlan(
        path=path,
        name=name,
        settings=settings,
        floors=floors,
        rooms=rooms,
        doors=doors,
        windows=windows,
        furniture=furniture,
        anchors=anchors,
        materials=palette,
    )
