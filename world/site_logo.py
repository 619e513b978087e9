"""The site's logo as a picture the builder can draw with (the screens' poster shows it).

An SVG logo is drawn with CairoSVG at the size asked for; a raster logo is scaled with
Pillow. A site without a logo has none (the poster then shows the name alone).
"""

from __future__ import annotations

import io

import cairosvg
from PIL import Image

from world.errors import InputFileError
from world.site import Site


def logo_image(site: Site, size: int) -> Image.Image | None:
    """The logo fitted into ``size`` × ``size`` pixels (RGBA), or None without a logo."""
    name = site.branding.logo
    if name is None:
        return None
    path = site.file(name)
    try:
        if path.suffix.lower() == ".svg":
            png = cairosvg.svg2png(bytestring=path.read_bytes(), output_width=size)
            opened = Image.open(io.BytesIO(png))
        else:
            opened = Image.open(path)
        opened.load()
    except Exception as exc:  # any decoder's complaint is the same mistake: a broken file
        raise InputFileError(
            f"{site.path / 'site.toml'}: [branding].logo {name!r} cannot be read as an image"
            f" ({exc.__class__.__name__}); save it again as SVG or PNG"
        ) from None
    image = opened.convert("RGBA")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return image
