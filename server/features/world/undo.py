"""Undo and redo of staff layout edits, made of the same edit operations as the edits.

Every edit the staff edit endpoint makes is kept as an ``EditStep``: what it did and the
item before and after (``tools.layout_edits.EditResult``). Undoing a step is the opposite
edit through the same ``LayoutEditor`` (so the same placement checks apply): remove what was
placed or added, move back what was moved, put back what was removed. Redoing repeats it.
Each person has their own ``EditHistory``; another person's (or the command line's) edits
in between are left alone, and a step that no longer applies is refused with the reason.
The histories outlive a restart: ``histories_record`` and ``histories_from_record`` turn
them into plain data and back (the edit endpoint keeps them in a file beside the world).

>>> history = EditHistory()
>>> history.record(EditStep.of(editor.move("lab-3", at=(4.0, 1.3))))   # doctest: +SKIP
>>> history.undo(LayoutEditor(site)).item.at                            # doctest: +SKIP
(2.5, 1.3)
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tools.layout_edits import EditResult, LayoutEditor, LayoutItem
from tools.refusals import NothingToDo, PlacementRefused
from world.errors import HubError

HISTORY_LIMIT = 100


@dataclass(frozen=True)
class EditStep:
    """One edit: placed, added, moved or removed, with the item before and after."""

    action: str
    kind: str
    before: LayoutItem | None
    after: LayoutItem | None
    title: dict[str, str] | None = None  # a station's or board's whole title, all languages

    @classmethod
    def of(cls, result: EditResult, title: dict[str, str] | None = None) -> EditStep:
        item = result.item or result.before
        if item is None:
            raise ValueError("an edit result names no item")
        return cls(result.action, item.kind, result.before, result.item, title)

    def to_json(self) -> dict[str, Any]:
        item = self.after or self.before
        return {"action": self.action, "kind": self.kind, "id": item.id if item else None}

    def record(self) -> dict[str, Any]:
        """The step as plain data (``EditStep.from_record`` reads it back)."""
        return {
            "action": self.action,
            "kind": self.kind,
            "before": _item_record(self.before),
            "after": _item_record(self.after),
            "title": self.title,
        }

    @classmethod
    def from_record(cls, data: Any) -> EditStep:
        """A step from ``record``; ValueError when it is not one."""
        try:
            title = data.get("title")
            return cls(
                str(data["action"]),
                str(data["kind"]),
                _item_from(data.get("before")),
                _item_from(data.get("after")),
                {str(k): str(v) for k, v in title.items()} if title else None,
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not an edit step: {exc}") from None


def _item_record(item: LayoutItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "id": item.id,
        "kind": item.kind,
        "room": item.room,
        "at": list(item.at),
        "elevation": item.elevation,
        "facing": item.facing,
        "source": item.source,
        "state": item.state,
        "name": item.name,
        "size": list(item.size) if item.size is not None else None,
    }


def _item_from(data: Any) -> LayoutItem | None:
    if data is None:
        return None
    at = [float(v) for v in data["at"]]
    if len(at) != 2:
        raise ValueError("at must be two numbers")
    size = data.get("size")
    return LayoutItem(
        id=str(data["id"]),
        kind=str(data["kind"]),
        room=str(data["room"]),
        at=(at[0], at[1]),
        elevation=float(data["elevation"]),
        facing=float(data["facing"]),
        source=str(data["source"]),
        state=str(data["state"]),
        name=str(data["name"]),
        size=tuple(float(v) for v in size) if size is not None else None,
    )


def full_title(editor: LayoutEditor, item_id: str) -> dict[str, str] | None:
    """The title of an anchor or sign staff added, in every language (to put it back as it
    was)."""
    entry = next((a for a in editor.layout.anchors if a.id == item_id), None)
    if entry is None:
        sign = next((s for s in editor.layout.signs if s.id == item_id), None)
        return dict(sign.title) if sign is not None else None
    return dict(entry.title) if entry.title else None


def _place_as(editor: LayoutEditor, item: LayoutItem) -> EditResult:
    """Move ``item``'s id to where ``item`` says it stood."""
    return editor.move(
        item.id,
        at=item.at,
        elevation=item.elevation,
        facing=item.facing,
        room=item.room,
        kind=item.kind,
    )


def _put_back(editor: LayoutEditor, item: LayoutItem, title: dict[str, str] | None) -> EditResult:
    """Make a removed item stand again, as it stood."""
    if item.kind == "asset":
        return editor.place(
            item.name,
            item.room,
            item.at,
            elevation=item.elevation,
            facing=item.facing,
            item_id=item.id,
        )
    if item.source == "layout":
        size = (item.size[0], item.size[1]) if item.size is not None else None
        sign = item.kind == "sign"
        return editor.add(
            item.kind,
            item.room,
            item.at,
            elevation=item.elevation,
            facing=item.facing,
            item_id=item.id,
            size=None if sign else size,
            title=dict(title) if title else None,
            width=size[0] if sign and size else None,
        )
    # From building.toml: take it off the draft's removed list, then put it where it stood.
    layout = copy.deepcopy(editor.layout)
    if item.id not in layout.removed_anchors + layout.removed_furniture:
        raise NothingToDo(f"{item.id} is not removed in the draft")
    layout.removed_anchors = [i for i in layout.removed_anchors if i != item.id]
    layout.removed_furniture = [i for i in layout.removed_furniture if i != item.id]
    editor.replace_layout(layout)
    back = editor.item(item.id, item.kind)
    if (back.room, back.at, back.elevation, back.facing) == (
        item.room,
        item.at,
        item.elevation,
        item.facing,
    ):
        return EditResult("added", back, None)
    return _place_as(editor, item)


def undo_step(editor: LayoutEditor, step: EditStep) -> EditResult:
    """The opposite of ``step``, as an edit of the draft."""
    if step.action in ("placed", "added") and step.after is not None:
        return editor.remove(step.after.id, kind=step.kind)
    if step.action == "moved" and step.before is not None:
        return _place_as(editor, step.before)
    if step.action == "removed" and step.before is not None:
        return _put_back(editor, step.before, step.title)
    raise ValueError(f"cannot undo {step}")


def redo_step(editor: LayoutEditor, step: EditStep) -> EditResult:
    """``step`` again, as an edit of the draft."""
    if step.action in ("placed", "added") and step.after is not None:
        return _put_back(editor, step.after, step.title)
    if step.action == "moved" and step.after is not None:
        return _place_as(editor, step.after)
    if step.action == "removed" and step.before is not None:
        return editor.remove(step.before.id, kind=step.kind)
    raise ValueError(f"cannot redo {step}")


class EditHistory:
    """One person's edits, for undo and redo (the newest ``limit`` of them)."""

    def __init__(self, limit: int = HISTORY_LIMIT) -> None:
        self.limit = limit
        self.done: list[EditStep] = []
        self.undone: list[EditStep] = []

    def record(self, step: EditStep) -> None:
        """A new edit: it can be undone; what was undone before can no longer be redone."""
        self.done.append(step)
        del self.done[: -self.limit]
        self.undone.clear()

    def undo(self, editor: LayoutEditor) -> EditResult:
        if not self.done:
            raise NothingToDo("nothing to undo")
        result = self._apply(undo_step, editor, self.done)
        self.undone.append(self.done.pop())
        return result

    def redo(self, editor: LayoutEditor) -> EditResult:
        if not self.undone:
            raise NothingToDo("nothing to redo")
        result = self._apply(redo_step, editor, self.undone)
        self.done.append(self.undone.pop())
        return result

    @staticmethod
    def _apply(how: Any, editor: LayoutEditor, stack: list[EditStep]) -> EditResult:
        step = stack[-1]
        try:
            result: EditResult = how(editor, step)
        except PlacementRefused:
            raise  # the way is blocked now; it may be free again later
        except HubError as exc:
            stack.pop()  # the draft changed under it (the item is gone): it cannot apply
            raise NothingToDo(f"that edit no longer applies to the draft: {exc}") from None
        return result

    def counts(self) -> dict[str, int]:
        return {"undo": len(self.done), "redo": len(self.undone)}


def histories_record(histories: dict[str, EditHistory]) -> dict[str, Any]:
    """Everyone's histories as plain data (identity id -> done and undone steps)."""
    return {
        who: {
            "done": [step.record() for step in history.done],
            "undone": [step.record() for step in history.undone],
        }
        for who, history in sorted(histories.items())
        if history.done or history.undone
    }


def histories_from_record(data: Any) -> dict[str, EditHistory]:
    """Histories from ``histories_record``; a person's that cannot be read is left out."""
    out: dict[str, EditHistory] = {}
    if not isinstance(data, dict):
        return out
    for who, kept in data.items():
        history = EditHistory()
        try:
            history.done = [EditStep.from_record(step) for step in kept["done"]][-history.limit :]
            history.undone = [EditStep.from_record(step) for step in kept["undone"]]
        except (KeyError, TypeError, ValueError):
            continue
        out[str(who)] = history
    return out
