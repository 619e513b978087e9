"""The talk library: reading and checking talk.toml, where talks come from, searching."""

from __future__ import annotations

import datetime
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from server.domain.talks import (
    TALK_FILE,
    TopicCatalog,
    WatchedLibrary,
    fold,
    load_library,
    load_talk,
    load_topics,
)
from world.errors import InputFileError
from world.site import Site

WriteTalk = Callable[..., Path]
CAPTIONS = (
    "WEBVTT\n\n00:00.000 --> 00:01.500\nHeute geht es um Kältemittel im Betrieb.\n\n"
    "00:01.500 --> 00:03.000\nUnd um Druckluft.\n"
)


def talks_root(site: Site) -> Path:
    return site.path / "talks"


def test_a_checked_talk_has_its_files_and_chapters(site: Site, write_talk: WriteTalk) -> None:
    folder = write_talk(
        talks_root(site),
        "energie-sparen",
        captions_text=CAPTIONS,
        chapters=[{"start_s": 0.0, "title": "Start"}, {"start_s": 1.5, "title": {"de": "Luft"}}],
        summary={"de": "Worum es geht.", "en": "What it is about."},
    )
    talk = load_talk(folder, load_topics(site))
    assert talk.id == "energie-sparen"
    assert talk.date == datetime.date(2025, 3, 14)
    assert talk.media.mime_type == "video/webm"
    assert talk.media_path.is_file()
    assert talk.caption_track("de") is not None and talk.caption_track("en") is None
    assert [c.title for c in talk.chapters] == [{"de": "Start"}, {"de": "Luft"}]
    cues = talk.chapter_cues()
    assert [(c.start_s, c.end_s, c.text) for c in cues] == [(0.0, 1.5, "Start"), (1.5, 3.0, "Luft")]
    assert "Kältemittel" in talk.caption_text


def test_audio_only_talks_get_an_audio_type(site: Site, write_talk: WriteTalk) -> None:
    folder = write_talk(
        talks_root(site),
        "nur-ton",
        media_name="speech.mp3",
        media={"file": "media.mp3", "audio_codec": "mp3"},
    )
    talk = load_talk(folder, load_topics(site))
    assert talk.media.mime_type == "audio/mpeg" and not talk.media.has_video


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"language": "deutsch"}, "'language' must be a language code"),
        ({"title": {"en": "Only English"}}, "needs a text in 'de'"),
        ({"speaker": ""}, "'speaker' is required"),
        ({"date": "14.03.2025"}, "'date' must be a date"),
        ({"topics": ["astrologie"]}, "unknown topic 'astrologie'"),
        ({"duration_s": 0}, "'duration_s' must be the length"),
        ({"format": 2}, "format 2 is not 1"),
        (
            {"media": {"file": "missing.webm", "video_codec": "vp9", "width": 1, "height": 1}},
            "missing.webm not found",
        ),
        (
            {"media": {"file": "../../etc/passwd.webm", "audio_codec": "opus"}},
            "must be a file name in the talk's folder",
        ),
        ({"media": {"file": "media.webm", "video_codec": "vp9"}}, "needs media.width"),
        ({"media": {"file": "media.webm"}}, "needs a video_codec, an audio_codec or both"),
        ({"media": {"file": "media.avi", "audio_codec": "mp3"}}, "must end in one of"),
        ({"poster": "poster.gif"}, "must end in one of"),
        (
            {"chapters": [{"start_s": 2.0, "title": "B"}, {"start_s": 1.0, "title": "A"}]},
            "in order of their start",
        ),
        ({"chapters": [{"start_s": 9.0, "title": "after the end"}]}, "outside the talk"),
        ({"captions": [{"language": "de", "file": "nope.vtt"}]}, "nope.vtt not found"),
    ],
)
def test_bad_talk_files_are_refused_with_the_reason(
    site: Site, write_talk: WriteTalk, change: dict[str, object], message: str
) -> None:
    folder = write_talk(talks_root(site), "kaputt", **change)
    with pytest.raises(InputFileError, match=re.escape(message)):
        load_talk(folder, load_topics(site))


def test_broken_caption_files_are_named(site: Site, write_talk: WriteTalk) -> None:
    folder = write_talk(talks_root(site), "untertitel", captions_text="WEBVTT\n\n00:05 --> 1\nx\n")
    with pytest.raises(InputFileError, match=r"captions\.de\.vtt: not a valid WebVTT file"):
        load_talk(folder, load_topics(site))


def test_one_bad_talk_does_not_hide_the_others(site: Site, write_talk: WriteTalk) -> None:
    write_talk(talks_root(site), "gut")
    write_talk(talks_root(site), "schlecht", topics=["astrologie"])
    (talks_root(site) / "Kein_Id").mkdir()
    write_talk(talks_root(site), ".gut.adding-x1y2")  # a talk being added: not yet there
    library = load_library(site, site.path / "generated")
    assert list(library.talks) == ["gut"]
    assert len(library.problems) == 1 and "astrologie" in library.problems[0]


def test_scripted_talks_are_read_from_the_generated_folder(
    site: Site, write_talk: WriteTalk, tmp_path: Path
) -> None:
    generated = tmp_path / "var" / "talks"
    (talks_root(site) / "aus-skript").mkdir()
    (talks_root(site) / "aus-skript" / "script.toml").write_text("[talk]\n", encoding="utf-8")
    library = load_library(site, generated)
    assert not library.talks
    assert library.problems == ["aus-skript: not produced yet (run: hubtwin talks build-samples)"]
    write_talk(generated, "aus-skript")
    write_talk(generated, "ohne-skript")  # produced once, script gone since: not listed
    library = load_library(site, generated)
    assert list(library.talks) == ["aus-skript"]
    assert library.talks["aus-skript"].folder == (generated / "aus-skript").resolve()


def test_topics_without_a_catalogue_are_free_and_a_bad_catalogue_is_reported(
    site: Site, write_talk: WriteTalk
) -> None:
    (talks_root(site) / "topics.toml").unlink()
    assert load_topics(site) == TopicCatalog({})
    write_talk(talks_root(site), "frei", topics=["irgendwas"])
    assert list(load_library(site, site.path / "g").talks) == ["frei"]
    (talks_root(site) / "topics.toml").write_text("[topics]\nBad_Id = 'x'\n", encoding="utf-8")
    library = load_library(site, site.path / "g")
    assert any("topic id 'Bad_Id'" in p for p in library.problems)


def test_topic_names_follow_the_language() -> None:
    catalog = TopicCatalog({"klimabilanz": {"de": "Klimabilanz", "en": "Carbon accounting"}})
    assert catalog.name("klimabilanz", "en") == "Carbon accounting"
    assert catalog.name("klimabilanz", "tr") == "Klimabilanz"
    assert catalog.name("unbekannt", "de") == "unbekannt"


# --- searching ------------------------------------------------------------------------------


@pytest.fixture
def library_of_three(site: Site, write_talk: WriteTalk) -> Site:
    root = talks_root(site)
    write_talk(
        root,
        "klimabilanz",
        title={"de": "Klimabilanz in fünf Schritten", "en": "Carbon accounting"},
        topics=["klimabilanz"],
        speaker="Jörg Schröder",
        date="2025-01-10",
    )
    write_talk(
        root,
        "handlungsplan",
        title={"de": "Der grüne Handlungsplan"},
        topics=["handlungsplan", "beschaeftigte"],
        speaker="Ayşe Demir",
        date="2025-02-10",
        summary={"de": "Mit der Belegschaft planen, auch die Klimabilanz nutzen."},
    )
    write_talk(
        root,
        "druckluft",
        title={"de": "Ressourcen sparen", "en": "Saving resources"},
        topics=["ressourcenschutz"],
        speaker="Jörg Schröder",
        language="en",
        date="2025-03-10",
        captions_text=CAPTIONS,
    )
    return site


def ids(talks: list[object]) -> list[str]:
    return [t.id for t in talks]  # type: ignore[attr-defined]


def test_all_talks_are_listed_newest_first(library_of_three: Site) -> None:
    library = load_library(library_of_three, library_of_three.path / "g")
    assert ids(library.all()) == ["druckluft", "handlungsplan", "klimabilanz"]
    assert ids(library.search()) == ["druckluft", "handlungsplan", "klimabilanz"]


def test_search_by_topic_speaker_and_language(library_of_three: Site) -> None:
    library = load_library(library_of_three, library_of_three.path / "g")
    assert ids(library.search(topic="beschaeftigte")) == ["handlungsplan"]
    assert ids(library.search(speaker="schroder")) == ["druckluft", "klimabilanz"]
    assert ids(library.search(speaker="Schröder", language="de")) == ["klimabilanz"]
    assert library.speakers() == ["Ayşe Demir", "Jörg Schröder"]
    assert library.used_topics() == [
        "beschaeftigte",
        "handlungsplan",
        "klimabilanz",
        "ressourcenschutz",
    ]


def test_text_search_ranks_titles_first_and_finds_words_in_captions(library_of_three: Site) -> None:
    library = load_library(library_of_three, library_of_three.path / "g")
    # In the title of one, in the summary of another.
    assert ids(library.search("Klimabilanz")) == ["klimabilanz", "handlungsplan"]
    # Umlauts may be typed either way; English titles count too.
    assert ids(library.search("gruene")) == ["handlungsplan"]
    assert ids(library.search("grüne plan")) == ["handlungsplan"]
    assert ids(library.search("carbon")) == ["klimabilanz"]
    # A word that is only spoken, found through the captions; word starts only.
    assert ids(library.search("kaeltemittel")) == ["druckluft"]
    assert ids(library.search("ltemittel")) == []
    # Every word must match somewhere.
    assert ids(library.search("klimabilanz druckluft")) == []
    # Topic names match as well as topic ids.
    assert ids(library.search("Beschäftigte")) == ["handlungsplan"]


def test_folding_makes_spellings_meet() -> None:
    assert fold("Grüße aus Köln") == fold("GRUESSE aus Koeln") == "gruesse aus koeln"
    assert fold("Café") == "cafe"


# --- watching the folders -------------------------------------------------------------------


def test_the_watched_library_reads_changes_after_its_interval(
    site: Site, write_talk: WriteTalk
) -> None:
    watched = WatchedLibrary(site, site.path / "g", interval_s=2.0)
    assert watched.current(0.0).talks == {}
    folder = write_talk(talks_root(site), "neu")
    assert watched.current(1.0).talks == {}  # not looked yet
    assert list(watched.current(2.5).talks) == ["neu"]
    first = watched.current(5.0)
    assert watched.current(8.0) is first  # nothing changed: not read again
    talk_file = folder / TALK_FILE
    talk_file.write_text(
        talk_file.read_text(encoding="utf-8").replace("Erika Mustermann", "Max Muster"),
        encoding="utf-8",
    )
    stat = talk_file.stat()
    os.utime(talk_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert watched.current(11.0).talks["neu"].speaker == "Max Muster"
    (folder / "media.webm").unlink()  # a file of the talk disappears
    assert watched.current(14.0).talks == {}
    assert "media.webm not found" in watched.current(14.0).problems[0]
    shutil.rmtree(folder)
    assert watched.current(17.0).talks == {}
