"""The talk library over HTTP: search and read talks (JSON), and their media, captions,
chapters and posters as files with byte ranges, so browsers can seek.

Routes (added to the hub's aiohttp app as a feature, see ``talk_routes``):

- ``GET /api/talks?q=&topic=&speaker=&language=``: matching talks, topics and speakers
- ``GET /api/talks/{id}``: one talk with chapters and caption tracks
- ``GET /talks/{id}/media``: the audio/video file (Range, If-Range, ETag, Last-Modified)
- ``GET /talks/{id}/captions/{language}.vtt``, ``/talks/{id}/chapters.vtt``,
  ``GET /talks/{id}/poster``

File URLs in the JSON carry ``?v=<version>``; a request with the current version may be
cached for a year, any other is revalidated (ETag) each time.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from multidict import CIMultiDict

from server.domain.talks import (
    LANGUAGE,
    POSTER_TYPES,
    TALK_ID,
    Talk,
    TalkLibrary,
    WatchedLibrary,
    generated_talks_dir,
)
from server.domain.webvtt import write_vtt
from server.web.http import CONTEXT, ApiError, HttpFeature, json_response

TALK_LIBRARY = web.AppKey("talk_library", WatchedLibrary)
MAX_QUERY_CHARS = 200
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, no-cache"
_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$", re.ASCII | re.IGNORECASE)
_FILE_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def version_tag(path: Path) -> str:
    """A file's version: the ETag aiohttp sends for it, without the quotes."""
    stat = path.stat()
    return f"{stat.st_mtime_ns:x}-{stat.st_size:x}"


def _library(request: web.Request) -> TalkLibrary:
    return request.app[TALK_LIBRARY].current(time.monotonic())


def _talk(request: web.Request) -> Talk:
    talk_id = request.match_info["talk"]
    talk = _library(request).get(talk_id) if TALK_ID.match(talk_id) else None
    if talk is None:
        raise ApiError(404, "talk_unknown", f"there is no talk {talk_id!r}")
    return talk


# --- JSON -----------------------------------------------------------------------------------


def _file_url(path: Path, url: str) -> str:
    try:
        return f"{url}?v={version_tag(path)}"
    except FileNotFoundError:  # gone since the library was read; the next read notices
        return url


def talk_summary(talk: Talk) -> dict[str, Any]:
    """A talk as the library panel lists it."""
    base = f"/talks/{talk.id}"
    poster = talk.poster_path
    return {
        "id": talk.id,
        "title": talk.title,
        "speaker": talk.speaker,
        "date": talk.date.isoformat(),
        "topics": list(talk.topics),
        "language": talk.language,
        "duration": talk.duration_s,
        "summary": talk.summary,
        "poster": _file_url(poster, f"{base}/poster") if poster else None,
        "caption_languages": [track.language for track in talk.captions],
        "chapter_count": len(talk.chapters),
        "kind": "video" if talk.media.has_video else "audio",
    }


def talk_detail(talk: Talk) -> dict[str, Any]:
    """A talk with everything a player needs."""
    base = f"/talks/{talk.id}"
    media = talk.media
    return {
        **talk_summary(talk),
        "media": {
            "url": _file_url(talk.media_path, f"{base}/media"),
            "type": media.mime_type,
            "video_codec": media.video_codec,
            "audio_codec": media.audio_codec,
            "width": media.width,
            "height": media.height,
            "bytes": talk.media_path.stat().st_size if talk.media_path.is_file() else 0,
        },
        "captions": [
            {
                "language": track.language,
                "label": track.label,
                "kind": track.kind,
                "url": _file_url(talk.folder / track.file, f"{base}/captions/{track.language}.vtt"),
            }
            for track in talk.captions
        ],
        "chapters": [
            {"start": chapter.start_s, "title": chapter.title} for chapter in talk.chapters
        ],
        "chapters_url": (
            _file_url(talk.folder / "talk.toml", f"{base}/chapters.vtt") if talk.chapters else None
        ),
    }


def _query_value(request: web.Request, name: str, pattern: re.Pattern[str] | None) -> str | None:
    value = request.query.get(name, "").strip()
    if not value:
        return None
    if len(value) > MAX_QUERY_CHARS:
        raise ApiError(
            400, "query_too_long", f"'{name}' is longer than {MAX_QUERY_CHARS} characters"
        )
    if pattern is not None and not pattern.match(value):
        raise ApiError(400, "query_invalid", f"'{name}' is not a valid {name}")
    return value


async def list_talks(request: web.Request) -> web.Response:
    library = _library(request)
    text = _query_value(request, "q", None)
    topic = _query_value(request, "topic", TALK_ID)
    speaker = _query_value(request, "speaker", None)
    language = _query_value(request, "language", LANGUAGE)
    found = library.search(text, topic=topic, speaker=speaker, language=language)
    every = library.all()
    languages = request.app[CONTEXT].site.languages
    topics = [
        {
            "id": topic_id,
            "name": {lang: library.topics.name(topic_id, lang) for lang in languages},
            "talks": sum(topic_id in talk.topics for talk in every),
        }
        for topic_id in library.used_topics()
    ]
    return json_response(
        {
            "talks": [talk_summary(talk) for talk in found],
            "total": len(every),
            "topics": topics,
            "speakers": library.speakers(),
        },
        headers={"Cache-Control": "no-cache"},
    )


async def one_talk(request: web.Request) -> web.Response:
    return json_response(talk_detail(_talk(request)), headers={"Cache-Control": "no-cache"})


# --- files ----------------------------------------------------------------------------------


def _ignore_range(request: web.Request, etag: str) -> bool:
    """Whether to answer a Range request with the whole file (RFC 9110 §13.1.5, §14.2).

    aiohttp understands one ``bytes=`` range and If-Range dates; we add: other units and
    several ranges are ignored, and an If-Range entity tag that is not the file's current
    (strong) tag means the client's copy is stale, so it gets the whole new file.
    """
    header = request.headers.get("Range")
    if header is None:
        return False
    unit = header.split("=", 1)[0].strip().lower()
    if unit != "bytes" or "," in header:
        return True
    if_range = request.headers.get("If-Range", "").strip()
    if if_range.startswith(('"', "W/")):
        return if_range != f'"{etag}"'
    return False


class WholeFileResponse(web.FileResponse):
    """A file sent whole, whatever the request's Range said."""

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        plain = CIMultiDict(
            (key, value)
            for key, value in request.headers.items()
            if key.lower() not in ("range", "if-range")
        )
        return await super().prepare(request.clone(headers=plain))


def _unsatisfiable(request: web.Request, size: int) -> web.Response | None:
    # A suffix range of zero bytes asks for nothing; aiohttp would send the whole file.
    match = _SINGLE_RANGE.match(request.headers.get("Range", ""))
    if match and not match.group(1) and match.group(2) and int(match.group(2)) == 0:
        return web.Response(
            status=416,
            headers={"Content-Range": f"bytes */{size}", **_FILE_SECURITY_HEADERS},
        )
    return None


async def send_file(request: web.Request, path: Path, content_type: str) -> web.StreamResponse:
    """A file with byte ranges, validators and the caching its URL's version allows."""
    try:
        tag = version_tag(path)
        size = path.stat().st_size
    except FileNotFoundError:
        raise ApiError(404, "not_found", "the file has gone; reload the talk") from None
    cache = IMMUTABLE if request.query.get("v") == tag else REVALIDATE
    headers = {"Content-Type": content_type, "Cache-Control": cache, **_FILE_SECURITY_HEADERS}
    refused = _unsatisfiable(request, size)
    if refused is not None:
        return refused
    if _ignore_range(request, tag):
        return WholeFileResponse(path, headers=headers)
    return web.FileResponse(path, headers=headers)


async def media(request: web.Request) -> web.StreamResponse:
    talk = _talk(request)
    return await send_file(request, talk.media_path, talk.media.mime_type)


async def poster(request: web.Request) -> web.StreamResponse:
    talk = _talk(request)
    path = talk.poster_path
    if path is None:
        raise ApiError(404, "not_found", "this talk has no poster")
    return await send_file(request, path, POSTER_TYPES[path.suffix.lower()])


async def captions(request: web.Request) -> web.StreamResponse:
    talk = _talk(request)
    track = talk.caption_track(request.match_info["language"])
    if track is None:
        raise ApiError(404, "not_found", "no captions in that language")
    return await send_file(request, talk.folder / track.file, "text/vtt; charset=utf-8")


async def chapters(request: web.Request) -> web.Response:
    talk = _talk(request)
    if not talk.chapters:
        raise ApiError(404, "not_found", "this talk has no chapters")
    tag = version_tag(talk.folder / "talk.toml")
    etag = f'"{tag}-chapters"'
    if request.headers.get("If-None-Match") == etag:
        return web.Response(status=304, headers={"ETag": etag})
    cache = IMMUTABLE if request.query.get("v") == tag else REVALIDATE
    return web.Response(
        text=write_vtt(talk.chapter_cues()),
        content_type="text/vtt",
        charset="utf-8",
        headers={"Cache-Control": cache, "ETag": etag},
    )


def talk_routes(library: WatchedLibrary | None = None) -> HttpFeature:
    """The talk routes as an HTTP feature. Pass the ``WatchedLibrary`` the hub also uses
    (to look talks up for the screens); without one, the feature makes its own from the
    app's site and data folder."""

    def add(app: web.Application) -> None:
        context = app[CONTEXT]
        app[TALK_LIBRARY] = library or WatchedLibrary(
            context.site, generated_talks_dir(context.settings.resolved_data_dir)
        )
        app.router.add_get("/api/talks", list_talks)
        app.router.add_get("/api/talks/{talk}", one_talk)
        app.router.add_get("/talks/{talk}/media", media)
        app.router.add_get("/talks/{talk}/poster", poster)
        app.router.add_get("/talks/{talk}/captions/{language}.vtt", captions)
        app.router.add_get("/talks/{talk}/chapters.vtt", chapters)

    return add


add_talk_routes: HttpFeature = talk_routes()
"""The feature with a library of its own: ``make_http_app(context, [add_talk_routes])``."""
