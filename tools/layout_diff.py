"""What a draft changes against a published version, item by item.

``snapshot`` describes a draft as plain data (every item with room, position and facing;
the rooms and doors; the library models used, by checksum); each published version keeps
its snapshot, so ``diff`` can compare the draft with it without rebuilding anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from tools.layout_edits import items_of
from world.site import Site
from world.staff_layout import StaffLayout

SNAPSHOT_FORMAT = 1
MOVE_TOLERANCE = 0.0005


@dataclass(frozen=True)
class Change:
    change: str  # added, removed, moved, changed
    kind: str  # an item kind, or "room", "door", "model", "file"
    id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "kind": self.kind,
            "id": self.id,
            "before": self.before,
            "after": self.after,
            "text": self.text,
        }


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot(site: Site, staff: StaffLayout) -> dict[str, Any]:
    """The draft as plain data (JSON-ready)."""
    plan = staff.plan
    items = {f"{i.kind}:{i.id}": i.to_json() for i in items_of(staff, site.default_language)}
    set_by_staff = {s.room for s in staff.spawns}
    return {
        "format": SNAPSHOT_FORMAT,
        "items": items,
        "rooms": {
            r.id: {
                "x": [r.x0, r.x1],
                "z": [r.z0, r.z1],
                "height": r.height,
                "floor": r.floor,
                "names": r.names,
                "capacity": r.capacity,
            }
            for r in plan.rooms
        },
        "doors": {
            d.id: {"rooms": list(d.rooms), "x": d.x, "z": d.z, "width": d.width} for d in plan.doors
        },
        "models": {p.asset.name: p.asset.sha256 for p in staff.placements},
        "automatic_spawns": {r.id: r.spawns for r in plan.rooms if r.id not in set_by_staff},
        "building_sha256": _sha(plan.path.read_bytes()) if plan.path.is_file() else "",
    }


def _where(item: dict[str, Any]) -> str:
    x, z = item["at"]
    return f"{item['room']} at {x:.2f}, {z:.2f}"


def _label(item: dict[str, Any]) -> str:
    name = item.get("name") or ""
    named = f" ({name})" if name and item["kind"] in ("asset", "furniture") else ""
    titled = f' "{name}"' if name and item["kind"] not in ("asset", "furniture") else ""
    return f"{item['kind']} {item['id']}{named}{titled}"


def _item_change(key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> Change | None:
    kind, _, item_id = key.partition(":")
    if old is None and new is not None:
        text = f"+ {_label(new)} in {_where(new)}, facing {new['facing']:g}°"
        return Change("added", kind, item_id, None, new, text)
    if new is None and old is not None:
        return Change("removed", kind, item_id, old, None, f"- {_label(old)} from {old['room']}")
    assert old is not None and new is not None
    parts = []
    moved = old["room"] != new["room"] or any(
        abs(a - b) > MOVE_TOLERANCE for a, b in zip(old["at"], new["at"], strict=True)
    )
    if moved:
        parts.append(f"moved from {_where(old)} to {_where(new)}")
    if abs(old["elevation"] - new["elevation"]) > MOVE_TOLERANCE:
        parts.append(f"height {old['elevation']:g} → {new['elevation']:g} m")
    if abs(old["facing"] - new["facing"]) > 0.05:
        parts.append(f"turned {old['facing']:g}° → {new['facing']:g}°")
    placed_anew = bool(parts)
    others = [k for k in ("name", "size") if old.get(k) != new.get(k)]
    if others:
        parts.append(f"{' and '.join(others)} changed")
    if not parts:
        return None
    change = "moved" if placed_anew else "changed"
    return Change(change, kind, item_id, old, new, f"~ {_label(new)}: {'; '.join(parts)}")


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Every difference between two snapshots, items first, in a stable order."""
    changes: list[Change] = []
    old_items, new_items = before.get("items", {}), after.get("items", {})
    for key in sorted(set(old_items) | set(new_items)):
        change = _item_change(key, old_items.get(key), new_items.get(key))
        if change is not None:
            changes.append(change)
    for section, kind in (("rooms", "room"), ("doors", "door")):
        old, new = before.get(section, {}), after.get(section, {})
        for key in sorted(set(old) | set(new)):
            if key not in old:
                changes.append(Change("added", kind, key, None, new[key], f"+ {kind} {key}"))
            elif key not in new:
                changes.append(Change("removed", kind, key, old[key], None, f"- {kind} {key}"))
            elif old[key] != new[key]:
                what = ", ".join(k for k in new[key] if old[key].get(k) != new[key][k])
                changes.append(
                    Change("changed", kind, key, old[key], new[key], f"~ {kind} {key}: {what}")
                )
    old_models, new_models = before.get("models", {}), after.get("models", {})
    for name in sorted(set(old_models) & set(new_models)):
        if old_models[name] != new_models[name]:
            changes.append(
                Change(
                    "changed",
                    "model",
                    name,
                    {"sha256": old_models[name]},
                    {"sha256": new_models[name]},
                    f"~ library model {name} was imported again",
                )
            )
    old_auto, new_auto = before.get("automatic_spawns", {}), after.get("automatic_spawns", {})
    for room in sorted(set(old_auto) ^ set(new_auto)):
        text = (
            f"~ spawn points in {room}: staff's instead of {old_auto[room]} automatic"
            if room in old_auto
            else f"~ spawn points in {room}: {new_auto[room]} automatic again"
        )
        changes.append(Change("changed", "spawns", room, None, None, text))
    if (
        before.get("building_sha256")
        and before.get("building_sha256") != after.get("building_sha256")
        and not any(c.kind in ("room", "door") for c in changes)
    ):
        changes.append(
            Change("changed", "file", "building.toml", None, None, "~ building.toml was edited")
        )
    return changes
