"""The talk studio on a tiny one-slide script: slides, speech, video, captions, chapters,
poster and talk.toml; incremental rebuilds; refusing scripts it cannot produce."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from server.domain.talks import load_library, load_topics
from server.domain.webvtt import parse_vtt
from tools.media_probe import probe
from tools.narration import caption_chunks, caption_lines
from tools.slides import HEIGHT, WIDTH, missing_glyphs, render_slide, style_for
from tools.talk_script import Slide, load_script, split_sentences
from tools.talk_studio import FRAME_RATE, build_samples
from world.errors import InputFileError
from world.site import Site

SCRIPT = """
[talk]
title = { de = "Kurz erklärt: Abwärme", en = "Waste heat in brief" }
speaker = "Öko.HUB Twin (Test)"
date = 2025-06-01
topics = ["ressourcenschutz"]
language = "de"
summary = { de = "Ein Satz zur Abwärme." }

[speech]
"Öko.HUB" = "Öko-Hub"

[[slides]]
title = "Abwärme nutzen"
chapter = "Worum es geht"
points = ["Wärme aus Druckluft und Kälte nutzen", "Heizkosten sparen"]
narration = \"\"\"
Willkommen im Öko.HUB. Abwärme aus Kompressoren kann Hallen heizen.
\"\"\"
"""


def write_script(site: Site, talk_id: str = "abwaerme", text: str = SCRIPT) -> Path:
    folder = site.path / "talks" / talk_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "script.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_one_slide_script_becomes_a_playable_talk(site: Site, tmp_path: Path) -> None:
    write_script(site)
    out = tmp_path / "talks"
    (result,) = build_samples(site, out, jobs=1)
    assert result.built and result.talk_id == "abwaerme"
    folder = out / "abwaerme"
    assert sorted(p.name for p in folder.iterdir()) == [
        "build.json",
        "captions.de.vtt",
        "poster.webp",
        "talk.toml",
        "talk.webm",
    ]
    media = probe(folder / "talk.webm")
    assert media.video is not None and media.audio is not None
    assert (media.video.codec, media.audio.codec) == ("vp9", "opus")
    assert (media.video.width, media.video.height) == (WIDTH, HEIGHT)
    # One slide: lead-in, two sentences, tail, rounded up to whole frames.
    assert 3.0 < media.duration_s < 15.0
    frames = media.duration_s * FRAME_RATE
    assert frames == pytest.approx(round(frames), abs=0.05)

    talk = load_library(site, out).talks["abwaerme"]
    assert talk.produced_from_script
    assert talk.duration_s == pytest.approx(media.duration_s)
    assert talk.title["en"] == "Waste heat in brief"
    assert [(c.start_s, c.title) for c in talk.chapters] == [(0.0, {"de": "Worum es geht"})]
    cues = parse_vtt((folder / "captions.de.vtt").read_text(encoding="utf-8"))
    # Captions show what is written (not the spoken spelling), in order, inside the talk.
    assert [c.text.replace("\n", " ") for c in cues] == [
        "Willkommen im Öko.HUB.",
        "Abwärme aus Kompressoren kann Hallen heizen.",
    ]
    assert 0.5 <= cues[0].start_s < cues[0].end_s <= cues[1].start_s < cues[1].end_s
    assert cues[1].end_s <= talk.duration_s
    with Image.open(folder / "poster.webp") as poster:
        assert poster.size == (WIDTH, HEIGHT)


def test_building_again_is_instant_until_the_script_changes(site: Site, tmp_path: Path) -> None:
    script = write_script(site)
    out = tmp_path / "talks"
    build_samples(site, out, jobs=1)
    media = out / "abwaerme" / "talk.webm"
    stamp = media.stat().st_mtime_ns
    started = time.perf_counter()
    (again,) = build_samples(site, out, jobs=1)
    assert not again.built
    assert time.perf_counter() - started < 0.5
    assert media.stat().st_mtime_ns == stamp
    script.write_text(SCRIPT.replace("Hallen heizen", "Büros heizen"), encoding="utf-8")
    (changed,) = build_samples(site, out, jobs=1)
    assert changed.built
    assert "Büros" in (out / "abwaerme" / "captions.de.vtt").read_text(encoding="utf-8")
    # A damaged output is noticed and produced again.
    (out / "abwaerme" / "talk.webm").write_bytes(b"broken")
    (repaired,) = build_samples(site, out, jobs=1)
    assert repaired.built


def test_produced_talks_whose_script_is_gone_and_leftovers_are_removed(
    site: Site, tmp_path: Path
) -> None:
    script = write_script(site)
    out = tmp_path / "talks"
    build_samples(site, out, jobs=1)
    (out / "handmade").mkdir()  # not the studio's: left alone
    (out / ".abwaerme.building-x1y2").mkdir()  # left by an interrupted run
    script.unlink()
    assert build_samples(site, out, jobs=1) == []
    assert sorted(p.name for p in out.iterdir()) == ["handmade"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("[talk]", "[tlk]"), "a [talk] table"),
        (('language = "de"', 'language = "Deutsch"'), "talk.language"),
        (('topics = ["ressourcenschutz"]', 'topics = ["mond"]'), "unknown topic 'mond'"),
        (("[[slides]]", "[[folien]]"), "at least one [[slides]]"),
        (('title = "Abwärme nutzen"', 'layout = "film"\ntitle = "x"'), "layout 'film'"),
        (("Willkommen im Öko.HUB. Abwärme aus Kompressoren kann Hallen heizen.", " "), "narration"),
        (("speaker = ", "speed_wpm = 20\nspeaker = "), "speed_wpm"),
    ],
)
def test_bad_scripts_are_refused_with_the_reason(
    site: Site, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    write_script(site, text=SCRIPT.replace(*change, 1))
    with pytest.raises(InputFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        build_samples(site, tmp_path / "talks", jobs=1)


def test_characters_the_slide_font_lacks_are_refused_before_any_work(
    site: Site, tmp_path: Path
) -> None:
    write_script(site, text=SCRIPT.replace("Heizkosten sparen", "Heizkosten sparen 🔥"))
    with pytest.raises(InputFileError, match="cannot show '🔥'"):
        build_samples(site, tmp_path / "talks", jobs=1)
    assert not (tmp_path / "talks" / "abwaerme").exists()


def test_the_sample_scripts_are_valid_and_drawable(site: Site) -> None:
    from world.site import DEFAULT_SITE

    scripts = sorted((DEFAULT_SITE / "talks").glob("*/script.toml"))
    assert len(scripts) >= 3
    topics = load_topics(site)
    for path in scripts:
        script = load_script(path, topics)
        assert missing_glyphs(script.all_text()) == []
        words = sum(len(s.narration.split()) for s in script.slides)
        # Two to four minutes at the script's pace.
        assert 2 * script.speed_wpm < words < 4 * script.speed_wpm, path
        assert script.slides[-1].layout == "sources"


def test_slides_are_drawn_in_the_hubs_colours() -> None:
    style = style_for("#2f7d4f", "#f2b705", "Öko.HUB", "Test")
    image = render_slide(Slide("points", "Titel", "Text.", ("Punkt",)), style, 2, 3)
    assert image.size == (WIDTH, HEIGHT)
    assert image.getpixel((5, 5)) == (0x2F, 0x7D, 0x4F)
    with pytest.raises(InputFileError, match="not a colour"):
        style_for("grünlich", "#f2b705", "Öko.HUB", "Test")


def test_sentences_and_captions_are_cut_sensibly() -> None:
    assert split_sentences("Erstens z. B. dies. Zweitens § 80 gilt. 2024 kam es! Ja?") == [
        "Erstens z. B. dies.",
        "Zweitens § 80 gilt.",
        "2024 kam es!",
        "Ja?",
    ]
    long = (
        "Für Strom verlangt das Greenhouse Gas Protocol zwei Sichtweisen: marktbasiert mit der "
        "Angabe Ihres Versorgers, und standortbasiert mit dem Wert des Umweltbundesamts."
    )
    chunks = caption_chunks(long)
    assert " ".join(chunks) == long
    assert all(len(chunk) <= 84 for chunk in chunks)
    assert chunks[0].endswith("Sichtweisen:")
    assert caption_lines("kurz") == "kurz"
    assert all(len(line) <= 45 for line in caption_lines(chunks[1]).split("\n"))
