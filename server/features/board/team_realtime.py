"""Watching a team's plan over the WebSocket: a hub feature (no I/O).

The plan service (``server/features/board/plans_http.py``) keeps the teams it last read or wrote and
answers ``view(identity, team_id)``: the team as that person may see it, or None. A session
sends ``plan_watch``; who may see the team gets ``plan_state`` now and after every change
the service reports (``changed``); anyone else gets ``team_unknown``. When someone may no
longer see a team they watch (they left, it ended, it is no longer shared with their
workshop), they get ``plan_state`` with no plan and the watch ends.

The room screen: a facilitator of the workshop running in their room sends ``plans_show``
(the leading feature, ``server/workshop/facilitation.py``, says which workshop runs where and who
leads it); everyone in the workshop's rooms gets ``plans_progress``, the progress of the
teams that share the workshop and agreed to show it (``progress(workshop_id)``), again
whenever a team changes, and whoever comes in while it is shown gets it too. It goes when
hidden or when the workshop ends.

>>> plans = TeamPlansFeature(service.view)                      # doctest: +SKIP
>>> core = HubCore(world, settings, features=[..., plans])      # doctest: +SKIP
>>> plans.attach(core)                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from server.base.identity import Identity
from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.powers import FeatureCore
from server.core.room import RoomInstance, Session
from server.features.board.plan_messages import PLAN_MESSAGES, PlansShow, PlanWatch
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.core.workshop_context import LiveWorkshop
    from server.workshop.facilitation import Facilitation

TeamView = Callable[[Identity, str], dict[str, Any] | None]
"""The team as this person may see it now, or None (unknown to them)."""
Progress = Callable[[str], list[dict[str, Any]]]
"""The progress of the teams that share this workshop and agreed to show it."""


class TeamPlansFeature:
    """The ``HubFeature`` of watching plans."""

    def __init__(
        self,
        view: TeamView,
        *,
        complete: bool = True,
        lead: Facilitation | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.view = view
        self.lead = lead
        self.progress: Progress = progress if progress is not None else (lambda wid: [])
        #: the workshops whose teams' progress is on their room's screen
        self.shown: set[str] = set()
        #: the teams the view knows are all there are (one process); with several, a team
        #: changed elsewhere is known after the service's next read (``settle``)
        self.complete = complete
        #: session id -> the team it watches
        self.watching: dict[str, str] = {}
        #: session id -> a team to watch that the view did not show yet (several processes)
        self.pending: dict[str, str] = {}
        self._core: FeatureCore | None = None

    def attach(self, core: FeatureCore) -> None:
        self._core = core

    @property
    def messages(self) -> FeatureMessages:
        return PLAN_MESSAGES

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        live = self.lead.live_here(session) if self.lead is not None else None
        if live is not None and live.id in self.shown:
            fx.send_to(session, self._progress_frame(live.id, on=True))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None  # a watch outlives a room change; a session gone is dropped in changed

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if self.lead is not None and self.shown:
            self.shown &= set(self.lead.lives)  # an ended workshop shows nothing

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if isinstance(message, PlansShow):
            self._show(session, message.on, fx)
            return True
        if not isinstance(message, PlanWatch):
            return False
        self.watching.pop(session.id, None)
        self.pending.pop(session.id, None)
        if not message.team:
            return True
        seen = self.view(session.identity, message.team)
        if seen is None and not self.complete:
            self.pending[session.id] = message.team  # answered after the next read
            return True
        if seen is None:
            fx.error(session.conn, session.lang, "team_unknown", about="plan_watch")
            return True
        self.watching[session.id] = message.team
        fx.send_to(session, encode("plan_state", team=message.team, plan=seen))
        return True

    def _show(self, session: Session, on: bool, fx: Effects) -> None:
        live = self.lead.live_here(session) if self.lead is not None else None
        if live is None:
            fx.error(session.conn, session.lang, "workshop_not_live", about="plans_show")
            return
        if not live.workshop.led_by(session.identity):
            fx.error(session.conn, session.lang, "not_facilitator", about="plans_show")
            return
        if on:
            self.shown.add(live.id)
        else:
            self.shown.discard(live.id)
        self._broadcast(live, on=on, fx=fx)

    def _broadcast(self, live: LiveWorkshop, *, on: bool, fx: Effects) -> None:
        frame = self._progress_frame(live.id, on=on)
        fx.send(frame, [c for inst in self._instances(live) for c in inst.conns()])

    def _instances(self, live: LiveWorkshop) -> list[RoomInstance]:
        if self._core is None:
            return []
        by_number = self._core.instances.get(live.home.room_id, {})
        return [inst for _, n in live.instance_keys() if (inst := by_number.get(n)) is not None]

    def _progress_frame(self, workshop_id: str, *, on: bool) -> bytes:
        teams = self.progress(workshop_id) if on else None
        return encode("plans_progress", workshop=workshop_id, teams=teams)

    def settle(self, fx: Effects) -> None:
        """The service has read every team again: pending watches are answered."""
        sessions = self._core.sessions if self._core is not None else {}
        for session_id, team_id in list(self.pending.items()):
            del self.pending[session_id]
            session = sessions.get(session_id)
            if session is None:
                continue
            seen = self.view(session.identity, team_id)
            if seen is None:
                fx.error(session.conn, session.lang, "team_unknown", about="plan_watch")
                continue
            self.watching[session_id] = team_id
            fx.send_to(session, encode("plan_state", team=team_id, plan=seen))

    def changed(self, team_id: str, fx: Effects) -> None:
        """A team changed (or ended): everyone watching it gets it anew, as they may see it,
        and the screens showing progress are drawn again."""
        if self.lead is not None:
            for workshop_id in sorted(self.shown):
                live = self.lead.lives.get(workshop_id)
                if live is not None:
                    self._broadcast(live, on=True, fx=fx)
        sessions = self._core.sessions if self._core is not None else {}
        for session_id, watched in list(self.watching.items()):
            if watched != team_id:
                continue
            session = sessions.get(session_id)
            if session is None:
                del self.watching[session_id]
                continue
            seen = self.view(session.identity, team_id)
            if seen is None:
                del self.watching[session_id]
            fx.send_to(session, encode("plan_state", team=team_id, plan=seen))
