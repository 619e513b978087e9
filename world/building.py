"""Reading a site's ``building.toml``: floors, rooms, doors, windows, furniture, anchors.

The result is a ``BuildingPlan`` in world coordinates (metres, X east, Y up, Z south) that the
builder turns into geometry. Positions in the file are given relative to a room's north-west
corner, so a room can move without touching what stands in it. Every mistake is reported as
an ``InputFileError`` of one line: the file and line, the entry (counted from 1, or by its id)
and what to do. The room newcomers arrive in is named, never guessed (``[building] entrance``),
and so are the board that shows the workshops (an anchor with ``shows = "workshops"``) and the
boards where a workshop's notes hang (``shows = "notes"``, one per room at most) and the one
that lists the offers (``shows = "offers"``). Rooms on different floors may overlap in plan
when the lower one ends below the upper floor, or when the upper one is a gallery inside a
taller room; stairs and ramps (``[[stairs]]``) join a room
to one on a higher floor, checked against the steepest a step or ramp may be. Format:
docs/site-format.md.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from world.conventions import ANCHOR_KINDS, AVATAR_RADIUS, SIZED_ANCHOR_KINDS
from world.errors import InputFileError
from world.furniture import FurniturePlan, furniture_params
from world.materials import MaterialSpec, material_from_table, with_additions
from world.toml_locations import KeyLines, toml_error_line
from world.toml_table import TomlTable, unknown_key_message

SIDES = ("north", "south", "east", "west")
DOOR_STYLES = ("opening", "wood", "glass")
#: What a board anchor may show: the next workshops (one board in the building) or the notes
#: of the workshop running in its room (one board per room).
BOARD_SHOWS = ("workshops", "notes", "offers")
STAIR_KINDS = ("stairs", "ramp")
#: The steepest stairs: a step at most this high (m) and at least this deep (DIN 18065).
MAX_RISER = 0.19
MIN_GOING = 0.26
#: The deepest step the builder chooses when the length is not given.
DEFAULT_GOING = 0.29
#: The steepest ramp by default, rise over run (DIN 18040: 6 %).
RAMP_SLOPE_LIMIT = 0.06


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
class StairsPlan:
    """Stairs or a ramp from a room on one floor up to a room on a higher one.

    It climbs from the middle of its bottom edge (``x``, ``z``) in the direction ``yaw``
    (0 = +Z, south; one of the four compass directions) over ``length`` metres, ``width``
    wide, from ``bottom`` to ``top`` (the two floors' elevations). Stairs have ``steps``
    risers of equal height and ``steps - 1`` treads; the last riser leads onto the upper
    floor. A ramp is one even slope (``steps`` 0).
    """

    id: str
    kind: str
    rooms: tuple[str, str]  # (bottom room, top room)
    x: float
    z: float
    yaw: float
    width: float
    length: float
    bottom: float
    top: float
    steps: int
    where: str = ""

    @property
    def direction(self) -> tuple[float, float]:
        return (round(math.sin(self.yaw), 9), round(math.cos(self.yaw), 9))

    def point(self, along: float, across: float = 0.0) -> tuple[float, float]:
        """World x, z ``along`` metres up the flight, ``across`` to its right (+ local x)."""
        dx, dz = self.direction
        return (self.x + dx * along + dz * across, self.z + dz * along - dx * across)

    def extent(self) -> tuple[float, float, float, float]:
        """Its footprint as an axis-aligned rectangle (x0, x1, z0, z1)."""
        corners = [
            self.point(a, b) for a in (0.0, self.length) for b in (-self.width / 2, self.width / 2)
        ]
        xs, zs = [c[0] for c in corners], [c[1] for c in corners]
        return (min(xs), max(xs), min(zs), max(zs))


@dataclass(frozen=True)
class WindowPlan:
    room: str
    side: str
    centres: tuple[float, ...]  # world coordinate along the wall
    width: float
    sill: float
    height: float


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
    #: ``file:line: anchor ID`` of its ``at`` in building.toml, for messages ("" if placed by
    #: the staff's layout)
    where: str = ""


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
    ramp_slope_limit: float = RAMP_SLOPE_LIMIT


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
    stairs: list[StairsPlan] = field(default_factory=list)
    #: the room newcomers arrive in (``[building] entrance``)
    entrance: str = ""

    def board_showing(self, what: str) -> AnchorPlan | None:
        """The board anchor with ``shows = what`` (``"workshops"``), if the building has one."""
        for anchor in self.anchors:
            if anchor.extras.get("shows") == what:
                return anchor
        return None

    def room(self, room_id: str) -> RoomPlan:
        for room in self.rooms:
            if room.id == room_id:
                return room
        raise KeyError(room_id)


@dataclass(frozen=True)
class _Place:
    """Where a table of building.toml is: the file, its lines, the table's key path, a label."""

    file: Path
    lines: KeyLines
    at: tuple[str | int, ...]
    label: str

    def line(self, key: str | None = None) -> int | None:
        return self.lines.line_of((*self.at, key) if key is not None else self.at)

    def of(self, key: str | None = None) -> str:
        """``file:line: label`` for the table or one of its keys."""
        line = self.line(key)
        where = f"{self.file}:{line}" if line is not None else str(self.file)
        return f"{where}: {self.label}" if self.label else where

    def named(self, label: str) -> _Place:
        return replace(self, label=label)


class _Reader(TomlTable):
    """A table of building.toml: values with defaults and limits; errors give file and line."""

    def __init__(self, table: object, place: _Place, allowed: set[str]) -> None:
        self.place = place
        if isinstance(table, dict):
            unknown = sorted(set(table) - allowed)
            if unknown:
                raise InputFileError(
                    f"{place.of(unknown[0])}: {unknown_key_message(unknown[0], allowed)}"
                )
        super().__init__(table, place.of(), allowed)

    def rename(self, label: str) -> None:
        self.place = self.place.named(label)
        self.where = self.place.of()

    def fail(self, message: str, key: str | None = None) -> InputFileError:
        return InputFileError(f"{self.place.of(key)}: {message}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{key} must be a non-empty text", key)
        return value

    def ident(self, key: str) -> str:
        self.text(key)
        return cast(str, self.optional_ident(key))

    def number(self, key: str, default: float | None = None, low: float | None = None) -> float:
        value = self.optional_number(key)
        if value is None:
            if default is None:
                raise self.fail(f"{key} must be a number", key)
            value = default
        if low is not None and value < low:
            raise self.fail(f"{key} must be at least {low}", key)
        return value

    def integer(self, key: str, default: int | None = None, low: int = 0) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(f"{key} must be a whole number >= {low}", key)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false", key)
        return value

    def pair(self, key: str, default: tuple[float, float] | None = None) -> tuple[float, float]:
        value = self.optional_pair(key)
        if value is not None:
            return value
        if default is None:
            raise self.fail(f"{key} must be two numbers, like [1.5, 2]", key)
        return default

    def names(self, key: str, languages: tuple[str, ...]) -> dict[str, str]:
        example = '{ de = "…", en = "…" }'
        value = self.optional_texts(key, example)
        if value is None:
            raise self.fail(f"{key} must be a table of texts, like {example}", key)
        missing = [lang for lang in languages if lang not in value]
        if missing:
            raise self.fail(f"{key} has no {', '.join(missing)} text", key)
        return value

    def facing(self, key: str = "facing") -> float:
        """Radians; south when not given."""
        return math.radians(self.optional_compass(key) or 0.0)


def _load_toml(path: Path) -> tuple[dict[str, Any], KeyLines]:
    if not path.is_file():
        raise InputFileError(f"{path}: building description not found")
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), KeyLines(text)
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        where = f"{path}:{line}" if line is not None else str(path)
        raise InputFileError(f"{where}: not valid TOML: {message}") from None


def _tables(data: dict[str, Any], key: str, top: _Place) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise InputFileError(f"{top.of(key)}: {key} must be a list of tables ([[{key}]])")
    return value


def _nearest(value: str, known: list[str]) -> str:
    near = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
    return f"did you mean {near[0]!r}? " if near else ""


def is_gallery(room: RoomPlan, hall: RoomPlan) -> bool:
    """Whether ``room`` is a gallery in ``hall``: on a higher floor, inside it in plan and
    within its height, so the hall stays open beside it."""
    eps = 1e-6
    return (
        room.elevation > hall.elevation + eps
        and room.elevation + room.height <= hall.elevation + hall.height + eps
        and hall.x0 - eps <= room.x0
        and room.x1 <= hall.x1 + eps
        and hall.z0 - eps <= room.z0
        and room.z1 <= hall.z1 + eps
    )


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
    data, lines = _load_toml(path)

    def place(at: tuple[str | int, ...], label: str) -> _Place:
        return _Place(path, lines, at, label)

    top_place = place((), "")
    top = _Reader(
        data,
        top_place,
        {
            "building",
            "floors",
            "rooms",
            "doors",
            "windows",
            "furniture",
            "anchors",
            "materials",
            "stairs",
        },
    )
    head = _Reader(
        top.table.get("building", {}),
        place(("building",), "[building]"),
        {"name", "entrance", *BuildingSettings.__dataclass_fields__},
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
        ramp_slope_limit=head.number("ramp_slope_limit", defaults.ramp_slope_limit, 0.01),
    )
    if settings.ramp_slope_limit > 0.25:
        raise head.fail(
            "ramp_slope_limit must be at most 0.25 (1 m up over 4 m)", "ramp_slope_limit"
        )
    name = head.names("name", languages) if head.has("name") else {lang: "" for lang in languages}

    additions: dict[str, MaterialSpec] = {}
    mats = top.table.get("materials", {})
    if not isinstance(mats, dict):
        raise InputFileError(f"{top_place.of('materials')}: [materials] must be a table of tables")
    for mat_name, table in mats.items():
        mat_place = place(("materials", mat_name), f"[materials.{mat_name}]")
        if not isinstance(table, dict):
            raise InputFileError(f"{mat_place.of()}: must be a table")
        additions[mat_name] = material_from_table(mat_name, table, mat_place.of())
    palette = with_additions(additions)

    def check_material(value: str, where: str) -> str:
        if value not in palette:
            raise InputFileError(
                f"{where}: unknown material {value!r} (known: {', '.join(sorted(palette))})"
            )
        return value

    check_material(settings.ground_material, head.place.of("ground_material"))
    check_material(settings.apron_material, head.place.of("apron_material"))

    floors: list[FloorPlan] = []
    for i, table in enumerate(_tables(data, "floors", top_place)):
        r = _Reader(table, place(("floors", i), f"floors[{i + 1}]"), {"id", "names", "elevation"})
        floors.append(
            FloorPlan(r.ident("id"), r.names("names", languages), r.number("elevation", 0.0))
        )
    if not floors:
        floors.append(FloorPlan("ground", {lang: "0" for lang in languages}, 0.0))
    floor_by_id = {f.id: f for f in floors}
    if len(floor_by_id) != len(floors):
        raise InputFileError(f"{top_place.of('floors')}: two floors share an id")

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
    room_lines: dict[str, str] = {}
    for i, table in enumerate(_tables(data, "rooms", top_place)):
        r = _Reader(table, place(("rooms", i), f"rooms[{i + 1}]"), room_keys)
        room_id = r.ident("id")
        r.rename(f"room {room_id}")
        where = r.where
        room_lines.setdefault(room_id, where)
        floor_id = r.text("floor", floors[0].id)
        if floor_id not in floor_by_id:
            raise r.fail(f"unknown floor {floor_id!r} (floors: {', '.join(floor_by_id)})", "floor")
        x0, x1 = r.pair("x")
        z0, z1 = r.pair("z")
        if x1 - x0 < 1.5 or z1 - z0 < 1.5:
            raise InputFileError(f"{where}: x and z must each span at least 1.5 m, low to high")
        outdoor = r.flag("outdoor", False)
        accent_wall = r.text("accent_wall") if r.has("accent_wall") else None
        if accent_wall is not None and accent_wall not in SIDES:
            raise r.fail(f"accent_wall must be one of {', '.join(SIDES)}", "accent_wall")
        accent_material = (
            check_material(r.text("accent_material"), r.place.of("accent_material"))
            if r.has("accent_material")
            else None
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
                floor_material=check_material(
                    r.text("floor_material", "oak"), r.place.of("floor_material")
                ),
                wall_material=check_material(
                    r.text("wall_material", "plaster-white"), r.place.of("wall_material")
                ),
                spawns=r.integer("spawns", 8, low=1),
                moderated=r.flag("moderated", False),
                outdoor=outdoor,
                sign=r.flag("sign", True),
                accent_wall=accent_wall,
                accent_material=accent_material,
            )
        )
    if not rooms:
        raise InputFileError(f"{path}: no rooms described: add a [[rooms]] table for each room")
    by_id: dict[str, RoomPlan] = {}
    for i, room in enumerate(rooms):
        if room.id in by_id:
            raise InputFileError(
                f"{place(('rooms', i, 'id'), f'rooms[{i + 1}]').of()}: the id {room.id!r} is "
                "already another room's; give each room its own id"
            )
        by_id[room.id] = room
    for a_i, a in enumerate(rooms):
        for b in rooms[a_i + 1 :]:
            if not (a.x0 < b.x1 and b.x0 < a.x1 and a.z0 < b.z1 and b.z0 < a.z1):
                continue
            if a.floor == b.floor:
                raise InputFileError(
                    f"{room_lines[b.id]}: rooms {a.id} and {b.id} overlap: change x or z"
                )
            low, high = (a, b) if a.elevation <= b.elevation else (b, a)
            if low.elevation + low.height > high.elevation + 1e-6 and not is_gallery(high, low):
                raise InputFileError(
                    f"{room_lines[low.id]}: room {low.id} ({low.height:g} m high) reaches into "
                    f"room {high.id} above it (floor {high.floor} at {high.elevation:g} m): "
                    "lower its height or raise that floor, or make room "
                    f"{high.id} a gallery within {low.id} (inside it in plan, its top at most "
                    f"{low.elevation + low.height:g} m)"
                )
    known_rooms = ", ".join(by_id)

    def unknown_room(room_id: object) -> str:
        hint = _nearest(room_id, list(by_id)) if isinstance(room_id, str) else ""
        return f"unknown room {room_id!r} ({hint}rooms: {known_rooms})"

    def room_ref(r: _Reader, key: str = "room") -> RoomPlan:
        room_id = r.text(key)
        if room_id not in by_id:
            raise r.fail(unknown_room(room_id), key)
        return by_id[room_id]

    entrance = head.table.get("entrance")
    if entrance is None and len(rooms) > 1:
        raise InputFileError(
            f"{head.place.of()}: name the room newcomers arrive in, e.g. entrance = "
            f'"{rooms[0].id}" (rooms: {known_rooms})'
        )
    if entrance is None:
        entrance = rooms[0].id
    if entrance not in by_id:
        raise head.fail(f"entrance: {unknown_room(entrance)}", "entrance")

    stairs = _read_stairs(data, top_place, place, by_id, unknown_room, settings)

    doors: list[DoorPlan] = []
    for i, table in enumerate(_tables(data, "doors", top_place)):
        r = _Reader(
            table, place(("doors", i), f"doors[{i + 1}]"), {"id", "rooms", "at", "width", "style"}
        )
        pair = r.table.get("rooms")
        if not isinstance(pair, list) or len(pair) != 2:
            raise r.fail(
                "rooms must name the two rooms the door joins, like "
                f'rooms = ["{rooms[0].id}", "…"]',
                "rooms",
            )
        for room_id in pair:
            if room_id not in by_id:
                raise r.fail(f"rooms: {unknown_room(room_id)}", "rooms")
        a, b = by_id[pair[0]], by_id[pair[1]]
        edge = _shared_edge(a, b)
        if a.floor != b.floor:
            doors.append(_door_between_floors(r, a, b, edge, stairs, settings))
            continue
        if edge is None:
            raise InputFileError(
                f"{r.where}: rooms {a.id} and {b.id} share no wall: a door joins two rooms on "
                "one floor whose sides touch"
            )
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
            raise r.fail(f"style must be one of {', '.join(DOOR_STYLES)}", "style")
        door_id = r.ident("id") if r.has("id") else f"{a.id}-{b.id}"
        x, z = (centre, fixed) if axis == "x" else (fixed, centre)
        doors.append(
            DoorPlan(door_id, (a.id, b.id), x, z, axis, width, settings.door_height, style)
        )
    if len({d.id for d in doors}) != len(doors):
        raise InputFileError(
            f'{top_place.of("doors")}: two doors share an id (give them an id = "…")'
        )

    windows: list[WindowPlan] = []
    for i, table in enumerate(_tables(data, "windows", top_place)):
        r = _Reader(
            table,
            place(("windows", i), f"windows[{i + 1}]"),
            {"room", "side", "at", "count", "width", "sill", "height"},
        )
        room = room_ref(r)
        side = r.text("side")
        if side not in SIDES:
            raise r.fail(f"side must be one of {', '.join(SIDES)}", "side")
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
    for i, table in enumerate(_tables(data, "furniture", top_place)):
        piece_place = place(("furniture", i), f"furniture[{i + 1}]")
        if not isinstance(table, dict):
            raise InputFileError(f"{piece_place.of()}: expected a table")
        params = {
            k: v for k, v in table.items() if k not in {"type", "room", "at", "facing", "elevation"}
        }
        r = _Reader(
            {k: v for k, v in table.items() if k not in params},
            piece_place,
            {"type", "room", "at", "facing", "elevation"},
        )
        kind = r.text("type")
        r.rename(f"furniture[{i + 1}] ({kind})")
        where = r.where
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
            px, pz = _Reader({"at": point}, r.place, {"at"}).pair("at")
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
    shown_by: dict[str, str] = {}
    for i, table in enumerate(_tables(data, "anchors", top_place)):
        anchor_place = place(("anchors", i), f"anchors[{i + 1}]")
        if not isinstance(table, dict):
            raise InputFileError(f"{anchor_place.of()}: expected a table")
        extras = {k: v for k, v in table.items() if k not in anchor_keys}
        r = _Reader({k: v for k, v in table.items() if k in anchor_keys}, anchor_place, anchor_keys)
        anchor_id = r.ident("id")
        r.rename(f"anchor {anchor_id}")
        kind = r.text("kind")
        if kind not in ANCHOR_KINDS:
            raise r.fail(f"kind must be one of {', '.join(ANCHOR_KINDS)}", "kind")
        if "shows" in extras:
            shows = extras["shows"]
            known = ", ".join(f'"{s}"' for s in BOARD_SHOWS[:-1]) + f' or "{BOARD_SHOWS[-1]}"'
            if kind != "board":
                raise r.fail('shows is for boards: write kind = "board" or remove shows', "shows")
            if shows not in BOARD_SHOWS:
                raise r.fail(f"shows {shows!r}: a board shows {known}", "shows")
            if shows == "notes":
                shows = f"notes of room {table.get('room')}"
            if shows in shown_by:
                raise r.fail(
                    f"anchor {shown_by[shows]} already shows the {shows}: one board each",
                    "shows",
                )
            shown_by[shows] = anchor_id
        room = room_ref(r)
        ax, az = r.pair("at")
        size = r.pair("size") if kind in SIZED_ANCHOR_KINDS or r.has("size") else None
        if kind in SIZED_ANCHOR_KINDS and size is not None and min(size) <= 0:
            raise r.fail("size must be positive", "size")
        x, z = room.x0 + ax, room.z0 + az
        if not room.contains(x, z):
            raise r.fail(
                f"at {ax}, {az} lies outside room {room.id}: measured from its north-west "
                f"corner, at runs from 0, 0 to {room.x1 - room.x0:g}, {room.z1 - room.z0:g}",
                "at",
            )
        for key, value in extras.items():
            if not isinstance(value, str | int | float | bool | dict | list):
                raise r.fail(f"{key} has an unsupported value", key)
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
                where=anchor_place.named(f"anchor {anchor_id}").of("at"),
            )
        )
    seen: set[str] = set()
    for i, anchor in enumerate(anchors):
        if anchor.id in seen:
            raise InputFileError(
                f"{place(('anchors', i, 'id'), f'anchors[{i + 1}]').of()}: the id {anchor.id!r} "
                "is already another anchor's; give each anchor its own id"
            )
        seen.add(anchor.id)

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
        entrance=entrance,
        stairs=stairs,
    )


def _door_between_floors(
    r: _Reader,
    a: RoomPlan,
    b: RoomPlan,
    edge: tuple[str, float, float, float] | None,
    stairs: list[StairsPlan],
    settings: BuildingSettings,
) -> DoorPlan:
    """A door between rooms on two floors: where stairs from one arrive at the other's wall."""
    for flight in stairs:
        if set(flight.rooms) != {a.id, b.id} or edge is None:
            continue
        axis, fixed, _, _ = edge
        tx, tz = flight.point(flight.length)
        along_x = abs(flight.direction[0]) < 0.5  # climbs north or south: the wall runs along x
        if (axis == "x") != along_x or not math.isclose(fixed, tz if along_x else tx):
            continue
        middle = tx if along_x else tz
        width = r.number("width", flight.width, 0.9)
        start = a.x0 if axis == "x" else a.z0
        centre = start + r.number("at") if r.has("at") else middle
        if (
            centre - width / 2 < middle - flight.width / 2 - 1e-6
            or centre + width / 2 > middle + flight.width / 2 + 1e-6
        ):
            raise r.fail(
                f"a door between floors stands where stairs {flight.id} arrive: at most "
                f"{flight.width:g} m wide, centred {middle - start:g} m along the wall from "
                f"{a.id}'s north-west corner (leave out at and width for that)",
                "at" if r.has("at") else "width",
            )
        style = r.text("style", "opening")
        if style not in DOOR_STYLES:
            raise r.fail(f"style must be one of {', '.join(DOOR_STYLES)}", "style")
        door_id = r.ident("id") if r.has("id") else f"{a.id}-{b.id}"
        x, z = (centre, fixed) if axis == "x" else (fixed, centre)
        return DoorPlan(door_id, (a.id, b.id), x, z, axis, width, settings.door_height, style)
    raise InputFileError(
        f"{r.where}: rooms {a.id} and {b.id} are on different floors: a door between floors "
        "stands where [[stairs]] (stairs or a ramp) from the lower room arrive at the wall of "
        "the upper one; add such stairs, or join the floors with stairs alone"
    )


def _read_stairs(
    data: dict[str, Any],
    top_place: _Place,
    place: Callable[[tuple[str | int, ...], str], _Place],
    by_id: dict[str, RoomPlan],
    unknown_room: Callable[[object], str],
    settings: BuildingSettings,
) -> list[StairsPlan]:
    """``[[stairs]]``: each from a room up to a room on a higher floor, within the limits."""
    out: list[StairsPlan] = []
    keys = {"id", "kind", "from", "to", "at", "facing", "width", "length"}
    for i, table in enumerate(_tables(data, "stairs", top_place)):
        r = _Reader(table, place(("stairs", i), f"stairs[{i + 1}]"), keys)
        kind = r.text("kind", "stairs")
        if kind not in STAIR_KINDS:
            raise r.fail('kind must be "stairs" or "ramp"', "kind")
        ends = []
        for key in ("from", "to"):
            room_id = r.text(key)
            if room_id not in by_id:
                raise r.fail(f"{key}: {unknown_room(room_id)}", key)
            ends.append(by_id[room_id])
        low, high = ends
        stairs_id = r.ident("id") if r.has("id") else f"{low.id}-{high.id}"
        r.rename(f"stairs {stairs_id}")
        rise = high.elevation - low.elevation
        if rise <= 0.01:
            raise r.fail(
                f"to: room {high.id} (floor {high.floor}, {high.elevation:g} m) is not above "
                f"room {low.id} (floor {low.floor}, {low.elevation:g} m): stairs go from the "
                "lower room to the higher one",
                "to",
            )
        degrees = r.optional_compass("facing")
        degrees = 0.0 if degrees is None else degrees % 360
        if degrees not in (0.0, 90.0, 180.0, 270.0):
            raise r.fail("facing must be north, south, east or west (the way it climbs)", "facing")
        width = r.number("width", 1.2, 0.9)
        steps = 0
        if kind == "stairs":
            steps = max(2, math.ceil(rise / MAX_RISER - 1e-9))
            shortest = (steps - 1) * MIN_GOING
            length = r.number("length", math.ceil((steps - 1) * DEFAULT_GOING * 100) / 100, 0.5)
            going = length / (steps - 1)
            if going < MIN_GOING - 1e-9:
                raise r.fail(
                    f"too steep: {steps} steps of {rise / steps * 100:.1f} cm climb {rise:g} m "
                    f"over {length:g} m, so each tread is {going * 100:.1f} cm deep; a tread "
                    f"must be at least {MIN_GOING * 100:g} cm deep: make length at least "
                    f"{shortest:.2f}",
                    "length",
                )
        else:
            limit = settings.ramp_slope_limit
            shortest = rise / limit
            length = r.number("length", math.ceil(shortest * 100) / 100, 0.5)
            if rise / length > limit + 1e-9:
                raise r.fail(
                    f"too steep: the ramp rises {rise:g} m over {length:g} m "
                    f"({rise / length * 100:.1f} %); at most {limit * 100:g} % "
                    f"([building] ramp_slope_limit): make length at least {shortest:.2f}",
                    "length",
                )
        ax, az = r.pair("at")
        plan = StairsPlan(
            id=stairs_id,
            kind=kind,
            rooms=(low.id, high.id),
            x=low.x0 + ax,
            z=low.z0 + az,
            yaw=math.radians(degrees),
            width=width,
            length=length,
            bottom=low.elevation,
            top=high.elevation,
            steps=steps,
            where=r.place.of("at"),
        )
        x0, x1, z0, z1 = plan.extent()
        eps = 1e-6
        if x0 < low.x0 - eps or x1 > low.x1 + eps or z0 < low.z0 - eps or z1 > low.z1 + eps:
            raise r.fail(
                f"the {kind} ({width:g} m wide, {length:g} m long from at {ax:g}, {az:g}) run "
                f"out of room {low.id}: they stand in the lower room, at is measured from its "
                f"north-west corner (0, 0 to {low.x1 - low.x0:g}, {low.z1 - low.z0:g})",
                "at",
            )
        top_ends = [plan.point(length, b) for b in (-width / 2, 0.0, width / 2)]
        if not all(high.contains(px, pz, -1e-6) for px, pz in top_ends):
            px, pz = plan.point(length)
            raise r.fail(
                f"the top of the {kind} (x {px:g}, z {pz:g}) is not in room {high.id}: "
                f"they must arrive, their whole width, inside or at the edge of room {high.id} "
                f"(x {high.x0:g} to {high.x1:g}, z {high.z0:g} to {high.z1:g})",
                "at",
            )
        for other in out:
            ox0, ox1, oz0, oz1 = other.extent()
            if x0 < ox1 and ox0 < x1 and z0 < oz1 and oz0 < z1 and other.bottom == plan.bottom:
                raise r.fail(f"the {kind} overlap stairs {other.id}: move one of them", "at")
        if any(o.id == stairs_id for o in out):
            raise r.fail(f'the id {stairs_id!r} is already taken: give it an id = "…"', "id")
        out.append(plan)
    return out
