"""The hub feature of sharing a screen: the rules of ``server/features/voice/screen_share.py``
applied to the hub's sessions, its room instances and its screens.

A ``share`` message becomes a decision of ``ScreenShares``; the room instance hears it as
``share_state`` (presenter, ``gen``, ``live``). What has to happen on the media server
goes to a ``SharePort`` (``server/features/voice/screen_bridge.py`` in the running hub, a recorder
in the tests): publish the presenter's screen (their ``present`` offer), give a viewer of the
same room instance a receiving connection to exactly that feed, end a share (every viewer
of it at once) or one viewer. The port tells back when the shared screen arrives
(``live``) or failed. A talk playing on the screen is paused while the share lasts and
played on afterwards (``ScreenHolder``: the screens feature, ``server/features/talks/realtime.py``).

A share outlives what only interrupts it. It is *renewed* (the same presenter and screen,
a new ``gen``; the presenter's browser publishes again, the viewers watch the new one)
when its room moves to another Janus, when its presenter asks for it again (their browser
lost its connection to Janus, say after a network drop), and when the presenter's
connection to Janus breaks while their WebSocket is away (the reconnection grace): they
publish again once they are back. It ends when the presenter stops, leaves the room
instance or does not come back within the grace, and when no Janus is left to go to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from server.core.workshop_context import InstanceKey, key_of
from server.features.voice.screen_messages import (
    SHARE_MESSAGES,
    ShareAllow,
    ShareIce,
    ShareOn,
    ShareSdp,
    ShareView,
)
from server.features.voice.screen_share import ScreenShares, Share, ShareError
from server.features.voice.webrtc_signal import janus_signal
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.core.effects import Effects
    from server.core.hooks import RoomPositions
    from server.core.room import RoomInstance, Session
    from server.protocol.message_spec import FeatureMessage, FeatureMessages


class SharePort(Protocol):
    """What sharing asks of the media server side (all calls return at once)."""

    def available(self) -> bool: ...

    def present(self, share: Share) -> None: ...

    def view(self, session_id: str, share: Share) -> None: ...

    def unview(self, session_id: str, share: Share) -> None: ...

    def signal(self, session_id: str, share: Share, pc: str, payload: dict[str, Any]) -> None: ...

    def end(self, share: Share) -> None: ...


class ScreenHolder(Protocol):
    """The screens' talks (``server.features.talks.realtime.TalkScreens``)."""

    def screen_ids_of(self, room_id: str) -> Sequence[str]: ...

    def hold_for_share(
        self,
        instance: RoomInstance,
        screen_id: str,
        on: bool,
        fx: Effects,
        now: float,
        *,
        resume: bool = True,
    ) -> bool: ...


class ScreenSharing:
    """The sharing feature (see the module docstring)."""

    def __init__(self, port: SharePort | None, screens: ScreenHolder) -> None:
        self.port = port
        self.screens = screens
        self.rules = ScreenShares()
        self.live: set[int] = set()
        #: shares whose screen had a talk playing (played on when the share ends)
        self.paused: set[int] = set()
        self._instances: dict[InstanceKey, RoomInstance] = {}
        self._names: dict[str, str] = {}
        self._sessions: dict[str, Session] = {}

    @property
    def messages(self) -> FeatureMessages:
        return SHARE_MESSAGES

    # --- what the port tells back -------------------------------------------------------------

    def arrived(self, share: Share, fx: Effects) -> None:
        """The media server receives the presenter's screen: the room may watch it."""
        if self.rules.shares.get((share.room, share.screen)) != share or share.gen in self.live:
            return
        self.live.add(share.gen)
        self._tell(share, fx)

    def broke(self, share: Share, fx: Effects, now: float) -> None:
        """The presenter's connection failed: the share ends, unless it was live and the
        presenter is away (their WebSocket dropped): then it waits for them, renewed."""
        if self.rules.shares.get((share.room, share.screen)) != share:
            return
        presenter = self._sessions.get(share.presenter)
        away = presenter is not None and presenter.conn is None
        if share.gen in self.live and away and self.port is not None and self.port.available():
            self._renew(share, fx)
            return
        del self.rules.shares[(share.room, share.screen)]
        self._ended([share], fx, now)

    def moved(self, rooms: frozenset[InstanceKey], fx: Effects, now: float) -> None:
        """The Janus of these room instances was lost: their shares are renewed on the one
        their room goes to (or end when none answers)."""
        shares = [share for share in self.rules.shares.values() if share.room in rooms]
        if self.port is None or not self.port.available():
            for share in shares:
                del self.rules.shares[(share.room, share.screen)]
            self._ended(shares, fx, now)
            return
        for share in shares:
            self._renew(share, fx)

    def end_all(self, fx: Effects, now: float) -> None:
        """The media server was lost: every share ends (the presenters may share again)."""
        ended = list(self.rules.shares.values())
        self.rules.shares.clear()
        self._ended(ended, fx, now)

    # --- hooks --------------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        if session.instance is None:
            return
        key = key_of(session.instance)
        self._instances[key] = session.instance
        for share in self.rules.of_room(key):
            fx.send_to(session, self._state(share))
        fx.send_to(session, encode("share_allowed", sessions=self.rules.allowed_in(key)))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        if session.instance is None:
            return
        key = key_of(session.instance)
        for share in self.rules.of_room(key):
            if share.presenter != session.id and self.port is not None:
                self.port.unview(session.id, share)
        self._sessions.pop(session.id, None)
        had = session.id in self.rules.allowed.get(key, set())
        ended = self.rules.left(key, session.id)
        self._ended(ended, fx, now, but=session)
        if had:
            self._tell_allowed(key, fx, but=session)

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if not isinstance(message, ShareOn | ShareAllow | ShareView | ShareSdp | ShareIce):
            return False
        about = message.spec.type
        instance = session.instance
        if instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about=about)
            return True
        key = key_of(instance)
        self._instances[key] = instance
        self._names[session.id] = session.identity.name
        self._sessions[session.id] = session
        role = session.identity.role
        try:
            if isinstance(message, ShareOn):
                if message.on:
                    self._start(session, instance, message.screen, fx, now)
                else:
                    share = self.rules.stop(key, message.screen, session.id, role)
                    self._ended([share], fx, now)
            elif isinstance(message, ShareAllow):
                ended = self.rules.allow(key, message.session, message.on, role)
                self._ended(ended, fx, now)
                self._tell_allowed(key, fx)
            elif isinstance(message, ShareView):
                share = self.rules.viewable(key, message.screen, key)
                if share.gen != message.gen or self.port is None:
                    return True
                if not message.on:
                    self.port.unview(session.id, share)
                elif share.gen not in self.live:
                    raise ShareError("share_none")
                elif share.presenter != session.id:
                    self.port.view(session.id, share)
            else:
                share = self.rules.viewable(key, message.screen, key)
                if share.gen != message.gen or self.port is None:
                    return True
                if message.pc == "present" and share.presenter != session.id:
                    raise ShareError("share_forbidden")
                self.port.signal(session.id, share, message.pc, janus_signal(message))
        except ShareError as refused:
            fx.error(session.conn, session.lang, refused.code, about=about)
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        return None

    # --- decisions ----------------------------------------------------------------------------

    def _start(
        self, session: Session, instance: RoomInstance, screen: str, fx: Effects, now: float
    ) -> None:
        if self.port is None or not self.port.available():
            raise ShareError("share_unavailable")
        key = key_of(instance)
        screens = self.screens.screen_ids_of(instance.room_id)
        known = self.rules.shares.get((key, screen))
        share = self.rules.start(key, screen, session.id, session.identity.role, screens)
        if known == share:
            self._renew(share, fx)  # asked again: the presenter publishes anew
            return
        if self.screens.hold_for_share(instance, screen, True, fx, now):
            self.paused.add(share.gen)
        self.port.present(share)
        self._tell(share, fx)

    def _renew(self, share: Share, fx: Effects) -> None:
        assert self.port is not None
        again = self.rules.renew(share)
        self.live.discard(share.gen)
        if share.gen in self.paused:
            self.paused.discard(share.gen)
            self.paused.add(again.gen)
        self.port.end(share)
        self.port.present(again)
        self._tell(again, fx)

    def _ended(
        self, shares: list[Share], fx: Effects, now: float, *, but: Session | None = None
    ) -> None:
        for share in shares:
            self.live.discard(share.gen)
            if self.port is not None:
                self.port.end(share)
            instance = self._instances.get(share.room)
            if instance is None:
                continue
            fx.send(
                encode(
                    "share_state",
                    screen=share.screen,
                    gen=share.gen,
                    presenter=None,
                    name=None,
                    live=False,
                ),
                instance.conns(but=but),
            )
            resume = share.gen in self.paused
            self.paused.discard(share.gen)
            self.screens.hold_for_share(instance, share.screen, False, fx, now, resume=resume)

    # --- frames -------------------------------------------------------------------------------

    def _state(self, share: Share) -> bytes:
        return encode(
            "share_state",
            screen=share.screen,
            gen=share.gen,
            presenter=share.presenter,
            name=self._names.get(share.presenter),
            live=share.gen in self.live,
        )

    def _tell(self, share: Share, fx: Effects) -> None:
        instance = self._instances.get(share.room)
        if instance is not None:
            fx.send(self._state(share), instance.conns())

    def _tell_allowed(self, key: InstanceKey, fx: Effects, *, but: Session | None = None) -> None:
        instance = self._instances.get(key)
        if instance is not None:
            frame = encode("share_allowed", sessions=self.rules.allowed_in(key))
            fx.send(frame, instance.conns(but=but))
