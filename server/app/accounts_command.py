"""``hubtwin accounts``: create, list, disable, enable and remove the logins of
facilitators and staff, give them a new password, and mark them as advisors who sit
consulting hours (``advisor``, ``not-advisor``; docs/consulting.md).

Passwords are read from standard input (one line) or asked for on the terminal; they never
appear on the command line, where other users of the machine could see them. Disabling,
removing and a new password revoke the account's tokens: a running hub closes its
connections within ``revocation_refresh_s`` (at once with ``--redis``, over the bus).
Exit codes: 0 done, 1 the store refused, 2 wrong use, 4 no such account.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from server.app.cli_site import add_site_options
from server.base.identity import Role
from server.base.passwords import MIN_LENGTH
from server.base.settings import load_settings
from server.features.accounts.changes import AccountChanges, check_password_length
from server.store.backend import StoreBackend
from server.store.factory import run_on_store
from server.web.revocation import tell_processes
from server.web.sessions import SessionRefused, clean_display_name
from world.errors import UsageError

T = TypeVar("T")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "accounts", help="create and list facilitator and staff logins"
    )
    add_site_options(parser, data_dir=True)
    parser.add_argument("--redis", dest="redis_url", help="redis://… when the hub runs on Redis")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.FACILITATOR.value)
    add.add_argument("--name", required=True, help="display name shown to others")
    add.add_argument("--advisor", action="store_true", help="an advisor: may sit consulting hours")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(handler=add_account)
    listing = actions.add_parser("list", help="list accounts")
    listing.set_defaults(handler=list_accounts)
    for action, text in (
        ("disable", "stop an account signing in; its sign-ins are revoked at once"),
        ("enable", "let a disabled account sign in again"),
        ("remove", "remove an account and erase what is stored about its person"),
        ("advisor", "mark an account as advisor: it may sit consulting hours"),
        ("not-advisor", "take the advisor mark away (an open desk closes)"),
    ):
        change = actions.add_parser(action, help=text)
        change.add_argument("username")
        change.set_defaults(handler=change_account, change=action)
    reset = actions.add_parser(
        "reset-password", help="give an account a new password; its sign-ins are revoked"
    )
    reset.add_argument("username")
    reset.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    reset.set_defaults(handler=change_account, change="reset-password")


def _run(args: argparse.Namespace, work: Callable[[StoreBackend], Awaitable[T]]) -> T:
    """``work`` on the hub's store (SQLite, or Redis with --redis)."""
    return run_on_store(
        load_settings({"site": args.site, "data_dir": args.data_dir, "redis_url": args.redis_url}),
        work,
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Passwort / password: ")
        if getpass.getpass("Wiederholen / repeat: ") != password:
            raise UsageError("the two passwords differ")
    if len(password) < MIN_LENGTH:
        raise UsageError(f"the password needs at least {MIN_LENGTH} characters")
    check_password_length(password)
    return password


def _revoker(args: argparse.Namespace, store: StoreBackend) -> Callable[[str], Awaitable[int]]:
    """Revokes in the store and, with --redis, tells the running processes on the bus."""

    async def revoke(identity_id: str) -> int:
        generation = await store.revoke_tokens(identity_id, time.time())
        if args.redis_url:
            settings = load_settings(
                {"site": args.site, "data_dir": args.data_dir, "redis_url": args.redis_url}
            )
            await tell_processes(args.redis_url, settings.site.name, identity_id, generation)
        return generation

    return revoke


def change_account(args: argparse.Namespace) -> int:
    username = args.username.strip()
    password = _read_password(args.password_stdin) if args.change == "reset-password" else ""

    async def change(store: StoreBackend) -> str:
        changes = AccountChanges(store, _revoker(args, store))
        if args.change == "disable":
            return await changes.disable(username)
        if args.change == "enable":
            return await changes.enable(username)
        if args.change == "remove":
            return await changes.remove(username)
        if args.change in ("advisor", "not-advisor"):
            return await changes.mark_advisor(username, args.change == "advisor")
        return await changes.reset_password(username, password)

    identity_id = _run(args, change)
    done = {
        "disable": "disabled; its sign-ins are revoked",
        "enable": "enabled; it may sign in again",
        "remove": "removed with everything stored about its person",
        "advisor": "is an advisor; it may sit consulting hours",
        "not-advisor": "is no advisor any more",
        "reset-password": "has a new password; its sign-ins are revoked",
    }[args.change]
    print(f"account {username!r} ({identity_id}) {done}")
    return 0


def add_account(args: argparse.Namespace) -> int:
    username = args.username.strip()
    if (
        not username
        or len(username) > 64
        or not username.replace(".", "").replace("-", "").replace("_", "").isalnum()
    ):
        raise UsageError("a username is 1-64 letters, digits, '.', '-' or '_'")
    try:
        name = clean_display_name(args.name)
    except SessionRefused as exc:
        raise UsageError(exc.message) from None
    password = _read_password(args.password_stdin)

    async def create(store: StoreBackend) -> str:
        identity = await store.create_account(
            username, password, Role(args.role), name, advisor=args.advisor
        )
        return identity.id

    identity_id = _run(args, create)
    marked = " (advisor)" if args.advisor else ""
    print(f"created {args.role} account {username!r}{marked} ({identity_id})")
    return 0


def list_accounts(args: argparse.Namespace) -> int:
    rows = _run(args, lambda store: store.list_accounts())
    if not rows:
        print("no accounts yet: hubtwin accounts add USERNAME --name 'Display Name'")
        return 0
    print(f"{'username':<24} {'role':<12} {'advisor':<8} display name")
    for row in rows:
        advisor = "yes" if row["advisor"] else "-"
        print(f"{row['username']:<24} {row['role']:<12} {advisor:<8} {row['display_name']}")
    return 0
