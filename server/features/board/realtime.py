"""The workshops' shared boards in the realtime rooms: a hub feature (no I/O).

A room instance where a workshop runs shows a board: the main room shows the workshop's
main board, a breakout room its group's (``server/domain/board.py`` holds the notes and the
rules). Whoever comes into such an instance gets ``board_state``; when a workshop starts or
ends, or a breakout begins or ends, the tick sends everyone the board of where they are now
(``board_state`` with nil where there is none). A change to a note goes to everyone at that
board as ``board_note`` (each sees whether it is theirs and whether they gave it a dot); a
change of the settings or a merge sends ``board_state`` to all the workshop's rooms.

The server decides: whoever may lead here (``Facilitation.may_lead``) sets up, merges and
deletes any note; a muted person (the room rules' mute, as for a direct chat message) adds,
edits and labels nothing; every person's board actions are rate-limited.

Restarts and takeovers: a workshop's boards are one live document (kind ``board``, key
the workshop id) handed to the live sink when they changed, at most every
``KEEP_EVERY_S``; they are never forgotten when the workshop ends (the facilitators export
them afterwards). Boards not made here yet start from their kept document (``kept``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Protocol

from server.base.live_state import BOARD, LiveSink, LiveStateChange
from server.base.ratelimit import KeyedLimiter
from server.core.hooks import RoomPositions
from server.domain.board import MAIN, Author, BoardError, Note, WorkshopBoards, without_person
from server.features.board.messages import (
    BOARD_MESSAGES,
    BoardAdd,
    BoardDelete,
    BoardEdit,
    BoardLabel,
    BoardMerge,
    BoardMove,
    BoardSetup,
    BoardVote,
)
from server.protocol.message_spec import FeatureMessage, FeatureMessages
from server.protocol.table import encode

if TYPE_CHECKING:
    from server.core.effects import Effects
    from server.core.powers import FeatureCore
    from server.core.room import RoomInstance, Session
    from server.core.workshop_context import LiveWorkshop

KEEP_EVERY_S: Final = 0.5
#: How often the tick looks whether the board of a room changed (a workshop started ...).
WATCH_EVERY_S: Final = 0.2
#: Board actions per person: this many a second, in bursts of up to ``ACTION_BURST``.
ACTIONS_PER_S: Final = 2.0
ACTION_BURST: Final = 10

BoardKey = tuple[str, int]
"""A board: (workshop id, group number)."""


class WorkshopLead(Protocol):
    """What the boards ask of leading workshops (``server.workshop.facilitation.Facilitation``)."""

    @property
    def lives(self) -> Mapping[str, LiveWorkshop]: ...

    def live_in(self, instance: RoomInstance) -> LiveWorkshop | None: ...

    def may_lead(self, session: Session) -> bool: ...


class SharedBoards:
    """The ``HubFeature`` of the workshops' boards."""

    def __init__(
        self,
        lead: WorkshopLead,
        *,
        keep: LiveSink | None = None,
        kept: Mapping[str, Any] | None = None,
    ) -> None:
        self.lead = lead
        self.keep: LiveSink = keep if keep is not None else (lambda change: None)
        #: kept documents of boards not made here yet, by workshop id
        self.kept: dict[str, Any] = dict(kept or {})
        self.boards: dict[str, WorkshopBoards] = {}
        self._dirty: set[str] = set()
        self._next_keep = float("-inf")
        self._next_watch = float("-inf")
        #: the board each person in a room was last sent (by session id)
        self._sent: dict[str, BoardKey | None] = {}
        self.limits = KeyedLimiter(ACTIONS_PER_S, ACTION_BURST)
        self._core: FeatureCore | None = None

    def attach(self, core: FeatureCore) -> None:
        """The hub core (its rooms and its room rules: the mute)."""
        self._core = core

    @property
    def messages(self) -> FeatureMessages:
        return BOARD_MESSAGES

    # --- which board is where -------------------------------------------------------------

    def boards_of(self, live: LiveWorkshop) -> WorkshopBoards:
        """A running workshop's boards (made, or read from the kept document, on first use)."""
        boards = self.boards.get(live.id)
        if boards is None:
            data = self.kept.pop(live.id, None)
            try:
                boards = WorkshopBoards.from_document(data) if data is not None else None
            except ValueError:
                boards = None
            if boards is None:
                boards = WorkshopBoards(live.id, live.workshop.title)
                self._dirty.add(live.id)
            self.boards[live.id] = boards
        return boards

    def board_at(self, instance: RoomInstance) -> tuple[WorkshopBoards, int] | None:
        live = self.lead.live_in(instance)
        if live is None:
            return None
        return self.boards_of(live), live.group_numbers().get(instance.number, MAIN)

    def _key_at(self, instance: RoomInstance) -> BoardKey | None:
        found = self.board_at(instance)
        return None if found is None else (found[0].workshop_id, found[1])

    def _instances_of(self, live: LiveWorkshop) -> list[RoomInstance]:
        if self._core is None:
            return [live.home]
        rooms = self._core.instances.get(live.home.room_id, {})
        return [inst for _, n in live.instance_keys() if (inst := rooms.get(n)) is not None]

    def set_kept(self, documents: Mapping[str, Any]) -> None:
        """The store's kept boards (read now and then with several processes): used for a
        workshop whose boards are made here later."""
        self.kept = {key: data for key, data in documents.items() if key not in self.boards}

    def stored(self, workshop_id: str) -> WorkshopBoards | None:
        """A workshop's boards as this process has them (made here, or kept)."""
        boards = self.boards.get(workshop_id)
        if boards is not None:
            return boards
        data = self.kept.get(workshop_id)
        try:
            return WorkshopBoards.from_document(data) if data is not None else None
        except ValueError:
            return None

    def running_here(self, workshop_id: str) -> bool:
        return workshop_id in self.lead.lives

    # --- kept across restarts --------------------------------------------------------------

    def keep_changes(self, now: float) -> None:
        """Hand the boards changed since last time to the live sink."""
        self._next_keep = now + KEEP_EVERY_S
        for workshop_id in sorted(self._dirty):
            boards = self.boards.get(workshop_id)
            if boards is not None:
                self.keep(LiveStateChange(BOARD, workshop_id, boards.document()))
        self._dirty.clear()

    def forget(self, identity_id: str, fx: Effects) -> None:
        """A person erased their data: their notes and dots go from the boards here (and
        from the kept documents of boards not made yet)."""
        self.kept.update(without_person(self.kept, identity_id))
        for workshop_id, boards in self.boards.items():
            if boards.forget(identity_id):
                self._dirty.add(workshop_id)
                live = self.lead.lives.get(workshop_id)
                if live is not None:
                    self._send_states(live, fx)

    def take(self, workshop_id: str, group: int, note_id: str, fx: Effects) -> None:
        """A note was turned into something else (a measure of a team's plan,
        ``server/features/board/plans_realtime.py``): it leaves the board, and everyone at it sees
        it go."""
        live = self.lead.lives.get(workshop_id)
        if live is None:
            return
        boards = self.boards_of(live)
        notes = boards.notes(group)
        note = next((n for n in notes if n.id == note_id), None)
        if note is None:
            return
        notes.remove(note)
        self._dirty.add(workshop_id)
        for instance in self._instances_of(live):
            if live.group_numbers().get(instance.number, MAIN) == group:
                self._send_note(boards, group, note_id, None, instance, fx)

    # --- hooks -----------------------------------------------------------------------------

    def on_join(self, session: Session, fx: Effects, now: float) -> None:
        instance = session.instance
        if instance is None:
            return
        found = self.board_at(instance)
        self._sent[session.id] = None if found is None else (found[0].workshop_id, found[1])
        if found is not None:
            fx.send_to(session, self._state_frame(found[0], found[1], session))

    def on_leave(self, session: Session, fx: Effects, now: float) -> None:
        return None

    def handle(self, session: Session, message: FeatureMessage, fx: Effects, now: float) -> bool:
        if not isinstance(message, BOARD_MESSAGES.client):
            return False
        about = message.spec.type
        instance = session.instance
        if instance is None:
            fx.error(session.conn, session.lang, "not_in_room", about=about)
            return True
        live = self.lead.live_in(instance)
        if live is None:
            fx.error(session.conn, session.lang, "board_none", about=about)
            return True
        leads = self.lead.may_lead(session)
        if isinstance(message, (BoardSetup, BoardMerge)) and not leads:
            fx.error(session.conn, session.lang, "not_facilitator", about=about)
            return True
        if isinstance(message, (BoardAdd, BoardEdit, BoardLabel)) and self._muted(session, now):
            fx.error(session.conn, session.lang, "board_muted", about=about)
            return True
        if not self.limits.allow(session.identity.id, now):
            fx.error(session.conn, session.lang, "board_too_fast", about=about)
            return True
        boards = self.boards_of(live)
        group = live.group_numbers().get(instance.number, MAIN)
        who = Author(session.identity.id, session.identity.name, leads)
        try:
            self._act(boards, group, who, message, live, instance, fx, now)
        except BoardError as err:
            fx.error(session.conn, session.lang, err.code, err.detail or None, about)
            return True
        self._dirty.add(live.id)
        return True

    def on_tick(self, now: float, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        if now >= self._next_watch:
            self._next_watch = now + WATCH_EVERY_S
            self._watch(rooms, fx)
        if self._dirty and now >= self._next_keep:
            self.keep_changes(now)

    # --- acting ----------------------------------------------------------------------------

    def _act(
        self,
        boards: WorkshopBoards,
        group: int,
        who: Author,
        message: FeatureMessage,
        live: LiveWorkshop,
        instance: RoomInstance,
        fx: Effects,
        now: float,
    ) -> None:
        note: Note | None = None
        if isinstance(message, BoardAdd):
            note = boards.add(group, who, message.column, message.text, now)
        elif isinstance(message, BoardEdit):
            note = boards.edit(group, who, message.note, message.text, now)
        elif isinstance(message, BoardMove):
            note = boards.move(group, who, message.note, message.column, message.index, now)
        elif isinstance(message, BoardLabel):
            note = boards.label(group, who, message.note, message.label, now)
        elif isinstance(message, BoardVote):
            note = boards.vote(group, who, message.note, message.on, now)
        elif isinstance(message, BoardDelete):
            gone = boards.delete(group, who, message.note, now)
            self._send_note(boards, group, gone.id, None, instance, fx)
            if group != MAIN:
                self._send_counts(live, boards, fx)
            return
        elif isinstance(message, BoardSetup):
            boards.set_up(
                now,
                columns=message.columns,
                locked=message.locked,
                authors_shown=message.authors_shown,
                dots=message.dots,
            )
            self._send_states(live, fx)
            return
        elif isinstance(message, BoardMerge):
            boards.merge(now)
            self._send_states(live, fx)
            return
        if note is not None:
            self._send_note(boards, group, note.id, note, instance, fx)
            if group != MAIN and isinstance(message, BoardAdd):
                self._send_counts(live, boards, fx)

    def _muted(self, session: Session, now: float) -> bool:
        if self._core is None:
            return False
        return any(
            rule.refuse_chat(session, True, now) == "chat_muted" for rule in self._core.rules
        )

    # --- outgoing --------------------------------------------------------------------------

    def _state_frame(self, boards: WorkshopBoards, group: int, session: Session) -> bytes:
        leads = self.lead.may_lead(session)
        return encode("board_state", board=boards.view(group, session.identity.id, leads))

    def _send_states(self, live: LiveWorkshop, fx: Effects) -> None:
        """Everyone in the workshop's rooms gets their board anew."""
        for instance in self._instances_of(live):
            found = self.board_at(instance)
            for session in instance.members.values():
                if found is not None:
                    fx.send_to(session, self._state_frame(found[0], found[1], session))

    def _send_counts(self, live: LiveWorkshop, boards: WorkshopBoards, fx: Effects) -> None:
        """The main room's facilitators see how many notes the groups have (to merge)."""
        main = live.home
        for session in main.members.values():
            if self.lead.may_lead(session):
                fx.send_to(session, self._state_frame(boards, MAIN, session))

    def _send_note(
        self,
        boards: WorkshopBoards,
        group: int,
        note_id: str,
        note: Note | None,
        instance: RoomInstance,
        fx: Effects,
    ) -> None:
        notes = boards.notes(group)
        index = notes.index(note) if note is not None else -1
        shown = boards.settings.authors_shown
        in_groups = boards.waiting_in_groups() if group == MAIN else 0
        for session in instance.members.values():
            if session.conn is None:
                continue
            viewer = session.identity.id
            leads = self.lead.may_lead(session)
            fx.send_to(
                session,
                encode(
                    "board_note",
                    workshop=boards.workshop_id,
                    group=group,
                    id=note_id,
                    note=None if note is None else note.view(viewer, shown, leads),
                    index=index,
                    dots_left=boards.dots_left(group, viewer),
                    in_groups=in_groups,
                ),
            )

    def _watch(self, rooms: Sequence[RoomPositions], fx: Effects) -> None:
        """Send the board of where they are to the people whose board is not the one they
        were last sent (a workshop started, resumed or ended in their room, a breakout
        began or ended)."""
        sent: dict[str, BoardKey | None] = {}
        for room in rooms:
            instance = room.instance
            found = self.board_at(instance)
            now_shown = None if found is None else (found[0].workshop_id, found[1])
            for session in instance.members.values():
                before = self._sent.get(session.id)
                if session.conn is None:  # away: sent anew when they are back (on_join)
                    sent[session.id] = before
                    continue
                sent[session.id] = now_shown
                if before == now_shown:
                    continue
                if found is None:
                    fx.send_to(session, encode("board_state", board=None))
                else:
                    fx.send_to(session, self._state_frame(found[0], found[1], session))
        self._sent = sent
