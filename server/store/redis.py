"""Persistence in Redis, for a hub that runs as several processes.

``RedisStore`` has every public coroutine of ``server.store.sqlite.Store`` with the same meaning
(tests/scale/test_store_conformance.py runs one suite against both). Where the SQLite store
writes in one transaction, the Redis store runs one Lua script, which Redis executes
atomically; reads that span several keys are a pipeline (like the SQLite reads, they are
not one snapshot).

Key layout, under ``hubtwin:<site>:store:`` (each ``{part}`` quoted, see
``server.base.redis_names``):

=================================== ====== ==========================================
key                                  type   what
=================================== ====== ==========================================
``schema``                           string layout version (``SCHEMA_VERSION``)
``identity:{id}``                    hash   id, display_name, guest, created_at,
                                            last_seen_at (+ ``_account_key``)
``account:{username, ASCII-folded}`` hash   username, identity_id, password_hash, role,
                                            created_at (+ ``disabled`` "1" when disabled)
``accounts``                         set    account keys
``chat-msg:{id}``                    hash   the ChatRecord fields (+ ``_ref``,
                                            ``_room_key``, ``_from_key``, ``_to_key``)
``chat-seq``                         string insertion counter (orders equal times)
``chat-all``                         zset   every message, by time
``chat-room:{room}:{instance}``      zset   room messages (not direct ones), by time
``chat-of:{identity}``               zset   messages a person sent or received, by time
``progress-row:{identity}:{station}``hash   one StationProgress row (+ identity_id,
                                            updated_at)
``progress-of:{identity}``           zset   a person's row keys, by first opening
``progress-people``                  set    identities that have progress rows
``workshop:{id}``                    string a workshop as JSON
``workshops``                        zset   workshop ids, by end time
``series:{id}``                      string a series definition as JSON
``series-all``                       set    series ids
``attendance:{workshop}``            list   attendance events as JSON, in order
``attendance-seq``                   string insertion counter of attendance events
``attendance-of:{identity}``         set    attendance list keys a person appears in
``registrations:{workshop}``         zset   registered identity ids, by registration-seq
``registration:{workshop}``          hash   identity id -> ``{"display_name", "guest",
                                            "at"}`` as JSON
``registration-seq``                 string insertion counter of registrations
``registrations-of:{identity}``      set    workshop ids a person registered for
``offer-signups:{offer}``            zset   identity ids signed up, by offer-signup-seq
``offer-signup:{offer}``             hash   identity id -> ``{"name", "contact", "at"}``
                                            as JSON
``offer-signup-seq``                 string insertion counter of offer sign-ups
``offer-signups-of:{identity}``      set    offer ids a person signed up for
``profile:{identity}``               string a person's profile to meet as JSON (+
                                            ``updated_at``)
``ban:{id}``                         string a ban as JSON
``bans``                             zset   ban ids, by creation time
``audit-seq``                        string insertion counter of audit entries
``audit``                            zset   ``<16 hex digits of audit-seq><id>``, by time
``audit-entry:{id}``                 string an audit entry as JSON
``mutes``                            hash   identity id -> ``{"until", "by_id", "at"}``
                                            as JSON (``until`` null: until lifted)
``room-settings``                    hash   room id -> its settings as JSON (only rooms
                                            whose settings are not the usual ones)
``token-generations``                hash   identity id -> token generation (only
                                            identities whose tokens were revoked)
``live:{kind}``                      hash   key -> a live document as JSON (a running
                                            workshop, a room's screens, removals, the
                                            world's undo history: ``server/base/live_state.py``)
=================================== ====== ==========================================

``change_live_state`` changes one live document by compare-and-set: it reads the document,
lets the caller's pure function make the new one, and a script writes that only when the
kept text is still what was read; else it pauses a random moment, reads and tries again
(``LIVE_CHANGE_TRIES``). Only a change to that one document makes it try again, not one to
another key of the hash.

Index members are ``<16 hex digits of chat-seq><message key>`` for chat (so equal times
keep insertion order, as SQLite's rowid does) and the row key for progress.

Persistence: what is stored here must survive a Redis restart, so the Redis behind a hub
runs with ``appendonly yes`` and ``appendfsync everysec`` (at most about one second of
writes lost on a power cut) and is backed up from its AOF/RDB files; docs/scale-out.md
says how. One Redis primary (with a replica and Sentinel if wanted), not Redis Cluster:
the scripts reach keys they derive from index entries.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from server.base.identity import Identity, Role
from server.base.live_state import POLLS, LiveStateChange
from server.base.passwords import check_password, hash_password
from server.base.records import ChatRecord
from server.base.redis_link import safe_url
from server.base.redis_names import RedisNames
from server.domain.action_plans import LIVE_KIND as TEAM_KIND
from server.domain.action_plans import teams_of
from server.domain.board import LIVE_KIND as BOARD_KIND
from server.domain.board import notes_by
from server.domain.consulting import PERSON_KIND as CONSULTING_KIND
from server.domain.consulting import SLOTS_KIND as CONSULTING_SLOTS_KIND
from server.domain.consulting import consulting_export
from server.domain.offers import OfferSignup
from server.domain.polls import answers_of
from server.domain.registrations import Registration
from server.domain.station_progress import ExportRow, ProgressRecord, StationProgress
from server.domain.workshop_records import AttendanceEvent, AuditEntry, Ban
from server.domain.workshops import Series, Workshop
from server.store.backend import AccountDisabled, LiveStateContended, StoreError
from server.store.common import PERSON_OUT_OF_DOCUMENTS, from_row, new_account_identity

#: The key layout described above; a store with a higher number is refused.
SCHEMA_VERSION = 1
#: Messages removed per script run by ``purge_chat`` (keeps each run short).
PURGE_BATCH = 500
#: How long a store command may take before the store counts as unreachable.
COMMAND_TIMEOUT_S = 5.0
#: How often ``change_live_state`` reads and tries again when others changed the document
#: between its read and its write (each lost try means another change was kept).
LIVE_CHANGE_TRIES = 32
#: The pause after a lost try: random, up to this doubled with each try (at most 50 ms).
LIVE_CHANGE_PAUSE_S = 0.001


class StoreUnavailable(StoreError):
    """Redis did not answer (down, unreachable or too slow)."""


def fold_username(username: str) -> str:
    """Usernames compare like SQLite's ``COLLATE NOCASE``: ASCII letters without case."""
    return username.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_REMEMBER_IDENTITY = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'display_name', ARGV[2], 'last_seen_at', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'id', ARGV[1], 'display_name', ARGV[2], 'guest', ARGV[3],
             'created_at', ARGV[4], 'last_seen_at', ARGV[4])
end
return 1
"""

# KEYS: account, identity, accounts set. ARGV: username, identity id, display name,
# password hash, role, now, advisor ('1' or '0').
_CREATE_ACCOUNT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'display_name', ARGV[3], 'guest', '0',
           'created_at', ARGV[6], 'last_seen_at', ARGV[6], '_account_key', KEYS[1])
redis.call('HSET', KEYS[1], 'username', ARGV[1], 'identity_id', ARGV[2],
           'password_hash', ARGV[4], 'role', ARGV[5], 'created_at', ARGV[6],
           'advisor', ARGV[7])
redis.call('SADD', KEYS[3], KEYS[1])
return 1
"""

# KEYS: account. ARGV: field, value. The account's identity id after setting the field,
# false when there is no such account.
_SET_ACCOUNT_FIELD = """
local identity = redis.call('HGET', KEYS[1], 'identity_id')
if not identity then return false end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return identity
"""

_ACCOUNT_ROLE = """
local account = redis.call('HGET', KEYS[1], '_account_key')
if not account then return false end
return redis.call('HGET', account, 'role')
"""

# Adds a batch of messages, all or none (one script runs atomically). For each message, 6
# KEYS: message, chat-all, chat-seq, room index (direct: ''), sender's index, recipient's
# index (room message: ''); 9 ARGV: id, room, instance, sender id, sender name, text, to id,
# ts, '1' when the message is direct. A message already stored is left as it is.
_ADD_CHATS = """
for m = 0, #ARGV / 9 - 1 do
  local k, a = m * 6, m * 9
  if redis.call('EXISTS', KEYS[k + 1]) == 0 then
    local ref = string.format('%016x', redis.call('INCR', KEYS[k + 3])) .. KEYS[k + 1]
    redis.call('HSET', KEYS[k + 1], 'id', ARGV[a + 1], 'room', ARGV[a + 2],
               'instance', ARGV[a + 3], 'sender_id', ARGV[a + 4], 'sender_name', ARGV[a + 5],
               'text', ARGV[a + 6], 'ts', ARGV[a + 8], '_ref', ref, '_room_key', KEYS[k + 4],
               '_from_key', KEYS[k + 5], '_to_key', KEYS[k + 6])
    if ARGV[a + 9] == '1' then redis.call('HSET', KEYS[k + 1], 'to_id', ARGV[a + 7]) end
    redis.call('ZADD', KEYS[k + 2], ARGV[a + 8], ref)
    redis.call('ZADD', KEYS[k + 5], ARGV[a + 8], ref)
    if KEYS[k + 4] ~= '' then redis.call('ZADD', KEYS[k + 4], ARGV[a + 8], ref) end
    if KEYS[k + 6] ~= '' then redis.call('ZADD', KEYS[k + 6], ARGV[a + 8], ref) end
  end
end
return 1
"""

# Removes the messages named by index members (refs) from every index and deletes them.
_DROP_MESSAGES = """
local function drop(all_key, refs)
  for _, ref in ipairs(refs) do
    local key = string.sub(ref, 17)
    local found = redis.call('HMGET', key, '_room_key', '_from_key', '_to_key')
    for _, index in ipairs(found) do
      if index and index ~= '' then redis.call('ZREM', index, ref) end
    end
    redis.call('ZREM', all_key, ref)
    redis.call('DEL', key)
  end
  return #refs
end
"""

# KEYS: chat-all. ARGV: older-than (exclusive), batch size.
_PURGE_CHAT = (
    _DROP_MESSAGES
    + """
local refs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
return drop(KEYS[1], refs)
"""
)

# KEYS: identity, chat-of, chat-all, progress-of, progress-people, accounts.
# ARGV: identity id.
_DELETE_IDENTITY = (
    _DROP_MESSAGES
    + """
drop(KEYS[3], redis.call('ZRANGE', KEYS[2], 0, -1))
redis.call('DEL', KEYS[2])
for _, row in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do redis.call('DEL', row) end
redis.call('DEL', KEYS[4])
redis.call('SREM', KEYS[5], ARGV[1])
local account = redis.call('HGET', KEYS[1], '_account_key')
if account then
  redis.call('DEL', account)
  redis.call('SREM', KEYS[6], account)
end
redis.call('DEL', KEYS[1])
return 1
"""
)

# For the scripts that keep a person's records (as SQLite's _erased and _first_seen):
# erased(identity key, token-generations key, id) is true for a person erased (revoked, no
# identity any more), who is not brought back; first_seen(identity key, id, display name,
# guest, at) gives a person without one the identity row their records hang on.
_PERSON = """
local function erased(identity, generations, id)
  return redis.call('EXISTS', identity) == 0 and redis.call('HEXISTS', generations, id) == 1
end
local function first_seen(identity, id, name, guest, at)
  if redis.call('EXISTS', identity) == 0 then
    redis.call('HSET', identity, 'id', id, 'display_name', name, 'guest', guest,
               'created_at', at, 'last_seen_at', at)
  end
end
"""

# KEYS: progress-people, token-generations, then per record: identity, row, progress-of.
# ARGV per record: identity id, display name, guest, station id, event, at. An erased
# person's events (revoked, no identity any more) are dropped.
_RECORD_PROGRESS = (
    _PERSON
    + """
for i = 0, (#KEYS - 2) / 3 - 1 do
  local identity, row, index = KEYS[3 + 3 * i], KEYS[4 + 3 * i], KEYS[5 + 3 * i]
  local id, name, guest = ARGV[6 * i + 1], ARGV[6 * i + 2], ARGV[6 * i + 3]
  local station, event, at = ARGV[6 * i + 4], ARGV[6 * i + 5], ARGV[6 * i + 6]
  if not erased(identity, KEYS[2], id) then
  first_seen(identity, id, name, guest, at)
  local tried = 0
  if event == 'quiz_failed' or event == 'quiz_passed' then tried = 1 end
  local ran = 0
  if event == 'experiment_done' then ran = 1 end
  if redis.call('EXISTS', row) == 0 then
    redis.call('HSET', row, 'identity_id', id, 'station_id', station, 'opened_at', at,
               'quiz_attempts', tried, 'experiment_runs', ran, 'updated_at', at)
    redis.call('ZADD', index, at, row)
    redis.call('SADD', KEYS[1], id)
  else
    redis.call('HINCRBY', row, 'quiz_attempts', tried)
    redis.call('HINCRBY', row, 'experiment_runs', ran)
    redis.call('HSET', row, 'updated_at', at)
  end
  if event == 'quiz_passed' then redis.call('HSETNX', row, 'quiz_passed_at', at) end
  if ran == 1 then redis.call('HSETNX', row, 'experiment_done_at', at) end
  end
end
return 1
"""
)

# KEYS: attendance-seq, token-generations, then per event: identity, attendance list,
# attendance-of. ARGV per event: identity id, display name, guest, event JSON (without
# seq), at. An erased person's events (revoked, no identity any more) are dropped.
_RECORD_ATTENDANCE = (
    _PERSON
    + """
for i = 0, (#KEYS - 2) / 3 - 1 do
  local identity, list, index = KEYS[3 + 3 * i], KEYS[4 + 3 * i], KEYS[5 + 3 * i]
  local id, name, guest = ARGV[5 * i + 1], ARGV[5 * i + 2], ARGV[5 * i + 3]
  local event, at = cjson.decode(ARGV[5 * i + 4]), ARGV[5 * i + 5]
  if not erased(identity, KEYS[2], id) then
    first_seen(identity, id, name, guest, at)
    event['seq'] = redis.call('INCR', KEYS[1])
    redis.call('RPUSH', list, cjson.encode(event))
    redis.call('SADD', index, list)
  end
end
return 1
"""
)

# KEYS: attendance-of. ARGV: identity id. Drops the person's events from every list.
_ERASE_ATTENDANCE = """
for _, list in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local kept = {}
  for _, raw in ipairs(redis.call('LRANGE', list, 0, -1)) do
    if cjson.decode(raw)['identity_id'] ~= ARGV[1] then table.insert(kept, raw) end
  end
  redis.call('DEL', list)
  for _, raw in ipairs(kept) do redis.call('RPUSH', list, raw) end
end
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: a sign-up list's order, records, seq and the person's of-set (registrations,
# registration, registration-seq, registrations-of, or offer-signups, offer-signup,
# offer-signup-seq, offer-signups-of), identity, token-generations. ARGV: identity id, record
# JSON, list id, display name, guest, at, limit (-1: none). "added" (at the end), "already",
# "full" or "erased".
_ADD_TO_SIGNUP_LIST = (
    _PERSON
    + """
if erased(KEYS[5], KEYS[6], ARGV[1]) then return 'erased' end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'already' end
local limit = tonumber(ARGV[7])
if limit >= 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 'full' end
first_seen(KEYS[5], ARGV[1], ARGV[4], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[3]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[3])
return 'added'
"""
)

# KEYS: identity, token-generations, profile. ARGV: identity id, profile JSON, at. 1 when
# kept, 0 for an erased person.
_SAVE_PROFILE = (
    _PERSON
    + """
if erased(KEYS[1], KEYS[2], ARGV[1]) then return 0 end
first_seen(KEYS[1], ARGV[1], '', 1, ARGV[3])
redis.call('SET', KEYS[3], ARGV[2])
return 1
"""
)

# KEYS: a sign-up list's of-set (registrations-of, offer-signups-of). ARGV: identity id,
# then the key prefixes of the list's order and records. Drops the person from every list.
_ERASE_FROM_SIGNUP_LISTS = """
for _, list_id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  redis.call('ZREM', ARGV[2] .. list_id, ARGV[1])
  redis.call('HDEL', ARGV[3] .. list_id, ARGV[1])
end
redis.call('DEL', KEYS[1])
return 1
"""

# KEYS: ban, bans. Returns the ban's JSON (or false) and removes it.
_LIFT_BAN = """
local found = redis.call('GET', KEYS[1])
if not found then return false end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return found
"""

# KEYS: entry, audit, audit-seq. ARGV: id, at, JSON.
_ADD_AUDIT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ref = string.format('%016x', redis.call('INCR', KEYS[3])) .. ARGV[1]
redis.call('SET', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ref)
return 1
"""

# KEYS: audit. ARGV: older-than (exclusive), batch size, entry key prefix.
_PURGE_AUDIT = """
local refs = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, ref in ipairs(refs) do
  redis.call('DEL', ARGV[3] .. string.sub(ref, 17))
  redis.call('ZREM', KEYS[1], ref)
end
return #refs
"""

# KEYS: live:{kind}. ARGV: key, the document's text as read ("" when there was none), the
# new text ("" forgets it). 1 when written, 0 when the document changed since it was read.
_CHANGE_LIVE_STATE = """
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if not kept then kept = '' end
if kept ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
return 1
"""

# KEYS: mutes. ARGV: identity id, the mute as JSON, now. Drops mutes that ended by now,
# then sets this one.
_SET_MUTE = """
local all = redis.call('HGETALL', KEYS[1])
local now = tonumber(ARGV[3])
for i = 1, #all, 2 do
  local ends = cjson.decode(all[i + 1])['until']
  if type(ends) == 'number' and ends <= now then redis.call('HDEL', KEYS[1], all[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

_IDENTITY_FIELDS = ("id", "display_name", "guest", "created_at", "last_seen_at")
_ACCOUNT_FIELDS = ("username", "role", "created_at")
_CHAT_FIELDS = ("id", "room", "instance", "sender_id", "sender_name", "text", "to_id", "ts")
_PROGRESS_FIELDS = (
    "identity_id",
    "station_id",
    "opened_at",
    "quiz_attempts",
    "quiz_passed_at",
    "experiment_runs",
    "experiment_done_at",
    "updated_at",
)


def _advisor(account: Mapping[Any, Any]) -> bool:
    """Whether an account is marked as advisor. One kept before the mark existed has no
    field: its facilitators and staff all were advisors then, and stay so (as SQLite's
    migration 10 marks them)."""
    mark = account.get("advisor")
    if mark is None:
        return account.get("role") in (Role.FACILITATOR.value, Role.STAFF.value)
    return mark == "1"


def _number(value: float) -> str:
    """A float as text that reads back as the same float (in Python and in Redis)."""
    return repr(float(value))


def _optional_float(value: str | None) -> float | None:
    return None if value is None else float(value)


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _SignupList:
    """The key names of one kind of list people put themselves on, in the order they came:
    a workshop's registrations, an offer's sign-ups (the layout above)."""

    order: str  # zset per list: identity ids, by seq
    records: str  # hash per list: identity id -> the record as JSON
    seq: str  # the insertion counter
    of_person: str  # set per person: the ids of the lists they are on


_REGISTRATIONS = _SignupList(
    "registrations", "registration", "registration-seq", "registrations-of"
)
_OFFER_SIGNUPS = _SignupList(
    "offer-signups", "offer-signup", "offer-signup-seq", "offer-signups-of"
)


class RedisStore:
    """The hub's persistent state in Redis; see the module docstring for the layout.

    >>> store = await RedisStore.connect("redis://127.0.0.1/0", site="oekohub")  # doctest: +SKIP
    """

    def __init__(self, client: aioredis.Redis, names: RedisNames, url: str) -> None:
        self._redis = client
        self._names = names
        self._url = safe_url(url)
        register = client.register_script
        self._remember_identity = register(_REMEMBER_IDENTITY)
        self._create_account = register(_CREATE_ACCOUNT)
        self._account_role = register(_ACCOUNT_ROLE)
        self._set_account_field = register(_SET_ACCOUNT_FIELD)
        self._add_chats = register(_ADD_CHATS)
        self._purge_chat = register(_PURGE_CHAT)
        self._delete_identity = register(_DELETE_IDENTITY)
        self._record_progress = register(_RECORD_PROGRESS)
        self._record_attendance = register(_RECORD_ATTENDANCE)
        self._erase_attendance = register(_ERASE_ATTENDANCE)
        self._add_to_signup_list = register(_ADD_TO_SIGNUP_LIST)
        self._erase_from_signup_lists = register(_ERASE_FROM_SIGNUP_LISTS)
        self._save_profile = register(_SAVE_PROFILE)
        self._lift_ban = register(_LIFT_BAN)
        self._add_audit = register(_ADD_AUDIT)
        self._purge_audit = register(_PURGE_AUDIT)
        self._set_mute = register(_SET_MUTE)
        self._change_live_state = register(_CHANGE_LIVE_STATE)

    # --- lifecycle -----------------------------------------------------------------------

    @classmethod
    async def connect(cls, url: str, *, site: str) -> RedisStore:
        """Connect to the Redis at ``url`` and check (or set) the layout version; the keys
        of ``site`` are kept apart from other sites sharing the Redis."""
        try:
            client = aioredis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=COMMAND_TIMEOUT_S,
                socket_connect_timeout=COMMAND_TIMEOUT_S,
            )
        except ValueError as exc:
            raise StoreError(f"{safe_url(url)}: not a Redis URL: {exc}") from None
        store = cls(client, RedisNames(site), url)
        try:
            await store._check_schema()
        except BaseException:
            await client.aclose()
            raise
        return store

    async def _check_schema(self) -> None:
        key = self._key("schema")
        async with self._errors():
            await self._redis.set(key, SCHEMA_VERSION, nx=True)
            found = cast(str | None, await self._redis.get(key))
        try:
            version = int(found or "")
        except ValueError:
            raise StoreError(f"{self._url}: {key} holds {found!r}, not a version") from None
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self._url}: the store has layout version {version}, newer than this "
                f"program ({SCHEMA_VERSION}); refusing to touch it"
            )

    async def close(self) -> None:
        await self._redis.aclose()

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"{self._url}: Redis is not answering: {exc}") from None
        except RedisError as exc:
            raise StoreError(f"{self._url}: Redis refused a store command: {exc}") from None

    def _key(self, *parts: str) -> str:
        return self._names.store(*parts)

    async def _json_by_id(self, kind: str, ids: Sequence[str]) -> list[Any]:
        """The JSON documents kept as ``{kind}:{id}`` for these ids, in their order (missing
        ones left out)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for an_id in ids:
                pipe.get(self._key(kind, an_id))
            found: list[str | None] = await pipe.execute()
        return [json.loads(raw) for raw in found if raw]

    async def ping(self) -> bool:
        """True when Redis answers."""
        try:
            async with self._errors():
                return bool(await self._redis.ping())
        except StoreUnavailable:
            return False

    async def schema_version(self) -> int:
        async with self._errors():
            return int(await self._redis.get(self._key("schema")) or 0)

    # --- identities and accounts ---------------------------------------------------------

    async def remember_identity(self, identity: Identity, now: float | None = None) -> None:
        """Record that an identity was seen (insert, or update name and last-seen time)."""
        at = time.time() if now is None else now
        async with self._errors():
            await self._remember_identity(
                keys=[self._key("identity", identity.id)],
                args=[identity.id, identity.name, int(identity.guest), _number(at)],
            )

    async def identity_exists(self, identity_id: str) -> bool:
        async with self._errors():
            return bool(await self._redis.exists(self._key("identity", identity_id)))

    async def create_account(
        self, username: str, password: str, role: Role, display_name: str, advisor: bool = False
    ) -> Identity:
        """A new facilitator/staff (or visitor) account that logs in with a password;
        ``advisor``: marked as one who sits consulting hours."""
        hashed = await asyncio.to_thread(hash_password, password)
        identity = new_account_identity(display_name, role)
        async with self._errors():
            created = await self._create_account(
                keys=[
                    self._key("account", fold_username(username)),
                    self._key("identity", identity.id),
                    self._key("accounts"),
                ],
                args=[
                    username,
                    identity.id,
                    display_name,
                    hashed,
                    role.value,
                    _number(time.time()),
                    "1" if advisor else "0",
                ],
            )
        if not created:
            raise StoreError(f"an account named {username!r} exists already")
        return identity

    async def login(self, username: str, password: str) -> Identity | None:
        """The account's identity when the password is right, else None."""
        async with self._errors():
            account = cast(
                dict[str, str],
                await self._redis.hgetall(self._key("account", fold_username(username))),
            )
            name: str | None = None
            if account:
                name = cast(
                    str | None,
                    await self._redis.hget(
                        self._key("identity", account["identity_id"]), "display_name"
                    ),
                )
        if not account or name is None:
            await asyncio.to_thread(check_password, password, hash_password("timing-equaliser"))
            return None
        if not await asyncio.to_thread(check_password, password, account["password_hash"]):
            return None
        if account.get("disabled") == "1":
            raise AccountDisabled(f"the account {username!r} is disabled")
        return Identity(account["identity_id"], name, Role(account["role"]), guest=False)

    async def list_accounts(self) -> list[dict[str, Any]]:
        async with self._errors():
            keys = sorted(await self._redis.smembers(self._key("accounts")))
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hgetall(key)
                accounts: list[dict[str, str]] = await pipe.execute()
            async with self._redis.pipeline(transaction=False) as pipe:
                for account in accounts:
                    pipe.hget(self._key("identity", account.get("identity_id", "")), "display_name")
                names: list[str | None] = await pipe.execute()
        rows: list[dict[str, Any]] = [
            {
                "username": account["username"],
                "role": account["role"],
                "display_name": name,
                "id": account["identity_id"],
                "created_at": float(account["created_at"]),
                "disabled": account.get("disabled") == "1",
                "advisor": _advisor(account),
            }
            for account, name in zip(accounts, names, strict=True)
            if account and name is not None
        ]
        rows.sort(key=lambda row: fold_username(str(row["username"])).encode())
        return rows

    async def account_role(self, identity_id: str) -> Role | None:
        async with self._errors():
            role = await self._account_role(keys=[self._key("identity", identity_id)])
        return Role(role) if role else None

    async def account_identity(self, identity_id: str) -> Identity | None:
        """The identity of an account as it is now (role, display name); None when there
        is no such account or it is disabled."""
        async with self._errors():
            person = cast(
                dict[str, str], await self._redis.hgetall(self._key("identity", identity_id))
            )
            key = person.get("_account_key")
            account = cast(dict[str, str], await self._redis.hgetall(key)) if key else {}
        if not account or account.get("disabled") == "1":
            return None
        return Identity(identity_id, person["display_name"], Role(account["role"]), guest=False)

    async def _set_account(self, username: str, field: str, value: str) -> str | None:
        async with self._errors():
            found = await self._set_account_field(
                keys=[self._key("account", fold_username(username))], args=[field, value]
            )
        return str(found) if found else None

    async def set_account_disabled(self, username: str, disabled: bool) -> str | None:
        """Disable (or enable again) an account; its identity id, or None if there is none."""
        return await self._set_account(username, "disabled", "1" if disabled else "0")

    async def set_account_advisor(self, username: str, advisor: bool) -> str | None:
        """Mark an account as advisor (or not); its identity id, or None if there is none."""
        return await self._set_account(username, "advisor", "1" if advisor else "0")

    async def set_password(self, username: str, password: str) -> str | None:
        """Give an account a new password; its identity id, or None if there is none."""
        hashed = await asyncio.to_thread(hash_password, password)
        return await self._set_account(username, "password_hash", hashed)

    async def remove_account(self, username: str) -> str | None:
        """Remove an account and erase its person as ``delete_identity`` does; the identity
        id it had, or None if there is no such account."""
        async with self._errors():
            found = await self._redis.hget(
                self._key("account", fold_username(username)), "identity_id"
            )
        if not found:
            return None
        await self.delete_identity(str(found))
        return str(found)

    # --- token generations (revocation) --------------------------------------------------

    async def revoke_tokens(self, identity_id: str, at: float) -> int:
        """Revoke every token of an identity issued so far; the new generation."""
        async with self._errors():
            return int(await self._redis.hincrby(self._key("token-generations"), identity_id, 1))

    async def token_generations(self) -> dict[str, int]:
        """Identity id -> token generation, for every identity whose tokens were revoked
        (the others are at generation 0)."""
        async with self._errors():
            found = cast(dict[str, str], await self._redis.hgetall(self._key("token-generations")))
        return {identity: int(generation) for identity, generation in found.items()}

    # --- chat ----------------------------------------------------------------------------

    async def add_chat(self, record: ChatRecord) -> None:
        await self.add_chats([record])

    async def add_chats(self, records: Sequence[ChatRecord]) -> None:
        """Keep chat messages with one script (atomic: all or none). When this returns,
        Redis has them; how long they survive a crash of Redis is its ``appendfsync``
        setting (see the module docstring)."""
        keys: list[str] = []
        args: list[str | int] = []
        for record in records:
            direct = record.to_id is not None
            keys += [
                self._key("chat-msg", record.id),
                self._key("chat-all"),
                self._key("chat-seq"),
                "" if direct else self._key("chat-room", record.room, str(record.instance)),
                self._key("chat-of", record.sender_id),
                self._key("chat-of", record.to_id) if record.to_id is not None else "",
            ]
            args += [
                record.id,
                record.room,
                record.instance,
                record.sender_id,
                record.sender_name,
                record.text,
                record.to_id or "",
                _number(record.ts),
                "1" if direct else "0",
            ]
        if records:
            async with self._errors():
                await self._add_chats(keys=keys, args=args)

    async def recent_chat(self, room: str, instance: int, limit: int) -> list[ChatRecord]:
        """The last ``limit`` room messages (not direct ones), oldest first."""
        if limit == 0:
            return []
        stop = limit - 1 if limit > 0 else -1  # SQLite reads a negative LIMIT as none
        async with self._errors():
            refs = await self._redis.zrevrange(self._key("chat-room", room, str(instance)), 0, stop)
            messages = await self._messages(reversed(refs))
        return [_chat_record(m) for m in messages]

    async def _messages(self, refs: Any) -> list[dict[str, str]]:
        """The messages (those still kept) that chat index members name."""
        return await self._rows([ref[16:] for ref in refs])

    async def purge_chat(self, older_than: float) -> int:
        """Delete messages older than the retention limit; returns how many."""
        removed = 0
        async with self._errors():
            while True:
                count = int(
                    await self._purge_chat(
                        keys=[self._key("chat-all")], args=[_number(older_than), PURGE_BATCH]
                    )
                )
                removed += count
                if count < PURGE_BATCH:
                    return removed

    # --- a person's own data (GDPR: access and erasure) ----------------------------------

    async def export_identity(self, identity_id: str) -> dict[str, Any]:
        """Everything stored about one person, JSON-ready."""
        async with self._errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(self._key("identity", identity_id))
                pipe.zrange(self._key("chat-of", identity_id), 0, -1)
                pipe.zrange(self._key("progress-of", identity_id), 0, -1)
                person, refs, rows = await pipe.execute()
            account = None
            if person.get("_account_key"):
                account = await self._redis.hgetall(person["_account_key"])
            messages = await self._messages(refs)
            progress = await self._rows(rows)
            attendance = await self._attendance_rows(identity_id)
            kept_polls = await self.live_states(POLLS)
            registrations = await self._registration_rows(identity_id)
            signups = await self._offer_signup_rows(identity_id)
            profile = await self._redis.get(self._key("profile", identity_id))
            consulting_notes = await self._redis.hget(
                self._key(f"live:{CONSULTING_KIND}"), identity_id
            )
        return {
            "identity": _identity_row(person) if person else None,
            "account": (
                {
                    "username": account["username"],
                    "role": account["role"],
                    "created_at": float(account["created_at"]),
                    "advisor": _advisor(account),
                }
                if account
                else None
            ),
            "chat_messages": [_chat_row(m) for m in messages],
            "board_notes": notes_by(await self.live_states(BOARD_KIND), identity_id),
            "teams": teams_of(await self.live_states(TEAM_KIND), identity_id),
            "station_progress": [_progress_row(r) for r in progress],
            "workshop_attendance": attendance,
            "poll_answers": [
                answer
                for key, data in sorted(kept_polls.items())
                for answer in answers_of(key, data, identity_id)
            ],
            "workshop_registrations": registrations,
            "offer_signups": signups,
            "profile": json.loads(profile) if profile else None,
            "consulting": consulting_export(
                json.loads(consulting_notes) if consulting_notes else None,
                await self.live_states(CONSULTING_SLOTS_KIND),
                identity_id,
            ),
        }

    async def _take_out_of_documents(self, kind: str, identity_id: str) -> None:
        """Take a person out of the kept documents of one kind as PERSON_OUT_OF_DOCUMENTS
        says (rewritten only if not changed meanwhile: WATCH)."""
        key = self._key(f"live:{kind}")
        take_out = PERSON_OUT_OF_DOCUMENTS[kind]
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    found = cast(dict[str, str], await pipe.hgetall(key))
                    documents = {name: json.loads(raw) for name, raw in found.items()}
                    changed, gone = take_out(documents, identity_id)
                    pipe.multi()
                    for name, data in changed.items():
                        pipe.hset(key, name, json.dumps(data, ensure_ascii=False))
                    if gone:
                        pipe.hdel(key, *gone)
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    async def delete_identity(self, identity_id: str) -> None:
        """Erase a person: their identity, account, progress and every chat message they
        sent or got."""
        for kind in PERSON_OUT_OF_DOCUMENTS:
            await self._take_out_of_documents(kind, identity_id)
        # both scripts in one MULTI/EXEC: a person is erased whole or not at all
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            await self._delete_identity(
                keys=[
                    self._key("identity", identity_id),
                    self._key("chat-of", identity_id),
                    self._key("chat-all"),
                    self._key("progress-of", identity_id),
                    self._key("progress-people"),
                    self._key("accounts"),
                ],
                args=[identity_id],
                client=pipe,
            )
            await self._erase_attendance(
                keys=[self._key("attendance-of", identity_id)], args=[identity_id], client=pipe
            )
            for signups in (_REGISTRATIONS, _OFFER_SIGNUPS):
                await self._erase_from_signup_lists(
                    keys=[self._key(signups.of_person, identity_id)],
                    args=[
                        identity_id,
                        self._key(signups.order, ""),
                        self._key(signups.records, ""),
                    ],
                    client=pipe,
                )
            pipe.delete(self._key("profile", identity_id))
            pipe.hdel(self._key(f"live:{CONSULTING_KIND}"), identity_id)
            await pipe.execute()

    # --- learning-station progress -------------------------------------------------------

    async def record_progress(self, records: Sequence[ProgressRecord]) -> None:
        """Persist station events in one script run (first open, quiz tries and passes,
        experiment runs); the first pass and first run keep their time."""
        if not records:
            return
        keys = [self._key("progress-people"), self._key("token-generations")]
        args: list[str | int] = []
        for record in records:
            keys += [
                self._key("identity", record.identity_id),
                self._key("progress-row", record.identity_id, record.station_id),
                self._key("progress-of", record.identity_id),
            ]
            args += [
                record.identity_id,
                record.display_name,
                int(record.guest),
                record.station_id,
                record.event.value,
                _number(record.at),
            ]
        async with self._errors():
            await self._record_progress(keys=keys, args=args)

    async def _rows(self, row_keys: Sequence[str]) -> list[dict[str, str]]:
        """The hashes kept under these keys, in their order (missing ones left out)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in row_keys:
                pipe.hgetall(key)
            found: list[dict[str, str]] = await pipe.execute()
        return [row for row in found if row]

    async def progress_of(self, identity_id: str) -> list[StationProgress]:
        """One person's progress at every station they opened."""
        async with self._errors():
            row_keys = await self._redis.zrange(self._key("progress-of", identity_id), 0, -1)
            rows = await self._rows(cast(list[str], row_keys))
        return [_station_progress(row) for row in rows]

    async def progress_of_many(
        self, identity_ids: Sequence[str]
    ) -> dict[str, tuple[str, list[StationProgress]]]:
        """Display name and progress of each known identity among ``identity_ids``."""
        return {
            identity_id: (name, [_station_progress(row) for row in rows])
            for identity_id, name, rows in await self._people(list(dict.fromkeys(identity_ids)))
        }

    async def _people(self, ids: Sequence[str]) -> list[tuple[str, str, list[dict[str, str]]]]:
        """Each known identity among ``ids`` with its name and progress rows."""
        async with self._errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                for identity_id in ids:
                    pipe.hget(self._key("identity", identity_id), "display_name")
                    pipe.zrange(self._key("progress-of", identity_id), 0, -1)
                found = await pipe.execute()
            known = [
                (identity_id, found[2 * i], found[2 * i + 1])
                for i, identity_id in enumerate(ids)
                if found[2 * i] is not None
            ]
            rows = await self._rows([key for _, _, keys in known for key in keys])
        by_person: dict[str, list[dict[str, str]]] = {
            identity_id: [] for identity_id, _, _ in known
        }
        for row in rows:
            by_person[row["identity_id"]].append(row)
        return [(identity_id, name, by_person[identity_id]) for identity_id, name, _ in known]

    async def all_progress(self) -> list[ExportRow]:
        """Every stored station row with its person's display name, for the staff export."""
        async with self._errors():
            ids = sorted(cast(set[str], await self._redis.smembers(self._key("progress-people"))))
        people = await self._people(ids)
        people.sort(key=lambda person: (person[1], person[0]))
        return [
            ExportRow(identity_id, name, _station_progress(row))
            for identity_id, name, rows in people
            for row in rows
        ]

    # --- workshops and series ------------------------------------------------------------

    async def save_workshop(self, workshop: Workshop) -> None:
        """Insert or replace a workshop."""
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key("workshop", workshop.id), _json(workshop.record()))
            pipe.zadd(self._key("workshops"), {workshop.id: workshop.ends_at})
            await pipe.execute()

    async def workshop(self, workshop_id: str) -> Workshop | None:
        async with self._errors():
            found = await self._redis.get(self._key("workshop", workshop_id))
        return Workshop.from_record(json.loads(found)) if found else None

    async def list_workshops(self, ending_after: float | None = None) -> list[Workshop]:
        """Every workshop (or those ending after a time), soonest first."""
        low = "-inf" if ending_after is None else f"({_number(ending_after)}"
        async with self._errors():
            ids = cast(
                list[str], await self._redis.zrangebyscore(self._key("workshops"), low, "+inf")
            )
            found = await self._json_by_id("workshop", ids)
        workshops = [Workshop.from_record(data) for data in found]
        workshops.sort(key=lambda w: (w.starts_at, w.id.encode()))
        return workshops

    async def delete_workshop(self, workshop_id: str) -> bool:
        """Remove a workshop, its registrations and its polls."""
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("workshop", workshop_id))
            pipe.zrem(self._key("workshops"), workshop_id)
            pipe.delete(self._key("registrations", workshop_id))
            pipe.delete(self._key("registration", workshop_id))
            pipe.hdel(self._key(f"live:{POLLS}"), workshop_id)
            deleted, *_ = await pipe.execute()
        return bool(deleted)

    async def save_series(self, series: Series) -> None:
        """Insert or replace a series definition (its sessions are saved as workshops)."""
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key("series", series.id), _json(series.record()))
            pipe.sadd(self._key("series-all"), series.id)
            await pipe.execute()

    async def list_series(self) -> list[Series]:
        async with self._errors():
            ids = sorted(
                cast(set[str], await self._redis.smembers(self._key("series-all"))),
                key=str.encode,
            )
            found = await self._json_by_id("series", ids)
        return [Series.from_record(data) for data in found]

    async def delete_series(self, series_id: str) -> bool:
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("series", series_id))
            pipe.srem(self._key("series-all"), series_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    # --- attendance ------------------------------------------------------------------------

    async def record_attendance(self, events: Sequence[AttendanceEvent]) -> None:
        """Keep join and leave times of workshop participants (erased with the person)."""
        if not events:
            return
        keys = [self._key("attendance-seq"), self._key("token-generations")]
        args: list[str | int] = []
        for item in events:
            keys += [
                self._key("identity", item.identity_id),
                self._key("attendance", item.workshop_id),
                self._key("attendance-of", item.identity_id),
            ]
            event = {
                "workshop_id": item.workshop_id,
                "identity_id": item.identity_id,
                "display_name": item.display_name,
                "joined": item.joined,
                "at": item.at,
            }
            args += [
                item.identity_id,
                item.display_name,
                int(item.guest),
                _json(event),
                _number(item.at),
            ]
        async with self._errors():
            await self._record_attendance(keys=keys, args=args)

    async def attendance_of(self, workshop_id: str) -> list[AttendanceEvent]:
        """A workshop's attendance events in the order they happened."""
        async with self._errors():
            raw = await self._redis.lrange(self._key("attendance", workshop_id), 0, -1)
            events = [json.loads(item) for item in raw]
            async with self._redis.pipeline(transaction=False) as pipe:
                for event in events:
                    pipe.hget(self._key("identity", event["identity_id"]), "guest")
                guests: list[str | None] = await pipe.execute()
        rows = sorted(zip(events, guests, strict=True), key=lambda p: (p[0]["at"], p[0]["seq"]))
        return [
            AttendanceEvent(
                event["workshop_id"],
                event["identity_id"],
                event["display_name"],
                guest == "1",
                bool(event["joined"]),
                float(event["at"]),
            )
            for event, guest in rows
            if guest is not None
        ]

    async def _attendance_rows(self, identity_id: str) -> list[dict[str, Any]]:
        """One person's attendance events (for the export of their data)."""
        lists = sorted(
            cast(set[str], await self._redis.smembers(self._key("attendance-of", identity_id)))
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in lists:
                pipe.lrange(key, 0, -1)
            found: list[list[str]] = await pipe.execute()
        events = [
            event
            for raw in found
            for item in raw
            if (event := json.loads(item))["identity_id"] == identity_id
        ]
        events.sort(key=lambda e: (e["at"], e["seq"]))
        return [
            {
                "workshop_id": e["workshop_id"],
                "identity_id": e["identity_id"],
                "display_name": e["display_name"],
                "joined": bool(e["joined"]),
                "at": float(e["at"]),
            }
            for e in events
        ]

    # --- registrations ----------------------------------------------------------------------

    async def register(self, registration: Registration) -> bool:
        """Put a person at the end of a workshop's registrations (one script: two at once
        are ordered, never tied); False if they were registered already."""
        r = registration
        added = await self._add_to(
            _REGISTRATIONS,
            r.workshop_id,
            r.identity_id,
            {"display_name": r.display_name, "guest": r.guest, "at": r.at},
            r.display_name,
            r.guest,
            r.at,
            limit=None,
        )
        return added == "added"

    async def unregister(self, workshop_id: str, identity_id: str) -> bool:
        """Take a registration back; False if there was none."""
        return await self._take_off(_REGISTRATIONS, workshop_id, identity_id)

    async def registrations_of(self, workshop_id: str) -> list[Registration]:
        """A workshop's registrations in the order they came."""
        return [
            Registration(
                workshop_id,
                identity_id,
                data["display_name"],
                bool(data["guest"]),
                float(data["at"]),
            )
            for identity_id, data in await self._signup_records(_REGISTRATIONS, workshop_id)
        ]

    async def _registration_rows(self, identity_id: str) -> list[dict[str, Any]]:
        """One person's registrations (for the export of their data)."""
        rows = [
            {"workshop_id": workshop_id, **{k: v for k, v in data.items() if k != "guest"}}
            for workshop_id, data, _ in await self._signups_of(_REGISTRATIONS, identity_id)
        ]
        return sorted(rows, key=lambda row: row["at"])

    # --- sign-ups for offers ----------------------------------------------------------------

    async def sign_up_for_offer(self, signup: OfferSignup, limit: int | None) -> str:
        """Add a sign-up unless the offer has ``limit`` sign-ups (its seats and waiting list)
        already (one script: two at once for the last place never both get it).
        ``"added"``, ``"already"``, ``"full"`` or ``"erased"``."""
        s = signup
        return await self._add_to(
            _OFFER_SIGNUPS,
            s.offer_id,
            s.identity_id,
            {"name": s.name, "contact": s.contact, "at": s.at},
            s.name,
            True,
            s.at,
            limit,
        )

    async def cancel_offer_signup(self, offer_id: str, identity_id: str) -> bool:
        """Take a sign-up back; False if there was none."""
        return await self._take_off(_OFFER_SIGNUPS, offer_id, identity_id)

    async def offer_signups(self, offer_id: str) -> list[OfferSignup]:
        """An offer's sign-ups in the order they came."""
        return [
            OfferSignup(offer_id, identity_id, data["name"], data["contact"], float(data["at"]))
            for identity_id, data in await self._signup_records(_OFFER_SIGNUPS, offer_id)
        ]

    async def _offer_signup_rows(self, identity_id: str) -> list[dict[str, Any]]:
        """One person's sign-ups (for the export of their data), in the order they came."""
        rows = await self._signups_of(_OFFER_SIGNUPS, identity_id)
        return [
            {"offer_id": offer_id, **data}
            for offer_id, data, _ in sorted(rows, key=lambda row: row[2] or 0)
        ]

    # --- the sign-up lists both of them are -------------------------------------------------

    async def _add_to(
        self,
        signups: _SignupList,
        list_id: str,
        identity_id: str,
        record: dict[str, Any],
        display_name: str,
        guest: bool,
        at: float,
        limit: int | None,
    ) -> str:
        """Put a person's record at the end of a list unless they are erased (not brought
        back), on it already, or it holds ``limit`` people; ``"added"``, ``"already"``,
        ``"full"`` or ``"erased"``."""
        async with self._errors():
            result = await self._add_to_signup_list(
                keys=[
                    self._key(signups.order, list_id),
                    self._key(signups.records, list_id),
                    self._key(signups.seq),
                    self._key(signups.of_person, identity_id),
                    self._key("identity", identity_id),
                    self._key("token-generations"),
                ],
                args=[
                    identity_id,
                    _json(record),
                    list_id,
                    display_name,
                    int(guest),
                    _number(at),
                    -1 if limit is None else limit,
                ],
            )
        return str(result)

    async def _take_off(self, signups: _SignupList, list_id: str, identity_id: str) -> bool:
        """Take a person off a list; False if they were not on it."""
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._key(signups.order, list_id), identity_id)
            pipe.hdel(self._key(signups.records, list_id), identity_id)
            pipe.srem(self._key(signups.of_person, identity_id), list_id)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def _signup_records(
        self, signups: _SignupList, list_id: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """A list's people and their records, in the order they came."""
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.zrange(self._key(signups.order, list_id), 0, -1)
            pipe.hgetall(self._key(signups.records, list_id))
            ids, records = await pipe.execute()
        return [
            (identity_id, json.loads(raw))
            for identity_id in ids
            if (raw := records.get(identity_id)) is not None
        ]

    async def _signups_of(
        self, signups: _SignupList, identity_id: str
    ) -> list[tuple[str, dict[str, Any], float | None]]:
        """One person's records on every list of a kind, with each list's id and the record's
        place (its seq), by list id."""
        list_ids = sorted(
            cast(set[str], await self._redis.smembers(self._key(signups.of_person, identity_id)))
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for list_id in list_ids:
                pipe.hget(self._key(signups.records, list_id), identity_id)
                pipe.zscore(self._key(signups.order, list_id), identity_id)
            found: list[Any] = await pipe.execute()
        return [
            (list_id, json.loads(raw), seq)
            for list_id, raw, seq in zip(list_ids, found[0::2], found[1::2], strict=True)
            if raw is not None
        ]

    # --- profiles of people to meet -------------------------------------------------------

    async def save_profile(self, identity_id: str, data: dict[str, Any], at: float) -> bool:
        """Keep a person's profile (replacing the one before); False for an erased person."""
        async with self._errors():
            kept = await self._save_profile(
                keys=[
                    self._key("identity", identity_id),
                    self._key("token-generations"),
                    self._key("profile", identity_id),
                ],
                args=[identity_id, _json({**data, "updated_at": at}), _number(at)],
            )
        return bool(kept)

    async def profiles_of(self, identity_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The kept profiles of these people (those without one are left out)."""
        wanted = list(dict.fromkeys(identity_ids))
        if not wanted:
            return {}
        async with self._errors():
            found = await self._redis.mget([self._key("profile", i) for i in wanted])
        out: dict[str, dict[str, Any]] = {}
        for identity_id, raw in zip(wanted, found, strict=True):
            if raw is not None:
                data = json.loads(raw)
                data.pop("updated_at", None)
                out[identity_id] = data
        return out

    # --- bans and the audit log ------------------------------------------------------------

    async def add_ban(self, ban: Ban) -> None:
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._key("ban", ban.id), _json(ban.as_dict()))
            pipe.zadd(self._key("bans"), {ban.id: ban.created_at})
            await pipe.execute()

    async def bans(self, active_at: float | None = None) -> list[Ban]:
        """Every ban (or those in force at a time), oldest first."""
        async with self._errors():
            ids = cast(list[str], await self._redis.zrange(self._key("bans"), 0, -1))
            found = await self._json_by_id("ban", ids)
        bans = [Ban.from_dict(data) for data in found]
        bans.sort(key=lambda b: (b.created_at, b.id.encode()))
        return [b for b in bans if active_at is None or b.active(active_at)]

    async def lift_ban(self, ban_id: str) -> Ban | None:
        """Remove a ban; the ban as it was, or None if there was none."""
        async with self._errors():
            found = await self._lift_ban(
                keys=[self._key("ban", ban_id), self._key("bans")], args=[ban_id]
            )
        return Ban.from_dict(json.loads(found)) if found else None

    async def add_audit(self, entry: AuditEntry) -> None:
        async with self._errors():
            await self._add_audit(
                keys=[
                    self._key("audit-entry", entry.id),
                    self._key("audit"),
                    self._key("audit-seq"),
                ],
                args=[entry.id, _number(entry.at), _json(entry.as_dict())],
            )

    async def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` moderation actions, newest first."""
        if limit <= 0:
            return []
        async with self._errors():
            refs = cast(
                list[tuple[str, float]],
                await self._redis.zrevrange(self._key("audit"), 0, limit - 1, withscores=True),
            )
            async with self._redis.pipeline(transaction=False) as pipe:
                for ref, _ in refs:
                    pipe.get(self._key("audit-entry", ref[16:]))
                found: list[str | None] = await pipe.execute()
        ordered = sorted(
            ((score, ref, raw) for (ref, score), raw in zip(refs, found, strict=True) if raw),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        return [AuditEntry.from_dict(json.loads(raw)) for _, _, raw in ordered]

    async def purge_audit(self, older_than: float) -> int:
        """Delete audit entries older than the retention limit; returns how many."""
        removed = 0
        prefix = self._key("audit-entry", "")
        async with self._errors():
            while True:
                count = int(
                    await self._purge_audit(
                        keys=[self._key("audit")],
                        args=[_number(older_than), PURGE_BATCH, prefix],
                    )
                )
                removed += count
                if count < PURGE_BATCH:
                    return removed

    # --- mutes and room settings -----------------------------------------------------------

    async def set_mute(self, identity_id: str, until: float | None, by_id: str, at: float) -> None:
        """Mute someone's chat until ``until`` (None: until lifted), replacing a mute they
        had; mutes that ended by ``at`` are dropped on the way."""
        mute = _json({"until": until, "by_id": by_id, "at": at})
        async with self._errors():
            await self._set_mute(keys=[self._key("mutes")], args=[identity_id, mute, _number(at)])

    async def lift_mute(self, identity_id: str) -> bool:
        """End someone's mute; whether there was one."""
        async with self._errors():
            return bool(await self._redis.hdel(self._key("mutes"), identity_id))

    async def active_mutes(self, now: float) -> dict[str, float | None]:
        """Identity id -> muted until (None: until lifted), for the mutes in force at ``now``."""
        async with self._errors():
            found = cast(dict[str, str], await self._redis.hgetall(self._key("mutes")))
        mutes: dict[str, float | None] = {}
        for identity_id in sorted(found):
            until = _optional_float(json.loads(found[identity_id])["until"])
            if until is None or until > now:
                mutes[identity_id] = until
        return mutes

    async def save_room_settings(self, room: str, settings: dict[str, Any] | None) -> None:
        """Keep what a room allows (a JSON-ready mapping); None forgets it (the usual)."""
        async with self._errors():
            if settings is None:
                await self._redis.hdel(self._key("room-settings"), room)
            else:
                await self._redis.hset(
                    self._key("room-settings"),
                    room,
                    json.dumps(settings, ensure_ascii=False, sort_keys=True),
                )

    async def room_settings(self) -> dict[str, dict[str, Any]]:
        """Room id -> its kept settings, for every room that has some."""
        async with self._errors():
            found = cast(dict[str, str], await self._redis.hgetall(self._key("room-settings")))
        return {room: json.loads(found[room]) for room in sorted(found)}

    async def save_live_states(self, changes: Sequence[LiveStateChange]) -> None:
        """Keep (or, data None, forget) live documents, all at once (MULTI/EXEC)."""
        if not changes:
            return
        async with self._errors(), self._redis.pipeline(transaction=True) as pipe:
            for change in changes:
                key = self._key(f"live:{change.kind}")
                if change.data is None:
                    pipe.hdel(key, change.key)
                else:
                    pipe.hset(key, change.key, json.dumps(change.data, ensure_ascii=False))
            await pipe.execute()

    async def change_live_state(
        self,
        kind: str,
        key: str,
        change: Callable[[dict[str, Any] | None], dict[str, Any] | None],
    ) -> dict[str, Any] | None:
        """Change one live document atomically (compare-and-set, see the module
        docstring): ``change`` gets the kept document (None when there is none) and returns
        the one to keep (None forgets it), or raises (nothing is written). It runs again
        when the document changed meanwhile, so it must have no other effects. Returns the
        document kept now; ``LiveStateContended`` after ``LIVE_CHANGE_TRIES`` lost tries."""
        hash_key = self._key(f"live:{kind}")
        for tries in range(LIVE_CHANGE_TRIES):
            async with self._errors():
                read = cast(str | None, await self._redis.hget(hash_key, key))
            after = change(None if read is None else json.loads(read))
            text = "" if after is None else json.dumps(after, ensure_ascii=False)
            if text == (read or ""):
                return after
            async with self._errors():
                written = await self._change_live_state(
                    keys=[hash_key], args=[key, read or "", text]
                )
            if written:
                return after
            # the others that read alongside this try should not meet it again at once
            await asyncio.sleep(random.uniform(0, min(LIVE_CHANGE_PAUSE_S * 2**tries, 0.05)))
        raise LiveStateContended(
            f"{self._url}: the live document {kind}/{key} kept changing; try again"
        )

    async def live_states(self, kind: str) -> dict[str, dict[str, Any]]:
        """Key -> the kept live document, for every one of ``kind``."""
        async with self._errors():
            found = cast(dict[str, str], await self._redis.hgetall(self._key(f"live:{kind}")))
        return {key: json.loads(found[key]) for key in sorted(found)}


def _identity_row(person: dict[str, str]) -> dict[str, Any]:
    return {
        "id": person["id"],
        "display_name": person["display_name"],
        "guest": int(person["guest"]),
        "created_at": float(person["created_at"]),
        "last_seen_at": float(person["last_seen_at"]),
    }


def _chat_row(message: dict[str, str]) -> dict[str, Any]:
    return {
        "id": message["id"],
        "room": message["room"],
        "instance": int(message["instance"]),
        "sender_id": message["sender_id"],
        "sender_name": message["sender_name"],
        "text": message["text"],
        "to_id": message.get("to_id"),
        "ts": float(message["ts"]),
    }


def _chat_record(message: dict[str, str]) -> ChatRecord:
    return ChatRecord(**_chat_row(message))


def _progress_row(row: dict[str, str]) -> dict[str, Any]:
    return {
        "identity_id": row["identity_id"],
        "station_id": row["station_id"],
        "opened_at": float(row["opened_at"]),
        "quiz_attempts": int(row["quiz_attempts"]),
        "quiz_passed_at": _optional_float(row.get("quiz_passed_at")),
        "experiment_runs": int(row["experiment_runs"]),
        "experiment_done_at": _optional_float(row.get("experiment_done_at")),
        "updated_at": float(row["updated_at"]),
    }


def _station_progress(row: dict[str, str]) -> StationProgress:
    return from_row(StationProgress, _progress_row(row))
