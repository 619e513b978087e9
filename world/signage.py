"""Images with words on them: all signs in one atlas, and the poster screens show at rest.

Text is drawn with Pillow's bundled font (``ImageFont.load_default(size=...)``), so no font
files are needed. Every image is a power of two in both directions.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

SLOT_W, SLOT_H = 512, 128  # one sign; 4:1 like the 1.6 m x 0.4 m sign plates
ATLAS_COLUMNS = 4


@dataclass(frozen=True)
class SignText:
    """What one sign says: a big line (German) and a small line (English), and its colours."""

    title: str
    subtitle: str
    background: str = "#f7f5f0"
    foreground: str = "#23302a"
    bar: str = "#2f7d4f"
    muted: str = "#5b6b63"


@dataclass(frozen=True)
class AtlasSlot:
    """Where a sign sits in the atlas, as UV corners (u0, v0) top-left, (u1, v1) bottom-right."""

    u0: float
    v0: float
    u1: float
    v1: float


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _fitted_font(
    draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    while size > 12:
        font = _font(size)
        left, _, right, _ = draw.textbbox((0, 0), text, font=font)
        if right - left <= max_width:
            return font
        size -= 2
    return _font(size)


def _next_pow2(n: int) -> int:
    p = 1
    while p < n:
        p *= 2
    return p


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _draw_sign(sign: SignText) -> Image.Image:
    image = Image.new("RGB", (SLOT_W, SLOT_H), sign.background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 20, SLOT_H), fill=sign.bar)
    draw.rectangle((20, SLOT_H - 7, SLOT_W, SLOT_H), fill=sign.bar)
    text_left, text_width = 40, SLOT_W - 60
    title_font = _fitted_font(draw, sign.title, 46, text_width)
    draw.text((text_left, 14), sign.title, font=title_font, fill=sign.foreground)
    if sign.subtitle:
        sub_font = _fitted_font(draw, sign.subtitle, 27, text_width)
        draw.text((text_left, 74), sign.subtitle, font=sub_font, fill=sign.muted)
    return image


def sign_atlas(signs: dict[str, SignText]) -> tuple[bytes, dict[str, AtlasSlot]]:
    """All signs in one PNG atlas, and each sign's place in it."""
    keys = list(signs)
    rows = max(1, -(-len(keys) // ATLAS_COLUMNS))
    width = SLOT_W * ATLAS_COLUMNS
    height = _next_pow2(rows * SLOT_H)
    atlas = Image.new("RGB", (width, height), "#f7f5f0")
    slots: dict[str, AtlasSlot] = {}
    for i, key in enumerate(keys):
        col, row = i % ATLAS_COLUMNS, i // ATLAS_COLUMNS
        x, y = col * SLOT_W, row * SLOT_H
        atlas.paste(_draw_sign(signs[key]), (x, y))
        # inset by half a texel so neighbours never bleed in when mipmapped
        slots[key] = AtlasSlot(
            (x + 2) / width, (y + 2) / height, (x + SLOT_W - 2) / width, (y + SLOT_H - 2) / height
        )
    return _png(atlas), slots


def poster(title: str, lines: list[str], primary: str, accent: str) -> bytes:
    """The still image a screen shows until the client puts a talk on it (16:9 drawn on 2:1)."""
    w, h = 1024, 576
    image = Image.new("RGB", (w, h), primary)
    draw = ImageDraw.Draw(image)
    for i in range(6):
        box = (w - 360 + i * 28, -200 + i * 20, w + 240, 400 + i * 10)
        draw.ellipse(box, outline=accent, width=3)
    draw.rectangle((0, h - 24, w, h), fill=accent)
    leaf = [(90, 250), (150, 150), (250, 110), (230, 210), (170, 270)]
    draw.polygon(leaf, fill=accent)
    draw.line((100, 262, 215, 150), fill=primary, width=6)
    title_font = _fitted_font(draw, title, 140, w - 380)
    draw.text((290, 120), title, font=title_font, fill="#ffffff")
    y = 330
    for line in lines:
        font = _fitted_font(draw, line, 40, w - 160)
        draw.text((90, y), line, font=font, fill="#e9f2ec")
        y += 60
    return _png(image.resize((1024, 512), Image.Resampling.LANCZOS))
