"""A library asset's thumbnail, drawn without a browser or GPU (numpy and Pillow).

An orthographic three-quarter view from front-right and above (the model's front looks
along +Z), flat-shaded by one soft light, triangles painted back to front. Each triangle's
colour is its material's base colour times the texture at the triangle's middle. Drawn at
twice the size and scaled down, on a transparent background.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw

from tools.model_geometry import Part, bounds
from world.gltf_reader import GltfDocument

SIZE = 256
SUPERSAMPLE = 2
VIEW_FROM = np.array([0.55, 0.5, 1.0])  # towards the camera: right, up, front
LIGHT_FROM = np.array([-0.3, 0.9, 0.6])
AMBIENT = 0.38
MAX_TRIANGLES = 60_000  # beyond this, every n-th triangle (a thumbnail needs no more)


def _unit(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return v / np.linalg.norm(v)


def _linear_to_srgb(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c = np.clip(c, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)


class _Materials:
    """Base colour (sRGB, 0..1) and decoded base colour texture of each material."""

    def __init__(self, doc: GltfDocument) -> None:
        self.doc = doc
        self.textures: dict[int, npt.NDArray[np.float64] | None] = {}

    def factor(self, material: int | None) -> npt.NDArray[np.float64]:
        if material is None:
            return np.array([0.8, 0.8, 0.8])
        pbr = self.doc.entry("materials", material).get("pbrMetallicRoughness", {})
        rgba = pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0])
        return _linear_to_srgb(np.asarray(rgba[:3], dtype=np.float64))

    def texture(self, material: int | None) -> npt.NDArray[np.float64] | None:
        if material is None:
            return None
        if material not in self.textures:
            self.textures[material] = self._load(material)
        return self.textures[material]

    def _load(self, material: int) -> npt.NDArray[np.float64] | None:
        pbr = self.doc.entry("materials", material).get("pbrMetallicRoughness", {})
        info = pbr.get("baseColorTexture")
        if not isinstance(info, dict):
            return None
        texture = self.doc.entry("textures", info.get("index"))
        source = texture.get("source")
        for ext in texture.get("extensions", {}).values():
            if isinstance(ext, dict) and isinstance(ext.get("source"), int):
                source = ext["source"]
        if not isinstance(source, int):
            return None
        image = self.doc.entry("images", source)
        view = self.doc.entry("bufferViews", image.get("bufferView"))
        start = view.get("byteOffset", 0)
        data = self.doc.buffers[view.get("buffer", 0)][start : start + view["byteLength"]]
        try:
            with Image.open(io.BytesIO(data)) as opened:
                rgb = opened.convert("RGB")
        except OSError:
            return None
        return np.asarray(rgb, dtype=np.float64) / 255.0


def _colours(parts: list[Part], materials: _Materials) -> npt.NDArray[np.float64]:
    out = []
    for part in parts:
        base = np.tile(materials.factor(part.material), (len(part.corners), 1))
        pixels = materials.texture(part.material)
        if pixels is not None and part.uvs is not None:
            uv = part.uvs.mean(axis=1) % 1.0
            h, w, _ = pixels.shape
            cols = np.clip((uv[:, 0] * w).astype(int), 0, w - 1)
            rows = np.clip((uv[:, 1] * h).astype(int), 0, h - 1)
            base = base * pixels[rows, cols]
        out.append(base)
    return np.concatenate(out)


def render_thumbnail(doc: GltfDocument, parts: list[Part], size: int = SIZE) -> bytes:
    """The thumbnail as PNG bytes."""
    canvas = size * SUPERSAMPLE
    image = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    if not parts:
        return _png(image, size)
    corners = np.concatenate([p.corners for p in parts])
    colours = _colours(parts, _Materials(doc))
    if len(corners) > MAX_TRIANGLES:
        step = len(corners) // MAX_TRIANGLES + 1
        corners, colours = corners[::step], colours[::step]
    low, high = bounds(parts)
    centre = (low + high) / 2
    towards_camera = _unit(VIEW_FROM)
    right = _unit(np.cross(np.array([0.0, 1.0, 0.0]), towards_camera))
    up = np.cross(towards_camera, right)
    rel = corners - centre
    sx, sy = rel @ right, rel @ up
    depth = (rel @ towards_camera).mean(axis=1)
    extent = max(float(np.ptp(sx)), float(np.ptp(sy)), 1e-6)
    scale = canvas * 0.86 / extent
    px = canvas / 2 + (sx - (sx.max() + sx.min()) / 2) * scale
    py = canvas / 2 - (sy - (sy.max() + sy.min()) / 2) * scale

    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, lengths, out=np.zeros_like(normals), where=lengths > 0)
    facing = np.sign(normals @ towards_camera)
    normals *= np.where(facing == 0, 1.0, facing)[:, None]  # show both sides lit
    light = np.clip(normals @ _unit(LIGHT_FROM), 0.0, 1.0)
    shade = AMBIENT + (1 - AMBIENT) * light
    rgb = np.clip(colours * shade[:, None], 0.0, 1.0)
    fill = (rgb * 255).round().astype(np.uint8)

    draw = ImageDraw.Draw(image)
    for i in np.argsort(depth, kind="stable"):  # far first
        points = [(float(px[i, k]), float(py[i, k])) for k in range(3)]
        colour = (int(fill[i, 0]), int(fill[i, 1]), int(fill[i, 2]), 255)
        draw.polygon(points, fill=colour, outline=colour)
    return _png(image, size)


def _png(image: Image.Image, size: int) -> bytes:
    out = io.BytesIO()
    image.resize((size, size), Image.Resampling.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()
