"""What deciding who hears whom costs the hub: ``server/features/voice/hearing.py`` for N people in
voice.

The hub works out every listener's hearing set five times a second
(``server/features/voice/voice.py``). This times one round in CPU time of this process
(``time.process_time``, which other processes on a shared machine cannot inflate) for N people in
voice spread over the rooms of a hub, half of them speaking, walking a little between rounds (so the
sets change as they do in use), and prints per N: the CPU time of a round, the share of one core at
five rounds a second, the mean and largest set (the voices a listener receives, bounded by k
plus the stage) and how many listeners' sets changed per round (each a Janus ``update``
and a renegotiation).

    .venv/bin/python -m bench.voice                  # 50 … 1600
    .venv/bin/python -m bench.voice --sizes 400 --rooms 1

Not measured here (yet): Janus's CPU and the downstream per browser with real media
clients (aiortc), which need a media load generator.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.machine import describe
from server.features.voice.hearing import HearingSets, Voices, hearing_sets
from server.features.voice.voice import HEAR_EVERY_S


def crowd(n: int, rooms: int, rng: np.random.Generator) -> Voices:
    """N people in ``rooms`` rooms of 30 x 20 m, half speaking, one on each room's stage."""
    group = rng.integers(0, rooms, n).astype(np.int64)
    pos = np.column_stack([rng.uniform(0, 30, n), np.zeros(n), rng.uniform(0, 20, n)])
    stage = np.zeros(n, dtype=bool)
    for room in range(rooms):
        members = np.flatnonzero(group == room)
        if len(members):
            stage[members[0]] = True
    return Voices(
        ids=tuple(f"s{i}" for i in range(n)),
        group=group,
        pos=pos,
        speaking=rng.random(n) < 0.5,
        stage=stage,
    )


def walk(voices: Voices, rng: np.random.Generator, step_m: float) -> Voices:
    pos = voices.pos + np.column_stack(
        [
            rng.normal(0, step_m, len(voices.ids)),
            np.zeros(len(voices.ids)),
            rng.normal(0, step_m, len(voices.ids)),
        ]
    )
    return Voices(voices.ids, voices.group, pos, voices.speaking, voices.stage, voices.quiet)


def run(n: int, rooms: int, rounds: int) -> dict[str, float]:
    rng = np.random.default_rng(n)
    voices = crowd(n, rooms, rng)
    sets: HearingSets = hearing_sets(voices)
    spent = 0.0
    changed = 0
    sizes: list[int] = []
    for _ in range(rounds):
        # 1.4 m/s walking, 0.2 s between rounds
        voices = walk(voices, rng, 1.4 * HEAR_EVERY_S)
        started = time.process_time()
        new = hearing_sets(voices, sets)
        spent += time.process_time() - started
        changed += sum(1 for key, value in new.items() if sets.get(key) != value)
        sizes += [len(value) for value in new.values()]
        sets = new
    per_round = spent / rounds
    return {
        "n": n,
        "ms": per_round * 1000,
        "core": per_round / HEAR_EVERY_S * 100,
        "mean_set": float(np.mean(sizes)) if sizes else 0.0,
        "max_set": float(max(sizes)) if sizes else 0.0,
        "changed": changed / rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400, 800, 1600])
    parser.add_argument("--rooms", type=int, default=7, help="rooms the people are in")
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    machine = describe()
    print("machine:", ", ".join(f"{key} {value}" for key, value in machine.items()))
    print(f"rooms {args.rooms}, k 8, 12 m, half speaking, one on each stage, 1.4 m/s")
    print(
        f"{'people':>7} {'ms/round':>9} {'% core':>7} {'mean set':>9} {'max set':>8} {'changed':>8}"
    )
    for n in args.sizes:
        row = run(n, args.rooms, args.rounds)
        print(
            f"{row['n']:>7} {row['ms']:>9.2f} {row['core']:>7.2f} {row['mean_set']:>9.1f}"
            f" {row['max_set']:>8.0f} {row['changed']:>8.1f}"
        )


if __name__ == "__main__":
    main()
