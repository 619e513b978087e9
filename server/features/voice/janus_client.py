"""Talking to one Janus over its WebSocket API (JSON): sessions, handles, plugin messages.

``JanusLink`` is one WebSocket to a Janus API (``janus-protocol``) or admin API
(``janus-admin-protocol``). ``request`` sends one Janus request and returns its answer;
``message`` sends a plugin message on a handle and returns the plugin's answer and its
JSEP (an asynchronous plugin request's "ack" is skipped, its "event" is the answer).
Whatever Janus sends without being asked (an offer after a publisher left, "webrtcup",
"hangup", "media") goes to ``on_event(handle_id, message)``. Sessions are kept alive with
a keepalive every ``KEEPALIVE_S``. A closed link fails every waiting request with
``JanusGone`` and calls ``on_closed``.

Requests go out in two lanes (``server/features/voice/janus_lanes.py``): ``urgent=True`` ones (what
a facilitator's mute, a removal or a ban needs, and the link's own ping and keepalive) at
once; routine ones at most ``window`` unanswered at a time, the rest waiting their turn in
the hub, so an urgent request never waits behind a crowd of routine ones.

A Janus that hangs (stopped, stuck) keeps its socket open, and the WebSocket's own ping
would notice only after about 40 s. With ``ping_s`` the link asks Janus ``ping`` every
``ping_s`` seconds itself; without a ``pong`` within ``ping_timeout_s`` the link counts as
``hung`` and is closed at once (its socket aborted, no closing handshake), so whoever
uses it treats that Janus as lost within a few seconds.

>>> link = await JanusLink.open(url, api_secret=secret, token=token)    # doctest: +SKIP
>>> session = await link.create_session()                               # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from server.features.voice.janus_lanes import ROUTINE_WINDOW, RequestLanes, Ticket

log = logging.getLogger("hubtwin.janus")


KEEPALIVE_S: Final = 20.0
REQUEST_TIMEOUT_S: Final = 10.0
#: how often the hub asks each Janus whether it still answers, and how long it waits
PING_S: Final = 2.0
PING_TIMEOUT_S: Final = 2.0


class JanusGone(Exception):
    """The link to Janus is closed (Janus died or was restarted)."""


class JanusError(Exception):
    """Janus or its plugin refused a request."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


class JanusLink:
    """One WebSocket to Janus (see the module docstring)."""

    def __init__(
        self,
        ws: ClientConnection,
        *,
        api_secret: str | None = None,
        token: str | None = None,
        admin_secret: str | None = None,
        ping_s: float | None = None,
        ping_timeout_s: float = PING_TIMEOUT_S,
        window: int = ROUTINE_WINDOW,
    ) -> None:
        self.ws = ws
        self.lanes = RequestLanes(window)
        self._turns: dict[int, asyncio.Future[None]] = {}
        self.api_secret = api_secret
        self.token = token
        self.admin_secret = admin_secret
        self.on_event: Callable[[int, dict[str, Any]], None] | None = None
        self.on_closed: Callable[[], None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        #: requests Janus answers with an "ack" alone (trickle, keepalive)
        self._ack_answers: set[str] = set()
        self._sessions: set[int] = set()
        self.closed = False
        #: Janus did not answer a ping in time (the link was closed for it)
        self.hung = False
        self._heard = time.monotonic()
        self._reader = asyncio.create_task(self._read(), name="janus-reader")
        self._keepalive = asyncio.create_task(self._keep_alive(), name="janus-keepalive")
        self._watch: asyncio.Task[None] | None = None
        if ping_s is not None and ping_s > 0:
            self._watch = asyncio.create_task(
                self._watch_answers(ping_s, ping_timeout_s), name="janus-ping"
            )

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        admin: bool = False,
        api_secret: str | None = None,
        token: str | None = None,
        admin_secret: str | None = None,
        ping_s: float | None = None,
        ping_timeout_s: float = PING_TIMEOUT_S,
    ) -> JanusLink:
        protocol = Subprotocol("janus-admin-protocol" if admin else "janus-protocol")
        ws = await connect(url, subprotocols=[protocol], open_timeout=5, max_size=2**22)
        return cls(
            ws,
            api_secret=api_secret,
            token=token,
            admin_secret=admin_secret,
            ping_s=ping_s,
            ping_timeout_s=ping_timeout_s,
        )

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self._heard = time.monotonic()
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                self._dispatch(message)
        except ConnectionClosed:
            pass
        finally:
            self.closed = True
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(JanusGone("janus closed the connection"))
                    future.exception()  # whoever waits gets it; nobody waiting is no error
            self._pending.clear()
            for turn in self._turns.values():  # waiting routine requests fail as they go
                if not turn.done():
                    turn.set_result(None)
            self._keepalive.cancel()
            if self._watch is not None and self._watch is not asyncio.current_task():
                self._watch.cancel()
            if self.on_closed is not None:
                self.on_closed()

    def _dispatch(self, message: dict[str, Any]) -> None:
        transaction = message.get("transaction")
        kind = message.get("janus")
        future = self._pending.get(transaction) if isinstance(transaction, str) else None
        if future is not None and (kind != "ack" or transaction in self._ack_answers):
            self._pending.pop(transaction, None)  # type: ignore[arg-type]
            if not future.done():
                future.set_result(message)
            return
        if future is not None:
            return  # the ack of an asynchronous request: its event follows
        sender = message.get("sender")
        if self.on_event is not None and isinstance(sender, int):
            try:
                self.on_event(sender, message)
            except Exception:
                log.exception("janus event handler failed")

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_S)
            for session in list(self._sessions):
                with contextlib.suppress(JanusError, JanusGone, TimeoutError):
                    await self.request(
                        {"janus": "keepalive", "session_id": session}, ack_only=True, urgent=True
                    )

    async def _watch_answers(self, every_s: float, timeout_s: float) -> None:
        while not self.closed:
            await asyncio.sleep(every_s)
            asked = time.monotonic()
            try:
                await self.request({"janus": "ping"}, timeout_s=timeout_s, urgent=True)
            except JanusError:
                continue  # refused is answered
            except JanusGone:
                for _ in range(3):  # what has arrived meanwhile is read first
                    await asyncio.sleep(0)
                if self._heard >= asked and not self.closed:
                    continue  # it spoke meanwhile: the hub's own loop was slow, not Janus
                if not self.closed:
                    self.hung = True
                    log.warning("janus does not answer; closing the link", extra={"s": timeout_s})
                    self.ws.transport.abort()
                return

    async def request(
        self,
        body: dict[str, Any],
        *,
        ack_only: bool = False,
        timeout_s: float = REQUEST_TIMEOUT_S,
        urgent: bool = False,
    ) -> dict[str, Any]:
        """Send one request and return Janus's answer (an "error" raises ``JanusError``).
        A routine request first waits for its turn (``urgent`` ones do not wait)."""
        if self.closed:
            raise JanusGone("janus is not connected")
        ticket = self.lanes.ask(urgent)
        try:
            if not ticket.go:
                turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._turns[ticket.number] = turn
                await turn
            return await self._send(body, ack_only, timeout_s)
        finally:
            self._turns.pop(ticket.number, None)
            self._release(ticket)

    def _release(self, ticket: Ticket) -> None:
        for released in self.lanes.finished(ticket):
            turn = self._turns.pop(released.number, None)
            if turn is not None and not turn.done():
                turn.set_result(None)

    async def _send(self, body: dict[str, Any], ack_only: bool, timeout_s: float) -> dict[str, Any]:
        if self.closed:
            raise JanusGone("janus is not connected")
        transaction = secrets.token_hex(8)
        body = {**body, "transaction": transaction}
        if self.api_secret is not None:
            body["apisecret"] = self.api_secret
        if self.token is not None:
            body["token"] = self.token
        if self.admin_secret is not None:
            body["admin_secret"] = self.admin_secret
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        if ack_only:
            self._ack_answers.add(transaction)
        try:
            await self.ws.send(json.dumps(body))
            answer = await asyncio.wait_for(future, timeout_s)
        except ConnectionClosed as exc:
            raise JanusGone("janus closed the connection") from exc
        except TimeoutError as exc:
            raise JanusGone(f"janus did not answer {body.get('janus')} in time") from exc
        finally:
            self._pending.pop(transaction, None)
            self._ack_answers.discard(transaction)
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    async def create_session(self) -> int:
        answer = await self.request({"janus": "create"})
        session = int(answer["data"]["id"])
        self._sessions.add(session)
        return session

    async def destroy_session(self, session: int, *, urgent: bool = False) -> None:
        self._sessions.discard(session)
        with contextlib.suppress(JanusError, JanusGone, TimeoutError):
            await self.request({"janus": "destroy", "session_id": session}, urgent=urgent)

    async def attach(self, session: int, plugin: str = "janus.plugin.videoroom") -> int:
        answer = await self.request({"janus": "attach", "session_id": session, "plugin": plugin})
        return int(answer["data"]["id"])

    async def detach(self, session: int, handle: int) -> None:
        with contextlib.suppress(JanusError, JanusGone, TimeoutError):
            await self.request({"janus": "detach", "session_id": session, "handle_id": handle})

    async def message(
        self,
        session: int,
        handle: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
        *,
        urgent: bool = False,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A plugin message; returns (plugin data, jsep or None). A plugin error (its
        ``error_code``) raises ``JanusError``."""
        request: dict[str, Any] = {
            "janus": "message",
            "session_id": session,
            "handle_id": handle,
            "body": body,
        }
        if jsep is not None:
            request["jsep"] = jsep
        answer = await self.request(request, urgent=urgent)
        data = (answer.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise JanusError(int(data["error_code"]), str(data.get("error", "")))
        return data, answer.get("jsep")

    async def trickle(self, session: int, handle: int, candidate: dict[str, Any]) -> None:
        await self.request(
            {
                "janus": "trickle",
                "session_id": session,
                "handle_id": handle,
                "candidate": candidate,
            },
            ack_only=True,
        )

    async def close(self) -> None:
        self._keepalive.cancel()
        if self._watch is not None:
            self._watch.cancel()
        await self.ws.close()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
