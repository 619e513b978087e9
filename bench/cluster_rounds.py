"""What keeping a process in the hub's cluster costs: one maintenance round per second
(renew leases, heartbeat, publish and read occupancy, write due grace states) with N
sessions walking about, against a private redis-server.

    python -m bench.cluster_rounds                  # about 25 s
    python -m bench.cluster_rounds --sessions 400 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import Meter, describe, wait_until_quiet
from bench.redis_relay import start_redis
from server.base.identity import Identity, Role
from server.cluster.cluster import Cluster, ClusterTimings, LocalView
from server.cluster.grace_state import GraceState, resume_digest
from server.cluster.leases import InstanceKey
from server.cluster.occupancy import InstanceLoad
from server.cluster.process_registry import ProcessInfo

ROOMS = 12


async def one_run(url: str, sessions: int, seconds: float) -> tuple[float, int, int]:
    """CPU seconds this process spent, rounds run and grace states written."""
    timings = ClusterTimings()
    cluster = Cluster(url, site="bench-rounds", ws_url="ws://127.0.0.1/ws/p1", timings=timings)
    me = cluster.process_id
    keys = [InstanceKey(f"room-{n}", 0) for n in range(ROOMS)]
    people = [Identity(f"g-{n}", f"Gast {n}", Role.VISITOR, True) for n in range(sessions)]
    digests = [resume_digest(f"resume-{n}") for n in range(sessions)]
    step = [0]

    def view() -> LocalView:
        step[0] += 1
        states = [
            GraceState(
                f"s{n}",
                digests[n],
                person,
                {"color": "#336699", "shape": "capsule"},
                "de",
                keys[n % ROOMS],
                (float(step[0] + n % 7), 0.0, float(n % 13)),  # everyone moved
                0.5,
                0.0,
                me,
                time.time(),
            )
            for n, person in enumerate(people)
        ]
        loads = [InstanceLoad(key, sessions // ROOMS, 0, 100) for key in keys]
        return LocalView(loads, sessions, sessions, states)

    cluster.view = view
    for other in ("p2", "p3"):
        await cluster.registry.beat(ProcessInfo(other, f"ws://127.0.0.1/ws/{other}"), 600)
        await cluster.occupancy.publish(
            other, [InstanceLoad(InstanceKey("foyer", n), 20, 0, 24) for n in range(4)], 600
        )
    await cluster.start()
    for key in keys:
        await cluster.place(key)
    cpu0 = time.process_time()
    rounds0 = cluster.rounds
    await asyncio.sleep(seconds)
    cpu = time.process_time() - cpu0
    rounds = cluster.rounds - rounds0
    written = await cluster.link.client.dbsize()
    await cluster.close()
    return cpu, rounds, int(written)


def conduct(counts: list[int], seconds: float) -> int:
    machine = describe()
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}")
    print(f"one hub process in a cluster: rounds every 1 s, {ROOMS} leases, 2 other processes\n")
    header = (
        f"{'sessions':>8} {'rounds':>6} {'process %':>9} {'ms/round':>8} {'redis %':>7} {'keys':>6}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="rounds-bench-") as folder:
        server, url = start_redis(Path(folder))
        try:
            for sessions in counts:
                wait_until_quiet(max_wait_s=20)
                meter = Meter({"redis": server.pid})
                meter.start()
                cpu, rounds, keys = asyncio.run(one_run(url, sessions, seconds))
                redis_pct = meter.stop()["redis"]
                print(
                    f"{sessions:>8} {rounds:>6} {100 * cpu / seconds:>9.1f} "
                    f"{1000 * cpu / max(rounds, 1):>8.2f} {redis_pct:>7.1f} {keys:>6}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", default="100,400,1000", help="sessions on the process")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each run")
    args = parser.parse_args(argv)
    return conduct([int(n) for n in args.sessions.split(",") if n.strip()], args.seconds)


if __name__ == "__main__":
    sys.exit(main())
