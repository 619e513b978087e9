"""Adding a recorded talk to a site: check the recording, copy it into
``<site>/talks/<id>/`` in a form every browser plays, take a poster frame, and write the
talk's ``talk.toml`` (``hubtwin talks add``).

Nothing is written until the recording has passed its checks; a talk folder appears whole
or not at all.
"""

from __future__ import annotations

import datetime
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from server.api import (
    FORMAT_VERSION,
    LANGUAGE,
    LANGUAGE_NAMES,
    TALK_FILE,
    TALK_ID,
    Talk,
    VttError,
    fold,
    load_talk,
    load_topics,
    parse_vtt,
    talk_folders_root,
    toml_document,
)
from tools.media_probe import MediaProbe, copy_for_web, probe, run_tool, web_media
from world.errors import InputFileError, UsageError
from world.site import Site

POSTER_WIDTH = 1280
MEDIA_STEM = "media"


@dataclass
class RecordingDetails:
    """What staff say about a recording (the rest is measured from the file)."""

    title: dict[str, str]
    speaker: str
    language: str
    date: datetime.date
    topics: list[str] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)
    captions: dict[str, Path] = field(default_factory=dict)
    chapters: list[tuple[float, str]] = field(default_factory=list)
    poster: Path | None = None
    talk_id: str | None = None


def slug(text: str, max_length: int = 60) -> str:
    """A talk id from a title: 'Der grüne Handlungsplan' → 'der-gruene-handlungsplan'."""
    words = re.split(r"[^a-z0-9]+", fold(text))
    result = ""
    for word in (w for w in words if w):
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > max_length:
            break
        result = candidate
    return result or "talk"


def parse_timecode(text: str) -> float:
    """Seconds from '75', '1:15' or '0:01:15' (fractions allowed: '1:15.5')."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3:
        raise UsageError(f"{text!r} is not a time like 1:15 or 0:01:15")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise UsageError(f"{text!r} is not a time like 1:15 or 0:01:15") from None
    seconds = 0.0
    for number in numbers:
        if number < 0:
            raise UsageError(f"{text!r}: times are not negative")
        seconds = seconds * 60 + number
    return seconds


def parse_chapter(text: str) -> tuple[float, str]:
    """A chapter from '12:30 Title of the chapter'."""
    time_text, _, title = text.strip().partition(" ")
    if not title.strip():
        raise UsageError(f"chapter {text!r}: write it as 'M:SS Title'")
    return parse_timecode(time_text), title.strip()


def _check_details(site: Site, details: RecordingDetails) -> str:
    if not LANGUAGE.match(details.language):
        raise UsageError(f"language {details.language!r} must be a code like 'de' or 'en'")
    if details.language not in details.title:
        raise UsageError(f"the title needs a text in the talk's language ({details.language})")
    for language, text in details.title.items():
        if not LANGUAGE.match(language) or not text.strip() or len(text) > 200:
            raise UsageError(f"title in {language!r}: a language code and 1-200 characters")
    if not details.speaker.strip() or len(details.speaker) > 200:
        raise UsageError("the speaker is required (at most 200 characters)")
    topics = load_topics(site)
    for topic in details.topics:
        try:
            topics.check(topic, "--topic")
        except InputFileError as exc:
            raise UsageError(str(exc)) from None
    talk_id = details.talk_id or slug(details.title[details.language])
    if not TALK_ID.match(talk_id):
        raise UsageError(f"talk id {talk_id!r} must be lower-case letters, digits and '-'")
    for language in details.captions:
        if not LANGUAGE.match(language):
            raise UsageError(f"captions language {language!r} must be a code like 'de'")
    return talk_id


def _copy_captions(source: Path, target: Path, duration: float) -> None:
    try:
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"{source}: captions file not found") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{source}: captions must be UTF-8 text") from None
    try:
        cues = parse_vtt(text)
    except VttError as exc:
        raise InputFileError(f"{source}: not a valid WebVTT file: {exc}") from None
    if not cues:
        raise InputFileError(f"{source}: has no cues")
    if cues[0].start_s > duration:
        raise InputFileError(f"{source}: the captions start after the talk has ended")
    target.write_text(text, encoding="utf-8")


def _poster_from_image(source: Path, target: Path) -> None:
    try:
        with Image.open(source) as image:
            image.load()
            picture = image.convert("RGB")
    except (FileNotFoundError, UnidentifiedImageError, OSError) as exc:
        raise InputFileError(f"{source}: not a readable image ({exc})") from None
    if picture.width > POSTER_WIDTH:
        height = round(picture.height * POSTER_WIDTH / picture.width)
        picture = picture.resize((POSTER_WIDTH, height), Image.Resampling.LANCZOS)
    picture.save(target, "WEBP", quality=82)


def _poster_from_video(found: MediaProbe, target: Path) -> bool:
    at = min(found.duration_s * 0.1, 30.0)
    frame = target.with_suffix(".png")
    result = run_tool(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-ss",
            f"{at:.2f}",
            "-i",
            str(found.path),
            "-frames:v",
            "1",
            "-vf",
            f"scale='min({POSTER_WIDTH},iw)':-2",
            str(frame),
        ],
        timeout_s=60.0,
    )
    if result.returncode != 0 or not frame.is_file():
        return False
    _poster_from_image(frame, target)
    frame.unlink()
    return True


def talk_record(
    details: RecordingDetails,
    *,
    duration_s: float,
    media_file: str,
    copied: MediaProbe,
    poster: str | None,
    captions: list[dict[str, str]],
) -> dict[str, Any]:
    """The contents of a recording's ``talk.toml``."""
    video, audio = copied.video, copied.audio
    media: dict[str, Any] = {"file": media_file}
    if video is not None:
        media.update(video_codec=video.codec, width=video.width, height=video.height)
    if audio is not None:
        media["audio_codec"] = audio.codec
    return {
        "format": FORMAT_VERSION,
        "title": details.title,
        "speaker": details.speaker.strip(),
        "date": details.date,
        "topics": details.topics,
        "language": details.language,
        "summary": details.summary or None,
        "duration_s": round(duration_s, 3),
        "poster": poster,
        "media": media,
        "captions": captions or None,
        "chapters": [
            {"start_s": round(start, 3), "title": title} for start, title in details.chapters
        ]
        or None,
    }


def add_recording(
    site: Site, source: Path, details: RecordingDetails, *, replace: bool = False
) -> Talk:
    """Check ``source``, copy it into the site as a new talk and return the talk."""
    talk_id = _check_details(site, details)
    root = talk_folders_root(site)
    final = root / talk_id
    if final.exists() and not replace:
        raise UsageError(f"a talk {talk_id!r} exists already (choose --id, or --replace it)")
    found = probe(source)
    plan = web_media(found)
    for start, title in details.chapters:
        if start >= found.duration_s:
            raise UsageError(f"chapter {title!r} starts after the end of the recording")
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{talk_id}.adding-", dir=root))
    try:
        media_file = f"{MEDIA_STEM}{plan.suffix}"
        copied = copy_for_web(found, plan, staging / media_file)
        captions: list[dict[str, str]] = []
        for language, path in sorted(details.captions.items()):
            name = f"captions.{language}.vtt"
            _copy_captions(path, staging / name, copied.duration_s)
            label = LANGUAGE_NAMES.get(language, language)
            captions.append({"language": language, "label": label, "file": name})
        poster: str | None = "poster.webp"
        if details.poster is not None:
            _poster_from_image(details.poster, staging / "poster.webp")
        elif copied.video is None or not _poster_from_video(copied, staging / "poster.webp"):
            poster = None
        record = talk_record(
            details,
            duration_s=copied.duration_s,
            media_file=media_file,
            copied=copied,
            poster=poster,
            captions=captions,
        )
        (staging / TALK_FILE).write_text(
            toml_document(record, header="A recorded talk. Format: docs/talks-format.md"),
            encoding="utf-8",
        )
        previous = root / f".{talk_id}.replaced"
        if final.exists():
            shutil.rmtree(previous, ignore_errors=True)
            final.rename(previous)
        staging.rename(final)
        try:
            talk = load_talk(final, load_topics(site))
        except InputFileError:
            shutil.rmtree(final, ignore_errors=True)
            if previous.exists():
                previous.rename(final)
            raise
        shutil.rmtree(previous, ignore_errors=True)
        return talk
    finally:
        shutil.rmtree(staging, ignore_errors=True)
