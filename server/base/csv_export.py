"""The common form of the hub's CSV exports (attendance, registrations, offer sign-ups,
boards, polls, action plans, station progress): a header row, then the rows, lines ending
in CRLF as spreadsheet programs expect; texts people typed kept from being read as
formulas; times in the site's zone.

>>> csv_text(("Name", "Zeit"), [(formula_safe("=1+1"), local_time(0, ZoneInfo("UTC")))])
"Name,Zeit\\r\\n'=1+1,1970-01-01 00:00:00\\r\\n"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file: ``header``, then ``rows``; lines end in CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def formula_safe(text: str) -> str:
    """Keep spreadsheet programs from reading a text as a formula: one that begins with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets an apostrophe in front."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def local_time(ts: float | None, zone: ZoneInfo) -> str:
    """Unix seconds as ``YYYY-MM-DD HH:MM:SS`` in ``zone``; empty for none."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M:%S")
