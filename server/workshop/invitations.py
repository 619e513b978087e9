"""Who a workshop's list invites, by name: account usernames or display names (an identity
id is taken too, for a guest invited in the room) turned into identity ids, with a clear
refusal for a name nobody has or several accounts share. Used by the REST API and the
command line alike."""

from __future__ import annotations

from typing import Any, Protocol

from server.domain.workshops import ID_PATTERN, WorkshopInvalid


class AccountBook(Protocol):
    """What the store answers here (``StoreBackend`` has it)."""

    async def list_accounts(self) -> list[dict[str, Any]]: ...

    async def identity_exists(self, identity_id: str) -> bool: ...


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


async def with_invited_ids(store: AccountBook, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with its ``invited`` names turned into identity ids (``WorkshopInvalid``
    ``invited_unknown`` / ``invited_ambiguous`` naming the name and the usernames)."""
    names = data.get("invited")
    if not isinstance(names, list) or not names:
        return data
    if not all(isinstance(n, str) for n in names):
        raise WorkshopInvalid("access_invalid", "invited is a list of names")
    accounts = await store.list_accounts()
    by_username = {_folded(str(a["username"])): str(a["id"]) for a in accounts}
    by_name: dict[str, list[dict[str, Any]]] = {}
    for account in accounts:
        by_name.setdefault(_folded(str(account["display_name"])), []).append(account)
    ids = []
    for raw in names:
        name = " ".join(raw.split())
        key = name.casefold()
        if not name:
            continue
        if key in by_username:
            ids.append(by_username[key])
        elif len(by_name.get(key, [])) == 1:
            ids.append(str(by_name[key][0]["id"]))
        elif key in by_name:
            usernames = ", ".join(sorted(str(a["username"]) for a in by_name[key]))
            raise WorkshopInvalid(
                "invited_ambiguous",
                f"several accounts are called {name!r}; name one by username ({usernames})",
            )
        elif ID_PATTERN.match(name) and await store.identity_exists(name):
            ids.append(name)
        else:
            raise WorkshopInvalid(
                "invited_unknown", f"no account has the username or display name {name!r}"
            )
    return {**data, "invited": ids}
