"""The rules every line a person writes obeys before anyone else sees it (chat messages,
board notes, labels): plain text, NFC, no control or bidi characters, no runs of blank
lines, a length limit. ``ChatRefused`` carries the protocol error code of a refusal."""

from __future__ import annotations

import unicodedata

_KEEP_CONTROLS = {"\n"}
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MAX_BLANK_LINES = 2


class ChatRefused(Exception):
    """A chat message or reaction that is not sent; ``code`` is a protocol error code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def clean_text(text: str, max_chars: int) -> str:
    """Chat text as it is sent on: NFC; no control characters except line breaks, no bidi
    overrides, no unassigned or private-use code points; no runs of blank lines; no
    surrounding space. Raises ``ChatRefused`` when nothing is left or it is longer than
    ``max_chars``."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(
        ch
        for ch in text
        if ch in _KEEP_CONTROLS
        or (ch not in _BIDI_CONTROLS and unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn"))
    )
    lines = [line.rstrip() for line in kept.split("\n")]
    out: list[str] = []
    blank = 0
    for line in lines:
        blank = blank + 1 if not line.strip() else 0
        if blank <= _MAX_BLANK_LINES:
            out.append(line)
    cleaned = "\n".join(out).strip()
    if not cleaned:
        raise ChatRefused("chat_empty")
    if len(cleaned) > max_chars:
        raise ChatRefused("chat_too_long", f"{len(cleaned)} > {max_chars} characters")
    return cleaned
