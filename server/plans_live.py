"""Watching a team's plan over the WebSocket: a hub feature (no I/O).

The plan service (``server/plans_http.py``) keeps the teams it last read or wrote and
answers ``view(identity, team_id)``: the team as that person may see it, or None. A session
sends ``plan_watch``; who may see the team gets ``plan_state`` now and after every change
the service reports (``changed``); anyone else gets ``team_unknown``. When someone may no
longer see a team they watch (they left, it ended, it is no longer shared with their
workshop), they get ``plan_state`` with no plan and the watch ends.

>>> plans = TeamPlansFeature(service.view)                      # doctest: +SKIP
>>> core = HubCore(world, settings, features=[..., plans])      # doctest: +SKIP
>>> plans.attach(core)                                          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from server.features import RoomPositions
from server.hub import Effects, HubCore
from server.identity import Identity
from server.message_spec import FeatureMessage, FeatureMessages
from server.plan_messages import PLAN_MESSAGES, PlanWatch
from server.protocol import encode
from server.room import Session

TeamView = Callable[[Identity, str], dict[str, Any] | None]
"""The team as this person may see it now, or None (unknown to them)."""


class TeamPlansFeature:
    """The ``HubFeature`` of watching plans."""

    def __init__(self, view: TeamView, *, complete: bool = True) -> None:
        self.view = view
        #: the teams the view knows are all there are (one process); with several, a team
        #: changed elsewhere is known after the service's next read (``settle``)
        self.complete = complete
        #: session id -> the team it watches
        self.watching: dict[str, str] = {}
        #: session id -> a team to watch that the view did not show yet (several processes)
        self.pending: dict[str, str] = {}
        self._core: HubCore | None = None

    def attach(self, core: HubCore) -> None:
        self._core = core

    @property
    def messages(self) -> FeatureMessages:
        return PLAN_MESSAGES

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        return None

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None  # a watch outlives a room change; a session gone is dropped in changed

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        return None

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
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
        """A team changed (or ended): everyone watching it gets it anew, as they may see it."""
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
