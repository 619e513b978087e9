"""Ceilings, light fittings and baked light in the built hub, read back with pygltflib."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pygltflib
import pytest

from world import conventions as cv
from world.baked_light import Occluders, shade, subdivide
from world.building import BuildingPlan, load_building
from world.geometry import box, quad
from world.model import World
from world.site import load_site

WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}
COMPONENT = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}


@pytest.fixture(scope="module")
def gltf(hub_path: Path) -> pygltflib.GLTF2:
    return pygltflib.GLTF2.load(str(hub_path))


@pytest.fixture(scope="module")
def plan() -> BuildingPlan:
    site = load_site(None)
    return load_building(site.building_file, site.languages)


def _read(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    data = np.frombuffer(
        gltf.binary_blob(),
        dtype=COMPONENT[acc.componentType],
        count=acc.count * WIDTH[acc.type],
        offset=start,
    ).reshape(acc.count, WIDTH[acc.type])
    return data.astype(np.float64) / 255.0 if acc.normalized else data.astype(np.float64)


def _primitives(gltf: pygltflib.GLTF2, node_name: str, material: str) -> list[dict]:
    """Positions, normals, triangles and COLOR_0 of one material in one of the merged nodes."""
    node = next(n for n in gltf.nodes if n.name == node_name)
    out = []
    for prim in gltf.meshes[node.mesh].primitives:
        if gltf.materials[prim.material].name != material:
            continue
        attrs = prim.attributes
        out.append(
            {
                "positions": _read(gltf, attrs.POSITION),
                "normals": _read(gltf, attrs.NORMAL),
                "triangles": _read(gltf, prim.indices).astype(np.int64).reshape(-1, 3),
                "shade": _read(gltf, attrs.COLOR_0)[:, 0] if attrs.COLOR_0 is not None else None,
            }
        )
    return out


def _covers(prim: dict, x: float, z: float) -> list[float]:
    """Heights at which the primitive's triangles lie over the point (x, z)."""
    tri = prim["positions"][prim["triangles"]]
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]

    def side(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return (q[:, 0] - p[:, 0]) * (z - p[:, 2]) - (q[:, 2] - p[:, 2]) * (x - p[:, 0])

    s1, s2, s3 = side(a, b), side(b, c), side(c, a)
    inside = ((s1 >= 0) & (s2 >= 0) & (s3 >= 0)) | ((s1 <= 0) & (s2 <= 0) & (s3 <= 0))
    return [float(v) for v in tri[inside][:, :, 1].mean(axis=1)]


def test_indoor_rooms_have_a_ceiling_and_outdoor_rooms_open_sky(
    gltf: pygltflib.GLTF2, plan: BuildingPlan
) -> None:
    ceiling_nodes = [
        n
        for n in gltf.nodes
        if isinstance(n.extras, dict)
        and n.extras.get(cv.EXTRAS_KEY, {}).get("type") == cv.TYPE_CEILING
    ]
    assert [n.name for n in ceiling_nodes] == ["Ceiling"]
    (ceiling,) = _primitives(gltf, "Ceiling", "ceiling")
    assert np.allclose(ceiling["normals"], [0.0, -1.0, 0.0]), "ceilings face down only"
    tri = ceiling["positions"][ceiling["triangles"]]
    winding = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    assert (winding[:, 1] < 0).all(), "ceiling triangles are wound to face down"
    material = next(m for m in gltf.materials if m.name == "ceiling")
    assert not material.doubleSided
    indoor = [r for r in plan.rooms if not r.outdoor]
    outdoor = [r for r in plan.rooms if r.outdoor]
    assert indoor and outdoor
    for room in indoor:
        for fx, fz in ((0.5, 0.5), (0.1, 0.1), (0.9, 0.9), (0.1, 0.9)):
            x, z = room.x0 + fx * (room.x1 - room.x0), room.z0 + fz * (room.z1 - room.z0)
            heights = _covers(ceiling, x, z)
            assert heights, f"no ceiling over {room.id} at ({x:.1f}, {z:.1f})"
            assert max(heights) == pytest.approx(room.elevation + room.height, abs=1e-3)
    for room in outdoor:
        x, z = room.centre
        assert not _covers(ceiling, x, z), f"the outdoor room {room.id} has a ceiling"


def test_every_indoor_room_has_light_fittings(gltf: pygltflib.GLTF2, plan: BuildingPlan) -> None:
    (panels,) = _primitives(gltf, "Ceiling", "light-panel")
    material = next(m for m in gltf.materials if m.name == "light-panel")
    assert sum(material.emissiveFactor) > 2.4, "fittings glow (warm white)"
    assert panels["shade"] is None, "a lamp is not darkened by baked light"
    centres = panels["positions"][panels["triangles"]].mean(axis=1)
    for room in plan.rooms:
        inside = (
            (centres[:, 0] > room.x0)
            & (centres[:, 0] < room.x1)
            & (centres[:, 2] > room.z0)
            & (centres[:, 2] < room.z1)
        )
        if room.outdoor:
            assert not inside.any()
        else:
            assert inside.sum() >= 2 * 2, f"{room.id} has too few fittings"
            top = room.elevation + room.height
            assert np.all(np.abs(centres[inside][:, 1] - (top - 0.04)) < 1e-3)


def test_ceilings_take_no_part_in_movement(hub: World, plan: BuildingPlan) -> None:
    """The server's floor and colliders are those of a model without ceilings."""
    for room in plan.rooms:
        x, z = room.centre
        if room.outdoor:
            continue
        found = hub.room_at(np.array([[x, room.elevation + 1.0, z]]))[0]
        assert hub.rooms[int(found)].id == room.id
        spawns = np.array([s.position for s in hub.spawns_for(room.id)], dtype=np.float64)
        assert hub.is_walkable(spawns).all()
        heights = hub.floor_height(spawns)
        assert np.all(heights < room.elevation + 0.5), f"{room.id}: a ceiling read as floor"
        ahead = spawns + np.array([0.3, 0.0, 0.0])
        moved = hub.clamp_step(spawns, ahead)
        assert np.all(moved[:, 1] < room.elevation + 0.5)


def test_baked_light_darkens_corners_more_than_the_middle(
    gltf: pygltflib.GLTF2, plan: BuildingPlan
) -> None:
    by_material: dict[str, list[dict]] = {}
    for room in plan.rooms:
        if room.floor_material not in by_material:
            by_material[room.floor_material] = _primitives(
                gltf, "Architecture", room.floor_material
            )
    checked = 0
    for room in plan.rooms:
        if room.outdoor:
            continue
        (floor,) = by_material[room.floor_material]
        assert floor["shade"] is not None
        p, s = floor["positions"], floor["shade"]
        on = (
            (np.abs(p[:, 1] - room.elevation) < 1e-3)
            & (p[:, 0] >= room.x0 + 0.1)
            & (p[:, 0] <= room.x1 - 0.1)
            & (p[:, 2] >= room.z0 + 0.1)
            & (p[:, 2] <= room.z1 - 0.1)
        )
        near_x = np.minimum(p[:, 0] - room.x0, room.x1 - p[:, 0]) < 0.8
        near_z = np.minimum(p[:, 2] - room.z0, room.z1 - p[:, 2]) < 0.8
        corners = s[on & near_x & near_z]
        open_floor = s[on & ~near_x & ~near_z]
        assert len(corners) >= 4 and len(open_floor) > 20, room.id
        assert corners.mean() < np.median(open_floor) - 0.08, (
            f"{room.id}: corners {corners.mean():.2f}, middle {np.median(open_floor):.2f}"
        )
        assert s[on].min() > 0.15 and s[on].max() <= 1.0
        checked += 1
    assert checked == 6


def test_the_sun_casts_baked_shadows_on_the_lawn(gltf: pygltflib.GLTF2) -> None:
    (lawn,) = _primitives(gltf, "Landscape", "grass")
    up = lawn["normals"][:, 1] > 0.9
    light = lawn["shade"][up]
    assert (light > 0.95).mean() > 0.5, "most of the lawn lies in the open sun"
    assert (light < 0.7).mean() > 0.02, "trees and the building cast shadows"


def test_unlit_and_glass_surfaces_carry_no_baked_light(gltf: pygltflib.GLTF2) -> None:
    unlit = {"signage", "poster", "glass", "walkable"}
    for mesh in gltf.meshes:
        for prim in mesh.primitives:
            if gltf.materials[prim.material].name in unlit:
                assert prim.attributes.COLOR_0 is None, mesh.name


def test_subdividing_keeps_the_surface() -> None:
    wall = box((6.0, 3.0, 0.2), (0.0, 1.5, 0.0))
    finer = subdivide(wall, 0.5)
    assert len(finer.triangles) > len(wall.triangles) * 20

    def area(mesh: object) -> float:
        tri = mesh.positions[mesh.triangles]  # type: ignore[attr-defined]
        return float(
            np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1).sum() / 2
        )

    assert area(finer) == pytest.approx(area(wall))
    tri = finer.positions[finer.triangles]
    broad_faces = np.abs(finer.normals[finer.triangles[:, 0], 2]) > 0.9  # the 6 m x 3 m sides
    edges = np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2)[broad_faces]
    assert edges.max() <= 0.5 + 1e-9
    assert np.allclose(np.linalg.norm(finer.normals, axis=1), 1.0)
    # a narrow strip is not cut into a grid
    strip = quad(18.0, 0.04)
    assert len(subdivide(strip, 0.5).triangles) == 2


def test_occlusion_in_a_box_room() -> None:
    """A floor in a closed 4 m box: darker at the walls than in the middle; open sky: 1."""
    floor = subdivide(box((8.0, 0.1, 8.0), (0.0, -0.05, 0.0), skip=("-y",)), 0.5)
    walls = [
        box((8.0, 3.0, 0.2), (0.0, 1.5, -4.1)),
        box((8.0, 3.0, 0.2), (0.0, 1.5, 4.1)),
        box((0.2, 3.0, 8.0), (-4.1, 1.5, 0.0)),
        box((0.2, 3.0, 8.0), (4.1, 1.5, 0.0)),
    ]
    occluders = Occluders.from_meshes([floor, *walls], base=0.0)
    points = np.array([[0.0, 0.0, 0.0], [3.9, 0.0, 3.9], [3.0, 0.0, 0.0]])
    up = np.tile([0.0, 1.0, 0.0], (3, 1))
    indoors = lambda pts: np.ones(len(pts), dtype=bool)  # noqa: E731
    middle, corner, between = shade(occluders, points, up, indoors)
    assert middle == pytest.approx(1.0, abs=0.02)
    assert corner < between < middle
    assert corner < 0.75
    open_ground = Occluders.from_meshes([], base=0.0)
    outside = lambda pts: np.zeros(len(pts), dtype=bool)  # noqa: E731
    assert shade(open_ground, points, up, outside) == pytest.approx([1.0, 1.0, 1.0])


def test_a_gzipped_copy_lies_beside_the_model(hub_path: Path) -> None:
    """The HTTP server sends hub.glb.gz to browsers that accept gzip: it must be the model."""
    packed = hub_path.with_name(hub_path.name + ".gz")
    data = hub_path.read_bytes()
    assert gzip.decompress(packed.read_bytes()) == data
    assert packed.stat().st_size < 0.7 * len(data)
