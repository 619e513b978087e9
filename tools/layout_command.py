"""``hubtwin world place | add | move | remove | list | diff | publish | history | rollback |
revert``: editing the room layout as a draft, and publishing it as numbered world versions.

These actions join the ``world`` command that server/app/world_command.py sets up (this module
registers after it). The work is done in tools/layout_edits.py (the edits, shared with the server's
edit endpoint) and tools/world_publish.py; this module reads the command line and prints
the answer: text, or JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from tools.command_output import add_common, emit, run_command, site_and_settings, table
from world.errors import UsageError
from world.toml_table import COMPASS

AFTER_EDIT = "draft saved; `hubtwin world diff` shows all edits, `hubtwin world publish -m …`"


def _world_actions(subparsers: Any) -> Any:
    world = subparsers.choices.get("world")
    if world is None:
        raise RuntimeError("server.app.world_command must register the world command first")
    for action in world._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise RuntimeError("the world command has no actions to join")


def _position_args(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--at",
        required=required,
        metavar="X,Z|X,Y,Z",
        help="metres from the room's north-west corner (x east, z south); "
        "y = height above the floor (default: on the floor)",
    )
    parser.add_argument(
        "--yaw",
        "--facing",
        dest="yaw",
        metavar="DEG",
        help="where its front looks: degrees (0 south, 90 east, 180 north, 270 west) "
        "or north/south/east/west",
    )


def register(subparsers: Any) -> None:
    actions = _world_actions(subparsers)

    place = actions.add_parser("place", help="put a library asset in a room (draft)")
    place.add_argument("asset", help="library name (`hubtwin assets list`)")
    place.add_argument("--room", required=True)
    _position_args(place, required=True)
    place.add_argument("--id", help="id of the placement (default: ASSET-N)")
    add_common(place)
    place.set_defaults(handler=run_command(run_place))

    add = actions.add_parser(
        "add", help="add a station, screen, board, spawn point or sign (draft)"
    )
    add.add_argument("kind", choices=("station", "screen", "board", "spawn", "sign"))
    add.add_argument("id", nargs="?", help="its id (default: made from the room)")
    add.add_argument("--room", required=True)
    _position_args(add, required=True)
    add.add_argument("--size", metavar="W,H", help="screens and boards: width,height in metres")
    add.add_argument(
        "--width", type=float, help="signs: width in metres (the height is a quarter of it)"
    )
    add.add_argument(
        "--title",
        action="append",
        metavar="[LANG=]TEXT",
        help="stations and boards: the sign, e.g. --title 'de=Wasser' --title 'en=Water'; "
        "signs: the lettering (the first language the big line, the second the small one)",
    )
    add_common(add)
    add.set_defaults(handler=run_command(run_add))

    move = actions.add_parser("move", help="move or turn anything in the rooms (draft)")
    move.add_argument("id")
    move.add_argument("--room", help="move it to another room (needs --at)")
    _position_args(move, required=False)
    move.add_argument("--kind", help="which thing, when the id is used twice")
    move.add_argument(
        "--to-wall",
        action="store_true",
        help="then put it with its back to the nearest wall, facing into the room",
    )
    add_common(move)
    move.set_defaults(handler=run_command(run_move))

    remove = actions.add_parser("remove", help="take anything out of the rooms (draft)")
    remove.add_argument("id")
    remove.add_argument("--kind", help="which thing, when the id is used twice")
    add_common(remove)
    remove.set_defaults(handler=run_command(run_remove))

    listing = actions.add_parser("list", help="what stands in the rooms (draft)")
    listing.add_argument("--room")
    listing.add_argument("--kind")
    add_common(listing)
    listing.set_defaults(handler=run_command(run_list))

    diff = actions.add_parser("diff", help="the draft against the published world")
    diff.add_argument(
        "--version",
        type=int,
        metavar="N",
        help="instead: what rolling back to version N would change (a preview of it)",
    )
    add_common(diff, data_dir=True)
    diff.set_defaults(handler=run_command(run_diff))

    check = actions.add_parser(
        "check", help="every draft edit through the placement checks (refusals and warnings)"
    )
    add_common(check)
    check.set_defaults(handler=run_command(run_check))

    publish = actions.add_parser("publish", help="make the draft the next world version")
    publish.add_argument("-m", "--message", required=True, help="what changed, for the history")
    publish.add_argument("--author", help="who publishes (default: your user name)")
    publish.add_argument(
        "--allow-unchanged", action="store_true", help="publish even if nothing changed"
    )
    publish.add_argument("--quiet", action="store_true", help="no progress bar")
    add_common(publish, data_dir=True)
    publish.set_defaults(handler=run_command(run_publish))

    history = actions.add_parser("history", help="the published world versions")
    add_common(history, data_dir=True)
    history.set_defaults(handler=run_command(run_history))

    rollback = actions.add_parser(
        "rollback", help="make an earlier version current again (as a new version)"
    )
    rollback.add_argument("version", type=int)
    rollback.add_argument("-m", "--message", help="why (default: roll back to version N)")
    rollback.add_argument("--author", help="who rolls back (default: your user name)")
    add_common(rollback, data_dir=True)
    rollback.set_defaults(handler=run_command(run_rollback))

    revert = actions.add_parser(
        "revert", help="undo draft edits (all, or one item's) back to the published version"
    )
    revert.add_argument("id", nargs="?", help="only this item's edits")
    add_common(revert, data_dir=True)
    revert.set_defaults(handler=run_command(run_revert))


# --- reading the command line -------------------------------------------------------------


def parse_at(text: str | None) -> tuple[tuple[float, float], float | None] | None:
    """ "3,4.5" -> ((3, 4.5), None); "3,0.45,4.5" -> ((3, 4.5), 0.45)."""
    if text is None:
        return None
    try:
        numbers = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        raise UsageError(f"--at {text!r}: give X,Z or X,Y,Z in metres, e.g. --at 3,4.5") from None
    if len(numbers) not in (2, 3) or not all(math.isfinite(v) for v in numbers):
        raise UsageError(f"--at {text!r}: give X,Z or X,Y,Z in metres, e.g. --at 3,4.5")
    if len(numbers) == 2:
        return (numbers[0], numbers[1]), None
    return (numbers[0], numbers[2]), numbers[1]


def parse_yaw(text: str | None) -> float | None:
    if text is None:
        return None
    if text.lower() in COMPASS:
        return COMPASS[text.lower()]
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--yaw {text!r}: degrees or north, south, east, west") from None
    if not math.isfinite(value):
        raise UsageError(f"--yaw {text!r}: degrees or north, south, east, west")
    return value % 360.0


def parse_size(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise UsageError(f"--size {text!r}: give WIDTH,HEIGHT in metres, e.g. 2.4,1.35") from None
    return (w, h)


# --- answering ----------------------------------------------------------------------------


def _editor(args: argparse.Namespace) -> Any:
    from tools.layout_edits import LayoutEditor

    site, _ = site_and_settings(args)
    return LayoutEditor(site)


def _describe(item: Any) -> str:
    name = f" ({item.name})" if item.name and item.kind in ("asset", "furniture") else ""
    title = f' "{item.name}"' if item.name and item.kind not in ("asset", "furniture") else ""
    height = f", {item.elevation:g} m up" if abs(item.elevation) > 1e-6 else ""
    return (
        f"{item.kind} {item.id}{name}{title} in {item.room} at {item.at[0]:.2f}, "
        f"{item.at[1]:.2f}{height}, facing {item.facing:g}°"
    )


def _edit_answer(args: argparse.Namespace, result: Any) -> int:
    if result.item is not None:
        line = f"{result.action} {_describe(result.item)}"
    else:
        line = f"{result.action} {_describe(result.before)}"
    text = "\n".join([line, *(f"warning: {w}" for w in result.warnings), AFTER_EDIT])
    emit(args, result.to_json(), text)
    return 0


def run_place(args: argparse.Namespace) -> int:
    at = parse_at(args.at)
    assert at is not None
    result = _editor(args).place(
        args.asset,
        args.room,
        at[0],
        elevation=at[1],
        facing=parse_yaw(args.yaw) or 0.0,
        item_id=args.id,
    )
    return _edit_answer(args, result)


def run_add(args: argparse.Namespace) -> int:
    from tools.assets_command import parse_titles

    at = parse_at(args.at)
    assert at is not None
    result = _editor(args).add(
        args.kind,
        args.room,
        at[0],
        elevation=at[1],
        facing=parse_yaw(args.yaw) or 0.0,
        item_id=args.id,
        size=parse_size(args.size),
        title=parse_titles(args.title),
        width=args.width,
    )
    return _edit_answer(args, result)


def run_move(args: argparse.Namespace) -> int:
    at = parse_at(args.at)
    result = _editor(args).move(
        args.id,
        at=at[0] if at else None,
        elevation=at[1] if at else None,
        facing=parse_yaw(args.yaw),
        room=args.room,
        kind=args.kind,
        to_wall=args.to_wall,
    )
    return _edit_answer(args, result)


def run_remove(args: argparse.Namespace) -> int:
    return _edit_answer(args, _editor(args).remove(args.id, kind=args.kind))


def run_list(args: argparse.Namespace) -> int:
    editor = _editor(args)
    items = editor.items(room=args.room, kind=args.kind)
    automatic = editor.automatic_spawn_rooms()
    rows = [
        [
            i.id,
            i.kind,
            i.room,
            f"{i.at[0]:.2f}, {i.at[1]:.2f}",
            f"{i.elevation:g}",
            f"{i.facing:g}",
            i.state,
            i.name,
        ]
        for i in items
    ]
    lines = [table(["id", "kind", "room", "at (x, z)", "y", "facing°", "draft", "what"], rows)]
    shown = {args.room} if args.room else set(automatic)
    auto = [f"{room} {count}" for room, count in automatic.items() if room in shown]
    if auto and args.kind in (None, "spawn"):
        lines.append(f"automatic spawn points: {', '.join(auto)}")
    emit(
        args,
        {"items": [i.to_json() for i in items], "automatic_spawns": automatic},
        "\n".join(lines),
    )
    return 0


def _version_line(version: Any) -> str:
    meta = version.meta
    return (
        f'version {version.number} ("{meta.get("message", "")}", {meta.get("author", "?")}, '
        f"{meta.get('time', '?')})"
    )


def run_diff(args: argparse.Namespace) -> int:
    from tools.world_publish import draft_changes, version_changes

    site, settings = site_and_settings(args)
    if args.version is not None:
        old, back = version_changes(settings.world_dir, args.version)
        head = f"rolling back to {_version_line(old)} would change:"
        text = (
            "\n".join([head, *(c.text for c in back)])
            if back
            else (f"{_version_line(old)} is the world as it is now")
        )
        emit(
            args,
            {
                "version": old.number,
                "meta": old.meta,
                "changes": [c.to_json() for c in back],
            },
            text,
        )
        return 0
    version, changes = draft_changes(site, settings.world_dir)
    base = _version_line(version) if version else "building.toml (nothing published yet)"
    if changes:
        text = "\n".join([f"draft against {base}:", *(c.text for c in changes)])
    else:
        text = f"no changes: the draft matches {base}"
    emit(
        args,
        {
            "base": version.number if version else None,
            "changes": [c.to_json() for c in changes],
        },
        text,
    )
    return 0


def run_check(args: argparse.Namespace) -> int:
    from tools.world_publish import draft_checks

    site, _ = site_and_settings(args)
    checks = draft_checks(site)
    lines = []
    for check in checks:
        if check.refused:
            lines.append(f"refused  {check.kind} {check.id}: {check.refused}")
        for warning in check.warnings:
            lines.append(f"warning  {check.kind} {check.id}: {warning}")
    refused = sum(1 for c in checks if c.refused)
    lines.append(
        f"{len(checks)} edit(s) checked: {refused} refused, "
        f"{sum(len(c.warnings) for c in checks)} warning(s)"
    )
    emit(args, {"checks": [c.to_json() for c in checks], "refused": refused}, "\n".join(lines))
    return 0


def run_publish(args: argparse.Namespace) -> int:
    from tools.progress import Progress
    from tools.world_publish import publish

    site, settings = site_and_settings(args)
    progress = Progress.for_terminal(6, "publish", enabled=not args.quiet)
    try:
        result = publish(
            site,
            settings.world_dir,
            args.message,
            author=args.author,
            allow_unchanged=args.allow_unchanged,
            progress=progress,
        )
    finally:
        progress.finish()
    meta = result.version.meta
    text = "\n".join(
        [
            f"published {_version_line(result.version)}: {len(result.changes)} change(s), "
            f"{meta['bytes'] / 1e6:.1f} MB, {meta['triangles']:,} triangles, "
            f"sha256 {meta['sha256'][:12]}, in {result.seconds:.1f} s",
            *(f"  {c.text}" for c in result.changes),
            f"it is now current ({result.version.model})",
        ]
    )
    emit(args, result.to_json(), text)
    return 0


def run_history(args: argparse.Namespace) -> int:
    from tools.world_publish import history

    _, settings = site_and_settings(args)
    entries = history(settings.world_dir)
    rows = []
    for entry in entries:
        meta = entry.version.meta
        message = str(meta.get("message", ""))
        if meta.get("kind") == "rollback":
            message = f"[restores {meta.get('restores')}] {message}"
        rows.append(
            [
                f"{'*' if entry.current else ' '} {entry.version.number}",
                str(meta.get("time", "")),
                str(meta.get("author") or ""),
                str(meta.get("sha256", ""))[:12],
                message,
            ]
        )
    text = (
        table(["version", "time", "author", "sha256", "message"], rows) + "\n* = current"
        if rows
        else "nothing published yet: `hubtwin world publish -m …` makes version 1"
    )
    emit(args, {"versions": [e.to_json() for e in entries]}, text)
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    from tools.world_publish import rollback

    site, settings = site_and_settings(args)
    result = rollback(site, settings.world_dir, args.version, args.message, author=args.author)
    text = "\n".join(
        [
            f"version {result.version.number} restores version {args.version} and is now current",
            *(f"  {c.text}" for c in result.changes),
            "the draft is unchanged: `hubtwin world revert` makes it match the restored version",
        ]
    )
    emit(args, result.to_json(), text)
    return 0


def run_revert(args: argparse.Namespace) -> int:
    from tools.world_publish import revert_draft

    site, settings = site_and_settings(args)
    undone = revert_draft(site, settings.world_dir, args.id)
    what = f"{args.id}'s edits" if args.id else "the draft"
    text = (
        "\n".join(
            [f"reverted {what} ({len(undone)} change(s) undone):", *(f"  {c.text}" for c in undone)]
        )
        if undone
        else f"nothing to revert: {what} already matches the published version"
    )
    emit(args, {"undone": [c.to_json() for c in undone]}, text)
    return 0
