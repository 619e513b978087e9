"""The talk studio: produces the site's sample talks from their scripts
(``hubtwin talks build-samples``).

For each ``<site>/talks/<id>/script.toml`` it draws the slides (Pillow, in the hub's
colours), has espeak-ng read the narration, joins slides and speech with ffmpeg into a
WebM (VP9 + Opus at one frame a second, a key frame at each slide: slides change rarely,
so the files stay small and quick to make), writes WebVTT captions and chapters from the
same script, a poster, and a ``talk.toml`` into ``<data dir>/talks/<id>/``. It then probes
the result.

Incremental: a talk whose script, the studio and the hub's branding are unchanged since
its last build is left alone, so a second run takes milliseconds. A talk is built in a
scratch folder and moved into place whole.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from server.api import (
    FORMAT_VERSION,
    LANGUAGE_NAMES,
    SCRIPT_FILE,
    TALK_FILE,
    load_talk,
    load_topics,
    talk_folders_root,
    toml_document,
    write_vtt,
)
from tools.media_probe import probe, run_tool
from tools.narration import Narration, narrate
from tools.slides import check_glyphs, render_slide, style_for
from tools.talk_script import TalkScript, load_script
from world.errors import HubError, InputFileError
from world.site import Site

log = logging.getLogger("hubtwin.talk_studio")

# Change when the studio's output changes, so every talk is produced again.
STUDIO_VERSION = 1
FRAME_RATE = 1
KEYFRAME_EVERY_S = 60
VIDEO_ARGS = ("-c:v", "libvpx-vp9", "-deadline", "good", "-cpu-used", "5", "-row-mt", "1")
VIDEO_QUALITY = ("-crf", "36", "-b:v", "0")
AUDIO_ARGS = ("-c:a", "libopus", "-b:a", "24k", "-ac", "1", "-application", "voip")
BUILD_FILE = "build.json"
MEDIA_FILE = "talk.webm"
POSTER_FILE = "poster.webp"


@dataclass(frozen=True)
class BuildResult:
    """What happened to one talk."""

    talk_id: str
    built: bool
    seconds: float
    duration_s: float
    media_bytes: int


def _digest(script: TalkScript, site: Site) -> str:
    brand = site.branding
    hasher = hashlib.sha256()
    hasher.update(f"studio {STUDIO_VERSION} fps {FRAME_RATE}\n".encode())
    hasher.update(repr((VIDEO_ARGS, VIDEO_QUALITY, AUDIO_ARGS)).encode())
    hasher.update(f"{brand.primary_colour} {brand.accent_colour} {brand.short_name}\n".encode())
    hasher.update(script.path.read_bytes())
    return hasher.hexdigest()


def _up_to_date(folder: Path, digest: str) -> dict[str, Any] | None:
    try:
        build = json.loads((folder / BUILD_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    media = folder / MEDIA_FILE
    if (
        not isinstance(build, dict)
        or build.get("digest") != digest
        or not (folder / TALK_FILE).is_file()
        or not media.is_file()
        or media.stat().st_size != build.get("media_bytes")
    ):
        return None
    return build


def _assemble(frames: list[Path], narration: Narration, target: Path, threads: int) -> None:
    listing = target.parent / "slides.txt"
    lines = []
    for frame, timing in zip(frames, narration.slides, strict=True):
        lines += [f"file '{frame.name}'", f"duration {timing.end_s - timing.start_s:.3f}"]
    lines.append(f"file '{frames[-1].name}'")  # the concat demuxer wants the last one twice
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    keyframes = ",".join(f"{timing.start_s:.3f}" for timing in narration.slides)
    args = [
        "ffmpeg",
        "-nostdin",
        "-v",
        "error",
        "-y",
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        str(listing),
        "-i",
        str(narration.wav),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-vf",
        f"fps={FRAME_RATE},format=yuv420p",
        *VIDEO_ARGS,
        *VIDEO_QUALITY,
        "-g",
        str(KEYFRAME_EVERY_S * FRAME_RATE),
        "-force_key_frames",
        keyframes,
        "-threads",
        str(threads),
        *AUDIO_ARGS,
        "-t",
        f"{narration.duration_s:.3f}",
        "-f",
        "webm",
        str(target),
    ]
    result = run_tool(args, timeout_s=600.0)
    if result.returncode != 0:
        raise HubError(f"ffmpeg could not assemble {target.name}: {result.stderr.strip()[:300]}")


def _talk_record(script: TalkScript, narration: Narration, media: Any) -> dict[str, Any]:
    video, audio = media.video, media.audio
    chapters = [
        {"start_s": round(timing.start_s, 3), "title": slide.chapter or slide.title}
        for slide, timing in zip(script.slides, narration.slides, strict=True)
    ]
    return {
        "format": FORMAT_VERSION,
        "produced_from_script": True,
        **script.talk,
        "language": script.language,
        "duration_s": round(media.duration_s, 3),
        "poster": POSTER_FILE,
        "media": {
            "file": MEDIA_FILE,
            "video_codec": video.codec if video else None,
            "audio_codec": audio.codec if audio else None,
            "width": video.width if video else None,
            "height": video.height if video else None,
        },
        "captions": [
            {
                "language": script.language,
                "label": LANGUAGE_NAMES.get(script.language, script.language),
                "file": f"captions.{script.language}.vtt",
            }
        ],
        "chapters": chapters,
    }


def produce(script: TalkScript, site: Site, folder: Path, *, threads: int = 1) -> float:
    """Produce one talk from ``script`` into ``folder`` (replaced whole); returns its length."""
    check_glyphs(script.all_text(), str(script.path))
    brand = site.branding
    title = script.talk["title"][script.language]
    style = style_for(brand.primary_colour, brand.accent_colour, brand.short_name, title)
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{script.talk_id}.building-", dir=folder.parent))
    try:
        frames = []
        for number, slide in enumerate(script.slides, start=1):
            frame = scratch / f"slide-{number:02d}.png"
            render_slide(slide, style, number, len(script.slides)).save(frame, compress_level=1)
            frames.append(frame)
        narration = narrate(script, scratch / "speech", frame_s=1 / FRAME_RATE, jobs=threads)
        media_path = scratch / MEDIA_FILE
        _assemble(frames, narration, media_path, threads)
        media = probe(media_path)
        if media.video is None or media.audio is None:
            raise HubError(f"{media_path.name}: ffmpeg wrote no video or no sound")
        if abs(media.duration_s - narration.duration_s) > 0.5:
            raise HubError(
                f"{media_path.name}: {media.duration_s:.1f} s long, "
                f"the narration {narration.duration_s:.1f} s"
            )
        (scratch / f"captions.{script.language}.vtt").write_text(
            write_vtt(narration.cues), encoding="utf-8"
        )
        poster_frame = next(
            (f for f, s in zip(frames, script.slides, strict=True) if s.layout == "title"),
            frames[0],
        )
        with Image.open(poster_frame) as image:
            image.convert("RGB").save(scratch / POSTER_FILE, "WEBP", quality=80)
        (scratch / TALK_FILE).write_text(
            toml_document(
                _talk_record(script, narration, media),
                header=(
                    f"Produced by 'hubtwin talks build-samples' from "
                    f"{script.path.parent.name}/{SCRIPT_FILE}; edit the script, not this file."
                ),
            ),
            encoding="utf-8",
        )
        for leftover in [*frames, scratch / "slides.txt"]:
            leftover.unlink(missing_ok=True)
        shutil.rmtree(scratch / "speech", ignore_errors=True)
        old = folder.parent / f".{script.talk_id}.old"
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        scratch.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
        return media.duration_s
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def script_paths(site: Site) -> list[Path]:
    root = talk_folders_root(site)
    if not root.is_dir():
        return []
    return sorted(
        folder / SCRIPT_FILE
        for folder in root.iterdir()
        if (folder / SCRIPT_FILE).is_file() and not (folder / TALK_FILE).is_file()
    )


def build_samples(
    site: Site,
    out_dir: Path,
    *,
    force: bool = False,
    jobs: int = 2,
    on_result: Callable[[BuildResult], None] | None = None,
) -> list[BuildResult]:
    """Produce every scripted talk of ``site`` into ``out_dir`` that is missing or stale.

    Talks are built ``jobs`` at a time; produced talks whose script has gone are removed.
    """
    topics = load_topics(site)
    scripts = [load_script(path, topics) for path in script_paths(site)]
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = {script.talk_id for script in scripts}
    for folder in out_dir.iterdir():
        if not folder.is_dir():
            continue
        if folder.name.startswith(".") and (
            ".building-" in folder.name or folder.name.endswith(".old")
        ):
            shutil.rmtree(folder, ignore_errors=True)  # left by an interrupted run
        elif folder.name not in wanted and (folder / BUILD_FILE).is_file():
            shutil.rmtree(folder)
            log.info("removed produced talk without script", extra={"talk": folder.name})

    def one(script: TalkScript) -> BuildResult:
        folder = out_dir / script.talk_id
        digest = _digest(script, site)
        started = time.perf_counter()
        build = None if force else _up_to_date(folder, digest)
        if build is not None:
            result = BuildResult(
                script.talk_id, False, 0.0, float(build["duration_s"]), int(build["media_bytes"])
            )
        else:
            threads = 1 if len(scripts) > 1 and jobs > 1 else 2
            duration = produce(script, site, folder, threads=threads)
            try:
                load_talk(folder, topics)
            except InputFileError as exc:
                raise HubError(f"produced talk does not pass its own checks: {exc}") from None
            media_bytes = (folder / MEDIA_FILE).stat().st_size
            (folder / BUILD_FILE).write_text(
                json.dumps(
                    {"digest": digest, "duration_s": duration, "media_bytes": media_bytes},
                    indent=1,
                ),
                encoding="utf-8",
            )
            result = BuildResult(
                script.talk_id, True, time.perf_counter() - started, duration, media_bytes
            )
        if on_result is not None:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, scripts))
