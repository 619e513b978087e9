"""axe-core finds nothing on the start page, in the hub with its panels, in the open chat
with messages, in the settings dialog and in the help; the settings dialog shows where the
focus is.

axe-core (an npm dev dependency) is put into the page by the test itself, so the hub serves
nothing extra."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import Visitor, Visitors
from world.site import PROJECT_ROOT

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# The findings of axe on the page (or within one element), as short readable lines.
RUN_AXE = """async (selector) => {
  const result = await window.axe.run(selector ? document.querySelector(selector) : document, {
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
  }));
}"""

# Where the keyboard is, whether that lies in the settings dialog and whether it is marked
# (an outline of at least 2 px, not the browser's thin default ring, or a box shadow).
FOCUS_MARK = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow !== "none";
  return {
    id: el.id || (el.name ? `${el.name}=${el.value}` : "") || el.textContent.trim() || el.outerHTML,
    inDialog: Boolean(el.closest("#panel-settings")),
    shown: outline || ring,
  };
}"""


def findings(page: Page, selector: str | None = None) -> list[dict[str, Any]]:
    if not page.evaluate("window.axe !== undefined"):
        # evaluated, not added as a <script>: the client's Content-Security-Policy (rightly)
        # refuses inline scripts
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result: list[dict[str, Any]] = page.evaluate(RUN_AXE, selector)
    return result


def assert_clean(page: Page, selector: str | None = None) -> None:
    found = findings(page, selector)
    assert not found, "axe: " + "; ".join(f"{f['id']} ({f['impact']}) {f['nodes']}" for f in found)


def chat(visitor: Visitor, text: str) -> None:
    visitor.page.fill("#chat-input", text)
    visitor.page.press("#chat-input", "Enter")


def test_axe_finds_nothing_on_the_start_page_panels_chat_and_settings(visitors: Visitors) -> None:
    ada = visitors.open("Ada")
    page = ada.page
    assert_clean(page)
    visitors.enter(ada)

    for toggle in ("#toggle-rooms", "#toggle-people", "#toggle-chat"):
        page.click(toggle)
    chat(ada, "Hallo zusammen")
    chat(ada, "Guten Tag")
    page.locator("#chat-log li", has_text="Guten Tag").wait_for()
    assert_clean(page)
    assert_clean(page, "#panel-chat")

    page.click("#toggle-settings")
    page.locator("#panel-settings").wait_for()
    assert_clean(page, "#panel-settings")
    page.keyboard.press("Escape")
    page.click("#toggle-help")
    page.locator("#panel-help").wait_for()
    assert_clean(page, "#panel-help")


def test_the_settings_dialog_shows_where_the_focus_is(visitors: Visitors) -> None:
    eva = visitors.new("Eva")
    page = eva.page
    page.focus("#toggle-settings")
    page.keyboard.press("Enter")
    page.locator("#panel-settings").wait_for()
    unmarked = []
    visited = []
    # Tab through the dialog: every control it lands on has a visible outline or ring.
    for _ in range(30):
        shown = page.evaluate(FOCUS_MARK)
        if not shown["inDialog"] or shown["id"] in visited:
            break
        visited.append(shown["id"])
        if not shown["shown"]:
            unmarked.append(shown["id"])
        page.keyboard.press("Tab")
    assert len(visited) >= 8, visited
    assert unmarked == []
