"""A team's plan on its breakout group's board: a hub feature (no I/O).

When the facilitators form breakout groups by team (``breakout`` with mode ``teams``,
``server/domain/breakouts.py``), each group is formed for one team (``Group.team``). The board in
that group's room then shows the team's plan beside the sticky notes: its measures by
status (the plan's own statuses, ``action_plans.STATUSES``). The server decides who sees
it, asking the plan service's ``view`` as the plan panel does: the team's members and the
workshop's facilitators get ``board_plan``; a non-member in that room, and every other
group, get nothing of it. It is sent when someone comes to such a board, whenever the plan
changes (``changed``, through the panel, HTTP or the board) and, as nil, when it is no
longer shown to them (the tick notices a breakout that ended, a group left).

Whoever sees it works on it there: ``board_plan_move`` moves a measure to another status,
``board_plan_adopt`` turns a sticky note of the group's board into a measure (its text the
title, a longer text the measure's note too; the note then leaves the board). This module
checks where and who and builds the request (``PlanRequest``); the change itself runs in
the plan service (``submit``), which reads the team, checks again that this person may
change it, changes it by the plan's rules (``apply_request``) and keeps it, then tells
``done`` (an error for the person, or the note to take off the board).

>>> feature = BoardPlans(lead, service.view, boards, submit)        # doctest: +SKIP
>>> core = HubCore(world, settings, features=[..., feature])        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

from server.base.identity import Identity
from server.core.hooks import RoomPositions
from server.domain.action_plans import (
    NOTE_MAX_CHARS,
    STATUS_NAMES,
    STATUSES,
    TITLE_MAX_CHARS,
    Measure,
    PlanRefused,
    Team,
)
from server.domain.board import BoardError
from server.features.board.board_plan_messages import (
    BOARD_PLAN_MESSAGES,
    BoardPlanAdopt,
    BoardPlanMove,
)
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.core.effects import Effects
    from server.core.powers import FeatureCore
    from server.core.room import RoomInstance, Session
    from server.core.workshop_context import LiveWorkshop
    from server.features.board.realtime import SharedBoards

#: How often the tick looks whether what a board shows of a plan changed.
WATCH_EVERY_S: Final = 0.2

TeamView = Callable[[Identity, str], dict[str, Any] | None]
"""The team as this person may see it now (GET /api/teams/{id}), or None."""


@dataclass(frozen=True)
class PlanRequest:
    """A change to a team's plan asked for at a board."""

    session_id: str
    identity: Identity
    lang: str
    team: str
    workshop: str
    group: int
    #: "move" or "adopt"
    kind: str
    status: str
    measure: str = ""
    #: adopt: the note and its text
    note: str = ""
    text: str = ""


Submit = Callable[[PlanRequest], None]
"""Hands a request to the plan service, which answers through ``BoardPlans.done``."""


def title_of(text: str) -> tuple[str, str]:
    """A note's text as a measure's title (at most ``TITLE_MAX_CHARS``, cut at a word with
    an ellipsis) and its note (the whole text when the title had to be cut)."""
    line = " ".join(text.split())
    if len(line) <= TITLE_MAX_CHARS:
        return line, ""
    cut = line[: TITLE_MAX_CHARS - 1]
    if " " in cut[TITLE_MAX_CHARS // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…", text.strip()[:NOTE_MAX_CHARS]


def apply_request(team: Team, request: PlanRequest, now: float) -> Measure:
    """The change by the plan's rules (``PlanRefused`` when refused)."""
    if request.kind == "move":
        return team.update_measure(
            request.measure, {"status": request.status}, by=request.identity.id, now=now
        )
    title, note = title_of(request.text)
    fields: dict[str, Any] = {"title": title, "status": request.status}
    if note:
        fields["note"] = note
    return team.add_measure(fields, by=request.identity.id, now=now)


def board_view(team: Mapping[str, Any]) -> dict[str, Any]:
    """What a board shows of a team's plan (from the team as ``view`` gives it)."""
    names = {m["id"]: m["name"] for m in team.get("members", [])}
    return {
        "team": team["id"],
        "name": team["name"],
        "firm": team.get("firm", ""),
        "statuses": [
            {"status": s, "de": STATUS_NAMES[s][0], "en": STATUS_NAMES[s][1]} for s in STATUSES
        ],
        "measures": [
            {
                "id": m["id"],
                "title": m["title"],
                "area": m["area"],
                "status": m["status"],
                "owner": names.get(m.get("owner")) if m.get("owner") else None,
                "due": m.get("due"),
                "co2e_kg": m.get("co2e_kg"),
                "energy_kwh": m.get("energy_kwh"),
                "money_eur": m.get("money_eur"),
            }
            for m in team.get("measures", [])
        ],
    }


Shown = tuple[str, int, dict[str, Any]]
"""What a person's board shows of a plan: (workshop id, group number, the plan)."""


class BoardPlans:
    """The ``HubFeature`` of plans on breakout boards."""

    def __init__(
        self,
        lead: Any,
        view: TeamView,
        boards: SharedBoards | None,
        submit: Submit,
    ) -> None:
        #: the leading feature (``Facilitation``): ``lives``, ``live_in``, ``may_lead``
        self.lead = lead
        self.view = view
        self.boards = boards
        self.submit = submit
        #: what each person was last sent (session id -> shown, None: nothing)
        self._sent: dict[str, Shown | None] = {}
        #: notes being turned into measures (workshop id, note id)
        self._adopting: set[tuple[str, str]] = set()
        self._next_watch = float("-inf")
        self._core: FeatureCore | None = None

    def attach(self, core: FeatureCore) -> None:
        """The hub core; the boards are its ``SharedBoards`` feature unless given."""
        self._core = core
        if self.boards is None:
            from server.features.board.realtime import SharedBoards

            self.boards = next((f for f in core.features if isinstance(f, SharedBoards)), None)

    @property
    def messages(self) -> FeatureMessages:
        return BOARD_PLAN_MESSAGES

    # --- what is where -----------------------------------------------------------------------

    def team_at(self, instance: RoomInstance) -> tuple[LiveWorkshop, int, str] | None:
        """The running workshop, group number and team of a breakout room formed for a team."""
        live = self.lead.live_in(instance)
        if live is None or live.breakout is None:
            return None
        group = live.breakout.by_instance(instance.number)
        if group is None or group.team is None:
            return None
        return live, group.number, group.team

    def shown_to(self, session: Session) -> Shown | None:
        """The plan this person's board shows them, if any."""
        instance = session.instance
        found = None if instance is None else self.team_at(instance)
        if found is None:
            return None
        live, group, team_id = found
        team = self.view(session.identity, team_id)
        return None if team is None else (live.id, group, board_view(team))

    # --- hooks ---------------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        # A room entered or a connection resumed: the plan shown here is sent anew (the
        # client starts from none), or nil when one was shown before and is not here.
        before = self._sent.pop(session.id, None)
        self._update(session, fx)
        if before is not None and session.conn is not None and session.id not in self._sent:
            gone = encode("board_plan", workshop=before[0], group=before[1], plan=None)
            fx.send_to(session, gone)

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None  # the next room's on_join (or the tick) sends what is shown there

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if now < self._next_watch:
            return
        self._next_watch = now + WATCH_EVERY_S
        self.refresh(fx)

    def showing(self) -> bool:
        """Does any board show a plan now (with several processes the plan service then
        reads the teams again now and then)?"""
        return any(shown is not None for shown in self._sent.values())

    def changed(self, team_id: str, fx: Effects) -> None:
        """A team changed (or ended): the boards showing it are sent anew."""
        self.refresh(fx)

    def refresh(self, fx: Effects) -> None:
        """Everyone at a team's board, and everyone who was sent a plan, gets what their
        board shows now when it is not what they were last sent."""
        sessions = self._core.sessions if self._core is not None else {}
        for session_id in [s for s in self._sent if s not in sessions]:
            del self._sent[session_id]
        targets = {s for s, shown in self._sent.items() if shown is not None}
        for instance in self._team_instances():
            targets.update(session.id for session in instance.members.values())
        for session_id in sorted(targets):
            session = sessions.get(session_id)
            if session is not None:
                self._update(session, fx)

    def _team_instances(self) -> list[RoomInstance]:
        if self._core is None:
            return []
        out = []
        for live in self.lead.lives.values():
            if live.breakout is None:
                continue
            rooms = self._core.instances.get(live.home.room_id, {})
            for group in live.breakout.groups:
                instance = rooms.get(group.instance)
                if group.team is not None and instance is not None:
                    out.append(instance)
        return out

    def _update(self, session: Session, fx: Effects) -> None:
        if session.conn is None:  # away: sent anew when they are back (on_join)
            return
        before = self._sent.get(session.id)
        now_shown = self.shown_to(session)
        if now_shown == before:
            return
        self._sent[session.id] = now_shown
        if now_shown is None:
            assert before is not None
            frame = encode("board_plan", workshop=before[0], group=before[1], plan=None)
        else:
            frame = encode(
                "board_plan", workshop=now_shown[0], group=now_shown[1], plan=now_shown[2]
            )
        fx.send_to(session, frame)

    # --- acting --------------------------------------------------------------------------------

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if not isinstance(message, (BoardPlanMove, BoardPlanAdopt)):
            return False
        about = message.spec.type
        instance = session.instance
        if instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about=about)
            return True
        found = self.team_at(instance)
        if found is None or self.view(session.identity, found[2]) is None:
            fx.error(session.conn, session.lang, "board_plan_none", about=about)
            return True
        live, group, team_id = found
        leads = bool(self.lead.may_lead(session))
        board = self.boards.boards_of(live) if self.boards is not None else None
        if board is not None and board.settings.locked and not leads:
            fx.error(session.conn, session.lang, "board_locked", about=about)
            return True
        base = PlanRequest(
            session.id, session.identity, session.lang, team_id, live.id, group, "move", "idea"
        )
        if isinstance(message, BoardPlanMove):
            self.submit(replace(base, status=message.status, measure=message.measure))
            return True
        if board is None:
            fx.error(session.conn, session.lang, "board_none", about=about)
            return True
        try:
            note = board.find(group, message.note)
        except BoardError as err:
            fx.error(session.conn, session.lang, err.code, err.detail or None, about)
            return True
        key = (live.id, note.id)
        if key in self._adopting:
            fx.error(session.conn, session.lang, "board_note_unknown", note.id, about)
            return True
        self._adopting.add(key)
        self.submit(
            replace(
                base, kind="adopt", status=message.status or "idea", note=note.id, text=note.text
            )
        )
        return True

    def done(self, request: PlanRequest, refused: PlanRefused | None, fx: Effects) -> None:
        """The plan service made the change (then ``changed`` follows) or refused it."""
        sessions = self._core.sessions if self._core is not None else {}
        session = sessions.get(request.session_id)
        about = f"board_plan_{request.kind}"
        if request.kind == "adopt":
            self._adopting.discard((request.workshop, request.note))
            if refused is None and self.boards is not None:
                self.boards.take(request.workshop, request.group, request.note, fx)
        if refused is not None and session is not None:
            code = "team_unknown" if refused.code == "team_unknown" else "plan_refused"
            fx.error(session.conn, session.lang, code, refused.message(session.lang), about)
