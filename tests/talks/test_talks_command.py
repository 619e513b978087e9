"""``hubtwin talks add`` and ``hubtwin talks list`` through the real command dispatcher."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from server.app import cli
from server.domain.talks import load_library
from tools.talk_import import parse_chapter, parse_timecode, slug
from world.errors import UsageError
from world.site import Site

CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:02.000\nGuten Tag und willkommen.\n"


@pytest.fixture(autouse=True)
def only_the_talks_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("server.app.talks_command",))


def hubtwin(site: Site, data: Path, *args: str) -> int:
    return cli.main(["talks", "--site", str(site.path), "--data-dir", str(data), *args])


def test_adding_a_recording_writes_a_checked_talk(
    site: Site, media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    captions = tmp_path / "vortrag.de.vtt"
    captions.write_text(CAPTIONS, encoding="utf-8")
    code = hubtwin(
        site,
        tmp_path / "data",
        "add",
        str(media["h264_aac_moov_last.mov"]),
        "--title",
        "Energie sparen im Büro",
        "--title-in",
        "en",
        "Saving energy in the office",
        "--speaker",
        "Jörg Schröder",
        "--date",
        "2025-05-20",
        "--topic",
        "ressourcenschutz",
        "--captions",
        str(captions),
        "--chapter",
        "0:00 Einstieg",
        "--chapter",
        "0:01.5 Praxis",
        "--summary",
        "Wo im Büro Strom verloren geht.",
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "added talk 'energie-sparen-im-buero': 0:03, h264 + aac, 320×240" in out
    folder = site.path / "talks" / "energie-sparen-im-buero"
    assert sorted(p.name for p in folder.iterdir()) == [
        "captions.de.vtt",
        "media.mp4",
        "poster.webp",
        "talk.toml",
    ]
    record = tomllib.loads((folder / "talk.toml").read_text(encoding="utf-8"))
    assert record["title"] == {"de": "Energie sparen im Büro", "en": "Saving energy in the office"}
    assert record["media"] == {
        "file": "media.mp4",
        "video_codec": "h264",
        "width": 320,
        "height": 240,
        "audio_codec": "aac",
    }
    assert record["chapters"] == [
        {"start_s": 0.0, "title": "Einstieg"},
        {"start_s": 1.5, "title": "Praxis"},
    ]
    talk = load_library(site, tmp_path / "data" / "talks").talks["energie-sparen-im-buero"]
    assert talk.duration_s == pytest.approx(3.0, abs=0.2)
    assert talk.speaker == "Jörg Schröder"
    assert not [p for p in (site.path / "talks").iterdir() if p.name.startswith(".")]

    assert hubtwin(site, tmp_path / "data", "list") == 0
    listing = capsys.readouterr().out
    assert "energie-sparen-im-buero" in listing and "Energie sparen im Büro" in listing


def test_an_audio_recording_gets_no_poster(
    site: Site, media: dict[str, Path], tmp_path: Path
) -> None:
    assert hubtwin(site, tmp_path, "add", str(media["speech.mp3"]), "--title", "Nur Ton") == 0
    folder = site.path / "talks" / "nur-ton"
    assert sorted(p.name for p in folder.iterdir()) == ["media.mp3", "talk.toml"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.mp4", "not an audio or video file"),
        ("truncated.mp4", "not an audio or video file"),
        ("truncated.webm", "truncated"),
        ("h264_ac3.mp4", "AC-3"),
    ],
)
def test_files_browsers_cannot_play_are_refused_and_nothing_is_written(
    site: Site,
    media: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    reason: str,
) -> None:
    code = hubtwin(site, tmp_path, "add", str(media[name]), "--title", "Kaputt")
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("hubtwin: ") and reason in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in (site.path / "talks").iterdir()) == ["topics.toml"]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--topic", "astrologie"], "unknown topic 'astrologie'"),
        (["--language", "deutsch"], "language 'deutsch'"),
        (["--date", "gestern"], "is not a date"),
        (["--chapter", "9:00 Nach dem Ende"], "starts after the end"),
        (["--chapter", "ohne Zeit"], "is not a time"),
        (["--id", "Mit Leerzeichen"], "talk id"),
        (["--title-in", "english", "Title"], "title in 'english'"),
    ],
)
def test_bad_details_are_usage_errors(
    site: Site,
    media: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    reason: str,
) -> None:
    code = hubtwin(site, tmp_path, "add", str(media["vp9_opus.webm"]), "--title", "X", *args)
    assert code == 2
    assert reason in capsys.readouterr().err


def test_an_existing_talk_is_kept_unless_replaced(
    site: Site, media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ["add", str(media["vp9_opus.webm"]), "--title", "Zweimal"]
    assert hubtwin(site, tmp_path, *first) == 0
    assert hubtwin(site, tmp_path, "add", str(media["speech.flac"]), "--title", "Zweimal") == 2
    assert "exists already" in capsys.readouterr().err
    replace = ["add", str(media["speech.flac"]), "--title", "Zweimal", "--replace"]
    assert hubtwin(site, tmp_path, *replace) == 0
    assert sorted(p.name for p in (site.path / "talks" / "zweimal").iterdir()) == [
        "media.flac",
        "talk.toml",
    ]


def test_bad_captions_are_refused(
    site: Site, media: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.vtt"
    bad.write_text("1\n00:00:01,000 --> 00:00:02,000\nSRT, not WebVTT\n", encoding="utf-8")
    code = hubtwin(
        site, tmp_path, "add", str(media["vp9_opus.webm"]), "--title", "X", "--captions", str(bad)
    )
    assert code == 3
    assert "not a valid WebVTT file" in capsys.readouterr().err
    assert not (site.path / "talks" / "x").exists()


def test_list_reports_problems_on_stderr(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hubtwin(site, tmp_path, "list") == 0
    assert "no talks yet" in capsys.readouterr().out
    scripted = site.path / "talks" / "noch-nicht-gebaut"
    scripted.mkdir()
    (scripted / "script.toml").write_text("", encoding="utf-8")
    assert hubtwin(site, tmp_path, "list") == 0
    assert "not produced yet" in capsys.readouterr().err
    shutil.rmtree(scripted)


def test_titles_become_ids_and_times_become_seconds() -> None:
    assert slug("Der grüne Handlungsplan – mit der Belegschaft!") == (
        "der-gruene-handlungsplan-mit-der-belegschaft"
    )
    assert slug("???") == "talk"
    assert len(slug("wort " * 40)) <= 60
    assert parse_timecode("75") == 75.0
    assert parse_timecode("1:15.5") == 75.5
    assert parse_timecode("1:00:00") == 3600.0
    assert parse_chapter("12:30 Fragen und Antworten") == (750.0, "Fragen und Antworten")
    with pytest.raises(UsageError):
        parse_timecode("-1:00")
