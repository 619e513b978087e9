"""The voice media benchmark: real media through the hub's Janus, headless WebRTC clients.

It starts ``hubtwin serve`` with its own Janus and N clients (aiortc, the optional
``bench`` extra: ``.venv/bin/pip install -e '.[bench]'``) that speak the hub's protocol
like a browser: hello, ``voice`` on, the ``send`` connection of a speaker (a synthetic
tone with a little noise, encoded to Opus by aiortc), the ``receive`` connection the hub
offers (answered; the audio is counted, not decoded). All of them in one room; S of them
speak at once, the others listen. The hub decides who hears whom, Janus forwards it.

Media stays on this machine: the run happens in a network namespace of its own (``unshare
--net``, root) with a veth pair (10.231.9.1/2) that Janus offers (``--voice-ice-enforce-
list``); nothing reaches the machine's own addresses.

It prints, over a window of ``--seconds`` once everyone is set up:

- Janus CPU (its process's CPU time from ``/proc``, % of one core) and the hub's;
- what the hub's hearing sets cost (``server/hearing.py`` for N people in one room, in
  CPU time of this process, % of one core at five rounds a second);
- downstream per listening client (RTP over the wire: SRTP bytes + 28 bytes of IPv4/UDP
  per packet, kbit/s: mean and largest) and the voices each receives (mean, largest);
- the time from a speaker's packet leaving (handed to SRTP in the speaker's client) to
  the listener's packet arriving (after SRTP), matched by the Opus payload, which Janus
  forwards unchanged: p50 and p95. Speakers and the listeners measured live in the first
  client process, on one clock.

    .venv/bin/python -m bench.voice_media --people 24 --speakers 24
    .venv/bin/python -m bench.voice_media --people 200 --speakers 8 --processes 4

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
        self.latencies: list[float] = []
        self.sent_packets = 0
        self.received: dict[int, list[int]] = {}  # transport id -> [packets, wire bytes]

    def prune(self, now: float) -> None:
        if len(self.sent) > 20000:
            self.sent = {k: t for k, t in self.sent.items() if now - t < 5.0}


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
            COUNTERS.sent[payload_of(data)] = time.monotonic()
            COUNTERS.sent_packets += COUNTERS.measuring
        await send(self, data)

    async def handle_rtp(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
        if not COUNTERS.measuring:
            return
        now = time.monotonic()
        counts = COUNTERS.received.setdefault(id(self), [0, 0])
        counts[0] += 1
        counts[1] += len(data) + SRTP_TAG + IP_UDP
        sent = COUNTERS.sent.get(payload_of(data))
        if sent is not None:
            COUNTERS.latencies.append(now - sent)

    for name, method in (("_send_rtp", send_rtp), ("_handle_rtp_data", handle_rtp)):
        setattr(RTCDtlsTransport, name, method)


def speaks(number: int, people: int, speakers: int) -> bool:
    """Every (people / speakers)-th person speaks, so each room instance has some."""
    return speakers > 0 and number % max(1, people // speakers) == 0 and number < people


def tone_frames(frequency: float, seed: int, count: int = 250) -> list[np.ndarray]:
    """Five seconds of a tone with a little noise (so no two Opus packets are alike), in
    20 ms frames of 16-bit mono."""
    rng = np.random.default_rng(seed)
    t = np.arange(count * FRAME) / RATE
    wave = 0.3 * np.sin(2 * np.pi * frequency * t) + 0.05 * rng.standard_normal(len(t))
    samples = (np.clip(wave, -1, 1) * 32767).astype(np.int16)
    return [samples[i * FRAME : (i + 1) * FRAME] for i in range(count)]


def make_tone_track(frequency: float, seed: int) -> Any:
    import av
    from aiortc import MediaStreamTrack

    frames = tone_frames(frequency, seed)

    class Tone(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.pts = 0
            self.started: float | None = None

        async def recv(self) -> av.AudioFrame:
            if self.started is None:
                self.started = time.monotonic()
            else:
                wait = self.started + self.pts / RATE - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            samples = frames[(self.pts // FRAME) % len(frames)]
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = self.pts
            frame.time_base = fractions.Fraction(1, RATE)
            self.pts += FRAME
            return frame

    return Tone()


class Client:
    """One person: the hub's protocol over a WebSocket, aiortc for the media."""

    def __init__(self, url: str, token: str, room: str, speaker: bool, number: int) -> None:
        self.url, self.token, self.room = url, token, room
        self.speaker, self.number = speaker, number
        self.gen = 0
        self.send_pc: Any = None
        self.recv_pc: Any = None
        self.sending = False
        self.streams = 0
        self.ws: Any = None
        self.instance = -1
        self.failed = ""
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
        pc.addTrack(make_tone_track(300.0 + self.number, self.number))

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
    clients = [
        Client(
            args.url, tokens[i], args.room, speaker=speaks(i, args.people, args.speakers), number=i
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
        key = client.transport_id()
        counts = COUNTERS.received.get(key, [0, 0]) if key is not None else [0, 0]
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
                "instances": sorted({c.instance for c in clients}),
                "failed": [c.failed for c in clients if c.failed],
            }
        ),
        flush=True,
    )
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
    from server.identity import Identity, Role
    from server.tokens import TokenSigner

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


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def measure(args: argparse.Namespace) -> None:
    from bench.realtime import Server
    from world.site import DEFAULT_SITE, PROJECT_ROOT

    set_up_links()
    data_dir = Path(args.data_dir)
    built = PROJECT_ROOT / "var" / DEFAULT_SITE.name / "world"
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / "world").exists() and built.is_dir():
        shutil.copytree(built, data_dir / "world")
    os.environ.update(
        HUBTWIN_VOICE_ICE_ENFORCE_LIST=VETH[0],
        HUBTWIN_VOICE_RTP_PORTS=str(2 * args.people + 20),
        HUBTWIN_HTTP_MAX_CONNECTIONS_PER_ADDRESS=str(4 * args.people + 100),
    )
    server = Server(DEFAULT_SITE, data_dir, core=None)
    workers: list[subprocess.Popen[str]] = []
    try:
        deadline = time.monotonic() + START_S  # a busy shared machine starts slowly
        while not voice_ok(server):
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise SystemExit(f"the hub or its voice did not come up; see {server.log_path}")
            time.sleep(0.5)
        janus_pid = int(health(server.http_port)["checks"]["voice"]["janus"]["pid"])
        tokens = tokens_for(data_dir, args.people)
        per = -(-args.people // args.processes)
        for first in range(0, args.people, per):
            count = min(per, args.people - first)
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
    finally:
        for process in workers:
            with contextlib.suppress(Exception):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()
        server.stop()
    kbit = [k for r in results for k in r["kbit"]]
    pps = [k for r in results for k in r["pps"]]
    sent_pps = [r["sent_pps"] for r in results if r["sent_pps"] is not None]
    streams = [s for r in results for s in r["streams"]]
    latency = [x * 1000 for r in results for x in r["latency"]]
    instances = sorted({i for r in results for i in r["instances"]})
    failed = [f for r in results for f in r["failed"]]
    hearing = hearing_cost(args.people, 1, 50)
    figures = {
        "people": args.people,
        "speakers": sum(speaks(i, args.people, args.speakers) for i in range(args.people)),
        "set_up": ready,
        "room_instances": len(instances),
        "janus_cpu_pct": round(janus_cpu, 1),
        "hub_cpu_pct": round(hub_cpu, 1),
        "hearing_sets_cpu_pct": round(hearing["core"], 2),
        "machine_busy_pct_of_all_cores": round(busy / (os.cpu_count() or 1), 1),
        "down_kbit_mean": round(float(np.mean(kbit)), 1) if kbit else 0.0,
        "down_kbit_max": round(max(kbit), 1) if kbit else 0.0,
        "voices_mean": round(float(np.mean(streams)), 2) if streams else 0.0,
        "packets_per_s_per_speaker_sent": round(float(np.mean(sent_pps)), 1) if sent_pps else 0,
        "packets_per_s_per_listener": round(float(np.mean(pps)), 1) if pps else 0.0,
        "voices_max": max(streams) if streams else 0,
        "latency_ms_p50": round(percentile(latency, 50), 1),
        "latency_ms_p95": round(percentile(latency, 95), 1),
        "latency_samples": len(latency),
        "failed": len(failed),
    }
    print(json.dumps(figures))
    print(
        f"{args.people} people, {figures['speakers']} speaking, {ready} set up, "
        f"{len(instances)} room instance(s): Janus {janus_cpu:.0f}% of a core, "
        f"hub {hub_cpu:.0f}% (hearing sets {hearing['core']:.2f}%), "
        f"down per listener {figures['down_kbit_mean']} kbit/s mean, "
        f"{figures['down_kbit_max']} max, voices {figures['voices_mean']} mean / "
        f"{figures['voices_max']} max, packet to packet p50 {figures['latency_ms_p50']} ms, "
        f"p95 {figures['latency_ms_p95']} ms"
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
