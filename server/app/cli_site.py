"""``--site`` for every ``hubtwin`` command, in any place, and which site a change goes to.

``hubtwin --site PATH workshops list`` and ``hubtwin workshops list --site PATH`` are the
same: ``lift_site`` takes the option out of the command line before the subcommands parse
it, and ``apply_site`` gives it to the command that reads a site. A command that changed
data then names the site it changed (on standard error, so its output stays as it was, and
after it, so a mistake is still the one line it always is).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from world.errors import UsageError

SITE_OPTION = "--site"

#: subcommand → its actions that change data (the rest only read)
CHANGING: dict[str, frozenset[str]] = {
    "accounts": frozenset({"add", "disable", "enable", "remove", "reset-password"}),
    "workshops": frozenset(
        {"add", "edit", "remove", "series-add", "series-edit", "series-remove", "unban"}
    ),
    "talks": frozenset({"add", "build-samples"}),
    "offers": frozenset({"put", "remove", "restore"}),
    "world": frozenset(
        {"build", "place", "add", "move", "remove", "publish", "rollback", "revert"}
    ),
    "assets": frozenset({"import", "remove"}),
}
_ACTION_KEYS = ("action", "world_command", "assets_command")


def add_site_options(parser: argparse.ArgumentParser, *, data_dir: bool = False) -> None:
    """``--site`` (and with ``data_dir`` ``--data-dir``) as every command that reads a site
    takes them."""
    parser.add_argument(
        SITE_OPTION, type=Path, help="site folder (default: the sample hub in assets/sites)"
    )
    if data_dir:
        parser.add_argument("--data-dir", type=Path, help="data folder (default var/SITE)")


def lift_site(argv: Sequence[str]) -> tuple[list[str], Path | None]:
    """``argv`` without ``--site PATH`` (or ``--site=PATH``), and that path."""
    rest: list[str] = []
    site: Path | None = None
    items = iter(argv)
    for item in items:
        if item == "--":  # everything after it is an argument, never an option
            rest.append(item)
            rest.extend(items)
            break
        if item == SITE_OPTION or item.startswith(SITE_OPTION + "="):
            value = item.partition("=")[2] if "=" in item else next(items, None)
            if not value or value.startswith("--"):
                raise UsageError("--site needs a site folder, e.g. --site /srv/hub-bochum")
            if site is not None and Path(value) != site:
                raise UsageError(f"--site given twice ({site} and {value}): give it once")
            site = Path(value)
            continue
        rest.append(item)
    return rest, site


def apply_site(args: argparse.Namespace, site: Path | None) -> None:
    """Give the lifted ``--site`` to the command; refused by one that reads no site."""
    if site is None:
        return
    if not hasattr(args, "site"):
        raise UsageError(f"'hubtwin {args.command}' uses no site folder: leave out --site")
    args.site = site


def changes_data(args: argparse.Namespace) -> bool:
    action = next((getattr(args, key) for key in _ACTION_KEYS if hasattr(args, key)), None)
    return action in CHANGING.get(str(args.command), frozenset())


def announce_site(args: argparse.Namespace) -> None:
    """After a command that changed data: one line naming the site it changed (not with
    ``--quiet``)."""
    if not hasattr(args, "site") or not changes_data(args) or getattr(args, "quiet", False):
        return
    from server.base.settings import load_settings
    from world.site import load_site

    site = load_site(load_settings({"site": args.site}).site)
    print(
        f"hubtwin: geändert / changed: Standort / site {site.id} "
        f"({site.branding.short_name}, {site.path})",
        file=sys.stderr,
    )
