"""The builder: what hub.glb contains, read back with pygltflib (not our own reader)."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pygltflib
import pytest
from PIL import Image

from world import conventions as cv
from world.builder import BuildReport, build_model, build_site
from world.building import load_building
from world.geometry import Mesh, box, cylinder, quad, sphere, wedge
from world.site import load_site
from world.textures import JPEG_TEXTURES

METALS = {"steel", "steel-dark", "frame", "solar-cell", "planter-corten"}
COMPONENT = {5126: np.float32, 5125: np.uint32, 5123: np.uint16, 5121: np.uint8}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}


@pytest.fixture(scope="module")
def gltf(hub_path: Path) -> pygltflib.GLTF2:
    return pygltflib.GLTF2.load(str(hub_path))


def _accessor(gltf: pygltflib.GLTF2, index: int) -> np.ndarray:
    acc = gltf.accessors[index]
    view = gltf.bufferViews[acc.bufferView]
    blob = gltf.binary_blob()
    dtype = COMPONENT[acc.componentType]
    start = (view.byteOffset or 0) + (acc.byteOffset or 0)
    return np.frombuffer(
        blob, dtype=dtype, count=acc.count * WIDTH[acc.type], offset=start
    ).reshape(acc.count, WIDTH[acc.type])


def _venue_nodes(gltf: pygltflib.GLTF2, kind: str) -> list[pygltflib.Node]:
    return [
        n
        for n in gltf.nodes
        if isinstance(n.extras, dict) and n.extras.get(cv.EXTRAS_KEY, {}).get("type") == kind
    ]


def test_build_is_lean(hub_build: BuildReport) -> None:
    """Within the budgets (its speed is measured by `hubtwin world build`, not asserted)."""
    assert hub_build.built and hub_build.model is not None
    model = hub_build.model
    assert hub_build.size < 10 * 1024 * 1024
    assert 20_000 < model.triangles < 150_000
    assert hub_build.path.read_bytes()[:4] == b"glTF"
    assert model.walkable_area > 800


def test_every_vertex_attribute_is_well_formed(gltf: pygltflib.GLTF2) -> None:
    positions = 0
    for mesh in gltf.meshes:
        for prim in mesh.primitives:
            pos = gltf.accessors[prim.attributes.POSITION]
            assert pos.min is not None and pos.max is not None, mesh.name
            data = _accessor(gltf, prim.attributes.POSITION)
            assert np.allclose(data.min(axis=0), pos.min, atol=1e-4)
            assert np.allclose(data.max(axis=0), pos.max, atol=1e-4)
            normals = _accessor(gltf, prim.attributes.NORMAL)
            assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-3), mesh.name
            positions += len(data)
    assert positions > 20_000
    for index, view in enumerate(gltf.bufferViews):
        is_image = any(img.bufferView == index for img in gltf.images)
        assert is_image or view.target in (34962, 34963), f"bufferView {index} has no target"


def test_materials_are_pbr_with_metal_only_where_metal(gltf: pygltflib.GLTF2) -> None:
    names = {m.name for m in gltf.materials}
    assert {"brick", "oak", "glass", "signage", "poster", "leaves"} <= names
    for material in gltf.materials:
        pbr = material.pbrMetallicRoughness
        assert pbr is not None
        if material.name not in METALS:
            assert pbr.metallicFactor == 0, material.name
        assert 0 <= pbr.roughnessFactor <= 1
    by_name = {m.name: m for m in gltf.materials}
    assert cv.UNLIT_EXT in by_name["signage"].extensions
    assert cv.UNLIT_EXT in by_name["poster"].extensions
    assert by_name["glass"].alphaMode == "BLEND"


def test_textures_are_power_of_two_pngs_or_jpegs(gltf: pygltflib.GLTF2) -> None:
    blob = gltf.binary_blob()
    assert len(gltf.images) >= 8
    for image in gltf.images:
        view = gltf.bufferViews[image.bufferView]
        data = blob[view.byteOffset : view.byteOffset + view.byteLength]
        width, height = Image.open(io.BytesIO(data)).size
        expected = "image/jpeg" if image.name in JPEG_TEXTURES else "image/png"
        assert image.mimeType == expected, image.name
        assert Image.open(io.BytesIO(data)).format == expected.split("/")[1].upper()
        assert width & (width - 1) == 0 and height & (height - 1) == 0, image.name


def test_primitives_have_hard_edges_and_outward_faces() -> None:
    cube = box((1.0, 2.0, 3.0))
    assert len(cube.positions) == 24, "box faces must not share vertices"
    assert set(map(tuple, np.abs(cube.normals).astype(int))) == {(1, 0, 0), (0, 1, 0), (0, 0, 1)}
    shapes: list[Mesh] = [
        cube,
        cylinder(0.5, 1.0, 12),
        sphere(1.0, (0, 0, 0)),
        quad(2.0, 1.0),
        wedge(3.0, 1.2, 0.45),
    ]
    for mesh in shapes:
        p = mesh.positions[mesh.triangles]
        face_normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
        vertex_normal = mesh.normals[mesh.triangles].mean(axis=1)
        assert (np.einsum("ij,ij->i", face_normal, vertex_normal) > 0).all()


def test_venue_metadata_is_in_the_file(gltf: pygltflib.GLTF2) -> None:
    rooms = {
        n.extras[cv.EXTRAS_KEY]["id"]: n.extras[cv.EXTRAS_KEY] for n in _venue_nodes(gltf, "room")
    }
    assert set(rooms) == {
        "foyer",
        "lab",
        "workshop",
        "auditorium",
        "consulting",
        "lounge",
        "terrace",
    }
    assert rooms["lab"]["names"] == {
        "de": "Lern- und Experimentierlabor",
        "en": "Learning and experiment lab",
    }
    assert rooms["auditorium"]["capacity"] == 80 and rooms["auditorium"]["moderated"] is True
    assert rooms["terrace"]["outdoor"] is True
    spawns = [n for n in gltf.nodes if n.extensions and cv.SPAWN_POINT_EXT in n.extensions]
    assert len(spawns) == len(_venue_nodes(gltf, "spawn")) >= 6 * len(rooms)
    walkable = _venue_nodes(gltf, "walkable")
    assert len(walkable) == 1
    assert walkable[0].extensions[cv.NODE_VISIBILITY_EXT] == {"visible": False}
    assert walkable[0].mesh is not None
    shapes = gltf.extensions[cv.PHYSICS_SHAPE_EXT]["shapes"]
    colliders = [n for n in gltf.nodes if n.extensions and cv.PHYSICS_BODY_EXT in n.extensions]
    assert len(colliders) > 100
    assert all(
        0 <= n.extensions[cv.PHYSICS_BODY_EXT]["collider"]["shape"] < len(shapes) for n in colliders
    )
    assert {s["type"] for s in shapes} == {"box"}
    assert set(gltf.extensionsUsed) >= {
        cv.SPAWN_POINT_EXT,
        cv.PHYSICS_BODY_EXT,
        cv.PHYSICS_SHAPE_EXT,
    }
    screens = [
        n for n in _venue_nodes(gltf, "anchor") if n.extras[cv.EXTRAS_KEY]["kind"] == "screen"
    ]
    assert all(n.mesh is not None for n in screens), "a screen carries its own mesh"
    poster = next(i for i, m in enumerate(gltf.materials) if m.name == "poster")
    for node in screens:
        assert poster in {p.material for p in gltf.meshes[node.mesh].primitives}


def test_the_same_description_gives_the_same_bytes(hub_build: BuildReport) -> None:
    site = load_site(None)
    again = build_model(load_building(site.building_file, site.languages), site)
    assert again.glb == hub_build.path.read_bytes()


def test_build_is_incremental(tiny_site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "hub.glb"
    first = build_site(tiny_site, out)
    assert first.built
    second = build_site(tiny_site, out)
    assert not second.built and second.sha256 == first.sha256
    assert second.seconds < 1.0, "an up-to-date model is only checked, not rebuilt"
    building = tiny_site / "building.toml"
    text = building.read_text(encoding="utf-8")
    building.write_text(text.replace("capacity = 10", "capacity = 12"), encoding="utf-8")
    third = build_site(tiny_site, out)
    assert third.built and third.sha256 != first.sha256
    # someone replaced the model by hand: it no longer matches the record, so rebuild
    out.write_bytes(b"glTF" + struct.pack("<II", 2, 12))
    assert build_site(tiny_site, out).built
    assert build_site(tiny_site, out, force=True).built
    assert not build_site(tiny_site, out).built
