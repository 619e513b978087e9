"""Voice in one hub process, wired: the feature, the bridge to Janus, the hub's own Janus.

``VoiceService.make(settings)`` builds the ``VoiceRooms`` feature (given to the core) and,
unless voice is off, the ``VoiceBridge`` with its Janus servers: the ones named with
``--janus``, or one the hub runs itself (``JanusSupervisor``, configured under
``<data>/janus/``). ``attach(core, apply)`` connects the bridge's answers to the
realtime side, ``start()`` starts Janus and connects, ``health()`` is the ``voice`` entry
of ``/healthz`` and ``metrics()`` its families of ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from server.features.voice.bridge import JanusServer, VoiceBridge
from server.features.voice.janus_process import JanusSupervisor, make_config
from server.features.voice.screen_bridge import ScreenBridge
from server.features.voice.screen_realtime import ScreenHolder, ScreenSharing
from server.features.voice.voice import VoiceRooms

if TYPE_CHECKING:
    from server.base.settings import Settings
    from server.core.effects import Effects
    from server.core.powers import FeatureCore
    from server.core.room import RoomInstance, Session
    from server.core.workshop_context import InstanceKey
    from server.features.voice.screen_share import Share
    from server.workshop.facilitation import Facilitation
    from server.workshop.moderation import Moderation

log = logging.getLogger("hubtwin.voice")


@dataclass
class VoiceService:
    """Voice of one process (see the module docstring)."""

    settings: Settings
    feature: VoiceRooms
    bridge: VoiceBridge | None
    supervisor: JanusSupervisor | None
    _sends: list[Callable[[str, bytes], None]] = field(default_factory=list)
    _connecting: asyncio.Task[None] | None = None
    #: sharing a screen onto the room's screens (through the same Janus)
    sharing: ScreenSharing | None = None
    screen_bridge: ScreenBridge | None = None

    @classmethod
    def make(
        cls,
        settings: Settings,
        lead: Facilitation | None = None,
        moderation: Moderation | None = None,
        screens: ScreenHolder | None = None,
    ) -> VoiceService:
        bridge: VoiceBridge | None = None
        supervisor: JanusSupervisor | None = None
        sends: list[Callable[[str, bytes], None]] = []

        def send(session_id: str, frame: bytes) -> None:
            for deliver in sends:
                deliver(session_id, frame)

        if settings.voice != "off":
            if settings.janus:
                servers = [JanusServer.from_url(url) for url in settings.janus]
            else:
                config = make_config(
                    settings.resolved_data_dir / "janus",
                    host=settings.voice_janus_host,
                    ice_enforce_list=settings.voice_ice_enforce_list,
                    rtp_ports=settings.voice_rtp_ports,
                )
                servers = [
                    JanusServer(
                        url=config.url,
                        api_secret=config.api_secret,
                        admin_url=config.admin_url,
                        admin_secret=config.admin_secret,
                        admin_key=config.admin_key,
                        token=secrets.token_urlsafe(24),
                    )
                ]
                supervisor = JanusSupervisor(config, binary=settings.janus_binary)
                own = servers[0]

                async def janus_up() -> None:
                    assert bridge is not None
                    await bridge.connect(own)

                supervisor.on_up = janus_up
            bridge = VoiceBridge(
                servers,
                send,
                turn=settings.voice_turn,
                turn_secret=settings.voice_turn_secret,
                stun=settings.voice_stun,
                ping_s=settings.voice_janus_ping_s,
                ping_timeout_s=settings.voice_janus_ping_timeout_s,
            )
            if supervisor is not None:
                bridge.on_hung = lambda server: supervisor.end_hung()

        def held(session: Session, now: float) -> bool:
            if moderation is None:
                return False
            return moderation.mutes.get(session.identity.id, 0.0) > now

        def stage_of(instance: RoomInstance) -> tuple[str, ...]:
            return () if lead is None else lead.on_stage(instance)

        feature = VoiceRooms(
            bridge,
            stage_of=stage_of,
            held=held,
            k=settings.voice_hearing_k,
            radius=settings.voice_hearing_m,
        )
        if moderation is not None:
            moderation.mute_listeners.append(feature.moderated)
        screen_bridge = None if bridge is None else ScreenBridge(bridge, send)
        sharing = None if screens is None else ScreenSharing(screen_bridge, screens)
        return cls(
            settings,
            feature,
            bridge,
            supervisor,
            sends,
            sharing=sharing,
            screen_bridge=screen_bridge,
        )

    def attach(self, core: FeatureCore, apply: Callable[[Effects], None]) -> None:
        """Frames from the bridge go to the person's current connection."""
        from server.core.effects import Effects

        def deliver(session_id: str, frame: bytes) -> None:
            session = core.sessions.get(session_id)
            if session is None or session.conn is None:
                return
            fx = Effects()
            fx.send_to(session, frame)
            apply(fx)

        self._sends.append(deliver)
        bridge = self.bridge
        if bridge is None:
            return
        feature = self.feature
        bridge.on_sending = feature.sending
        bridge.on_failed = feature.failed
        bridge.on_ready = feature.ready

        sharing = self.sharing

        def restart(sessions: frozenset[str], rooms: frozenset[InstanceKey]) -> None:
            """Only the people and shares whose Janus was lost are set up again."""
            fx = Effects()
            feature.restart(fx, sessions)
            if sharing is not None:
                sharing.moved(rooms, fx, time.time())
            apply(fx)

        bridge.on_restart = restart
        screen_bridge = self.screen_bridge
        if sharing is not None and screen_bridge is not None:

            def live(share: Share) -> None:
                fx = Effects()
                sharing.arrived(share, fx)
                apply(fx)

            def broken(share: Share) -> None:
                fx = Effects()
                sharing.broke(share, fx, time.time())
                apply(fx)

            screen_bridge.on_live = live
            screen_bridge.on_broken = broken

    async def start(self) -> None:
        if self.bridge is None:
            return
        if self.supervisor is not None:
            if not self.supervisor.available():
                log.error(
                    "voice: the janus program is not installed (Debian package janus);"
                    " voice stays unavailable",
                    extra={"binary": self.supervisor.binary},
                )
                self.supervisor.state = "missing"
                return
            # in the background: the hub serves at once, voice follows within a second
            await self.supervisor.start(wait=False)
        else:
            self._connecting = asyncio.create_task(self.bridge.connect_all())

    def health(self) -> dict[str, Any]:
        if self.bridge is None:
            return {"state": "off"}
        out: dict[str, Any] = {
            "state": "ok" if self.bridge.available() else "unavailable",
            **self.bridge.health(),
            "in_voice": len(self.feature.members),
        }
        if self.screen_bridge is not None:
            out["sharing"] = self.screen_bridge.health()
        if self.supervisor is not None:
            out["janus"] = self.supervisor.health()
        return out

    def metrics(self) -> Iterator[Metric]:
        """For ``/metrics``: people in voice, Janus servers up, their rooms, restarts and
        requests."""
        yield GaugeMetricFamily(
            "hubtwin_voice_people", "People in voice in this process.", len(self.feature.members)
        )
        if self.bridge is not None:
            servers = self.bridge.servers
            yield GaugeMetricFamily(
                "hubtwin_voice_janus_up",
                "Janus servers that answer.",
                sum(1 for server in servers if server.up),
            )
            server_up = GaugeMetricFamily(
                "hubtwin_voice_janus_server_up",
                "Whether this Janus server answers.",
                labels=["server"],
            )
            rooms = GaugeMetricFamily(
                "hubtwin_voice_janus_rooms", "Voice rooms on this Janus server.", labels=["server"]
            )
            moved = CounterMetricFamily(
                "hubtwin_voice_rooms_moved_total",
                "Rooms moved away from a lost Janus.",
                labels=["server"],
            )
            for server in servers:
                server_up.add_metric([server.name], int(server.up))
                rooms.add_metric([server.name], self.bridge.rooms_on(server))
                moved.add_metric([server.name], server.moved_away)
            yield from (server_up, rooms, moved)
            yield CounterMetricFamily(
                "hubtwin_voice_janus_requests_total",
                "Requests sent to Janus.",
                self.bridge.requests,
            )
            yield CounterMetricFamily(
                "hubtwin_voice_renegotiations_total",
                "Receive connections offered anew.",
                self.bridge.renegotiations,
            )
        if self.supervisor is not None:
            yield CounterMetricFamily(
                "hubtwin_voice_janus_restarts_total",
                "Times the hub's Janus was restarted.",
                self.supervisor.restarts,
            )

    async def close(self) -> None:
        if self.screen_bridge is not None:
            await self.screen_bridge.close()
        if self.bridge is not None:
            await self.bridge.close()
        if self.supervisor is not None:
            with contextlib.suppress(Exception):
                await self.supervisor.stop()
