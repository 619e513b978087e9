"""The staff's accounts panel in the real web client (Debian's chromium) against a real hub:
a staff member creates an account, disables it (its open realtime connection, held by a
Python client, is closed with token_revoked at once and its token stops working), enables
it, gives it a new password, removes it; the client renews its token and keeps the fresh
one; "sign out everywhere" in the settings revokes the staff member's own token; signing
out on another device ends a visit here with a note and no reconnecting."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import msgpack
import pytest
from conftest import HubServer, Visitor, Visitors
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from server.protocol.table import PROTOCOL_VERSION, SNAPSHOT_TAG
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e

SNAPSHOT = bytes((SNAPSHOT_TAG,))


def account(hub: HubServer, name: str, role: str) -> tuple[str, str]:
    """An account made with the CLI: (username, password)."""
    username, password = f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
            "accounts",
            "--data-dir",
            str(hub.data_dir),
            "add",
            username,
            "--name",
            name,
            "--role",
            role,
            "--password-stdin",
        ],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    return username, password


def call(
    hub: HubServer, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def sign_in(hub: HubServer, username: str, password: str) -> int:
    return call(hub, "POST", "api/session", {"username": username, "password": password})[0]


def staff_enters(visitors: Visitors, username: str, password: str) -> Visitor:
    sabine = visitors.open("Sabine")
    sabine.sign_in_as_staff(username, password)
    return sabine


def account_state(sabine: Visitor, username: str) -> dict[str, Any] | None:
    for row in sabine.state()["accounts"]["accounts"]:
        if row["username"] == username:
            return dict(row)
    return None


def test_staff_manage_accounts_in_the_browser(hub: HubServer, visitors: Visitors) -> None:
    staff_user, staff_password = account(hub, "Sabine", "staff")
    sabine = staff_enters(visitors, staff_user, staff_password)
    page = sabine.page
    assert page.locator("#toggle-accounts").is_visible()

    # a new account, made in the panel
    page.locator("#toggle-accounts").click()
    sabine.wait_for("s.accounts.open && s.accounts.accounts.length > 0")
    fritz = f"fritz-{uuid.uuid4().hex[:6]}"
    page.fill("#account-username", fritz)
    page.fill("#account-name", "Fritz")
    page.select_option("#account-role", "facilitator")
    page.fill("#account-password", "fritz-sein-passwort")
    page.locator("#account-create button[type=submit]").click()
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg)", fritz)
    assert account_state(sabine, fritz) == {
        "username": fritz,
        "role": "facilitator",
        "disabled": False,
        "advisor": False,
    }
    status, session = call(
        hub, "POST", "api/session", {"username": fritz, "password": "fritz-sein-passwort"}
    )
    assert status == 200
    token = session["token"]

    # Fritz is inside (a Python client); disabling him closes that connection at once
    with connect(hub.url.replace("http", "ws", 1) + "ws", open_timeout=10) as ws:
        hello = {
            "t": "hello",
            "v": PROTOCOL_VERSION,
            "token": token,
            "lang": "de",
            "appearance": {"color": "#336699", "shape": "capsule"},
        }
        ws.send(msgpack.packb(hello))
        kinds = []
        while "joined" not in kinds:
            frame = ws.recv(timeout=10)
            if isinstance(frame, bytes) and frame[:1] != SNAPSHOT:
                kinds.append(msgpack.unpackb(frame)["t"])
        row = page.locator(f'li.account[data-username="{fritz}"]')
        row.locator('button[data-role="toggle"]').click()
        sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg && a.disabled)", fritz)
        codes = []
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = ws.recv(timeout=10)
                if isinstance(frame, bytes) and frame[:1] != SNAPSHOT:
                    message = msgpack.unpackb(frame)
                    if message["t"] == "error":
                        codes.append(message["code"])
        assert codes[-1:] == ["token_revoked"]
        assert ws.close_code == 4010
    assert call(hub, "GET", "api/me", token=token)[0] == 401
    assert sign_in(hub, fritz, "fritz-sein-passwort") == 403
    assert "deaktiviert" in sabine.state()["accounts"]["status"]

    # enabled again, then a new password from the panel
    row = page.locator(f'li.account[data-username="{fritz}"]')
    row.locator('button[data-role="toggle"]').click()
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg && !a.disabled)", fritz)
    assert sign_in(hub, fritz, "fritz-sein-passwort") == 200
    row = page.locator(f'li.account[data-username="{fritz}"]')
    row.locator('input[data-role="password"]').fill("ein-ganz-neues-pw")
    row.locator('button[data-role="set-password"]').click()
    sabine.wait_for("s.accounts.status.includes('neues Passwort')")
    assert sign_in(hub, fritz, "fritz-sein-passwort") == 401
    assert sign_in(hub, fritz, "ein-ganz-neues-pw") == 200

    # removed (the button asks once more), and gone from the list
    row = page.locator(f'li.account[data-username="{fritz}"]')
    row.locator('button[data-role="remove"]').click()
    row.locator('button[data-role="remove"]').click()
    sabine.wait_for("!s.accounts.accounts.some((a) => a.username === arg)", fritz)
    assert sign_in(hub, fritz, "ein-ganz-neues-pw") == 401
    # one's own account cannot be disabled or removed from here
    mine = page.locator(f'li.account[data-username="{staff_user}"]')
    assert mine.locator('button[data-role="toggle"]').is_disabled()
    assert mine.locator('button[data-role="remove"]').is_disabled()
    sabine.screenshot("accounts-panel.png")

    # the client renews its token and keeps the fresh one
    before = page.evaluate("JSON.parse(localStorage.getItem('hubtwin.session')).token")
    assert page.evaluate("window.hubtwin.renewSession()") is True
    after = page.evaluate("JSON.parse(localStorage.getItem('hubtwin.session')).token")
    assert after != before
    assert call(hub, "GET", "api/me", token=after)[0] == 200

    # signing out everywhere: the token stops working and the browser forgets it
    page.locator("#toggle-settings").click()
    page.locator("#sign-out-everywhere").click()
    deadline = time.monotonic() + 15
    while page.evaluate("localStorage.getItem('hubtwin.session')") is not None:
        assert time.monotonic() < deadline, "the browser kept the revoked session"
        page.wait_for_timeout(50)
    assert call(hub, "GET", "api/me", token=after)[0] == 401


def test_signing_out_elsewhere_ends_the_visit_here_with_a_note(
    hub: HubServer, visitors: Visitors
) -> None:
    gerd = visitors.new("Gerd")
    page = gerd.page
    token = page.evaluate("JSON.parse(localStorage.getItem('hubtwin.session')).token")
    # another device of Gerd's signs out everywhere
    assert call(hub, "POST", "api/me/sign-out-everywhere", token=token)[0] == 200
    # closed for good ("closed", not "reconnecting": the client does not try again)
    gerd.wait_for("s.connection === 'closed'", timeout_ms=10000)
    assert page.evaluate("localStorage.getItem('hubtwin.session')") is None
    banner = page.locator("#banner-text")
    assert banner.is_visible()
    assert "abgemeldet" in str(banner.text_content())


def test_staff_create_an_advisor_with_the_keyboard(hub: HubServer, visitors: Visitors) -> None:
    """The form that creates an account has a labelled advisor checkbox (German, and
    English once switched), reached and ticked with the keyboard; the account is
    made an advisor in one step and the running hub follows at once."""
    staff_user, staff_password = account(hub, "Sabine", "staff")
    sabine = staff_enters(visitors, staff_user, staff_password)
    page = sabine.page
    page.locator("#toggle-accounts").click()
    sabine.wait_for("s.accounts.open && s.accounts.accounts.length > 0")
    box = page.get_by_role("checkbox", name="Berät (bietet Beratungszeiten an)")
    assert not box.is_checked()
    assert box.get_attribute("aria-describedby") == "account-advisor-hint"

    berta = f"berta-{uuid.uuid4().hex[:6]}"
    page.fill("#account-username", berta)
    page.fill("#account-name", "Berta")
    page.select_option("#account-role", "facilitator")
    page.fill("#account-password", "bertas-passwort-1")
    page.keyboard.press("Tab")  # from the password to the checkbox
    assert page.evaluate("document.activeElement.id") == "account-advisor"
    page.keyboard.press("Space")
    assert box.is_checked()
    page.keyboard.press("Tab")  # to the create button
    page.keyboard.press("Enter")
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg && a.advisor)", berta)
    assert sabine.state()["accounts"]["status"] == (
        f"Konto {berta} angelegt und als Beratung eingetragen."
    )
    assert not box.is_checked()  # the form is empty again for the next one
    row = page.locator(f'li.account[data-username="{berta}"]')
    assert "Berät" in row.locator("p").inner_text()
    assert row.locator('button[data-role="advisor"]').inner_text() == "Nicht mehr Beratung"

    # the server made her an advisor: the accounts list, and the running hub at once
    status, listed = call(hub, "GET", "api/accounts", token=sabine_token(sabine))
    assert status == 200
    assert [a["advisor"] for a in listed["accounts"] if a["username"] == berta] == [True]
    status, session = call(
        hub, "POST", "api/session", {"username": berta, "password": "bertas-passwort-1"}
    )
    assert status == 200
    status, overview = call(hub, "GET", "api/consulting", token=session["token"])
    assert status == 200 and overview["me"] == {"advisor": True}

    # without the tick, the next account is no advisor
    plain = f"paul-{uuid.uuid4().hex[:6]}"
    page.fill("#account-username", plain)
    page.fill("#account-name", "Paul")
    page.fill("#account-password", "pauls-passwort-1")
    page.locator("#account-create button[type=submit]").click()
    sabine.wait_for("s.accounts.accounts.some((a) => a.username === arg)", plain)
    assert account_state(sabine, plain) == {
        "username": plain,
        "role": "facilitator",
        "disabled": False,
        "advisor": False,
    }

    # the same form in English
    page.locator("#toggle-settings").click()
    page.locator('#language-switch-hub [data-language="en"]').click()
    page.keyboard.press("Escape")
    if not sabine.state()["accounts"]["open"]:
        page.locator("#toggle-accounts").click()
    sabine.wait_for("s.accounts.open")
    english = page.get_by_role("checkbox", name="Advisor (sits consulting hours)")
    assert english.is_visible() and not english.is_checked()
    assert "call visitors in" in page.locator("#account-advisor-hint").inner_text()


def sabine_token(visitor: Visitor) -> str:
    token: str = visitor.page.evaluate("JSON.parse(localStorage.getItem('hubtwin.session')).token")
    return token
