"""``hubtwin assets import | list | show | remove``: the site's library of placeable models.

The work is done in tools/asset_import.py and world/library.py; this module reads the
command line and prints the answer (text, or JSON with ``--json``). Heavy modules are
imported inside the handlers, so ``hubtwin`` starts fast.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any

from tools.command_output import add_common, emit, run_command, site_and_settings, table
from world.errors import UsageError
from world.library import LibraryAsset, get_asset, list_assets


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "assets", help="import models into the site's asset library, list and remove them"
    )
    commands = parser.add_subparsers(dest="assets_command", metavar="ACTION", required=True)

    imp = commands.add_parser(
        "import",
        help="normalise, check, optimise and add a model (.glb .gltf .obj .stl)",
        description="Add a model to the library: metres, Y up, base centre at the origin; "
        "budgets and the Khronos validator checked; optimised; thumbnail drawn.",
    )
    imp.add_argument("file", type=Path, help="the model file")
    imp.add_argument("--name", help="library name (default: from the file name)")
    imp.add_argument(
        "--title",
        action="append",
        metavar="[LANG=]TEXT",
        help="display title, e.g. --title 'de=Sofa grau' --title 'en=Grey sofa'",
    )
    imp.add_argument(
        "--units",
        default="m",
        choices=("m", "cm", "mm", "in"),
        help="the file's unit (default m; OBJ/STL from CAD are often mm)",
    )
    imp.add_argument("--scale", type=float, default=1.0, help="extra scale factor (default 1)")
    imp.add_argument("--up", choices=("y", "z"), help="the file's up axis (default: y, z for STL)")
    imp.add_argument(
        "--simplify",
        type=float,
        metavar="SHARE",
        help="keep this share of the triangles, e.g. 0.5",
    )
    imp.add_argument(
        "--max-texture", type=int, metavar="PIXELS", help="longest texture side (default 1024)"
    )
    solid = imp.add_mutually_exclusive_group()
    solid.add_argument("--solid", dest="solid", action="store_true", default=None)
    solid.add_argument(
        "--walk-over",
        dest="solid",
        action="store_false",
        help="people walk over it (a rug); default: solid unless lower than 10 cm",
    )
    imp.add_argument("--replace", action="store_true", help="replace an asset of that name")
    imp.add_argument("--author", help="who imports it (default: your user name)")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    add_common(imp)
    imp.set_defaults(handler=run_command(run_import))

    listing = commands.add_parser("list", help="the assets in the library")
    add_common(listing)
    listing.set_defaults(handler=run_command(run_list))

    show = commands.add_parser("show", help="one asset: sizes, checks, where it is placed")
    show.add_argument("name")
    add_common(show)
    show.set_defaults(handler=run_command(run_show))

    remove = commands.add_parser("remove", help="take an asset out of the library")
    remove.add_argument("name")
    add_common(remove)
    remove.set_defaults(handler=run_command(run_remove))


def parse_titles(values: list[str] | None) -> dict[str, str] | None:
    """``["de=Sofa", "en=Sofa"]`` -> {"de": ..., "en": ...}; a bare text: key "" (all)."""
    if not values:
        return None
    out: dict[str, str] = {}
    for value in values:
        lang, sep, text = value.partition("=")
        if sep and len(lang) in (2, 3) and lang.isalpha():
            out[lang] = text.strip()
        else:
            out[""] = value.strip()
    if not all(out.values()):
        raise UsageError("--title: the text is empty")
    return out


def asset_json(asset: LibraryAsset) -> dict[str, Any]:
    return {
        "name": asset.name,
        "title": asset.title,
        "size_m": list(asset.size),
        "triangles": asset.triangles,
        "materials": asset.materials,
        "textures": [list(t) for t in asset.textures],
        "bytes": asset.bytes,
        "solid": asset.solid,
        "source": asset.source,
        "imported": asset.imported,
        "sha256": asset.sha256,
        "folder": str(asset.folder),
        "thumbnail": str(asset.thumbnail),
    }


def _size(asset: LibraryAsset) -> str:
    return " x ".join(f"{v:.2f}" for v in asset.size)


def run_import(args: argparse.Namespace) -> int:
    from tools.asset_import import STEPS, ImportOptions, import_asset
    from tools.progress import Progress

    site, _ = site_and_settings(args)
    options = ImportOptions(
        name=args.name,
        title=parse_titles(args.title),
        scale=args.scale,
        units=args.units,
        up=args.up,
        simplify=args.simplify,
        max_texture=args.max_texture,
        solid=args.solid,
        replace=args.replace,
        author=args.author or "",
    )
    progress = Progress.for_terminal(STEPS, "import", enabled=not args.quiet)
    try:
        report = import_asset(site, args.file, options, progress)
    finally:
        progress.finish()
    s = report.stats
    lines = [
        f"imported {report.asset.name} into {report.asset.folder} "
        f"({report.source_bytes / 1e3:,.0f} kB -> {s.bytes / 1e3:,.0f} kB) "
        f"in {report.seconds:.1f} s",
        f"  size {s.size[0]:.2f} x {s.size[1]:.2f} x {s.size[2]:.2f} m (width x height x depth), "
        f"{s.triangles:,} triangles, {s.materials} material(s), "
        + (
            "textures " + ", ".join(f"{w}x{h}" for w, h in s.textures)
            if s.textures
            else "no textures"
        ),
        f"  Khronos validator: original {report.original.line()}; result {report.result.line()}",
        *(f"  note: {n}" for n in report.notes),
        f"place it: hubtwin world place {report.asset.name} --room ROOM --at X,Z --yaw DEG",
    ]
    emit(args, report.to_json(), "\n".join(lines))
    return 0


def run_list(args: argparse.Namespace) -> int:
    site, _ = site_and_settings(args)
    assets = list_assets(site)
    rows = [
        [
            a.name,
            a.title.get(site.default_language, ""),
            _size(a),
            f"{a.triangles:,}",
            f"{a.bytes / 1e3:,.0f} kB",
            "solid" if a.solid else "walk over",
        ]
        for a in assets
    ]
    text = (
        table(["name", "title", "size m (w x h x d)", "triangles", "file", "people"], rows)
        if rows
        else "the library is empty; add a model with `hubtwin assets import FILE`"
    )
    emit(args, {"assets": [asset_json(a) for a in assets]}, text)
    return 0


def _placements(site: Any, name: str) -> list[str]:
    from world.layout_file import layout_path, read_layout

    return [p.id for p in read_layout(layout_path(site.path)).placements if p.asset == name]


def run_show(args: argparse.Namespace) -> int:
    site, _ = site_and_settings(args)
    asset = get_asset(site, args.name)
    placed = _placements(site, asset.name)
    meta = asset.meta
    lines = [
        f"{asset.name}: " + " / ".join(asset.title.values()),
        f"  size {_size(asset)} m (width x height x depth), "
        f"{'solid' if asset.solid else 'people walk over it'}",
        f"  {asset.triangles:,} triangles, {asset.materials} material(s), textures "
        + (", ".join(f"{w}x{h}" for w, h in asset.textures) or "none")
        + f", {asset.bytes / 1e3:,.0f} kB",
        f"  from {asset.source} ({meta.get('units', 'm')}, {meta.get('up', 'y')} up), "
        f"imported {asset.imported} by {meta.get('imported_by', '?')}",
        f"  files: {asset.folder}",
        "  placed in the draft: " + (", ".join(placed) if placed else "nowhere"),
        *(f"  note: {n}" for n in meta.get("notes", [])),
    ]
    emit(args, {"asset": asset_json(asset), "placed": placed}, "\n".join(lines))
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from tools.layout_edits import site_lock

    site, _ = site_and_settings(args)
    with site_lock(site):
        asset = get_asset(site, args.name)
        placed = _placements(site, asset.name)
        if placed:
            raise UsageError(
                f"{asset.name} is placed in the draft ({', '.join(placed)}); remove those "
                f"first (hubtwin world remove {placed[0]})"
            )
        gone = asset.folder.with_name(f".removed-{asset.name}-{os.getpid()}")
        os.replace(asset.folder, gone)
        shutil.rmtree(gone)
    emit(
        args,
        {"removed": asset.name},
        f"removed {asset.name} from the library (published versions keep their copy)",
    )
    return 0
