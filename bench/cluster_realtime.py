"""The realtime benchmark over several processes: the same load on one, two and three
``hubtwin serve --redis`` processes sharing a real redis-server, and what that costs.

For each scenario (N avatars in the benchmark hall's one room, ``--sizes``; ``--spread``
avatars over all rooms of the Dortmund hub) and each set-up (one process with SQLite, the
default, as the baseline; then 1, 2, 3 … processes with Redis, ``--processes``) it starts a
private redis-server and the processes (the first builds the world, the others start when
it is ready), then the load generator (``bench.loadgen``) with its clients spread
round-robin over the processes' realtime URLs. Clients that reach a process which does not
own their room instance follow its ``redirect``, as browsers do. After the warm-up it
measures a window and prints one row per set-up: redirects followed, the CPU of all hub
processes and Redis together (% of one core), Redis's share, the tick rate the clients
saw, pose-to-peer latency p50/p99, downstream per client, and the difference to the
baseline. The hub processes and Redis share one core, the load generator has the other
(``bench.realtime``'s placement), so the total is what the hub side needs of a machine.

    .venv/bin/python -m bench.cluster_realtime                     # a few minutes
    .venv/bin/python -m bench.cluster_realtime --sizes 100 --spread 0 --window 5
    hubtwin bench-cluster --processes 1,3 --json var/bench/cluster.json

It never asserts a time: it reports.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import machine
from bench.realtime import (
    READY_TIMEOUT_S,
    LoadGenerator,
    Scenario,
    Server,
    check_arguments,
    command_main,
    fmt,
    quietest,
    scenarios,
    server_and_load_cores,
)
from bench.realtime import (
    add_arguments as add_realtime_arguments,
)
from world.errors import UsageError

DEFAULT_PROCESSES = (1, 2, 3)
DEFAULT_SIZES = (200, 400)
DEFAULT_SPREAD = 400


@dataclass(frozen=True)
class Setup:
    """How many processes serve the hub, and whether they share Redis."""

    processes: int
    redis: bool

    @property
    def label(self) -> str:
        return f"{self.processes} + Redis" if self.redis else f"{self.processes}, SQLite"


@dataclass
class ClusterRow:
    scenario: Scenario
    setup: Setup
    ready: dict[str, Any]
    load: dict[str, Any]
    cpu: dict[str, float]
    quiet_before: float
    foreign_max: float

    @property
    def hub_cpu(self) -> float:
        """All hub processes and Redis, % of one core."""
        return sum(v for k, v in self.cpu.items() if k.startswith("server")) + self.cpu.get(
            "redis", 0.0
        )


def run_setup(
    scenario: Scenario, setup: Setup, args: argparse.Namespace, cores: tuple[int | None, ...]
) -> ClusterRow:
    from bench.redis_relay import start_redis  # redis-py only when the benchmark runs

    quiet = -1.0
    if args.quiet_wait > 0:
        quiet = machine.wait_until_quiet(args.quiet_pct, max_wait_s=args.quiet_wait)
    data_dir = args.data_dir / scenario.site.name
    secret = secrets.token_urlsafe(32)
    redis: subprocess.Popen[bytes] | None = None
    servers: list[Server] = []
    load: LoadGenerator | None = None
    with tempfile.TemporaryDirectory(prefix="hubtwin-bench-redis-") as redis_dir:
        try:
            url = None
            if setup.redis:
                redis, url = start_redis(Path(redis_dir))
                if cores[0] is not None:
                    os.sched_setaffinity(redis.pid, {cores[0]})

            def start(n: int) -> Server:
                server = Server(
                    scenario.site,
                    data_dir,
                    cores[0],
                    args.nice,
                    redis_url=url,
                    secret=secret,
                    name=f"server-{n}",
                )
                servers.append(server)
                return server

            start(1).wait_ready()  # the first builds the world when it changed
            for n in range(2, setup.processes + 1):
                start(n)
            for server in servers[1:]:
                server.wait_ready()
            load = LoadGenerator(servers, scenario, args.observers, cores[1], args.nice)
            ready = load.read(READY_TIMEOUT_S)
            if ready.get("event") != "ready":
                raise UsageError(f"the load generator could not join everyone: {ready}")
            time.sleep(args.warmup)
            pids = {f"server-{n}": s.pid for n, s in enumerate(servers, 1)}
            pids |= {"loadgen": load.pid, "runner": os.getpid()}
            if redis is not None:
                pids["redis"] = redis.pid
            meter = machine.Meter(pids)
            meter.start()
            load.command("start")
            time.sleep(args.window)
            load.command("stop")
            cpu = meter.stop()
            result = load.read(30.0)
        finally:
            if load is not None:
                load.stop()
            for server in servers:
                server.stop()
            if redis is not None:
                redis.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    redis.wait(timeout=10)
                if redis.poll() is None:
                    redis.kill()
                    redis.wait()
    return ClusterRow(scenario, setup, ready, result, cpu, quiet, args.foreign_max)


def _baseline(row: ClusterRow, rows: list[ClusterRow]) -> ClusterRow | None:
    """The scenario's one-process row: SQLite if measured, else one process with Redis."""
    same = [r for r in rows if r.scenario == row.scenario and r.setup.processes == 1]
    same.sort(key=lambda r: r.setup.redis)
    return same[0] if same else None


def table(rows: list[ClusterRow]) -> str:
    head = (
        "| scenario | processes | N | instances | processes with rooms "
        "| redirects (joining / window) "
        "| hub CPU % (processes + Redis) | Redis CPU % | tick Hz | latency p50 / p99 ms "
        "| down KB/s per client | CPU vs one process | p99 vs one process "
        "| loadgen CPU % | foreign CPU % | errors |"
    )
    lines = [head, "|" + "---|" * 16]
    for row in rows:
        lat = row.load["latency_ms"]
        base = _baseline(row, rows)
        cpu_delta = p99_delta = "–"
        if base is not None and base is not row:
            cpu_delta = f"{row.hub_cpu - base.hub_cpu:+.1f} pts"
            if base.hub_cpu > 0:
                cpu_delta += f" ({100 * (row.hub_cpu / base.hub_cpu - 1):+.0f} %)"
            if lat["p99"] is not None and base.load["latency_ms"]["p99"] is not None:
                p99_delta = f"{lat['p99'] - base.load['latency_ms']['p99']:+.1f} ms"
        errors = sum(row.load["errors"].values())
        foreign = row.cpu["foreign"]
        lines.append(
            f"| {row.scenario.name} | {row.setup.label} | {row.scenario.clients} "
            f"| {row.ready['instances']} | {row.ready['processes_used']} "
            f"| {row.ready.get('redirects', 0)} / {row.load.get('redirects', 0)} "
            f"| {fmt(row.hub_cpu)} | {fmt(row.cpu.get('redis'))} "
            f"| {fmt(row.load['observed_tick_hz'], 2)} "
            f"| {fmt(lat['p50'])} / {fmt(lat['p99'])} "
            f"| {fmt(row.load['down_kBps_mean'])} | {cpu_delta} | {p99_delta} "
            f"| {fmt(row.cpu['loadgen'])} "
            f"| {fmt(foreign)}{' ⚠' if foreign > row.foreign_max else ''} | {errors} |"
        )
    return "\n".join(lines)


def setups(args: argparse.Namespace) -> list[Setup]:
    out = [Setup(1, redis=False)] if args.baseline else []
    return out + [Setup(n, redis=True) for n in args.processes]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_realtime_arguments(parser)

    def counts(text: str) -> tuple[int, ...]:
        try:
            values = tuple(int(v) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers") from None
        if not values or any(v < 1 or v > 8 for v in values):
            raise argparse.ArgumentTypeError("process counts must be between 1 and 8")
        return values

    parser.set_defaults(sizes=DEFAULT_SIZES, spread=DEFAULT_SPREAD)
    parser.add_argument(
        "--processes",
        type=counts,
        default=DEFAULT_PROCESSES,
        help="numbers of processes sharing Redis, e.g. 1,2,3",
    )
    parser.add_argument(
        "--no-baseline",
        dest="baseline",
        action="store_false",
        help="skip the one-process SQLite run the others are compared with",
    )


def run(args: argparse.Namespace) -> int:
    check_arguments(args)
    info = machine.describe()
    cores = server_and_load_cores()
    rows: list[ClusterRow] = []
    for scenario in scenarios(args):
        for setup in setups(args):

            def attempt(scenario: Scenario = scenario, setup: Setup = setup) -> ClusterRow:
                row = run_setup(scenario, setup, args, cores)
                sys.stderr.write(table([row]).splitlines()[-1] + "\n")
                return row

            label = f"{scenario.name}, {scenario.clients} avatars, {setup.label}"
            rows.append(quietest(attempt, args.tries, args.foreign_max, label))
    placement = (
        f"hub processes and redis-server on CPU {cores[0]}, load generator on CPU {cores[1]}"
        if cores[0] is not None
        else "not pinned (one core)"
    )
    if args.nice:
        placement += f", all at nice {args.nice}"
    sys.stdout.write(
        table(rows)
        + "\n\n"
        + f"Machine: {info['cpu']}, {info['cores']} cores, Linux {info['kernel']}, "
        + f"Python {info['python']}; {placement}; redis-server without persistence\n"
        + f"Libraries: {info['libraries']}\n"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "machine": info,
            "rows": [
                {
                    "scenario": r.scenario.name,
                    "clients": r.scenario.clients,
                    "processes": r.setup.processes,
                    "redis": r.setup.redis,
                    "hub_cpu": r.hub_cpu,
                    "ready": r.ready,
                    "load": r.load,
                    "cpu": r.cpu,
                    "quiet_before": r.quiet_before,
                }
                for r in rows
            ],
        }
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return command_main("python -m bench.cluster_realtime", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
