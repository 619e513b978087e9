"""Teams' action plans in the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

A plan is read and changed over REST (``server/features/board/plans_http.py``); over the WebSocket a
member (or a facilitator of a workshop the team shares) watches it (``plan_watch``) and gets
it again whenever anyone changes it (``plan_state``), so an open plan panel stays current.
Anyone else gets ``team_unknown``, as over REST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
    str_field,
)

_TEAM = str_field("team", "team id (GET /api/teams)", max_len=40)


@dataclass(frozen=True, slots=True)
class PlanWatch(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "plan_watch",
        "client",
        "Watch a team's plan (its members, and facilitators of a workshop the team shares):"
        " plan_state now and after every change. One team at a time; an empty team stops.",
        (str_field("team", "team id, or empty to stop watching", max_len=40),),
    )
    team: str


@dataclass(frozen=True, slots=True)
class PlansShow(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "plans_show",
        "client",
        "A facilitator of the workshop running in one's room shows (true) or hides (false)"
        " the progress of its teams on the room's screen: the teams that share the workshop"
        " and agreed to show their progress. Everyone in the workshop's rooms gets"
        " plans_progress.",
        (FieldSpec("on", "bool", "show (true) or hide (false)"),),
    )
    on: bool


PLANS_PROGRESS = MessageSpec(
    "plans_progress",
    "server",
    "The teams' progress on the room's screen, side by side (as GET"
    " /api/workshops/{id}/plans-progress gives it): when a facilitator shows it, whenever a"
    " shown team changes, and to whoever comes into the workshop's rooms while it is shown;"
    " teams nil when it is hidden.",
    (
        str_field("workshop", "workshop id"),
        FieldSpec("teams", "list", "one map per team: team, name, firm, totals", nullable=True),
    ),
)

PLAN_STATE = MessageSpec(
    "plan_state",
    "server",
    "The team and its plan as GET /api/teams/{id} gives it: after plan_watch and whenever"
    " it changes; nil when you may no longer see it (you left, the team ended, it is no"
    " longer shared with your workshop), and the watch ends.",
    (_TEAM, FieldSpec("plan", "map", "the team and its plan", nullable=True)),
)

PLAN_ERRORS: Final = {
    "team_unknown": ErrorSpec("Dieses Team gibt es nicht.", "There is no such team."),
}

PLAN_MESSAGES: Final = FeatureMessages(
    feature="plans",
    client=(PlanWatch, PlansShow),
    server=(PLAN_STATE, PLANS_PROGRESS),
    errors=PLAN_ERRORS,
)
