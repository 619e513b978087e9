"""The hub on a phone (390×844, touch): the toolbar folds into a menu button, a panel fills
the screen, the joystick steps aside while a panel is open and catches none of its taps, and
everything one taps is at least 44 px each way."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import ViewportSize

from tests.e2e.conftest import Visitor, Visitors

PHONE: ViewportSize = {"width": 390, "height": 844}
MIN_TARGET_PX = 44

# Every visible control in a part of the page that is too small to tap, with its size.
SMALL_TARGETS = """(selector) => {
  const small = [];
  for (const root of document.querySelectorAll(selector)) {
    for (const el of root.querySelectorAll("button, input, select, summary, a[href]")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;  // not shown
      if (el.type === "checkbox" || el.type === "radio") {
        const label = el.closest("label") ?? el;
        const own = label.getBoundingClientRect();
        if (own.height < 44) small.push([el.id || label.textContent.trim(), own.width, own.height]);
        continue;
      }
      if (box.width < 44 || box.height < 44) {
        const name = el.id || el.textContent.trim() || el.getAttribute("aria-label");
        small.push([name, box.width, box.height]);
      }
    }
  }
  return small;
}"""


def phone_visitor(visitors: Visitors, name: str) -> Visitor:
    visitor = visitors.open(name, touch=True)
    visitor.page.set_viewport_size(PHONE)
    visitors.enter(visitor)
    return visitor


def box(visitor: Visitor, selector: str) -> dict[str, Any]:
    found = visitor.page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return dict(found)


def test_on_a_phone_the_toolbar_is_a_menu_and_panels_fill_the_screen(visitors: Visitors) -> None:
    mia = phone_visitor(visitors, "Mia")
    page = mia.page

    # One row at the top: the room's name and the menu button; the toolbar is folded away.
    assert page.locator("#toggle-menu").is_visible()
    assert not page.locator("#toggle-chat").is_visible()
    assert box(mia, ".hud-top")["height"] < 2 * MIN_TARGET_PX
    menu = box(mia, "#toggle-menu")
    assert menu["width"] >= MIN_TARGET_PX and menu["height"] >= MIN_TARGET_PX, menu
    assert page.locator("#joystick").is_visible(), page.evaluate(
        "[...document.querySelectorAll('#hub .panel:not([hidden])')].map(e => e.id)"
    )
    joystick = box(mia, "#joystick")

    page.tap("#toggle-menu")
    assert page.get_attribute("#toggle-menu", "aria-expanded") == "true"
    assert page.locator("#toggle-chat").is_visible()
    assert page.evaluate(SMALL_TARGETS, ".hud-top") == []
    # the unfolded menu lies on top of the view and of the joystick
    assert not page.locator("#joystick").is_visible()

    for toggle, panel in (
        ("#toggle-chat", "#panel-chat"),
        ("#toggle-people", "#panel-people"),
        ("#toggle-rooms", "#panel-rooms"),
    ):
        if not page.locator(toggle).is_visible():
            page.tap("#toggle-menu")
        page.tap(toggle)
        assert page.get_attribute("#toggle-menu", "aria-expanded") == "false"
        shown = box(mia, panel)
        assert (shown["x"], shown["y"]) == (0, 0), shown
        assert (shown["width"], shown["height"]) == (PHONE["width"], PHONE["height"]), shown
        assert not page.locator("#joystick").is_visible()
        # a tap where the joystick was lands in the panel, not on the joystick
        centre = [joystick["x"] + joystick["width"] / 2, joystick["y"] + joystick["height"] / 2]
        hit = page.evaluate(
            """([x, y, panel]) => {
                 const el = document.elementFromPoint(x, y);
                 return {
                   inPanel: Boolean(el && el.closest(panel)),
                   joystick: Boolean(el && el.closest('#joystick')),
                 };
               }""",
            [*centre, panel],
        )
        assert hit == {"inPanel": True, "joystick": False}, (panel, hit)
        assert page.evaluate(SMALL_TARGETS, panel) == [], panel
        # only one panel at a time
        assert page.locator("#hub .panel:not([hidden])").count() == 1
        page.tap(f"{panel} button.close")
        assert page.locator(panel).is_hidden()

    # every panel closed: the joystick is back
    assert page.locator("#joystick").is_visible()

    page.tap("#toggle-menu")
    page.tap("#toggle-settings")
    assert page.evaluate(SMALL_TARGETS, "#panel-settings") == []
