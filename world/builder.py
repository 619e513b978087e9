"""``hub.glb`` from a site folder: geometry, materials, signs, and the venue metadata.

``build_model`` turns a building description into GLB bytes; ``build_site`` does that for a
site folder and writes the file, skipping the work when neither the inputs nor the builder
changed since the last build (the digest of both is kept next to the model). Beside the
model it writes ``hub.glb.gz``, the same bytes gzipped (half the size), which the HTTP
server sends instead to browsers that accept gzip.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from world import conventions as cv
from world.anchor_pieces import add_board, add_station_stand, anchor_placement
from world.anchor_walls import anchor_warnings
from world.baked_light import Occluders, shade, subdivide
from world.build_record import BUILDER_VERSION, is_up_to_date, write_record
from world.building import BuildingPlan, load_building
from world.ceilings import add_ceilings
from world.errors import InputFileError
from world.floor_plan import place_spawns, rasterise_floors, walkable_mesh
from world.furniture import place_furniture
from world.geometry import Mesh, Placement, merge, quad
from world.gltf_writer import GlbWriter, Primitive
from world.materials import with_site_colours
from world.model_materials import ModelMaterials, blocks_light, primitive, receives_baked_light
from world.pictures import picture_atlas
from world.pieces import GROUPS, Pieces, SignPlate
from world.signage import POSTER_LOGO, SignText, poster, sign_atlas
from world.site import Site, load_site
from world.site_logo import logo_image
from world.staff_layout import StaffLayout, staff_layout
from world.stairs import add_stairs
from world.venue_nodes import anchors_node, colliders_node, doors_node, rooms_node, spawns_node
from world.walls import add_floors, add_walls

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltModel:
    glb: bytes = field(repr=False)
    triangles: int
    spawns: int
    anchors: int
    colliders: int
    walkable_area: float


@dataclass(frozen=True)
class BuildReport:
    path: Path
    built: bool  # False when the existing model was already up to date
    sha256: str
    size: int
    seconds: float
    model: BuiltModel | None = None
    #: one line each (file, line, the fix): anchors inside a wall or floating off it
    warnings: tuple[str, ...] = ()


def _focus_points(plan: BuildingPlan) -> dict[str, tuple[float, float, float]]:
    """Where newcomers in a room should look: its stage or main screen, if it has one."""
    focus: dict[str, tuple[float, float, float]] = {}
    for kind in ("screen", "stage"):
        for anchor in plan.anchors:
            if anchor.kind == kind:
                focus[anchor.room] = (anchor.x, anchor.z, anchor.yaw)
    return focus


def _sign_texts(plan: BuildingPlan, site: Site, pieces: Pieces) -> dict[str, SignText]:
    lang_a = site.default_language
    lang_b = next((lang for lang in site.languages if lang != lang_a), lang_a)
    texts: dict[str, SignText] = {}
    primary, accent = site.branding.primary_colour, site.branding.accent_colour
    for plate in pieces.signs:
        key = plate.key
        if key in texts or key.startswith("picture:"):
            continue
        kind, _, ident = key.partition(":")
        if kind == "room":
            names = plan.room(ident).names
            texts[key] = SignText(names[lang_a], names.get(lang_b, ""), bar=primary)
        elif kind in ("station", "board"):
            anchor = next(a for a in plan.anchors if a.id == ident)
            title = anchor.extras.get("title")
            if isinstance(title, dict):
                texts[key] = SignText(
                    str(title.get(lang_a, ident)), str(title.get(lang_b, "")), bar=accent
                )
            else:
                texts[key] = SignText(str(title or ident), "", bar=accent)
        elif kind == "text":
            title, _, subtitle = ident.partition("\n")
            texts[key] = SignText(title, subtitle, bar=accent)
        elif kind == "facade":
            texts[key] = SignText(
                site.branding.short_name,
                site.branding.name.get(lang_a, ""),
                background=primary,
                foreground="#ffffff",
                bar=accent,
                muted="#e3efe7",
            )
    return texts


def _add_facade_sign(plan: BuildingPlan, pieces: Pieces) -> None:
    """The hub's name above the main entrance: the door from the foyer to the outside."""
    for door in plan.doors:
        a, b = (plan.room(r) for r in door.rooms)
        inside, outside = (a, b) if not a.outdoor else (b, a)
        if inside.kind != "foyer" or not outside.outdoor or inside.outdoor:
            continue
        t = plan.settings.exterior_wall_thickness / 2 + 0.03
        if door.axis == "x":
            sign = 1.0 if outside.z0 >= inside.z1 - 1e-6 else -1.0
            x, z, yaw = door.x, door.z + sign * t, 0.0 if sign > 0 else math.pi
        else:
            sign = 1.0 if outside.x0 >= inside.x1 - 1e-6 else -1.0
            x, z, yaw = door.x + sign * t, door.z, math.pi / 2 if sign > 0 else -math.pi / 2
        y = inside.elevation + door.height + 1.2
        width = 3.2
        if y + width / 8 > inside.elevation + inside.height:
            return
        at = Placement(x, y, z, yaw)
        pieces.add_box(
            "signage",
            "brand-green",
            (width + 0.1, width / 4 + 0.1, 0.04),
            (0.0, 0.0, -0.02),
            at,
            skip=(),
        )
        pieces.signs.append(
            SignPlate("facade:main", at.then(Placement(0, 0, 0.006)), width, width / 4)
        )
        return


def _add_ground(plan: BuildingPlan, pieces: Pieces) -> None:
    x0 = min(r.x0 for r in plan.rooms)
    x1 = max(r.x1 for r in plan.rooms)
    z0 = min(r.z0 for r in plan.rooms)
    z1 = max(r.z1 for r in plan.rooms)
    margin = plan.settings.ground_margin
    apron = 2.5
    pieces.add_box(
        "landscape",
        plan.settings.apron_material,
        (x1 - x0 + 2 * apron, 0.05, z1 - z0 + 2 * apron),
        ((x0 + x1) / 2, -0.035, (z0 + z1) / 2),
    )
    if margin > 0:
        pieces.add_box(
            "landscape",
            plan.settings.ground_material,
            (x1 - x0 + 2 * margin, 0.05, z1 - z0 + 2 * margin),
            ((x0 + x1) / 2, -0.045, (z0 + z1) / 2),
        )


def _sign_mesh(plate: SignPlate, slot: Any) -> Mesh:
    mesh = quad(plate.width, plate.height)
    mesh.uvs = np.array(
        [[slot.u0, slot.v1], [slot.u1, slot.v1], [slot.u1, slot.v0], [slot.u0, slot.v0]]
    )
    return plate.placement.apply(mesh)


def _storeys(plan: BuildingPlan) -> dict[str, Any]:
    """``floors`` for the venue node when rooms stand on more than one (for the site plan)."""
    used = [f for f in plan.floors if any(r.floor == f.id for r in plan.rooms)]
    if len(used) < 2:
        return {}
    return {"floors": [{"id": f.id, "names": f.names, "elevation": f.elevation} for f in used]}


# Longest triangle edge per group, so baked light has vertices to live on (metres).
BAKE_EDGE = {"architecture": 0.75, "ceiling": 1.5, "furniture": 1.0, "landscape": 2.5}


def _indoors(plan: BuildingPlan) -> Any:
    """A test whether points (N x 3) lie inside an indoor room's volume."""
    boxes = np.array(
        [
            (r.x0, r.elevation, r.z0, r.x1, r.elevation + r.height, r.z1)
            for r in plan.rooms
            if not r.outdoor
        ]
    ).reshape(-1, 6)

    def inside(points: Any) -> Any:
        p = points[:, None, :]
        within = (p >= boxes[None, :, :3]) & (p <= boxes[None, :, 3:])
        return np.all(within, axis=2).any(axis=1)

    return inside


def _baked_meshes(
    plan: BuildingPlan, pieces: Pieces, materials: ModelMaterials
) -> dict[tuple[str, str], tuple[Mesh, Any]]:
    """Every visible mesh by (group, material), subdivided where large, with its baked light."""
    meshes: dict[tuple[str, str], Mesh] = {}
    for key in sorted(pieces.meshes):
        mesh = merge(pieces.meshes[key])
        if key[0] in BAKE_EDGE and receives_baked_light(materials.spec(key[1])):
            mesh = subdivide(mesh, BAKE_EDGE[key[0]])
        meshes[key] = mesh
    base = min([r.elevation for r in plan.rooms] + [0.0])
    occluders = Occluders.from_meshes(
        [m for (_, material), m in meshes.items() if blocks_light(materials.spec(material))], base
    )
    indoors = _indoors(plan)
    out: dict[tuple[str, str], tuple[Mesh, Any]] = {}
    for key, mesh in meshes.items():
        baked = None
        if receives_baked_light(materials.spec(key[1])):
            baked = shade(occluders, mesh.positions, mesh.normals, indoors)
        out[key] = (mesh, baked)
    return out


def build_model(plan: BuildingPlan, site: Site, layout: StaffLayout | None = None) -> BuiltModel:
    """Everything in ``plan`` as GLB bytes (deterministic: same plan, same bytes).

    ``layout`` brings the staff's edits (layout.toml): ``plan`` is then ``layout.plan``, and
    its placed library assets and spawn points are built in (world/staff_layout.py).
    """
    pieces = Pieces()
    add_floors(plan, pieces)
    add_walls(plan, pieces)
    add_ceilings(plan, pieces)
    add_stairs(plan, pieces)
    _add_ground(plan, pieces)
    _add_facade_sign(plan, pieces)
    names = set(plan.materials)
    for item in plan.furniture:
        place_furniture(item, pieces, names)
    if layout is not None:
        layout.add_pieces(pieces)
    screens = []
    for anchor in plan.anchors:
        at = anchor_placement(plan, anchor)
        if anchor.kind == "station":
            add_station_stand(anchor, at, pieces)
        elif anchor.kind == "board":
            add_board(anchor, at, pieces)
        elif anchor.kind == "screen":
            screens.append(anchor)

    rasters = rasterise_floors(plan, pieces)
    focus = _focus_points(plan)
    spawns = [s for raster in rasters for s in place_spawns(plan, raster, pieces, focus)]
    if len(rasters) > 1:
        order = {room.id: index for index, room in enumerate(plan.rooms)}
        spawns.sort(key=lambda s: order[s.room])
    if layout is not None:
        by_floor = {raster.floor: raster for raster in rasters}
        spawns = layout.spawn_points(
            rasters[0] if len(rasters) == 1 else {r.id: by_floor[r.floor] for r in plan.rooms},
            spawns,
        )
    missing = sorted({r.id for r in plan.rooms} - {s.room for s in spawns})
    if missing:
        raise InputFileError(f"{plan.path}: no free floor for spawn points in {', '.join(missing)}")

    atlas_png, slots = sign_atlas(_sign_texts(plan, site, pieces))
    pictures_png, motif_slots = picture_atlas(
        site.branding.primary_colour, site.branding.accent_colour
    )
    for plate in pieces.signs:
        kind, _, motif = plate.key.partition(":")
        if kind == "picture":
            pieces.add("furniture", "pictures", _sign_mesh(plate, motif_slots[motif]))
        else:
            pieces.add("signage", "signage", _sign_mesh(plate, slots[plate.key]))
    primary, accent = site.branding.primary_colour, site.branding.accent_colour
    poster_png = poster(
        site.branding.short_name,
        [site.branding.tagline.get(lang, "") for lang in site.languages][:2],
        primary,
        accent,
        logo_image(site, POSTER_LOGO),
    )

    writer = GlbWriter(f"hubtwin world builder {BUILDER_VERSION}")
    images = {"signage": atlas_png, "poster": poster_png, "pictures": pictures_png}
    palette = with_site_colours(plan.materials, primary, accent)
    materials = ModelMaterials(writer, palette, images)
    roots: list[int] = []
    triangles = 0
    baked = _baked_meshes(plan, pieces, materials)
    for group in GROUPS:
        keys = sorted(k for k in baked if k[0] == group)
        if not keys:
            continue
        prims = [primitive(materials, key[1], *baked[key]) for key in keys]
        triangles += sum(len(p.indices) for p in prims)
        mesh = writer.add_mesh(group.capitalize(), prims)
        node: dict[str, Any] = {"name": group.capitalize(), "mesh": mesh}
        if group == "ceiling":
            node["extras"] = {cv.EXTRAS_KEY: {"type": cv.TYPE_CEILING}}
        roots.append(writer.add_node(node))
    if layout is not None:
        placed, shown = layout.add_nodes(writer)
        if placed is not None:
            roots.append(placed)
            triangles += shown

    venue_children = []
    venue_children.append(rooms_node(writer, plan))
    venue_children.append(spawns_node(writer, plan, spawns))
    anchor_node, screen_tris = anchors_node(writer, materials, plan, screens)
    triangles += screen_tris
    venue_children.append(anchor_node)
    venue_children.append(doors_node(writer, plan))
    venue_children.append(colliders_node(writer, pieces))
    positions, tris = walkable_mesh(rasters)
    walk_mesh = writer.add_mesh(
        "Walkable floor",
        [
            Primitive(
                positions,
                np.tile([0.0, 1.0, 0.0], (len(positions), 1)),
                tris,
                materials.get("walkable"),
            )
        ],
    )
    venue_children.append(
        writer.add_node(
            {
                "name": "Walkable floor",
                "mesh": walk_mesh,
                "extensions": {cv.NODE_VISIBILITY_EXT: {"visible": False}},
                "extras": {cv.EXTRAS_KEY: {"type": cv.TYPE_WALKABLE}},
            }
        )
    )
    venue = writer.add_node(
        {
            "name": "Venue",
            "children": venue_children,
            "extras": {
                cv.EXTRAS_KEY: {
                    "type": cv.TYPE_VENUE,
                    "format": cv.FORMAT_VERSION,
                    "site": site.id,
                    "name": plan.name,
                    "entrance": plan.entrance,
                    "avatar_radius": plan.settings.avatar_radius,
                    **_storeys(plan),
                }
            },
        }
    )
    roots.append(venue)
    writer.add_scene(site.branding.short_name, roots)
    walkable_area = sum(float((~np.isnan(r.heights)).sum()) * r.cell**2 for r in rasters)
    return BuiltModel(
        glb=writer.to_glb(),
        triangles=triangles,
        spawns=len(spawns),
        anchors=len(plan.anchors),
        colliders=len(pieces.colliders),
        walkable_area=walkable_area,
    )


def build_site(
    site: Site | Path | str | None, out: Path, *, force: bool = False, quiet: bool = False
) -> BuildReport:
    """Build the site's model into ``out`` unless it is already up to date.

    ``site`` is a loaded ``Site`` or a site folder (None: the Dortmund hub). ``quiet``
    keeps the build out of the log (the setup script calls this on every run).
    """
    started = time.perf_counter()
    site = site if isinstance(site, Site) else load_site(site)
    if not force and is_up_to_date(site, out):
        data = out.read_bytes()
        return BuildReport(
            out, False, hashlib.sha256(data).hexdigest(), len(data), time.perf_counter() - started
        )
    plan = load_building(site.building_file, site.languages)
    layout = staff_layout(site, plan)
    warnings = tuple(anchor_warnings(layout.plan))
    for warning in warnings:
        log.warning(warning)
    model = build_model(layout.plan, site, layout)
    digest = hashlib.sha256(model.glb).hexdigest()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        packed = out.with_name(out.name + ".gz")
        packed.unlink(missing_ok=True)  # never serve the old model's packed copy
        tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        tmp.write_bytes(model.glb)
        os.replace(tmp, out)
        tmp.write_bytes(gzip.compress(model.glb, compresslevel=6, mtime=0))
        os.replace(tmp, packed)
        write_record(site, out, digest)
    except OSError as exc:
        raise InputFileError(f"{out}: cannot write the model: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - started
    if not quiet:
        log.info(
            "world built",
            extra={
                "path": str(out),
                "bytes": len(model.glb),
                "triangles": model.triangles,
                "seconds": round(seconds, 2),
            },
        )
    return BuildReport(out, True, digest, len(model.glb), seconds, model, warnings)


def build_world(
    site: Site | Path | str | None, out: Path, *, quiet: bool = False, force: bool = False
) -> BuildReport:
    """The same as ``build_site`` (the name the server uses)."""
    return build_site(site, out, force=force, quiet=quiet)
