"""Marking an advisor in the browser's accounts panel, against a real hub: staff member
Sabine finds the facilitator Fritz (made on the command line without the mark) in the
panel; Fritz, in the hub, has no desk to open in his consulting panel (key R; the hub's
refusals are tested over HTTP and WebSocket in tests/server); Sabine marks him as advisor,
the row says so, and Fritz's panel offers the desk, which the hub now opens for him; Sabine
takes the mark away again and his open desk closes."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from conftest import HubServer, Visitor, Visitors

from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

WAIT_MS = 30000


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each attempt: the desk is held by the running hub."""
    return hub_per_test


def account(hub: HubServer, name: str, role: str) -> tuple[str, str]:
    username, password = f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"), "accounts", "--data-dir",
         str(hub.data_dir), "add", username, "--name", name, "--role", role,
         "--password-stdin"],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )  # fmt: skip
    return username, password


def consulting_panel(visitor: Visitor) -> None:
    visitor.page.locator("#view").focus()
    visitor.page.keyboard.press("r")
    visitor.wait_for("s.consulting.open && s.consulting.refreshes > 0")


def press(visitor: Visitor, selector: str) -> None:
    button = visitor.page.locator(selector)
    button.focus()
    button.press("Enter")


@pytest.mark.timeout(600)
def test_staff_mark_an_advisor_in_the_accounts_panel(visitors: Visitors, hub: HubServer) -> None:
    fritz_name, fritz_password = account(hub, "Fritz", "facilitator")
    sabine = visitors.open("Sabine")
    sabine.sign_in_as_staff(*account(hub, "Sabine", "staff"))
    fritz = visitors.open("Fritz")
    fritz.sign_in_as_staff(fritz_name, fritz_password)

    consulting_panel(fritz)
    assert fritz.state()["consulting"]["advisor"] is False
    assert fritz.page.locator("#consult-desk").count() == 0
    press(sabine, "#toggle-accounts")
    sabine.wait_for(
        "s.accounts.open && s.accounts.accounts.some((a) => a.username === arg)", fritz_name
    )
    row = f'li.account[data-username="{fritz_name}"]'
    assert sabine.page.locator(row).get_attribute("data-advisor") == "false"
    press(sabine, f'{row} button[data-role="advisor"]')
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg && a.advisor)", fritz_name)
    assert "Beratungszeiten" in sabine.state()["accounts"]["status"]
    assert sabine.page.locator(row).get_attribute("data-advisor") == "true"

    # Fritz's panel offers the desk once it reads that he advises (every 5 s while open)
    fritz.wait_for("s.consulting.advisor", timeout_ms=WAIT_MS)
    fritz.page.locator("#consult-desk").wait_for()
    fritz.page.select_option("#consult-corner", "consulting-1")
    press(fritz, "#consult-open")
    fritz.wait_for("s.consulting.desk && s.consulting.desk.corner === 'consulting-1'")

    # the mark taken away: his desk closes
    press(sabine, f'{row} button[data-role="advisor"]')
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg && !a.advisor)", fritz_name)
    fritz.wait_for("s.consulting.desk === null", timeout_ms=WAIT_MS)
    fritz.wait_for("!s.consulting.advisor", timeout_ms=WAIT_MS)
    assert visitors.problems() == []
