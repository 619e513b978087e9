"""Revoking session tokens at once, on every process of the hub.

A token carries its identity's token generation (``server/base/tokens.py``). Revoking raises the
generation in the store and in the ``TokenSigner``'s in-memory map, so from that moment
the HTTP routes and new realtime hellos refuse every older token with ``token_revoked``:
a lookup in a dict, nothing more on the hot path. What revokes: signing out everywhere,
erasing one's data, removing or disabling an account, a new password, a ban.

``TokenRevocation`` keeps the map current:

* ``revoke(identity_id)``: store first, then the map here, then the bus event ``revoked``
  (several processes), then ``on_revoked`` listeners (the realtime side ends the live
  sessions of that identity with ``token_revoked``);
* ``learned(identity_id, generation)``: what another process posted on the bus;
* ``refresh_forever``: reads every generation again every ``revocation_refresh_s``, for
  changes no bus told of (``hubtwin accounts`` on the command line, a lost bus batch).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from server.base.tokens import TokenSigner
from server.store.backend import StoreBackend

log = logging.getLogger("hubtwin.revocation")

#: The bus event a process posts when it revoked an identity's tokens.
BUS_EVENT = "revoked"

Listener = Callable[[str], None]
"""Called with the identity id whose tokens were just revoked (here or elsewhere)."""


class TokenRevocation:
    """The token generations of one process, kept in step with the store and the bus."""

    def __init__(
        self,
        store: StoreBackend,
        signer: TokenSigner,
        *,
        post: Callable[[str, Any], None] | None = None,
    ) -> None:
        self._store = store
        self._signer = signer
        self._post = post
        self._listeners: list[Listener] = []

    def on_revoked(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def connect_bus(self, post: Callable[[str, Any], None]) -> None:
        """Post revocations on the cluster bus (and hand ``from_bus`` the ones received)."""
        self._post = post

    async def load(self) -> None:
        """Read every raised generation from the store (at start and on each refresh)."""
        for identity_id, generation in (await self._store.token_generations()).items():
            self.learned(identity_id, generation)

    async def revoke(self, identity_id: str) -> int:
        """Revoke every token of ``identity_id`` issued so far, on every process."""
        generation = await self._store.revoke_tokens(identity_id, time.time())
        self.learned(identity_id, generation)
        if self._post is not None:
            self._post(BUS_EVENT, {"identity": identity_id, "generation": generation})
        log.info("tokens revoked", extra={"identity": identity_id, "generation": generation})
        return generation

    def learned(self, identity_id: str, generation: int) -> bool:
        """A generation read or told; True (and the listeners told) if it is news here."""
        generations = self._signer.generations
        if generation <= generations.get(identity_id, 0):
            return False
        generations[identity_id] = generation
        for listener in self._listeners:
            try:
                listener(identity_id)
            except Exception:
                log.exception("a revocation listener failed", extra={"identity": identity_id})
        return True

    def from_bus(self, sender: str, payload: Any) -> None:
        """The ``revoked`` bus event of another process."""
        if (
            isinstance(payload, dict)
            and isinstance(payload.get("identity"), str)
            and isinstance(payload.get("generation"), int)
        ):
            self.learned(payload["identity"], payload["generation"])

    async def refresh_forever(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.load()
            except Exception:
                log.exception("could not read the token generations")


async def tell_processes(redis_url: str, site: str, identity_id: str, generation: int) -> None:
    """From outside a hub (``hubtwin accounts --redis``): post the ``revoked`` event on
    the hub's bus, so every running process closes that identity's connections now."""
    from redis.asyncio import Redis

    from server.base.redis_names import RedisNames
    from server.cluster.bus import pack_batch

    client = Redis.from_url(redis_url)
    try:
        batch = pack_batch(
            "hubtwin-accounts", [(BUS_EVENT, {"identity": identity_id, "generation": generation})]
        )
        await client.publish(RedisNames(site).cluster("bus", "hub"), batch)
    finally:
        await client.aclose()
