"""The talk routes over real sockets: listing and searching, and media, captions, chapters
and posters with byte ranges, validators and caching."""

from __future__ import annotations

import email.utils
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.domain.talks import generated_talks_dir
from server.domain.webvtt import parse_vtt
from server.features.talks.http import TALK_LIBRARY, add_talk_routes, version_tag
from server.store.sqlite import Store
from server.web.http import HttpContext, make_http_app
from server.web.sessions import SessionIssuer
from world.site import Site

SECRET = "test-secret-of-enough-length"
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:02.000\nGuten Tag.\n"


class TalkSite:
    def __init__(self, client: TestClient, folder: Path) -> None:
        self.client = client
        self.folder = folder
        self.media = folder / "media.webm"
        self.bytes = self.media.read_bytes()

    async def get(self, path: str, **headers: str) -> Any:
        return await self.client.get(path, headers=headers)


@pytest.fixture
async def served(
    site: Site, write_talk: Callable[..., Path], tmp_path: Path
) -> AsyncIterator[TalkSite]:
    folder = write_talk(
        site.path / "talks",
        "energie-sparen",
        captions_text=CAPTIONS,
        chapters=[{"start_s": 0.0, "title": "Einstieg"}, {"start_s": 1.5, "title": "Mitte"}],
        poster="poster.png",
    )
    Image.new("RGB", (64, 36), "#2f7d4f").save(folder / "poster.png")
    settings = Settings(site=site.path, data_dir=tmp_path / "data", secret=SECRET)
    store = await Store.open(tmp_path / "hub.sqlite3")

    async def health() -> dict[str, Any]:
        return {"ready": True}

    context = HttpContext(
        settings=settings,
        site=site,
        store=store,
        sessions=SessionIssuer(settings, TokenSigner(SECRET), store),
        world_file=lambda: tmp_path / "hub.glb",
        world_digest=lambda: "-",
        protocol_version=1,
        protocol_description=lambda: {},
        ws_port=lambda: 9999,
        metrics=lambda: "",
        health=health,
    )
    client = TestClient(TestServer(make_http_app(context, features=[add_talk_routes])))
    await client.start_server()
    try:
        yield TalkSite(client, folder)
    finally:
        await client.close()
        await store.close()


# --- JSON -----------------------------------------------------------------------------------


async def test_the_library_lists_talks_topics_and_speakers(served: TalkSite) -> None:
    response = await served.get("/api/talks")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-cache"
    body = await response.json()
    assert body["total"] == 1
    (talk,) = body["talks"]
    assert talk["id"] == "energie-sparen" and talk["kind"] == "video"
    assert talk["poster"].startswith("/talks/energie-sparen/poster?v=")
    assert talk["caption_languages"] == ["de"] and talk["chapter_count"] == 2
    assert body["topics"] == [
        {"id": "klimabilanz", "name": {"de": "Klimabilanz", "en": "Carbon accounting"}, "talks": 1}
    ]
    assert body["speakers"] == ["Erika Mustermann"]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("q=vortrag", 1),
        ("q=guten+tag", 1),
        ("q=nichts", 0),
        ("topic=klimabilanz", 1),
        ("topic=ressourcenschutz", 0),
        ("speaker=mustermann", 1),
        ("language=en", 0),
    ],
)
async def test_the_library_searches(served: TalkSite, query: str, found: int) -> None:
    body = await (await served.get(f"/api/talks?{query}")).json()
    assert len(body["talks"]) == found
    assert body["total"] == 1


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("topic=Not%20An%20Id", "query_invalid"),
        ("language=deutsch", "query_invalid"),
        ("q=" + "x" * 201, "query_too_long"),
    ],
)
async def test_bad_searches_get_400_with_a_reason(served: TalkSite, query: str, code: str) -> None:
    response = await served.get(f"/api/talks?{query}")
    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_one_talk_has_what_a_player_needs(served: TalkSite) -> None:
    response = await served.get("/api/talks/energie-sparen")
    assert response.status == 200
    talk = await response.json()
    tag = version_tag(served.media)
    assert talk["media"] == {
        "url": f"/talks/energie-sparen/media?v={tag}",
        "type": "video/webm",
        "video_codec": "vp9",
        "audio_codec": "opus",
        "width": 320,
        "height": 240,
        "bytes": len(served.bytes),
    }
    (track,) = talk["captions"]
    assert track["language"] == "de" and track["kind"] == "captions"
    assert track["url"].startswith("/talks/energie-sparen/captions/de.vtt?v=")
    assert talk["chapters"] == [
        {"start": 0.0, "title": {"de": "Einstieg"}},
        {"start": 1.5, "title": {"de": "Mitte"}},
    ]
    assert talk["chapters_url"].startswith("/talks/energie-sparen/chapters.vtt?v=")


@pytest.mark.parametrize(
    "path",
    [
        "/api/talks/nope",
        "/api/talks/..%2F..%2Fetc",
        "/talks/nope/media",
        "/talks/energie-sparen/captions/en.vtt",
        "/talks/energie-sparen/captions/..%2Ftalk.toml.vtt",
    ],
)
async def test_unknown_talks_and_files_are_404_with_a_reason(served: TalkSite, path: str) -> None:
    response = await served.get(path)
    assert response.status == 404
    assert (await response.json())["error"]["code"] in ("talk_unknown", "not_found")


# --- media with ranges ----------------------------------------------------------------------


async def test_the_whole_media_file_has_type_validators_and_ranges(served: TalkSite) -> None:
    response = await served.get("/talks/energie-sparen/media")
    assert response.status == 200
    assert response.headers["Content-Type"] == "video/webm"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["ETag"] == f'"{version_tag(served.media)}"'
    modified = email.utils.parsedate_to_datetime(response.headers["Last-Modified"])
    assert abs(modified.timestamp() - served.media.stat().st_mtime) < 1
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert await response.read() == served.bytes


async def test_a_versioned_url_may_be_cached_for_a_year(served: TalkSite) -> None:
    current = await served.get(f"/talks/energie-sparen/media?v={version_tag(served.media)}")
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = await served.get("/talks/energie-sparen/media?v=old")
    assert stale.headers["Cache-Control"] == "public, no-cache"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes
        ("bytes=1000-1999", 1000, 1999),  # the middle
        ("bytes=-500", -500, -1),  # the last 500 bytes
        ("bytes=2000-", 2000, -1),  # from here to the end
        ("bytes=0-99999999", 0, -1),  # past the end: up to the end
    ],
)
async def test_byte_ranges_get_206_with_exactly_those_bytes(
    served: TalkSite, header: str, start: int, end: int
) -> None:
    size = len(served.bytes)
    first = start % size
    last = end % size
    response = await served.get("/talks/energie-sparen/media", Range=header)
    assert response.status == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert response.headers["Content-Type"] == "video/webm"
    assert int(response.headers["Content-Length"]) == last - first + 1
    assert await response.read() == served.bytes[first : last + 1]


@pytest.mark.parametrize("header", ["bytes=999999999-", "bytes=50-10", "bytes=abc", "bytes=-0"])
async def test_unsatisfiable_or_invalid_ranges_get_416(served: TalkSite, header: str) -> None:
    response = await served.get("/talks/energie-sparen/media", Range=header)
    assert response.status == 416
    assert response.headers["Content-Range"] == f"bytes */{len(served.bytes)}"


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "pages=1-2"])
async def test_ranges_we_do_not_serve_get_the_whole_file(served: TalkSite, header: str) -> None:
    response = await served.get("/talks/energie-sparen/media", Range=header)
    assert response.status == 200
    assert await response.read() == served.bytes


async def test_if_range_with_the_current_tag_gets_the_range(served: TalkSite) -> None:
    etag = f'"{version_tag(served.media)}"'
    response = await served.get(
        "/talks/energie-sparen/media", Range="bytes=10-19", **{"If-Range": etag}
    )
    assert response.status == 206
    assert await response.read() == served.bytes[10:20]


async def test_if_range_with_a_stale_tag_or_date_gets_the_whole_new_file(served: TalkSite) -> None:
    old_tag = f'"{version_tag(served.media)}"'
    old_date = email.utils.formatdate(served.media.stat().st_mtime - 3600, usegmt=True)
    # The file changes (a talk replaced by staff) after the browser cached part of it.
    stat = served.media.stat()
    os.utime(served.media, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    for validator in (old_tag, 'W/"weak"', old_date):
        response = await served.get(
            "/talks/energie-sparen/media", Range="bytes=10-19", **{"If-Range": validator}
        )
        assert response.status == 200, validator
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert await response.read() == served.bytes


async def test_conditional_requests_get_304(served: TalkSite) -> None:
    first = await served.get("/talks/energie-sparen/media")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = await served.get("/talks/energie-sparen/media", **{"If-None-Match": etag})
    assert again.status == 304
    since = await served.get("/talks/energie-sparen/media", **{"If-Modified-Since": modified})
    assert since.status == 304


async def test_head_tells_the_length_without_the_body(served: TalkSite) -> None:
    response = await served.client.head("/talks/energie-sparen/media")
    assert response.status == 200
    assert int(response.headers["Content-Length"]) == len(served.bytes)
    assert await response.read() == b""


async def test_a_media_file_removed_under_the_library_is_404(served: TalkSite) -> None:
    assert (await served.get("/api/talks/energie-sparen")).status == 200  # library read
    served.media.unlink()
    response = await served.get("/talks/energie-sparen/media")
    assert response.status == 404
    # Until the library is read again, the talk is still described, without a crash.
    assert (await served.get("/api/talks/energie-sparen")).status == 200


# --- captions, chapters, poster -------------------------------------------------------------


async def test_captions_are_served_as_webvtt(served: TalkSite) -> None:
    response = await served.get("/talks/energie-sparen/captions/de.vtt")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert await response.text() == CAPTIONS
    part = await served.get("/talks/energie-sparen/captions/de.vtt", Range="bytes=0-5")
    assert part.status == 206 and await part.read() == b"WEBVTT"


async def test_chapters_are_a_webvtt_chapter_track(served: TalkSite) -> None:
    response = await served.get("/talks/energie-sparen/chapters.vtt")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
    cues = parse_vtt(await response.text())
    assert [(c.start_s, c.end_s, c.text) for c in cues] == [
        (0.0, 1.5, "Einstieg"),
        (1.5, 3.0, "Mitte"),
    ]
    again = await served.get(
        "/talks/energie-sparen/chapters.vtt", **{"If-None-Match": response.headers["ETag"]}
    )
    assert again.status == 304


async def test_the_poster_is_an_image(served: TalkSite) -> None:
    response = await served.get("/talks/energie-sparen/poster")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert (await response.read()).startswith(b"\x89PNG")


async def test_produced_talks_are_served_from_the_data_folder(
    served: TalkSite, site: Site, write_talk: Callable[..., Path], tmp_path: Path
) -> None:
    (site.path / "talks" / "aus-skript").mkdir()
    (site.path / "talks" / "aus-skript" / "script.toml").write_text("", encoding="utf-8")
    write_talk(generated_talks_dir(tmp_path / "data"), "aus-skript")
    # The library is read again (at most every two seconds) when folders change.
    app = served.client.app
    assert app is not None
    app[TALK_LIBRARY].interval_s = 0
    response = await served.get("/talks/aus-skript/media", Range="bytes=0-3")
    assert response.status == 206
    assert await response.read() == served.bytes[:4]
