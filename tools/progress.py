"""A progress bar for the long steps of the staff tools, on stderr and only on a terminal.

Library code reports steps through a ``Progress`` (``step("optimising")``); the command
decides whether anyone sees them. ``Progress.silent()`` is the default everywhere, so the
same code runs quietly in tests, scripts and a future server endpoint.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    """Counts steps of known number and redraws one line: ``[#####-----] 3/7 optimising``."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(1, total)
        self.label = label
        self.stream = stream
        self.done = 0
        self.started = time.monotonic()
        self._width = 0

    @classmethod
    def silent(cls) -> Progress:
        return cls(1, "")

    @classmethod
    def for_terminal(cls, total: int, label: str, enabled: bool = True) -> Progress:
        """A bar on stderr when it is a terminal (and ``enabled``), else a silent one."""
        stream = sys.stderr if enabled and sys.stderr.isatty() else None
        return cls(total, label, stream)

    def step(self, what: str) -> None:
        """Start the next step, called ``what``."""
        self._draw(what)
        self.done = min(self.done + 1, self.total)

    def finish(self) -> None:
        if self.stream is None:
            return
        self.done = self.total
        self.stream.write("\r" + " " * self._width + "\r")
        self.stream.flush()

    def _draw(self, what: str) -> None:
        if self.stream is None:
            return
        filled = WIDTH * self.done // self.total
        seconds = time.monotonic() - self.started
        line = (
            f"{self.label} [{'#' * filled}{'-' * (WIDTH - filled)}] "
            f"{self.done + 1}/{self.total} {what} ({seconds:.0f} s)"
        )
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(line))
