"""Which request to a Janus goes on the wire next (no I/O).

Two lanes per Janus link. **Urgent** requests (a facilitator's mute, the kick of someone
removed, banned or moved to a breakout, taking a listener off a speaker they may no longer
hear, the link's own ping and keepalive) are sent at once, whatever else is waiting.
**Routine** requests (sessions, handles, joins, the browsers' offers and answers, ICE,
subscription updates as people walk about) go in the order they came, at most ``window``
of them unanswered at a time; the rest wait here, in the hub, not in Janus.

The window is what gives urgent requests their priority: Janus's VideoRoom works through
its joins, configures and updates one after another, so every routine request already
sent is one an urgent update waits behind inside Janus. With the window, that is at most
``window`` requests, however many people are being set up or walking about.

>>> lanes = RequestLanes(window=2)
>>> a, b, c = lanes.ask(), lanes.ask(), lanes.ask()
>>> [t.go for t in (a, b, c)]
[True, True, False]
>>> lanes.ask(urgent=True).go
True
>>> [t.number for t in lanes.finished(a)]
[2]
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

#: routine requests unanswered at a time, per Janus link
ROUTINE_WINDOW: Final = 8


@dataclass(eq=False)
class Ticket:
    """One request's place: ``go`` once it may be sent."""

    number: int
    urgent: bool
    go: bool = False
    done: bool = False


class RequestLanes:
    """The two lanes of one link (see the module docstring)."""

    def __init__(self, window: int = ROUTINE_WINDOW) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.window = window
        self._next = 0
        self._waiting: deque[Ticket] = deque()
        self.in_flight = 0
        #: urgent requests so far (for metrics)
        self.urgent_total = 0

    def ask(self, urgent: bool = False) -> Ticket:
        """A place for a new request; ``go`` says whether it may be sent now."""
        ticket = Ticket(self._next, urgent)
        self._next += 1
        if urgent:
            self.urgent_total += 1
            ticket.go = True
        elif self.in_flight < self.window and not self._waiting:
            self.in_flight += 1
            ticket.go = True
        else:
            self._waiting.append(ticket)
        return ticket

    def finished(self, ticket: Ticket) -> list[Ticket]:
        """The request was answered, failed or given up (also one still waiting); the
        routine requests that may be sent now, in order."""
        if ticket.done:
            return []
        ticket.done = True
        if not ticket.urgent:
            if ticket.go:
                self.in_flight -= 1
            else:
                self._waiting.remove(ticket)
        released: list[Ticket] = []
        while self._waiting and self.in_flight < self.window:
            waiting = self._waiting.popleft()
            waiting.go = True
            self.in_flight += 1
            released.append(waiting)
        return released

    @property
    def waiting(self) -> int:
        return len(self._waiting)
