"""Publishing the draft as a numbered world version, rolling back, and the history.

``publish`` builds the draft (building.toml + layout.toml + library), checks it (every staff
edit still fits, the model loads, the Khronos validator finds no errors), and writes a new
version folder ``versions/NNNN/`` (hub.glb, meta.json, snapshot.json and copies of the
building and layout files). It writes under a temporary name, syncs every file, renames the
folder into place, and only then replaces the ``versions/current`` pointer (itself written
aside, synced and renamed over). A crash at any moment leaves the previous version current
and whole; a half-written folder is never named like a version, and the next publish clears
it away. The first publish also keeps version 0, the world as the site folder builds it
before any staff edit, so that can be gone back to too. ``rollback`` makes an older version
current again by publishing a copy of it as a new version, so history only ever grows. One
publish at a time: the versions folder is locked. ``world/versions.py`` is the reading side
the server uses.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import getpass
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tools.layout_diff import Change, diff, snapshot
from tools.layout_edits import LayoutEditor, site_lock
from tools.placement_checks import DraftScene
from tools.progress import Progress
from tools.refusals import ModelInvalid, NothingToDo, PlacementRefused
from world.build_record import BUILDER_VERSION
from world.building import load_building
from world.errors import HubError, InputFileError, UsageError
from world.khronos import validate_file
from world.layout_file import LAYOUT_FILE, Layout, layout_path, read_layout
from world.site import Site
from world.staff_layout import StaffLayout, staff_layout
from world.versions import (
    CURRENT_FILE,
    META_FILE,
    MODEL_FILE,
    NUMBER,
    WorldVersion,
    current_version,
    folder_name,
    list_versions,
    read_version,
    versions_dir,
)

SNAPSHOT_FILE = "snapshot.json"
BUILDING_COPY = "building.toml"
LOCK_FILE = ".lock"
WORK_PREFIX = ".publishing-"
INTERRUPTED_PREFIX = ".interrupted-"
# Test hook: when set to a stage name ("checking" = the built model written aside for the
# validator, "written" = files in the work folder, "renamed" = folder in place, pointer not
# yet switched), publishing stops there until killed.
PAUSE_ENV = "HUBTWIN_TEST_PUBLISH_PAUSE"


@dataclass
class PublishResult:
    version: WorldVersion
    changes: list[Change] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version.number,
            "folder": str(self.version.folder),
            "meta": self.version.meta,
            "changes": [c.to_json() for c in self.changes],
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class HistoryEntry:
    version: WorldVersion
    current: bool

    def to_json(self) -> dict[str, Any]:
        meta = self.version.meta
        return {
            "version": self.version.number,
            "current": self.current,
            "kind": meta.get("kind"),
            "message": meta.get("message"),
            "author": meta.get("author"),
            "time": meta.get("time"),
            "sha256": meta.get("sha256"),
            "parent": meta.get("parent"),
            "restores": meta.get("restores"),
            "bytes": meta.get("bytes"),
            "changes": len(meta.get("changes", [])),
        }


def _pause(stage: str) -> None:
    if os.environ.get(PAUSE_ENV) == stage:
        sys.stderr.write(f"publish paused at {stage}\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _versions_lock(world_dir: Path) -> Iterator[Path]:
    folder = versions_dir(world_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputFileError(f"{folder}: cannot use the versions folder: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        _tidy(folder)
        yield folder
    finally:
        os.close(fd)


def _tidy(folder: Path) -> None:
    """Clear what an interrupted publish left: its work folder or model under check, a
    pointer written aside, a version never made current."""
    for child in folder.iterdir():
        aside = child.name.startswith(f".{CURRENT_FILE}.") and child.name.endswith(".tmp")
        if child.name.startswith(WORK_PREFIX) or aside:
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
    current = current_version(folder.parent)
    for version in list_versions(folder.parent):
        if current is None or version.number > current.number:
            os.replace(version.folder, folder / f"{INTERRUPTED_PREFIX}{version.folder.name}")


def _next_number(folder: Path) -> int:
    numbers = [0]
    for child in folder.iterdir():
        name = child.name.removeprefix(INTERRUPTED_PREFIX)
        if NUMBER.match(name):
            numbers.append(int(name))
    return max(numbers) + 1


def _switch_current(folder: Path, number: int) -> None:
    tmp = folder / f".{CURRENT_FILE}.{os.getpid()}.tmp"
    _write(tmp, f"{folder_name(number)}\n".encode("ascii"))
    os.replace(tmp, folder / CURRENT_FILE)
    _fsync_dir(folder)


def _store_version(
    folder: Path,
    number: int,
    files: dict[str, bytes],
    meta: dict[str, Any],
    *,
    make_current: bool = True,
) -> WorldVersion:
    """Write a version folder whole, under a work name, then rename it into place and (with
    ``make_current``) make it the current one."""
    work = folder / f"{WORK_PREFIX}{folder_name(number)}-{os.getpid()}"
    work.mkdir()
    for name, data in files.items():
        _write(work / name, data)
    _write(work / META_FILE, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
    _fsync_dir(work)
    _pause("written")
    final = folder / folder_name(number)
    os.replace(work, final)
    _fsync_dir(folder)
    _pause("renamed")
    if make_current:
        _switch_current(folder, number)
    version = read_version(final)
    if version is None:
        raise HubError(f"{final}: the new version cannot be read back")
    return version


def _published_by(version: WorldVersion) -> str:
    """``(published 2026-05-04 18:20 UTC by Anna: "New sofa")``: whoever repeats a publish
    whose answer they lost learns that it is done."""
    meta = version.meta
    try:
        when = datetime.datetime.fromisoformat(str(meta.get("time"))).strftime("%Y-%m-%d %H:%M")
        when += " UTC"
    except ValueError:
        when = ""
    author = meta.get("author")
    said = str(meta.get("message") or "")
    said = said if len(said) <= 60 else said[:57] + "..."
    kind = "rolled back" if meta.get("kind") == "rollback" else "published"
    parts = [kind, when, f"by {author}" if author else ""]
    text = " ".join(p for p in parts if p)
    return f' ({text}: "{said}")' if said else f" ({text})"


def draft_state(site: Site) -> tuple[StaffLayout, dict[str, Any]]:
    """The draft as the builder will see it, and its snapshot."""
    plan = load_building(site.building_file, site.languages)
    staff = staff_layout(site, plan)
    return staff, snapshot(site, staff)


def published_snapshot(site: Site, world_dir: Path) -> tuple[WorldVersion | None, dict[str, Any]]:
    """The current version and its snapshot; with none published, building.toml unedited."""
    version = current_version(world_dir)
    if version is not None:
        try:
            return version, orjson.loads((version.folder / SNAPSHOT_FILE).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            raise InputFileError(
                f"{version.folder}: {SNAPSHOT_FILE} is missing or broken"
            ) from None
    plan = load_building(site.building_file, site.languages)
    return None, snapshot(site, staff_layout(site, plan, Layout(layout_path(site.path))))


def draft_changes(site: Site, world_dir: Path) -> tuple[WorldVersion | None, list[Change]]:
    """What publishing now would change, against the current version."""
    version, before = published_snapshot(site, world_dir)
    _, after = draft_state(site)
    return version, diff(before, after)


@dataclass(frozen=True)
class EditCheck:
    """How one staff edit of the draft fares in the checks publishing runs."""

    kind: str
    id: str
    refused: str | None  # the refusal's sentence, or None when it passes
    reason: str | None
    warnings: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "ok": self.refused is None,
            "refused": self.refused,
            "reason": self.reason,
            "warnings": self.warnings,
        }


def _edited(staff: StaffLayout) -> list[tuple[str, str]]:
    layout = staff.layout
    kinds = {a.id: a.kind for a in staff.plan.anchors}
    return (
        [("asset", p.id) for p in layout.placements]
        + [(kinds[a.id], a.id) for a in layout.anchors if a.id in kinds]
        + [("furniture", f.id) for f in layout.furniture]
        + [("spawn", s.id) for s in layout.spawns]
        + [("sign", s.id) for s in layout.signs]
    )


def draft_checks(site: Site) -> list[EditCheck]:
    """Every staff edit of the draft through the placement checks, refusals and warnings
    (overlaps) alike: what ``publish`` would refuse, and what it would let through."""
    staff, _ = draft_state(site)
    scene = DraftScene(staff)
    out = []
    for kind, item_id in _edited(staff):
        try:
            outcome = scene.check(kind, item_id)
        except PlacementRefused as exc:
            out.append(EditCheck(kind, item_id, str(exc), exc.reason, []))
        else:
            out.append(EditCheck(kind, item_id, None, None, outcome.warnings))
    return out


def version_changes(world_dir: Path, number: int) -> tuple[WorldVersion, list[Change]]:
    """Version ``number`` and what rolling back to it would change against the current one
    (a preview of that version)."""
    version = read_version(versions_dir(world_dir) / folder_name(number))
    if version is None:
        known = ", ".join(str(v.number) for v in list_versions(world_dir)) or "none"
        raise UsageError(f"no version {number} (versions: {known})")
    current = current_version(world_dir)

    def snapshot_of(v: WorldVersion | None) -> dict[str, Any]:
        if v is None:
            return {}
        try:
            return dict(orjson.loads((v.folder / SNAPSHOT_FILE).read_bytes()))
        except (OSError, orjson.JSONDecodeError):
            raise InputFileError(f"{v.folder}: {SNAPSHOT_FILE} is missing or broken") from None

    return version, diff(snapshot_of(current), snapshot_of(version))


def check_edits(staff: StaffLayout) -> None:
    """Every staff edit must still fit (building.toml may have changed under it)."""
    scene = DraftScene(staff)
    layout = staff.layout
    kinds = {a.id: a.kind for a in staff.plan.anchors}
    checks = (
        [("asset", p.id) for p in layout.placements]
        + [(kinds[a.id], a.id) for a in layout.anchors if a.id in kinds]
        + [("furniture", f.id) for f in layout.furniture]
        + [("spawn", s.id) for s in layout.spawns]
        + [("sign", s.id) for s in layout.signs]
    )
    for kind, item_id in checks:
        try:
            scene.check(kind, item_id)
        except PlacementRefused as exc:
            raise PlacementRefused(
                f"cannot publish: {exc} (move or remove it first)", reason=exc.reason
            ) from None


def publish(
    site: Site,
    world_dir: Path,
    message: str,
    *,
    author: str | None = None,
    allow_unchanged: bool = False,
    progress: Progress | None = None,
) -> PublishResult:
    """Build, check and publish the draft as the next version, and make it current."""
    from world.builder import build_model
    from world.model import load

    started = time.perf_counter()
    progress = progress or Progress.silent()
    message = message.strip()
    if not message:
        raise UsageError('publish needs a message: -m "what changed"')
    with site_lock(site), _versions_lock(world_dir) as folder:
        progress.step("reading the draft")
        staff, after = draft_state(site)
        current = current_version(world_dir)
        _, before = published_snapshot(site, world_dir)
        changes = diff(before, after)
        progress.step("checking placements")
        check_edits(staff)
        progress.step("building")
        model = build_model(staff.plan, site, staff)
        sha = hashlib.sha256(model.glb).hexdigest()
        if current is not None and current.sha256 == sha and not allow_unchanged:
            raise NothingToDo(
                f"nothing to publish: the draft builds exactly version {current.number}"
                + _published_by(current)
            )
        progress.step("loading it as the server will")
        load(model.glb)
        progress.step("Khronos validator")
        work_model = folder / f"{WORK_PREFIX}check-{os.getpid()}.glb"
        try:
            _write(work_model, model.glb)
            _pause("checking")
            report = validate_file(work_model)
        finally:
            work_model.unlink(missing_ok=True)
        if report.errors:
            first = next((str(m) for m in report.messages if m.severity == "error"), "?")
            raise ModelInvalid(
                f"cannot publish: the built model has {report.errors} Khronos validator "
                f"error(s) (first: {first})"
            )
        if current is None:
            progress.step("keeping the world as built, version 0")
            current = _store_built(site, folder, before)
        progress.step("writing the version")
        number = _next_number(folder)
        layout_file = layout_path(site.path)
        files = {
            MODEL_FILE: model.glb,
            SNAPSHOT_FILE: orjson.dumps(after, option=orjson.OPT_INDENT_2),
            BUILDING_COPY: site.building_file.read_bytes(),
        }
        if layout_file.is_file():
            files[LAYOUT_FILE] = layout_file.read_bytes()
        meta = {
            "number": number,
            "kind": "publish",
            "message": message,
            "author": author or getpass.getuser(),
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "parent": current.number if current else None,
            "restores": None,
            "sha256": sha,
            "bytes": len(model.glb),
            "triangles": model.triangles,
            "site": site.id,
            "builder": BUILDER_VERSION,
            "khronos": {
                "errors": report.errors,
                "warnings": report.warnings,
                "infos": report.infos,
                "hints": report.hints,
            },
            "changes": [c.text for c in changes],
        }
        version = _store_version(folder, number, files, meta)
    progress.finish()
    return PublishResult(version, changes, time.perf_counter() - started)


def _store_built(site: Site, folder: Path, before: dict[str, Any]) -> WorldVersion:
    """Version 0: the world as the site folder builds it before any staff edit, kept with
    the first publish so that staff can roll back to it."""
    from world.builder import build_model

    plan = load_building(site.building_file, site.languages)
    model = build_model(plan, site, staff_layout(site, plan, Layout(layout_path(site.path))))
    meta = {
        "number": 0,
        "kind": "built",
        "message": "wie aus dem Standortordner gebaut / as built from the site folder",
        "author": None,
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "parent": None,
        "restores": None,
        "sha256": hashlib.sha256(model.glb).hexdigest(),
        "bytes": len(model.glb),
        "triangles": model.triangles,
        "site": site.id,
        "builder": BUILDER_VERSION,
        "changes": [],
    }
    files = {
        MODEL_FILE: model.glb,
        SNAPSHOT_FILE: orjson.dumps(before, option=orjson.OPT_INDENT_2),
        BUILDING_COPY: site.building_file.read_bytes(),
    }
    # kept, never made current: hubs watching the pointer would switch to it and announce it
    # before the publish makes its own version current a moment later
    return _store_version(folder, 0, files, meta, make_current=False)


def rollback(
    site: Site,
    world_dir: Path,
    number: int,
    message: str | None = None,
    *,
    author: str | None = None,
) -> PublishResult:
    """Make version ``number`` current again, as a new version that copies it."""
    started = time.perf_counter()
    with _versions_lock(world_dir) as folder:
        old = read_version(folder / folder_name(number))
        if old is None:
            known = ", ".join(str(v.number) for v in list_versions(world_dir)) or "none"
            raise UsageError(f"no version {number} (versions: {known})")
        current = current_version(world_dir)
        if current is not None and current.sha256 == old.sha256:
            raise NothingToDo(
                f"version {number} is what is live already (version {current.number})"
            )
        files = {}
        for name in (MODEL_FILE, SNAPSHOT_FILE, BUILDING_COPY, LAYOUT_FILE):
            path = old.folder / name
            if path.is_file():
                files[name] = path.read_bytes()
        if hashlib.sha256(files[MODEL_FILE]).hexdigest() != old.sha256:
            raise ModelInvalid(f"{old.model}: its checksum does not match meta.json; not restored")
        new_number = _next_number(folder)
        meta = dict(old.meta)
        meta.update(
            number=new_number,
            kind="rollback",
            message=message or f"roll back to version {number}",
            author=author or getpass.getuser(),
            time=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            parent=current.number if current else None,
            restores=number,
            changes=[],
        )
        version = _store_version(folder, new_number, files, meta)
    before = {}
    if current is not None:
        with contextlib.suppress(OSError, orjson.JSONDecodeError):
            before = orjson.loads((current.folder / SNAPSHOT_FILE).read_bytes())
    after = orjson.loads(files[SNAPSHOT_FILE]) if SNAPSHOT_FILE in files else {}
    return PublishResult(version, diff(before, after), time.perf_counter() - started)


def history(world_dir: Path) -> list[HistoryEntry]:
    """Every version, newest first, marking the current one."""
    current = current_version(world_dir)
    return [
        HistoryEntry(v, current is not None and v.number == current.number)
        for v in reversed(list_versions(world_dir))
    ]


def revert_draft(site: Site, world_dir: Path, item_id: str | None = None) -> list[Change]:
    """Undo draft edits: all of them, or those of one item, back to the current version.

    Returns what the draft changed from (the draft's changes that were undone).
    """
    version = current_version(world_dir)
    published = Layout(layout_path(site.path))
    if version is not None and (version.folder / LAYOUT_FILE).is_file():
        copy_path = version.folder / LAYOUT_FILE
        published = read_layout(copy_path)
        published.path = layout_path(site.path)
    _, undone = draft_changes(site, world_dir)
    editor = LayoutEditor(site)
    if item_id is None:
        editor.replace_layout(published)
        return undone
    draft = editor.layout
    touched = [c for c in undone if c.id == item_id]
    if not touched:
        raise NothingToDo(f"the draft does not change {item_id}")

    def keep(entries: list[Any], theirs: list[Any]) -> list[Any]:
        return [e for e in entries if e.id != item_id] + [e for e in theirs if e.id == item_id]

    draft.placements = keep(draft.placements, published.placements)
    draft.anchors = keep(draft.anchors, published.anchors)
    draft.furniture = keep(draft.furniture, published.furniture)
    draft.spawns = keep(draft.spawns, published.spawns)
    for mine, theirs in (
        (draft.removed_anchors, published.removed_anchors),
        (draft.removed_furniture, published.removed_furniture),
    ):
        if item_id in mine and item_id not in theirs:
            mine.remove(item_id)
        elif item_id in theirs and item_id not in mine:
            mine.append(item_id)
    editor.replace_layout(draft)
    return touched
