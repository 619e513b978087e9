"""The shared board of a workshop: sticky notes in columns, their groups and dots (no I/O).

Every workshop has one ``WorkshopBoards``: the main room's board (group ``MAIN``) and one
board per breakout group (its group number, as ``workshop_state.group`` counts them), with
settings the facilitators set for all of them at once: the columns' names, whether the
boards are locked, whether authors are shown, and how many dots each person has per board.

The rules, all decided here:

- anyone at a board adds notes (plain text, at most ``MAX_NOTE_CHARS``; a board holds at
  most ``MAX_NOTES``), moves any note to another column or place, puts it into a named
  group (``label``) and gives it a dot (one per note, at most ``settings.dots`` per board);
- only the author edits a note's text; the author or a facilitator deletes it;
- a locked board takes nothing from participants; facilitators still arrange it;
- ``merge`` brings the breakout groups' notes onto the main board (each note keeps its
  author and dots and says which group it came from); the group boards are then empty.

Every refusal is a ``BoardError`` with a protocol error code. ``document`` and
``from_document`` are what is kept across restarts (JSON-ready); ``notes_by`` and
``without_person`` serve the GDPR export and erasure.

>>> boards = WorkshopBoards("w1", "Klimabilanz")
>>> note = boards.add(MAIN, Author("p1", "Ada"), 0, "LED-Beleuchtung", now=1.0)
>>> boards.vote(MAIN, Author("p2", "Bo"), note.id, True, now=2.0).dots
1
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from server.base.live_state import BOARD
from server.base.text_rules import ChatRefused, clean_text

MAIN: Final = -1
"""The group number of the main room's board (breakout groups count from 0)."""
#: The kind of live document a workshop's boards are kept as (the store's ``live_state``).
LIVE_KIND: Final = BOARD
MAX_NOTES: Final = 200
MAX_NOTE_CHARS: Final = 280
MAX_COLUMNS: Final = 6
MAX_COLUMN_CHARS: Final = 40
MAX_LABEL_CHARS: Final = 40
MAX_DOTS: Final = 20
DEFAULT_DOTS: Final = 5
DEFAULT_COLUMNS: Final = ("Ideen", "Maßnahmen", "Nächste Schritte")


class BoardError(Exception):
    """A board action that is refused; ``code`` is a protocol error code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Author:
    """Who acts on a board: their identity id, display name and whether they lead here."""

    id: str
    name: str
    leads: bool = False


@dataclass
class Note:
    """One sticky note."""

    id: str
    column: int
    text: str
    author_id: str
    author_name: str
    created: float
    edited: float | None = None
    label: str = ""
    #: the breakout group it was written in (``MAIN``: the main room)
    origin: int = MAIN
    voters: list[str] = field(default_factory=list)

    @property
    def dots(self) -> int:
        return len(self.voters)

    def view(self, viewer: str, authors_shown: bool, leads: bool) -> dict[str, Any]:
        """The note as one person at the board sees it (authors hidden but to facilitators
        and to the author)."""
        mine = viewer == self.author_id
        return {
            "id": self.id,
            "column": self.column,
            "text": self.text,
            "label": self.label,
            "origin": self.origin,
            "by": self.author_name if authors_shown or leads or mine else None,
            "mine": mine,
            "dots": self.dots,
            "voted": viewer in self.voters,
            "created": self.created,
            "edited": self.edited,
        }

    def as_record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "column": self.column,
            "text": self.text,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "created": self.created,
            "edited": self.edited,
            "label": self.label,
            "origin": self.origin,
            "voters": list(self.voters),
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any]) -> Note:
        return cls(
            id=str(data["id"]),
            column=int(data["column"]),
            text=str(data["text"]),
            author_id=str(data["author_id"]),
            author_name=str(data["author_name"]),
            created=float(data["created"]),
            edited=None if data.get("edited") is None else float(data["edited"]),
            label=str(data.get("label", "")),
            origin=int(data.get("origin", MAIN)),
            voters=[str(v) for v in data.get("voters", [])],
        )


@dataclass
class BoardSettings:
    """What the facilitators set for all of a workshop's boards."""

    columns: list[str] = field(default_factory=lambda: list(DEFAULT_COLUMNS))
    locked: bool = False
    authors_shown: bool = True
    dots: int = DEFAULT_DOTS

    def as_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "locked": self.locked,
            "authors_shown": self.authors_shown,
            "dots": self.dots,
        }


def clean_note(text: str) -> str:
    """A note's text as kept: chat's plain-text rules, at most ``MAX_NOTE_CHARS``."""
    try:
        return clean_text(text, MAX_NOTE_CHARS)
    except ChatRefused as refused:
        code = "board_text_empty" if refused.code == "chat_empty" else "board_text_too_long"
        raise BoardError(code, refused.detail) from None


def clean_line(text: str, max_chars: int, code: str, *, empty_ok: bool = False) -> str:
    """A one-line name (a column, a group of notes): plain text, blanks folded."""
    if not text.strip() and empty_ok:
        return ""
    try:
        cleaned = clean_text(text, max_chars * 4)
    except ChatRefused:
        raise BoardError(code, "empty") from None
    line = " ".join(unicodedata.normalize("NFC", cleaned).split())
    if not line:
        raise BoardError(code, "empty")
    if len(line) > max_chars:
        raise BoardError(code, f"{len(line)} > {max_chars} characters")
    return line


class WorkshopBoards:
    """The boards of one workshop and their shared settings."""

    def __init__(self, workshop_id: str, title: str, settings: BoardSettings | None = None):
        self.workshop_id = workshop_id
        self.title = title
        self.settings = settings or BoardSettings()
        #: notes by group number (``MAIN`` and the breakout groups), in board order
        self.boards: dict[int, list[Note]] = {MAIN: []}
        self.next_note = 1
        self.updated = 0.0

    # --- reading ------------------------------------------------------------------------

    def notes(self, group: int) -> list[Note]:
        return self.boards.setdefault(group, [])

    def find(self, group: int, note_id: str) -> Note:
        for note in self.boards.get(group, ()):
            if note.id == note_id:
                return note
        raise BoardError("board_note_unknown", note_id)

    def dots_used(self, group: int, person: str) -> int:
        return sum(person in note.voters for note in self.boards.get(group, ()))

    def dots_left(self, group: int, person: str) -> int:
        return max(0, self.settings.dots - self.dots_used(group, person))

    def waiting_in_groups(self) -> int:
        """Notes on the breakout groups' boards (what ``merge`` would bring over)."""
        return sum(len(notes) for group, notes in self.boards.items() if group != MAIN)

    def view(self, group: int, viewer: str, leads: bool) -> dict[str, Any]:
        """The ``board`` of ``board_state`` for one person at the board of ``group``."""
        shown = self.settings.authors_shown
        return {
            "workshop": self.workshop_id,
            "title": self.title,
            "group": group,
            "columns": list(self.settings.columns),
            "locked": self.settings.locked,
            "authors_shown": shown,
            "dots": self.settings.dots,
            "dots_left": self.dots_left(group, viewer),
            "you_lead": leads,
            "in_groups": self.waiting_in_groups() if group == MAIN else 0,
            "notes": [note.view(viewer, shown, leads) for note in self.notes(group)],
        }

    # --- what people do -----------------------------------------------------------------

    def _open_to(self, who: Author) -> None:
        if self.settings.locked and not who.leads:
            raise BoardError("board_locked")

    def _column(self, column: int) -> int:
        if not 0 <= column < len(self.settings.columns):
            raise BoardError("board_column_unknown", f"column {column}")
        return column

    def add(self, group: int, who: Author, column: int, text: str, now: float) -> Note:
        self._open_to(who)
        column = self._column(column)
        notes = self.notes(group)
        if len(notes) >= MAX_NOTES:
            raise BoardError("board_full", f"{MAX_NOTES} notes")
        note = Note(f"n{self.next_note}", column, clean_note(text), who.id, who.name, now, None)
        note.origin = group
        self.next_note += 1
        notes.append(note)
        self.updated = now
        return note

    def edit(self, group: int, who: Author, note_id: str, text: str, now: float) -> Note:
        self._open_to(who)
        note = self.find(group, note_id)
        if note.author_id != who.id:
            raise BoardError("board_not_yours", note_id)
        note.text = clean_note(text)
        note.edited = now
        self.updated = now
        return note

    def move(
        self, group: int, who: Author, note_id: str, column: int, index: int | None, now: float
    ) -> Note:
        """Put a note into ``column`` at ``index`` among that column's notes (None: last)."""
        self._open_to(who)
        note = self.find(group, note_id)
        column = self._column(column)
        notes = self.notes(group)
        notes.remove(note)
        note.column = column
        in_column = [i for i, other in enumerate(notes) if other.column == column]
        if index is None or index >= len(in_column):
            at = (in_column[-1] + 1) if in_column else len(notes)
        else:
            at = in_column[max(0, index)]
        notes.insert(at, note)
        self.updated = now
        return note

    def label(self, group: int, who: Author, note_id: str, label: str, now: float) -> Note:
        """Put a note into a named group of notes ("" takes it out)."""
        self._open_to(who)
        note = self.find(group, note_id)
        note.label = clean_line(label, MAX_LABEL_CHARS, "board_label_invalid", empty_ok=True)
        self.updated = now
        return note

    def delete(self, group: int, who: Author, note_id: str, now: float) -> Note:
        note = self.find(group, note_id)
        if note.author_id != who.id and not who.leads:
            raise BoardError("board_not_yours", note_id)
        self._open_to(who)
        self.notes(group).remove(note)
        self.updated = now
        return note

    def vote(self, group: int, who: Author, note_id: str, on: bool, now: float) -> Note:
        """Give a note one's dot (``on``) or take it back; giving twice changes nothing."""
        self._open_to(who)
        note = self.find(group, note_id)
        if on and who.id not in note.voters:
            if self.dots_used(group, who.id) >= self.settings.dots:
                raise BoardError("board_no_dots", f"{self.settings.dots} dots each")
            note.voters.append(who.id)
        elif not on and who.id in note.voters:
            note.voters.remove(who.id)
        self.updated = now
        return note

    # --- what facilitators do -----------------------------------------------------------

    def set_up(
        self,
        now: float,
        *,
        columns: Sequence[str] | None = None,
        locked: bool | None = None,
        authors_shown: bool | None = None,
        dots: int | None = None,
    ) -> None:
        """Change the settings; notes of columns taken away go to the last column left."""
        if columns is not None:
            if not 1 <= len(columns) <= MAX_COLUMNS:
                raise BoardError("board_columns_invalid", f"1 to {MAX_COLUMNS} columns")
            names = [clean_line(c, MAX_COLUMN_CHARS, "board_columns_invalid") for c in columns]
            last = len(names) - 1
            for notes in self.boards.values():
                for note in notes:
                    note.column = min(note.column, last)
            self.settings.columns = names
        if dots is not None:
            if not 1 <= dots <= MAX_DOTS:
                raise BoardError("board_dots_invalid", f"1 to {MAX_DOTS} dots")
            self.settings.dots = dots
        if locked is not None:
            self.settings.locked = locked
        if authors_shown is not None:
            self.settings.authors_shown = authors_shown
        self.updated = now

    def merge(self, now: float) -> int:
        """Bring every breakout group's notes onto the main board (after its own, group by
        group); returns how many came over."""
        main = self.notes(MAIN)
        moved = 0
        for group in sorted(g for g in self.boards if g != MAIN):
            notes = self.boards[group]
            room = MAX_NOTES - len(main)
            if len(notes) > room:
                raise BoardError("board_full", f"{len(notes)} notes, room for {room}")
            main.extend(notes)
            moved += len(notes)
            self.boards[group] = []
        self.updated = now
        return moved

    def forget(self, person: str) -> bool:
        """Take a person's notes and dots off every board (their data was erased)."""
        changed = False
        for group, notes in self.boards.items():
            kept = [note for note in notes if note.author_id != person]
            changed = changed or len(kept) != len(notes)
            for note in kept:
                if person in note.voters:
                    note.voters.remove(person)
                    changed = True
            self.boards[group] = kept
        return changed

    # --- kept across restarts -----------------------------------------------------------

    def document(self) -> dict[str, Any]:
        return {
            "workshop": self.workshop_id,
            "title": self.title,
            "settings": self.settings.as_dict(),
            "next_note": self.next_note,
            "updated": self.updated,
            "boards": {
                str(group): [note.as_record() for note in notes]
                for group, notes in sorted(self.boards.items())
            },
        }

    @classmethod
    def from_document(cls, data: Mapping[str, Any]) -> WorkshopBoards:
        """The boards from their kept document; ValueError when it is not one."""
        try:
            raw = data["settings"]
            settings = BoardSettings(
                columns=[str(c) for c in raw["columns"]][:MAX_COLUMNS] or list(DEFAULT_COLUMNS),
                locked=bool(raw["locked"]),
                authors_shown=bool(raw["authors_shown"]),
                dots=int(raw["dots"]),
            )
            boards = cls(str(data["workshop"]), str(data.get("title", "")), settings)
            boards.next_note = int(data["next_note"])
            boards.updated = float(data.get("updated", 0.0))
            for group, notes in data["boards"].items():
                boards.boards[int(group)] = [Note.from_record(n) for n in notes]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a kept board: {exc}") from exc
        last = len(boards.settings.columns) - 1
        for notes in boards.boards.values():
            for note in notes:
                note.column = min(max(note.column, 0), last)
        return boards


# --- a person's data (GDPR) -------------------------------------------------------------------


def notes_by(documents: Mapping[str, Any], person: str) -> list[dict[str, Any]]:
    """Every note a person wrote, and every note they gave a dot, on the kept boards."""
    out = []
    for key, data in sorted(documents.items()):
        try:
            boards = WorkshopBoards.from_document(data)
        except ValueError:
            continue
        for group, notes in sorted(boards.boards.items()):
            for note in notes:
                if note.author_id == person or person in note.voters:
                    out.append(
                        {
                            "workshop": key,
                            "group": group,
                            "column": _column_name(boards, note.column),
                            "text": note.text if note.author_id == person else None,
                            "wrote": note.author_id == person,
                            "dot": person in note.voters,
                            "created": note.created if note.author_id == person else None,
                        }
                    )
    return out


def without_person(documents: Mapping[str, Any], person: str) -> dict[str, dict[str, Any]]:
    """The kept boards that change when a person's notes and dots go: key -> new document."""
    out = {}
    for key, data in documents.items():
        try:
            boards = WorkshopBoards.from_document(data)
        except ValueError:
            continue
        if boards.forget(person):
            out[key] = boards.document()
    return out


def _column_name(boards: WorkshopBoards, column: int) -> str:
    columns = boards.settings.columns
    return columns[column] if 0 <= column < len(columns) else ""


def all_notes(boards: WorkshopBoards) -> Iterable[tuple[int, Note]]:
    """Every note with its board's group, main board first."""
    for group, notes in sorted(boards.boards.items()):
        for note in notes:
            yield group, note
