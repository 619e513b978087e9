"""Framed pictures for the walls, drawn procedurally: the Ruhr with a headframe and wind
turbines, a solar field, a beech forest by a lake, a falling CO2 chart.

All motifs share one 1024x1024 atlas (four 512x512 slots); ``MOTIFS`` lists their names.
"""

from __future__ import annotations

import functools
import io
import math

import numpy as np
from PIL import Image, ImageDraw

from world.signage import AtlasSlot

SLOT = 512
MOTIFS = ("ruhr", "solar", "forest", "chart")


def _sky(
    draw: ImageDraw.ImageDraw, top: tuple[int, int, int], bottom: tuple[int, int, int], height: int
) -> None:
    for y in range(height):
        t = y / max(height - 1, 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line((0, y, SLOT, y), fill=colour)


def _hills(
    draw: ImageDraw.ImageDraw, base: int, amplitude: float, phase: float, colour: str
) -> None:
    points: list[tuple[float, float]] = [(0.0, float(SLOT))]
    for x in range(0, SLOT + 16, 16):
        points.append(
            (x, base - amplitude * math.sin(x / 90 + phase) - amplitude * 0.4 * math.sin(x / 37))
        )
    points.append((float(SLOT), float(SLOT)))
    draw.polygon(points, fill=colour)


def _turbine(draw: ImageDraw.ImageDraw, x: float, y: float, size: float, angle: float) -> None:
    draw.line((x, y, x, y + size), fill="#f4f4f2", width=max(2, int(size / 30)))
    for k in range(3):
        a = math.radians(angle + k * 120)
        draw.line(
            (x, y, x + math.cos(a) * size * 0.45, y + math.sin(a) * size * 0.45),
            fill="#f4f4f2",
            width=max(2, int(size / 40)),
        )


def ruhr() -> Image.Image:
    image = Image.new("RGB", (SLOT, SLOT))
    draw = ImageDraw.Draw(image)
    _sky(draw, (120, 170, 214), (246, 214, 170), 360)
    draw.ellipse((360, 90, 430, 160), fill="#fbe7a1")
    _hills(draw, 330, 18, 0.5, "#7fa35a")
    # the headframe (Förderturm) of a former colliery, now a landmark
    x0 = 140
    draw.polygon(
        [(x0, 330), (x0 + 30, 150), (x0 + 52, 150), (x0 + 82, 330)], outline="#5b3a2a", width=6
    )
    for y in range(170, 330, 32):
        draw.line(
            (x0 + 30 - (y - 150) * 0.17, y, x0 + 52 + (y - 150) * 0.17, y), fill="#5b3a2a", width=4
        )
    draw.line((x0 + 41, 150, x0 + 110, 330), fill="#5b3a2a", width=6)
    for cx in (x0 + 33, x0 + 49):
        draw.ellipse((cx - 13, 128, cx + 13, 154), outline="#5b3a2a", width=5)
    draw.rectangle((x0 - 40, 290, x0 + 30, 340), fill="#9c4a32")
    for tx, ty, ts, ta in ((330, 230, 110, 20), (420, 255, 80, 75), (470, 268, 60, 40)):
        _turbine(draw, tx, ty, ts, ta)
    _hills(draw, 395, 14, 2.0, "#5f8a45")
    _hills(draw, 450, 10, 4.0, "#4e7a3c")
    return image


def solar() -> Image.Image:
    image = Image.new("RGB", (SLOT, SLOT))
    draw = ImageDraw.Draw(image)
    _sky(draw, (92, 150, 210), (200, 226, 240), 250)
    draw.ellipse((60, 50, 140, 130), fill="#fff3b0")
    draw.rectangle((0, 250, SLOT, SLOT), fill="#8fb35e")
    for row in range(7):
        y = 270 + row * row * 5 + row * 12
        depth = 0.4 + row * 0.1
        height = 10 + row * 4
        for k in range(-4, 6):
            x = SLOT / 2 + (k * 110 - 40) * depth
            w = 90 * depth
            draw.polygon(
                [
                    (x, y),
                    (x + w, y),
                    (x + w + 10 * depth, y + height),
                    (x + 10 * depth, y + height),
                ],
                fill="#1f3358",
                outline="#8ea4c8",
            )
    return image


def forest() -> Image.Image:
    image = Image.new("RGB", (SLOT, SLOT))
    draw = ImageDraw.Draw(image)
    _sky(draw, (150, 196, 222), (226, 238, 240), 300)
    rng = np.random.default_rng(7)
    for layer, (base, colour) in enumerate(((290, "#6f9b6a"), (330, "#4f8051"), (370, "#3b6b40"))):
        for _ in range(18):
            x = float(rng.uniform(-20, SLOT + 20))
            h = float(rng.uniform(70, 140)) * (1 + layer * 0.3)
            draw.polygon([(x, base - h), (x - h * 0.28, base), (x + h * 0.28, base)], fill=colour)
        draw.rectangle((0, base, SLOT, base + 40), fill=colour)
    draw.rectangle((0, 400, SLOT, SLOT), fill="#5d8fb0")
    for y in range(410, SLOT, 14):
        draw.line((40 + (y * 7) % 90, y, 140 + (y * 13) % 200, y), fill="#86b1cc", width=2)
    return image


def chart(primary: str = "#2e5e7e", accent: str = "#e39b2d") -> Image.Image:
    """A CO2 chart: its header in the site's primary colour, the trend in its accent."""
    image = Image.new("RGB", (SLOT, SLOT), "#f6f4ee")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, SLOT, 70), fill=primary)
    draw.text((28, 18), "CO2  2019 - 2030", fill="#ffffff", font_size=30)
    values = (100, 94, 86, 80, 71, 63, 55, 45)
    for k, v in enumerate(values):
        x = 50 + k * 55
        top = 450 - v * 3.3
        colour = "#9c4a32" if k < 4 else "#4f8a5b"
        draw.rectangle((x, top, x + 38, 450), fill=colour)
    draw.line((40, 452, 480, 452), fill="#3b3f44", width=4)
    draw.line((70, 110, 440, 260), fill=accent, width=8)
    draw.polygon([(440, 230), (470, 272), (420, 282)], fill=accent)
    return image


DRAW = {"ruhr": ruhr, "solar": solar, "forest": forest, "chart": chart}


@functools.cache
def picture_atlas(
    primary: str = "#2e5e7e", accent: str = "#e39b2d"
) -> tuple[bytes, dict[str, AtlasSlot]]:
    """All motifs in one PNG atlas and each motif's place in it (the chart in the site's
    primary and accent colours)."""
    atlas = Image.new("RGB", (2 * SLOT, 2 * SLOT), "#ffffff")
    slots: dict[str, AtlasSlot] = {}
    size = 2 * SLOT
    for i, name in enumerate(MOTIFS):
        x, y = (i % 2) * SLOT, (i // 2) * SLOT
        atlas.paste(chart(primary, accent) if name == "chart" else DRAW[name](), (x, y))
        slots[name] = AtlasSlot(
            (x + 2) / size, (y + 2) / size, (x + SLOT - 2) / size, (y + SLOT - 2) / size
        )
    buffer = io.BytesIO()
    atlas.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue(), slots
