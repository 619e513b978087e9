"""A team's plan on its breakout group's board in the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

A breakout group formed for a team (``breakout`` with mode ``teams``) shows the team's
plan on its board: its measures by status. Whoever at that board may see the plan (the
team's members, the workshop's facilitators) gets ``board_plan``, again whenever the plan
changes, and moves a measure to another status or turns a sticky note into a measure; the
change goes through the same rules as the plan panel's (``server/domain/action_plans.py``).
Everyone else at the board gets nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from server.domain.action_plans import STATUSES
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
    int_field,
    str_field,
)

_STATUS = str_field("status", "idea, planned, in_progress or done", choices=STATUSES)


@dataclass(frozen=True, slots=True)
class BoardPlanMove(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_plan_move",
        "client",
        "Move a measure of the plan on your group's board to another status (members of"
        " the team and the workshop's facilitators).",
        (str_field("measure", "measure id (board_plan.plan.measures[].id)", max_len=16), _STATUS),
    )
    measure: str
    status: str


@dataclass(frozen=True, slots=True)
class BoardPlanAdopt(FeatureMessage):
    spec: ClassVar[MessageSpec] = MessageSpec(
        "board_plan_adopt",
        "client",
        "Turn a sticky note of your group's board into a measure of the plan shown there:"
        " its text becomes the measure's title (a longer text its note too); the note then"
        " leaves the board. Members of the team and the workshop's facilitators.",
        (
            str_field("note", "note id (board_note.note.id)", max_len=16),
            FieldSpec(
                "status",
                "str",
                "the new measure's status (default idea)",
                required=False,
                max_len=16,
                choices=STATUSES,
            ),
        ),
    )
    note: str
    status: str | None = None


BOARD_PLAN = MessageSpec(
    "board_plan",
    "server",
    "The team's plan on the board of your breakout group, for who may see it: when you"
    " come to that board, whenever the plan changes, and nil when it is no longer shown"
    " to you (you left the group's room, the breakouts ended, you may no longer see it).",
    (
        str_field("workshop", "workshop id"),
        int_field("group", "breakout group number", hi=100),
        FieldSpec(
            "plan",
            "map",
            "team, name, firm, statuses (status, de, en) and measures (id, title, area,"
            " status, owner, due, co2e_kg, energy_kwh, money_eur)",
            nullable=True,
        ),
    ),
)

BOARD_PLAN_ERRORS: Final = {
    "board_plan_none": ErrorSpec(
        "Auf dieser Pinnwand liegt kein Maßnahmenplan, den Sie bearbeiten dürfen.",
        "There is no plan on this board that you may work on.",
    ),
    "plan_refused": ErrorSpec(
        "Diese Änderung am Maßnahmenplan geht nicht.",
        "This change to the plan cannot be made.",
    ),
}

BOARD_PLAN_MESSAGES: Final = FeatureMessages(
    feature="board_plans",
    client=(BoardPlanMove, BoardPlanAdopt),
    server=(BOARD_PLAN,),
    errors=BOARD_PLAN_ERRORS,
)
