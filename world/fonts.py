"""The font the hub draws text with outside the browser: DejaVu Sans (Debian's
``fonts-dejavu-core``, installed by scripts/setup.sh). It has every character the hub's
texts use (umlauts, ß, €, CO₂e's subscript, „German quotes“, dashes), where the fonts
built into the drawing libraries have Latin-1 at most. Used by the plan's PDF
(``server/features/board/plan_export.py``) and the talks' slides (``tools/slides.py``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Final

from world.errors import HubError

FONT_DIRS: Final = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES: Final = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}


class FontMissing(HubError):
    """The font file is not installed."""


@cache
def font_file(weight: str) -> Path:
    """The DejaVu Sans file of this weight ("regular" or "bold"); ``FontMissing`` with
    one line saying what to install when it is not there."""
    for folder in FONT_DIRS:
        candidate = folder / FONT_FILES[weight]
        if candidate.is_file():
            return candidate
    raise FontMissing(
        f"font {FONT_FILES[weight]} not found (Debian: apt-get install fonts-dejavu-core)"
    )
