"""The collector settings a hub process runs with after start-up."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from server.base.gc_policy import FULL_EVERY, MIDDLE_EVERY, YOUNG_THRESHOLD, settle_after_start


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_gc")
def test_settling_freezes_what_is_alive_and_spaces_the_passes_out() -> None:
    long_lived = [[index] for index in range(1000)]
    settle_after_start()
    assert gc.get_freeze_count() >= len(long_lived)
    assert gc.get_threshold() == (YOUNG_THRESHOLD, MIDDLE_EVERY, FULL_EVERY)


@pytest.mark.usefixtures("restored_gc")
def test_cycles_made_after_settling_are_still_collected() -> None:
    settle_after_start()

    class Node:
        other: Node | None = None

    first, second = Node(), Node()
    first.other, second.other = second, first
    del first, second
    assert gc.collect() >= 2
