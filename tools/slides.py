"""Slides of a produced talk drawn as 1280×720 images with Pillow, in the hub's colours.

Text is set in DejaVu Sans (``world/fonts.py``; Debian's fonts-dejavu-core): the font Pillow
bundles has no umlauts. Every character of a script is checked against the
font first, so a slide never shows a missing-glyph box.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageColor, ImageDraw, ImageFont

from tools.talk_script import Slide
from world.errors import InputFileError
from world.fonts import font_file

WIDTH, HEIGHT = 1280, 720
MARGIN = 72
BAND_HEIGHT = 132
BACKGROUND = "#f7f8f5"
TEXT = "#1f2a24"
MUTED = "#5b665f"


@dataclass(frozen=True)
class SlideStyle:
    """What every slide of a hub shares: colours and the line at the bottom."""

    primary: str
    accent: str
    hub_name: str
    footer: str


@cache
def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(weight)), size)


def missing_glyphs(text: str) -> list[str]:
    """Characters of ``text`` the slide font cannot draw."""
    probe = font("regular", 32)
    bold = font("bold", 32)
    missing_mask = bytes(probe.getmask("\U0010fffd"))
    bold_missing_mask = bytes(bold.getmask("\U0010fffd"))
    missing = []
    for char in sorted(set(text) - set(" \n\t")):
        if (
            bytes(probe.getmask(char)) == missing_mask
            or bytes(bold.getmask(char)) == bold_missing_mask
        ):
            missing.append(char)
    return missing


def check_glyphs(text: str, where: str) -> None:
    missing = missing_glyphs(text)
    if missing:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
        raise InputFileError(f"{where}: the slide font cannot show {shown}")


def wrap(text: str, face: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """``text`` broken into lines no wider than ``width`` pixels (long words stay whole)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and face.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _fit(
    texts: Iterable[str], weight: str, sizes: Iterable[int], width: int, height: int, spacing: float
) -> tuple[ImageFont.FreeTypeFont, list[list[str]]]:
    items = list(texts)
    chosen: tuple[ImageFont.FreeTypeFont, list[list[str]]] | None = None
    for size in sizes:
        face = font(weight, size)
        wrapped = [wrap(text, face, width) for text in items]
        lines = sum(len(w) for w in wrapped)
        gaps = max(0, len(items) - 1)
        needed = lines * size * spacing + gaps * size * 0.6
        chosen = (face, wrapped)
        if needed <= height:
            break
    assert chosen is not None
    return chosen


def _band(draw: ImageDraw.ImageDraw, style: SlideStyle, title: str) -> None:
    draw.rectangle((0, 0, WIDTH, BAND_HEIGHT), fill=style.primary)
    draw.rectangle((0, BAND_HEIGHT, WIDTH, BAND_HEIGHT + 8), fill=style.accent)
    face, (lines,) = _fit([title], "bold", (46, 40, 34, 30), WIDTH - 2 * MARGIN, 110, 1.15)
    size = face.size
    top = (BAND_HEIGHT - len(lines) * size * 1.15) / 2 + 4
    for index, line in enumerate(lines):
        draw.text((MARGIN, top + index * size * 1.15), line, font=face, fill="white")


def _footer(
    draw: ImageDraw.ImageDraw, style: SlideStyle, number: int, total: int, dark: bool
) -> None:
    y = HEIGHT - 44
    colour = "white" if dark else style.primary
    muted = "#e4efe8" if dark else MUTED
    draw.text((MARGIN, y), style.hub_name, font=font("bold", 22), fill=colour)
    name_width = font("bold", 22).getlength(style.hub_name)
    footer_face = font("regular", 20)
    draw.text((MARGIN + name_width + 24, y + 2), style.footer, font=footer_face, fill=muted)
    counter = f"{number} / {total}"
    draw.text(
        (WIDTH - MARGIN - footer_face.getlength(counter), y + 2),
        counter,
        font=footer_face,
        fill=muted,
    )


def _points(
    draw: ImageDraw.ImageDraw, style: SlideStyle, points: tuple[str, ...], small: bool
) -> None:
    top, bottom = BAND_HEIGHT + 56, HEIGHT - 80
    sizes = (26, 24, 22, 20, 18) if small else (36, 33, 30, 27, 24, 22)
    indent = 44
    face, wrapped = _fit(points, "regular", sizes, WIDTH - 2 * MARGIN - indent, bottom - top, 1.3)
    size = face.size
    y: float = top
    for lines in wrapped:
        radius = max(5.0, size * 0.2)
        cy = y + size * 0.62
        draw.ellipse(
            (MARGIN + 6, cy - radius, MARGIN + 6 + 2 * radius, cy + radius), fill=style.accent
        )
        for line in lines:
            draw.text((MARGIN + indent, y), line, font=face, fill=TEXT)
            y += size * 1.3
        y += size * 0.6


def _title_slide(draw: ImageDraw.ImageDraw, style: SlideStyle, slide: Slide) -> None:
    draw.rectangle((0, 0, WIDTH, HEIGHT), fill=style.primary)
    draw.rectangle((MARGIN, 250, MARGIN + 120, 260), fill=style.accent)
    draw.text((MARGIN, 120), style.hub_name, font=font("bold", 30), fill="white")
    face, (lines,) = _fit([slide.title], "bold", (64, 56, 50, 44), WIDTH - 2 * MARGIN, 230, 1.15)
    y: float = 290
    for line in lines:
        draw.text((MARGIN, y), line, font=face, fill="white")
        y += face.size * 1.15
    if slide.subtitle:
        sub_face, (sub_lines,) = _fit(
            [slide.subtitle], "regular", (34, 30, 26), WIDTH - 2 * MARGIN, 120, 1.25
        )
        y += 24
        for line in sub_lines:
            draw.text((MARGIN, y), line, font=sub_face, fill="#fdf3cf")
            y += sub_face.size * 1.25


def render_slide(slide: Slide, style: SlideStyle, number: int, total: int) -> Image.Image:
    """One slide as an RGB image."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    if slide.layout == "title":
        _title_slide(draw, style, slide)
        _footer(draw, style, number, total, dark=True)
        return image
    _band(draw, style, slide.title)
    _points(draw, style, slide.points, small=slide.layout == "sources")
    _footer(draw, style, number, total, dark=False)
    return image


def style_for(primary: str, accent: str, hub_name: str, footer: str) -> SlideStyle:
    """A style from the site's branding colours (refuses colours Pillow cannot read)."""
    for colour in (primary, accent):
        try:
            ImageColor.getrgb(colour)
        except ValueError:
            raise InputFileError(
                f"branding colour {colour!r} is not a colour like #2f7d4f"
            ) from None
    return SlideStyle(primary, accent, hub_name, footer)
