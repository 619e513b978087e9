"""The talks on the rooms' screens: a hub feature holding each screen's playback (no I/O
beyond the talk library's own checks for changed folders).

Every room instance with screens (the world's ``screen`` anchors) has a ``RoomScreens``
(``server/domain/playback.py``): overflow copies of a room have screens of their own. A ``playback``
message from someone in the room becomes a command; if the room's control rule allows it,
the new state goes to everyone in the instance as ``playback_state``. Refusals go to the
sender only. Entering (or reconnecting) sends the state of every screen of the room, with the
position of that moment; on the tick, talks that reached their end are paused there, and a
talk removed from the library is taken off its screens.

Who may control: a room marked ``moderated`` in the world model lets facilitators (and
staff) in it control its screens; any other room lets everyone (docs/watch-together.md).

Restarts and takeovers: the screens that show a talk are handed to the live sink (``keep``,
one document per room instance, when it changed, at most every ``KEEP_EVERY_S``); a room
instance whose screens are made here starts from its kept document (``kept``), so a talk
plays on from where it is by the server's clock.

>>> screens = TalkScreens(world, WatchedLibrary(site, generated_talks_dir(data)))  # doctest: +SKIP
>>> core = HubCore(world, settings, features=[screens])                          # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from server.base.identity import Role
from server.base.live_state import SCREENS, LiveDocuments, LiveSink
from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.room import RoomInstance, Session
from server.domain.playback import (
    ERROR_CODES,
    ControlMode,
    ControlPolicy,
    Pause,
    Play,
    PlaybackError,
    PlaybackState,
    RoomScreens,
    ScreenPlayback,
    command_from_fields,
)
from server.features.talks.messages import PLAYBACK_MESSAGES, Playback
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

#: How often the screens look for talks that were removed from the library.
LIBRARY_CHECK_S = 2.0
#: Screens whose state changed go to the store at most this often.
KEEP_EVERY_S = 0.5


class ScreenAnchor(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def room_id(self) -> str: ...


class ScreenRoom(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def moderated(self) -> bool: ...


class ScreenWorld(Protocol):
    """What the feature reads from the world model (``world.model.World`` has it)."""

    @property
    def rooms(self) -> Sequence[ScreenRoom]: ...
    def anchors_of(self, kind: str) -> Sequence[ScreenAnchor]: ...


class TalkLength(Protocol):
    @property
    def duration_s(self) -> float: ...


class TalkIndex(Protocol):
    """The talks of the library as it is now (``server.domain.talks.TalkLibrary``)."""

    def get(self, talk_id: str) -> TalkLength | None: ...


class TalkSource(Protocol):
    """The hub's talk library (``server.domain.talks.WatchedLibrary``; ``now`` on its own clock,
    ``time.monotonic`` as the HTTP routes use it)."""

    def current(self, now: float) -> TalkIndex: ...


def policy_for(room: ScreenRoom) -> ControlPolicy:
    """A room's control rule: facilitators in moderated rooms, anyone elsewhere."""
    return ControlPolicy(ControlMode.FACILITATORS if room.moderated else ControlMode.ANYONE)


class TalkScreens:
    """The ``HubFeature`` of the screens."""

    def __init__(
        self,
        world: ScreenWorld,
        library: TalkSource,
        *,
        library_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.library = library
        self._library_clock = library_clock
        self.screen_ids: dict[str, list[str]] = {}
        for anchor in world.anchors_of("screen"):
            self.screen_ids.setdefault(anchor.room_id, []).append(anchor.id)
        self.policies: Mapping[str, ControlPolicy] = {
            room.id: policy_for(room) for room in world.rooms
        }
        self._rooms: dict[tuple[str, int], RoomScreens] = {}
        self._library_checked = float("-inf")
        #: where the screens' state goes to be stored, and what was kept ("room#number")
        self.keep: LiveSink = lambda change: None
        self.kept: dict[str, Any] = {}
        self._documents = LiveDocuments(SCREENS, every_s=KEEP_EVERY_S)
        #: screens a screen is shared onto (room, instance, screen): no talk starts there
        self.shared: set[tuple[str, int, str]] = set()

    @property
    def messages(self) -> FeatureMessages:
        return PLAYBACK_MESSAGES

    def screens_of(self, instance: RoomInstance) -> RoomScreens | None:
        """The screens of a room instance (made on first use), or None for a room without."""
        ids = self.screen_ids.get(instance.room_id)
        if not ids:
            return None
        key = (instance.room_id, instance.number)
        screens = self._rooms.get(key)
        if screens is None:
            screens = RoomScreens(list(ids), self.policies.get(instance.room_id))
            self._resume(screens, self.kept.pop(f"{key[0]}#{key[1]}", None))
            self._rooms[key] = screens
        return screens

    @staticmethod
    def _resume(screens: RoomScreens, data: Any) -> None:
        records = data.get("screens") if isinstance(data, Mapping) else None
        for record in records if isinstance(records, list) else ():
            try:
                state = PlaybackState.from_record(record)
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            if state.screen_id in screens.screens:
                screens.screens[state.screen_id] = ScreenPlayback(state.screen_id, state)

    def set_kept(self, documents: Mapping[str, Any]) -> None:
        """The store's kept screens (read now and then when the hub has several
        processes): used for a room instance whose screens are made here later."""
        here = {f"{room}#{number}" for room, number in self._rooms}
        self.kept = {key: data for key, data in documents.items() if key not in here}

    def keep_changes(self, now: float) -> None:
        """Hand the screens showing a talk whose state changed to the live sink."""
        current = {
            f"{room}#{number}": {"screens": shown}
            for (room, number), screens in self._rooms.items()
            if (
                shown := [
                    s.state.as_record()
                    for s in screens.screens.values()
                    if s.state.talk_id is not None
                ]
            )
        }
        for change in self._documents.changes(current, now):
            self.keep(change)

    def screen_ids_of(self, room_id: str) -> list[str]:
        """The screens of a room (its ``screen`` anchors)."""
        return list(self.screen_ids.get(room_id, ()))

    def hold_for_share(
        self,
        instance: RoomInstance,
        screen_id: str,
        on: bool,
        fx: Effects,
        now: float,
        *,
        resume: bool = True,
    ) -> bool:
        """A screen is shared onto this screen (on): a talk playing there pauses, and True
        says so; no talk starts there meanwhile. The share ended (off): the talk plays on
        if ``resume`` (it was playing when the share began). The room is told either way."""
        shared = (instance.room_id, instance.number, screen_id)
        if on:
            self.shared.add(shared)
        else:
            self.shared.discard(shared)
            if not resume:
                return False
        screens = self.screens_of(instance)
        screen = screens.screens.get(screen_id) if screens is not None else None
        if screens is None or screen is None:
            return False
        if on and not screen.state.playing:
            return False
        try:
            update = screen.handle(Pause() if on else Play(), now=now, allowed=True)
        except PlaybackError:
            return False
        if update is not None:
            fx.send(self._frame(update, screens), instance.conns())
        return update is not None

    # --- hooks ---------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        instance = session.instance
        screens = self.screens_of(instance) if instance is not None else None
        if screens is None:
            return
        for state in screens.snapshots(now):
            fx.send_to(session, self._frame(state, screens))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        instance = session.instance
        # An overflow copy's screens go with its last visitor; the main instance keeps its own.
        if instance is not None and instance.number != 0 and len(instance.members) <= 1:
            self._rooms.pop((instance.room_id, instance.number), None)

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if not isinstance(message, Playback):
            return False
        instance = session.instance
        if instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about="playback")
            return True
        screens = self.screens_of(instance)
        try:
            if screens is None:
                raise PlaybackError("screen_unknown", "this room has no screens")
            library = self.library.current(self._library_clock())

            def duration_of(talk_id: str) -> float | None:
                talk = library.get(talk_id)
                return talk.duration_s if talk is not None else None

            command = command_from_fields(message.action, message.fields, duration_of=duration_of)
            starts = isinstance(command, Play) or getattr(command, "play", False)
            if starts and (instance.room_id, instance.number, message.screen) in self.shared:
                raise PlaybackError("screen_shared", ERROR_CODES["screen_shared"])
            role = session.identity.role
            update = screens.control(
                message.screen,
                command,
                now=now,
                role=role,
                facilitates_here=role is Role.FACILITATOR,
                by=session.id,
            )
        except PlaybackError as err:
            fx.error(session.conn, session.lang, err.code, err.message, "playback")
            return True
        if update is not None:
            fx.send(self._frame(update, screens), instance.conns())
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if self._documents.due(now):
            self.keep_changes(now)
        if not self._rooms:
            return
        present = {(room.room_id, room.instance.number): room.instance for room in rooms}
        gone: set[str] = set()
        if now - self._library_checked >= LIBRARY_CHECK_S:
            self._library_checked = now
            library = self.library.current(self._library_clock())
            gone = {
                state.talk_id
                for screens in self._rooms.values()
                for screen in screens.screens.values()
                if (state := screen.state).talk_id is not None
                and library.get(state.talk_id) is None
            }
        for key, screens in self._rooms.items():
            updates = screens.settle(now)
            for talk_id in gone:
                updates += screens.forget_talk(talk_id, now)
            instance = present.get(key)
            if instance is None:
                continue
            for update in updates:
                fx.send(self._frame(update, screens), instance.conns())

    # --- outgoing ------------------------------------------------------------------------

    @staticmethod
    def _frame(state: dict[str, Any], screens: RoomScreens) -> bytes:
        return encode("playback_state", **state, control=screens.policy.mode.value)
