"""One hub process, wired: site and world, store, realtime endpoint and HTTP app.

``start_hub`` brings everything up (and is what the socket-level tests use);
``run_forever`` is ``hubtwin serve``: it runs until SIGINT/SIGTERM and shuts down cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from server.app.plan_calculators import StationCalculators
from server.app.protocol_features import FEATURE_MESSAGES, register_features
from server.app.startup_checks import bind_port, check_data_dir
from server.app.world_follow import ScreensFollower, StagesFollower, StationsFollower
from server.base.gc_policy import settle_after_start
from server.base.logs import configure_logging
from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.cluster.cluster import Cluster
from server.cluster.realtime import ClusterPlacement, ClusterRealtime, public_ws_url
from server.core.hub import Effects, HubCore
from server.domain.consulting import CONSULTING_FILE, read_consulting
from server.domain.talks import WatchedLibrary, generated_talks_dir
from server.domain.workshop_records import Ban
from server.features.accounts.http import accounts_routes
from server.features.board.plans_http import PlanService
from server.features.board.service import FORGET_EVENT as BOARD_FORGET_EVENT
from server.features.board.service import BoardService
from server.features.consulting.advisors import advisors_in, keep_advisors
from server.features.consulting.cluster_side import DeskBoard, DeskRelay
from server.features.consulting.follow import ConsultingFollower
from server.features.consulting.http import consulting_routes
from server.features.consulting.realtime import ConsultingDesks, corner_places
from server.features.offers.book import read_offers
from server.features.offers.http import offer_routes
from server.features.people.contact_exchange import ExchangeBook, MemoryExchangeBook
from server.features.people.contact_exchange_redis import RedisExchangeBook
from server.features.people.http import BUS_EVENT as PEOPLE_TELL_EVENT
from server.features.people.http import PeopleToMeet, Present
from server.features.people.presence import HubPresence
from server.features.polls.service import FORGET_EVENT as POLL_FORGET_EVENT
from server.features.polls.service import PollService
from server.features.stations.catalogue import load_catalogue
from server.features.stations.content_http import (
    STATION_CONTENT_EVENT,
    StationContentEditing,
    station_content_routes,
)
from server.features.stations.desk import StationDesk
from server.features.stations.http import station_routes
from server.features.stations.realtime import StationVisits
from server.features.talks.http import talk_routes
from server.features.talks.realtime import TalkScreens
from server.features.voice.service import VoiceService
from server.features.world.edit_http import WorldEditing, world_edit_routes
from server.features.world.serving import LiveWorld, ServedWorld
from server.features.world.updates import WorldUpdates
from server.net.http_connections import http_runner, raise_open_file_limit
from server.net.metrics import Metrics
from server.net.shared_port import SharedPortSite
from server.net.transport import RealtimeServer, start_realtime
from server.protocol import table as protocol
from server.store.backend import StoreBackend
from server.store.factory import open_store
from server.web.http import HttpContext, make_http_app
from server.web.revocation import BUS_EVENT as REVOKED_EVENT
from server.web.sessions import SessionIssuer
from server.web.site_icons import SiteIcons, icon_routes
from server.workshop.grouping_http import grouping_routes
from server.workshop.programme import PROGRAMME_FILE, SiteRefs, load_programme
from server.workshop.programme_import import import_programme
from server.workshop.service import WorkshopService
from world.builder import build_world
from world.model import World, load
from world.site import Site, load_site
from world.versions import current_version, current_world_file

log = logging.getLogger("hubtwin.app")
RETENTION_SWEEP_S = 3600.0


@dataclass
class RunningHub:
    """A started hub process; ``close()`` stops it."""

    settings: Settings
    site: Site
    world: World
    store: StoreBackend
    realtime: RealtimeServer
    runner: web.AppRunner
    http_port: int
    started_at: float = field(default_factory=time.time)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    live: LiveWorld | None = None
    cluster: ClusterRealtime | None = None
    voice: VoiceService | None = None

    @property
    def url(self) -> str:
        if self.settings.public_url:
            return self.settings.public_url
        host = self.settings.host if self.settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.http_port}/"

    async def health(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        try:
            checks["store"] = "ok" if await self.store.ping() else "not answering"
        except Exception as exc:
            checks["store"] = f"error: {exc}"
        realtime = self.realtime.health()
        checks["realtime"] = realtime
        world = self.live.served.world if self.live is not None else self.world
        checks["world"] = {"digest": world.digest, "rooms": len(world.rooms)}
        if self.voice is not None:
            # voice is reported, not required: typing and walking work without it
            checks["voice"] = self.voice.health()
        ready = checks["store"] == "ok" and bool(realtime.get("listening"))
        if self.cluster is not None:
            # not ready while Redis is away: the process still serves its own rooms, but a
            # load balancer should send new visitors to a process that can place them
            checks["cluster"] = self.cluster.health()
            ready = ready and bool(checks["cluster"]["ok"])
        return {
            "ready": ready,
            "uptime_s": round(time.time() - self.started_at, 1),
            "checks": checks,
        }

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.runner.cleanup()
        if self.voice is not None:
            await self.voice.close()
        if self.cluster is not None:
            await self.cluster.close()
            await self.cluster.cluster.close()
        await self.realtime.close()
        await self.store.close()


def world_path(settings: Settings, site: Site) -> Path:
    """The world this process serves: the current published version (``hubtwin world
    publish``), or before the first publish the site folder's, built when missing or stale."""
    published = current_world_file(settings.world_dir)
    if published is not None:
        return published
    target = settings.world_dir / "hub.glb"
    build_world(site, target, quiet=True)
    return target


async def _sweep_chat(store: StoreBackend, settings: Settings) -> None:
    while True:
        cutoff = time.time() - settings.chat_retention_days * 86400
        removed = await store.purge_chat(cutoff)
        if removed:
            log.info("chat retention sweep", extra={"removed": removed})
        await asyncio.sleep(RETENTION_SWEEP_S)


async def start_hub(settings: Settings) -> RunningHub:
    """Bring up one hub process on the configured ports (0 picks free ones): the HTTP port
    also serves the realtime endpoint at ``/ws`` unless ``ws_port`` gives it a port of its
    own. A port that cannot be bound or a data folder that cannot be written is a
    ``StartupError`` before anything else starts."""
    check_data_dir(settings.resolved_data_dir)
    http_sock = bind_port(settings.host, settings.http_port, flag="--port", env="HUBTWIN_HTTP_PORT")
    ws_sock = None
    try:
        if settings.ws_port is not None:
            ws_sock = bind_port(
                settings.host, settings.ws_port, flag="--ws-port", env="HUBTWIN_WS_PORT"
            )
        return await _start_hub(settings, http_sock, ws_sock)
    except BaseException:
        for sock in (http_sock, ws_sock):
            if sock is not None:
                sock.close()
        raise


async def _start_hub(
    settings: Settings, http_sock: socket.socket, ws_sock: socket.socket | None
) -> RunningHub:
    site = load_site(settings.site)
    offers = await asyncio.to_thread(read_offers, site)
    glb = await asyncio.to_thread(world_path, settings, site)
    world = await asyncio.to_thread(load, glb)
    catalogue = await asyncio.to_thread(load_catalogue, site, world)
    consulting_file = await asyncio.to_thread(
        read_consulting,
        site.file(CONSULTING_FILE),
        {anchor.id for anchor in world.anchors_of("booth")},
        site.languages,
    )
    consulting = ConsultingDesks(
        corner_places(world.anchors, consulting_file, world.entrance), consulting_file
    )
    talks = WatchedLibrary(
        site,
        generated_talks_dir(settings.resolved_data_dir),
        build_hint=settings.command("hubtwin talks build-samples"),
    )
    refs = SiteRefs(
        [room.id for room in world.rooms], catalogue.references(), talks.current(time.time()).talks
    )
    programme = await asyncio.to_thread(load_programme, site.file(PROGRAMME_FILE), refs)
    store = await open_store(settings)
    consulting.advisors = await advisors_in(store)
    imported = await import_programme(store, programme, site.id, now=time.time())
    for line in imported.lines():
        log.info(line)
    if programme.entries:
        log.info(imported.summary())
    signer = TokenSigner(settings.ensure_secret())
    sessions = SessionIssuer(settings, signer, store)
    await sessions.revocation.load()
    metrics = Metrics()
    version = current_version(settings.world_dir)
    live = LiveWorld(
        settings.world_dir,
        ServedWorld.of(glb, world, version if version and version.model == glb else None),
    )
    visits, screens, updates = StationVisits(catalogue), TalkScreens(world, talks), WorldUpdates()
    cluster = None
    if settings.redis_url:
        cluster = Cluster(settings.redis_url, site=settings.site.name, ws_url="")
    workshops = await WorkshopService.open(
        store,
        world,
        screens,
        station_ids=lambda: {station.id for station in visits.catalogue.stations},
        talk_ids=lambda: set(talks.current(time.time()).talks),
        hub_events=None if cluster is None else cluster.bus.post,
        station_spot=lambda station_id: (
            (found.place.room_id, found.place.position)
            if (found := visits.catalogue.get(station_id)) is not None and found.place is not None
            else None
        ),
    )
    voice = VoiceService.make(settings, workshops.lead, workshops.moderation, screens)
    metrics.collect_from(voice.metrics)
    polls = await PollService.open(store, workshops)
    boards = await BoardService.open(store, workshops)
    plans = await PlanService.open(store, workshops)
    register_features()
    core = HubCore(
        world,
        settings,
        features=[
            visits,
            screens,
            updates,
            *workshops.features,
            boards.feature,
            polls.feature,
            plans.feature,
            plans.board,
            voice.feature,
            *([voice.sharing] if voice.sharing is not None else []),
            consulting,
        ],
        rules=[*workshops.rules, consulting],
        placement=None if cluster is None else ClusterPlacement(cluster),
    )
    glue = None if cluster is None else ClusterRealtime(cluster, core, settings, store)
    realtime = await start_realtime(
        core,
        settings=settings,
        signer=signer,
        store=store,
        metrics=metrics,
        cluster=glue,
        sock=ws_sock,
    )
    shared_site: list[SharedPortSite] = []
    if ws_sock is None:
        realtime.share_port(
            http_sock.getsockname()[1], lambda: any(site.serving() for site in shared_site)
        )
    workshops.attach(core, realtime.apply)
    consulting.attach(core)
    boards.attach(core, realtime.apply)
    polls.attach(core)
    plans.attach(core, realtime.apply)
    voice.attach(core, realtime.apply)
    sessions.revocation.on_revoked(realtime.revoked)
    workshops.writer.banned = sessions.revoke
    if cluster is not None and glue is not None:
        glue.on("announce", lambda event, fx, now: workshops.lead.announced_elsewhere(event, fx))
        sessions.revocation.connect_bus(cluster.bus.post)
        cluster.bus.on(REVOKED_EVENT, sessions.revocation.from_bus)
        glue.on(
            "ban",
            lambda event, fx, now: workshops.moderation.enforce(Ban.from_dict(event), fx, now),
        )
        glue.on("mute", workshops.moderation.mute_elsewhere)
        glue.on("room_settings", workshops.moderation.room_settings_elsewhere)
        cluster.bus.on("board", lambda sender, event: workshops.board_changed(event))
        cluster.bus.on(BOARD_FORGET_EVENT, lambda sender, event: boards.forget_elsewhere(event))
        cluster.bus.on(POLL_FORGET_EVENT, lambda sender, event: polls.forget_elsewhere(event))
        cluster.set_addresses(public_ws_url(settings, realtime.port), settings.http_url())
        try:
            await cluster.start()
        except Exception:
            await realtime.close()
            await store.close()
            raise
    hub_ref: list[RunningHub] = []

    async def health() -> dict[str, Any]:
        return await hub_ref[0].health()

    def here_in_this_process() -> dict[str, Present]:
        here: dict[str, Present] = {}
        for session in core.sessions.values():
            if session.instance is not None and session.identity.id not in here:
                here[session.identity.id] = Present(
                    session.id,
                    session.identity.name,
                    session.instance.room_id,
                    session.instance.number,
                )
        return here

    def tell_person_here(identity_id: str, frame: bytes) -> None:
        fx = Effects()
        for session in core.sessions.values():
            if session.identity.id == identity_id:
                fx.send_to(session, frame)
        realtime.apply(fx)

    presence = None if cluster is None else HubPresence(cluster, here_in_this_process)
    desk_board = None if cluster is None else DeskBoard(cluster, consulting)
    desk_relay = None
    if cluster is not None and glue is not None and desk_board is not None:
        desk_relay = DeskRelay(cluster, consulting, desk_board, realtime.apply, glue.send_over)
        consulting.elsewhere = desk_relay
    exchange_book: ExchangeBook = MemoryExchangeBook()
    if cluster is not None:
        exchange_book = RedisExchangeBook(cluster.link, cluster.names)
        cluster.bus.on(
            PEOPLE_TELL_EVENT,
            lambda sender, event: tell_person_here(str(event["to"]), bytes(event["frame"])),
        )

    async def who_is_here() -> dict[str, Present]:
        if presence is None:
            return here_in_this_process()
        return await presence.everyone()

    def tell_person(identity_id: str, frame: bytes) -> None:
        tell_person_here(identity_id, frame)
        if cluster is not None:
            cluster.bus.post(PEOPLE_TELL_EVENT, {"to": identity_id, "frame": frame})

    people_to_meet = PeopleToMeet(
        store, offers.vocabulary.topics, who_is_here, tell_person, exchange_book
    )

    async def forget_identity(identity_id: str) -> None:
        core.forget(identity_id)
        boards.forget(identity_id)
        polls.forget(identity_id)
        consulting.forget(identity_id)
        await people_to_meet.forget(identity_id)

    context = HttpContext(
        settings=settings,
        site=site,
        store=store,
        sessions=sessions,
        world_file=live.world_file,
        world_digest=live.digest,
        protocol_version=protocol.PROTOCOL_VERSION,
        protocol_description=lambda: protocol.describe(settings, FEATURE_MESSAGES),
        ws_port=lambda: realtime.port,
        metrics=metrics.render,
        health=health,
        forget_identity=forget_identity,
    )

    def room_members(room_id: str) -> set[str] | None:
        if room_id not in {room.id for room in world.rooms}:
            return None
        return {
            session.identity.id
            for session in core.sessions.values()
            if session.instance is not None and session.instance.room_id == room_id
        }

    desk = StationDesk(catalogue)
    stations_follower = StationsFollower(site, visits, desk)
    live.attach(
        core,
        realtime.apply,
        updates,
        [
            stations_follower,
            ScreensFollower(screens),
            StagesFollower(workshops.lead),
            ConsultingFollower(site.file(CONSULTING_FILE), site.languages, consulting),
        ],
    )
    content_editing = StationContentEditing(
        site,
        settings.world_dir,
        lambda: live.follow_again(stations_follower),
        None if cluster is None else cluster.bus.post,
    )
    if cluster is not None:  # content saved in another process: read the stations again here
        cluster.bus.on(STATION_CONTENT_EVENT, content_editing.saved_elsewhere)
    features = [
        accounts_routes(consulting.advisor_marked),
        station_routes(desk, room_members),
        talk_routes(talks),
        workshops.routes(),
        boards.routes(),
        polls.routes(),
        plans.routes(StationCalculators(desk)),
        world_edit_routes(WorldEditing(site, settings.world_dir, live)),
        station_content_routes(content_editing),
        icon_routes(SiteIcons(site)),
        offer_routes(offers),
        people_to_meet.routes(),
        consulting_routes(consulting, None if desk_board is None else desk_board.everywhere),
        grouping_routes(workshops.lead, store, offers.vocabulary.topics),
    ]
    runner = http_runner(make_http_app(context, features), settings, realtime.limits)
    await runner.setup()
    if ws_sock is None:
        shared_site.append(SharedPortSite(runner, http_sock, realtime.new_connection))
        await shared_site[0].start()
    else:
        await web.SockSite(runner, http_sock).start()
    port = http_sock.getsockname()[1]
    hub = RunningHub(
        settings, site, world, store, realtime, runner, port, live=live, cluster=glue, voice=voice
    )
    await voice.start()
    hub_ref.append(hub)
    hub.tasks.append(asyncio.create_task(_sweep_chat(store, settings)))
    hub.tasks.append(
        asyncio.create_task(sessions.revocation.refresh_forever(settings.revocation_refresh_s))
    )
    hub.tasks += workshops.start()
    hub.tasks += boards.start()
    hub.tasks += polls.start()
    hub.tasks += plans.start()
    hub.tasks.append(asyncio.create_task(live.watch()))
    if presence is not None:
        hub.tasks.append(asyncio.create_task(presence.run()))
    if desk_board is not None:
        hub.tasks.append(asyncio.create_task(desk_board.run()))
    if desk_relay is not None:
        hub.tasks.append(asyncio.create_task(desk_relay.run()))
    hub.tasks.append(asyncio.create_task(keep_advisors(store, consulting)))
    log.info(
        "hub started",
        extra={
            "site": site.id,
            "url": hub.url,
            "ws_port": realtime.port,
            "rooms": len(world.rooms),
        },
    )
    return hub


def run_forever(
    settings: Settings,
    on_ready: Callable[[RunningHub], None] | None = None,
    then: Callable[[RunningHub], Awaitable[int]] | None = None,
) -> int:
    """Run the hub until interrupted, or until ``then(hub)`` has run (its result is the exit
    code); returns the process exit code."""
    configure_logging(settings.log_level)
    before, after = raise_open_file_limit()
    log.info("open-file limit", extra={"soft_before": before, "soft": after})

    async def main() -> int:
        hub = await start_hub(settings)
        settle_after_start()
        if on_ready is not None:
            on_ready(hub)
        if then is not None:
            try:
                return await then(hub)
            finally:
                await hub.close()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("shutting down")
        await hub.close()
        return 0

    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    return uvloop.run(main())
