"""Voice for real: the hub with its own Janus, Chromium with fake microphones (a tone of its
own per speaker), WebRTC media between the browsers and Janus.

Media never touches the machine's network: the whole test (hub, Janus, every Chromium,
the Python client) runs in a network namespace the test makes (``unshare --net``) with a
veth pair of its own (10.231.0.1/2); Janus offers only that pair's first end
(``--voice-ice-enforce-list``), there is no STUN. (Janus leaves loopback interfaces out of
ICE, so ``lo`` alone cannot carry the media.)

What is checked, each from what the listener's browser actually receives (its WebAudio
analyser's level and loudest frequency per voice, and getStats' inbound packets):

- a speaker 2 m away is heard, with their own tone; one across the room is not received
  at all (no stream of theirs in the listener's connection);
- a speaker muting themselves (key N) or muted by a facilitator stops arriving within a
  second (from the mute to the last packet's arrival in the listener's getStats, so a slow
  machine's event loop is not counted, only what the server still forwarded);
- someone on the stage is heard across the whole room;
- voice follows a room change: in another room the old room's voices are gone;
- a hand-written client speaking the hub's protocol gets only the voices the hub gives
  it, and cannot reach Janus's API itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import shutil
import struct
import subprocess
import threading
import time
import uuid
import wave
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HubServer,
    Visitor,
    Visitors,
    copy_built,
    running_hub,
)
from playwright.sync_api import Playwright, sync_playwright
from websockets.sync.client import ClientConnection, connect

from server.app.smoke_check import websocket_address
from server.base.identity import Identity, Role
from server.base.tokens import TokenSigner
from server.protocol.table import encode_pose

pytestmark = [
    pytest.mark.timeout(400),
    pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a network namespace of its own needs root"),
]

CLONE_NEWNET = 0x40000000
VETH = ("hubv0", "hubv1")
TONES = {"near": 440.0, "far": 1100.0, "stage": 660.0}
LISTENER_AT = (-11.0, 3.0)  # foyer, the west end
NEAR_AT = (-9.0, 3.5)  # about 2 m from the listener
FAR_AT = (2.25, 11.0)  # foyer, the east end: about 15.5 m away
AUDITORIUM_BACK = (-3.8, 0.2)
# up the stage's steps at its east end, round the lectern
STAGE_STEPS = ((-7.75, -8.5), (-7.75, -9.3), (-7.6, -10.5), (-7.6, -11.6))
STAGE_SPOT = (-15.0, -11.6)  # on the auditorium's stage, 16.3 m from its back


def _libc_setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


@contextlib.contextmanager
def network_namespace() -> Iterator[None]:
    """This thread (and every process it starts) in a new network namespace with loopback
    and a veth pair; back in the old one afterwards."""
    holder = subprocess.Popen(["unshare", "--net", "sleep", "infinity"])
    mine = os.readlink("/proc/thread-self/ns/net")
    path = f"/proc/{holder.pid}/ns/net"
    deadline = time.monotonic() + 5
    while os.readlink(path) == mine:
        assert time.monotonic() < deadline, "unshare did not make a namespace"
        time.sleep(0.02)
    a, b = VETH
    for command in (
        "ip link set lo up",
        f"ip link add {a} type veth peer name {b}",
        f"ip addr add 10.231.0.1/24 dev {a}",
        f"ip addr add 10.231.0.2/24 dev {b}",
        f"ip link set {a} up",
        f"ip link set {b} up",
    ):
        subprocess.run(["nsenter", f"--net={path}", *command.split()], check=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        _libc_setns(target)
        yield
    finally:
        _libc_setns(home)
        os.close(home)
        os.close(target)
        holder.kill()
        holder.wait()


def tone(path: Path, frequency: float, seconds: float = 4.0, rate: int = 48000) -> Path:
    """A sine tone as a 16-bit mono WAV (Chromium loops it as the fake microphone)."""
    frames = bytearray()
    for i in range(int(seconds * rate)):
        value = 0.5 * math.sin(2 * math.pi * frequency * i / rate)
        frames += struct.pack("<h", int(value * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path


@pytest.fixture(scope="module")
def netns() -> Iterator[None]:
    with network_namespace():
        yield


@pytest.fixture(scope="module")
def voice_hub(netns: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    data_dir = tmp_path_factory.mktemp("voice-hub")
    copy_built(data_dir)
    with running_hub(
        data_dir,
        "--voice-ice-enforce-list",
        VETH[0],
        env={"HUBTWIN_VOICE_RTP_PORTS": "30"},
    ) as server:
        yield server


@pytest.fixture(scope="module")
def playwright(netns: None) -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


class Speakers:
    """One Chromium per person (each with its own fake microphone), one page each."""

    def __init__(self, playwright: Playwright, hub: HubServer, folder: Path) -> None:
        self.playwright, self.hub, self.folder = playwright, hub, folder
        self.groups: list[Visitors] = []
        self.browsers: list[Any] = []

    def person(self, name: str, frequency: float) -> Visitor:
        """A visitor (a guest) who entered the hub, their microphone playing ``frequency``."""
        return self.group(name, frequency).new(name)

    def group(self, name: str, frequency: float) -> Visitors:
        """A Chromium of its own whose microphone plays ``frequency``, for ``name`` (open a
        page in it to sign in first)."""
        wav = tone(self.folder / f"{name}.wav", frequency)
        browser = self.playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--allow-loopback-in-peer-connection",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        self.browsers.append(browser)
        group = Visitors(browser, self.hub)
        self.groups.append(group)
        return group

    def problems(self) -> list[str]:
        return [p for group in self.groups for p in group.problems()]

    def close(self) -> None:
        for group in self.groups:
            group.close()
        for browser in self.browsers:
            browser.close()


@pytest.fixture(scope="module")
def crowd(
    playwright: Playwright, voice_hub: HubServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Visitor]]:
    speakers = Speakers(playwright, voice_hub, tmp_path_factory.mktemp("tones"))
    try:
        people = {
            "listener": speakers.person("Lena", 250.0),
            "near": speakers.person("Nils", TONES["near"]),
            "far": speakers.person("Fiona", TONES["far"]),
        }
        yield people
        problems = [p for p in speakers.problems() if "voice connection failed" not in p]
        assert problems == [], "the browsers reported errors"
    finally:
        speakers.close()


@pytest.fixture
def people(crowd: dict[str, Visitor], voice_hub: HubServer) -> Iterator[dict[str, Visitor]]:
    """The module's browsers, and after each test nobody left muted (by themselves or by a
    facilitator), so a test that failed halfway leaves nothing behind for the next."""
    yield crowd
    unmute_everyone(crowd.values(), voice_hub)


def unmute_everyone(visitors: Iterable[Visitor], hub: HubServer) -> None:
    for visitor in visitors:
        voice = visitor.state()["voice"]
        if voice["held"]:
            with ProtocolClient(hub, "Frieda", Role.FACILITATOR) as facilitator:
                facilitator.send({"t": "mute", "session": session_of(visitor), "on": False})
                visitor.wait_for("!s.voice.held")
        if voice["muted"]:
            visitor.page.locator("#view").focus()
            visitor.page.keyboard.press("n")
            visitor.wait_for("!s.voice.muted")


def go_to(visitor: Visitor, room: str) -> None:
    """Into another room through the map (M), unless already there."""
    if visitor.state()["room"] == room:
        return
    visitor.page.locator("#view").focus()
    visitor.page.keyboard.press("m")
    visitor.page.click(f'#room-list li[data-room-id="{room}"] button')
    visitor.wait_for("s.room === arg", room)
    visitor.page.keyboard.press("m")


def voice_on(visitor: Visitor, *, mic: bool = True) -> None:
    if visitor.state()["voice"]["wanted"]:
        return
    page = visitor.page
    page.click("#toggle-voice")
    page.click("#voice-with-mic" if mic else "#voice-listen")
    visitor.wait_for("s.voice && s.voice.state === 'ready'", timeout_ms=20000)
    if mic:
        visitor.wait_for("s.voice.send === 'connected'", timeout_ms=20000)
    # the panel goes away again, as a person would close it, so it covers no other panel
    page.click("#toggle-voice")
    page.locator("#panel-voice").wait_for(state="hidden")


def stand(visitor: Visitor, at: tuple[float, float], within: float = 1.5) -> None:
    for _ in range(12):  # a walk the server corrects (pose_fix) goes on from there
        result = visitor.walk_to(*at)
        where = result["position"]
        off = math.hypot(where["x"] - at[0], where["z"] - at[1])
        if off < within:
            return
    corrections = visitor.state()["corrections"]
    raise AssertionError(f"{visitor.name} did not get to {at}: {result} {corrections}")


def streams_of(visitor: Visitor) -> list[dict[str, Any]]:
    state = visitor.state()
    streams: list[dict[str, Any]] = state["voice"]["streams"]
    return streams


def hears(visitor: Visitor, session: str, frequency: float, timeout_s: float = 25) -> None:
    """The session's voice arrives, audibly, at about its tone's frequency."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for stream in streams_of(visitor):
            if (
                stream["session"] == session
                and stream["level"] > 0.01
                and abs(stream["frequency"] - frequency) < 40
            ):
                return
        visitor.page.wait_for_timeout(100)
    voice = visitor.state()["voice"]
    raise AssertionError(f"{visitor.name} does not hear {session} at {frequency} Hz: {voice}")


def receives(visitor: Visitor, session: str) -> bool:
    return any(stream["session"] == session for stream in streams_of(visitor))


def packets_from(visitor: Visitor, session: str) -> int:
    inbound: dict[str, Any] = visitor.page.evaluate("window.hubtwin.voiceInbound()")
    return sum(entry["packets"] for entry in inbound.values() if entry["session"] == session)


WATCH_ARRIVALS = """(mids) => {
  // every 50 ms, each watched mid's packets and the arrival time of its last packet
  window.arrivals = {};
  clearInterval(window.arrivalWatch);
  window.arrivalWatch = setInterval(async () => {
    const inbound = await window.hubtwin.voiceInbound();
    for (const mid of mids) {
      if (inbound[mid]) window.arrivals[mid] = { ...inbound[mid], at: Date.now() };
    }
  }, 50);
}"""


def watch_arrivals(visitor: Visitor, session: str) -> list[str]:
    """Start following the arrivals of the session's audio at the visitor, by m-line, so
    they are still known once the hub has taken the stream away; the watched mids."""
    inbound: dict[str, Any] = visitor.page.evaluate("window.hubtwin.voiceInbound()")
    mids = [mid for mid, entry in inbound.items() if entry["session"] == session]
    assert mids, f"{session}'s audio does not arrive at {visitor.name}: {inbound}"
    visitor.page.evaluate(WATCH_ARRIVALS, mids)
    deadline = time.monotonic() + 5
    while not visitor.page.evaluate("Object.keys(window.arrivals).length"):
        assert time.monotonic() < deadline, "getStats said nothing"
        visitor.page.wait_for_timeout(20)
    return mids


def stops_arriving(visitor: Visitor, session: str, since_ms: float, timeout_s: float = 10) -> float:
    """Seconds from ``since_ms`` (epoch ms: when the mute was decided) to the last packet of
    the session's audio that arrived at the visitor (``watch_arrivals`` started before),
    once no more arrive. Measured from the browser's own packet arrival times
    (lastPacketReceivedTimestamp), so a slow page or test process does not count, only what
    the server still forwarded."""
    deadline = time.monotonic() + timeout_s
    before = -1
    while time.monotonic() < deadline:
        visitor.page.wait_for_timeout(500)
        seen: dict[str, Any] = visitor.page.evaluate("window.arrivals")
        now = sum(entry["packets"] for entry in seen.values())
        if now == before:
            visitor.page.evaluate("clearInterval(window.arrivalWatch)")
            times = [entry["last"] for entry in seen.values() if entry["last"]]
            assert times, f"no packet of {session} ever arrived at {visitor.name}"
            last = max(times)
            # the same clock: the audio was flowing up to about the mute
            assert abs(last - since_ms) < 10_000, f"arrival {last} vs mute {since_ms}"
            return max(0.0, (last - since_ms) / 1000)
        before = now
    raise AssertionError(f"{session}'s audio still arrives at {visitor.name}")


def session_of(visitor: Visitor) -> str:
    session: str = visitor.state()["session"]
    return session


def test_a_near_speaker_is_heard_and_a_far_one_not_received(
    people: dict[str, Visitor],
) -> None:
    listener, near, far = people["listener"], people["near"], people["far"]
    stand(listener, LISTENER_AT)
    stand(near, NEAR_AT)
    stand(far, FAR_AT)
    for visitor in (listener, near, far):
        voice_on(visitor)
    hears(listener, session_of(near), TONES["near"])
    hears(near, session_of(listener), 250.0)
    pos = {v.name: v.state()["position"] for v in (listener, far)}
    apart = math.hypot(pos["Lena"]["x"] - pos["Fiona"]["x"], pos["Lena"]["z"] - pos["Fiona"]["z"])
    assert apart > 14, f"the far speaker stands only {apart:.1f} m away"
    listener.page.wait_for_timeout(1500)
    assert not receives(listener, session_of(far)), "a far speaker's voice was forwarded"
    assert packets_from(listener, session_of(far)) == 0
    # the people list shows everyone's voice
    listener.wait_for("Object.keys(s.voice.people).length === 3")
    listener.page.keyboard.press("p")
    assert listener.page.locator("#people-list .person-voice").count() == 3


def near_by(listener: Visitor, near: Visitor) -> None:
    """Listener and near speaker in the foyer, 2 m apart, both with voice on."""
    for visitor, at in ((listener, LISTENER_AT), (near, NEAR_AT)):
        go_to(visitor, "foyer")
        stand(visitor, at)
        voice_on(visitor)


def test_a_speaker_who_mutes_stops_arriving_within_a_second(
    people: dict[str, Visitor],
) -> None:
    listener, near = people["listener"], people["near"]
    near_by(listener, near)
    hears(listener, session_of(near), TONES["near"])
    watch_arrivals(listener, session_of(near))
    near.page.locator("#view").focus()
    near.page.keyboard.press("n")
    near.wait_for("s.voice.muted && s.voice.own === 'muted'")
    # from the moment the muting client told the hub (an upper bound of the hub's decision)
    took = stops_arriving(listener, session_of(near), since_ms=near.state()["voice"]["mutedAt"])
    assert took <= 1.0, f"muted audio still arrived for {took:.2f} s"
    listener.wait_for("s.voice.people[arg] === 'muted'", session_of(near))
    near.page.keyboard.press("n")
    hears(listener, session_of(near), TONES["near"])


def test_a_facilitator_mute_is_enforced_by_the_server(
    people: dict[str, Visitor], voice_hub: HubServer
) -> None:
    listener, near = people["listener"], people["near"]
    near_by(listener, near)
    hears(listener, session_of(near), TONES["near"])
    watch_arrivals(listener, session_of(near))
    with ProtocolClient(voice_hub, "Frieda", Role.FACILITATOR) as facilitator:
        sent_ms = time.time() * 1000
        facilitator.send({"t": "mute", "session": session_of(near), "on": True, "minutes": 5})
        took = stops_arriving(listener, session_of(near), since_ms=sent_ms)
        assert took <= 1.0, f"held audio still arrived for {took:.2f} s"
        near.wait_for("s.voice.held && s.voice.own === 'held'")
        facilitator.send({"t": "mute", "session": session_of(near), "on": False})
    hears(listener, session_of(near), TONES["near"])


def test_the_stage_is_heard_across_the_room_and_voice_follows_room_changes(
    people: dict[str, Visitor], voice_hub: HubServer
) -> None:
    listener, near, far = people["listener"], people["near"], people["far"]
    near_by(listener, near)
    go_to(far, "foyer")
    voice_on(far)
    hears(listener, session_of(near), TONES["near"])
    for visitor in (listener, far):
        go_to(visitor, "auditorium")
    # voice follows the room change: the foyer's speaker is gone at once
    listener.wait_for("s.voice.state === 'ready' && s.voice.receive !== 'new'", timeout_ms=20000)
    listener.wait_for("!s.voice.streams.some((x) => x.session === arg)", session_of(near))
    stand(listener, AUDITORIUM_BACK)
    for step in STAGE_STEPS:
        stand(far, step, within=0.4)
    stand(far, STAGE_SPOT)
    assert far.state()["position"]["y"] > 0.3, "not up on the stage"
    far.wait_for("s.voice.send === 'connected'", timeout_ms=20000)
    hears(listener, session_of(far), TONES["far"])
    pos = {v.name: v.state()["position"] for v in (listener, far)}
    apart = math.hypot(pos["Lena"]["x"] - pos["Fiona"]["x"], pos["Lena"]["z"] - pos["Fiona"]["z"])
    assert apart > 14, f"the stage is only {apart:.1f} m away"
    assert not receives(near, session_of(far)), "a voice crossed into another room"


class ProtocolClient:
    """A hand-written client speaking the hub's protocol from Python."""

    def __init__(
        self, hub: HubServer, name: str, role: Role = Role.VISITOR, room: str = "foyer"
    ) -> None:
        secret = (hub.data_dir / "secret.key").read_text(encoding="ascii").strip()
        identity = Identity(f"g-{uuid.uuid4().hex}", name, role, guest=role is Role.VISITOR)
        token = TokenSigner(secret).issue(identity, ttl_s=3600, now=time.time())
        self.stack = contextlib.ExitStack()
        self.ws: ClientConnection = self.stack.enter_context(
            connect(websocket_address(hub.url, "/ws"), open_timeout=10)
        )
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.ws.send(
            msgpack.packb(
                {
                    "t": "hello",
                    "v": 1,
                    "token": token,
                    "lang": "en",
                    "appearance": {"color": "#1f5fae", "shape": "cube"},
                    "room": room,
                }
            )
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        pose = self.wait("joined")["pose"]
        self.at = (float(pose["pos"][0]), float(pose["pos"][2]))
        self.seq = 0

    def _read(self) -> None:
        with contextlib.suppress(Exception):
            for frame in self.ws:
                if isinstance(frame, bytes) and frame[:1] not in (b"S",):
                    message = msgpack.unpackb(frame)
                    if message.get("t") == "pose_fix":  # walk on from where the hub says
                        self.at = (float(message["pos"][0]), float(message["pos"][2]))
                    with self.lock:
                        self.messages.append(message)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(msgpack.packb(message))

    def pose(self, x: float, z: float) -> None:
        self.seq += 1
        self.ws.send(encode_pose(self.seq, x, 0.0, z, 0.0, 0.0))
        self.at = (x, z)

    def walk(self, x: float, z: float, speed: float = 3.0) -> None:
        """Walk there in a straight line at walking speed (the server checks speed)."""
        x0, z0 = self.at
        steps = max(1, int(math.hypot(x - x0, z - z0) / (speed * 0.05)))
        for i in range(1, steps + 1):
            self.pose(x0 + (x - x0) * i / steps, z0 + (z - z0) * i / steps)
            time.sleep(0.05)

    def of(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m.get("t") == kind]

    def wait(self, kind: str, timeout_s: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.of(kind)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no {kind} arrived: {self.messages[-5:]}")

    def __enter__(self) -> ProtocolClient:
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.send({"t": "bye"})
        self.stack.close()


def test_a_hand_written_client_gets_only_the_voices_it_is_given(
    people: dict[str, Visitor], voice_hub: HubServer
) -> None:
    near = people["near"]
    near_session = session_of(near)
    go_to(near, "foyer")
    voice_on(near)
    near.wait_for("s.voice.send === 'connected'", timeout_ms=20000)
    with ProtocolClient(voice_hub, "Hacker", room="lounge") as client:
        client.send({"t": "voice", "on": True, "mic": False})
        state = client.wait("voice_state")
        assert state["state"] in ("connecting", "ready")
        # asking for a feed is not part of the protocol
        client.send({"t": "voice_subscribe", "session": near_session})
        error = client.wait("error")
        assert error["code"] in ("unknown_type", "bad_field"), error
        time.sleep(1.5)
        given = [s["session"] for m in client.of("voice_streams") for s in m["streams"]]
        assert near_session not in given
        assert not [m for m in client.of("voice_sdp") if m["pc"] == "receive"]
        # the speaker comes into the lounge and walks up: now the hub gives that voice
        go_to(near, "lounge")
        stand(near, client.at, within=6.0)  # well inside the hearing distance (12 m)
        offer = client.wait("voice_sdp", timeout_s=30)
        assert offer["pc"] == "receive" and offer["type"] == "offer"
        streams = client.wait("voice_streams")
        assert [s["session"] for s in streams["streams"]] == [near_session]
    # Janus's own API is not for clients: without the hub's secret it refuses everything
    config_text = (voice_hub.data_dir / "janus" / "janus.transport.websockets.jcfg").read_text()
    port = int(config_text.split("ws_port = ")[1].split()[0])
    with connect(f"ws://127.0.0.1:{port}", subprotocols=["janus-protocol"]) as janus:  # type: ignore[list-item]
        janus.send('{"janus": "create", "transaction": "x"}')
        answer = janus.recv(timeout=5)
        assert "403" in str(answer) or "Unauthorized" in str(answer)
