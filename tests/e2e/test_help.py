"""The help overlay: the ? key or the help button shows the controls, in German and in
English; Escape closes it and gives the keyboard back."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.conftest import Visitors


def test_the_help_lists_the_controls_and_closes_with_escape(visitors: Visitors) -> None:
    ida = visitors.new("Ida")
    page = ida.page
    help_dialog = page.locator("#panel-help")
    assert help_dialog.is_hidden()

    page.focus("#view")
    page.keyboard.press("?")
    help_dialog.wait_for(state="visible")
    text = str(help_dialog.text_content())
    for expected in ("Bedienung", "Pfeiltasten", "Gehen", "Räume", "Chat", "Hand heben", "Esc"):
        assert expected in text, expected
    page.keyboard.press("Escape")
    help_dialog.wait_for(state="hidden")
    # the dialog's close event gives the keyboard back to the help button
    expect(page.locator("#toggle-help")).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#toggle-help")).to_be_focused()

    # in English, opened with the button
    page.click("#toggle-settings")
    page.locator('#language-switch-hub [data-language="en"]').click()
    page.keyboard.press("Escape")
    page.click("#toggle-help")
    help_dialog.wait_for(state="visible")
    assert page.get_attribute("#toggle-help", "aria-expanded") == "true"
    text = str(help_dialog.text_content())
    for expected in ("Controls", "Arrow keys", "Walk", "Rooms", "Raise hand", "This help"):
        assert expected in text, expected
    page.click("#panel-help button.close")
    help_dialog.wait_for(state="hidden")
