"""Line numbers for keys of TOML text."""

from __future__ import annotations

from world.toml_locations import KeyLines, toml_error_line

TEXT = '''\
# comment
anchor = "x"
title.de = "a"
"quoted key" = 1
[[sources]]
publisher = "p"
[[sources]]
publisher = "q # not a comment"
[quiz]
pass_mark = 1
[[quiz.questions]]
kind = "single"
options = [
  { de = "a, ] still text", en = "b", correct = true },
  # a comment line
  { de = "c", en = "d" },
]
explanation.de = """multi
line = "not a key"
end"""
[[quiz.questions]]
kind = "multiple"
options = [ { de = "a" }, { de = "b" } ]
[experiment]
calculator = "x"
'''


def test_keys_tables_and_array_elements_have_their_lines() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("anchor",)) == 2
    assert lines.line_of(("title", "de")) == 3
    assert lines.line_of(("title",)) == 3
    assert lines.line_of(("quoted key",)) == 4
    assert lines.line_of(("sources", 0, "publisher")) == 6
    assert lines.line_of(("sources", 1)) == 7
    assert lines.line_of(("quiz", "pass_mark")) == 10
    assert lines.line_of(("quiz", "questions", 0, "options", 0)) == 14
    assert lines.line_of(("quiz", "questions", 0, "options", 1, "en")) == 16
    assert lines.line_of(("quiz", "questions", 0, "explanation", "de")) == 18
    assert lines.line_of(("quiz", "questions", 1, "kind")) == 22
    assert lines.line_of(("quiz", "questions", 1, "options", 1)) == 23
    assert lines.line_of(("experiment", "calculator")) == 25


def test_unknown_paths_fall_back_to_the_nearest_known_one() -> None:
    lines = KeyLines(TEXT)
    assert lines.line_of(("quiz", "questions", 1, "prompt", "de")) == 21
    assert lines.line_of(("nothing",)) is None
    assert lines.line_of(("line",)) is None  # inside the multi-line string


def test_tomllib_positions_are_split_off() -> None:
    assert toml_error_line("Expected '=' after a key (at line 3, column 7)") == (
        3,
        "Expected '=' after a key",
    )
    assert toml_error_line("no position") == (None, "no position")
