"""The site's favicon, app icons and web app manifest, made from its logo, name and colours.

A logo in SVG is the scalable icon as it is and is drawn into the PNG sizes with CairoSVG;
a raster logo is scaled with Pillow; a site without a logo gets a monogram, the first
letter of its short name on its primary colour. Everything is made on first use and kept
until the logo file changes. ``icon_routes`` adds the routes to the HTTP app.
"""

from __future__ import annotations

import asyncio
import base64
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import cairosvg
import orjson
from aiohttp import web
from PIL import Image

from world.site import Site

#: the PNG sizes served as /icons/icon-N.png (180: Apple's touch icon; 192 and 512: the
#: sizes browsers want in a manifest)
PNG_SIZES = (180, 192, 512)
MANIFEST_SIZES = (192, 512)
ICO_SIZES = ((16, 16), (32, 32), (48, 48))
CACHE_CONTROL = "max-age=300"


def monogram_svg(site: Site) -> bytes:
    """A square icon: the short name's first letter on the site's primary colour."""
    letter = escape(site.branding.short_name.strip()[:1].upper() or "H")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{site.branding.primary_colour}"/>'
        f'<circle cx="50" cy="14" r="6" fill="{site.branding.accent_colour}"/>'
        '<text x="32" y="45" font-family="DejaVu Sans, sans-serif" font-size="36"'
        f' font-weight="bold" text-anchor="middle" fill="#ffffff">{letter}</text></svg>'
    ).encode()


def _square(image: Image.Image, size: int) -> Image.Image:
    """``image`` scaled to fit ``size`` × ``size``, centred on a transparent square."""
    image = image.convert("RGBA")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(image, ((size - image.width) // 2, (size - image.height) // 2))
    return canvas


@dataclass
class SiteIcons:
    """The icons of one site, made once per version of its logo file."""

    site: Site
    _made: dict[str, bytes] = field(default_factory=dict)
    _stamp: object = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _logo(self) -> Path | None:
        logo = self.site.branding.logo
        return self.site.file(logo) if logo else None

    def _current(self) -> dict[str, bytes]:
        logo = self._logo()
        stamp = (logo, logo.stat().st_mtime_ns) if logo is not None and logo.is_file() else None
        with self._lock:
            if stamp != self._stamp or not self._made:
                self._made = self._make(logo if stamp is not None else None)
                self._stamp = stamp
            return self._made

    def _make(self, logo: Path | None) -> dict[str, bytes]:
        if logo is not None and logo.suffix.lower() == ".svg":
            svg = logo.read_bytes()
        elif logo is None:
            svg = monogram_svg(self.site)
        else:
            svg = b""
        made: dict[str, bytes] = {}
        largest = self._draw(svg, logo, max(PNG_SIZES))
        for size in PNG_SIZES:
            made[f"icon-{size}.png"] = _png(_square(largest, size))
        ico = io.BytesIO()
        _square(largest, 48).save(ico, format="ICO", sizes=list(ICO_SIZES))
        made["favicon.ico"] = ico.getvalue()
        made["favicon.svg"] = svg or _svg_around_png(made["icon-192.png"])
        return made

    @staticmethod
    def _draw(svg: bytes, logo: Path | None, size: int) -> Image.Image:
        if svg:
            png = cairosvg.svg2png(bytestring=svg, output_width=size, output_height=size)
            return Image.open(io.BytesIO(png))
        assert logo is not None
        with Image.open(logo) as image:
            image.load()
            return _square(image, size)

    def file(self, name: str) -> bytes | None:
        """One made file by name (``favicon.ico``, ``favicon.svg``, ``icon-192.png`` …)."""
        return self._current().get(name)

    def manifest(self) -> dict[str, Any]:
        """The web app manifest (https://www.w3.org/TR/appmanifest/)."""
        site, brand = self.site, self.site.branding
        lang = site.default_language
        return {
            "name": brand.name[lang],
            "short_name": brand.short_name,
            "description": brand.tagline[lang],
            "lang": lang,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": brand.primary_colour,
            "icons": [
                {"src": "/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
                *(
                    {
                        "src": f"/icons/icon-{size}.png",
                        "sizes": f"{size}x{size}",
                        "type": "image/png",
                    }
                    for size in MANIFEST_SIZES
                ),
            ],
        }


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _svg_around_png(png: bytes) -> bytes:
    """An SVG that shows a raster logo, so ``/favicon.svg`` exists for every site."""
    data = base64.b64encode(png).decode()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 192 192">'
        f'<image width="192" height="192" href="data:image/png;base64,{data}"/></svg>'
    ).encode()


TYPES = {".ico": "image/x-icon", ".svg": "image/svg+xml", ".png": "image/png"}


def icon_routes(icons: SiteIcons) -> Callable[[web.Application], None]:
    """The HTTP feature: ``/favicon.ico``, ``/favicon.svg``, ``/icons/icon-N.png`` and
    ``/manifest.webmanifest``."""

    async def serve(name: str) -> web.Response:
        body = await asyncio.to_thread(icons.file, name)
        if body is None:
            raise web.HTTPNotFound()
        content_type = TYPES[Path(name).suffix]
        return web.Response(
            body=body, content_type=content_type, headers={"Cache-Control": CACHE_CONTROL}
        )

    async def favicon_ico(request: web.Request) -> web.Response:
        return await serve("favicon.ico")

    async def favicon_svg(request: web.Request) -> web.Response:
        return await serve("favicon.svg")

    async def png_icon(request: web.Request) -> web.Response:
        return await serve(f"icon-{request.match_info['size']}.png")

    async def manifest(request: web.Request) -> web.Response:
        return web.Response(
            body=orjson.dumps(icons.manifest()),
            content_type="application/manifest+json",
            headers={"Cache-Control": CACHE_CONTROL},
        )

    def add(app: web.Application) -> None:
        app.router.add_get("/favicon.ico", favicon_ico)
        app.router.add_get("/favicon.svg", favicon_svg)
        app.router.add_get("/icons/icon-{size:\\d+}.png", png_icon)
        app.router.add_get("/manifest.webmanifest", manifest)

    return add
