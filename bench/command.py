"""``hubtwin bench``: the realtime benchmark (``bench.realtime``) as a subcommand."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    from bench.realtime import add_arguments

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="benchmark the realtime server with simulated visitors and print a table",
        description="Start the real server, drive it with simulated visitors (N in one room, "
        "then many over all rooms) and print CPU, tick rate, latency, bytes and memory.",
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bench.realtime import run as run_bench

    return run_bench(args)
