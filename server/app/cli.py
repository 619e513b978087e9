"""The ``hubtwin`` command: one entry point, one subcommand per job.

Each feature module registers its own subcommands through a ``register(subparsers)``
function; this module only dispatches and turns a ``HubError`` into one readable line
and its exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from server.app.cli_site import announce_site, apply_site, lift_site
from world.errors import HubError

# Modules that add subcommands; each has ``register(subparsers) -> None``.
COMMAND_MODULES = (
    "server.app.serve_command",
    "server.app.world_command",
    "tools.layout_command",  # joins the world command: place, move, publish, rollback, ...
    "tools.assets_command",
    "server.app.accounts_command",
    "server.app.content_command",
    "server.app.site_command",
    "server.app.talks_command",
    "server.app.workshops_command",
    "server.app.offers_command",
    "bench.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubtwin",
        description="hubtwin: run and manage a hub's digital twin.",
        epilog="--site PATH (the site folder; default: the hub in assets/sites) may be given "
        "in any place, for every command that reads a site.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        rest, site = lift_site(sys.argv[1:] if argv is None else argv)
    except HubError as exc:
        print(f"hubtwin: {exc}", file=sys.stderr)
        return exc.exit_code
    args = parser.parse_args(rest)
    handler: Callable[[argparse.Namespace], int | None] = args.handler
    try:
        apply_site(args, site)
        code = handler(args) or 0
        if code == 0:
            announce_site(args)
        return code
    except HubError as exc:
        print(f"hubtwin: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
