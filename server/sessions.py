"""Signing people in: guests by display name, facilitators and staff by password.

A returning guest sends the token their browser kept; when its signature is ours (even
if it expired within the renewal window) they keep the same identity id, so their
progress and any ban follow them.
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from dataclasses import dataclass

from server.identity import Identity, Role
from server.settings import Settings
from server.store import Store
from server.tokens import TokenError, TokenSigner

NAME_MAX = 32


class SessionRefused(Exception):
    """Sign-in refused; ``code`` and ``message`` go to the client, ``status`` is HTTP."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Session:
    token: str
    identity: Identity
    expires_at: int

    def as_dict(self) -> dict[str, object]:
        return {
            "token": self.token,
            "identity": self.identity.as_dict(),
            "expires_at": self.expires_at,
        }


def clean_display_name(raw: object) -> str:
    """A display name as shown to others: trimmed, single-spaced, printable, 1-32 chars."""
    if not isinstance(raw, str):
        raise SessionRefused("name_invalid", "the display name must be text")
    name = " ".join(unicodedata.normalize("NFC", raw).split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in name):
        raise SessionRefused("name_invalid", "the display name contains control characters")
    if not 1 <= len(name) <= NAME_MAX:
        raise SessionRefused(
            "name_invalid", f"the display name must have 1 to {NAME_MAX} characters"
        )
    return name


class SessionIssuer:
    """Turns a sign-in request into a signed session token."""

    def __init__(self, settings: Settings, signer: TokenSigner, store: Store) -> None:
        self._settings = settings
        self._signer = signer
        self._store = store

    async def sign_in(self, body: dict[str, object], now: float | None = None) -> Session:
        at = time.time() if now is None else now
        if "username" in body or "password" in body:
            identity = await self._login(body)
        else:
            identity = await self._guest(body, at)
        await self._store.remember_identity(identity, at)
        token = self._signer.issue(identity, ttl_s=self._settings.token_ttl_s, now=at)
        return Session(token, identity, int(at + self._settings.token_ttl_s))

    async def _login(self, body: dict[str, object]) -> Identity:
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise SessionRefused("credentials_invalid", "username and password must be text")
        if not username or len(username) > 64 or len(password) > 256:
            raise SessionRefused("credentials_invalid", "username or password has a wrong length")
        identity = await self._store.login(username, password)
        if identity is None:
            raise SessionRefused("credentials_wrong", "unknown username or wrong password", 401)
        return identity

    async def _guest(self, body: dict[str, object], now: float) -> Identity:
        name = clean_display_name(body.get("name"))
        previous = body.get("token")
        if previous is not None:
            try:
                known = self._signer.verify(
                    previous, now, leeway_s=self._settings.guest_renew_window_s
                )
            except TokenError:
                known = None
            if known is not None and known.guest and await self._store.identity_exists(known.id):
                return Identity(known.id, name, Role.VISITOR, guest=True)
        return Identity(f"g-{uuid.uuid4().hex}", name, Role.VISITOR, guest=True)

    def identity_of(self, token: str, now: float | None = None) -> Identity:
        """The identity of a bearer token; raises TokenError."""
        return self._signer.verify(token, time.time() if now is None else now)
