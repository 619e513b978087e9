"""How the staff commands answer: text for people, ``--json`` for scripts, one line on failure.

``run_command`` wraps a handler: with ``--json`` a refusal is also printed as a JSON object
on stdout (``{"ok": false, "error": ..., "exit_code": ..., "reason": ...}``) before the
dispatcher prints its one line on stderr and exits with the code; file-system failures
become one line too, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from server.api import Settings, load_settings
from world.errors import HubError
from world.site import Site, load_site

Handler = Callable[[argparse.Namespace], int | None]


def add_common(parser: argparse.ArgumentParser, *, data_dir: bool = False) -> None:
    parser.add_argument(
        "--site", type=Path, help="site folder (default: the sample hub in assets/sites)"
    )
    if data_dir:
        parser.add_argument(
            "--data-dir", type=Path, help="data folder (default: var/SITE, or HUBTWIN_DATA_DIR)"
        )
    parser.add_argument("--json", action="store_true", help="answer in JSON (for scripts)")


def site_and_settings(args: argparse.Namespace) -> tuple[Site, Settings]:
    settings = load_settings({"site": args.site, "data_dir": getattr(args, "data_dir", None)})
    return load_site(settings.site), settings


def print_json(data: Any) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    """Print ``data`` as JSON with --json, else ``text``."""
    if args.json:
        print_json({"ok": True, **data})
    elif text:
        print(text)


def run_command(handler: Handler) -> Handler:
    """``handler`` with refusals reported in JSON too, and OS errors as one-line errors."""

    def run(args: argparse.Namespace) -> int | None:
        try:
            try:
                return handler(args)
            except OSError as exc:
                where = f"{exc.filename}: " if exc.filename else ""
                raise HubError(f"{where}{exc.strerror or exc}") from None
        except HubError as exc:
            if getattr(args, "json", False):
                print_json(
                    {
                        "ok": False,
                        "error": str(exc),
                        "exit_code": exc.exit_code,
                        "reason": getattr(exc, "reason", None),
                    }
                )
            raise

    return run


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
