"""The shared board of a workshop: its part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

Everyone in a room where a workshop runs works on the board of that room (the main room's,
or in a breakout room their group's): ``board_add``, ``board_edit``, ``board_move``,
``board_label``, ``board_delete``, ``board_vote``; its facilitators also ``board_setup``
(columns, lock, authors, dots) and ``board_merge`` (the groups' notes onto the main board).
Everyone at the board gets the whole board as ``board_state`` when they come to it or when
its settings change, and each changed note as ``board_note``. The rules are
``server/domain/board.py``; the hub feature is ``server/features/board/service.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from server.domain.board import (
    MAX_COLUMN_CHARS,
    MAX_COLUMNS,
    MAX_DOTS,
    MAX_LABEL_CHARS,
    MAX_NOTE_CHARS,
)
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
    float_field,
    int_field,
    str_field,
)

#: Raw text may be longer than a note (spaces and blank lines are trimmed before counting).
_RAW_TEXT_CHARS: Final = MAX_NOTE_CHARS * 4
_NOTE = str_field("note", "note id (board_note.note.id)", max_len=16)
_COLUMN = int_field("column", "column index (from 0)", hi=MAX_COLUMNS - 1)


@dataclass(frozen=True, slots=True)
class BoardAdd(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_add",
        "client",
        f"Add a note to the board of your room (plain text, at most {MAX_NOTE_CHARS}"
        " characters). Not while the board is locked or you are muted.",
        (_COLUMN, str_field("text", "the note's text", max_len=_RAW_TEXT_CHARS)),
    )
    column: int
    text: str


@dataclass(frozen=True, slots=True)
class BoardEdit(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_edit",
        "client",
        "Change the text of a note you wrote.",
        (_NOTE, str_field("text", "the new text", max_len=_RAW_TEXT_CHARS)),
    )
    note: str
    text: str


@dataclass(frozen=True, slots=True)
class BoardMove(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_move",
        "client",
        "Move a note (anyone's) to a column, at a place among its notes (none: last).",
        (
            _NOTE,
            _COLUMN,
            int_field("index", "place in the column (from 0)", hi=1000, required=False),
        ),
    )
    note: str
    column: int
    index: int | None


@dataclass(frozen=True, slots=True)
class BoardLabel(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_label",
        "client",
        "Put a note (anyone's) into a named group of notes; an empty label takes it out.",
        (_NOTE, str_field("label", "the group's name", max_len=MAX_LABEL_CHARS * 4)),
    )
    note: str
    label: str


@dataclass(frozen=True, slots=True)
class BoardDelete(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_delete",
        "client",
        "Take a note off the board: your own, or any as a facilitator.",
        (_NOTE,),
    )
    note: str


@dataclass(frozen=True, slots=True)
class BoardVote(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_vote",
        "client",
        "Give a note your dot (on) or take it back; one dot per note, board_state.dots per"
        " person and board.",
        (_NOTE, FieldSpec("on", "bool", "give (true) or take back (false)")),
    )
    note: str
    on: bool


@dataclass(frozen=True, slots=True)
class BoardSetup(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_setup",
        "client",
        "Facilitators of the workshop: set the boards of the workshop (main room and groups"
        " alike). Fields left out stay; notes of columns taken away go to the last column.",
        (
            FieldSpec(
                "columns",
                "list",
                f"the columns' names (1 to {MAX_COLUMNS})",
                items=str_field("", "column name", max_len=MAX_COLUMN_CHARS * 4),
                max_len=MAX_COLUMNS,
                required=False,
            ),
            FieldSpec(
                "locked", "bool", "nobody but facilitators changes the boards", required=False
            ),
            FieldSpec("authors_shown", "bool", "show who wrote each note", required=False),
            int_field("dots", "dots per person and board", lo=1, hi=MAX_DOTS, required=False),
        ),
    )
    columns: tuple[str, ...] | None
    locked: bool | None
    authors_shown: bool | None
    dots: int | None


@dataclass(frozen=True, slots=True)
class BoardMerge(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_merge",
        "client",
        "Facilitators of the workshop: bring every breakout group's notes onto the main"
        " room's board (each keeps its author and dots and says its group).",
        (),
    )


_NOTE_FIELDS: Final = (
    str_field("id", "note id"),
    int_field("column", "column index"),
    str_field("text", "plain text (show as text, never as HTML)", max_len=MAX_NOTE_CHARS),
    str_field("label", "the named group of notes it is in, or empty", max_len=MAX_LABEL_CHARS),
    int_field("origin", "the breakout group it was written in (-1: the main room)", lo=-1),
    str_field("by", "the author's name; nil when authors are hidden", nullable=True),
    FieldSpec("mine", "bool", "you wrote it (you may edit it)"),
    int_field("dots", "dots given"),
    FieldSpec("voted", "bool", "one of them is yours"),
    float_field("created", "when it was written (Unix seconds)"),
    float_field("edited", "when its text last changed", nullable=True),
)

BOARD_STATE = MessageSpec(
    "board_state",
    "server",
    "The board of your room: on entering a room where a workshop runs (nil: no board"
    " here), when its settings change and after a merge.",
    (
        FieldSpec(
            "board",
            "map",
            "the board, or nil",
            nullable=True,
            fields=(
                str_field("workshop", "workshop id"),
                str_field("title", "the workshop's title", max_len=200),
                int_field("group", "breakout group (-1: the main room)", lo=-1),
                FieldSpec(
                    "columns", "list", "column names", items=str_field("", "name"), max_len=6
                ),
                FieldSpec("locked", "bool", "only facilitators change it now"),
                FieldSpec("authors_shown", "bool", "authors are shown to everyone"),
                int_field("dots", "dots per person"),
                int_field("dots_left", "your dots left on this board"),
                FieldSpec("you_lead", "bool", "you may set it up, merge and delete any note"),
                int_field("in_groups", "notes on the groups' boards (main board only)"),
                FieldSpec(
                    "notes",
                    "list",
                    "the notes in board order (a column's notes in their order)",
                    items=FieldSpec("", "map", "a note", fields=_NOTE_FIELDS),
                ),
            ),
        ),
    ),
)

BOARD_NOTE = MessageSpec(
    "board_note",
    "server",
    "One note of your room's board changed (note), or was taken off (note nil, id).",
    (
        str_field("workshop", "workshop id"),
        int_field("group", "breakout group (-1: the main room)", lo=-1),
        str_field("id", "the note's id"),
        FieldSpec(
            "note", "map", "the note now, nil when removed", nullable=True, fields=_NOTE_FIELDS
        ),
        int_field("index", "its place in board order (-1 when removed)", lo=-1),
        int_field("dots_left", "your dots left on this board"),
        int_field("in_groups", "notes on the groups' boards (main board only)"),
    ),
)

BOARD_ERRORS: Final = {
    "board_none": ErrorSpec(
        "Hier gibt es keine Pinnwand: sie gehört zu einem laufenden Workshop.",
        "There is no board here: it belongs to a running workshop.",
    ),
    "board_locked": ErrorSpec(
        "Die Pinnwand ist gesperrt.",
        "The board is locked.",
    ),
    "board_muted": ErrorSpec(
        "Sie sind stummgeschaltet und können nichts an die Pinnwand heften.",
        "You are muted and cannot post to the board.",
    ),
    "board_not_yours": ErrorSpec(
        "Das ist nicht Ihr Zettel.",
        "That is not your note.",
    ),
    "board_note_unknown": ErrorSpec(
        "Diesen Zettel gibt es auf dieser Pinnwand nicht (mehr).",
        "There is no such note on this board (any more).",
    ),
    "board_column_unknown": ErrorSpec(
        "Diese Spalte gibt es nicht.",
        "There is no such column.",
    ),
    "board_text_empty": ErrorSpec(
        "Der Zettel ist leer.",
        "The note is empty.",
    ),
    "board_text_too_long": ErrorSpec(
        f"Ein Zettel hat höchstens {MAX_NOTE_CHARS} Zeichen.",
        f"A note has at most {MAX_NOTE_CHARS} characters.",
    ),
    "board_label_invalid": ErrorSpec(
        f"Der Name der Gruppe hat höchstens {MAX_LABEL_CHARS} Zeichen.",
        f"A group's name has at most {MAX_LABEL_CHARS} characters.",
    ),
    "board_full": ErrorSpec(
        "Die Pinnwand ist voll.",
        "The board is full.",
    ),
    "board_no_dots": ErrorSpec(
        "Sie haben alle Ihre Punkte vergeben. Nehmen Sie einen zurück, um neu zu wählen.",
        "You have given all your dots. Take one back to choose again.",
    ),
    "board_columns_invalid": ErrorSpec(
        f"Eine Pinnwand hat 1 bis {MAX_COLUMNS} Spalten mit Namen von höchstens"
        f" {MAX_COLUMN_CHARS} Zeichen.",
        f"A board has 1 to {MAX_COLUMNS} columns named in at most {MAX_COLUMN_CHARS} characters.",
    ),
    "board_dots_invalid": ErrorSpec(
        f"Jede Person hat 1 bis {MAX_DOTS} Punkte.",
        f"Everyone has 1 to {MAX_DOTS} dots.",
    ),
    "board_too_fast": ErrorSpec(
        "Langsamer, bitte: zu viele Änderungen an der Pinnwand in kurzer Zeit.",
        "Slow down, please: too many changes to the board in a short time.",
    ),
}

BOARD_MESSAGES: Final = FeatureMessages(
    feature="board",
    client=(
        BoardAdd,
        BoardEdit,
        BoardMove,
        BoardLabel,
        BoardDelete,
        BoardVote,
        BoardSetup,
        BoardMerge,
    ),
    server=(BOARD_STATE, BOARD_NOTE),
    errors=BOARD_ERRORS,
)
