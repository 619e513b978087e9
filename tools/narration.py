"""The narrator of produced talks: each sentence spoken by espeak-ng, joined into one
sound track with pauses, and timed, so captions and slide changes fall exactly where the
words are.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import wave
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from server.api import Cue
from tools.talk_script import TalkScript
from world.errors import HubError

SLIDE_LEAD_S = 0.6
SENTENCE_GAP_S = 0.35
SLIDE_TAIL_S = 0.9
SILENCE_LEVEL = 300  # of 32767: quieter than this at the ends of a sentence is cut
KEEP_EDGE_S = 0.04
CAPTION_LINE_CHARS = 42
CAPTION_MAX_CHARS = 2 * CAPTION_LINE_CHARS
ESPEAK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SlideTiming:
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Narration:
    """The joined sound track and where each slide and caption begins and ends."""

    wav: Path
    duration_s: float
    slides: tuple[SlideTiming, ...]
    cues: tuple[Cue, ...]


def speak(text: str, voice: str, speed_wpm: int, target: Path) -> None:
    """One sentence to a WAV file."""
    try:
        result = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed_wpm), "-b", "1", "-w", str(target)],
            input=text,
            capture_output=True,
            text=True,
            timeout=ESPEAK_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise HubError("espeak-ng is not installed (Debian: apt-get install espeak-ng)") from None
    except subprocess.TimeoutExpired:
        raise HubError(f"espeak-ng took longer than {ESPEAK_TIMEOUT_S:.0f} s") from None
    if result.returncode != 0 or not target.is_file():
        raise HubError(f"espeak-ng failed for voice {voice!r}: {result.stderr.strip()[:200]}")


def _samples(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as reader:
        if reader.getsampwidth() != 2 or reader.getnchannels() != 1:
            raise HubError(f"{path}: espeak-ng wrote an unexpected WAV format")
        rate = reader.getframerate()
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
    loud = np.nonzero(np.abs(data.astype(np.int32)) > SILENCE_LEVEL)[0]
    if len(loud) == 0:
        return rate, data[:0]
    edge = int(KEEP_EDGE_S * rate)
    return rate, data[max(0, loud[0] - edge) : loud[-1] + edge]


def caption_chunks(sentence: str, max_chars: int = CAPTION_MAX_CHARS) -> list[str]:
    """A sentence cut into captions of at most ``max_chars`` (two short lines), in pieces
    of about equal length, cut after a comma, colon or dash where one is near."""
    words = sentence.split()
    count = -(-len(sentence) // max_chars)
    while True:
        chunks = _balanced(words, count)
        if all(len(chunk) <= max_chars for chunk in chunks) or count >= len(words):
            return chunks
        count += 1


def _balanced(words: list[str], count: int) -> list[str]:
    if count <= 1:
        return [" ".join(words)]
    ends = []  # character offset after each word
    offset = 0
    for word in words:
        offset += len(word) + 1
        ends.append(offset)
    total = offset
    cuts: list[int] = []
    for part in range(1, count):
        target = total * part / count
        candidates = range(cuts[-1] + 1 if cuts else 1, len(words))
        best = min(
            candidates,
            key=lambda i: (
                abs(ends[i - 1] - target) - (18 if re.search(r"[,;:–]$", words[i - 1]) else 0)
            ),
            default=None,
        )
        if best is None:
            break
        cuts.append(best)
    bounds = [0, *cuts, len(words)]
    return [" ".join(words[a:b]) for a, b in itertools.pairwise(bounds) if b > a]


def caption_lines(text: str, width: int = CAPTION_LINE_CHARS) -> str:
    """A caption broken into (at most about two) balanced lines."""
    if len(text) <= width:
        return text
    words = text.split()
    best = (len(text), text)
    for split in range(1, len(words)):
        first, second = " ".join(words[:split]), " ".join(words[split:])
        score = max(len(first), len(second))
        if score < best[0]:
            best = (score, f"{first}\n{second}")
    return best[1]


def narrate(script: TalkScript, work_dir: Path, *, frame_s: float, jobs: int = 2) -> Narration:
    """Speak every sentence of ``script`` and join them into ``work_dir/narration.wav``.

    Each slide lasts a whole number of video frames (``frame_s``), so slide changes land
    on frames and captions stay exact.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    jobs_list: list[tuple[int, int, str]] = []
    for slide_index, slide in enumerate(script.slides):
        for sentence_index, sentence in enumerate(slide.sentences()):
            jobs_list.append((slide_index, sentence_index, sentence))

    def render(job: tuple[int, int, str]) -> Path:
        slide_index, sentence_index, sentence = job
        target = work_dir / f"s{slide_index:02d}-{sentence_index:02d}.wav"
        speak(script.spoken(sentence), script.voice, script.speed_wpm, target)
        return target

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        files = list(pool.map(render, jobs_list))

    rate = 0
    pieces: list[np.ndarray] = []
    cues: list[Cue] = []
    slides: list[SlideTiming] = []
    cursor = 0  # in samples
    by_slide: dict[int, list[tuple[str, Path]]] = {}
    for (slide_index, _, sentence), path in zip(jobs_list, files, strict=True):
        by_slide.setdefault(slide_index, []).append((sentence, path))

    def silence(seconds: float) -> None:
        nonlocal cursor
        count = round(seconds * rate)
        pieces.append(np.zeros(count, dtype="<i2"))
        cursor += count

    for slide_index in range(len(script.slides)):
        start = cursor
        for number, (sentence, path) in enumerate(by_slide[slide_index]):
            file_rate, samples = _samples(path)
            if rate == 0:
                rate = file_rate
            elif file_rate != rate:
                raise HubError("espeak-ng changed its sample rate between sentences")
            silence(SLIDE_LEAD_S if number == 0 else SENTENCE_GAP_S)
            spoken_start = cursor / rate
            pieces.append(samples)
            cursor += len(samples)
            spoken_end = cursor / rate
            chunks = caption_chunks(sentence)
            total_chars = sum(len(chunk) for chunk in chunks)
            at = spoken_start
            for chunk in chunks:
                length = (spoken_end - spoken_start) * len(chunk) / total_chars
                cues.append(Cue(round(at, 3), round(at + length, 3), caption_lines(chunk)))
                at += length
        silence(SLIDE_TAIL_S)
        frames = -(-cursor // round(frame_s * rate))  # whole frames, rounded up
        silence((frames * round(frame_s * rate) - cursor) / rate)
        slides.append(SlideTiming(start / rate, cursor / rate))

    track = np.concatenate(pieces) if pieces else np.zeros(0, dtype="<i2")
    target = work_dir / "narration.wav"
    with wave.open(str(target), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(track.astype("<i2").tobytes())
    for path in files:
        path.unlink(missing_ok=True)
    return Narration(target, cursor / rate, tuple(slides), tuple(cues))
