"""The talk library: recorded talks of a hub, read from their ``talk.toml`` files, checked,
and searchable by topic, speaker and text.

Where talks live (format: docs/talks-format.md):

- ``<site>/talks/topics.toml``: the topics talks are filed under, with their names.
- ``<site>/talks/<id>/talk.toml``: a recording added by staff, with its media beside it.
- ``<site>/talks/<id>/script.toml``: a talk produced from a script by the talk studio
  (``hubtwin talks build-samples``); the studio writes its ``talk.toml`` and media to
  ``<data dir>/talks/<id>/``, which is not kept in version control.

A talk that fails its checks is left out of the library and reported in
``TalkLibrary.problems``; one bad file never hides the others.

>>> library = load_library(site, generated_dir)            # doctest: +SKIP
>>> [t.id for t in library.search("klimabilanz")]          # doctest: +SKIP
['klimabilanz-in-5-schritten']
"""

from __future__ import annotations

import datetime
import logging
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.domain.webvtt import Cue, VttError, parse_vtt
from world.errors import InputFileError
from world.site import Site

log = logging.getLogger("hubtwin.talks")

FORMAT_VERSION = 1
TALK_FILE = "talk.toml"
SCRIPT_FILE = "script.toml"
#: the command that produces the scripted talks (a hub names its own --site and --data-dir)
BUILD_HINT = "hubtwin talks build-samples"
TOPICS_FILE = "topics.toml"
TALK_ID = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")

# Media a talk may have, by file suffix: (MIME type with video, MIME type audio-only).
MEDIA_TYPES: dict[str, tuple[str, str]] = {
    ".webm": ("video/webm", "audio/webm"),
    ".mp4": ("video/mp4", "audio/mp4"),
    ".m4a": ("audio/mp4", "audio/mp4"),
    ".mp3": ("audio/mpeg", "audio/mpeg"),
    ".flac": ("audio/flac", "audio/flac"),
    ".wav": ("audio/wav", "audio/wav"),
}
POSTER_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
CAPTION_KINDS = ("captions", "subtitles")
# Names of caption languages as their speakers write them (other codes show as the code).
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "en": "English",
    "tr": "Türkçe",
    "pl": "Polski",
    "ar": "العربية",
    "uk": "Українська",
    "fr": "Français",
}


def talk_folders_root(site: Site) -> Path:
    """The folder of a site that holds its talks."""
    return site.path / "talks"


# --- the talk record ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chapter:
    """A named part of a talk, starting at ``start_s``."""

    start_s: float
    title: dict[str, str]


@dataclass(frozen=True)
class CaptionTrack:
    """A WebVTT caption or subtitle file of a talk in one language."""

    language: str
    label: str
    file: str
    kind: str = "captions"


@dataclass(frozen=True)
class Media:
    """The talk's audio/video file and what is in it."""

    file: str
    mime_type: str
    video_codec: str | None
    audio_codec: str | None
    width: int | None = None
    height: int | None = None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None


@dataclass(frozen=True)
class Talk:
    """One talk of the library, checked: every file it names exists in ``folder``."""

    id: str
    folder: Path
    title: dict[str, str]
    speaker: str
    date: datetime.date
    topics: tuple[str, ...]
    language: str
    duration_s: float
    media: Media
    summary: dict[str, str] = field(default_factory=dict)
    poster: str | None = None
    captions: tuple[CaptionTrack, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    produced_from_script: bool = False
    caption_text: str = ""

    @property
    def media_path(self) -> Path:
        return self.folder / self.media.file

    @property
    def poster_path(self) -> Path | None:
        return self.folder / self.poster if self.poster else None

    def caption_track(self, language: str) -> CaptionTrack | None:
        return next((track for track in self.captions if track.language == language), None)

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get(self.language) or self.id

    def chapter_cues(self) -> list[Cue]:
        """The chapters as WebVTT cues (each lasts until the next one starts)."""
        cues = []
        for index, chapter in enumerate(self.chapters):
            end = (
                self.chapters[index + 1].start_s
                if index + 1 < len(self.chapters)
                else self.duration_s
            )
            title = chapter.title.get(self.language) or next(iter(chapter.title.values()))
            cues.append(Cue(chapter.start_s, end, title))
        return cues


# --- topics ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicCatalog:
    """The topics of a site, id → name per language. Empty: any topic id is accepted."""

    names: dict[str, dict[str, str]]

    def check(self, topic: str, where: str) -> None:
        if not TALK_ID.match(topic):
            raise InputFileError(
                f"{where}: topic {topic!r} must be lower-case letters, digits, '-'"
            )
        if self.names and topic not in self.names:
            known = ", ".join(sorted(self.names))
            raise InputFileError(f"{where}: unknown topic {topic!r} (known: {known})")

    def name(self, topic: str, language: str) -> str:
        names = self.names.get(topic, {})
        return names.get(language) or next(iter(names.values()), topic)


def load_topics(site: Site) -> TopicCatalog:
    path = talk_folders_root(site) / TOPICS_FILE
    if not path.is_file():
        return TopicCatalog({})
    data = _read_toml(path)
    table = data.get("topics", {})
    if not isinstance(table, dict):
        raise InputFileError(f"{path}: [topics] must be a table of topic id = {{ de = …, en = … }}")
    names: dict[str, dict[str, str]] = {}
    for topic, value in table.items():
        if not TALK_ID.match(topic):
            raise InputFileError(
                f"{path}: topic id {topic!r} must be lower-case letters, digits, '-'"
            )
        names[topic] = _localised(value, f"{path}: topics.{topic}", required=site.default_language)
    return TopicCatalog(names)


# --- reading and checking talk.toml ---------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not valid TOML: {exc}") from None


def _localised(value: object, where: str, *, required: str | None = None) -> dict[str, str]:
    if isinstance(value, str):
        if not value.strip():
            raise InputFileError(f"{where}: must not be empty")
        return {required or "und": value.strip()}
    if not isinstance(value, dict) or not value:
        raise InputFileError(f"{where}: expected a text or a table of texts per language")
    result: dict[str, str] = {}
    for language, text in value.items():
        if not LANGUAGE.match(language) or not isinstance(text, str) or not text.strip():
            raise InputFileError(f"{where}: {language!r} must be a language code with a text")
        result[language] = text.strip()
    if required and required not in result:
        raise InputFileError(f"{where}: needs a text in {required!r}")
    return result


def _string(data: Mapping[str, Any], key: str, where: str, *, max_length: int = 200) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputFileError(f"{where}: '{key}' is required (a text)")
    if len(value) > max_length:
        raise InputFileError(f"{where}: '{key}' is longer than {max_length} characters")
    return value.strip()


def _file_in(folder: Path, name: object, where: str, suffixes: Iterable[str]) -> str:
    allowed = tuple(suffixes)
    if not isinstance(name, str) or not name or "/" in name or "\\" in name or name.startswith("."):
        raise InputFileError(f"{where}: {name!r} must be a file name in the talk's folder")
    if Path(name).suffix.lower() not in allowed:
        raise InputFileError(f"{where}: {name!r} must end in one of {', '.join(allowed)}")
    if not (folder / name).is_file():
        raise InputFileError(f"{where}: {folder / name} not found")
    return name


def parse_date(value: object, where: str) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputFileError(f"{where}: 'date' must be a date like 2025-03-14")


def _media(data: object, folder: Path, where: str) -> Media:
    if not isinstance(data, dict):
        raise InputFileError(f"{where}: a [media] table with 'file' is required")
    name = _file_in(folder, data.get("file"), f"{where}: media.file", MEDIA_TYPES)
    video = data.get("video_codec")
    audio = data.get("audio_codec")
    if video is None and audio is None:
        raise InputFileError(f"{where}: media needs a video_codec, an audio_codec or both")
    for codec in (video, audio):
        if codec is not None and (not isinstance(codec, str) or not codec.isidentifier()):
            raise InputFileError(f"{where}: codec {codec!r} must be a codec name like 'vp9'")
    width, height = data.get("width"), data.get("height")
    if video is not None and not (
        isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0
    ):
        raise InputFileError(f"{where}: a video needs media.width and media.height in pixels")
    with_video, audio_only = MEDIA_TYPES[Path(name).suffix.lower()]
    return Media(
        file=name,
        mime_type=with_video if video is not None else audio_only,
        video_codec=video,
        audio_codec=audio,
        width=width if video is not None else None,
        height=height if video is not None else None,
    )


def _captions(data: object, folder: Path, where: str) -> tuple[tuple[CaptionTrack, ...], str]:
    if data is None:
        return (), ""
    if not isinstance(data, list):
        raise InputFileError(f"{where}: 'captions' must be an array of tables ([[captions]])")
    tracks: list[CaptionTrack] = []
    texts: list[str] = []
    for index, item in enumerate(data):
        here = f"{where}: captions[{index}]"
        if not isinstance(item, dict):
            raise InputFileError(f"{here}: must be a table")
        language = item.get("language")
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise InputFileError(f"{here}: 'language' must be a language code like 'de'")
        if any(track.language == language for track in tracks):
            raise InputFileError(f"{here}: a second caption track in {language!r}")
        kind = item.get("kind", "captions")
        if kind not in CAPTION_KINDS:
            raise InputFileError(f"{here}: 'kind' must be one of {', '.join(CAPTION_KINDS)}")
        name = _file_in(folder, item.get("file"), here, (".vtt",))
        try:
            cues = parse_vtt((folder / name).read_text(encoding="utf-8"))
        except (VttError, UnicodeDecodeError) as exc:
            raise InputFileError(f"{folder / name}: not a valid WebVTT file: {exc}") from None
        label = item.get("label", language)
        if not isinstance(label, str) or not label.strip():
            raise InputFileError(f"{here}: 'label' must be a text")
        tracks.append(CaptionTrack(language, label.strip(), name, kind))
        texts.extend(cue.text for cue in cues)
    return tuple(tracks), " ".join(texts)


def _chapters(data: object, duration: float, language: str, where: str) -> tuple[Chapter, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        raise InputFileError(f"{where}: 'chapters' must be an array of tables ([[chapters]])")
    chapters: list[Chapter] = []
    for index, item in enumerate(data):
        here = f"{where}: chapters[{index}]"
        if not isinstance(item, dict):
            raise InputFileError(f"{here}: must be a table")
        start = item.get("start_s")
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise InputFileError(f"{here}: 'start_s' must be a number of seconds")
        start = float(start)
        if not 0 <= start < duration:
            raise InputFileError(
                f"{here}: start_s {start} is outside the talk (0–{duration:.1f} s)"
            )
        if chapters and start <= chapters[-1].start_s:
            raise InputFileError(f"{here}: chapters must be in order of their start")
        title = _localised(item.get("title"), f"{here}.title", required=None)
        if "und" in title:
            title = {language: title["und"]}
        chapters.append(Chapter(start, title))
    return tuple(chapters)


def parse_talk(data: Mapping[str, Any], folder: Path, topics: TopicCatalog) -> Talk:
    """Check the contents of a ``talk.toml`` in ``folder``; the folder's name is the id."""
    where = str(folder / TALK_FILE)
    talk_id = folder.name
    if not TALK_ID.match(talk_id):
        raise InputFileError(f"{where}: folder name {talk_id!r} must be a talk id (a-z, 0-9, '-')")
    version = data.get("format", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise InputFileError(f"{where}: format {version!r} is not {FORMAT_VERSION}")
    language = data.get("language")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise InputFileError(f"{where}: 'language' must be a language code like 'de'")
    title = _localised(data.get("title"), f"{where}: title", required=language)
    if any(len(text) > 200 for text in title.values()):
        raise InputFileError(f"{where}: a title is longer than 200 characters")
    summary = (
        _localised(data["summary"], f"{where}: summary", required=language)
        if "summary" in data
        else {}
    )
    speaker = _string(data, "speaker", where)
    date = parse_date(data.get("date"), where)
    raw_topics = data.get("topics", [])
    if isinstance(raw_topics, str):
        raw_topics = [raw_topics]
    if not isinstance(raw_topics, list) or not all(isinstance(t, str) for t in raw_topics):
        raise InputFileError(f"{where}: 'topics' must be a list of topic ids")
    for topic in raw_topics:
        topics.check(topic, where)
    duration = data.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration <= 0:
        raise InputFileError(f"{where}: 'duration_s' must be the length in seconds (> 0)")
    media = _media(data.get("media"), folder, where)
    poster = (
        _file_in(folder, data["poster"], f"{where}: poster", POSTER_TYPES)
        if data.get("poster") is not None
        else None
    )
    captions, caption_text = _captions(data.get("captions"), folder, where)
    chapters = _chapters(data.get("chapters"), float(duration), language, where)
    return Talk(
        id=talk_id,
        folder=folder.resolve(),
        title=title,
        speaker=speaker,
        date=date,
        topics=tuple(dict.fromkeys(raw_topics)),
        language=language,
        duration_s=float(duration),
        media=media,
        summary=summary,
        poster=poster,
        captions=captions,
        chapters=chapters,
        produced_from_script=bool(data.get("produced_from_script", False)),
        caption_text=caption_text,
    )


def load_talk(folder: Path, topics: TopicCatalog) -> Talk:
    """The talk whose ``talk.toml`` is in ``folder``, checked."""
    return parse_talk(_read_toml(folder / TALK_FILE), folder, topics)


# --- searching ------------------------------------------------------------------------------

_FOLDS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _strip_marks(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Text for matching: lower case, umlauts spelt out, other accents dropped."""
    return _strip_marks(text.casefold().translate(_FOLDS))


def searchable(text: str) -> str:
    """``text`` folded both ways umlauts are typed without them: 'Schröder' is found as
    'schroeder' and as 'schroder'."""
    spelt_out = fold(text)
    plain = _strip_marks(text.casefold())
    return spelt_out if plain == spelt_out else f"{spelt_out} {plain}"


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[^\w]+", fold(text)) if word]


# How much a query word counts where it is found.
_FIELD_WEIGHTS = (("title", 8), ("topics", 5), ("speaker", 5), ("summary", 3), ("chapters", 2))
_CAPTION_WEIGHT = 1


@dataclass(frozen=True)
class _SearchText:
    fields: dict[str, str]
    captions: str


def _search_text(talk: Talk, topics: TopicCatalog) -> _SearchText:
    topic_words = " ".join(
        f"{topic} {' '.join(topics.names.get(topic, {}).values())}" for topic in talk.topics
    )
    chapter_words = " ".join(" ".join(c.title.values()) for c in talk.chapters)
    return _SearchText(
        fields={
            "title": searchable(" ".join(talk.title.values())),
            "topics": searchable(topic_words.replace("-", " ")),
            "speaker": searchable(talk.speaker),
            "summary": searchable(" ".join(talk.summary.values())),
            "chapters": searchable(chapter_words),
        },
        captions=searchable(talk.caption_text),
    )


@dataclass
class TalkLibrary:
    """All the talks of a site that passed their checks, and what is wrong with the others."""

    talks: dict[str, Talk]
    topics: TopicCatalog
    problems: list[str] = field(default_factory=list)
    _texts: dict[str, _SearchText] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._texts = {talk.id: _search_text(talk, self.topics) for talk in self.talks.values()}

    def get(self, talk_id: str) -> Talk | None:
        return self.talks.get(talk_id)

    def all(self) -> list[Talk]:
        """Every talk, newest first."""
        return sorted(self.talks.values(), key=lambda t: (t.date, t.id), reverse=True)

    def speakers(self) -> list[str]:
        return sorted({talk.speaker for talk in self.talks.values()}, key=fold)

    def used_topics(self) -> list[str]:
        return sorted({topic for talk in self.talks.values() for topic in talk.topics})

    def search(
        self,
        text: str | None = None,
        *,
        topic: str | None = None,
        speaker: str | None = None,
        language: str | None = None,
    ) -> list[Talk]:
        """Talks matching all the given filters, best match first.

        ``text``: every word must occur (as the start of a word) in the title, topics,
        speaker, summary, chapters or captions; titles count most. ``speaker`` matches a
        part of the speaker's name; ``topic`` and ``language`` match exactly.
        """
        words = _words(text or "")
        speaker_folded = fold(speaker.strip()) if speaker else ""
        scored: list[tuple[int, Talk]] = []
        for talk in self.all():
            if topic and topic not in talk.topics:
                continue
            if language and talk.language != language:
                continue
            if speaker_folded and speaker_folded not in self._texts[talk.id].fields["speaker"]:
                continue
            score = self._score(talk.id, words)
            if score is not None:
                scored.append((score, talk))
        scored.sort(key=lambda pair: pair[0], reverse=True)  # stable: newest first on ties
        return [talk for _, talk in scored]

    def _score(self, talk_id: str, words: list[str]) -> int | None:
        texts = self._texts[talk_id]
        total = 0
        for word in words:
            pattern = re.compile(rf"(?<!\w){re.escape(word)}")
            best = max(
                (weight for name, weight in _FIELD_WEIGHTS if pattern.search(texts.fields[name])),
                default=0,
            )
            if not best and pattern.search(texts.captions):
                best = _CAPTION_WEIGHT
            if not best:
                return None
            total += best
        return total


def generated_talks_dir(data_dir: Path) -> Path:
    """Where the talk studio writes the talks it produces, in a hub's data folder."""
    return data_dir / "talks"


def load_library(site: Site, generated_dir: Path, build_hint: str = BUILD_HINT) -> TalkLibrary:
    """Every talk of ``site``; the ones produced from scripts are read from ``generated_dir``
    (``build_hint``: the command that produces them, named where one is missing)."""
    problems: list[str] = []
    try:
        topics = load_topics(site)
    except InputFileError as exc:
        problems.append(str(exc))
        topics = TopicCatalog({})
    talks: dict[str, Talk] = {}
    root = talk_folders_root(site)
    # Hidden folders are work in progress of the tools (a talk being added or produced).
    folders = (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if root.is_dir()
        else []
    )
    for folder in folders:
        recorded = folder / TALK_FILE
        scripted = folder / SCRIPT_FILE
        if recorded.is_file():
            if scripted.is_file():
                problems.append(
                    f"{folder}: has both {TALK_FILE} and {SCRIPT_FILE}; using {TALK_FILE}"
                )
            source = folder
        elif scripted.is_file():
            source = generated_dir / folder.name
            if not (source / TALK_FILE).is_file():
                problems.append(f"{folder.name}: not produced yet (run: {build_hint})")
                continue
        else:
            continue
        try:
            talks[folder.name] = load_talk(source, topics)
        except InputFileError as exc:
            problems.append(str(exc))
    return TalkLibrary(talks, topics, problems)


class WatchedLibrary:
    """The library of a running hub, read again when a talk folder changed on disk.

    ``current()`` is cheap: it compares modification times at most every ``interval_s``.
    """

    def __init__(
        self,
        site: Site,
        generated_dir: Path,
        *,
        interval_s: float = 2.0,
        build_hint: str = BUILD_HINT,
    ) -> None:
        self.site = site
        self.generated_dir = generated_dir
        self.build_hint = build_hint
        self.interval_s = interval_s
        self._library: TalkLibrary | None = None
        self._stamp: tuple[tuple[str, int], ...] = ()
        self._checked_at = float("-inf")

    def _fingerprint(self) -> tuple[tuple[str, int], ...]:
        marks: list[tuple[str, int]] = []
        for root in (talk_folders_root(self.site), self.generated_dir):
            if not root.is_dir():
                continue
            marks.append((str(root), root.stat().st_mtime_ns))
            for entry in root.iterdir():
                # A talk folder's time changes when a file in it is added, removed or
                # replaced; its talk.toml's when it is edited in place.
                marks.append((str(entry), entry.stat().st_mtime_ns))
                for name in (TALK_FILE, SCRIPT_FILE):
                    path = entry / name
                    if entry.is_dir() and path.is_file():
                        marks.append((str(path), path.stat().st_mtime_ns))
        return tuple(sorted(marks))

    def current(self, now: float) -> TalkLibrary:
        if self._library is None or now - self._checked_at >= self.interval_s:
            self._checked_at = now
            stamp = self._fingerprint()
            if self._library is None or stamp != self._stamp:
                self._library = load_library(self.site, self.generated_dir, self.build_hint)
                self._stamp = stamp
                log.info("talk library read", extra={"talks": len(self._library.talks)})
                for problem in self._library.problems:
                    log.warning("talk left out", extra={"problem": problem})
        return self._library
