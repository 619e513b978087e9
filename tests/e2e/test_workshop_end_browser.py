"""A workshop's end against a real hub process: over real sockets (the protocol from Python)
the facilitator is warned, a visitor without the code is refused until the scheduled end
passes and let in after it; another workshop is extended (saved: the REST API shows the new
end). Then staff read the moderation log in a real Chromium in German: action words in
German and readable local times, no Unix seconds."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest
from conftest import HubServer, Visitors
from websockets.sync.client import ClientConnection, connect

from server.app.smoke_check import websocket_address
from world.site import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def account(hub: HubServer, name: str, role: str) -> tuple[str, str]:
    username, password = f"{name.lower()}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    subprocess.run(
        [
            str(PROJECT_ROOT / ".venv" / "bin" / "hubtwin"),
            "accounts",
            *("--data-dir", str(hub.data_dir), "add", username, "--name", name),
            *("--role", role, "--password-stdin"),
        ],
        input=password.encode(),
        check=True,
        cwd=PROJECT_ROOT,
        capture_output=True,
    )
    return username, password


def call(hub: HubServer, method: str, path: str, body: Any = None, token: str = "") -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(hub.url + path.lstrip("/"), data, headers, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def sign_in(hub: HubServer, username: str, password: str) -> str:
    return str(
        call(hub, "POST", "/api/session", {"username": username, "password": password})["token"]
    )


class Speaker:
    """One connection speaking the real protocol, reading what the server sends."""

    def __init__(self, hub: HubServer, token: str, room: str) -> None:
        config = call(hub, "GET", "/api/config")
        ws_url = websocket_address(hub.url, config["ws_url"])
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(connect(ws_url, open_timeout=10))
        self.inbox: list[dict[str, Any]] = []
        hello = {
            "t": "hello",
            "v": config["protocol_version"],
            "token": token,
            "lang": "de",
            "appearance": {"color": "#1f5fae", "shape": "cube"},
            "room": room,
        }
        self.send(hello)
        self.session = str(self.wait(lambda m: m["t"] == "welcome")["session"])
        self.wait(lambda m: m["t"] == "joined")

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(msgpack.packb(message))

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout_s: float = 15.0) -> Any:
        """The first message (already received or arriving) that matches."""
        for index, message in enumerate(self.inbox):
            if match(message):
                del self.inbox[: index + 1]
                return message
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = self.ws.recv(timeout=left)
            except TimeoutError:
                break
            if not isinstance(frame, bytes) or frame[:1] == b"S":
                continue
            message = msgpack.unpackb(frame)
            if match(message):
                return message
            self.inbox.append(message)
        raise AssertionError(f"nothing matching arrived; got {[m['t'] for m in self.inbox]}")

    def error_or_joined(self) -> str:
        found = self.wait(lambda m: m["t"] == "joined" or (m["t"] == "error" and m.get("about")))
        return "joined" if found["t"] == "joined" else str(found["code"])

    def close(self) -> None:
        try:
            self.send({"t": "bye"})
        finally:
            self._stack.close()


@pytest.fixture
def hub(hub_per_test: HubServer) -> HubServer:
    """A hub for each test (and each attempt of it): a workshop an earlier attempt planned
    in the same room at the same time would clash with this one's."""
    return hub_per_test


@pytest.fixture
def speakers() -> Iterator[list[Speaker]]:
    opened: list[Speaker] = []
    try:
        yield opened
    finally:
        for speaker in opened:
            speaker.close()


def guest_token(hub: HubServer, name: str) -> str:
    return str(call(hub, "POST", "/api/session", {"name": name})["token"])


def test_the_end_passes_over_real_sockets_and_an_extension_is_kept(
    hub: HubServer, speakers: list[Speaker]
) -> None:
    username, password = account(hub, "Mara", "facilitator")
    token = sign_in(hub, username, password)
    now = time.time()
    # ends in about 12 s: the warning (5 minutes before) is due as soon as it starts
    short = call(
        hub,
        "POST",
        "/api/workshops",
        {"title": "Kurz und gut", "room": "workshop", "starts": now - 288, "minutes": 5}
        | {"access": "code", "code": "KURZ-1"},
        token,
    )
    longer = call(
        hub,
        "POST",
        "/api/workshops",
        {"title": "Mit Verlängerung", "room": "lab", "starts": now - 60, "minutes": 6},
        token,
    )
    mara = Speaker(hub, token, "workshop")
    kim = Speaker(hub, guest_token(hub, "Kim"), "foyer")
    speakers += [mara, kim]
    mara.send({"t": "workshop_start", "workshop": short["id"]})
    state = mara.wait(lambda m: m["t"] == "workshop_state" and m["workshop"])
    assert state["workshop"]["ends_at"] == short["ends_at"]
    warning = mara.wait(lambda m: m["t"] == "workshop_ending")
    assert warning == {
        "t": "workshop_ending",
        "workshop": short["id"],
        "title": "Kurz und gut",
        "ends_at": short["ends_at"],
        "ended": False,
    }
    kim.send({"t": "go", "room": "workshop"})
    assert kim.error_or_joined() == "workshop_access"

    # the end passes: Mara is told, the room takes its usual rules again
    over = mara.wait(lambda m: m["t"] == "workshop_ending" and m["ended"], timeout_s=30)
    assert time.time() >= short["ends_at"] and over["workshop"] == short["id"]
    mara.wait(lambda m: m["t"] == "workshop_state" and m["workshop"] is None)
    kim.send({"t": "go", "room": "workshop"})
    assert kim.error_or_joined() == "joined"

    # the other workshop: started, warned, extended by 20 minutes, and the end is kept
    mara.send({"t": "go", "room": "lab"})
    mara.wait(lambda m: m["t"] == "joined")
    mara.send({"t": "workshop_start", "workshop": longer["id"]})
    mara.wait(lambda m: m["t"] == "workshop_ending" and m["workshop"] == longer["id"])
    mara.send({"t": "workshop_extend", "minutes": 20})
    extended = mara.wait(
        lambda m: (
            m["t"] == "workshop_state"
            and m["workshop"]
            and m["workshop"]["ends_at"] == longer["ends_at"] + 1200
        )
    )
    assert extended["workshop"]["id"] == longer["id"]
    deadline = time.monotonic() + 10
    while call(hub, "GET", f"/api/workshops/{longer['id']}")["ends_at"] != longer["ends_at"] + 1200:
        assert time.monotonic() < deadline, "the extension was not saved"
        time.sleep(0.1)
    # a muted visitor cannot react either
    kim.send({"t": "go", "room": "lab"})
    assert kim.error_or_joined() == "joined"
    mara.send({"t": "mute", "session": kim.session, "on": True})
    kim.wait(lambda m: m["t"] == "moderated" and m["action"] == "muted")
    kim.send({"t": "react", "emoji": "👍"})
    assert kim.wait(lambda m: m["t"] == "error")["code"] == "reactions_muted"


def test_staff_read_the_moderation_log_in_german_with_times(
    hub: HubServer, visitors: Visitors, speakers: list[Speaker]
) -> None:
    # what the log will hold: a facilitator's mute, lock, chat setting and extension, and
    # a ban by staff over REST (its end in Unix seconds in the stored detail)
    username, password = account(hub, "Fritz", "facilitator")
    token = sign_in(hub, username, password)
    planned = {"title": "Beratung", "room": "consulting", "starts": time.time() - 60, "minutes": 30}
    workshop = call(hub, "POST", "/api/workshops", planned, token)
    fritz = Speaker(hub, token, "consulting")
    olga = Speaker(hub, guest_token(hub, "Olga"), "consulting")
    speakers += [fritz, olga]
    fritz.send({"t": "workshop_start", "workshop": workshop["id"]})
    fritz.wait(lambda m: m["t"] == "workshop_state" and m["workshop"])
    fritz.send({"t": "mute", "session": olga.session, "on": True, "minutes": 10})
    fritz.send({"t": "lock", "on": True})
    fritz.send({"t": "permissions", "chat": "facilitators"})
    fritz.send({"t": "workshop_extend", "minutes": 20})
    fritz.wait(
        lambda m: m["t"] == "workshop_state" and m["workshop"]["ends_at"] > workshop["ends_at"]
    )
    staff, staff_password = account(hub, "Sven", "staff")
    staff_token = sign_in(hub, staff, staff_password)
    ban = {"identity": f"g-{uuid.uuid4().hex}", "name": "Bob", "hours": 24, "reason": "Spam"}
    assert call(hub, "POST", "/api/moderation/bans", ban, staff_token)["expires_at"] > time.time()

    sven = visitors.open("Sven")
    sven.sign_in_as_staff(staff, staff_password)
    sven.page.locator("#toggle-workshop").click()
    log = sven.page.locator("#workshop-staff .ws-audit li")
    log.first.wait_for(timeout=15000)
    lines = log.all_text_contents()
    text = "\n".join(lines)
    mine = [line for line in lines if "Fritz" in line or "Sven" in line]
    assert any("Sven hat Bob gesperrt – bis " in line and line.endswith(": Spam") for line in mine)
    assert any("Fritz hat Olga stummgeschaltet – für 10 Min." in line for line in mine), text
    assert any("Fritz hat den Raum abgeschlossen" in line for line in mine), text
    assert any(
        "Fritz hat geändert, was der Raum erlaubt – Chat: nur Moderation" in line for line in mine
    ), text
    assert any("Fritz hat den Workshop verlängert – um 20 Min." in line for line in mine), text
    # every line begins with a local date and time; no Unix seconds, no English action words
    assert all(re.match(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} · ", line) for line in lines), text
    assert not re.search(r"\b\d{9,}\b", text), text
    assert not re.search(r"\b(mute|lock|permissions|extend|ban)\b", text), text
    log.last.scroll_into_view_if_needed()
    sven.screenshot("workshop-audit-log-de.png")


def test_a_facilitator_sees_the_warning_and_extends_in_the_browser(
    hub: HubServer, visitors: Visitors
) -> None:
    username, password = account(hub, "Lena", "facilitator")
    token = sign_in(hub, username, password)
    planned = {"title": "Endspurt", "room": "lounge", "starts": time.time() - 60, "minutes": 5}
    workshop = call(hub, "POST", "/api/workshops", planned, token)
    lena = visitors.open("Lena")
    lena.page.goto(f"{hub.url}?workshop={workshop['id']}")
    lena.wait_for("true")
    lena.sign_in_as_staff(username, password)
    lena.wait_for("s.room === 'lounge'", timeout_ms=20000)
    lena.page.locator("#toggle-workshop").click()
    lena.page.locator("#ws-start").click()
    # less than five minutes are left: the warning comes at once, in German
    lena.wait_for("s.workshops.ending && s.workshops.ending.ended === false")
    assert lena.page.locator("#announcement-title").text_content() == "Der Workshop endet bald"
    warning = lena.page.locator("#announcement-text").text_content() or ""
    assert warning.startswith("„Endspurt“ endet um ") and "verlängern Sie ihn" in warning
    lena.page.fill("#ws-extend-minutes", "10")
    lena.page.locator("#ws-extend").click()
    lena.wait_for("s.workshops.live && s.workshops.live.endsAt === arg", workshop["ends_at"] + 600)
    assert call(hub, "GET", f"/api/workshops/{workshop['id']}")["ends_at"] >= workshop["ends_at"]
    # the attendance summary marks her as the facilitator, with her key
    mine = lena.page.locator(".ws-mine li", has_text="Endspurt")
    mine.get_by_role("button", name="Teilnahme", exact=True).click()
    row = lena.page.locator(".ws-attendance tbody tr").first
    row.wait_for(timeout=15000)
    cells = row.locator("td").all_text_contents()
    assert (
        cells[0] == "Lena" and cells[2] == "Moderation" and re.fullmatch(r"[a-z2-7]{8}", cells[1])
    )
