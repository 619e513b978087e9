"""Audio and video files for talks: what is in them (ffprobe), whether every current browser
can play them, and copying the playable streams into a clean web file (ffmpeg, no
re-encoding).

What plays everywhere (Chrome/Edge, Firefox and Safari), and so what a talk may use:

- video: H.264 (8-bit 4:2:0) in MP4 with AAC or MP3 sound; VP8 or VP9 (8-bit 4:2:0) in
  WebM with Opus or Vorbis sound;
- sound only: AAC (.m4a), MP3, Opus or Vorbis (.webm), FLAC, 16-bit PCM (.wav).

Everything else (HEVC, AV1, MPEG-2/4, ProRes, AC-3, DTS, ALAC, 10-bit video …) is refused
with one line saying why and how to convert it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from world.errors import HubError, InputFileError

PROBE_TIMEOUT_S = 60.0
MAX_PIXELS = 3840 * 2160
MIN_DURATION_S = 0.5
MAX_DURATION_S = 8 * 3600.0
# A copy whose length differs more than this from what the file claims is truncated.
DURATION_TOLERANCE_S = 1.0

H264_PIXEL_FORMATS = ("yuv420p", "yuvj420p")
VPX_PIXEL_FORMATS = ("yuv420p",)
AAC_PROFILES = ("LC", "HE-AAC", "HE-AACv2")

_VIDEO_REFUSALS = {
    "hevc": "H.265/HEVC video does not play in Firefox and many Chrome builds",
    "av1": "AV1 video does not play in Safari on most devices",
    "mpeg4": "MPEG-4 Part 2 (DivX/Xvid) video does not play in browsers",
    "mpeg2video": "MPEG-2 video does not play in browsers",
    "mpeg1video": "MPEG-1 video does not play in browsers",
    "prores": "ProRes video does not play in browsers",
    "theora": "Theora video does not play in Safari",
    "wmv1": "Windows Media video does not play in browsers",
    "wmv2": "Windows Media video does not play in browsers",
    "wmv3": "Windows Media video does not play in browsers",
    "vc1": "VC-1 video does not play in browsers",
    "mjpeg": "Motion-JPEG video does not play in browsers",
}
_AUDIO_REFUSALS = {
    "ac3": "AC-3 (Dolby Digital) sound does not play in most browsers",
    "eac3": "E-AC-3 (Dolby Digital Plus) sound does not play in most browsers",
    "dts": "DTS sound does not play in browsers",
    "truehd": "Dolby TrueHD sound does not play in browsers",
    "alac": "Apple Lossless (ALAC) sound does not play in Chrome or Firefox",
    "wmav1": "Windows Media audio does not play in browsers",
    "wmav2": "Windows Media audio does not play in browsers",
    "amr_nb": "AMR sound does not play in browsers",
    "amr_wb": "AMR sound does not play in browsers",
}


class MediaRefused(InputFileError):
    """A file that browsers cannot play (or that is not a media file at all)."""


@dataclass(frozen=True)
class StreamInfo:
    """One audio or video stream of a file."""

    index: int
    kind: str
    codec: str
    profile: str | None = None
    pix_fmt: str | None = None
    width: int | None = None
    height: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class MediaProbe:
    """What ffprobe found in a file."""

    path: Path
    format_name: str
    duration_s: float
    streams: tuple[StreamInfo, ...]

    @property
    def video(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "video"), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.kind == "audio"), None)


@dataclass(frozen=True)
class WebMedia:
    """How a file is stored for the web: which streams, in which container."""

    suffix: str
    ffmpeg_format: str
    video: StreamInfo | None
    audio: StreamInfo | None
    dropped_streams: int


def run_tool(args: list[str], *, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg/ffprobe; a missing tool or a hang becomes a readable error."""
    try:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise HubError(f"{args[0]} is not installed (Debian: apt-get install ffmpeg)") from None
    except subprocess.TimeoutExpired:
        raise HubError(
            f"{args[0]} took longer than {timeout_s:.0f} s: {shlex.join(args)}"
        ) from None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0][:200] if lines else "no details"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def probe(path: Path) -> MediaProbe:
    """Read a file's container, length and streams; ``MediaRefused`` if it is not media."""
    if not path.is_file():
        raise InputFileError(f"{path}: file not found")
    result = run_tool(
        [
            "ffprobe",
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            str(path),
        ],
        timeout_s=PROBE_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise MediaRefused(f"{path}: not an audio or video file ({_first_line(result.stderr)})")
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise MediaRefused(f"{path}: ffprobe gave no readable answer") from None
    fmt = data.get("format") or {}
    streams: list[StreamInfo] = []
    for raw in data.get("streams", []):
        kind = raw.get("codec_type")
        if kind not in ("video", "audio"):
            continue
        if kind == "video" and (raw.get("disposition") or {}).get("attached_pic"):
            continue  # cover art in a music file, not a video
        streams.append(
            StreamInfo(
                index=int(raw.get("index", len(streams))),
                kind=kind,
                codec=str(raw.get("codec_name", "unknown")),
                profile=raw.get("profile"),
                pix_fmt=raw.get("pix_fmt"),
                width=_int_or_none(raw.get("width")),
                height=_int_or_none(raw.get("height")),
                channels=_int_or_none(raw.get("channels")),
            )
        )
    try:
        duration = float(fmt.get("duration", "nan"))
    except (TypeError, ValueError):
        duration = float("nan")
    if not streams:
        raise MediaRefused(f"{path}: has no audio or video stream")
    return MediaProbe(path, str(fmt.get("format_name", "")), duration, tuple(streams))


def _convert_hint(path: Path, has_video: bool) -> str:
    target = path.with_suffix(".mp4" if has_video else ".m4a").name
    video = "-c:v libx264 -pix_fmt yuv420p " if has_video else "-vn "
    return f"convert it first, e.g.: ffmpeg -i {shlex.quote(path.name)} {video}-c:a aac {target}"


def web_media(found: MediaProbe) -> WebMedia:
    """How to store ``found`` so every browser plays it, or ``MediaRefused`` saying why not."""
    path = found.path
    video, audio = found.video, found.audio
    has_video = video is not None

    def refuse(reason: str) -> MediaRefused:
        return MediaRefused(f"{path.name}: {reason}; {_convert_hint(path, has_video)}")

    if not (found.duration_s == found.duration_s) or found.duration_s < MIN_DURATION_S:
        raise MediaRefused(f"{path.name}: has no playable length (damaged or empty?)")
    if found.duration_s > MAX_DURATION_S:
        raise MediaRefused(f"{path.name}: is longer than {MAX_DURATION_S / 3600:.0f} hours")
    if video is not None:
        if video.codec in _VIDEO_REFUSALS:
            raise refuse(_VIDEO_REFUSALS[video.codec])
        if video.codec not in ("h264", "vp8", "vp9"):
            raise refuse(f"{video.codec} video does not play in every browser")
        allowed_formats = H264_PIXEL_FORMATS if video.codec == "h264" else VPX_PIXEL_FORMATS
        if video.pix_fmt not in allowed_formats:
            raise refuse(
                f"{video.codec} video in {video.pix_fmt} (10-bit or 4:2:2/4:4:4) "
                "does not play in every browser"
            )
        if not video.width or not video.height:
            raise refuse("the video has no picture size")
        if video.width * video.height > MAX_PIXELS:
            raise refuse(f"the video ({video.width}×{video.height}) is larger than 4K")
    if audio is not None:
        if audio.codec in _AUDIO_REFUSALS:
            raise refuse(_AUDIO_REFUSALS[audio.codec])
        if audio.codec == "aac" and audio.profile not in AAC_PROFILES:
            raise refuse(f"AAC sound of profile {audio.profile} does not play in browsers")
    audio_codec = audio.codec if audio else None
    dropped = len(found.streams) - (video is not None) - (audio is not None)
    if video is not None and video.codec == "h264":
        if audio_codec not in (None, "aac", "mp3"):
            raise refuse(f"H.264 video goes with AAC or MP3 sound, not {audio_codec}")
        return WebMedia(".mp4", "mp4", video, audio, dropped)
    if video is not None:
        if audio_codec not in (None, "opus", "vorbis"):
            raise refuse(f"{video.codec} video goes with Opus or Vorbis sound, not {audio_codec}")
        return WebMedia(".webm", "webm", video, audio, dropped)
    audio_only = {
        "aac": (".m4a", "mp4"),
        "mp3": (".mp3", "mp3"),
        "opus": (".webm", "webm"),
        "vorbis": (".webm", "webm"),
        "flac": (".flac", "flac"),
        "pcm_s16le": (".wav", "wav"),
    }
    if audio_codec not in audio_only:
        raise refuse(f"{audio_codec} sound does not play in every browser")
    suffix, container = audio_only[audio_codec]
    return WebMedia(suffix, container, None, audio, dropped)


def copy_for_web(found: MediaProbe, plan: WebMedia, target: Path) -> MediaProbe:
    """Copy the planned streams of ``found`` into ``target`` (no re-encoding; MP4 with its
    index at the front, so playback starts before the whole file is loaded). Refuses
    damaged or truncated files."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(found.path)]
    for stream in (plan.video, plan.audio):
        if stream is not None:
            args += ["-map", f"0:{stream.index}"]
    args += ["-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1"]
    if plan.ffmpeg_format == "mp4":
        args += ["-movflags", "+faststart"]
    args += ["-f", plan.ffmpeg_format, str(target)]
    timeout = max(120.0, found.path.stat().st_size / 5e6)  # a slow disk: 5 MB/s
    result = run_tool(args, timeout_s=timeout)
    if result.returncode != 0 or result.stderr.strip():
        target.unlink(missing_ok=True)
        raise MediaRefused(
            f"{found.path.name}: damaged or truncated ({_first_line(result.stderr)})"
        )
    copied = probe(target)
    if abs(copied.duration_s - found.duration_s) > DURATION_TOLERANCE_S:
        target.unlink(missing_ok=True)
        raise MediaRefused(
            f"{found.path.name}: truncated: the media ends at {copied.duration_s:.1f} s "
            f"but the file says {found.duration_s:.1f} s"
        )
    return copied
