"""Images with words on them: all signs in one atlas, and the poster screens show at rest.

Text is drawn with Pillow's bundled font (``ImageFont.load_default(size=...)``), so no font
files are needed. That font covers ASCII only, so German letters are composed: an umlaut is
its base letter with two dots drawn above, ß becomes "ss", typographic dashes and quotes
their ASCII cousins. Every image is a power of two in both directions.
"""

from __future__ import annotations

import io
import unicodedata
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


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
UMLAUT_BASE = {"Ä": "A", "Ö": "O", "Ü": "U", "ä": "a", "ö": "o", "ü": "u"}
REPLACEMENTS = {
    "ß": "ss",
    "ẞ": "SS",
    "–": "-",
    "—": "-",
    "„": '"',
    "“": '"',
    "”": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "€": "EUR",
    "²": "2",
    "³": "3",
    "₂": "2",
    "…": "...",
    "\u00a0": " ",
}


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _glyphs(text: str) -> list[tuple[str, bool]]:
    """The text as (ASCII glyph, has umlaut dots) pairs the bundled font can draw."""
    out: list[tuple[str, bool]] = []
    for ch in text:
        if ch in UMLAUT_BASE:
            out.append((UMLAUT_BASE[ch], True))
        elif ch in REPLACEMENTS:
            out.extend((c, False) for c in REPLACEMENTS[ch])
        elif ch.isascii() or ch == "·":
            out.append((ch, False))
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            base = "".join(c for c in decomposed if c.isascii())
            out.extend((c, "\u0308" in decomposed) for c in (base or "?"))
    return out


def text_width(text: str, font: Font) -> float:
    return float(font.getlength("".join(g for g, _ in _glyphs(text))))


def draw_text(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: Font,
    fill: str,
    bold: int = 0,
) -> None:
    """Draw ``text`` at ``xy`` (top-left), composing letters the font does not have.

    ``bold`` thickens the strokes by that many pixels (signs read from afar).
    """
    x, y = xy
    run = ""
    size = getattr(font, "size", 12)
    for glyph, dots in [*_glyphs(text), ("", False)]:
        if (dots or not glyph) and run:
            draw.text((x, y), run, font=font, fill=fill, stroke_width=bold, stroke_fill=fill)
            x += font.getlength(run) + bold
            run = ""
        if not glyph:
            break
        if not dots:
            run += glyph
            continue
        draw.text((x, y), glyph, font=font, fill=fill, stroke_width=bold, stroke_fill=fill)
        left, top, right, _ = font.getbbox(glyph)
        r = max(1.0, size * 0.06)
        cy = y + top - r * (1.7 if glyph.isupper() else 1.9)
        for frac in (0.3, 0.7):
            cx = x + left + (right - left) * frac
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        x += font.getlength(glyph) + bold


def _fitted_font(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> Font:
    del draw
    while size > 12:
        font = _font(size)
        if text_width(text, font) <= max_width:
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
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _draw_sign(sign: SignText) -> Image.Image:
    image = Image.new("RGB", (SLOT_W, SLOT_H), sign.background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 14, SLOT_H), fill=sign.bar)
    draw.rectangle((14, SLOT_H - 6, SLOT_W, SLOT_H), fill=sign.bar)
    text_left, text_width = 28, SLOT_W - 40
    title_font = _fitted_font(draw, sign.title, 58, text_width)
    draw_text(draw, (text_left, 8), sign.title, title_font, sign.foreground, bold=1)
    if sign.subtitle:
        sub_font = _fitted_font(draw, sign.subtitle, 32, text_width)
        draw_text(draw, (text_left, 76), sign.subtitle, sub_font, sign.muted)
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


POSTER_LOGO = 180  # pixels: the logo's box at the poster's top left


def poster(
    title: str, lines: list[str], primary: str, accent: str, logo: Image.Image | None = None
) -> bytes:
    """The still image a screen shows until the client puts a talk on it (16:9 drawn on 2:1):
    the site's logo (when it has one) and name on its colours."""
    w, h = 1024, 576
    image = Image.new("RGB", (w, h), primary)
    draw = ImageDraw.Draw(image)
    for i in range(5):
        r = 110 + i * 26
        draw.ellipse((w - r, h - r, w + r, h + r), outline=accent, width=3)
    draw.rectangle((0, h - 18, w, h), fill=accent)
    left = 90
    if logo is not None:
        box = (75 + (POSTER_LOGO - logo.width) // 2, 100 + (POSTER_LOGO - logo.height) // 2)
        image.paste(logo, box, logo)
        left = 290
    title_font = _fitted_font(draw, title, 140, w - left - 70)
    draw_text(draw, (left, 115), title, title_font, "#ffffff")
    y = 330
    for line in lines:
        font = _fitted_font(draw, line, 40, w - 330)
        draw_text(draw, (90, y), line, font, "#e9f2ec")
        y += 60
    return _png(image.resize((1024, 512), Image.Resampling.LANCZOS))
