"""WebVTT: writing captions and chapters, reading caption files back."""

from __future__ import annotations

import doctest

import pytest

import server.base.toml_text
import server.domain.webvtt
from server.domain.webvtt import (
    Cue,
    VttError,
    format_timestamp,
    parse_timestamp,
    parse_vtt,
    write_vtt,
)


def test_timestamps_round_trip() -> None:
    assert format_timestamp(0) == "00:00:00.000"
    assert format_timestamp(3725.5) == "01:02:05.500"
    assert parse_timestamp("01:02:05.500") == pytest.approx(3725.5)
    assert parse_timestamp("02:05.250") == pytest.approx(125.25)


@pytest.mark.parametrize("text", ["1:2:3", "00:60:00.000", "00:00:00,000", "abc"])
def test_bad_timestamps_are_refused(text: str) -> None:
    with pytest.raises(VttError):
        parse_timestamp(text)


def test_cues_round_trip_with_escapes_and_two_lines() -> None:
    cues = [
        Cue(0.6, 2.12, "Willkommen im Öko.HUB."),
        Cue(2.5, 7.0, "Strom & Wärme <kurz>\nzweite Zeile"),
        Cue(7.0, 9.0, "Pfeil --> hier"),
    ]
    text = write_vtt(cues, identifiers=True)
    assert text.startswith("WEBVTT\n\n1\n00:00:00.600 --> 00:00:02.120\n")
    assert "Strom &amp; Wärme &lt;kurz>" in text
    assert parse_vtt(text) == cues


def test_reading_tolerates_bom_crlf_notes_settings_and_tags() -> None:
    text = (
        "\ufeffWEBVTT - Captions\r\n\r\nNOTE made by hand\r\n\r\n"
        "intro\r\n00:01.000 --> 00:02.500 align:start line:90%\r\n<v Anna>Hallo</v> <b>Welt</b>\r\n"
    )
    assert parse_vtt(text) == [Cue(1.0, 2.5, "Hallo Welt")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n",
        "WEBVTT\n\n00:03.000 --> 00:02.000\nbackwards\n",
        "WEBVTT\n\nonly text without timing\n",
        "WEBVTT\n\n00:01 --> 00:02\nno millis\n",
    ],
)
def test_invalid_files_are_refused(text: str) -> None:
    with pytest.raises(VttError):
        parse_vtt(text)


def test_a_cue_that_ends_before_it_starts_is_not_written() -> None:
    with pytest.raises(VttError):
        write_vtt([Cue(2.0, 1.0, "x")])


def test_the_examples_in_the_modules_hold() -> None:
    assert doctest.testmod(server.domain.webvtt).failed == 0
    assert doctest.testmod(server.base.toml_text).failed == 0
