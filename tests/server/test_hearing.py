"""The hearing sets (server/features/voice/hearing.py), without sockets: groups never mix, sets are
bounded by k plus the stage, muted speakers are in no set, the nearest are chosen and the border
does not flap."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from server.features.voice.hearing import Voices, changes, hearing_sets


@st.composite
def crowds(draw: st.DrawFn) -> tuple[Voices, dict[str, frozenset[str]], int]:
    n = draw(st.integers(min_value=0, max_value=40))
    groups = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    coords = st.floats(min_value=-30, max_value=30, allow_nan=False)
    pos = draw(st.lists(st.tuples(coords, coords, coords), min_size=n, max_size=n))
    flags = st.lists(st.booleans(), min_size=n, max_size=n)
    speaking, stage = draw(flags), draw(flags)
    quiet_groups = draw(st.sets(st.integers(0, 3)))
    ids = tuple(f"s{i}" for i in range(n))
    previous = {
        sid: frozenset(draw(st.sets(st.sampled_from(ids), max_size=6))) if n else frozenset()
        for sid in ids
    }
    voices = Voices(
        ids=ids,
        group=np.array(groups, dtype=np.int64),
        pos=np.array(pos, dtype=np.float64).reshape(n, 3),
        speaking=np.array(speaking, dtype=bool),
        stage=np.array(stage, dtype=bool),
        quiet=np.array([g in quiet_groups for g in groups], dtype=bool),
    )
    return voices, previous, draw(st.integers(0, 10))


@settings(max_examples=120, deadline=None)
@given(crowds())
def test_sets_respect_groups_bounds_and_mutes(case: tuple[Voices, dict, int]) -> None:
    voices, previous, k = case
    sets = hearing_sets(voices, previous, k=k)
    row = {sid: i for i, sid in enumerate(voices.ids)}
    assert set(sets) == set(voices.ids)
    for listener, speakers in sets.items():
        i = row[listener]
        stage_in_group = sum(
            1
            for j in range(len(voices.ids))
            if voices.group[j] == voices.group[i] and voices.stage[j] and voices.speaking[j]
        )
        assert len(speakers) <= k + stage_in_group
        assert listener not in speakers
        for speaker in speakers:
            j = row[speaker]
            assert voices.group[j] == voices.group[i], "a speaker from another group"
            assert voices.speaking[j], "a muted speaker is heard"
            if voices.quiet[i]:
                assert voices.stage[j], "a quiet group hears only the stage"
            if not voices.stage[j]:
                assert np.linalg.norm(voices.pos[i] - voices.pos[j]) <= 12.0 + 2.0


@settings(max_examples=80, deadline=None)
@given(crowds())
def test_the_stage_is_heard_by_the_whole_group(case: tuple[Voices, dict, int]) -> None:
    voices, previous, k = case
    sets = hearing_sets(voices, previous, k=k)
    for i, listener in enumerate(voices.ids):
        for j, speaker in enumerate(voices.ids):
            same = voices.group[i] == voices.group[j]
            if i != j and same and voices.stage[j] and voices.speaking[j]:
                assert speaker in sets[listener]


def _line(xs: list[float], speaking: list[bool] | None = None) -> Voices:
    n = len(xs)
    return Voices(
        ids=tuple(f"p{i}" for i in range(n)),
        group=np.zeros(n, dtype=np.int64),
        pos=np.array([[x, 0.0, 0.0] for x in xs]),
        speaking=np.array(speaking if speaking is not None else [True] * n),
    )


def test_the_nearest_k_within_reach_are_chosen() -> None:
    voices = _line([0, 1, 2, 3, 4, 13, 30])
    sets = hearing_sets(voices, k=3)
    assert sets["p0"] == {"p1", "p2", "p3"}
    assert "p6" not in hearing_sets(voices, k=8)["p0"]
    assert "p5" not in hearing_sets(voices, k=8)["p0"]  # 13 m: beyond 12 m


def test_hysteresis_keeps_a_speaker_at_the_border() -> None:
    inside = hearing_sets(_line([0, 11.5]))
    assert inside["p0"] == {"p1"}
    drifted = _line([0, 13.0])
    assert hearing_sets(drifted, inside)["p0"] == {"p1"}, "kept within radius + margin"
    assert hearing_sets(drifted)["p0"] == frozenset(), "a newcomer at 13 m is not heard"
    assert hearing_sets(_line([0, 14.5]), inside)["p0"] == frozenset()


def test_a_muted_speaker_is_in_no_set_and_changes_say_so() -> None:
    before = hearing_sets(_line([0, 2, 4]))
    after = hearing_sets(_line([0, 2, 4], [True, False, True]))
    assert all("p1" not in speakers for speakers in after.values())
    diff = changes(before, after)
    assert diff["p0"] == (frozenset(), frozenset({"p1"}))
