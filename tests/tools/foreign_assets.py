"""Models "we did not make", written the way other tools write them, for the import tests.

``cabinet_glb`` is raw pygltflib: a 120 x 50 x 80 cm cabinet drawn in centimetres with Z up
(as CAD exports do), its corner far from the origin, a 300 x 150 PNG texture (not a power of
two), a parent node with its own offset, and an empty "handle" anchor node carrying an OMI
extension and extras at the middle of the cabinet's top. Others come from trimesh.
"""

from __future__ import annotations

import base64
import io
import json
import struct
from pathlib import Path

import numpy as np
import pygltflib
import trimesh
from PIL import Image

# source units: centimetres, Z up; the cabinet spans x 200..320, y 300..350, z 10..90
CABINET_MIN = np.array([200.0, 300.0, 10.0])
CABINET_SIZE = np.array([120.0, 50.0, 80.0])
PARENT_OFFSET = np.array([0.0, 0.0, 5.0])
# after import: metres, Y up
CABINET_SIZE_M = (1.2, 0.8, 0.5)  # width (x), height (y), depth (z)


def _box(size: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A hard-edged box from the origin to ``size``: positions, normals, uvs, indices."""
    faces = []
    for axis in range(3):
        for side in (0.0, 1.0):
            normal = np.zeros(3)
            normal[axis] = 1.0 if side else -1.0
            u, v = [a for a in range(3) if a != axis]
            corners = []
            for cu, cv in ((0, 0), (1, 0), (1, 1), (0, 1)):
                p = np.zeros(3)
                p[axis] = side * size[axis]
                p[u], p[v] = cu * size[u], cv * size[v]
                corners.append(p)
            faces.append((np.array(corners), normal))
    positions, normals, uvs, indices = [], [], [], []
    for k, (quad, normal) in enumerate(faces):
        positions.append(quad)
        normals.append(np.tile(normal, (4, 1)))
        uvs.append(np.array([[0, 1], [1, 1], [1, 0], [0, 0]], dtype=float))
        a, b, c, d = (4 * k + i for i in range(4))
        # keep triangles counter-clockwise seen from outside
        first = np.cross(quad[1] - quad[0], quad[2] - quad[0]) @ normal > 0
        indices += [a, b, c, a, c, d] if first else [a, c, b, a, d, c]
    return (
        np.concatenate(positions).astype(np.float32),
        np.concatenate(normals).astype(np.float32),
        np.concatenate(uvs).astype(np.float32),
        np.array(indices, dtype=np.uint16),
    )


def texture_png(width: int = 300, height: int = 150) -> bytes:
    """Wood-ish stripes: colourful enough for a thumbnail to show."""
    x = np.arange(width)[None, :]
    y = np.arange(height)[:, None]
    stripes = (np.sin(x / 7.0 + y / 40.0) * 0.5 + 0.5)[..., None]
    rgb = (np.array([150, 95, 45]) * (0.7 + 0.3 * stripes)).astype(np.uint8)
    rgb = np.broadcast_to(rgb, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(out, "PNG")
    return out.getvalue()


def cabinet_glb(path: Path) -> Path:
    positions, normals, uvs, indices = _box(CABINET_SIZE)
    png = texture_png()
    chunks = [indices.tobytes(), positions.tobytes(), normals.tobytes(), uvs.tobytes(), png]
    blob = b""
    views = []
    for data, target in zip(chunks, (34963, 34962, 34962, 34962, None), strict=True):
        blob += b"\0" * (-len(blob) % 4)
        view = pygltflib.BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data))
        if target is not None:
            view.target = target
        views.append(view)
        blob += data
    gltf = pygltflib.GLTF2(
        asset=pygltflib.Asset(version="2.0", generator="a CAD exporter"),
        scene=0,
        scenes=[pygltflib.Scene(nodes=[0])],
        nodes=[
            pygltflib.Node(
                name="Cabinet group", translation=PARENT_OFFSET.tolist(), children=[1, 2]
            ),
            pygltflib.Node(
                name="Cabinet body", mesh=0, translation=(CABINET_MIN - PARENT_OFFSET).tolist()
            ),
            pygltflib.Node(
                name="handle",
                translation=(
                    CABINET_MIN + CABINET_SIZE * np.array([0.5, 0.5, 1.0]) - PARENT_OFFSET
                ).tolist(),
                extensions={"OMI_link": {"uri": "https://example.org/cabinet", "title": "Cabinet"}},
                extras={"role": "handle"},
            ),
        ],
        meshes=[
            pygltflib.Mesh(
                name="body",
                primitives=[
                    pygltflib.Primitive(
                        attributes=pygltflib.Attributes(POSITION=1, NORMAL=2, TEXCOORD_0=3),
                        indices=0,
                        material=0,
                    )
                ],
            )
        ],
        materials=[
            pygltflib.Material(
                name="oak",
                pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                    baseColorTexture=pygltflib.TextureInfo(index=0),
                    metallicFactor=0.0,
                    roughnessFactor=0.7,
                ),
            )
        ],
        textures=[pygltflib.Texture(source=0, sampler=0)],
        samplers=[pygltflib.Sampler()],
        images=[pygltflib.Image(bufferView=4, mimeType="image/png")],
        accessors=[
            pygltflib.Accessor(bufferView=0, componentType=5123, count=len(indices), type="SCALAR"),
            pygltflib.Accessor(
                bufferView=1,
                componentType=5126,
                count=len(positions),
                type="VEC3",
                min=positions.min(axis=0).tolist(),
                max=positions.max(axis=0).tolist(),
            ),
            pygltflib.Accessor(bufferView=2, componentType=5126, count=len(normals), type="VEC3"),
            pygltflib.Accessor(bufferView=3, componentType=5126, count=len(uvs), type="VEC2"),
        ],
        bufferViews=views,
        buffers=[pygltflib.Buffer(byteLength=len(blob))],
        extensionsUsed=["OMI_link"],
    )
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(path))
    return path


def crate_obj_inches(path: Path) -> Path:
    """A 24 x 36 x 18 inch crate (Y up) as OBJ, corner at the origin."""
    box = trimesh.creation.box((24.0, 36.0, 18.0))
    box.apply_translation((12.0, 18.0, 9.0))
    box.export(path)
    return path


def post_stl_mm(path: Path) -> Path:
    """A bollard: 300 mm across, 900 mm tall along Z, as binary STL."""
    post = trimesh.creation.cylinder(radius=150.0, height=900.0, sections=24)
    post.apply_translation((0.0, 0.0, 450.0))
    post.export(path)
    return path


def dense_ball_stl(path: Path, subdivisions: int = 6) -> Path:
    """An icosphere of 1 m with 20 * 4**subdivisions triangles (81,920 at 6): over budget."""
    trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.5).export(path)
    return path


def two_colour_glb(path: Path) -> Path:
    """Two boxes with two different materials (trimesh), in metres, Y up."""
    scene = trimesh.Scene()
    for k, colour in enumerate(([200, 40, 40, 255], [40, 40, 200, 255])):
        box = trimesh.creation.box((0.5, 0.5, 0.5))
        box.apply_translation((k * 0.6, 0.25, 0.0))
        box.visual = trimesh.visual.TextureVisuals(
            material=trimesh.visual.material.PBRMaterial(baseColorFactor=colour, metallicFactor=0.0)
        )
        scene.add_geometry(box, geom_name=f"box{k}")
    path.write_bytes(scene.export(file_type="glb", include_normals=True))
    return path


def gltf_beside(model: Path, folder: Path) -> Path:
    """``model`` exported again as ``folder/model.gltf``, its buffers as .bin files beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    scene = trimesh.load(model, force="scene")
    for name, data in scene.export(file_type="gltf").items():
        (folder / name).write_bytes(data)
    return folder / "model.gltf"


def gltf_naming(
    gltf: Path, target: Path, *, buffer: str | None = None, image: str | None = None
) -> Path:
    """A copy of ``gltf`` at ``target`` whose first buffer (or an image) has another URI."""
    document = json.loads(gltf.read_text(encoding="utf-8"))
    if buffer is not None:
        document["buffers"][0]["uri"] = buffer
    if image is not None:
        document["images"] = [{"uri": image}]
        document.setdefault("textures", [{"source": 0}])
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


def gltf_embedded(gltf: Path, target: Path) -> Path:
    """A copy of ``gltf`` with every buffer as a data: URI (nothing beside it needed)."""
    document = json.loads(gltf.read_text(encoding="utf-8"))
    for entry in document["buffers"]:
        data = (gltf.parent / entry["uri"]).read_bytes()
        entry["uri"] = "data:application/octet-stream;base64," + base64.b64encode(data).decode()
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


def cut_short(source: Path, target: Path, share: float) -> Path:
    """The first ``share`` of ``source``'s bytes, as a copy broken off in transfer."""
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * share)])
    return target


def glb_cut_inside(source: Path, target: Path) -> Path:
    """A GLB whose binary chunk lost its second half, every length rewritten to match.

    The container is consistent, so only the accessors show that data is missing.
    """
    data = source.read_bytes()
    (json_length,) = struct.unpack_from("<I", data, 12)
    document = json.loads(data[20 : 20 + json_length])
    (bin_length,) = struct.unpack_from("<I", data, 20 + json_length)
    kept = bin_length // 2 // 4 * 4
    document["buffers"][0]["byteLength"] = kept
    json_chunk = json.dumps(document).encode()
    json_chunk += b" " * (-len(json_chunk) % 4)
    bin_chunk = data[28 + json_length : 28 + json_length + kept]
    body = struct.pack("<I4s", len(json_chunk), b"JSON") + json_chunk
    body += struct.pack("<I4s", kept, b"BIN\x00") + bin_chunk
    target.write_bytes(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)
    return target


README = "Sofa grau\n=========\n\nThe designer's notes about the sofa.\nSee the PDF for sizes.\n"


def flat_ball_glb(path: Path, subdivisions: int = 6) -> Path:
    """An icosphere of 1 m drawn flat-shaded, as many exporters write it: every triangle with
    corners of its own (20 * 4**subdivisions triangles, none sharing a vertex)."""
    ball = trimesh.creation.icosphere(subdivisions=subdivisions, radius=0.5)
    ball.unmerge_vertices()
    path.write_bytes(trimesh.Scene(ball).export(file_type="glb", include_normals=True))
    return path


def without_normals_glb(path: Path, mesh: trimesh.Trimesh) -> Path:
    """``mesh`` as a GLB without a NORMAL attribute (some CAD exporters leave them out)."""
    path.write_bytes(trimesh.Scene(mesh).export(file_type="glb", include_normals=False))
    return path
