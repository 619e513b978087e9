"""Workshop polls without sockets: the counting rules (``server/domain/polls.py``) and the hub
feature's permissions and live counts (``server/features/polls/realtime.py``, driven through the
real decoder in a hub core with the workshop features)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgpack
import pytest
from realtime_harness import Harness, hello, person
from realtime_world import box_world
from workshop_harness import workshop

from server.base.identity import Role
from server.base.live_state import POLLS, LiveStateChange
from server.base.settings import Settings
from server.core.hub import HubCore
from server.domain.polls import (
    SCALE_OPTIONS,
    PollRefused,
    WorkshopPolls,
    answers_of,
    poll_rows,
    without_answers_of,
)
from server.domain.workshops import WorkshopBook
from server.features.polls.realtime import COUNTS_EVERY_S, KEEP_EVERY_S, WorkshopPollsFeature
from server.protocol.table import decode_client
from server.workshop.facilitation import Facilitation
from server.workshop.moderation import Moderation

# --- the counting rules -------------------------------------------------------------------


def test_one_answer_per_person_and_a_new_answer_replaces_the_old() -> None:
    polls = WorkshopPolls("w1")
    poll = polls.open(
        "Welche Maßnahme zuerst?", "single", ["LED", "Dämmung", "PV"], False, "Mara", 1.0
    )
    poll.answer("id-a", "Ann", [0], 2.0)
    poll.answer("id-b", "Ben", [2], 2.5)
    poll.answer("id-a", "Ann", [1], 3.0)
    assert poll.counts() == [0, 1, 1]
    assert len(poll.answers) == 2
    assert poll.answers["id-a"].choices == (1,) and poll.answers["id-a"].at == 3.0


@pytest.mark.parametrize(
    ("kind", "options", "choices"),
    [
        ("single", ["A", "B"], [0, 1]),  # two for a single choice
        ("single", ["A", "B"], []),
        ("single", ["A", "B"], [2]),  # not an option
        ("multiple", ["A", "B", "C"], [1, 1]),  # one twice
        ("multiple", ["A", "B", "C"], []),
        ("multiple", ["A", "B", "C"], [3]),
        ("scale", [], [5]),  # the scale is 0..4 (1 to 5)
        ("scale", [], [0, 1]),
    ],
)
def test_a_choice_that_does_not_fit_the_poll_is_refused_and_counts_nothing(
    kind: str, options: list[str], choices: list[int]
) -> None:
    poll = WorkshopPolls("w1").open("Frage?", kind, options, False, "Mara", 1.0)
    poll.answer("id-a", "Ann", [0], 1.5)
    with pytest.raises(PollRefused) as refused:
        poll.answer("id-a", "Ann", choices, 2.0)
    assert refused.value.code == "poll_choice_invalid"
    assert poll.answers["id-a"].choices == (0,)  # the earlier answer stands


def test_multiple_choice_counts_every_option_chosen_and_the_scale_has_five() -> None:
    polls = WorkshopPolls("w1")
    multi = polls.open("Was tun Sie schon?", "multiple", ["A", "B", "C"], False, "Mara", 1.0)
    multi.answer("id-a", "Ann", [2, 0], 2.0)
    multi.answer("id-b", "Ben", [0], 2.0)
    assert multi.counts() == [2, 0, 1]
    assert multi.answers["id-a"].choices == (0, 2)
    multi.close(3.0)
    scale = polls.open("Wie zufrieden?", "scale", [], True, "Mara", 4.0)
    assert scale.options == SCALE_OPTIONS
    scale.answer("id-a", "Ann", [4], 5.0)
    assert scale.counts() == [0, 0, 0, 0, 1]


def test_no_answer_after_the_close_and_no_second_close() -> None:
    poll = WorkshopPolls("w1").open("Frage?", "single", ["A", "B"], False, "Mara", 1.0)
    poll.answer("id-a", "Ann", [0], 2.0)
    poll.close(3.0)
    for identity in ("id-a", "id-b"):
        with pytest.raises(PollRefused) as refused:
            poll.answer(identity, "X", [1], 4.0)
        assert refused.value.code == "poll_closed"
    with pytest.raises(PollRefused):
        poll.close(5.0)
    assert poll.counts() == [1, 0] and poll.closed_at == 3.0


@pytest.mark.parametrize(
    ("question", "kind", "options"),
    [
        ("", "single", ["A", "B"]),
        ("   ", "single", ["A", "B"]),
        ("x" * 201, "single", ["A", "B"]),
        ("Frage?", "single", ["A"]),
        ("Frage?", "single", [f"o{i}" for i in range(9)]),
        ("Frage?", "multiple", ["A", " a "]),  # the same option twice
        ("Frage?", "single", ["A", ""]),
        ("Frage?", "scale", ["1", "2"]),  # a scale has its own options
        ("Frage?", "ranking", ["A", "B"]),
    ],
)
def test_a_bad_question_is_refused(question: str, kind: str, options: list[str]) -> None:
    polls = WorkshopPolls("w1")
    with pytest.raises(PollRefused) as refused:
        polls.open(question, kind, options, False, "Mara", 1.0)
    assert refused.value.code == "poll_invalid"
    assert polls.polls == {}


def test_one_poll_open_at_a_time() -> None:
    polls = WorkshopPolls("w1")
    first = polls.open("Eins?", "single", ["A", "B"], False, "Mara", 1.0)
    with pytest.raises(PollRefused) as refused:
        polls.open("Zwei?", "single", ["A", "B"], False, "Mara", 2.0)
    assert refused.value.code == "poll_already_open"
    first.close(3.0)
    assert polls.open("Zwei?", "single", ["A", "B"], False, "Mara", 4.0).open


def test_an_anonymous_poll_keeps_no_names_and_exports_none() -> None:
    polls = WorkshopPolls("w1")
    poll = polls.open("Geheim?", "single", ["Ja", "Nein"], True, "Mara", 1.0)
    poll.answer("id-b", "Ben", [1], 2.0)
    poll.answer("id-a", "Ann", [0], 3.0)
    assert {a.name for a in poll.answers.values()} == {""}
    rows = poll_rows(polls, key=lambda identity: f"key-{identity}", zone=ZoneInfo("UTC"))
    assert [row[3] for row in rows] == ["ja / yes"] * 2
    assert [row[6:] for row in rows] == [["", "", "Ja", ""], ["", "", "Nein", ""]]
    assert "Ann" not in repr(polls.document()) and "Ben" not in repr(polls.document())


def test_the_document_round_trip_and_erasing_one_person() -> None:
    polls = WorkshopPolls("w1")
    poll = polls.open("Frage?", "multiple", ["A", "B"], False, "Mara", 1.0)
    poll.answer("id-a", "Ann", [0, 1], 2.0)
    poll.answer("id-b", "Ben", [1], 2.0)
    poll.close(3.0)
    doc = polls.document()
    back = WorkshopPolls.from_document("w1", doc)
    assert back.document() == doc
    assert answers_of("w1", doc, "id-a") == [
        {
            "workshop_id": "w1",
            "poll_id": poll.id,
            "question": "Frage?",
            "answer": ["A", "B"],
            "at": 2.0,
        }
    ]
    stripped = without_answers_of(doc, "id-a")
    assert stripped is not None
    assert list(stripped["polls"][0]["answers"]) == ["id-b"]
    assert without_answers_of(stripped, "id-a") is None
    with pytest.raises(ValueError):
        WorkshopPolls.from_document("w1", {"polls": [{"id": "x"}]})


# --- the feature in a hub core ------------------------------------------------------------


class PollHub(Harness):
    """A hub core with leading, moderation and polls; what polls hand to the live sink."""

    def __init__(self, kept: dict[str, Any] | None = None) -> None:
        self.stored: list[LiveStateChange] = []
        self.lead = Facilitation(WorkshopBook([workshop()]), seed=3)
        moderation = Moderation(lead=self.lead)
        self.polls = WorkshopPollsFeature(self.lead, keep=self.stored.append, kept=kept)
        core = HubCore(
            box_world(),
            Settings(),
            seed=7,
            features=[self.lead, moderation, self.polls],
            rules=[moderation, self.lead],
        )
        self.lead.attach(core)
        moderation.attach(core)
        self.polls.attach(core)
        super().__init__(core)

    def enter(self, conn: int, name: str, role: Role = Role.VISITOR, room: str = "workshop") -> str:
        self.apply(self.core.hello(conn, person(name, role), hello(room=room), self.now))
        return self.session(conn)

    def do(self, conn: int, type_: str, **fields: Any) -> list[dict[str, Any]]:
        message = decode_client(msgpack.packb({"t": type_, **fields}))
        before = len(self.inbox[conn])
        self.apply(self.core.handle(conn, message, self.now))
        return list(self.inbox[conn][before:])

    def last(self, conn: int, kind: str) -> dict[str, Any]:
        found = self.take(conn, kind)
        assert found, f"{conn} got no {kind}: {self.kinds(conn)}"
        return found[-1]

    @staticmethod
    def codes(messages: list[dict[str, Any]]) -> list[str]:
        return [m["code"] for m in messages if m["t"] == "error"]

    def started(self) -> None:
        """Mara (conn 1) leads w1; Vera (2) and Otto (3) take part; Fritz (4), another
        facilitator, is in the workshop room too; Lia (5) is in the lab."""
        self.enter(1, "Mara", Role.FACILITATOR)
        self.enter(2, "Vera")
        self.enter(3, "Otto")
        self.enter(4, "Fritz", Role.FACILITATOR)
        self.enter(5, "Lia", room="lab")
        assert self.codes(self.do(1, "workshop_start", workshop="w1")) == []
        self.tick()
        for conn in range(1, 6):
            self.take(conn)


QUESTION = {"question": "Womit fangen wir an?", "kind": "single", "options": ["LED", "PV"]}


def opened(hub: PollHub, **fields: Any) -> str:
    got = hub.do(1, "poll_open", **{**QUESTION, **fields})
    assert hub.codes(got) == []
    return str(hub.last(1, "poll_state")["poll"]["id"])


def test_only_the_workshops_facilitators_open_and_close() -> None:
    hub = PollHub()
    hub.enter(1, "Mara", Role.FACILITATOR)
    assert hub.codes(hub.do(1, "poll_open", **QUESTION)) == ["workshop_not_live"]
    hub.take(1)
    hub.started()
    assert hub.codes(hub.do(2, "poll_open", **QUESTION)) == ["not_facilitator"]
    assert hub.codes(hub.do(4, "poll_open", **QUESTION)) == ["not_facilitator"]
    assert hub.codes(hub.do(5, "poll_open", **QUESTION)) == ["workshop_not_live"]
    poll = opened(hub)
    assert hub.codes(hub.do(2, "poll_close", poll=poll)) == ["not_facilitator"]
    assert hub.codes(hub.do(4, "poll_close", poll=poll)) == ["not_facilitator"]
    assert hub.codes(hub.do(1, "poll_close", poll="nope")) == ["poll_unknown"]
    assert hub.codes(hub.do(1, "poll_close", poll=poll)) == []
    assert hub.codes(hub.do(1, "poll_close", poll=poll)) == ["poll_closed"]


def test_everyone_in_the_workshop_sees_live_counts_and_nobody_outside_does() -> None:
    hub = PollHub()
    hub.started()
    poll = opened(hub)
    for conn in (2, 3, 4):
        state = hub.last(conn, "poll_state")
        assert state["workshop"] == "w1" and state["poll"]["open"] is True
        assert state["poll"]["counts"] == [0, 0]
    assert hub.take(5, "poll_state") == []
    answered = hub.do(2, "poll_answer", poll=poll, choices=[1])
    assert [m for m in answered if m["t"] == "poll_answered"] == [
        {"t": "poll_answered", "poll": poll, "choices": [1]}
    ]
    hub.do(3, "poll_answer", poll=poll, choices=[1])
    hub.do(2, "poll_answer", poll=poll, choices=[0])  # changes her mind
    hub.tick(COUNTS_EVERY_S)
    state = hub.last(1, "poll_state")["poll"]
    assert (state["counts"], state["answered"]) == ([1, 1], 2)
    # Lia in the lab cannot answer, nor see it
    assert hub.codes(hub.do(5, "poll_answer", poll=poll, choices=[0])) == ["poll_not_participant"]
    assert hub.take(5, "poll_state") == []
    hub.do(1, "poll_close", poll=poll)
    closed = hub.last(3, "poll_state")["poll"]
    assert closed["open"] is False and closed["counts"] == [1, 1]
    assert hub.codes(hub.do(3, "poll_answer", poll=poll, choices=[0])) == ["poll_closed"]
    hub.tick(COUNTS_EVERY_S)
    assert hub.last(1, "poll_state")["poll"]["counts"] == [1, 1]


def test_bad_input_gets_error_codes() -> None:
    hub = PollHub()
    hub.started()
    assert hub.codes(hub.do(1, "poll_open", question="?", kind="single", options=["A"])) == [
        "poll_invalid"
    ]
    assert hub.codes(hub.do(1, "poll_open", question="?", kind="scale", options=["A", "B"])) == [
        "poll_invalid"
    ]
    poll = opened(hub)
    assert hub.codes(hub.do(1, "poll_open", **QUESTION)) == ["poll_already_open"]
    assert hub.codes(hub.do(2, "poll_answer", poll=poll, choices=[0, 1])) == ["poll_choice_invalid"]
    assert hub.codes(hub.do(2, "poll_answer", poll=poll, choices=[7])) == ["poll_choice_invalid"]
    assert hub.codes(hub.do(2, "poll_answer", poll="p-other", choices=[0])) == ["poll_unknown"]


def test_someone_coming_in_gets_the_polls_and_their_own_answer() -> None:
    hub = PollHub()
    hub.started()
    poll = opened(hub)
    hub.do(2, "poll_answer", poll=poll, choices=[1])
    hub.do(2, "go", room="foyer")
    hub.take(2)
    hub.do(2, "go", room="workshop")
    assert hub.last(2, "poll_state")["poll"]["id"] == poll
    assert hub.last(2, "poll_answered") == {"t": "poll_answered", "poll": poll, "choices": [1]}


def test_polls_are_kept_on_change_and_read_back_when_the_workshop_runs_again() -> None:
    hub = PollHub()
    hub.started()
    poll = opened(hub)
    hub.do(2, "poll_answer", poll=poll, choices=[1])
    hub.tick(KEEP_EVERY_S)
    docs = [c for c in hub.stored if c.kind == POLLS and c.key == "w1"]
    assert docs and docs[-1].data is not None
    answers = docs[-1].data["polls"][0]["answers"]
    assert answers == {"id-Vera": {"name": "Vera", "choices": [1], "at": hub.now - KEEP_EVERY_S}}
    again = PollHub(kept={"w1": docs[-1].data})
    again.started()
    again.do(2, "go", room="foyer")
    again.take(2)
    again.do(2, "go", room="workshop")
    assert again.last(2, "poll_state")["poll"]["counts"] == [0, 1]
    assert again.codes(again.do(2, "poll_answer", poll=poll, choices=[0])) == []
    assert again.polls.polls_of("w1") is not None
    assert again.polls.polls_of("w1").get(poll).counts() == [1, 0]  # type: ignore[union-attr]


def test_erasure_takes_a_persons_answers_out_and_keeps_the_change() -> None:
    hub = PollHub()
    hub.started()
    poll = opened(hub)
    hub.do(2, "poll_answer", poll=poll, choices=[1])
    hub.do(3, "poll_answer", poll=poll, choices=[1])
    hub.tick(KEEP_EVERY_S)
    hub.polls.forget("id-Vera")
    hub.tick(KEEP_EVERY_S)
    last = [c for c in hub.stored if c.key == "w1"][-1].data
    assert last is not None and list(last["polls"][0]["answers"]) == ["id-Otto"]
    assert hub.last(1, "poll_state")["poll"]["counts"] == [0, 1]


def test_with_several_processes_a_workshops_polls_wait_for_the_store() -> None:
    hub = PollHub()
    hub.polls.complete = False
    hub.started()
    assert hub.polls.wanted() == ["w1"]
    assert hub.codes(hub.do(1, "poll_open", **QUESTION)) == ["polls_loading"]
    hub.polls.provide({"w1": None})
    hub.tick()
    assert hub.polls.wanted() == []
    opened(hub)


def test_whoever_is_in_the_room_when_the_workshop_starts_gets_its_earlier_polls() -> None:
    earlier = WorkshopPolls("w1")
    poll = earlier.open("Vom letzten Mal?", "single", ["Ja", "Nein"], False, "Mara", 1.0)
    poll.answer("id-Vera", "Vera", [0], 2.0)
    poll.close(3.0)
    hub = PollHub(kept={"w1": earlier.document()})
    hub.enter(1, "Mara", Role.FACILITATOR)
    hub.enter(2, "Vera")
    assert hub.take(2, "poll_state") == []  # no workshop runs yet
    hub.do(1, "workshop_start", workshop="w1")
    hub.tick()
    state = hub.last(2, "poll_state")
    assert state["poll"]["id"] == poll.id and state["poll"]["counts"] == [1, 0]
    assert hub.last(2, "poll_answered") == {"t": "poll_answered", "poll": poll.id, "choices": [0]}


def test_csv_rows_of_a_named_poll_have_the_person_key_name_answer_and_local_time() -> None:
    polls = WorkshopPolls("w1")
    poll = polls.open("Was tun Sie schon?", "multiple", ["A", "B", "C"], False, "Mara", 0.0)
    poll.answer("id-b", "Ben", [2, 0], 7200.0)
    poll.answer("id-a", "Ann", [1], 3600.0)
    rows = poll_rows(polls, key=lambda identity: f"key-{identity}", zone=ZoneInfo("Europe/Berlin"))
    assert rows == [
        [poll.id, "Was tun Sie schon?", "multiple", "nein / no", "1970-01-01 01:00:00", "",
         "key-id-a", "Ann", "B", "1970-01-01 02:00:00"],
        [poll.id, "Was tun Sie schon?", "multiple", "nein / no", "1970-01-01 01:00:00", "",
         "key-id-b", "Ben", "A | C", "1970-01-01 03:00:00"],
    ]  # fmt: skip
    poll.close(10.0)
    nobody = polls.open("Noch etwas?", "scale", [], False, "Mara", 20.0)
    last = poll_rows(polls, key=str, zone=ZoneInfo("UTC"))[-1]
    assert last[0] == nobody.id and last[2] == "scale" and last[6:] == ["", "", "", ""]
