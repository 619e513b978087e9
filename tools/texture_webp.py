"""A model's textures as WebP, each side a power of two and no longer than the cap (Pillow).

Every image is decoded, scaled to the nearest power of two per side (at most ``max_size``),
and stored as WebP under ``EXT_texture_webp`` (required: three.js and the Khronos validator
read it; the PNG/JPEG original is not kept). Images no texture uses are dropped. Normal maps
are encoded with more care than colour maps.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from tools.glb_container import replace_views
from world.errors import InputFileError

WEBP_EXT = "EXT_texture_webp"
QUALITY = 85
NORMAL_MAP_QUALITY = 95


@dataclass
class TextureReport:
    sizes: list[tuple[int, int]] = field(default_factory=list)  # after conversion
    notes: list[str] = field(default_factory=list)  # what was scaled down, dropped


def power_of_two(n: int, cap: int) -> int:
    """The power of two nearest to ``n`` (on a log scale), at most ``cap``."""
    if n <= 1:
        return 1
    nearest = 2 ** round(math.log2(n))
    return max(1, min(nearest, cap))


def _texture_image(texture: dict[str, Any]) -> int | None:
    webp = texture.get("extensions", {}).get(WEBP_EXT)
    if isinstance(webp, dict) and isinstance(webp.get("source"), int):
        return int(webp["source"])
    source = texture.get("source")
    return source if isinstance(source, int) else None


def _normal_map_images(document: dict[str, Any]) -> set[int]:
    textures = document.get("textures", [])
    out = set()
    for material in document.get("materials", []):
        info = material.get("normalTexture")
        if isinstance(info, dict) and isinstance(info.get("index"), int):
            image = _texture_image(textures[info["index"]])
            if image is not None:
                out.add(image)
    return out


def _encode(data: bytes, where: str, cap: int, quality: int) -> tuple[bytes, int, int, str]:
    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image = opened.copy()
            original = opened.size
    except (UnidentifiedImageError, OSError) as exc:
        raise InputFileError(
            f"{where}: cannot read this texture ({exc}); KTX2 and other GPU formats are not "
            "taken: export the model with PNG or JPEG textures"
        ) from None
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if has_alpha and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")
    width, height = original
    size = (power_of_two(width, cap), power_of_two(height, cap))
    note = ""
    if size != original:
        image = image.resize(size, Image.Resampling.LANCZOS)
        if max(original) > cap:
            note = f"{where}: {width}x{height} scaled down to {size[0]}x{size[1]}"
        else:
            note = f"{where}: {width}x{height} resized to {size[0]}x{size[1]} (power of two)"
    out = io.BytesIO()
    image.save(out, "WEBP", quality=quality, method=5)
    return out.getvalue(), size[0], size[1], note


def textures_to_webp(
    document: dict[str, Any], blob: bytes, max_size: int
) -> tuple[dict[str, Any], bytes, TextureReport]:
    """(document, blob) with every used texture as WebP; what was done, in the report."""
    report = TextureReport()
    images = document.get("images", [])
    textures = document.get("textures", [])
    if not images:
        return document, blob, report
    used = sorted({i for t in textures if (i := _texture_image(t)) is not None})
    unused = len(images) - len(used)
    if unused:
        report.notes.append(f"{unused} image(s) no texture uses were dropped")
    normal_maps = _normal_map_images(document)
    new_index = {old: new for new, old in enumerate(used)}
    replaced: dict[int, bytes | None] = {}
    new_images = []
    for old in used:
        image = dict(images[old])
        view = image.get("bufferView")
        if not isinstance(view, int):
            raise InputFileError(f"image {old} is not stored in the model's binary")
        start = document["bufferViews"][view].get("byteOffset", 0)
        length = document["bufferViews"][view]["byteLength"]
        quality = NORMAL_MAP_QUALITY if old in normal_maps else QUALITY
        name = image.get("name") or f"image {old}"
        data, width, height, note = _encode(
            blob[start : start + length], f"texture {name}", max_size, quality
        )
        if note:
            report.notes.append(note)
        replaced[view] = data
        report.sizes.append((width, height))
        image["mimeType"] = "image/webp"
        new_images.append(image)

    document = dict(document)
    document["images"] = new_images
    new_textures = []
    for texture in textures:
        texture = dict(texture)
        source = _texture_image(texture)
        texture.pop("source", None)
        extensions = dict(texture.get("extensions", {}))
        if source is not None:
            extensions[WEBP_EXT] = {"source": new_index[source]}
        texture["extensions"] = extensions
        new_textures.append(texture)
    document["textures"] = new_textures
    for key in ("extensionsUsed", "extensionsRequired"):
        document[key] = sorted({*document.get(key, []), WEBP_EXT})
    kept_views = {img["bufferView"] for img in new_images}
    dropped = {
        images[i]["bufferView"]
        for i in range(len(images))
        if i not in new_index and isinstance(images[i].get("bufferView"), int)
    } - kept_views
    for view in dropped:
        replaced[view] = None
    document, blob = replace_views(document, blob, replaced)
    return document, blob, report
