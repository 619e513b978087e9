"""A workshop's boards as Markdown and as CSV, for its facilitators (no I/O).

Both list the main room's board first, then each breakout group's; within a board the
columns in order and each column's notes in board order. Notes are plain text: the
Markdown escapes what Markdown would read as markup (so ``<b>`` stays text), the CSV keeps
spreadsheet programs from reading a note as a formula. Authors are named (the facilitators
may always see them) with the same short person key as the attendance export.
"""

from __future__ import annotations

import re
from typing import Final
from zoneinfo import ZoneInfo

from server.base.csv_export import csv_text, formula_safe, local_time
from server.domain.board import MAIN, Note, WorkshopBoards, all_notes
from server.domain.workshops import SITE_ZONE
from server.workshop.attendance import PersonKey

_MARKUP = re.compile(r"([\\`*_{}\[\]<>()#+!|~-])")
MAIN_NAME: Final = "Hauptraum / Main room"


def board_name(group: int) -> str:
    return MAIN_NAME if group == MAIN else f"Gruppe {group + 1} / Group {group + 1}"


def csv_columns(zone: ZoneInfo) -> tuple[str, ...]:
    return (
        "Nr / No",
        "Pinnwand / Board",
        "Spalte / Column",
        "Gruppe von Zetteln / Cluster",
        "Text",
        "Punkte / Dots",
        "Von / By",
        "Kennung / Key",
        "Geschrieben in / Written in",
        f"Geschrieben ({zone.key}) / Written ({zone.key})",
        f"Geändert ({zone.key}) / Edited ({zone.key})",
    )


def _column(boards: WorkshopBoards, note: Note) -> str:
    columns = boards.settings.columns
    return columns[note.column] if 0 <= note.column < len(columns) else ""


def board_csv(boards: WorkshopBoards, *, key: PersonKey, zone: ZoneInfo = SITE_ZONE) -> str:
    """One row per note, in the order of ``board_markdown``."""
    return csv_text(
        csv_columns(zone),
        (
            (
                number,
                board_name(group),
                formula_safe(_column(boards, note)),
                formula_safe(note.label),
                formula_safe(note.text),
                note.dots,
                formula_safe(note.author_name),
                key(note.author_id),
                board_name(note.origin),
                local_time(note.created, zone),
                local_time(note.edited, zone),
            )
            for number, (group, note) in enumerate(_ordered(boards), start=1)
        ),
    )


def _ordered(boards: WorkshopBoards) -> list[tuple[int, Note]]:
    """Main board first, then the groups; columns in order, board order within them."""
    notes = list(all_notes(boards))
    notes.sort(key=lambda item: (item[0] != MAIN, item[0], item[1].column))
    return notes


def escape(text: str) -> str:
    """Plain text as Markdown shows it literally (one paragraph per line kept)."""
    return _MARKUP.sub(r"\\\1", text)


def board_markdown(boards: WorkshopBoards, *, key: PersonKey, zone: ZoneInfo = SITE_ZONE) -> str:
    """The boards as a Markdown document."""
    lines = [f"# Pinnwand / Board: {escape(boards.title or boards.workshop_id)}", ""]
    settings = boards.settings
    lines.append(f"Punkte je Person / Dots per person: {settings.dots}")
    lines.append("")
    for group in sorted(boards.boards, key=lambda g: (g != MAIN, g)):
        notes = boards.boards[group]
        if group != MAIN and not notes:
            continue
        lines += [f"## {board_name(group)}", ""]
        for index, column in enumerate(settings.columns):
            lines += [f"### {escape(column)}", ""]
            in_column = [note for note in notes if note.column == index]
            if not in_column:
                lines += ["_(leer / empty)_", ""]
                continue
            for note in in_column:
                text = escape(note.text).replace("\n", "\n  ")
                details = [
                    f"{note.dots} Punkte / dots",
                    f"{escape(note.author_name)} ({key(note.author_id)})",
                ]
                if note.label:
                    details.insert(0, f"Gruppe / cluster: {escape(note.label)}")
                if note.origin != group:
                    details.append(f"aus / from {board_name(note.origin)}")
                lines.append(f"- {text}  \n  _{' · '.join(details)}_")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
