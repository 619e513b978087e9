"""A produced talk in Debian's chromium, served by the talk routes: it plays, it is
seekable (the browser saw byte ranges work), seeking lands, and the captions and chapter
tracks load."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from server.base.settings import Settings
from server.base.tokens import TokenSigner
from server.domain.talks import generated_talks_dir
from server.features.talks.http import add_talk_routes
from server.store.sqlite import Store
from server.web.http import HttpContext, make_http_app
from server.web.sessions import SessionIssuer
from tools.talk_studio import build_samples
from world.site import Site

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
TWO_SLIDES = """
[talk]
title = { de = "Kurz erklärt: Abwärme" }
speaker = "Öko.HUB Twin (Test)"
date = 2025-06-01
language = "de"

[[slides]]
title = "Abwärme nutzen"
points = ["Wärme aus Druckluft und Kälte nutzen"]
narration = "Abwärme aus Kompressoren kann Hallen heizen. Das spart Heizkosten."

[[slides]]
title = "Zweite Folie"
points = ["Vorlauftemperatur prüfen"]
narration = "Prüfen Sie zuerst die Temperaturen. Dann planen Sie die Leitungen."
"""


@pytest.fixture
async def hub_url(site: Site, tmp_path: Path) -> AsyncIterator[str]:
    folder = site.path / "talks" / "abwaerme"
    folder.mkdir()
    (folder / "script.toml").write_text(TWO_SLIDES, encoding="utf-8")
    data = tmp_path / "data"
    build_samples(site, generated_talks_dir(data), jobs=1)
    settings = Settings(site=site.path, data_dir=data, secret="s" * 32)
    store = await Store.open(tmp_path / "hub.sqlite3")

    async def health() -> dict[str, Any]:
        return {"ready": True}

    context = HttpContext(
        settings=settings,
        site=site,
        store=store,
        sessions=SessionIssuer(settings, TokenSigner("s" * 32), store),
        world_file=lambda: tmp_path / "hub.glb",
        world_digest=lambda: "-",
        protocol_version=1,
        protocol_description=lambda: {},
        ws_port=lambda: 9999,
        metrics=lambda: "",
        health=health,
    )
    server = TestServer(make_http_app(context, features=[add_talk_routes]))
    await server.start_server()
    try:
        yield str(server.make_url("/"))
    finally:
        await server.close()
        await store.close()
        shutil.rmtree(folder)


PLAY_AND_SEEK = """
async (talk) => {
  const video = document.createElement('video');
  video.muted = true;
  video.preload = 'auto';
  video.src = talk.media.url;
  for (const track of [...talk.captions, {kind: 'chapters', url: talk.chapters_url,
                                          language: 'de', label: 'Kapitel'}]) {
    const element = document.createElement('track');
    element.kind = track.kind; element.src = track.url; element.srclang = track.language;
    element.label = track.label; element.default = track.kind !== 'chapters';
    video.appendChild(element);
  }
  document.body.appendChild(video);
  await new Promise((resolve, reject) => {
    video.onloadedmetadata = resolve;
    video.onerror = () => reject(new Error('media error ' + (video.error && video.error.code)));
  });
  const seekable = video.seekable.length ? [video.seekable.start(0), video.seekable.end(0)] : [];
  const target = talk.chapters[1].start + 1.0;
  video.currentTime = target;
  await new Promise(resolve => video.onseeked = resolve);
  const landed = video.currentTime;
  await video.play();
  await new Promise(resolve => setTimeout(resolve, 1500));
  const played = video.currentTime;
  for (const track of video.textTracks) track.mode = 'hidden';
  await new Promise(resolve => setTimeout(resolve, 300));
  const cues = [...video.textTracks].map(t => [t.kind, t.cues ? t.cues.length : -1]);
  return {duration: video.duration, seekable, target, landed, played, cues,
          width: video.videoWidth, error: video.error && video.error.code};
}
"""


async def test_chromium_plays_and_seeks_a_produced_talk(hub_url: str) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            await page.goto(hub_url + "api/talks")
            talk = await page.evaluate("fetch('/api/talks/abwaerme').then(r => r.json())")
            result = await page.evaluate(PLAY_AND_SEEK, talk)
        finally:
            await browser.close()
    assert result["error"] is None
    assert result["width"] == 1280
    assert result["duration"] == pytest.approx(talk["duration"], abs=0.1)
    # Seekable from start to end: the browser found that byte ranges work.
    assert result["seekable"] == [0, pytest.approx(talk["duration"], abs=0.1)]
    assert result["landed"] == pytest.approx(result["target"], abs=0.05)
    assert result["played"] > result["landed"] + 0.5
    assert ["captions", 4] in result["cues"]  # one cue per sentence
    assert ["chapters", 2] in result["cues"]
