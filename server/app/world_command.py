"""``hubtwin world build | info | validate``: make, describe and check a hub model.

Every ``hubtwin`` command imports this module to build its parser, so the builder, loader
and checks (numpy, scipy, Pillow) are imported only inside the handlers that use them, and
an up-to-date model is recognised without them.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.app.cli_site import add_site_options
from server.base.settings import load_settings
from world.build_record import is_up_to_date
from world.errors import InputFileError
from world.site import load_site

if TYPE_CHECKING:
    from world.model import World


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "world", help="build, describe and check the hub's 3D model"
    )
    commands = parser.add_subparsers(dest="world_command", metavar="ACTION", required=True)

    build = commands.add_parser("build", help="build hub.glb from the site's building.toml")
    add_site_options(build)
    build.add_argument(
        "-o",
        "--output",
        type=Path,
        help="where to write the model (default: var/SITE/world/hub.glb)",
    )
    build.add_argument("--quiet", action="store_true", help="print nothing when all is well")
    build.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    build.set_defaults(handler=run_build)

    info = commands.add_parser(
        "info", help="list a model's rooms, spawn points, stations and screens"
    )
    info.add_argument(
        "file", nargs="?", type=Path, help="model file (default: the site's built model)"
    )
    info.add_argument("--site", type=Path, help="site folder whose built model to describe")
    info.set_defaults(handler=run_info)

    validate = commands.add_parser("validate", help="check a model against the hub conventions")
    validate.add_argument("file", type=Path, help="model file (.glb or .gltf)")
    validate.add_argument(
        "--no-khronos", action="store_true", help="skip the Khronos glTF validator"
    )
    validate.set_defaults(handler=run_validate)


def default_model_path(site: Path | None) -> Path:
    return load_settings({"site": site}).world_dir / "hub.glb"


def run_build(args: argparse.Namespace) -> int:
    out = args.output or default_model_path(args.site)
    site = load_site(args.site)
    if not args.force and is_up_to_date(site, out):
        if not args.quiet:
            print(f"up to date: {out}")
        return 0
    from world.builder import build_site

    report = build_site(site, out, force=args.force)
    if not args.quiet:
        if report.built and report.model is not None:
            m = report.model
            print(
                f"built {report.path} ({report.size / 1e6:.1f} MB, {m.triangles:,} triangles, "
                f"{m.spawns} spawn points, {m.anchors} anchors) in {report.seconds:.1f} s"
            )
        else:
            print(f"up to date: {report.path}")
    return 0


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(out)


def describe(world: World) -> str:
    """The text ``hubtwin world info`` prints."""
    parts = [f"{world.source}  (digest {world.digest[:16]})", ""]
    rows = []
    for room in world.rooms:
        extent = room.bounds_max - room.bounds_min
        rows.append(
            [
                room.id,
                room.kind,
                room.names.get("de", ""),
                room.names.get("en", ""),
                str(room.capacity),
                f"{extent[0]:.1f} x {extent[2]:.1f} x {extent[1]:.1f}",
                str(len(world.spawns_for(room.id))),
                "yes" if room.moderated else "",
                ", ".join(room.links),
            ]
        )
    parts.append(
        _table(
            [
                "room",
                "kind",
                "de",
                "en",
                "capacity",
                "size m (w x d x h)",
                "spawns",
                "moderated",
                "links",
            ],
            rows,
        )
    )
    for kind, title in (
        ("station", "stations"),
        ("screen", "screens"),
        ("stage", "stages"),
        ("booth", "booths"),
        ("board", "boards"),
    ):
        anchors = world.anchors_of(kind)
        if not anchors:
            continue
        rows = []
        for a in anchors:
            title_text = a.extras.get("title")
            label = (
                title_text.get("de", "") if isinstance(title_text, dict) else str(title_text or "")
            )
            size = f"{a.size[0]:.2f} x {a.size[1]:.2f}" if a.size else ""
            rows.append(
                [
                    a.id,
                    a.room_id,
                    f"{a.position[0]:.2f}, {a.position[1]:.2f}, {a.position[2]:.2f}",
                    f"{math.degrees(a.yaw) % 360:.0f}",
                    size,
                    label,
                ]
            )
        parts += ["", _table([title[:-1], "room", "position", "yaw°", "size m", "title"], rows)]
    parts += [
        "",
        f"{len(world.rooms)} rooms, {len(world.spawns)} spawn points, "
        f"{len(world.anchors)} anchors, {len(world.doors)} doors, "
        f"walkable floor {world.floor.walkable_area:.0f} m²",
    ]
    return "\n".join(parts)


def run_info(args: argparse.Namespace) -> int:
    from world.model import load

    path = args.file or default_model_path(args.site)
    if args.file is None and not path.is_file():
        raise InputFileError(f"{path}: not built yet; run `hubtwin world build` first")
    print(describe(load(path)))
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from world.checks import check_model

    result = check_model(args.file, run_khronos=not args.no_khronos)
    for problem in result.problems:
        print(f"{args.file}: {problem}")
    summary = f"{args.file}: {len(result.problems)} problem(s)"
    if result.khronos is not None:
        k = result.khronos
        summary += (
            f"; Khronos validator: {k.errors} errors, {k.warnings} warnings, "
            f"{k.infos} infos, {k.hints} hints"
        )
    print(summary)
    return 1 if result.problems else 0
