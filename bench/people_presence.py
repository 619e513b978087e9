"""What "who is here" across processes costs (``server/features/people/presence.py``): the size of
one process's list in Redis, packing it (once a round, to see whether it changed) and reading
another process's back (on each ``GET /api/people``), for N people. No Redis needed: the
commands themselves are one ``SET`` or ``PEXPIRE`` a round and one ``MGET`` a request.

    python -m bench.people_presence
    python -m bench.people_presence --people 100 400 1000 4000
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from functools import partial

from server.features.people.http import Present
from server.features.people.presence import pack_present, unpack_present


def people(count: int) -> dict[str, Present]:
    return {
        f"g-{n:06d}-{n * 7919 % 100000:05d}": Present(
            f"s-{n:08d}", f"Besucherin {n}", "hall" if n % 2 else "werkstatt", n % 3
        )
        for n in range(count)
    }


def per_call_ms(action: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - start) / repeat * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[100, 400, 1000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    print(f"{'people':>7} {'bytes':>8} {'pack ms':>8} {'read ms':>8}")
    for count in args.people:
        here = people(count)
        text = pack_present(here)
        pack = per_call_ms(partial(pack_present, here), args.repeat)
        read = per_call_ms(partial(unpack_present, text), args.repeat)
        print(f"{count:>7} {len(text.encode()):>8} {pack:>8.2f} {read:>8.2f}")


if __name__ == "__main__":
    main()
