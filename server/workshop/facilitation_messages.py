"""Leading a workshop: its part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

Participants join a workshop by its link, raise their hand and see what the facilitator
does; facilitators start and end the workshop in its room and lead it: gather, follow me,
spotlight, the hand queue, announcements, a countdown, the agenda and breakout groups.
Every leading message is checked by the server (``server/workshop/facilitation.py``): whoever does
not lead the workshop here gets ``not_facilitator``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from server.domain.breakouts import MAX_GROUPS, MAX_MINUTES
from server.domain.workshops import AGENDA_MAX
from server.protocol.message_spec import (
    ErrorSpec,
    FeatureMessage,
    FeatureMessages,
    FieldSpec,
    MessageSpec,
)
from server.protocol.message_spec import float_field as _float
from server.protocol.message_spec import int_field as _int
from server.protocol.message_spec import str_field as _str

ANNOUNCEMENT_MAX_CHARS: Final = 280
TIMER_MAX_S: Final = 4 * 3600
SCOPES: Final = ("room", "hub")
HAND_ACTIONS: Final = ("next", "lower", "clear")
SPLIT_MODES: Final = ("random", "chosen", "teams")
#: A running workshop can be made this much longer at once.
EXTEND_MAX_MIN: Final = 120


def _sessions(name: str, doc: str) -> FieldSpec:
    return FieldSpec(name, "list", doc, items=_str("", "session id"), max_len=1000)


@dataclass(frozen=True, slots=True)
class WorkshopJoin(FeatureMessage):
    spec = MessageSpec(
        "workshop_join",
        "client",
        "Join a workshop (its link /?workshop=ID): the server checks its access rule and"
        " takes you to its room.",
        (
            _str("workshop", "workshop id"),
            _str(
                "code", "the invite code, for a workshop that needs one", max_len=32, required=False
            ),
        ),
    )
    workshop: str
    code: str | None


@dataclass(frozen=True, slots=True)
class WorkshopStart(FeatureMessage):
    spec = MessageSpec(
        "workshop_start",
        "client",
        "Facilitators: start a workshop you lead, standing in its room (main instance).",
        (_str("workshop", "workshop id"),),
    )
    workshop: str


@dataclass(frozen=True, slots=True)
class WorkshopEnd(FeatureMessage):
    spec = MessageSpec(
        "workshop_end",
        "client",
        "Facilitators: end the workshop running where you are (breakout groups come back).",
    )


@dataclass(frozen=True, slots=True)
class WorkshopExtend(FeatureMessage):
    spec = MessageSpec(
        "workshop_extend",
        "client",
        "Facilitators: make the workshop running where you are last some minutes longer"
        " (its scheduled end moves; refused when another workshop has the room then).",
        (_int("minutes", "how many minutes longer", lo=1, hi=EXTEND_MAX_MIN),),
    )
    minutes: int


@dataclass(frozen=True, slots=True)
class Gather(FeatureMessage):
    spec = MessageSpec(
        "gather",
        "client",
        "Facilitators: bring everyone in your room instance to you, in rings around you"
        " on the floor, facing you; with item, everyone (you too) to the station that"
        ' agenda item names, in rings around it, facing it (its "go there").',
        (_int("item", "an agenda item naming a station", lo=0, hi=AGENDA_MAX - 1, required=False),),
    )
    item: int | None = None


@dataclass(frozen=True, slots=True)
class Follow(FeatureMessage):
    spec = MessageSpec(
        "follow",
        "client",
        "Facilitators: start (on) or stop a guided tour; while it runs the server walks"
        " the participants behind you, through doors too.",
        (FieldSpec("on", "bool", "start or stop"),),
    )
    on: bool


@dataclass(frozen=True, slots=True)
class Spotlight(FeatureMessage):
    spec = MessageSpec(
        "spotlight",
        "client",
        "Facilitators: put someone (default: yourself) in the spotlight or take them out;"
        " without session and on false, the spotlight goes off for everyone.",
        (
            FieldSpec("on", "bool", "in or out"),
            _str("session", "whom (a session in the workshop)", required=False),
        ),
    )
    on: bool
    session: str | None


@dataclass(frozen=True, slots=True)
class Hand(FeatureMessage):
    spec = MessageSpec(
        "hand",
        "client",
        "Raise (up) or lower your hand; raised hands queue in order (hand_queue).",
        (FieldSpec("up", "bool", "raise or lower"),),
    )
    up: bool


@dataclass(frozen=True, slots=True)
class Hands(FeatureMessage):
    spec = MessageSpec(
        "hands",
        "client",
        "Facilitators: work through the hand queue: next gives the first in line the floor"
        " (spotlight), lower takes one hand down, clear takes all down.",
        (
            _str("action", "what to do", choices=HAND_ACTIONS),
            _str("session", "whose hand (lower)", required=False),
        ),
    )
    action: str
    session: str | None


@dataclass(frozen=True, slots=True)
class Announce(FeatureMessage):
    spec = MessageSpec(
        "announce",
        "client",
        "Facilitators: a banner to the workshop's rooms (room) or to everyone in the hub (hub).",
        (
            _str("text", "plain text", max_len=ANNOUNCEMENT_MAX_CHARS),
            _str("scope", "who sees it", choices=SCOPES),
        ),
    )
    text: str
    scope: str


@dataclass(frozen=True, slots=True)
class Timer(FeatureMessage):
    spec = MessageSpec(
        "timer",
        "client",
        "Facilitators: start a countdown everyone in the workshop sees (0 stops it).",
        (_int("seconds", "length of the countdown", hi=TIMER_MAX_S),),
    )
    seconds: int


@dataclass(frozen=True, slots=True)
class Agenda(FeatureMessage):
    spec = MessageSpec(
        "agenda",
        "client",
        "Facilitators: move to an agenda item (-1: before the first).",
        (_int("item", "index into the agenda", lo=-1, hi=AGENDA_MAX - 1),),
    )
    item: int


@dataclass(frozen=True, slots=True)
class BreakoutStart(FeatureMessage):
    spec = MessageSpec(
        "breakout",
        "client",
        "Facilitators, in the workshop's main room: split the participants into groups"
        " (random, or chosen: assign lists some or all members of each group, or teams:"
        " one group per team that shares the workshop and has members here, everyone in"
        " no team in a last group, groups then ignored), each in a copy of the room of its"
        " own, for some minutes; then everyone comes back. A group formed for a team shows"
        " the team's plan on its board (board_plan).",
        (
            _int("groups", "how many groups", lo=2, hi=MAX_GROUPS),
            _str("mode", "how", choices=SPLIT_MODES),
            _int("minutes", "how long until everyone is called back", lo=1, hi=MAX_MINUTES),
            FieldSpec(
                "assign",
                "list",
                "chosen groups: for each group, session ids",
                required=False,
                max_len=MAX_GROUPS,
                items=_sessions("", "one group"),
            ),
        ),
    )
    groups: int
    mode: str
    minutes: int
    assign: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class BreakoutVisit(FeatureMessage):
    spec = MessageSpec(
        "breakout_visit",
        "client",
        "Facilitators: go to a breakout group's room (-1: back to the main room).",
        (_int("group", "group number (from workshop_state)", lo=-1, hi=MAX_GROUPS - 1),),
    )
    group: int


@dataclass(frozen=True, slots=True)
class BreakoutRecall(FeatureMessage):
    spec = MessageSpec(
        "breakout_recall", "client", "Facilitators: bring every group back to the main room."
    )


@dataclass(frozen=True, slots=True)
class Admit(FeatureMessage):
    spec = MessageSpec(
        "admit",
        "client",
        "Facilitators of a workshop with a waiting room: let someone waiting in (session) or"
        " everyone waiting (all true); they are taken to its room.",
        (
            _str("session", "whom (from waiting_list)", required=False),
            FieldSpec("all", "bool", "everyone waiting", required=False),
        ),
    )
    session: str | None
    all: bool = False


@dataclass(frozen=True, slots=True)
class Decline(FeatureMessage):
    spec = MessageSpec(
        "decline",
        "client",
        "Facilitators of a workshop with a waiting room: do not let someone waiting in; the"
        " optional message is shown to them.",
        (
            _str("session", "whom (from waiting_list)"),
            _str("message", "a message for them", max_len=ANNOUNCEMENT_MAX_CHARS, required=False),
        ),
    )
    session: str
    message: str | None


_AGENDA_ITEM = FieldSpec(
    "",
    "map",
    "one agenda item",
    fields=(
        _str("title", "what it is", max_len=200),
        _int("minutes", "how long"),
        _str("station", "a learning station it uses", nullable=True),
        _str("talk", "a talk it shows", nullable=True),
    ),
)
_WORKSHOP = FieldSpec(
    "workshop",
    "map",
    "the workshop running in your room instance, or nil",
    nullable=True,
    fields=(
        _str("id", "workshop id"),
        _str("title", "title", max_len=200),
        _str("room", "its room"),
        _float("ends_at", "scheduled end (Unix seconds)"),
        FieldSpec("admission", "bool", "visitors wait until a facilitator admits them"),
        _sessions("leaders", "sessions of its facilitators who are here"),
        FieldSpec("you_lead", "bool", "you may lead it"),
        FieldSpec("agenda", "list", "the agenda", items=_AGENDA_ITEM, max_len=AGENDA_MAX),
        _int("item", "the current agenda item (-1: not begun)", lo=-1, hi=AGENDA_MAX),
        _float("item_started", "when it began", nullable=True),
        _float("timer_ends", "when the countdown ends (Unix seconds)", nullable=True),
        _str("follow", "session of the leader of a tour in progress", nullable=True),
        _sessions("spotlight", "sessions in the spotlight"),
        FieldSpec(
            "reactions",
            "list",
            "reactions since the agenda item began, most first",
            items=FieldSpec(
                "",
                "map",
                "one emoji",
                fields=(
                    _str("emoji", "the emoji", max_len=16),
                    _int("count", "how often", hi=1 << 30),
                ),
            ),
        ),
        FieldSpec(
            "breakout",
            "map",
            "breakout groups in progress, or nil",
            nullable=True,
            fields=(
                _float("ends_at", "when everyone is called back"),
                FieldSpec(
                    "groups",
                    "list",
                    "the groups",
                    items=FieldSpec(
                        "",
                        "map",
                        "one group",
                        fields=(
                            _int("group", "its number"),
                            _int("instance", "the room instance it meets in"),
                            _sessions("members", "who was sent there"),
                            _int("present", "how many are in its room now", hi=1 << 20),
                            FieldSpec(
                                "team",
                                "str",
                                "the team it was formed for (mode teams), else nil",
                                nullable=True,
                                max_len=40,
                            ),
                        ),
                    ),
                ),
            ),
        ),
        _int("group", "your breakout group (-1: the main room)", lo=-1, hi=MAX_GROUPS),
    ),
)

FACILITATION_MESSAGES: Final = FeatureMessages(
    feature="facilitation",
    client=(
        WorkshopJoin,
        WorkshopStart,
        WorkshopEnd,
        WorkshopExtend,
        Gather,
        Follow,
        Spotlight,
        Hand,
        Hands,
        Announce,
        Timer,
        Agenda,
        BreakoutStart,
        BreakoutVisit,
        BreakoutRecall,
        Admit,
        Decline,
    ),
    server=(
        MessageSpec(
            "workshop_state",
            "server",
            "The workshop in your room instance (on entering and on every change).",
            (_WORKSHOP,),
        ),
        MessageSpec(
            "workshop_ending",
            "server",
            "To the workshop's facilitators: its scheduled end is near (ended false, sent once"
            " some minutes before; extend it with workshop_extend), or it has come (ended true:"
            " the workshop is over and the room has its usual rules again).",
            (
                _str("workshop", "workshop id"),
                _str("title", "its title", max_len=200),
                _float("ends_at", "its scheduled end (Unix seconds)"),
                FieldSpec("ended", "bool", "the end has come"),
            ),
        ),
        MessageSpec(
            "waiting_list",
            "server",
            "To the facilitators of a running workshop with a waiting room (on entering and on"
            " every change): who waits to be admitted, first come first; removed says whether"
            " they were sent out of the room earlier in the workshop (identity: the same"
            " person; name: someone of the same name), else nil.",
            (
                _str("workshop", "workshop id"),
                FieldSpec(
                    "people",
                    "list",
                    "who waits",
                    max_len=1000,
                    items=FieldSpec(
                        "",
                        "map",
                        "one person waiting",
                        fields=(
                            _str("session", "their session id"),
                            _str("name", "display name", max_len=80),
                            _float("since", "waiting since (Unix seconds)"),
                            _str(
                                "removed",
                                "sent out earlier",
                                choices=("identity", "name"),
                                nullable=True,
                            ),
                        ),
                    ),
                ),
            ),
        ),
        MessageSpec(
            "admission",
            "server",
            "To someone who wants into a workshop with a waiting room: waiting (stay in the"
            " foyer), admitted (taken to its room) or declined (with the facilitator's"
            " message, if any).",
            (
                _str("workshop", "workshop id"),
                _str("title", "its title", max_len=200),
                _str("state", "where they stand", choices=("waiting", "admitted", "declined")),
                _str("message", "the facilitator's message", max_len=280, nullable=True),
            ),
        ),
        MessageSpec(
            "hand_queue",
            "server",
            "Raised hands in your room instance, first raised first.",
            (_sessions("sessions", "session ids in order"),),
        ),
        MessageSpec(
            "stage",
            "server",
            "Who stands on a stage in your room instance: show them to everyone.",
            (_sessions("sessions", "session ids"),),
        ),
        MessageSpec(
            "announcement",
            "server",
            "A facilitator's announcement: show it as a banner.",
            (
                _str("text", "plain text", max_len=ANNOUNCEMENT_MAX_CHARS),
                _str("scope", "room or hub", choices=SCOPES),
                _str("from", "sender's session id"),
                _str("name", "sender's display name", max_len=80),
                _float("ts", "server time (Unix seconds)"),
            ),
        ),
    ),
    errors={
        "not_facilitator": ErrorSpec(
            "Das dürfen nur die Moderierenden dieses Workshops.",
            "Only this workshop's facilitators may do this.",
        ),
        "workshop_unknown": ErrorSpec(
            "Diesen Workshop gibt es nicht.", "There is no such workshop."
        ),
        "workshop_not_live": ErrorSpec(
            "Hier läuft gerade kein Workshop.", "No workshop is running here."
        ),
        "workshop_live": ErrorSpec(
            "In diesem Raum läuft schon ein Workshop.",
            "A workshop is already running in this room.",
        ),
        "workshop_elsewhere": ErrorSpec(
            "Dieser Workshop findet in einem anderen Raum statt; geh zuerst dorthin.",
            "This workshop takes place in another room; go there first.",
        ),
        "workshop_access": ErrorSpec(
            "Für diesen Workshop brauchst du eine Einladung oder den richtigen Code.",
            "This workshop needs an invitation or the right code.",
        ),
        "waiting_room": ErrorSpec(
            "Dieser Workshop hat einen Warteraum: Bitte warte im Foyer, die Moderation lässt"
            " dich gleich herein.",
            "This workshop has a waiting room: please wait in the foyer, a facilitator will"
            " let you in shortly.",
        ),
        "nobody_waiting": ErrorSpec(
            "Diese Person wartet nicht (mehr) auf Einlass.",
            "This person is not (or no longer) waiting to be let in.",
        ),
        "workshop_over": ErrorSpec(
            "Die Zeit dieses Workshops ist vorbei; plane ihn neu, um ihn zu starten.",
            "This workshop's time is over; reschedule it to start it.",
        ),
        "workshop_clash": ErrorSpec(
            "Zu dieser Zeit ist der Raum schon für einen anderen Workshop geplant.",
            "Another workshop is planned in this room at that time.",
        ),
        "agenda_item_unknown": ErrorSpec(
            "Diesen Tagesordnungspunkt gibt es nicht.", "There is no such agenda item."
        ),
        "station_elsewhere": ErrorSpec(
            "Dieser Tagesordnungspunkt nennt keine Station in diesem Raum.",
            "This agenda item names no station in this room.",
        ),
        "hands_empty": ErrorSpec("Niemand hat sich gemeldet.", "Nobody has raised their hand."),
        "announcement_invalid": ErrorSpec(
            "Die Durchsage ist leer oder zu lang.", "The announcement is empty or too long."
        ),
        "breakout_running": ErrorSpec(
            "Die Gruppenarbeit läuft schon.", "Breakout groups are already running."
        ),
        "no_breakout": ErrorSpec(
            "Gerade gibt es keine Gruppenarbeit.", "There are no breakout groups now."
        ),
        "breakout_invalid": ErrorSpec(
            "Diese Gruppeneinteilung geht nicht.", "These breakout groups cannot be made."
        ),
        "no_participants": ErrorSpec(
            "Hier sind keine Teilnehmenden.", "There are no participants here."
        ),
        "breakout_no_teams": ErrorSpec(
            "Kein Team, das diesen Workshop teilt, ist hier.",
            "No team that shares this workshop is here.",
        ),
        "group_unknown": ErrorSpec(
            "Diese Gruppe gibt es nicht.", "There is no such breakout group."
        ),
        "places_reserved": ErrorSpec(
            "Die Plätze in diesem Raum sind für die Gruppen reserviert, die gleich zurückkommen.",
            "The places in this room are kept for the breakout groups coming back.",
        ),
    },
)
