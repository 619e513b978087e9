"""The voice media benchmark: real media through the hub's Janus, headless WebRTC clients.

It starts ``hubtwin serve`` with its own Janus and N clients (aiortc, the optional
``bench`` extra: ``.venv/bin/pip install -e '.[bench]'``) that speak the hub's protocol
like a browser: hello, ``voice`` on, the ``send`` connection of a speaker (a synthetic
tone with a little noise, encoded to Opus once at the start and then only sent), the
``receive`` connection the hub offers (answered; the audio is counted, not decoded). All
of them in one room; S of them speak at once, the others listen. The hub decides who hears whom,
Janus forwards it.

Two kinds of listening client, so that a crowd fits on a small machine. The first
``--full-clients`` clients take every packet they receive through aiortc's SRTP and time
it (the packet-to-packet figure); the others are *counting* clients: a complete receive
connection (ICE, DTLS, SRTP keys; Janus encrypts and sends them every packet as to a
browser), but their RTP is counted as it comes off the socket, before SRTP, and dropped
(RTCP and DTLS still go the full way). Janus's work is the same for both; the counting
client spares only the benchmark's own CPU. ``--capacity`` serves a copy of the site whose
``--room`` holds that many people, so a crowd is one room instance (one Janus room),
not several.

Media stays on this machine: the run happens in a network namespace of its own (``unshare
--net``, root) with a veth pair (10.231.9.1/2) that Janus offers (``--voice-ice-enforce-
list``); nothing reaches the machine's own addresses.

It prints, over a window of ``--seconds`` once everyone is set up:

- Janus CPU (its process's CPU time from ``/proc``, % of one core) and the hub's;
- what the hub's hearing sets cost (``server/features/voice/hearing.py`` for N people in one room,
in
  CPU time of this process, % of one core at five rounds a second);
- downstream per listening client (RTP over the wire: SRTP bytes + 28 bytes of IPv4/UDP
  per packet, kbit/s: mean and largest) and the voices each receives (mean, largest);
- the time from a speaker's packet leaving (handed to SRTP in the speaker's client) to
  the listener's packet arriving (after SRTP), matched by the Opus payload, which Janus
  forwards unchanged: p50 and p95. Speakers and the listeners measured live in the first
  client process, on one clock.

    .venv/bin/python -m bench.voice_media --people 24 --speakers 24
    .venv/bin/python -m bench.voice_media --people 200 --speakers 8 --processes 4 \
        --room auditorium --capacity 220 --full-clients 24

More clients than one Python process can serve are spread over ``--processes`` worker
processes. It never asserts a time: it reports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

from bench import machine
from bench.voice import run as hearing_cost

VETH = ("vbench0", "vbench1")
SRTP_TAG = 10  # AES_CM_128_HMAC_SHA1_80
IP_UDP = 28
RATE = 48000
FRAME = 960  # 20 ms
START_S = 300.0


def _need_aiortc() -> None:
    try:
        import aiortc  # noqa: F401
    except ImportError:
        print(
            "bench.voice_media needs aiortc (headless WebRTC), an optional extra:\n"
            "    .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        raise SystemExit(2) from None


# --- the client processes -------------------------------------------------------------------


def payload_of(data: bytes) -> bytes:
    """An RTP packet's payload (after the header, its CSRCs and its extension)."""
    offset = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10 and len(data) >= offset + 4:
        offset += 4 + 4 * int.from_bytes(data[offset + 2 : offset + 4], "big")
    return data[offset:]


class Counters:
    """What the patched aiortc transports saw in this process."""

    def __init__(self) -> None:
        self.measuring = False
        self.sent: dict[bytes, float] = {}
        #: payload -> the number of the speaker who sent it (this process's speakers)
        self.sender: dict[bytes, int] = {}
        #: speaker number -> when a full client last received a packet of theirs
        self.last_from: dict[int, float] = {}
        self.latencies: list[float] = []
        self.sent_packets = 0
        self.received: dict[int, list[int]] = {}  # transport id -> [packets, wire bytes]
        #: counting clients: their ICE connection's id -> [packets, wire bytes]
        self.at_socket: dict[int, list[int]] = {}

    def prune(self, now: float) -> None:
        if len(self.sent) > 20000:
            self.sent = {k: t for k, t in self.sent.items() if now - t < 5.0}
            self.sender = {k: n for k, n in self.sender.items() if k in self.sent}


COUNTERS = Counters()


def patch_aiortc(opus_kbit: int) -> None:
    """Time each RTP packet a speaker hands to SRTP and each a listener gets out of it; the
    received audio is only counted (a bench client does not need to hear it). Opus at a
    browser's voice rate (aiortc's own default is 96 kbit/s stereo; Chromium sends about
    32 kbit/s for a microphone)."""
    from aiortc.codecs import opus
    from aiortc.rtcdtlstransport import RTCDtlsTransport
    from aiortc.rtp import is_rtcp

    made = opus.OpusEncoder.__init__

    def encoder(self: opus.OpusEncoder) -> None:
        made(self)
        self.codec.bit_rate = opus_kbit * 1000

    setattr(opus.OpusEncoder, "__init__", encoder)  # noqa: B010

    send = RTCDtlsTransport._send_rtp

    async def send_rtp(self: RTCDtlsTransport, data: bytes) -> None:
        if not is_rtcp(data):
            payload = payload_of(data)
            COUNTERS.sent[payload] = time.monotonic()
            COUNTERS.sender[payload] = getattr(self, "bench_speaker", -1)
            COUNTERS.sent_packets += COUNTERS.measuring
        await send(self, data)

    async def handle_rtp(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
        now = time.monotonic()
        speaker = COUNTERS.sender.get(payload_of(data))
        if speaker is not None:
            COUNTERS.last_from[speaker] = now
        if not COUNTERS.measuring:
            return
        counts = COUNTERS.received.setdefault(id(self), [0, 0])
        counts[0] += 1
        counts[1] += len(data) + SRTP_TAG + IP_UDP
        sent = COUNTERS.sent.get(payload_of(data))
        if sent is not None:
            COUNTERS.latencies.append(now - sent)

    for name, method in (("_send_rtp", send_rtp), ("_handle_rtp_data", handle_rtp)):
        setattr(RTCDtlsTransport, name, method)

    from aioice.ice import StunProtocol

    arrived = StunProtocol.datagram_received

    def datagram_received(self: StunProtocol, data: bytes | str, addr: tuple[Any, ...]) -> None:
        # a counting client: an RTP packet (version 2, not RTCP) is counted and dropped
        # here, still encrypted; STUN, DTLS and RTCP go on as usual
        counts = COUNTERS.at_socket.get(id(self.receiver))
        if (
            counts is not None
            and isinstance(data, bytes)
            and len(data) > 12
            and 127 < data[0] < 192
            and not 191 < data[1] < 224
        ):
            if COUNTERS.measuring:
                counts[0] += 1
                counts[1] += len(data) + IP_UDP
            return
        arrived(self, data, addr)

    setattr(StunProtocol, "datagram_received", datagram_received)  # noqa: B010


def speaks(number: int, people: int, speakers: int, full: int | None = None) -> bool:
    """Every (people / speakers)-th person speaks, so each room instance has some; with
    ``full`` clients (one room instance) the first ``speakers`` do, among the full ones."""
    if full is not None:
        return number < speakers
    return speakers > 0 and number % max(1, people // speakers) == 0 and number < people


def chunks(people: int, processes: int, full: int | None) -> list[tuple[int, int]]:
    """(first, count) per client process: evenly; with ``full`` clients, those in the first
    process (speakers and timed listeners on one clock, a lighter load) and the counting
    clients spread over the others."""
    if full is None or processes < 2 or full >= people:
        per = -(-people // processes)
        return [(first, min(per, people - first)) for first in range(0, people, per)]
    rest = people - full
    per = -(-rest // (processes - 1))
    return [(0, full)] + [(first, min(per, people - first)) for first in range(full, people, per)]


def tone_frames(frequency: float, seed: int, count: int = 250) -> list[np.ndarray]:
    """Five seconds of a tone with a little noise (so no two Opus packets are alike), in
    20 ms frames of 16-bit mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(count * FRAME) / RATE
    wave = 0.3 * np.sin(2 * np.pi * frequency * t) + 0.05 * rng.standard_normal(len(t))
    samples = (np.clip(wave, -1, 1) * 32767).astype(np.int16)
    return [samples[i * FRAME : (i + 1) * FRAME] for i in range(count)]


def encoded_tone(frequency: float, seed: int) -> list[bytes]:
    """The tone's 250 frames encoded to Opus once (aiortc's encoder, at the rate
    ``patch_aiortc`` set): a speaker then only sends, so a client process with several
    speakers keeps the full 50 packets a second on a busy machine. The payloads repeat
    every five seconds, longer than any packet is in flight."""
    import av
    from aiortc.codecs.opus import OpusEncoder

    encoder = OpusEncoder()
    payloads: list[bytes] = []
    for pts, samples in enumerate(tone_frames(frequency, seed)):
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = pts * FRAME
        frame.time_base = fractions.Fraction(1, RATE)
        encoded, _ = encoder.encode(frame)
        payloads += encoded
    return payloads


def make_tone_track(frequency: float, seed: int) -> Any:
    """A speaker's microphone: the tone's Opus packets, one every 20 ms on the clock (a
    late one is sent at once, so the rate holds on average)."""
    import av
    from aiortc import MediaStreamTrack

    payloads = encoded_tone(frequency, seed)

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.pts = 0
            self.started: float | None = None

        async def recv(self) -> av.Packet:
            if self.started is None:
                self.started = time.monotonic()
            else:
                wait = self.started + self.pts / RATE - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            packet = av.Packet(payloads[(self.pts // FRAME) % len(payloads)])
            packet.pts = self.pts
            packet.time_base = fractions.Fraction(1, RATE)
            self.pts += FRAME
            return packet

    return Tone()


class Client:
    """One person: the hub's protocol over a WebSocket, aiortc for the media."""

    def __init__(
        self, url: str, token: str, room: str, speaker: bool, number: int, counting: bool
    ) -> None:
        self.url, self.token, self.room = url, token, room
        self.speaker, self.number = speaker, number
        #: received RTP counted off the socket, not taken through SRTP (module docstring)
        self.counting = counting
        self.gen = 0
        self.send_pc: Any = None
        self.recv_pc: Any = None
        self.sending = False
        self.streams = 0
        self.ws: Any = None
        self.instance = -1
        self.failed = ""
        self.session = ""
        self.keep_alive: asyncio.Task[None] | None = None

    @property
    def set_up(self) -> bool:
        return (not self.speaker or self.sending) and self.gen > 0

    def transport_id(self) -> int | None:
        if self.recv_pc is None:
            return None
        for transceiver in self.recv_pc.getTransceivers():
            return id(transceiver.receiver.transport)
        return None

    def received(self) -> list[int]:
        """[packets, wire bytes] received while measuring."""
        if self.counting:
            connection = self.connection_id()
            return COUNTERS.at_socket.get(connection, [0, 0]) if connection else [0, 0]
        key = self.transport_id()
        return COUNTERS.received.get(key, [0, 0]) if key is not None else [0, 0]

    def connection_id(self) -> int | None:
        """The id of the receive connection's ICE connection (aioice)."""
        if self.recv_pc is None:
            return None
        for transceiver in self.recv_pc.getTransceivers():
            return id(transceiver.receiver.transport.transport._connection)
        return None

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(msgpack.packb(message))

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.url, max_size=None, open_timeout=30) as ws:
            self.ws = ws
            await self.send(
                {
                    "t": "hello",
                    "v": 1,
                    "token": self.token,
                    "lang": "en",
                    "appearance": {"color": "#1f5fae", "shape": "cube"},
                    "room": self.room,
                }
            )
            self.keep_alive = asyncio.create_task(self.ping())
            async for frame in ws:
                if not isinstance(frame, bytes) or frame[:1] == b"S":
                    continue
                try:
                    message = msgpack.unpackb(frame)
                except Exception:
                    continue
                if isinstance(message, dict):
                    await self.on_message(message)

    async def ping(self) -> None:
        """The heartbeat a browser sends (the hub closes a silent connection)."""
        while True:
            await asyncio.sleep(10.0)
            await self.send({"t": "ping", "c": time.monotonic()})

    async def publish(self) -> None:
        """The speaker's ``send`` connection: the tone, offered to Janus through the hub."""
        from aiortc import RTCPeerConnection

        if self.send_pc is not None:
            return
        pc = self.send_pc = RTCPeerConnection()
        sender = pc.addTrack(make_tone_track(300.0 + self.number, self.number))
        setattr(sender.transport, "bench_speaker", self.number)  # noqa: B010 (whose packets)

        @pc.on("connectionstatechange")
        async def state() -> None:
            self.sending = pc.connectionState == "connected"

        await pc.setLocalDescription(await pc.createOffer())
        await self.send(
            {"t": "voice_sdp", "pc": "send", "gen": self.gen}
            | {"type": "offer", "sdp": pc.localDescription.sdp}
        )

    async def on_message(self, m: dict[str, Any]) -> None:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        kind = m.get("t")
        if kind == "welcome":
            self.session = str(m.get("session", ""))
        if kind == "joined" and m.get("room") == self.room:
            self.instance = int(m.get("instance", -1))
            await self.send({"t": "voice", "on": True, "mic": self.speaker})
        elif kind == "room_full":  # a crowd fills the room's instances one after another
            await self.send({"t": "go", "room": self.room, "instance": m["suggested"]})
        elif kind == "voice_state":
            if m["state"] == "connecting":
                self.gen = int(m["gen"])
            elif m["state"] == "ready" and int(m["gen"]) == self.gen and self.speaker:
                await self.publish()
        elif kind == "voice_sdp" and int(m.get("gen", -1)) == self.gen:
            description = RTCSessionDescription(sdp=m["sdp"], type=m["type"])
            if m["pc"] == "send" and self.send_pc is not None:
                await self.send_pc.setRemoteDescription(description)
            elif m["pc"] == "receive" and m["type"] == "offer":
                if self.recv_pc is None:
                    self.recv_pc = RTCPeerConnection()
                try:
                    await self.recv_pc.setRemoteDescription(description)
                    await self.recv_pc.setLocalDescription(await self.recv_pc.createAnswer())
                except Exception as exc:  # a renegotiation aiortc cannot follow
                    self.failed = f"receive renegotiation: {exc}"
                    return
                connection = self.connection_id()
                if self.counting and connection is not None:
                    COUNTERS.at_socket.setdefault(connection, [0, 0])
                answer = self.recv_pc.localDescription
                await self.send(
                    {"t": "voice_sdp", "pc": "receive", "gen": self.gen}
                    | {"type": "answer", "sdp": answer.sdp}
                )
        elif kind == "voice_streams" and int(m.get("gen", -1)) == self.gen:
            self.streams = len(m["streams"])

    async def close(self) -> None:
        if self.keep_alive is not None:
            self.keep_alive.cancel()
        for pc in (self.send_pc, self.recv_pc):
            if pc is not None:
                with contextlib.suppress(Exception):
                    await pc.close()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()


async def worker(args: argparse.Namespace) -> None:
    """Clients ``first`` … ``first + count - 1`` (the first ``speakers`` of them speak); says
    ``ready`` on stdout once they are set up, measures from ``go`` on stdin for ``seconds``
    and prints its figures as one JSON line."""
    patch_aiortc(args.opus_kbit)
    tokens = json.loads(Path(args.tokens).read_text())
    full = args.people if args.full_clients is None else args.full_clients
    clients = [
        Client(
            args.url,
            tokens[i],
            args.room,
            speaker=speaks(i, args.people, args.speakers, args.full_clients),
            number=i,
            counting=i >= full,
        )
        for i in range(args.first, args.first + args.count)
    ]
    tasks = []
    for client in clients:
        tasks.append(asyncio.create_task(client.run()))
        await asyncio.sleep(0.05)  # a crowd arriving, not one burst of hellos
    deadline = time.monotonic() + args.setup_s
    while time.monotonic() < deadline and not all(c.set_up for c in clients):
        await asyncio.sleep(0.2)
    await asyncio.sleep(3.0)  # the hearing sets and the receive connections settle
    print(json.dumps({"ready": sum(c.set_up for c in clients)}), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    COUNTERS.measuring = True
    started = time.monotonic()
    while time.monotonic() - started < args.seconds:
        await asyncio.sleep(1.0)
        COUNTERS.prune(time.monotonic())
    COUNTERS.measuring = False
    elapsed = time.monotonic() - started
    listeners = clients  # speakers listen to the others too
    kbit, pps = [], []
    for client in listeners:
        counts = client.received()
        kbit.append(counts[1] * 8 / elapsed / 1000)
        pps.append(counts[0] / elapsed)
    speakers = sum(c.speaker for c in clients)
    print(
        json.dumps(
            {
                "kbit": kbit,
                "pps": pps,
                "sent_pps": COUNTERS.sent_packets / elapsed / speakers if speakers else None,
                "streams": [c.streams for c in listeners],
                "latency": COUNTERS.latencies,
                "set_up": sum(c.set_up for c in clients),
                "counting": sum(c.counting for c in clients),
                "kbit_full": [k for k, c in zip(kbit, clients, strict=True) if not c.counting],
                "kbit_counting": [k for k, c in zip(kbit, clients, strict=True) if c.counting],
                "instances": sorted({c.instance for c in clients}),
                "failed": [c.failed for c in clients if c.failed],
                "sessions": {c.number: c.session for c in clients if c.speaker},
            }
        ),
        flush=True,
    )
    # a facilitator's mute (--mute): when each speaker was last received here, asked for
    # after the parent sent the mute (one monotonic clock for every process of the machine)
    line = await loop.run_in_executor(None, sys.stdin.readline)
    if line.strip() == "report":
        print(json.dumps({"last_from": COUNTERS.last_from, "at": time.monotonic()}), flush=True)
    for client in clients:
        await client.close()
    for task in tasks:
        task.cancel()


# --- the parent: namespace, hub, workers, figures -----------------------------------------


def in_own_namespace(argv: list[str]) -> None:
    """Run this benchmark again inside a network namespace of its own with a veth pair."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("bench.voice_media needs root and unshare (a network namespace of its own)")
        raise SystemExit(2)
    os.execvp("unshare", ["unshare", "--net", sys.executable, "-m", "bench.voice_media", *argv])


def set_up_links() -> None:
    a, b = VETH
    for command in (
        "ip link set lo up",
        f"ip link add {a} type veth peer name {b}",
        f"ip addr add 10.231.9.1/24 dev {a}",
        f"ip addr add 10.231.9.2/24 dev {b}",
        f"ip link set {a} up",
        f"ip link set {b} up",
    ):
        subprocess.run(command.split(), check=True)


def tokens_for(data_dir: Path, people: int) -> Path:
    from server.base.identity import Identity, Role
    from server.base.tokens import TokenSigner

    signer = TokenSigner((data_dir / "secret.key").read_text(encoding="ascii").strip())
    tokens = [
        signer.issue(
            Identity(f"g-{uuid.uuid4().hex}", f"Bench {i}", Role.VISITOR, guest=True),
            ttl_s=3600,
            now=time.time(),
        )
        for i in range(people)
    ]
    path = data_dir / "bench-tokens.json"
    path.write_text(json.dumps(tokens))
    return path


def health(port: int) -> dict[str, Any]:
    from bench.realtime import http_get

    found: dict[str, Any] = json.loads(http_get(f"http://127.0.0.1:{port}/healthz", 5.0))
    return found


def voice_ok(server: Any) -> bool:
    try:
        return bool(health(server.http_port)["checks"]["voice"]["state"] == "ok")
    except (OSError, ValueError, KeyError):
        return False


def site_holding(data_dir: Path, room: str, capacity: int) -> Path:
    """A copy of the site whose ``room`` holds ``capacity`` people (one room instance for
    the whole crowd); the hub builds its world from it."""
    from world.site import DEFAULT_SITE

    site = data_dir / f"site-{room}-{capacity}"
    if site.exists():
        return site  # made by an earlier run (its world is built already)
    shutil.copytree(DEFAULT_SITE, site)
    building = site / "building.toml"
    text = building.read_text(encoding="utf-8")
    start = text.index(f'\nid = "{room}"\n')
    at = text.index("\ncapacity = ", start)
    end = text.index("\n", at + 1)
    building.write_text(f"{text[:at]}\ncapacity = {capacity}{text[end:]}", encoding="utf-8")
    return site


def mute_probe(
    args: argparse.Namespace,
    server: Any,
    data_dir: Path,
    results: list[dict[str, Any]],
    workers: list[subprocess.Popen[str]],
) -> dict[str, Any] | None:
    """A facilitator mutes speaker 0 while the crowd goes on: the time from sending the
    ``mute`` to the last packet of that speaker arriving at any full client (whose own
    client goes on sending: only the hub and Janus can stop it), and whether the other
    speakers still arrived after it."""
    from websockets.sync.client import connect

    from server.base.identity import Identity, Role
    from server.base.tokens import TokenSigner

    sessions = {int(n): s for r in results for n, s in r["sessions"].items()}
    if 0 not in sessions:
        return None
    signer = TokenSigner((data_dir / "secret.key").read_text(encoding="ascii").strip())
    token = signer.issue(
        Identity(f"g-{uuid.uuid4().hex}", "Frieda", Role.FACILITATOR, guest=False),
        ttl_s=600,
        now=time.time(),
    )
    with connect(server.ws_url, max_size=None, open_timeout=30) as ws:
        ws.send(
            msgpack.packb(
                {"t": "hello", "v": 1, "token": token, "lang": "en"}
                | {"appearance": {"color": "#1f5fae", "shape": "cube"}, "room": args.room}
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            frame = ws.recv(timeout=30)
            joined = isinstance(frame, bytes) and frame[:1] != b"S"
            if joined and msgpack.unpackb(frame).get("t") == "joined":
                break
        sent = time.monotonic()
        ws.send(msgpack.packb({"t": "mute", "session": sessions[0], "on": True, "minutes": 5}))
        refused = ""
        end = sent + 3.0
        while time.monotonic() < end:
            try:
                frame = ws.recv(timeout=max(0.01, end - time.monotonic()))
            except TimeoutError:
                break
            if isinstance(frame, bytes) and frame[:1] != b"S":
                message = msgpack.unpackb(frame)
                if message.get("t") == "error":
                    refused = str(message.get("code"))
    last: dict[int, float] = {}
    for process in workers:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write("report\n")
        process.stdin.flush()
        for number, at in json.loads(process.stdout.readline())["last_from"].items():
            last[int(number)] = max(last.get(int(number), 0.0), at)
    others = [at - sent for number, at in last.items() if number != 0]
    muted = last[0] - sent if 0 in last else None
    return {
        "refused": refused,
        "muted_last_packet_s": None if muted is None else round(muted, 3),
        "others_last_packet_s": round(min(others), 3) if others else None,
        # the figure says something only if the timed clients kept up: the other speakers
        # then still arrived well after the muted one stopped
        "clients_kept_up": bool(others and muted is not None and min(others) > muted + 1.0),
    }


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure(args: argparse.Namespace) -> None:
    from bench.realtime import Server
    from world.site import DEFAULT_SITE, PROJECT_ROOT

    set_up_links()
    data_dir = Path(args.data_dir)
    built = PROJECT_ROOT / "var" / DEFAULT_SITE.name / "world"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "world").exists() and built.is_dir() and args.capacity is None:
        shutil.copytree(built, data_dir / "world")
    os.environ.update(
        HUBTWIN_VOICE_ICE_ENFORCE_LIST=VETH[0],
        HUBTWIN_VOICE_RTP_PORTS=str(2 * args.people + 20),
        HUBTWIN_HTTP_MAX_CONNECTIONS_PER_ADDRESS=str(4 * args.people + 100),
    )
    site = DEFAULT_SITE
    if args.capacity is not None:
        site = site_holding(data_dir, args.room, args.capacity)
    server = Server(site, data_dir, core=None)
    workers: list[subprocess.Popen[str]] = []
    try:
        deadline = time.monotonic() + START_S  # a busy shared machine starts slowly
        while not voice_ok(server):
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise SystemExit(f"the hub or its voice did not come up; see {server.log_path}")
            time.sleep(0.5)
        janus_pid = int(health(server.http_port)["checks"]["voice"]["janus"]["pid"])
        tokens = tokens_for(data_dir, args.people)
        for first, count in chunks(args.people, args.processes, args.full_clients):
            command = [
                sys.executable,
                "-m",
                "bench.voice_media",
                "--worker",
                "--url",
                server.ws_url,
                "--tokens",
                str(tokens),
                "--room",
                args.room,
                "--first",
                str(first),
                "--count",
                str(count),
                "--speakers",
                str(args.speakers),
                "--people",
                str(args.people),
                "--opus-kbit",
                str(args.opus_kbit),
                "--setup-s",
                str(args.setup_s),
                "--seconds",
                str(args.seconds),
            ]
            if args.full_clients is not None:
                command += ["--full-clients", str(args.full_clients)]
            workers.append(
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        ready = 0
        for process in workers:
            assert process.stdout is not None
            ready += json.loads(process.stdout.readline())["ready"]
        janus0 = machine.process_cpu_s(janus_pid)
        hub0 = machine.process_cpu_s(server.pid)
        busy0, wall0 = machine.busy_s(), time.monotonic()
        for process in workers:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in workers:
            assert process.stdout is not None
            results.append(json.loads(process.stdout.readline()))
        wall = time.monotonic() - wall0
        janus_cpu = (machine.process_cpu_s(janus_pid) - janus0) / wall * 100
        hub_cpu = (machine.process_cpu_s(server.pid) - hub0) / wall * 100
        busy = (machine.busy_s() - busy0) / wall * 100
        muted = mute_probe(args, server, data_dir, results, workers) if args.mute else None
        for process in workers:
            assert process.stdin is not None
            with contextlib.suppress(OSError):
                process.stdin.write("done\n")
                process.stdin.flush()
    finally:
        for process in workers:
            with contextlib.suppress(Exception):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()
        server.stop()
    kbit = [k for r in results for k in r["kbit"]]
    kbit_full = [k for r in results for k in r["kbit_full"]]
    kbit_counting = [k for r in results for k in r["kbit_counting"]]
    pps = [k for r in results for k in r["pps"]]
    sent_pps = [r["sent_pps"] for r in results if r["sent_pps"] is not None]
    streams = [s for r in results for s in r["streams"]]
    latency = [x * 1000 for r in results for x in r["latency"]]
    instances = sorted({i for r in results for i in r["instances"]})
    failed = [f for r in results for f in r["failed"]]
    hearing = hearing_cost(args.people, 1, 50)
    figures = {
        "people": args.people,
        "speakers": sum(
            speaks(i, args.people, args.speakers, args.full_clients) for i in range(args.people)
        ),
        "set_up": ready,
        "room_instances": len(instances),
        "janus_cpu_pct": round(janus_cpu, 1),
        "hub_cpu_pct": round(hub_cpu, 1),
        "hearing_sets_cpu_pct": round(hearing["core"], 2),
        "machine_busy_pct_of_all_cores": round(busy / (os.cpu_count() or 1), 1),
        "down_kbit_mean": round(float(np.mean(kbit)), 1) if kbit else 0.0,
        "down_kbit_max": round(max(kbit), 1) if kbit else 0.0,
        "full_clients": len(kbit_full),
        "counting_clients": len(kbit_counting),
        "down_kbit_mean_full": round(float(np.mean(kbit_full)), 1) if kbit_full else 0.0,
        "down_kbit_mean_counting": (
            round(float(np.mean(kbit_counting)), 1) if kbit_counting else 0.0
        ),
        "voices_mean": round(float(np.mean(streams)), 2) if streams else 0.0,
        "packets_per_s_per_speaker_sent": round(float(np.mean(sent_pps)), 1) if sent_pps else 0,
        "packets_per_s_per_listener": round(float(np.mean(pps)), 1) if pps else 0.0,
        "voices_max": max(streams) if streams else 0,
        "latency_ms_p50": round(percentile(latency, 50), 1),
        "latency_ms_p95": round(percentile(latency, 95), 1),
        "latency_samples": len(latency),
        "failed": len(failed),
        "mute": muted,
    }
    print(json.dumps(figures))
    print(
        f"{args.people} people ({len(kbit_counting)} counting at the socket), "
        f"{figures['speakers']} speaking, {ready} set up, "
        f"{len(instances)} room instance(s): Janus {janus_cpu:.0f}% of a core, "
        f"hub {hub_cpu:.0f}% (hearing sets {hearing['core']:.2f}%), "
        f"down per listener {figures['down_kbit_mean']} kbit/s mean, "
        f"{figures['down_kbit_max']} max, voices {figures['voices_mean']} mean / "
        f"{figures['voices_max']} max, packet to packet p50 {figures['latency_ms_p50']} ms, "
        f"p95 {figures['latency_ms_p95']} ms"
    )
    if muted is not None:
        refused = f" (refused: {muted['refused']})" if muted["refused"] else ""
        if not muted["clients_kept_up"]:
            refused += " (the timed clients were behind: the figure is their backlog)"
        print(
            "a facilitator's mute of speaker 0: its last packet arrived"
            f" {muted['muted_last_packet_s']} s after the mute was sent; the other speakers"
            f" still arrived {muted['others_last_packet_s']} s after it{refused}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.voice_media", description=__doc__)
    parser.add_argument("--people", type=int, default=24)
    parser.add_argument("--speakers", type=int, default=4, help="speaking at once")
    parser.add_argument("--room", default="workshop")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--opus-kbit", type=int, default=32, help="a speaker's Opus rate")
    parser.add_argument(
        "--full-clients",
        type=int,
        default=None,
        help="clients that take received packets through SRTP and time them (default all);"
        " the others count them at the socket",
    )
    parser.add_argument(
        "--capacity", type=int, default=None, help="serve a copy of the site whose room holds this"
    )
    parser.add_argument(
        "--mute",
        action="store_true",
        help="after the window a facilitator mutes speaker 0: how long its audio still arrives",
    )
    parser.add_argument(
        "--data-dir", default="/tmp/hubtwin-voice-media", help="the hub's (kept between runs)"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--tokens", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--setup-s", type=float, default=120.0, help="longest wait for everyone to be set up"
    )
    raw = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(raw)
    _need_aiortc()
    if args.worker:
        asyncio.run(worker(args))
    elif not args.in_namespace:
        in_own_namespace([*raw, "--in-namespace"])
    else:
        measure(args)


if __name__ == "__main__":
    main()
