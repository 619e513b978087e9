"""Adding a model to a site's asset library (``hubtwin assets import``).

One call, ``import_asset``, takes a .glb, .gltf, .obj or .stl made anywhere and, in order:
checks the file by its content (tools/source_check.py: renamed, empty or cut-short files,
files named outside the model's folder are refused before any other program reads it);
converts OBJ/STL to glTF (trimesh); runs the Khronos validator on the original (reported);
normalises and optimises it (metres, Y up, base centre at the origin; dedup, weld,
quantise: tools/asset_optimiser.py); refuses sizes that point at a unit mistake; turns
textures into WebP with power-of-two sides (tools/texture_webp.py); validates the result
(0 errors required); checks the budgets (tools/asset_budgets.py); draws a thumbnail; and
writes ``library/<name>/`` (model.glb, meta.toml, thumbnail.png). The folder appears whole
or not at all; nothing is written when a check refuses.
"""

from __future__ import annotations

import datetime
import getpass
import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson

from server.api import toml_document
from tools.asset_budgets import (
    Budgets,
    ModelStats,
    Simplified,
    check_budgets,
    check_size,
    load_budgets,
)
from tools.asset_optimiser import UNITS, optimise_model
from tools.glb_container import pack_glb, unpack_glb
from tools.model_geometry import bounds, scene_parts
from tools.progress import Progress
from tools.refusals import BudgetExceeded, ModelInvalid
from tools.source_check import check_source
from tools.texture_webp import textures_to_webp
from tools.thumbnail import render_thumbnail
from world.errors import InputFileError, UsageError
from world.gltf_reader import read_gltf
from world.khronos import KhronosReport, validate_file
from world.library import (
    META_FILE,
    MODEL_FILE,
    THUMBNAIL_FILE,
    WALK_OVER_HEIGHT,
    LibraryAsset,
    check_name,
    library_dir,
    read_asset,
)
from world.model_uris import local_file, named_files
from world.site import Site

T = TypeVar("T")
FORMATS = (".glb", ".gltf", ".obj", ".stl")
DEFAULT_UP = {".glb": "y", ".gltf": "y", ".obj": "y", ".stl": "z"}
STEPS = 9


@dataclass
class ImportOptions:
    name: str | None = None
    title: dict[str, str] | None = None
    scale: float = 1.0
    units: str = "m"
    up: str | None = None  # None: Y for glTF and OBJ, Z for STL
    simplify: float | None = None  # keep this share of the triangles
    max_texture: int | None = None  # None: the budget's max_texture_size
    solid: bool | None = None  # None: solid unless lower than a rug
    replace: bool = False
    author: str = ""


@dataclass(frozen=True)
class KhronosSummary:
    errors: int
    warnings: int
    infos: int
    hints: int
    first: list[str]  # the first error or warning messages

    @classmethod
    def of(cls, report: KhronosReport) -> KhronosSummary:
        shown = [
            f"{m.severity}: {m}" for m in report.messages if m.severity in ("error", "warning")
        ]
        return cls(report.errors, report.warnings, report.infos, report.hints, shown[:5])

    def line(self) -> str:
        return (
            f"{self.errors} errors, {self.warnings} warnings, {self.infos} infos, "
            f"{self.hints} hints"
        )


@dataclass
class ImportReport:
    asset: LibraryAsset
    stats: ModelStats
    original: KhronosSummary
    result: KhronosSummary
    source_bytes: int
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.asset.name,
            "folder": str(self.asset.folder),
            "title": self.asset.title,
            "size_m": list(self.stats.size),
            "triangles": self.stats.triangles,
            "materials": self.stats.materials,
            "textures": [list(t) for t in self.stats.textures],
            "bytes": self.stats.bytes,
            "source_bytes": self.source_bytes,
            "solid": self.asset.solid,
            "khronos_original": self.original.__dict__,
            "khronos_result": self.result.__dict__,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
        }


def name_from_file(path: Path) -> str:
    """A library name from a file name: "Sofa Grau (v2).OBJ" -> "sofa-grau-v2"."""
    text = path.stem.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40].strip("-")
    return text or "asset"


def _obj_has_normals(source: Path) -> bool:
    return re.search(rb"^[ \t]*vn[ \t]", source.read_bytes(), re.MULTILINE) is not None


def _convert_with_trimesh(source: Path, target: Path) -> None:
    """OBJ or STL to GLB: an OBJ's normals kept, materials made explicit (no metal here)."""
    import trimesh

    try:
        scene: Any = trimesh.load(source, force="scene")
    except Exception as exc:  # trimesh raises many kinds for a broken file
        raise InputFileError(
            f"{source}: cannot read it as {source.suffix[1:].upper()}: {exc}"
        ) from None
    if not scene.geometry:
        raise InputFileError(f"{source}: no triangles in the file")

    def fix_materials(tree: dict[str, Any]) -> None:
        materials = tree.setdefault("materials", [])
        for material in materials:
            material.setdefault("pbrMetallicRoughness", {}).setdefault("metallicFactor", 0.0)
        default = None
        for mesh in tree.get("meshes", []):
            for prim in mesh.get("primitives", []):
                if "material" not in prim and "COLOR_0" not in prim.get("attributes", {}):
                    if default is None:
                        materials.append(
                            {
                                "name": "default",
                                "pbrMetallicRoughness": {
                                    "baseColorFactor": [0.8, 0.8, 0.8, 1.0],
                                    "metallicFactor": 0.0,
                                    "roughnessFactor": 0.8,
                                },
                            }
                        )
                        default = len(materials) - 1
                    prim["material"] = default
        if not materials:
            tree.pop("materials")

    # STL has face normals only, and an OBJ may have none: trimesh would make smooth ones
    # (a box with rounded shading), so they are left to the optimiser, which keeps edges sharp
    with_normals = source.suffix.lower() == ".obj" and _obj_has_normals(source)
    data = scene.export(
        file_type="glb", include_normals=with_normals, tree_postprocessor=fix_materials
    )
    target.write_bytes(data)


def _source_bytes(source: Path) -> int:
    """The file's size; for a .gltf, with the buffers and images it names beside it."""
    total = source.stat().st_size
    if source.suffix.lower() != ".gltf":
        return total
    try:
        document = orjson.loads(source.read_bytes())
    except orjson.JSONDecodeError:
        return total
    for what, uri in named_files(document) if isinstance(document, dict) else []:
        path = local_file(source.parent, uri, str(source), what)  # checked before: inside
        if path.is_file():
            total += path.stat().st_size
    return total


def _measured(source: Path, measure: Callable[[], T]) -> T:
    """Run a step that reads the model's numbers; odd data ends in one clear error."""
    try:
        return measure()
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"{source}: cannot measure the model ({exc})") from None


def _khronos(path: Path) -> KhronosSummary:
    return KhronosSummary.of(validate_file(path))


def _parse_title(title: dict[str, str] | None, name: str, site: Site) -> dict[str, str]:
    if not title:
        words = name.replace("-", " ")
        return {lang: words[:1].upper() + words[1:] for lang in site.languages}
    if "" in title:  # one text for every language
        text = title.pop("")
        return {**{lang: text for lang in site.languages}, **title}
    return title


def _metal_notes(document: dict[str, Any]) -> list[str]:
    notes = []
    for index, material in enumerate(document.get("materials", [])):
        pbr = material.get("pbrMetallicRoughness", {})
        if pbr.get("metallicFactor", 1.0) >= 0.99 and "metallicRoughnessTexture" not in pbr:
            name = material.get("name") or f"material {index}"
            notes.append(
                f"{name} is fully metallic (glTF's default when a file says nothing): it looks "
                "dark in the hub; set Metallic to 0 in the modelling program unless it is metal"
            )
    return notes


def _write_folder(
    site: Site,
    name: str,
    glb: bytes,
    meta: dict[str, Any],
    thumbnail: bytes,
    replace: bool,
) -> Path:
    """Write the asset folder next to its final place, then move it there in one rename."""
    library = library_dir(site)
    library.mkdir(parents=True, exist_ok=True)
    final = library / name
    staging = Path(tempfile.mkdtemp(prefix=f".import-{name}-", dir=library))
    try:
        for file_name, data in (
            (MODEL_FILE, glb),
            (
                META_FILE,
                toml_document(
                    meta,
                    header="Written by `hubtwin assets import`; title and solid may be edited.",
                ).encode(),
            ),
            (THUMBNAIL_FILE, thumbnail),
        ):
            with open(staging / file_name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        staging.chmod(0o755)
        old = None
        if final.exists():
            if not replace:
                raise UsageError(
                    f"asset {name!r} is already in the library; import with --replace to "
                    "replace it (its placements stay) or choose another --name"
                )
            old = library / f".replaced-{name}-{os.getpid()}"
            os.replace(final, old)
        os.replace(staging, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def import_asset(
    site: Site,
    source: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``source`` into the site's library; refuses with a ``HubError`` (nothing written)."""
    started = time.perf_counter()
    progress = progress or Progress.silent()
    suffix = source.suffix.lower()
    if not source.is_file():
        raise InputFileError(f"{source}: file not found")
    if suffix not in FORMATS:
        raise InputFileError(
            f"{source}: {suffix or 'no extension'} is not a format the import takes "
            f"({', '.join(FORMATS)}); export the model as glTF binary (.glb)"
        )
    if options.units not in UNITS:
        raise UsageError(f"--units must be one of {', '.join(UNITS)}")
    up = options.up or DEFAULT_UP[suffix]
    if up not in ("y", "z"):
        raise UsageError("--up must be y or z")
    if not (options.scale > 0 and np.isfinite(options.scale)):
        raise UsageError("--scale must be a positive number")
    if options.simplify is not None and not 0 < options.simplify < 1:
        raise UsageError("--simplify must be between 0 and 1 (the share of triangles to keep)")
    name = check_name(options.name or name_from_file(source))
    if (library_dir(site) / name).exists() and not options.replace:
        raise UsageError(
            f"asset {name!r} is already in the library; import with --replace to replace "
            "it (its placements stay) or choose another --name"
        )
    budgets = load_budgets(site)
    max_texture = options.max_texture or budgets.max_texture_size
    if max_texture < 16 or max_texture & (max_texture - 1):
        raise UsageError("--max-texture must be a power of two, at least 16")
    if max_texture > budgets.max_texture_size:
        budgets = Budgets(**{**budgets.__dict__, "max_texture_size": max_texture})
    check_source(source)
    notes: list[str] = []

    with tempfile.TemporaryDirectory(prefix="hubtwin-import-") as work_name:
        work = Path(work_name)
        original = source.absolute()  # the Node.js steps run in another folder
        if suffix in (".obj", ".stl"):
            progress.step(f"converting {suffix[1:].upper()}")
            original = work / "converted.glb"
            _convert_with_trimesh(source, original)
        else:
            progress.step("reading")
        progress.step("validating the original")
        before = _khronos(original)
        if before.errors:
            notes.append(
                f"the original has {before.errors} error(s) by the Khronos validator "
                f"(first: {before.first[0] if before.first else '?'}); the import repairs what "
                "it can and checks the result"
            )

        progress.step("optimising")
        optimised = work / "optimised.glb"
        scale = UNITS[options.units] * options.scale
        report = optimise_model(
            original, optimised, name=name, scale=scale, up=up, simplify=options.simplify
        )
        if report.removed:
            notes.append(f"removed: {', '.join(report.removed)}")
        if report.passed_through:
            notes.append(f"extensions kept as they are: {', '.join(report.passed_through)}")
        notes += report.notes
        if options.simplify is not None:
            notes.append(
                f"simplified: {report.triangles_before:,} -> {report.triangles:,} triangles "
                f"(--simplify {options.simplify:g}); normals computed anew"
            )

        progress.step("measuring")
        document, blob = unpack_glb(optimised.read_bytes(), str(source))
        parts = _measured(
            source, lambda: scene_parts(read_gltf(pack_glb(document, blob), str(source)))
        )
        if not parts:
            raise InputFileError(f"{source}: the model has no triangles")
        low, high = bounds(parts)
        size = tuple(float(v) for v in np.round(high - low, 3))
        too_big = check_size((size[0], size[1], size[2]), budgets, options.units)
        if too_big:
            raise BudgetExceeded(f"{source}: {too_big[0]}")
        notes += _metal_notes(document)

        progress.step("textures to WebP")
        document, blob, textures = textures_to_webp(document, blob, max_texture)
        notes += textures.notes
        document["asset"] = {
            "version": "2.0",
            "generator": f"Öko.HUB Twin asset import ({document['asset'].get('generator', '')})",
        }
        glb = pack_glb(document, blob)
        final_path = work / MODEL_FILE
        final_path.write_bytes(glb)

        progress.step("validating the result")
        after = _khronos(final_path)
        if after.errors:
            raise ModelInvalid(
                f"{source}: the optimised model still has {after.errors} error(s) by the "
                f"Khronos validator (first: {after.first[0] if after.first else '?'}); "
                "repair it in the modelling program and export again"
            )

        progress.step("checking budgets")
        stats = ModelStats(
            triangles=sum(len(p.corners) for p in parts),
            materials=len(document.get("materials", [])),
            textures=textures.sizes,
            bytes=len(glb),
            size=(size[0], size[1], size[2]),
        )
        simplified = (
            Simplified(options.simplify, report.triangles_before)
            if options.simplify is not None
            else None
        )
        problems = check_budgets(stats, budgets, simplified)
        if problems:
            others = (
                f" (and {len(problems) - 1} more: {'; '.join(p.message for p in problems[1:])})"
            )
            raise BudgetExceeded(
                f"{source}: over budget: {problems[0].message}"
                + (others if len(problems) > 1 else "")
            )

        progress.step("drawing the thumbnail")
        doc = read_gltf(glb, str(source))
        thumbnail = _measured(source, lambda: render_thumbnail(doc, scene_parts(doc)))

        progress.step("saving")
        solid = options.solid if options.solid is not None else size[1] >= WALK_OVER_HEIGHT
        meta: dict[str, Any] = {
            "name": name,
            "title": _parse_title(dict(options.title or {}), name, site),
            "solid": solid,
            "size": list(size),
            "triangles": stats.triangles,
            "materials": stats.materials,
            "textures": [list(t) for t in stats.textures],
            "bytes": stats.bytes,
            "sha256": hashlib.sha256(glb).hexdigest(),
            "source": source.name,
            "source_bytes": _source_bytes(source),
            "units": options.units,
            "scale": options.scale,
            "up": up,
            "simplify": options.simplify,
            "imported": datetime.datetime.now(datetime.UTC).replace(microsecond=0),
            "imported_by": options.author or getpass.getuser(),
            "khronos": {
                "errors": after.errors,
                "warnings": after.warnings,
                "infos": after.infos,
                "hints": after.hints,
            },
            "notes": notes,
        }
        folder = _write_folder(site, name, glb, meta, thumbnail, options.replace)
    progress.finish()
    return ImportReport(
        asset=read_asset(folder),
        stats=stats,
        original=before,
        result=after,
        source_bytes=_source_bytes(source),
        notes=notes,
        seconds=time.perf_counter() - started,
    )
