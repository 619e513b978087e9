"""The script of a produced talk (``<site>/talks/<id>/script.toml``): the talk's details,
and per slide what it shows and what the narrator says. The talk studio turns it into
slides, speech, captions and chapters; the format is in docs/talks-format.md.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.api import LANGUAGE, SCRIPT_FILE, TALK_ID, TopicCatalog, parse_date
from world.errors import InputFileError

LAYOUTS = ("title", "points", "sources")
MAX_POINTS = 7
MAX_POINT_CHARS = 160
# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = ("z. B.", "d. h.", "u. a.", "bzw.", "ca.", "Nr.", "Abs.", "e.g.", "i.e.")


@dataclass(frozen=True)
class Slide:
    """One slide: its layout and text, and the narration spoken while it shows."""

    layout: str
    title: str
    narration: str
    points: tuple[str, ...] = ()
    subtitle: str = ""
    chapter: str = ""

    def sentences(self) -> list[str]:
        return split_sentences(self.narration)


@dataclass(frozen=True)
class TalkScript:
    """A whole script, checked."""

    talk_id: str
    path: Path
    talk: dict[str, Any]
    language: str
    voice: str
    speed_wpm: int
    slides: tuple[Slide, ...]
    speech: dict[str, str] = field(default_factory=dict)

    def spoken(self, text: str) -> str:
        """The text as the speech engine should get it (the ``[speech]`` replacements)."""
        for written, said in self.speech.items():
            text = re.sub(rf"(?<!\w){re.escape(written)}(?!\w)", said, text)
        return text

    def all_text(self) -> str:
        parts = [str(v) for v in self.talk.get("title", {}).values()]
        for slide in self.slides:
            parts += [slide.title, slide.subtitle, slide.chapter, *slide.points]
        return "\n".join(parts)


def split_sentences(text: str) -> list[str]:
    """Sentences of a narration (a full stop after a known abbreviation does not count)."""
    text = " ".join(text.split())
    protected = text
    for index, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, abbreviation.replace(".", f"\x00{index}"))
    pieces = re.split(r"(?<=[.!?…])\s+(?=[\"„»(]?[A-ZÄÖÜ0-9§])", protected)
    sentences = []
    for piece in pieces:
        for index, abbreviation in enumerate(_ABBREVIATIONS):
            piece = piece.replace(abbreviation.replace(".", f"\x00{index}"), abbreviation)
        if piece.strip():
            sentences.append(piece.strip())
    return sentences


def _text(data: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputFileError(f"{where}: '{key}' must be a text")
    return " ".join(value.split()) if key != "narration" else value.strip()


def _slide(data: object, where: str) -> Slide:
    if not isinstance(data, dict):
        raise InputFileError(f"{where}: must be a table")
    layout = data.get("layout", "points")
    if layout not in LAYOUTS:
        raise InputFileError(f"{where}: layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    points = data.get("points", [])
    if not isinstance(points, list) or not all(isinstance(p, str) and p.strip() for p in points):
        raise InputFileError(f"{where}: 'points' must be a list of texts")
    if len(points) > MAX_POINTS or any(len(p) > MAX_POINT_CHARS for p in points):
        raise InputFileError(
            f"{where}: at most {MAX_POINTS} points of {MAX_POINT_CHARS} characters fit a slide"
        )
    slide = Slide(
        layout=layout,
        title=_text(data, "title", where),
        narration=_text(data, "narration", where),
        points=tuple(" ".join(p.split()) for p in points),
        subtitle=_text(data, "subtitle", where, required=False),
        chapter=_text(data, "chapter", where, required=False),
    )
    if not slide.sentences():
        raise InputFileError(f"{where}: the narration has no sentence")
    return slide


def load_script(path: Path, topics: TopicCatalog) -> TalkScript:
    """Read and check a ``script.toml``; its folder's name is the talk's id."""
    if path.name != SCRIPT_FILE:
        raise InputFileError(f"{path}: a talk script is named {SCRIPT_FILE}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not valid TOML: {exc}") from None
    talk_id = path.parent.name
    if not TALK_ID.match(talk_id):
        raise InputFileError(f"{path}: folder name {talk_id!r} must be a talk id (a-z, 0-9, '-')")
    talk = data.get("talk")
    if not isinstance(talk, dict):
        raise InputFileError(f"{path}: a [talk] table with title, speaker, date … is required")
    language = talk.get("language")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise InputFileError(f"{path}: talk.language must be a language code like 'de'")
    title = talk.get("title")
    if not isinstance(title, dict) or not isinstance(title.get(language), str):
        raise InputFileError(f"{path}: talk.title needs a text in {language!r}")
    if not isinstance(talk.get("speaker"), str) or not talk["speaker"].strip():
        raise InputFileError(f"{path}: talk.speaker is required")
    parse_date(talk.get("date"), f"{path}: talk")
    for topic in talk.get("topics", []):
        topics.check(topic, f"{path}: talk.topics")
    voice = talk.get("voice", language)
    if not isinstance(voice, str) or not re.match(
        r"^[a-z]{2,3}(-[a-z0-9]+)?(\+[a-z0-9]+)?$", voice
    ):
        raise InputFileError(f"{path}: talk.voice {voice!r} is not an espeak-ng voice name")
    speed = talk.get("speed_wpm", 150)
    if not isinstance(speed, int) or not 80 <= speed <= 260:
        raise InputFileError(f"{path}: talk.speed_wpm must be words per minute (80–260)")
    speech = data.get("speech", {})
    if not isinstance(speech, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in speech.items()
    ):
        raise InputFileError(f"{path}: [speech] must map written words to spoken ones")
    raw_slides = data.get("slides")
    if not isinstance(raw_slides, list) or not raw_slides:
        raise InputFileError(f"{path}: at least one [[slides]] is required")
    slides = tuple(_slide(s, f"{path}: slides[{i}]") for i, s in enumerate(raw_slides))
    metadata = {
        key: talk[key] for key in ("title", "speaker", "date", "topics", "summary") if key in talk
    }
    return TalkScript(
        talk_id=talk_id,
        path=path,
        talk=metadata,
        language=language,
        voice=voice,
        speed_wpm=speed,
        slides=slides,
        speech=dict(speech),
    )
