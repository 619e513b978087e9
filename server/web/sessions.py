"""Signing people in: guests by display name, facilitators and staff by password.

A returning guest sends the token their browser kept; when its signature is ours (even
if it expired within the renewal window) and it was not revoked, they keep the same
identity id, so their progress and any ban follow them. A revoked one (signed out
everywhere, erased) gets a new identity, unless its identity is banned: then no token.

Facilitators and staff get tokens of ``staff_token_ttl_s`` (guests ``token_ttl_s``) and
renew them while they use them (``renew``: the account is read again, so a disabled or
removed account gets no new token and a changed role or name comes along).
"""

from __future__ import annotations

import time
import unicodedata
import uuid
from dataclasses import dataclass

from server.base.identity import Identity, Role
from server.base.settings import Settings
from server.base.tokens import TokenError, TokenSigner
from server.store.backend import AccountDisabled, StoreBackend
from server.web.revocation import TokenRevocation

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

    def __init__(self, settings: Settings, signer: TokenSigner, store: StoreBackend) -> None:
        self._settings = settings
        self._signer = signer
        self._store = store
        #: revokes tokens and keeps the signer's generations current (wired in app.py)
        self.revocation = TokenRevocation(store, signer)

    async def revoke(self, identity_id: str) -> int:
        """Revoke every token of an identity issued so far (all its sign-ins, everywhere)."""
        return await self.revocation.revoke(identity_id)

    async def sign_in(self, body: dict[str, object], now: float | None = None) -> Session:
        at = time.time() if now is None else now
        if "username" in body or "password" in body:
            identity = await self._login(body)
        else:
            identity = await self._guest(body, at)
        await self._store.remember_identity(identity, at)
        return self._issue(identity, at)

    async def renew(self, token: str, now: float | None = None) -> Session:
        """A fresh token for someone whose token is still valid; an account is read again
        (refused when it was disabled or removed meanwhile)."""
        at = time.time() if now is None else now
        try:
            identity = self._signer.verify(token, at)
        except TokenError as exc:
            raise SessionRefused(exc.code, exc.message, 401) from None
        if not identity.guest:
            current = await self._store.account_identity(identity.id)
            if current is None:
                raise SessionRefused(
                    "token_revoked", "this account was disabled or removed; no new token", 401
                )
            identity = current
        elif not await self._store.identity_exists(identity.id):
            raise SessionRefused("token_revoked", "this person's data was erased", 401)
        return self._issue(identity, at)

    def ttl_s(self, identity: Identity) -> int:
        """How long a token of this identity lives: shorter for facilitators and staff."""
        if identity.role.at_least(Role.FACILITATOR):
            return min(self._settings.staff_token_ttl_s, self._settings.token_ttl_s)
        return self._settings.token_ttl_s

    def _issue(self, identity: Identity, now: float) -> Session:
        ttl = self.ttl_s(identity)
        return Session(self._signer.issue(identity, ttl_s=ttl, now=now), identity, int(now + ttl))

    async def _login(self, body: dict[str, object]) -> Identity:
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise SessionRefused("credentials_invalid", "username and password must be text")
        if not username or len(username) > 64 or len(password) > 256:
            raise SessionRefused("credentials_invalid", "username or password has a wrong length")
        try:
            identity = await self._store.login(username, password)
        except AccountDisabled:
            raise SessionRefused(
                "account_disabled", "this account is disabled; ask the hub's staff", 403
            ) from None
        if identity is None:
            raise SessionRefused("credentials_wrong", "unknown username or wrong password", 401)
        return identity

    async def _guest(self, body: dict[str, object], now: float) -> Identity:
        name = clean_display_name(body.get("name"))
        previous = body.get("token")
        if previous is not None:
            try:
                claims = self._signer.claims(previous)
            except TokenError:
                claims = None
            if (
                claims is not None
                and claims.identity.guest
                and claims.expires + self._settings.guest_renew_window_s >= now
            ):
                known = claims.identity
                if self._signer.revoked(claims):
                    if any(ban.identity_id == known.id for ban in await self._store.bans(now)):
                        raise SessionRefused("banned", "this person is banned from the hub", 403)
                elif await self._store.identity_exists(known.id):
                    return Identity(known.id, name, Role.VISITOR, guest=True)
        return Identity(f"g-{uuid.uuid4().hex}", name, Role.VISITOR, guest=True)

    def identity_of(self, token: str, now: float | None = None) -> Identity:
        """The identity of a bearer token; raises TokenError."""
        return self._signer.verify(token, time.time() if now is None else now)
