"""What a session needs to come back on another process: its grace state, kept in Redis.

When a process dies, its people reconnect to any other process with their resume key.
That process finds the session's last ``GraceState`` (identity, appearance, language, room
instance, position) and, if the grace period has not run out, takes the room over and
puts the person back where they stood.

* ``GraceState``: the record, packed with msgpack (checked when unpacked).
* ``GraceWriter`` (no I/O): the modest write rate. A session's state is written at most
  once per ``every_s`` while it moves, once per ``refresh_s`` while it stands still; new
  sessions, room changes and disconnects are written at the next round.
* ``GraceStates`` (I/O): ``<prefix>cluster:session:<id>`` (the state) and
  ``<prefix>cluster:resume:<sha256 of the resume key>`` (the session id), both expiring.
  Saving is fenced by the room instance's lease: a state is written only while the writer
  still holds the lease of the instance the state names, so a process that lost a room
  (paused, cut off) cannot overwrite what the new owner wrote.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import msgpack

from server.base.identity import Identity, Role
from server.base.redis_link import RedisLink
from server.base.redis_names import RedisNames
from server.cluster.leases import InstanceKey

#: A session's state is written at most this often while it only moves.
WRITE_EVERY_S = 1.0
#: An unchanged state is written again this often (its key expires otherwise).
REFRESH_EVERY_S = 10.0

# KEYS: per state: session key, resume key, lease key ('' for none). ARGV: ttl ms, then per
# state: packed state, session id, lease token. Returns the 1-based indexes refused.
_SAVE = """
local refused = {}
for i = 0, #KEYS / 3 - 1 do
  local lease, token = KEYS[3 * i + 3], ARGV[3 * i + 4]
  if lease == '' or redis.call('GET', lease) == token then
    redis.call('SET', KEYS[3 * i + 1], ARGV[3 * i + 2], 'PX', ARGV[1])
    redis.call('SET', KEYS[3 * i + 2], ARGV[3 * i + 3], 'PX', ARGV[1])
  else
    refused[#refused + 1] = i + 1
  end
end
return refused
"""


class GraceStateError(ValueError):
    """Bytes that are not a grace state this program wrote."""


def resume_digest(resume_key: str) -> str:
    """The name a resume key is stored under (the key itself is a secret: never stored)."""
    return hashlib.sha256(resume_key.encode()).hexdigest()


@dataclass(frozen=True)
class GraceState:
    """A session as another process needs it to resume it."""

    session_id: str
    resume_digest: str
    identity: Identity
    appearance: dict[str, str]
    lang: str
    key: InstanceKey | None
    position: tuple[float, float, float] | None
    yaw: float
    pitch: float
    process_id: str
    saved_at: float

    def pack(self) -> bytes:
        return cast(
            bytes,
            msgpack.packb(
                {
                    "v": 1,
                    "session": self.session_id,
                    "resume": self.resume_digest,
                    "identity": self.identity.as_dict(),
                    "appearance": self.appearance,
                    "lang": self.lang,
                    "room": None if self.key is None else self.key.room,
                    "instance": None if self.key is None else self.key.instance,
                    "pos": None if self.position is None else list(self.position),
                    "yaw": self.yaw,
                    "pitch": self.pitch,
                    "process": self.process_id,
                    "at": self.saved_at,
                }
            ),
        )

    @classmethod
    def unpack(cls, data: bytes) -> GraceState:
        try:
            raw = msgpack.unpackb(data)
            return cls._from(raw)
        except GraceStateError:
            raise
        except (ValueError, TypeError, KeyError, msgpack.UnpackException) as exc:
            raise GraceStateError(f"not a grace state: {exc}") from None

    @classmethod
    def _from(cls, raw: Any) -> GraceState:
        if not isinstance(raw, dict) or raw.get("v") != 1:
            raise GraceStateError("not a grace state of version 1")
        person = raw["identity"]
        identity = Identity(
            _text(person["id"]), _text(person["name"]), Role(person["role"]), bool(person["guest"])
        )
        room, instance = raw["room"], raw["instance"]
        key = None if room is None else InstanceKey(_text(room), _count(instance))
        position = None
        if raw["pos"] is not None:
            x, y, z = (_finite(v) for v in raw["pos"])
            position = (x, y, z)
        appearance = raw["appearance"]
        if not isinstance(appearance, dict):
            raise GraceStateError("appearance is not a map")
        return cls(
            session_id=_text(raw["session"]),
            resume_digest=_text(raw["resume"]),
            identity=identity,
            appearance={_text(k): _text(v) for k, v in appearance.items()},
            lang=_text(raw["lang"]),
            key=key,
            position=position,
            yaw=_finite(raw["yaw"]),
            pitch=_finite(raw["pitch"]),
            process_id=_text(raw["process"]),
            saved_at=_finite(raw["at"]),
        )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise GraceStateError(f"expected text, got {type(value).__name__}")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise GraceStateError(f"expected a count, got {value!r}")
    return value


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise GraceStateError(f"expected a finite number, got {value!r}")
    return float(value)


class GraceWriter:
    """Which sessions' states are due to be written (no I/O).

    The realtime side notes every session's state as often as it likes; a state is due
    when it is new, names another room instance than the last one written, or is
    ``urgent`` (a disconnect); a changed state (moved, turned) at most once per
    ``every_s``; an unchanged one once per ``refresh_s``, to keep it from expiring.

    >>> writer = GraceWriter(every_s=1.0, refresh_s=10.0)
    >>> writer.note(state, now=0.0)                 # doctest: +SKIP
    >>> writer.due(now=0.0)                         # doctest: +SKIP
    """

    def __init__(self, every_s: float = WRITE_EVERY_S, refresh_s: float = REFRESH_EVERY_S) -> None:
        self.every_s = every_s
        self.refresh_s = refresh_s
        self._latest: dict[str, GraceState] = {}
        self._urgent: set[str] = set()
        self._written: dict[str, tuple[float, GraceState]] = {}

    def note(self, state: GraceState, now: float, *, urgent: bool = False) -> None:
        """The newest state of a session."""
        self._latest[state.session_id] = state
        written = self._written.get(state.session_id)
        if urgent or written is None or written[1].key != state.key:
            self._urgent.add(state.session_id)

    def due(self, now: float) -> list[GraceState]:
        """States to write now; they count as written (``retry`` puts them back)."""
        out = []
        for session_id, state in self._latest.items():
            written = self._written.get(session_id)
            if session_id in self._urgent or written is None:
                out.append(state)
                continue
            age = now - written[0]
            if age >= self.refresh_s or (age >= self.every_s and _changed(written[1], state)):
                out.append(state)
        for state in out:
            del self._latest[state.session_id]
            self._urgent.discard(state.session_id)
            self._written[state.session_id] = (now, state)
        return out

    def retry(self, states: Sequence[GraceState]) -> None:
        """States whose write failed: due again (unless a newer one was noted)."""
        for state in states:
            self._written.pop(state.session_id, None)
            if state.session_id not in self._latest:
                self._latest[state.session_id] = state
            self._urgent.add(state.session_id)

    def forget(self, session_id: str) -> None:
        self._latest.pop(session_id, None)
        self._urgent.discard(session_id)
        self._written.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._latest)


def _changed(before: GraceState, after: GraceState) -> bool:
    """True when ``after`` says more than ``before`` (not just a later time)."""
    return (
        before.position != after.position
        or before.yaw != after.yaw
        or before.pitch != after.pitch
        or before.key != after.key
        or before.lang != after.lang
        or before.appearance != after.appearance
        or before.identity != after.identity
    )


class GraceStates:
    """Grace states in Redis (I/O)."""

    def __init__(self, link: RedisLink, names: RedisNames) -> None:
        self._link = link
        self._names = names
        self._save = link.raw.register_script(_SAVE)

    def session_key(self, session_id: str) -> str:
        return self._names.cluster("session", session_id)

    def resume_key(self, digest: str) -> str:
        return self._names.cluster("resume", digest)

    async def save(
        self, states: Sequence[tuple[GraceState, str, str]], ttl_s: float
    ) -> list[GraceState]:
        """Write ``(state, lease key, lease token)`` triples (lease key ``''``: not in a
        room, no fence) in one script run; returns the states refused because the lease
        is no longer the writer's."""
        if not states:
            return []
        keys: list[str] = []
        args: list[bytes | str | int] = [max(1, round(ttl_s * 1000))]
        for state, lease_key, token in states:
            keys += [
                self.session_key(state.session_id),
                self.resume_key(state.resume_digest),
                lease_key,
            ]
            args += [state.pack(), state.session_id, token]
        async with self._link.attempt():
            refused = await self._save(keys=keys, args=args)
        return [states[int(i) - 1][0] for i in refused]

    async def load(self, session_id: str) -> GraceState | None:
        async with self._link.attempt():
            data = await self._link.raw.get(self.session_key(session_id))
        return None if data is None else GraceState.unpack(cast(bytes, data))

    async def find(self, resume_key: str) -> GraceState | None:
        """The state of the session a resume key belongs to, if it is still kept."""
        digest = resume_digest(resume_key)
        async with self._link.attempt():
            session_id = await self._link.raw.get(self.resume_key(digest))
        if session_id is None:
            return None
        state = await self.load(cast(bytes, session_id).decode("utf-8", "replace"))
        if state is None or state.resume_digest != digest:
            return None
        return state

    async def drop(self, session_id: str, digest: str) -> None:
        """Forget a session that ended (bye, or its grace period ran out)."""
        async with self._link.attempt():
            await self._link.raw.delete(self.session_key(session_id), self.resume_key(digest))
