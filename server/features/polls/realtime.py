"""Polls in the running workshops: a hub feature (no I/O).

A workshop's polls belong to the process where the workshop runs (the owner of its room;
with several processes the others never see its messages). The feature asks the leading
feature (``server/workshop/facilitation.py``) which workshop runs where and who leads it:

- ``poll_open`` and ``poll_close``: only a facilitator of the workshop running in the
  sender's room instance (``not_facilitator`` otherwise, ``workshop_not_live`` where none
  runs);
- ``poll_answer``: only someone in one of the workshop's rooms (its main room or its
  breakout rooms: whoever is there passed its access rule and waiting room); the counting
  rules are ``server/domain/polls.py``;
- everyone in the workshop's rooms gets ``poll_state`` when a poll opens or closes at once,
  and its new counts at most every ``COUNTS_EVERY_S``; whoever comes in gets every poll of
  the workshop and their own answers (``poll_answered``).

Kept: a workshop's polls are one live document (``server/base/live_state.py``, kind ``polls``,
keyed by workshop id), handed to the live sink when they changed, at most every
``KEEP_EVERY_S``, and never forgotten when the workshop ends (the CSV export reads it).
When a workshop runs here, its polls are taken from ``kept`` (every document, read at
start). With several processes (``complete`` False) a workshop's document is read from the
store when the workshop comes to run here (``wanted``, then ``provide``): another process
may have run it before; until then ``polls_loading`` answers its poll messages.

>>> polls = WorkshopPollsFeature(lead, keep=writer.put, kept=docs)       # doctest: +SKIP
>>> core = HubCore(world, settings, features=[lead, polls], rules=[lead])  # doctest: +SKIP
>>> polls.attach(core)                                                    # doctest: +SKIP
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from server.base.live_state import POLLS, LiveSink, LiveStateChange
from server.core.effects import Effects
from server.core.hooks import RoomPositions
from server.core.powers import UsesCore
from server.core.room import RoomInstance, Session
from server.core.workshop_context import LiveWorkshop
from server.domain.polls import Poll, PollRefused, WorkshopPolls, without_answers_of
from server.features.polls.messages import POLL_MESSAGES, PollAnswer, PollClose, PollOpen
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.workshop.facilitation import Facilitation

log = logging.getLogger("hubtwin.polls")

#: New counts go out at most this often (every answer would be a frame to everyone).
COUNTS_EVERY_S: Final = 0.25
#: Changed polls go to the store at most this often.
KEEP_EVERY_S: Final = 0.5


class WorkshopPollsFeature(UsesCore):
    """The ``HubFeature`` of workshop polls."""

    def __init__(
        self,
        lead: Facilitation,
        *,
        keep: LiveSink | None = None,
        kept: Mapping[str, dict[str, Any]] | None = None,
        complete: bool = True,
    ) -> None:
        self.lead = lead
        self.keep: LiveSink = keep if keep is not None else (lambda change: None)
        #: kept documents of workshops not running here, by workshop id
        self.kept: dict[str, dict[str, Any]] = dict(kept or {})
        #: ``kept`` has every document there is (one process, read at start)
        self.complete = complete
        #: the polls of the workshops running here
        self.loaded: dict[str, WorkshopPolls] = {}
        self._unsaved: set[str] = set()
        self._next_keep = float("-inf")
        self._recount: set[tuple[str, str]] = set()
        self._next_counts = float("-inf")

    @property
    def messages(self) -> FeatureMessages:
        return POLL_MESSAGES

    # --- what the service asks ----------------------------------------------------------

    def wanted(self) -> list[str]:
        """Workshops running here whose polls were not read yet (several processes)."""
        return [wid for wid in self.lead.lives if wid not in self.loaded and wid not in self.kept]

    def provide(self, documents: Mapping[str, dict[str, Any] | None]) -> None:
        """Documents just read from the store for ``wanted`` workshops (None: no polls)."""
        for wid, data in documents.items():
            if wid not in self.loaded:
                self.kept[wid] = data if data is not None else {"polls": []}

    def polls_of(self, workshop_id: str) -> WorkshopPolls | None:
        """The polls of a workshop running here, as they are now."""
        return self.loaded.get(workshop_id)

    def forget(self, identity_id: str) -> None:
        """Someone's data was erased: their answers go, here and in what is kept."""
        for wid, polls in self.loaded.items():
            if polls.forget(identity_id):
                self._unsaved.add(wid)
                self._recount.update((wid, p.id) for p in polls.polls.values())
        for wid, data in list(self.kept.items()):
            stripped = without_answers_of(data, identity_id)
            if stripped is not None:
                self.kept[wid] = stripped

    def keep_changes(self, now: float) -> None:
        """Hand the changed polls to the live sink (on the tick, and at shutdown)."""
        self._next_keep = now + KEEP_EVERY_S
        for wid in sorted(self._unsaved):
            polls = self.loaded.get(wid)
            if polls is not None:
                self.keep(LiveStateChange(POLLS, wid, polls.document()))
        self._unsaved.clear()

    # --- hooks --------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        live = self.lead.live_here(session)
        polls = self.loaded.get(live.id) if live is not None else None
        if polls is not None:
            self._tell(session, polls, fx)

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if isinstance(message, PollOpen):
            self._open(session, message, fx, now)
        elif isinstance(message, PollAnswer):
            self._answer(session, message, fx, now)
        elif isinstance(message, PollClose):
            self._close(session, message, fx, now)
        else:
            return False
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        for wid in list(self.loaded):
            if wid not in self.lead.lives:
                self._unload(wid, now)
        for live in self.lead.lives.values():
            self._ensure(live, fx)
        if self._recount and now >= self._next_counts:
            self._next_counts = now + COUNTS_EVERY_S
            for wid, poll_id in sorted(self._recount):
                self._broadcast(wid, poll_id, fx)
            self._recount.clear()
        if self._unsaved and now >= self._next_keep:
            self.keep_changes(now)

    # --- the messages -------------------------------------------------------------------

    def _open(self, session: Session, message: PollOpen, fx: Effects, now: float) -> None:
        found = self._polls_here(session, fx, "poll_open", lead=True)
        if found is None:
            return
        live, polls = found
        try:
            poll = polls.open(
                message.question,
                message.kind,
                message.options,
                message.anonymous,
                session.identity.name,
                now,
            )
        except PollRefused as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail, "poll_open")
            return
        log.info("poll opened", extra={"workshop": live.id, "poll": poll.id})
        self._changed(live.id, poll.id, fx, at_once=True)

    def _answer(self, session: Session, message: PollAnswer, fx: Effects, now: float) -> None:
        found = self._poll_here(session, fx, "poll_answer", message.poll, lead=False)
        if found is None:
            return
        live, poll = found
        try:
            poll.answer(session.identity.id, session.identity.name, message.choices, now)
        except PollRefused as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail, "poll_answer")
            return
        counted = poll.answers[session.identity.id].choices
        fx.send_to(session, encode("poll_answered", poll=poll.id, choices=list(counted)))
        self._changed(live.id, poll.id, fx, at_once=False)

    def _close(self, session: Session, message: PollClose, fx: Effects, now: float) -> None:
        found = self._poll_here(session, fx, "poll_close", message.poll, lead=True)
        if found is None:
            return
        live, poll = found
        try:
            poll.close(now)
        except PollRefused as exc:
            fx.error(session.conn, session.lang, exc.code, exc.detail, "poll_close")
            return
        log.info("poll closed", extra={"workshop": live.id, "poll": poll.id})
        self._changed(live.id, poll.id, fx, at_once=True)

    # --- helpers ------------------------------------------------------------------------

    def _polls_here(
        self, session: Session, fx: Effects, about: str, *, lead: bool
    ) -> tuple[LiveWorkshop, WorkshopPolls] | None:
        """The running workshop of the sender's room and its polls, or None after the
        refusal (not in a workshop, not leading it, polls not read yet)."""
        live = self.lead.live_here(session)
        if live is None:
            code = "workshop_not_live" if lead else "poll_not_participant"
            fx.error(session.conn, session.lang, code, about=about)
            return None
        if lead and not live.workshop.led_by(session.identity):
            fx.error(session.conn, session.lang, "not_facilitator", about=about)
            return None
        polls = self._ensure(live, fx)
        if polls is None:
            fx.error(session.conn, session.lang, "polls_loading", about=about)
            return None
        return live, polls

    def _poll_here(
        self, session: Session, fx: Effects, about: str, poll_id: str, *, lead: bool
    ) -> tuple[LiveWorkshop, Poll] | None:
        """One poll of the running workshop of the sender's room, or None after the refusal
        (as ``_polls_here``, or no such poll)."""
        found = self._polls_here(session, fx, about, lead=lead)
        if found is None:
            return None
        live, polls = found
        poll = polls.get(poll_id)
        if poll is None:
            fx.error(session.conn, session.lang, "poll_unknown", about=about)
            return None
        return live, poll

    def _tell(self, session: Session, polls: WorkshopPolls, fx: Effects) -> None:
        """Every poll of the workshop, and the session's own answers."""
        for poll in polls.polls.values():
            fx.send_to(session, self._state_frame(polls.workshop_id, poll))
            mine = poll.answers.get(session.identity.id)
            if mine is not None:
                fx.send_to(
                    session, encode("poll_answered", poll=poll.id, choices=list(mine.choices))
                )

    def _ensure(self, live: LiveWorkshop, fx: Effects) -> WorkshopPolls | None:
        """The polls of a workshop running here; read from what is kept when it has just
        come to run here, and then told to whoever is in its rooms already (a workshop
        started, or resumed after a restart). None while they are not read yet."""
        polls = self.loaded.get(live.id)
        if polls is not None:
            return polls
        polls = self._load(live.id)
        if polls is not None:
            for inst in self._instances(live):
                for member in inst.members.values():
                    self._tell(member, polls, fx)
        return polls

    def _load(self, workshop_id: str) -> WorkshopPolls | None:
        if workshop_id not in self.kept and not self.complete:
            return None
        try:
            polls = WorkshopPolls.from_document(workshop_id, self.kept.pop(workshop_id, None))
        except ValueError:
            log.exception("a kept poll document could not be read", extra={"workshop": workshop_id})
            polls = WorkshopPolls(workshop_id)
        self.loaded[workshop_id] = polls
        return polls

    def _unload(self, workshop_id: str, now: float) -> None:
        """The workshop no longer runs here: what changed goes to the store, and (one
        process) its document stays known for the next time it runs."""
        if workshop_id in self._unsaved:
            self.keep_changes(now)
        polls = self.loaded.pop(workshop_id)
        if self.complete:
            self.kept[workshop_id] = polls.document()
        self._recount = {(w, p) for w, p in self._recount if w != workshop_id}

    def _changed(self, workshop_id: str, poll_id: str, fx: Effects, *, at_once: bool) -> None:
        self._unsaved.add(workshop_id)
        if at_once:
            self._recount.discard((workshop_id, poll_id))
            self._broadcast(workshop_id, poll_id, fx)
        else:
            self._recount.add((workshop_id, poll_id))

    def _broadcast(self, workshop_id: str, poll_id: str, fx: Effects) -> None:
        polls = self.loaded.get(workshop_id)
        live = self.lead.lives.get(workshop_id)
        poll = polls.get(poll_id) if polls is not None else None
        if poll is None or live is None:
            return
        frame = self._state_frame(workshop_id, poll)
        fx.send(frame, [c for inst in self._instances(live) for c in inst.conns()])

    def _instances(self, live: LiveWorkshop) -> list[RoomInstance]:
        by_number = self.core.instances.get(live.home.room_id, {})
        return [inst for _, n in live.instance_keys() if (inst := by_number.get(n)) is not None]

    @staticmethod
    def _state_frame(workshop_id: str, poll: Poll) -> bytes:
        return encode("poll_state", workshop=workshop_id, poll=poll.public())
