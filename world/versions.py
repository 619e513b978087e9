"""Published world versions: which hub model is live, and the ones before it.

``hubtwin world publish`` (tools/world_publish.py) writes each version into its own numbered
folder under ``<world_dir>/versions/`` and then points ``versions/current`` at it; nothing is
ever changed in place. This module is the reading side, used by the server::

    path = current_world_file(settings.world_dir)   # None until something is published

A version folder holds ``hub.glb``, ``meta.json`` (number, message, author, time, sha256,
parent, ...), and copies of the ``building.toml``/``layout.toml`` it was built from. A folder
only ever appears complete (it is written under a temporary name and renamed), so any
numbered folder with both files is a usable version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

VERSIONS_FOLDER = "versions"
CURRENT_FILE = "current"
META_FILE = "meta.json"
MODEL_FILE = "hub.glb"
NUMBER = re.compile(r"^\d{4,}$")


@dataclass(frozen=True)
class WorldVersion:
    number: int
    folder: Path
    meta: dict[str, Any]

    @property
    def model(self) -> Path:
        return self.folder / MODEL_FILE

    @property
    def message(self) -> str:
        return str(self.meta.get("message", ""))

    @property
    def sha256(self) -> str:
        return str(self.meta.get("sha256", ""))


def versions_dir(world_dir: Path) -> Path:
    return world_dir / VERSIONS_FOLDER


def folder_name(number: int) -> str:
    return f"{number:04d}"


def read_version(folder: Path) -> WorldVersion | None:
    """The version in ``folder``, or None if it is not a complete version folder."""
    if not NUMBER.match(folder.name) or not (folder / MODEL_FILE).is_file():
        return None
    try:
        meta = orjson.loads((folder / META_FILE).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(meta, dict):
        return None
    return WorldVersion(int(folder.name), folder, meta)


def list_versions(world_dir: Path) -> list[WorldVersion]:
    """Every complete version, oldest first."""
    folder = versions_dir(world_dir)
    if not folder.is_dir():
        return []
    found = (read_version(child) for child in folder.iterdir() if NUMBER.match(child.name))
    return sorted((v for v in found if v is not None), key=lambda v: v.number)


def current_version(world_dir: Path) -> WorldVersion | None:
    """The live version: the one ``current`` names; None while nothing was ever published.

    Should the pointer be unreadable (edited by hand), the newest version is taken.
    """
    folder = versions_dir(world_dir)
    pointer = folder / CURRENT_FILE
    if not pointer.exists():
        return None
    try:
        name = pointer.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        name = ""
    if NUMBER.match(name):
        version = read_version(folder / name)
        if version is not None:
            return version
    versions = list_versions(world_dir)
    return versions[-1] if versions else None


def current_world_file(world_dir: Path) -> Path | None:
    """The hub model the server should serve: the current published version's, if any."""
    version = current_version(world_dir)
    return version.model if version is not None else None
