"""Shared fixtures of the talk tests: small real media files made with ffmpeg (once per
session), and a site folder of our own with the Dortmund hub's branding and topics."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from server.base.toml_text import toml_document
from server.domain.talks import TALK_FILE
from world.site import DEFAULT_SITE, Site, load_site

VIDEO = ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10"]
TONE = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]

# name → ffmpeg arguments after the inputs (3 s each).
RECIPES: dict[str, list[str]] = {
    "vp9_opus.webm": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
    ],
    "h264_aac.mp4": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
    ],
    "h264_aac_moov_last.mov": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-f",
        "mov",
    ],
    "vp9_opus.mkv": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libvpx-vp9",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
        "-f",
        "matroska",
    ],
    "h264_10bit.mp4": [
        *VIDEO,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p10le",
    ],
    "mpeg4_aac.mp4": [*VIDEO, *TONE, "-c:v", "mpeg4", "-c:a", "aac"],
    "h264_ac3.mp4": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "ac3",
    ],
    "h264_opus.mkv": [
        *VIDEO,
        *TONE,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "libopus",
        "-f",
        "matroska",
    ],
    "alac.m4a": [*TONE, "-c:a", "alac"],
    "speech.mp3": [*TONE, "-c:a", "libmp3lame", "-b:a", "64k"],
    "speech.flac": [*TONE, "-c:a", "flac"],
}


def make_media(folder: Path, name: str, seconds: float = 3.0) -> Path:
    """Make one of the ``RECIPES`` files in ``folder``."""
    target = folder / name
    args = RECIPES[name]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *args, "-t", f"{seconds}", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every recipe, made once: name → path. Tests copy before changing a file."""
    folder = tmp_path_factory.mktemp("media")
    files = {name: make_media(folder, name) for name in RECIPES}
    text = folder / "notes.mp4"
    text.write_text("Dies ist keine Videodatei, nur Text.\n" * 50, encoding="utf-8")
    files["notes.mp4"] = text
    webm = files["vp9_opus.webm"].read_bytes()
    truncated = folder / "truncated.webm"
    truncated.write_bytes(webm[: len(webm) // 2])
    files["truncated.webm"] = truncated
    mp4 = files["h264_aac_moov_last.mov"].read_bytes()
    cut_mp4 = folder / "truncated.mp4"
    cut_mp4.write_bytes(mp4[: len(mp4) * 2 // 3])
    files["truncated.mp4"] = cut_mp4
    return files


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """A site folder of its own: Dortmund's site.toml, logo and topics, no talks yet."""
    folder = tmp_path / "site"
    (folder / "talks").mkdir(parents=True)
    for name in ("site.toml", "logo.svg"):
        shutil.copy(DEFAULT_SITE / name, folder / name)
    shutil.copy(DEFAULT_SITE / "talks" / "topics.toml", folder / "talks" / "topics.toml")
    return load_site(folder)


WriteTalk = Callable[..., Path]


@pytest.fixture
def write_talk(media: dict[str, Path]) -> WriteTalk:
    """Put a talk folder with a media file and a talk.toml under ``root``."""

    def write(
        root: Path,
        talk_id: str,
        *,
        media_name: str = "vp9_opus.webm",
        captions_text: str | None = None,
        **fields: object,
    ) -> Path:
        folder = root / talk_id
        folder.mkdir(parents=True, exist_ok=True)
        suffix = Path(media_name).suffix
        shutil.copy(media[media_name], folder / f"media{suffix}")
        record: dict[str, object] = {
            "format": 1,
            "title": {"de": f"Vortrag {talk_id}", "en": f"Talk {talk_id}"},
            "speaker": "Erika Mustermann",
            "date": "2025-03-14",
            "topics": ["klimabilanz"],
            "language": "de",
            "duration_s": 3.0,
            "media": {
                "file": f"media{suffix}",
                "video_codec": "vp9",
                "audio_codec": "opus",
                "width": 320,
                "height": 240,
            },
        }
        if captions_text is not None:
            (folder / "captions.de.vtt").write_text(captions_text, encoding="utf-8")
            record["captions"] = [{"language": "de", "label": "Deutsch", "file": "captions.de.vtt"}]
        record.update(fields)
        (folder / TALK_FILE).write_text(toml_document(record), encoding="utf-8")
        return folder

    return write
