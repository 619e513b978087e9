"""Deleting one's data: the person leaves the room at once (the others do not see them as
"away" for the reconnection grace) and is told their data is gone."""

from __future__ import annotations

from tests.e2e.conftest import HubServer, Visitors

# well below the reconnection grace (30 s) that someone merely gone away is held for
GONE_WITHIN_MS = 5000


def test_after_deleting_their_data_a_person_is_gone_for_the_others_at_once(
    visitors: Visitors, hub: HubServer
) -> None:
    ada, bo = visitors.together(("Ada", {}), ("Bo", {}))
    bo.wait_for("s.people.some((p) => p.name === 'Ada' && !p.away)")
    page = ada.page
    page.click("#toggle-settings")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#delete-data")
    page.locator("#privacy-status", has_text="gelöscht").wait_for()

    bo.wait_for(
        "!s.people.some((p) => p.name === 'Ada') && !s.others.some((o) => o.name === 'Ada')",
        timeout_ms=GONE_WITHIN_MS,
    )

    # back on the start page, Ada is told that her data is gone
    page.wait_for_url(hub.url, timeout=10000)
    notice = page.locator("#start-notice")
    notice.wait_for(state="visible")
    assert "gelöscht" in str(notice.text_content())
    assert page.evaluate("localStorage.getItem('hubtwin.session')") is None
