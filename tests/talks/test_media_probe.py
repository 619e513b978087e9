"""Checking recordings: what ffprobe finds, what browsers play, copying for the web, and
refusing everything else with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.media_probe import MediaRefused, copy_for_web, probe, web_media


def top_level_boxes(path: Path) -> list[str]:
    """The order of an MP4 file's top-level boxes ('ftyp', 'moov', 'mdat' …)."""
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


def test_probe_reads_streams_and_length(media: dict[str, Path]) -> None:
    found = probe(media["vp9_opus.webm"])
    assert found.duration_s == pytest.approx(3.0, abs=0.1)
    assert found.video is not None and found.video.codec == "vp9"
    assert (found.video.width, found.video.height) == (320, 240)
    assert found.audio is not None and found.audio.codec == "opus"


@pytest.mark.parametrize(
    ("name", "suffix", "video", "audio"),
    [
        ("vp9_opus.webm", ".webm", "vp9", "opus"),
        ("h264_aac.mp4", ".mp4", "h264", "aac"),
        ("h264_aac_moov_last.mov", ".mp4", "h264", "aac"),
        ("vp9_opus.mkv", ".webm", "vp9", "opus"),
        ("speech.mp3", ".mp3", None, "mp3"),
        ("speech.flac", ".flac", None, "flac"),
    ],
)
def test_playable_files_are_copied_into_a_web_container(
    media: dict[str, Path],
    tmp_path: Path,
    name: str,
    suffix: str,
    video: str | None,
    audio: str,
) -> None:
    found = probe(media[name])
    plan = web_media(found)
    assert plan.suffix == suffix
    target = tmp_path / f"media{suffix}"
    copied = copy_for_web(found, plan, target)
    assert (copied.video.codec if copied.video else None) == video
    assert copied.audio is not None and copied.audio.codec == audio
    assert copied.duration_s == pytest.approx(found.duration_s, abs=0.2)


def test_mp4_copies_have_their_index_in_front_so_playback_starts_at_once(
    media: dict[str, Path], tmp_path: Path
) -> None:
    source = media["h264_aac_moov_last.mov"]
    assert top_level_boxes(source).index("moov") > top_level_boxes(source).index("mdat")
    found = probe(source)
    copy_for_web(found, web_media(found), tmp_path / "media.mp4")
    boxes = top_level_boxes(tmp_path / "media.mp4")
    assert boxes.index("moov") < boxes.index("mdat")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.mp4", "not an audio or video file"),
        ("truncated.mp4", "not an audio or video file"),
        ("h264_10bit.mp4", "10-bit"),
        ("mpeg4_aac.mp4", "MPEG-4 Part 2"),
        ("h264_ac3.mp4", "AC-3"),
        ("h264_opus.mkv", "H.264 video goes with AAC or MP3 sound, not opus"),
        ("alac.m4a", "Apple Lossless"),
    ],
)
def test_files_browsers_cannot_play_are_refused_in_one_line(
    media: dict[str, Path], name: str, reason: str
) -> None:
    with pytest.raises(MediaRefused) as refused:
        web_media(probe(media[name]))
    message = str(refused.value)
    assert reason in message
    assert "\n" not in message
    assert name in message


def test_refusals_say_how_to_convert(media: dict[str, Path]) -> None:
    with pytest.raises(MediaRefused, match=r"convert it first, e\.g\.: ffmpeg -i h264_ac3\.mp4 "):
        web_media(probe(media["h264_ac3.mp4"]))


def test_a_truncated_webm_is_refused_and_leaves_nothing_behind(
    media: dict[str, Path], tmp_path: Path
) -> None:
    found = probe(media["truncated.webm"])  # the header still promises the whole length
    plan = web_media(found)
    target = tmp_path / "media.webm"
    with pytest.raises(MediaRefused, match="truncated"):
        copy_for_web(found, plan, target)
    assert not target.exists()


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="file not found"):
        probe(tmp_path / "nope.webm")
