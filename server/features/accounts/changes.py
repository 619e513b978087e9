"""What staff may change about a facilitator's or staff account, for the command line
(``hubtwin accounts``) and the browser (``server/features/accounts/http.py``) alike: disable,
enable, remove, give a new password, mark as advisor (docs/consulting.md) or not. Each change
that shuts someone out also revokes every token of the account at once
(``server/web/revocation.py``), so their open connections close and their tokens stop working
on every process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from server.base.passwords import MIN_LENGTH
from server.store.backend import StoreBackend
from world.errors import HubError, UsageError

Revoke = Callable[[str], Awaitable[object]]
"""Revokes every token of an identity (``SessionIssuer.revoke`` in a running hub)."""


class AccountUnknown(HubError):
    """There is no account of that username."""

    def __init__(self, username: str) -> None:
        super().__init__(f"there is no account named {username!r}", exit_code=4)


class AccountChanges:
    """Account changes on one store, revoking tokens with ``revoke``."""

    def __init__(self, store: StoreBackend, revoke: Revoke) -> None:
        self._store = store
        self._revoke = revoke

    async def disable(self, username: str) -> str:
        """The account can no longer sign in; its tokens are revoked. Its identity id."""
        identity_id = await self._store.set_account_disabled(username, True)
        if identity_id is None:
            raise AccountUnknown(username)
        await self._revoke(identity_id)
        return identity_id

    async def enable(self, username: str) -> str:
        """The account may sign in again (with a new sign-in: old tokens stay revoked)."""
        identity_id = await self._store.set_account_disabled(username, False)
        if identity_id is None:
            raise AccountUnknown(username)
        return identity_id

    async def remove(self, username: str) -> str:
        """The account and everything stored about its person are gone; tokens revoked."""
        identity_id = await self._store.remove_account(username)
        if identity_id is None:
            raise AccountUnknown(username)
        await self._revoke(identity_id)
        return identity_id

    async def mark_advisor(self, username: str, advisor: bool) -> str:
        """Mark the account as advisor (it may sit consulting hours) or take the mark away;
        running hubs follow within ``ADVISORS_REFRESH_S``
        (server/features/consulting/advisors.py)."""
        identity_id = await self._store.set_account_advisor(username, advisor)
        if identity_id is None:
            raise AccountUnknown(username)
        return identity_id

    async def reset_password(self, username: str, password: str) -> str:
        """A new password; every sign-in made with the old one is revoked."""
        check_password_length(password)
        identity_id = await self._store.set_password(username, password)
        if identity_id is None:
            raise AccountUnknown(username)
        await self._revoke(identity_id)
        return identity_id


def check_password_length(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= 256:
        raise UsageError(f"a password has {MIN_LENGTH} to 256 characters")
