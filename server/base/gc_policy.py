"""How a hub process runs Python's cyclic garbage collector.

A running hub allocates mostly short-lived, acyclic objects per tick (frames, small numpy
arrays, message dicts) that reference counting frees at once; the cyclic collector only
finds work among the long-lived objects loaded at start (the world model, the site's
content, the modules). With the default thresholds it runs a young-generation pass every
700 allocations and walks those long-lived objects again and again in the older
generations: about 1.5-2 % of a core with 400 avatars in a room (docs/performance.md).

``settle_after_start`` is called once the hub is loaded: it moves everything alive into
the permanent generation (``gc.freeze``), which the collector never walks, and spaces the
young passes out. Cycles made later are still collected.
"""

from __future__ import annotations

import gc

#: Allocations (minus frees) between two young-generation passes (CPython's default: 700).
YOUNG_THRESHOLD = 50_000
#: Young passes per middle pass, middle passes per full pass (defaults: 10, 10).
MIDDLE_EVERY = 20
FULL_EVERY = 50


def settle_after_start() -> None:
    """Freeze what start-up loaded and space the collector's passes out."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_EVERY, FULL_EVERY)
