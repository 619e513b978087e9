"""``hubtwin bench`` and ``hubtwin bench-cluster``: the realtime benchmarks (``bench.realtime``,
``bench.cluster_realtime``) as subcommands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    from bench import cluster_realtime, realtime

    parser: argparse.ArgumentParser = subparsers.add_parser(
        "bench",
        help="benchmark the realtime server with simulated visitors and print a table",
        description="Start the real server, drive it with simulated visitors (N in one room, "
        "then many over all rooms) and print CPU, tick rate, latency, bytes and memory.",
    )
    realtime.add_arguments(parser)
    parser.set_defaults(handler=realtime.run)

    cluster: argparse.ArgumentParser = subparsers.add_parser(
        "bench-cluster",
        help="run the same realtime load over 1, 2 and 3 processes sharing Redis",
        description="Start a private redis-server and 1, 2, 3 … hub processes, spread "
        "simulated visitors over them (following redirects to the owning process) and print "
        "CPU, tick rate, latency and downstream per set-up, with the overhead against one "
        "process.",
    )
    cluster_realtime.add_arguments(cluster)
    cluster.set_defaults(handler=cluster_realtime.run)
