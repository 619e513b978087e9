"""People to meet in the browser, worked with the keyboard: two visitors show a profile in
the panel (key T), one finds the other by topic in "who is here" and among the server's
suggestions, asks to exchange contacts (the other, whose panel is closed, is told at once in
the chat), the other accepts with their own details, and only then can the first download
the other's vCard; axe-core finds nothing in the panel."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from conftest import Visitor, Visitors
from playwright.sync_api import Locator
from test_accessibility import assert_clean

from world.model import World

pytestmark = pytest.mark.e2e


def press(target: Locator, key: str) -> None:
    """Work the panel with the keyboard, as someone without a mouse does."""
    target.focus()
    target.press(key)


def show_profile(visitor: Visitor, industry: str, group: str, topic: str, email: str) -> None:
    page = visitor.page
    page.locator("#view").focus()
    page.keyboard.press("t")
    page.locator("#panel-meet").wait_for()
    page.locator("#meet-visible").wait_for()
    for _ in range(100):  # the form arrives with the profile; the keyboard starts on it
        if page.evaluate("document.activeElement.id") == "meet-visible":
            break
        page.wait_for_timeout(50)
    assert page.evaluate("document.activeElement.id") == "meet-visible"
    assert not page.is_checked("#meet-visible")  # off until turned on
    page.fill("#meet-industry", industry)
    press(page.locator(f"#meet-{group}-{topic}"), "Space")
    page.fill("#meet-card-email", email)
    press(page.locator("#meet-visible"), "Space")  # saves at once
    page.locator("#meet-status", has_text="sichtbar").wait_for()


def test_two_visitors_find_each_other_by_topic_and_exchange_contacts(
    visitors: Visitors, tmp_path: Path
) -> None:
    ada, ben = visitors.together(("Ada", {}), ("Ben", {}))
    show_profile(ada, "Handwerk", "interests", "klimabilanz", "ada@example.org")
    show_profile(ben, "Energieberatung", "helps_with", "klimabilanz", "ben@example.org")
    page = ada.page

    page.select_option("#meet-filter-topic", "foerderung")
    page.locator("#meet-list li", has_text="Niemand").wait_for()
    page.select_option("#meet-filter-topic", "klimabilanz")
    ben_item = page.locator("#meet-list li.person", has_text="Ben")
    ben_item.wait_for()
    assert "Energieberatung" in ben_item.inner_text()
    suggestion = page.locator("#meet-suggestion-list li.person", has_text="Ben")
    suggestion.wait_for()
    assert "kann helfen bei: Klimabilanz" in suggestion.inner_text()
    assert_clean(page, "#panel-meet")

    # Ben has closed the panel: the server tells him at once, in the chat and read out
    ben.page.locator("#toggle-meet").click()
    ben.page.locator("#panel-meet").wait_for(state="hidden")
    press(ben_item.locator(".meet-ask"), "Enter")
    page.locator("#meet-exchanges li", has_text="Warte auf Antwort von Ben").wait_for()
    assert page.locator(".meet-vcard").count() == 0  # nothing before Ben agrees
    told = "Ada möchte Kontaktdaten mit Ihnen tauschen (Leute treffen, Taste T)."
    ben.page.locator("#banner-text", has_text=told).wait_for(timeout=5000)
    ben.page.locator("#chat-log li.system", has_text=told).wait_for(state="attached")
    ben.page.locator("#view").focus()
    ben.page.keyboard.press("t")
    ben.page.locator("#panel-meet").wait_for()

    incoming = ben.page.locator("#meet-exchanges li", has_text="Ada möchte Kontaktdaten tauschen")
    incoming.wait_for()
    press(incoming.locator(".meet-accept"), "Enter")
    ben.page.locator("#meet-exchanges li", has_text="Kontakt mit Ada getauscht").wait_for()
    page.locator("#banner-text", has_text="Ben hat den Kontaktaustausch angenommen").wait_for()

    download_button = page.locator(".meet-vcard")
    download_button.wait_for()
    with page.expect_download() as info:
        press(download_button, "Enter")
    saved = tmp_path / "ben.vcf"
    info.value.save_as(saved)
    card = saved.read_bytes().decode("utf-8")
    assert card.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "FN:Ben\r\n" in card and "EMAIL:ben@example.org\r\n" in card
    assert_clean(ben.page, "#panel-meet")
    for visitor in (ada, ben):
        assert visitor.problems == [], visitor.problems


def test_go_to_and_write_to_someone_in_another_room(visitors: Visitors, world_model: World) -> None:
    ada, ben = visitors.together(("Ute", {}), ("Kai", {}))
    show_profile(ada, "Handwerk", "interests", "klimabilanz", "ute@example.org")
    show_profile(ben, "Energieberatung", "helps_with", "klimabilanz", "kai@example.org")
    # Kai closes the panel and goes on to the lab
    ben.page.locator("#toggle-meet").click()
    ben.page.locator("#panel-meet").wait_for(state="hidden")
    ben.page.click("#toggle-rooms")
    ben.page.click('#room-list li[data-room-id="lab"] button')
    ben.wait_for("s.room === 'lab'", timeout_ms=10000)
    ben.page.click("#toggle-rooms")
    spawn = ben.state()["position"]  # he walks away from where newcomers to the lab appear
    spots = sorted(
        (s.position for s in world_model.spawns if s.room_id == "lab"),
        key=lambda p: -math.hypot(p[0] - spawn["x"], p[2] - spawn["z"]),
    )
    walked = ben.walk_to(float(spots[0][0]), float(spots[0][2]))  # the lab's farthest spawn spot
    assert walked["arrived"], walked
    assert math.hypot(spots[0][0] - spawn["x"], spots[0][2] - spawn["z"]) > 3.5
    page = ada.page
    ben_item = page.locator("#meet-list li.person", has_text="Kai")
    ben_item.wait_for()

    # a message to him in the other room
    press(ben_item.locator(".meet-message"), "Enter")
    page.locator("#chat-recipient option", has_text="Kai (anderer Raum)").wait_for(state="attached")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.fill("#chat-input", "Hallo Kai, ich komme rüber.")
    page.keyboard.press("Enter")
    ben.wait_for("s.chat.some((m) => m.direct && m.text === 'Hallo Kai, ich komme rüber.')")

    # and there: into his room, then beside him
    press(ben_item.locator(".meet-go"), "Enter")
    ada.wait_for("s.room === 'lab'", timeout_ms=10000)
    beside = (
        "(() => { const b = s.others.find((o) => o.name === 'Kai');"
        " return b && Math.hypot(b.x - s.position.x, b.z - s.position.z) < 2.2; })()"
    )
    ada.wait_for(beside, timeout_ms=20000)
    for visitor in (ada, ben):
        assert visitor.problems == [], visitor.problems
