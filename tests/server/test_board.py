"""The shared board's rules (``server/domain/board.py``) and its hub feature
(``server/features/board/realtime.py``), without sockets: the core with the workshop features and
the boards, driven through the real decoder with an injected clock."""

from __future__ import annotations

from typing import Any

import pytest
from realtime_harness import Harness
from realtime_world import box_world
from workshop_harness import WorkshopHub, workshop

from server.base.identity import Role
from server.base.live_state import BOARD, LiveStateChange
from server.base.settings import Settings
from server.core.hub import Effects, HubCore
from server.domain.board import (
    MAIN,
    MAX_NOTES,
    Author,
    BoardError,
    WorkshopBoards,
    notes_by,
    without_person,
)
from server.domain.workshops import WorkshopBook
from server.features.board.messages import MAX_NOTE_CHARS
from server.features.board.realtime import SharedBoards
from server.workshop.facilitation import Facilitation
from server.workshop.moderation import Moderation

ADA = Author("ada", "Ada")
BO = Author("bo", "Bo")
MARA = Author("mara", "Mara", leads=True)


def refused(code: str) -> Any:
    return pytest.raises(BoardError, match=f"^{code}")


# --- the rules ------------------------------------------------------------------------------


def test_notes_are_plain_text_in_columns_and_only_their_author_edits_them() -> None:
    boards = WorkshopBoards("w1", "Klimabilanz")
    assert boards.settings.columns == ["Ideen", "Maßnahmen", "Nächste Schritte"]
    note = boards.add(MAIN, ADA, 1, "  <b>LED</b>\u202e statt Halogen \n\n\n\n ", now=1.0)
    assert (note.text, note.column, note.author_name) == ("<b>LED</b> statt Halogen", 1, "Ada")
    with refused("board_not_yours"):
        boards.edit(MAIN, BO, note.id, "meins", now=2.0)
    with refused("board_not_yours"):
        boards.edit(MAIN, MARA, note.id, "auch nicht", now=2.0)
    assert boards.edit(MAIN, ADA, note.id, "LED überall", now=3.0).edited == 3.0
    with refused("board_text_empty"):
        boards.add(MAIN, ADA, 0, " \n ", now=4.0)
    with refused("board_text_too_long"):
        boards.add(MAIN, ADA, 0, "x" * (MAX_NOTE_CHARS + 1), now=4.0)
    with refused("board_column_unknown"):
        boards.add(MAIN, ADA, 3, "wohin?", now=4.0)
    with refused("board_note_unknown"):
        boards.edit(0, ADA, note.id, "auf einer anderen Tafel", now=4.0)


def test_anyone_moves_and_groups_notes_and_their_order_is_kept() -> None:
    boards = WorkshopBoards("w1", "")
    a, b, c = (boards.add(MAIN, ADA, 0, text, now=1.0) for text in ("a", "b", "c"))
    boards.move(MAIN, BO, c.id, 0, 0, now=2.0)
    assert [n.id for n in boards.notes(MAIN)] == [c.id, a.id, b.id]
    boards.move(MAIN, BO, a.id, 2, None, now=3.0)
    boards.move(MAIN, BO, b.id, 2, 0, now=3.0)
    assert [(n.id, n.column) for n in boards.notes(MAIN)] == [(c.id, 0), (b.id, 2), (a.id, 2)]
    assert boards.label(MAIN, BO, a.id, "  Energie   sparen ", now=4.0).label == "Energie sparen"
    assert boards.label(MAIN, BO, a.id, "", now=5.0).label == ""
    with refused("board_label_invalid"):
        boards.label(MAIN, BO, a.id, "x" * 41, now=5.0)


def test_dots_one_per_note_and_a_limited_number_per_person() -> None:
    boards = WorkshopBoards("w1", "")
    boards.set_up(0.0, dots=2)
    notes = [boards.add(MAIN, ADA, 0, str(i), now=1.0) for i in range(3)]
    assert boards.vote(MAIN, BO, notes[0].id, True, now=2.0).dots == 1
    assert boards.vote(MAIN, BO, notes[0].id, True, now=2.0).dots == 1  # twice: still one
    boards.vote(MAIN, BO, notes[1].id, True, now=2.0)
    assert boards.dots_left(MAIN, "bo") == 0
    with refused("board_no_dots"):
        boards.vote(MAIN, BO, notes[2].id, True, now=3.0)
    boards.vote(MAIN, BO, notes[0].id, False, now=4.0)
    assert boards.vote(MAIN, BO, notes[2].id, True, now=5.0).voters == ["bo"]
    assert boards.dots_left(0, "bo") == 2  # a group's board has dots of its own


def test_a_locked_board_takes_nothing_from_participants_but_facilitators_arrange_it() -> None:
    boards = WorkshopBoards("w1", "")
    note = boards.add(MAIN, ADA, 0, "Idee", now=1.0)
    boards.set_up(2.0, locked=True)
    for act in (
        lambda: boards.add(MAIN, ADA, 0, "noch eine", now=3.0),
        lambda: boards.edit(MAIN, ADA, note.id, "anders", now=3.0),
        lambda: boards.move(MAIN, ADA, note.id, 1, None, now=3.0),
        lambda: boards.vote(MAIN, BO, note.id, True, now=3.0),
        lambda: boards.delete(MAIN, ADA, note.id, now=3.0),
        lambda: boards.label(MAIN, ADA, note.id, "x", now=3.0),
    ):
        with refused("board_locked"):
            act()
    assert boards.move(MAIN, MARA, note.id, 2, None, now=4.0).column == 2
    with refused("board_not_yours"):
        boards.delete(MAIN, BO, note.id, now=5.0)
    assert boards.delete(MAIN, MARA, note.id, now=5.0) is note


def test_settings_columns_taken_away_move_their_notes_to_the_last_column() -> None:
    boards = WorkshopBoards("w1", "")
    note = boards.add(MAIN, ADA, 2, "später", now=1.0)
    boards.set_up(2.0, columns=["Was läuft", "Was fehlt"])
    assert note.column == 1
    with refused("board_columns_invalid"):
        boards.set_up(3.0, columns=[])
    with refused("board_columns_invalid"):
        boards.set_up(3.0, columns=["a", " "])
    with refused("board_dots_invalid"):
        boards.set_up(3.0, dots=0)
    assert boards.settings.columns == ["Was läuft", "Was fehlt"]


def test_hidden_authors_are_shown_only_to_facilitators_and_the_author() -> None:
    boards = WorkshopBoards("w1", "")
    boards.add(MAIN, ADA, 0, "anonym", now=1.0)
    boards.set_up(2.0, authors_shown=False)
    assert boards.view(MAIN, "bo", leads=False)["notes"][0]["by"] is None
    mine = boards.view(MAIN, "ada", leads=False)["notes"][0]
    assert (mine["by"], mine["mine"]) == ("Ada", True)
    assert boards.view(MAIN, "mara", leads=True)["notes"][0]["by"] == "Ada"


def test_merge_brings_the_groups_notes_onto_the_main_board_with_author_and_dots() -> None:
    boards = WorkshopBoards("w1", "")
    boards.add(MAIN, MARA, 0, "Hauptraum", now=1.0)
    g0 = boards.add(0, ADA, 1, "aus Gruppe 1", now=1.0)
    boards.vote(0, BO, g0.id, True, now=2.0)
    boards.add(1, BO, 2, "aus Gruppe 2", now=1.0)
    assert boards.waiting_in_groups() == 2
    assert boards.merge(now=3.0) == 2
    main = boards.notes(MAIN)
    assert [(n.text, n.origin, n.author_id, n.dots) for n in main] == [
        ("Hauptraum", MAIN, "mara", 0),
        ("aus Gruppe 1", 0, "ada", 1),
        ("aus Gruppe 2", 1, "bo", 0),
    ]
    assert boards.notes(0) == [] and boards.waiting_in_groups() == 0
    assert boards.merge(now=4.0) == 0  # twice: nothing more
    assert boards.edit(MAIN, ADA, g0.id, "noch meins", now=5.0).text == "noch meins"


def test_a_board_holds_a_limited_number_of_notes() -> None:
    boards = WorkshopBoards("w1", "")
    for i in range(MAX_NOTES):
        boards.add(MAIN, ADA, 0, str(i), now=1.0)
    with refused("board_full"):
        boards.add(MAIN, BO, 0, "eine zu viel", now=2.0)
    boards.add(0, BO, 0, "in der Gruppe", now=2.0)
    with refused("board_full"):
        boards.merge(now=3.0)


def test_kept_document_round_trip_and_a_persons_data() -> None:
    boards = WorkshopBoards("w1", "Klimabilanz")
    boards.set_up(0.5, columns=["A", "B"], dots=3, authors_shown=False, locked=True)
    a = boards.add(MAIN, MARA, 1, "von Mara", now=1.0)
    b = boards.add(0, MARA, 0, "noch eine", now=1.0)
    boards.settings.locked = False
    boards.vote(0, ADA, b.id, True, now=2.0)
    boards.add(0, ADA, 0, "von Ada", now=2.0)
    again = WorkshopBoards.from_document(boards.document())
    assert again.document() == boards.document()
    assert again.find(MAIN, a.id).text == "von Mara" and again.next_note == boards.next_note
    with pytest.raises(ValueError):
        WorkshopBoards.from_document({"workshop": "w1"})
    documents = {"w1": boards.document(), "w2": {"not": "a board"}}
    assert notes_by(documents, "ada") == [
        {"workshop": "w1", "group": 0, "column": "A", "text": None, "wrote": False,
         "dot": True, "created": None},
        {"workshop": "w1", "group": 0, "column": "A", "text": "von Ada", "wrote": True,
         "dot": False, "created": 2.0},
    ]  # fmt: skip
    erased = without_person(documents, "ada")
    assert list(erased) == ["w1"]
    assert notes_by(erased, "ada") == [] and len(notes_by(erased, "mara")) == 2
    assert without_person(erased, "ada") == {}


# --- the hub feature ------------------------------------------------------------------------


class BoardHub(WorkshopHub):
    """The workshop hub with the boards as a feature too."""

    def __init__(self) -> None:
        self.kept = []
        self.book = WorkshopBook((workshop(),))
        self.lead = Facilitation(self.book, sink=self.kept.append, seed=3)
        self.moderation = Moderation(sink=self.kept.append, lead=self.lead)
        self.live: list[LiveStateChange] = []
        self.boards = SharedBoards(self.lead, keep=self.live.append)
        core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            features=[self.lead, self.moderation, self.boards],
            rules=[self.moderation, self.lead],
        )
        self.lead.attach(core)
        self.moderation.attach(core)
        self.boards.attach(core)
        Harness.__init__(self, core)


def started() -> BoardHub:
    """Mara (conn 1, facilitator) started w1 with Vera (2) and Kim (3) inside."""
    hub = BoardHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    hub.enter(3, "Kim")
    assert hub.take(2, "board_state") == []  # no workshop yet: no board
    assert hub.codes(hub.do(2, "board_add", column=0, text="zu früh")) == ["board_none"]
    assert hub.codes(hub.do(1, "workshop_start", workshop="w1")) == []
    hub.tick(0.25)
    return hub


def test_a_started_workshop_shows_its_board_to_everyone_and_notes_go_out_live() -> None:
    hub = started()
    board = hub.last(2, "board_state")["board"]
    assert (board["workshop"], board["group"], board["notes"], board["dots_left"]) == (
        "w1",
        MAIN,
        [],
        5,
    )
    assert hub.last(1, "board_state")["board"]["you_lead"] is True
    assert hub.codes(hub.do(2, "board_add", column=0, text="Dienstrad-Leasing")) == []
    for conn in (1, 2, 3):
        got = hub.last(conn, "board_note")
        assert got["note"]["text"] == "Dienstrad-Leasing"
        assert got["note"]["mine"] is (conn == 2)
    note_id = got["id"]
    assert hub.codes(hub.do(3, "board_vote", note=note_id, on=True)) == []
    voted = hub.last(3, "board_note")
    assert (voted["note"]["voted"], voted["note"]["dots"], voted["dots_left"]) == (True, 1, 4)
    assert hub.last(2, "board_note")["note"]["voted"] is False
    assert hub.codes(hub.do(3, "board_edit", note=note_id, text="meins")) == ["board_not_yours"]
    assert hub.codes(hub.do(3, "board_setup", locked=True)) == ["not_facilitator"]
    assert hub.codes(hub.do(3, "board_merge")) == ["not_facilitator"]
    hub.tick(0.6)
    assert {(c.kind, c.key) for c in hub.live} == {(BOARD, "w1")}
    kept = WorkshopBoards.from_document(hub.live[-1].data or {})
    assert kept.find(MAIN, note_id).voters == [hub.core.session_of(3).identity.id]  # type: ignore[union-attr]


def test_lock_and_mute_are_decided_by_the_server() -> None:
    hub = started()
    assert hub.codes(hub.do(1, "board_setup", locked=True, authors_shown=False)) == []
    state = hub.last(2, "board_state")["board"]
    assert (state["locked"], state["authors_shown"]) == (True, False)
    assert hub.codes(hub.do(2, "board_add", column=0, text="gesperrt")) == ["board_locked"]
    assert hub.codes(hub.do(1, "board_setup", locked=False)) == []
    hub.do(1, "mute", session=hub.session(2), on=True)
    assert hub.codes(hub.do(2, "board_add", column=0, text="stumm")) == ["board_muted"]
    assert hub.codes(hub.do(3, "board_add", column=0, text="laut")) == []


def test_board_actions_are_rate_limited_per_person() -> None:
    hub = started()
    codes = [hub.codes(hub.do(2, "board_add", column=0, text=f"n{i}")) for i in range(14)]
    assert ["board_too_fast"] in codes and codes[0] == []
    assert hub.codes(hub.do(3, "board_add", column=0, text="andere Person")) == []


def test_breakout_groups_have_boards_of_their_own_that_the_facilitator_merges() -> None:
    hub = started()
    assert hub.codes(hub.do(1, "breakout", groups=2, mode="random", minutes=5)) == []
    hub.tick(0.25)
    groups = {conn: hub.last(conn, "board_state")["board"]["group"] for conn in (2, 3)}
    assert sorted(groups.values()) == [0, 1]
    hub.do(2, "board_add", column=1, text="aus der Gruppe von Vera")
    assert all(m["note"]["text"] != "aus der Gruppe von Vera" for m in hub.take(3, "board_note"))
    assert hub.last(1, "board_state")["board"]["in_groups"] == 1
    # a note taken off a group's board is no longer counted for the facilitator
    gone = hub.do(3, "board_add", column=0, text="gleich wieder weg")
    assert hub.last(1, "board_state")["board"]["in_groups"] == 2
    note = next(m["note"]["id"] for m in gone if m.get("t") == "board_note")
    assert hub.codes(hub.do(3, "board_delete", note=note)) == []
    assert hub.last(1, "board_state")["board"]["in_groups"] == 1
    assert hub.codes(hub.do(1, "breakout_recall")) == []
    hub.tick(0.25)
    assert hub.codes(hub.do(1, "board_merge")) == []
    board = hub.last(2, "board_state")["board"]
    assert [(n["text"], n["origin"], n["mine"]) for n in board["notes"]] == [
        ("aus der Gruppe von Vera", groups[2], True)
    ]


def test_an_erased_person_leaves_no_note_or_dot_on_boards_here_made_or_kept() -> None:
    hub = started()
    hub.do(2, "board_add", column=0, text="von Vera")
    hub.do(3, "board_add", column=0, text="von Kim")
    kim_note = hub.last(3, "board_note")["id"]
    hub.do(2, "board_vote", note=kim_note, on=True)
    vera = hub.core.session_of(2).identity.id  # type: ignore[union-attr]
    other = WorkshopBoards("w-old", "Früher")
    other.add(MAIN, Author(vera, "Vera"), 0, "alt", now=1.0)
    hub.boards.kept["w-old"] = other.document()
    hub.take(3)
    fx = Effects()
    hub.boards.forget(vera, fx)
    hub.apply(fx)
    board = hub.last(3, "board_state")["board"]
    assert [(n["text"], n["dots"]) for n in board["notes"]] == [("von Kim", 0)]
    assert WorkshopBoards.from_document(hub.boards.kept["w-old"]).notes(MAIN) == []


def test_when_the_workshop_ends_the_board_goes_and_is_kept() -> None:
    hub = started()
    hub.do(2, "board_add", column=0, text="bleibt")
    assert hub.codes(hub.do(1, "workshop_end")) == []
    hub.tick(0.6)
    assert hub.last(2, "board_state")["board"] is None
    assert hub.live and WorkshopBoards.from_document(hub.live[-1].data or {}).notes(MAIN)
    assert hub.codes(hub.do(2, "board_add", column=0, text="danach")) == ["board_none"]
