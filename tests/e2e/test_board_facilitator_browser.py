"""The board's facilitator controls in the browser: a facilitator signed in in one page leads
a workshop, two visitors who came by its link work at the board in two more. From the
board panel's facilitation part the facilitator names the columns (what she types survives
a note arriving meanwhile), hides the authors, locks the board and opens it again; from the
workshop panel she makes two breakout groups, each writes on its own board, she calls
everyone back and brings the groups' boards together from the board panel: the notes arrive
on the main board marked with their group. She removes another person's note and
downloads the boards as Markdown and as CSV, whose contents are checked field by field.
Each step checks what the visitors see (in German): the reason why they cannot write on a
locked board, and that it is open again."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import IN_HUB, HubServer, Visitor, Visitors
from playwright.sync_api import Locator
from test_accessibility import assert_clean
from test_workshop import account, by_link, post

pytestmark = pytest.mark.e2e

#: Waits are long: a busy machine draws three 3D pages at once.
WAIT_MS = 60000
COLUMNS = ["Was läuft gut", "Was stört", "Was tun wir"]


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each attempt: the workshop an earlier attempt ran would still be there."""
    return hub_per_test


def panel(person: Visitor) -> Locator:
    return person.page.locator("#panel-board")


def note_item(person: Visitor, text: str) -> Locator:
    return panel(person).get_by_role("listitem").filter(has_text=text)


def open_board(person: Visitor) -> None:
    if panel(person).is_hidden():
        person.page.get_by_role("button", name="Pinnwand", exact=True).click()
    panel(person).wait_for(state="visible")


def close_board(person: Visitor) -> None:
    if panel(person).is_visible():
        panel(person).get_by_role("button", name="Schließen").click()
    panel(person).wait_for(state="hidden")


def pin_up(person: Visitor, text: str, column: str) -> None:
    """Pin up a note from the panel's form (by its labels) and wait until the server has it."""
    board = panel(person)
    board.get_by_role("textbox", name="Neuer Zettel").fill(text)
    board.get_by_role("combobox", name="Spalte", exact=True).select_option(label=column)
    board.get_by_role("button", name="Anheften").click()
    note_item(person, text).wait_for(timeout=WAIT_MS)


def set_up(mara: Visitor, *, lock: bool | None = None, hide: bool | None = None) -> None:
    lead = panel(mara).get_by_role("region", name="Moderation")
    if lock is not None:
        lead.get_by_role("checkbox", name="Pinnwand sperren").set_checked(lock)
    if hide is not None:
        lead.get_by_role("checkbox", name="Namen verbergen").set_checked(hide)
    lead.get_by_role("button", name="Übernehmen").click()


def download(mara: Visitor, button: str, folder: Path) -> tuple[str, str]:
    """Click a download button of the panel; (the file's suggested name, its text)."""
    with mara.page.expect_download(timeout=WAIT_MS) as info:
        panel(mara).get_by_role("button", name=button).click()
    target = folder / info.value.suggested_filename
    info.value.save_as(target)
    return info.value.suggested_filename, target.read_text(encoding="utf-8")


@pytest.mark.timeout(900)
def test_a_facilitator_sets_up_locks_hides_merges_deletes_and_downloads_the_board(
    visitors: Visitors, hub: HubServer, tmp_path: Path
) -> None:
    username, password = account(hub, "Mara")
    token = post(hub, "/api/session", {"username": username, "password": password})["token"]
    workshop = post(
        hub,
        "/api/workshops",
        {"title": "Klimawerkstatt", "room": "workshop", "starts": time.time() - 60}
        | {"minutes": 60, "force": True},
        token,
    )
    mara = by_link(visitors, hub, "Mara", workshop["id"])
    mara.page.set_default_timeout(WAIT_MS)
    mara.sign_in_as_staff(username, password, timeout_ms=WAIT_MS)
    anna = by_link(visitors, hub, "Anna", workshop["id"])
    ben = by_link(visitors, hub, "Ben", workshop["id"])
    for person in (anna, ben):  # both pages load side by side
        Visitors.fill_in(person)
        person.page.set_default_timeout(WAIT_MS)
    mara.wait_for(IN_HUB, timeout_ms=WAIT_MS)
    for person in (anna, ben):
        Visitors.wait_entered(person)
    for person in (mara, anna, ben):
        person.wait_for("s.room === 'workshop'", timeout_ms=WAIT_MS)

    mara.page.locator("#toggle-workshop").click()
    mara.page.get_by_role("button", name="Workshop starten").click()
    for person in (mara, anna, ben):
        person.wait_for("s.board.board !== null && s.board.board.group === -1", timeout_ms=WAIT_MS)
    mara.page.locator("#toggle-workshop").click()  # the workshop panel closes again
    for person in (mara, anna, ben):
        open_board(person)
    # only the facilitator has the facilitation part
    assert panel(anna).get_by_role("region", name="Moderation").count() == 0
    lead = panel(mara).get_by_role("region", name="Moderation")

    # --- the columns: typed, kept while a note arrives, applied; everyone sees them -------
    columns_field = lead.get_by_label("Spalten (mit / getrennt)")
    columns_field.fill(" / ".join(COLUMNS))
    lead.get_by_label("Punkte je Person").fill("3")
    pin_up(anna, "Solaranlage aufs Dach", "Maßnahmen")  # the panel is drawn anew meanwhile
    note_item(mara, "Solaranlage aufs Dach").wait_for()
    assert columns_field.input_value() == " / ".join(COLUMNS)
    assert lead.get_by_label("Punkte je Person").input_value() == "3"
    lead.get_by_role("button", name="Übernehmen").click()
    for person in (anna, ben):
        person.wait_for("s.board.board.columns.join('|') === arg", "|".join(COLUMNS))
        assert panel(person).get_by_role("heading", level=3).all_inner_texts()[:3] == COLUMNS
        assert panel(person).locator("#board-dots").inner_text() == "Ihre Punkte: noch 3 von 3"
    # the note of the column renamed stands under its new name
    ben_column = panel(ben).get_by_role("region", name="Was stört")
    assert ben_column.get_by_role("listitem").filter(has_text="Solaranlage aufs Dach").count() == 1
    assert "von Anna" in note_item(ben, "Solaranlage aufs Dach").inner_text()
    pin_up(ben, "Kauft Aktien!", "Was läuft gut")
    note_item(ben, "Solaranlage aufs Dach").get_by_role("button", name="Punkt geben").click()
    anna.wait_for("s.board.board.notes.some((n) => n.text === 'Kauft Aktien!')")
    mara.wait_for(
        "s.board.board.notes.some((n) => n.text === 'Solaranlage aufs Dach' && n.dots === 1)"
    )

    # --- authors hidden: the visitors see no names, the facilitator still does ------------
    set_up(mara, hide=True)
    ben.wait_for("s.board.board.authors_shown === false")
    anna_note = note_item(ben, "Solaranlage aufs Dach").inner_text()
    assert "Anna" not in anna_note and "Namen verborgen" in anna_note
    assert "Ben" not in note_item(anna, "Kauft Aktien!").inner_text()
    assert "Ihr Zettel" in note_item(anna, "Solaranlage aufs Dach").inner_text()
    assert "von Anna" in note_item(mara, "Solaranlage aufs Dach").inner_text()

    # --- locked: the visitors can add and change nothing, and read why --------------------
    set_up(mara, lock=True)
    for person in (anna, ben):
        person.wait_for("s.board.board.locked === true")
        reason = panel(person).locator(".board-locked")
        assert reason.inner_text() == "Die Pinnwand ist gesperrt: nur die Moderation ändert sie."
        assert panel(person).get_by_role("textbox", name="Neuer Zettel").count() == 0
        assert panel(person).get_by_role("button", name="Anheften").count() == 0
        status = panel(person).get_by_role("status")
        assert status.inner_text() == "Die Moderation hat die Pinnwand gesperrt."
    mine = note_item(anna, "Solaranlage aufs Dach")
    for name in ("Bearbeiten", "Entfernen", "Punkt geben", "Gruppieren"):
        assert mine.get_by_role("button", name=name).count() == 0, name
    assert_clean(ben.page, "#panel-board")
    # the facilitator still arranges the board
    assert lead.get_by_role("checkbox", name="Pinnwand sperren").is_checked()
    assert panel(mara).get_by_role("textbox", name="Neuer Zettel").count() == 1
    set_up(mara, lock=False, hide=False)
    for person in (anna, ben):
        person.wait_for("s.board.board.locked === false && s.board.board.authors_shown")
        panel(person).get_by_role("textbox", name="Neuer Zettel").wait_for()
        assert panel(person).locator(".board-locked").count() == 0
        assert panel(person).get_by_role("status").inner_text() == (
            "Die Pinnwand ist wieder offen: Sie können Zettel anheften und ändern."
        )

    # --- breakout groups: each writes on its own board -----------------------------------
    close_board(mara)
    mara.page.locator("#toggle-workshop").click()
    for name, group in (("Anna", "Gruppe 1"), ("Ben", "Gruppe 2")):
        pick = mara.page.locator(".ws-group-picks li", has_text=name).get_by_role("combobox")
        pick.select_option(label=group)
    mara.page.get_by_role("button", name="Gruppen bilden").click()
    for person, group in ((anna, 0), (ben, 1)):
        person.wait_for("s.board.board && s.board.board.group === arg", group, timeout_ms=WAIT_MS)
        title = panel(person).locator(".board-title").inner_text()
        assert title == f"Klimawerkstatt · Gruppe {group + 1}"
        assert panel(person).get_by_role("listitem").count() == 0  # a board of its own
    pin_up(anna, "Regenwasser sammeln", "Was tun wir")
    pin_up(ben, "Fahrradständer überdachen", "Was stört")
    assert note_item(ben, "Regenwasser sammeln").count() == 0
    assert note_item(anna, "Fahrradständer überdachen").count() == 0
    # a note its author takes off again is not counted for the facilitator
    pin_up(ben, "Doppelt notiert", "Was stört")
    mara.wait_for("s.board.board.in_groups === 3", timeout_ms=WAIT_MS)
    note_item(ben, "Doppelt notiert").get_by_role("button", name="Entfernen").click()
    note_item(ben, "Doppelt notiert").wait_for(state="detached")
    mara.wait_for("s.board.board.in_groups === 2", timeout_ms=WAIT_MS)
    mara.page.get_by_role("button", name="Alle zurückholen").click()
    for person in (anna, ben):
        person.wait_for("s.board.board && s.board.board.group === -1", timeout_ms=WAIT_MS)
    mara.page.locator("#toggle-workshop").click()
    open_board(mara)
    # back in the main room, the groups' notes wait for the facilitator
    assert note_item(anna, "Regenwasser sammeln").count() == 0
    merge = panel(mara).get_by_role(
        "button", name="Pinnwände der Gruppen zusammenführen (2 Zettel)"
    )
    merge.wait_for()
    assert_clean(mara.page, "#panel-board")  # axe-core: the facilitation part too
    merge.click()
    for person in (mara, anna, ben):
        person.wait_for(
            "s.board.board.notes.filter((n) => n.origin >= 0).length === 2", timeout_ms=WAIT_MS
        )
        note_item(person, "Regenwasser sammeln").wait_for()
        assert "aus Gruppe 1" in note_item(person, "Regenwasser sammeln").inner_text()
        assert "aus Gruppe 2" in note_item(person, "Fahrradständer überdachen").inner_text()
        assert "aus Gruppe" not in note_item(person, "Solaranlage aufs Dach").inner_text()
    assert panel(mara).locator("#board-status").inner_text() == (
        "Die Zettel der Gruppen hängen jetzt an der Pinnwand des Hauptraums."
    )
    assert merge.count() == 0  # nothing left to bring over

    # --- the facilitator removes another person's note ------------------------------------
    assert note_item(anna, "Kauft Aktien!").get_by_role("button", name="Entfernen").count() == 0
    note_item(mara, "Kauft Aktien!").get_by_role("button", name="Entfernen").click()
    for person in (mara, anna, ben):
        person.wait_for("!s.board.board.notes.some((n) => n.text === 'Kauft Aktien!')")
        assert note_item(person, "Kauft Aktien!").count() == 0

    # a cluster label, to see it in the downloads
    cluster = note_item(mara, "Regenwasser sammeln")
    cluster.get_by_label("Gruppe von Zetteln").fill("Wasser")
    cluster.get_by_role("button", name="Gruppieren").click()
    ben.wait_for("s.board.board.notes.some((n) => n.label === 'Wasser')")

    # --- the downloads --------------------------------------------------------------------
    with urllib.request.urlopen(hub.url + "api/config", timeout=10) as response:
        site = json.loads(response.read())["site"]["id"]
    # a download the server refuses says why, in the panel
    refused = {"error": {"code": "forbidden", "message": "only facilitators may do this"}}
    mara.page.route("**/board.md", lambda route: route.fulfill(status=403, json=refused))
    panel(mara).get_by_role("button", name="Als Markdown herunterladen").click()
    mara.wait_for(
        "document.getElementById('board-status').textContent === arg",
        "Die Pinnwand ließ sich nicht herunterladen: only facilitators may do this",
    )
    mara.page.unroute("**/board.md")
    # the browser logs the refused request itself: that one, and nothing else, is expected
    expected = [p for p in mara.problems if "403" in p and "/board.md" in p]
    assert len(expected) == 1
    mara.problems.remove(expected[0])
    name, markdown = download(mara, "Als Markdown herunterladen", tmp_path)
    assert name == f"{site}-pinnwand-{workshop['id']}.md"
    lines = markdown.splitlines()
    assert lines[0] == "# Pinnwand / Board: Klimawerkstatt"
    assert "Punkte je Person / Dots per person: 3" in lines
    assert [line for line in lines if line.startswith("## ")] == ["## Hauptraum / Main room"]
    headings = [line[4:] for line in lines if line.startswith("### ")]
    assert headings == COLUMNS
    sections = markdown.split("### ")
    assert "Solaranlage aufs Dach" in sections[2]
    assert "_1 Punkte / dots · Anna (" in sections[2]
    assert (
        "Fahrradständer überdachen" in sections[2]
        and "aus / from Gruppe 2 / Group 2" in sections[2]
    )
    assert "Regenwasser sammeln" in sections[3]
    assert "_Gruppe / cluster: Wasser · 0 Punkte / dots · Anna (" in sections[3]
    assert "aus / from Gruppe 1 / Group 1" in sections[3]
    assert "_(leer / empty)_" in sections[1]
    assert "Kauft Aktien" not in markdown

    name, text = download(mara, "Als CSV herunterladen", tmp_path)
    assert name == f"{site}-pinnwand-{workshop['id']}.csv"
    rows = list(csv.DictReader(io.StringIO(text)))
    got = [
        (
            row["Pinnwand / Board"],
            row["Spalte / Column"],
            row["Gruppe von Zetteln / Cluster"],
            row["Text"],
            row["Punkte / Dots"],
            row["Von / By"],
            row["Geschrieben in / Written in"],
        )
        for row in rows
    ]
    main = "Hauptraum / Main room"
    assert got == [
        (main, "Was stört", "", "Solaranlage aufs Dach", "1", "Anna", main),
        (main, "Was stört", "", "Fahrradständer überdachen", "0", "Ben", "Gruppe 2 / Group 2"),
        (main, "Was tun wir", "Wasser", "Regenwasser sammeln", "0", "Anna", "Gruppe 1 / Group 1"),
    ]
    assert [row["Nr / No"] for row in rows] == ["1", "2", "3"]
    assert all(row["Kennung / Key"] for row in rows)
    assert rows[0]["Kennung / Key"] == rows[2]["Kennung / Key"] != rows[1]["Kennung / Key"]
    assert visitors.problems() == []
