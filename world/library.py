"""A site's asset library: imported models staff can place in the rooms.

Each asset is a folder ``library/<name>/`` in the site folder holding ``model.glb`` (the
normalised, optimised model: metres, Y up, origin at the centre of its base), ``meta.toml``
(what the import measured, plus a title staff may edit) and ``thumbnail.png``. The folder is
written by ``hubtwin assets import`` (tools/asset_import.py); this module only reads it, for
the builder and the layout tools. Format: docs/asset-tools.md.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from world.errors import InputFileError, UsageError
from world.site import Site

LIBRARY_FOLDER = "library"
MODEL_FILE = "model.glb"
META_FILE = "meta.toml"
THUMBNAIL_FILE = "thumbnail.png"
NAME_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Assets lower than this are walked over (a rug, a floor marking), not around.
WALK_OVER_HEIGHT = 0.1


class UnknownAssetError(UsageError):
    """No asset of that name in the library."""


@dataclass(frozen=True)
class LibraryAsset:
    """One imported model and what the import measured."""

    name: str
    folder: Path
    title: dict[str, str]
    size: tuple[float, float, float]  # metres: width (x), height (y), depth (z)
    triangles: int
    materials: int
    textures: tuple[tuple[int, int], ...]
    bytes: int
    sha256: str
    solid: bool  # avatars walk around it; False: over or through it
    source: str
    imported: str
    meta: dict[str, Any]

    @property
    def model(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def thumbnail(self) -> Path:
        return self.folder / THUMBNAIL_FILE


def library_dir(site: Site) -> Path:
    return site.path / LIBRARY_FOLDER


def check_name(name: str) -> str:
    """An asset name: lower-case letters, digits and dashes, at most 40 characters."""
    if not NAME_PATTERN.match(name):
        raise UsageError(
            f"asset name {name!r}: use lower-case letters, digits and dashes "
            "(at most 40, no dash at either end), e.g. sofa-grey"
        )
    return name


def _number(data: dict[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputFileError(f"{where}: {key} must be a number")
    return float(value)


def read_asset(folder: Path) -> LibraryAsset:
    """The asset in ``folder``; ``InputFileError`` naming the file when something is off."""
    meta_path = folder / META_FILE
    where = str(meta_path)
    try:
        data = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{where}: missing (re-import the asset)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{where}: not valid TOML: {exc}") from None
    if not (folder / MODEL_FILE).is_file():
        raise InputFileError(f"{folder / MODEL_FILE}: missing (re-import the asset)")
    size = data.get("size")
    if (
        not isinstance(size, list)
        or len(size) != 3
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in size)
    ):
        raise InputFileError(f"{where}: size must be three positive numbers [x, y, z] in metres")
    title = data.get("title", {})
    if not isinstance(title, dict) or not all(isinstance(v, str) for v in title.values()):
        raise InputFileError(f"{where}: title must be a table of texts per language")
    textures = data.get("textures", [])
    if not isinstance(textures, list) or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(v, int) for v in t) for t in textures
    ):
        raise InputFileError(f"{where}: textures must be a list of [width, height]")
    solid = data.get("solid", float(size[1]) >= WALK_OVER_HEIGHT)
    if not isinstance(solid, bool):
        raise InputFileError(f"{where}: solid must be true or false")
    return LibraryAsset(
        name=folder.name,
        folder=folder,
        title={str(k): str(v) for k, v in title.items()},
        size=(float(size[0]), float(size[1]), float(size[2])),
        triangles=int(_number(data, "triangles", where)),
        materials=int(_number(data, "materials", where)),
        textures=tuple((int(t[0]), int(t[1])) for t in textures),
        bytes=int(_number(data, "bytes", where)),
        sha256=str(data.get("sha256", "")),
        solid=solid,
        source=str(data.get("source", "")),
        imported=str(data.get("imported", "")),
        meta=data,
    )


def list_assets(site: Site) -> list[LibraryAsset]:
    """Every asset of the site's library, by name (folders starting with "." are work folders)."""
    folder = library_dir(site)
    if not folder.is_dir():
        return []
    return [
        read_asset(child)
        for child in sorted(folder.iterdir())
        if child.is_dir() and not child.name.startswith(".")
    ]


def get_asset(site: Site, name: str) -> LibraryAsset:
    folder = library_dir(site) / name
    if not NAME_PATTERN.match(name) or not folder.is_dir():
        known = ", ".join(a.name for a in list_assets(site)) or "the library is empty"
        raise UnknownAssetError(f"no asset {name!r} in the library ({known})")
    return read_asset(folder)


def library_files(site: Site) -> list[Path]:
    """The files a build depends on (models and their metadata), in a stable order."""
    folder = library_dir(site)
    if not folder.is_dir():
        return []
    out: list[Path] = []
    for child in sorted(folder.iterdir()):
        if child.is_dir() and not child.name.startswith("."):
            out += [p for p in (child / META_FILE, child / MODEL_FILE) if p.is_file()]
    return out
