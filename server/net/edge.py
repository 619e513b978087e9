"""The edge of one connection: hello first, each frame decoded, messages rate-limited (no I/O).

``ConnectionEdge.receive`` takes one received frame and returns what to do with it: a typed
message for the core (``Arrival`` for a verified hello), a ``Refusal`` (send an error, and
close if it is fatal), or None (dropped without a word: a flood already told). Timeouts
are asked for with ``expired``. The transport does the I/O around it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from server.base.identity import Identity
from server.base.ratelimit import TokenBucket
from server.base.settings import Settings
from server.base.tokens import TokenError
from server.protocol.table import (
    ERRORS,
    HELLO_TIMEOUT_S,
    IDLE_TIMEOUT_S,
    SUPPORTED_VERSIONS,
    ClientMessage,
    Hello,
    ProtocolError,
    decode_client,
)

#: Seconds of ``max_messages_per_s`` a client may send at once.
BURST_S = 2.0
#: ``rate_limited`` is told at most this often; the drops in between are silent.
TELL_EVERY_S = 1.0


@dataclass(frozen=True)
class Arrival:
    """A hello whose token verified."""

    hello: Hello
    identity: Identity


@dataclass(frozen=True)
class Refusal:
    """A frame that is not accepted: ``code`` from the error table; ``first`` is true the
    first time this connection gets this code (log it then, count it always)."""

    code: str
    detail: str
    about: str | None
    first: bool

    @property
    def fatal(self) -> bool:
        return ERRORS[self.code].close is not None


Verifier = Callable[[str, float], Identity]


class ConnectionEdge:
    """Gatekeeper state of one connection."""

    def __init__(self, settings: Settings, verify: Verifier, now: float) -> None:
        self._verify = verify
        rate = settings.max_messages_per_s
        self._rate = rate
        self._bucket = TokenBucket(rate, rate * BURST_S, updated=now)
        self._dropped = 0
        self._told_at = float("-inf")
        self._seen_codes: set[str] = set()
        self.opened = now
        self.last_seen = now
        self.welcomed = False
        self.lang = "de"
        self.closed = False

    def receive(self, frame: bytes | str, now: float) -> ClientMessage | Arrival | Refusal | None:
        """What to do with one received frame."""
        self.last_seen = now
        if not self._bucket.allow(now):
            self._dropped += 1
            if self._dropped > self._rate:
                return self._refuse("flooding", f"over {self._rate:g} messages per second")
            if now - self._told_at >= TELL_EVERY_S:
                self._told_at = now
                return self._refuse("rate_limited", f"{self._rate:g} messages per second")
            return None
        if self._bucket.tokens >= self._bucket.burst / 2:
            self._dropped = 0
        try:
            message = decode_client(frame)
        except ProtocolError as exc:
            if not self.welcomed:
                return self._refuse("hello_required", f"first frame was refused: {exc.code}")
            return self._refuse(exc.code, exc.detail, exc.about)
        if not self.welcomed:
            if not isinstance(message, Hello):
                return self._refuse("hello_required", "send hello first")
            return self._hello(message, now)
        return message

    def pose_allowed(self, now: float) -> bool:
        """The short way for a pose frame (tag and size already checked) of a welcomed
        connection: True if the rate limit lets it through, counted as ``receive`` counts;
        False sends it the long way, where ``receive`` says what to do with it."""
        bucket = self._bucket
        if not self.welcomed or not bucket.allow(now):
            return False
        self.last_seen = now
        if bucket.tokens >= bucket.burst / 2:
            self._dropped = 0
        return True

    def _hello(self, hello: Hello, now: float) -> Arrival | Refusal:
        self.lang = hello.lang
        if hello.version not in SUPPORTED_VERSIONS:
            speaks = ", ".join(str(v) for v in SUPPORTED_VERSIONS)
            return self._refuse(
                "version_unsupported", f"client speaks {hello.version}, server speaks {speaks}"
            )
        try:
            identity = self._verify(hello.token, now)
        except TokenError as exc:
            code = exc.code if exc.code in ERRORS else "token_invalid"
            return self._refuse(code, exc.message)
        self.welcomed = True
        return Arrival(hello, identity)

    def expired(self, now: float) -> str | None:
        """The error code to close with if this connection has been quiet too long."""
        if not self.welcomed and now - self.opened > HELLO_TIMEOUT_S:
            return "hello_required"
        if now - self.last_seen > IDLE_TIMEOUT_S:
            return "timeout"
        return None

    def first(self, code: str) -> bool:
        """True the first time ``code`` happens on this connection."""
        if code in self._seen_codes:
            return False
        self._seen_codes.add(code)
        return True

    def _refuse(self, code: str, detail: str, about: str | None = None) -> Refusal:
        return Refusal(code, detail, about, self.first(code))
