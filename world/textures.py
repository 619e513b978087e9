"""Procedural surface textures for the hub (planks, brick, decking, grass, paving, ...).

Each texture is drawn from a fixed random seed, so the same builder always writes the same
bytes. Sizes are powers of two; a texture repeats every ``tile`` metres (see materials.py).
Soft, photographic ones (wood, brick, stone, grass) go into the model as JPEG, the rest PNG.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFilter

Pixels = npt.NDArray[np.float64]


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(ord(c) * (i + 1) for i, c in enumerate(name)))


def _noise(rng: np.random.Generator, size: int, scale: int) -> Pixels:
    """Smooth value noise in 0..1, tiling seamlessly (upsampled random grid)."""
    coarse = rng.random((size // scale, size // scale))
    tiled = np.tile(coarse, (3, 3))
    image = Image.fromarray((tiled * 255).astype(np.uint8)).resize(
        (tiled.shape[1] * scale, tiled.shape[0] * scale), Image.Resampling.BICUBIC
    )
    arr = np.asarray(image, dtype=float) / 255.0
    return arr[size : 2 * size, size : 2 * size]


def _to_png(rgb: Pixels) -> bytes:
    data = np.clip(rgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(data, "RGB").save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _colour(hex_colour: str) -> Pixels:
    value = hex_colour.lstrip("#")
    return np.array([int(value[i : i + 2], 16) / 255.0 for i in (0, 2, 4)])


def planks(name: str, base: str, size: int = 512, boards: int = 8, lengths: int = 3) -> bytes:
    """Floor boards running along U with staggered joints, grain and colour variation."""
    rng = _rng(name)
    rgb = np.tile(_colour(base), (size, size, 1))
    board_h = size // boards
    grain = _noise(rng, size, 4) * 0.6 + _noise(rng, size, 32) * 0.4
    y, x = np.mgrid[0:size, 0:size]
    streaks = 0.5 + 0.5 * np.sin((y * 0.9 + grain * 18.0) * 1.7)
    shade = np.ones((size, size))
    board_len = size // lengths
    for row in range(boards):
        offset = int(rng.integers(0, board_len))
        rows = slice(row * board_h, (row + 1) * board_h)
        for piece in range(lengths + 1):
            tone = 0.86 + 0.22 * rng.random()
            start = (piece * board_len + offset) % size
            cols = (x[rows] - start) % size < board_len
            shade[rows] = np.where(cols, tone, shade[rows])
            shade[rows, start] = 0.55
        shade[row * board_h] = 0.6
    rgb = rgb * (shade * (0.9 + 0.1 * streaks))[..., None]
    return _to_png(rgb)


def brick(name: str, base: str, mortar: str, size: int = 512) -> bytes:
    """Running-bond brickwork: 8 courses tall, 4 bricks per course, warm tone variation."""
    rng = _rng(name)
    courses, per_course = 16, 4
    course_h = size // courses
    brick_w = size // per_course
    y, x = np.mgrid[0:size, 0:size]
    course = y // course_h
    shifted = (x + (course % 2) * (brick_w // 2)) % size
    index = course * per_course + shifted // brick_w
    tones = 0.78 + 0.3 * rng.random(courses * per_course + 1)
    hue = rng.random(courses * per_course + 1)
    rgb = np.tile(_colour(base), (size, size, 1)) * tones[index][..., None]
    rgb[..., 1] *= 0.95 + 0.1 * hue[index]
    rgb *= (0.9 + 0.2 * _noise(rng, size, 4))[..., None]
    joint = ((y % course_h) < 3) | ((shifted % brick_w) < 3)
    rgb = np.where(
        joint[..., None], _colour(mortar) * (0.9 + 0.1 * rng.random((size, size, 1))), rgb
    )
    return _to_png(rgb)


def speckle(
    name: str, base: str, chips: list[str], size: int = 512, density: float = 0.02
) -> bytes:
    """Terrazzo and carpet: a base tone with scattered chips of other colours."""
    rng = _rng(name)
    rgb = np.tile(_colour(base), (size, size, 1)) * (0.94 + 0.08 * _noise(rng, size, 16))[..., None]
    for chip in chips:
        mask = rng.random((size, size)) < density
        blurred = np.asarray(
            Image.fromarray((mask * 255).astype(np.uint8)).filter(ImageFilter.MaxFilter(3)),
            dtype=float,
        )
        rgb = np.where((blurred > 0)[..., None], _colour(chip), rgb)
    return _to_png(rgb)


def grass(name: str, base: str, size: int = 256) -> bytes:
    rng = _rng(name)
    tone = (
        0.75
        + 0.2 * _noise(rng, size, 32)
        + 0.15 * _noise(rng, size, 4)
        + 0.1 * rng.random((size, size))
    )
    rgb = np.tile(_colour(base), (size, size, 1)) * tone[..., None]
    rgb[..., 0] *= 0.92 + 0.16 * _noise(rng, size, 64)
    return _to_png(rgb)


def slabs(name: str, base: str, size: int = 256, count: int = 4) -> bytes:
    """Square concrete paving slabs with fine joints."""
    rng = _rng(name)
    y, x = np.mgrid[0:size, 0:size]
    cell = size // count
    index = (y // cell) * count + x // cell
    tones = 0.88 + 0.16 * rng.random(count * count)
    rgb = np.tile(_colour(base), (size, size, 1)) * tones[index][..., None]
    rgb *= (0.93 + 0.1 * _noise(rng, size, 8) + 0.04 * rng.random((size, size)))[..., None]
    joint = ((y % cell) < 2) | ((x % cell) < 2)
    rgb = np.where(joint[..., None], rgb * 0.7, rgb)
    return _to_png(rgb)


def fabric(name: str, base: str, size: int = 128) -> bytes:
    """A woven upholstery or carpet surface."""
    rng = _rng(name)
    y, x = np.mgrid[0:size, 0:size]
    weave = 0.94 + 0.06 * ((x // 2 + y // 2) % 2)
    rgb = (
        np.tile(_colour(base), (size, size, 1))
        * (weave * (0.92 + 0.12 * _noise(rng, size, 8)))[..., None]
    )
    return _to_png(rgb)


def leaves(name: str, base: str, size: int = 128) -> bytes:
    """Foliage: dappled greens for plants and tree crowns."""
    rng = _rng(name)
    tone = 0.6 + 0.35 * _noise(rng, size, 8) + 0.25 * rng.random((size, size))
    rgb = np.tile(_colour(base), (size, size, 1)) * tone[..., None]
    rgb[..., 1] *= 0.95 + 0.15 * _noise(rng, size, 16)
    return _to_png(rgb)


def plaster(name: str, size: int = 256) -> bytes:
    """Near-white trowelled plaster: soft clouds and fine grain, multiplied into a wall colour."""
    rng = _rng(name)
    tone = (
        0.95
        + 0.03 * _noise(rng, size, 32)
        + 0.015 * _noise(rng, size, 4)
        + 0.01 * rng.random((size, size))
    )
    return _to_png(np.repeat(np.clip(tone, 0, 1)[..., None], 3, axis=2))


def ceiling_tiles(name: str, base: str, size: int = 256, tiles: int = 2) -> bytes:
    """Acoustic ceiling tiles: a fine perforated surface in a grid of slim grey joints."""
    rng = _rng(name)
    y, x = np.mgrid[0:size, 0:size]
    cell = size // tiles
    tone = 0.95 + 0.04 * _noise(rng, size, 16) + 0.03 * rng.random((size, size))
    holes = ((x % 6) == 3) & ((y % 6) == 3)
    tone = np.where(holes, tone * 0.86, tone)
    joint = ((x % cell) < 2) | ((y % cell) < 2)
    tone = np.where(joint, 0.72, tone)
    return _to_png(np.tile(_colour(base), (size, size, 1)) * tone[..., None])


TextureMaker = Callable[[], bytes]

# Textures without sharp edges or text travel as JPEG: a fifth of the PNG's bytes, and the
# surface looks the same (signs, posters and pictures stay PNG).
JPEG_TEXTURES = frozenset({"oak", "decking", "brick", "terrazzo", "grass", "paving"})
JPEG_QUALITY = 88


@functools.cache
def texture_png(name: str) -> bytes:
    """One texture's PNG bytes, drawn once per process (drawing is deterministic)."""
    return catalogue()[name]()


@functools.cache
def texture_image(name: str) -> tuple[bytes, str]:
    """One texture as it goes into the model: its bytes and mime type (PNG or JPEG)."""
    png = texture_png(name)
    if name not in JPEG_TEXTURES:
        return png, "image/png"
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").save(
        buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True
    )
    return buffer.getvalue(), "image/jpeg"


def catalogue() -> dict[str, TextureMaker]:
    """Every procedural texture by name (materials refer to them by this name)."""
    return {
        "oak": lambda: planks("oak", "#c49a6c"),
        "decking": lambda: planks("decking", "#8d6e55", boards=8, lengths=2),
        "brick": lambda: brick("brick", "#9c4a32", "#c9bfb1"),
        "terrazzo": lambda: speckle(
            "terrazzo", "#ebe7df", ["#cfc7ba", "#a9b3ad", "#d9b89c"], density=0.006
        ),
        "carpet-blue": lambda: speckle(
            "carpet-blue", "#3f4f63", ["#4a5d75", "#36455a"], size=256, density=0.2
        ),
        "carpet-sage": lambda: speckle(
            "carpet-sage", "#7f9a82", ["#8ca68e", "#6f8972"], size=256, density=0.2
        ),
        "lino": lambda: speckle("lino", "#c3d0c5", ["#b5c2b7", "#d3ddd4"], size=256, density=0.05),
        "grass": lambda: grass("grass", "#6f9a4a"),
        "paving": lambda: slabs("paving", "#b8b3aa"),
        "felt-green": lambda: fabric("felt-green", "#4f8a5b"),
        "felt-grey": lambda: fabric("felt-grey", "#8a8d91"),
        "felt-ochre": lambda: fabric("felt-ochre", "#d49a2a"),
        "leaves": lambda: leaves("leaves", "#4e8a3c"),
        "plaster": lambda: plaster("plaster"),
        "ceiling-tiles": lambda: ceiling_tiles("ceiling-tiles", "#f2f1ec"),
    }
