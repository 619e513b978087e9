"""The hub's offers in the browser: a visitor sees them on the board in the foyer, opens the
panel with the key O, filters them by topic, audience and place, signs up for one (name and
contact asked only then; refused until consent is given), sees the seat taken, and the
sign-up is in the staff's CSV; staff edit an offer in the same panel; axe-core finds nothing
in the panel."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import urllib.request
import uuid

import pytest
from conftest import PROJECT_ROOT, HubServer, Visitors
from test_accessibility import assert_clean
from test_accounts_panel import account, staff_enters
from test_workshop import open_spot

from world.model import World

pytestmark = pytest.mark.e2e

OFFER = "betriebsrat-transformation"


def staff_token(hub: HubServer) -> str:
    username, password = f"sven-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"), "accounts", "--data-dir",
         str(hub.data_dir), "add", username, "--name", "Sven", "--role", "staff",
         "--password-stdin"],
        input=password + "\n", text=True, check=True, capture_output=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    request = urllib.request.Request(
        hub.url + "api/session",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["token"])


def test_filter_the_offers_and_sign_up_with_consent(
    visitors: Visitors, hub: HubServer, world_model: World
) -> None:
    ada = visitors.new("Ada")
    page = ada.page
    # the board in the foyer lists the next offers
    ada.wait_for("s.offers && s.offers.onWall && s.offers.board.length > 2")
    board = ada.state()["offers"]["board"]
    assert board[0] == "Angebote des Hubs"
    assert any("Nachhaltigkeitsbericht: Einstieg für KMU" in line for line in board), board
    # standing at it (a picture to look at, test-artifacts/offers-board.png)
    wall = next(a for a in world_model.anchors_of("board") if a.extras.get("shows") == "offers")
    bx, bz = float(wall.position[0]), float(wall.position[2])
    x, z = open_spot(world_model, "foyer", bx - 2.2, bz)
    assert ada.walk_to(x, z)["arrived"]
    page.evaluate(f"window.hubtwin.lookAt({bx}, {bz})")
    ada.frames(3)
    ada.screenshot("offers-board.png")

    page.locator("#view").focus()
    page.keyboard.press("o")
    page.locator("#panel-offers").wait_for()
    assert page.evaluate("document.activeElement.id") == "offers-topic"
    ada.wait_for("s.offers.shown.length === 8")

    page.select_option("#offers-topic", "foerderung")
    ada.wait_for("s.offers.shown.length === 2")
    assert ada.state()["offers"]["shown"] == ["foerderlotse", "kompetenzregion-gruene-produktion"]
    page.select_option("#offers-topic", "")
    page.select_option("#offers-audience", "betriebsraete")
    page.select_option("#offers-place", "in_person")
    ada.wait_for(f"s.offers.shown.length === 2 && s.offers.shown[0] === '{OFFER}'")
    page.fill("#offers-from", "2027-02-01")
    page.fill("#offers-to", "2027-02-28")
    page.locator("#offers-to").dispatch_event("change")
    ada.wait_for(f"s.offers.shown.length === 1 && s.offers.shown[0] === '{OFFER}'")
    item = page.locator(f'li[data-offer="{OFFER}"]')
    assert "0 von 20 Plätzen vergeben" in item.inner_text()
    assert item.locator("input").count() == 0  # nothing asked before signing up

    item.locator("[data-action=signup]").click()
    assert page.evaluate("document.activeElement.id") == f"offer-{OFFER}-name"
    assert page.input_value(f"#offer-{OFFER}-name") == "Ada"
    page.fill(f"#offer-{OFFER}-name", "Ada Lovelace")
    page.fill(f"#offer-{OFFER}-contact", "ada@example.org")
    item.locator("button[type=submit]").click()
    item.locator(".error", has_text="willigen Sie ein").wait_for()
    assert page.evaluate("document.activeElement.id") == f"offer-{OFFER}-consent"
    assert_clean(page, "#panel-offers")
    page.check(f"#offer-{OFFER}-consent")
    item.locator("button[type=submit]").click()
    item.locator(".offer-signed-up").wait_for()
    assert "1 von 20 Plätzen vergeben" in page.locator(f'li[data-offer="{OFFER}"]').inner_text()
    assert page.evaluate("document.activeElement.dataset.action") == "cancel"
    assert_clean(page, "#panel-offers")
    ada.screenshot("offers-panel.png")

    request = urllib.request.Request(
        hub.url + f"api/offers/{OFFER}/signups.csv",
        headers={"Authorization": f"Bearer {staff_token(hub)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        rows = list(csv.reader(io.StringIO(response.read().decode("utf-8"))))
    assert [row[1:5] for row in rows[1:]] == [
        [OFFER, "Platz / seat", "Ada Lovelace", "ada@example.org"]
    ]
    assert visitors.problems() == []


def test_staff_edit_an_offer_in_the_panel(visitors: Visitors, hub: HubServer) -> None:
    sabine = staff_enters(visitors, *account(hub, "Sabine", "staff"))
    page = sabine.page
    page.locator("#view").focus()
    page.keyboard.press("o")
    sabine.wait_for("s.offers && s.offers.shown.length === 8")
    assert page.locator("#offers-csv-all").is_visible()
    item = page.locator('li[data-offer="austauschreihe-maerz"]')
    item.locator("[data-action=edit]").click()
    assert page.evaluate("document.activeElement.id") == "offers-f-title-de"
    assert page.input_value("#offers-f-starts") == "2027-03-11T17:00"
    page.fill("#offers-f-title-de", "Austauschreihe: Ressourcen sparen im Handel (neuer Termin)")
    page.fill("#offers-f-starts", "2027-03-18T17:00")
    page.fill("#offers-f-ends", "2027-03-18T19:00")
    page.fill("#offers-f-seats", "2")
    assert_clean(page, "#panel-offers")
    page.locator("#offers-editor button[type=submit]").click()
    page.locator("#offers-editor").wait_for(state="detached")
    item.locator("h3", has_text="(neuer Termin)").wait_for()
    assert "0 von 2 Plätzen vergeben" in item.inner_text()
    with urllib.request.urlopen(hub.url + "api/offers/austauschreihe-maerz", timeout=10) as got:
        offer = json.loads(got.read())
    assert (offer["starts"], offer["ends"], offer["seats"]) == (
        "2027-03-18T17:00",
        "2027-03-18T19:00",
        2,
    )
    assert offer["title"]["en"] == "Exchange series: saving resources in retail"
    assert visitors.problems() == []


def call(hub: HubServer, method: str, path: str, token: str, body: object = None) -> object:
    request = urllib.request.Request(
        hub.url + path.lstrip("/"),
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_a_full_offer_has_a_waiting_list_that_moves_up(visitors: Visitors, hub: HubServer) -> None:
    path = "/api/offers/fachkraefte-von-morgen"
    offer = call(hub, "GET", path, staff_token(hub))
    assert isinstance(offer, dict)
    call(hub, "PUT", path, staff_token(hub), {**offer, "seats": 1, "waiting_list": 1})
    guest = call(hub, "POST", "/api/session", "", {"name": "Bea"})
    assert isinstance(guest, dict)
    bea = str(guest["token"])
    consent = {"name": "Bea", "contact": "bea@example.org", "consent": True}
    call(hub, "POST", f"{path}/signup", bea, consent)

    ada = visitors.new("Ada")
    page = ada.page
    page.locator("#view").focus()
    page.keyboard.press("o")
    ada.wait_for("s.offers && s.offers.shown.length === 8")
    item = page.locator('li[data-offer="fachkraefte-von-morgen"]')
    assert "1 von 1 Plätzen vergeben · Warteliste: 0 von 1" in item.inner_text()
    join = item.locator("[data-action=signup]")
    assert join.inner_text() == "Auf die Warteliste" and join.is_enabled()
    join.click()
    page.fill("#offer-fachkraefte-von-morgen-contact", "ada@example.org")
    page.check("#offer-fachkraefte-von-morgen-consent")
    item.locator("button[type=submit]").click()
    item.locator(".offer-signed-up", has_text="Platz 1 der Warteliste").wait_for()
    assert "Warteliste: 1 von 1 (ausgebucht)" in item.inner_text()
    assert_clean(page, "#panel-offers")

    # Bea takes her seat back: Ada moves up, and sees it when she opens the panel again
    call(hub, "DELETE", f"{path}/signup", bea)
    page.locator("#toggle-offers").click()
    page.locator("#panel-offers").wait_for(state="hidden")
    page.locator("#toggle-offers").click()
    item.locator(".offer-signed-up", has_text="Sie sind angemeldet.").wait_for()
    assert "1 von 1 Plätzen vergeben · Warteliste: 0 von 1" in item.inner_text()
    assert visitors.problems() == []
