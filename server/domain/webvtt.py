"""WebVTT files: reading caption cues (to check and search them) and writing captions and
chapter tracks.

Only what talks need: cues with a start, an end and text. Cue settings, styles and regions
are kept out of what we write and ignored (but tolerated) in what we read.

>>> text = write_vtt([Cue(0.0, 2.5, "Guten Tag.")])
>>> parse_vtt(text)[0].text
'Guten Tag.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_TIMESTAMP = re.compile(r"^(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})$")


class VttError(ValueError):
    """A WebVTT text that does not follow the format; the message says where."""


@dataclass(frozen=True)
class Cue:
    """One caption (or chapter): shown from ``start_s`` to ``end_s``."""

    start_s: float
    end_s: float
    text: str


def format_timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm`` as WebVTT wants it."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def parse_timestamp(text: str) -> float:
    match = _TIMESTAMP.match(text.strip())
    if match is None:
        raise VttError(f"{text!r} is not a WebVTT timestamp (HH:MM:SS.mmm or MM:SS.mmm)")
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def _escape(text: str) -> str:
    # A cue's text may not contain "-->" and uses HTML-like escapes for & and <.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("-->", "--&gt;")


def write_vtt(cues: Iterable[Cue], *, identifiers: bool = False) -> str:
    """A WebVTT document with ``cues`` in order; with ``identifiers`` each cue is numbered."""
    lines = ["WEBVTT", ""]
    for number, cue in enumerate(cues, start=1):
        if cue.end_s <= cue.start_s:
            raise VttError(f"cue {number} ends ({cue.end_s}) before it starts ({cue.start_s})")
        if identifiers:
            lines.append(str(number))
        lines.append(f"{format_timestamp(cue.start_s)} --> {format_timestamp(cue.end_s)}")
        lines.extend(_escape(line) for line in cue.text.strip().splitlines() if line.strip())
        lines.append("")
    return "\n".join(lines)


def _unescape(text: str) -> str:
    text = re.sub(r"<[^>]*>", "", text)
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&lrm;", "")
        .replace("&rlm;", "")
        .replace("&amp;", "&")
    )


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT document (tags stripped from their text), or ``VttError``."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = re.split(r"\n{2,}", text.strip("\n"))
    header = blocks[0].split("\n", 1)[0]
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise VttError("a WebVTT file starts with the line 'WEBVTT'")
    cues: list[Cue] = []
    for block in blocks[1:]:
        lines = block.split("\n")
        if lines[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        timing_index = 0 if "-->" in lines[0] else 1
        if timing_index >= len(lines) or "-->" not in lines[timing_index]:
            raise VttError(f"cue without a timing line: {lines[0][:60]!r}")
        start_text, _, rest = lines[timing_index].partition("-->")
        end_text = rest.strip().split()[0] if rest.strip() else ""
        start, end = parse_timestamp(start_text), parse_timestamp(end_text)
        if end < start:
            raise VttError(f"cue at {start_text.strip()} ends before it starts")
        body = "\n".join(_unescape(line) for line in lines[timing_index + 1 :])
        cues.append(Cue(start, end, body.strip()))
    return cues
