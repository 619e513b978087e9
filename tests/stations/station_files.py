"""Station files for tests: a valid one to start from, and a throw-away site folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from server.features.stations.catalogue import StationPlace
from world.site import DEFAULT_SITE, Site, load_site

TOPICS = """\
[carbon]
title.de = "Klimabilanz"
title.en = "Carbon accounting"

[energy]
title.de = "Energie"
title.en = "Energy"
"""

GOOD_STATION = """\
+++
anchor = "lab-1"
topic = "carbon"
order = 5
reviewed = 2026-11-01

title.de = "Klimabilanz"
title.en = "Carbon accounting"
intro.de = "Die drei Scopes."
intro.en = "The three scopes."

[[sources]]
publisher = "WRI und WBCSD"
title = "GHG Protocol Corporate Standard"
year = 2004
url = "https://ghgprotocol.org/corporate-standard"

[quiz]
pass_mark = 1

[[quiz.questions]]
kind = "single"
prompt.de = "Eigene Lieferwagen?"
prompt.en = "Own vans?"
options = [
  { de = "Scope 1", en = "Scope 1", correct = true },
  { de = "Scope 2", en = "Scope 2" },
]
explanation.de = "Direkte Emissionen sind Scope 1."
explanation.en = "Direct emissions are scope 1."

[[quiz.questions]]
kind = "multiple"
prompt.de = "Scope 3?"
prompt.en = "Scope 3?"
options = [
  { de = "Pendeln", en = "Commuting", correct = true },
  { de = "Dienstreisen", en = "Business travel", correct = true },
  { de = "Eigener Kessel", en = "Own boiler" },
]
explanation.de = "Pendeln und Dienstreisen sind Scope 3."
explanation.en = "Commuting and business travel are scope 3."

[experiment]
calculator = "carbon-footprint"
+++

+++ de
## Worum es geht

Text mit [Link](https://ghgprotocol.org/) und Bild:

![Die drei Scopes](images/scopes.svg)

+++ en
## What it is about

Text with a [link](https://ghgprotocol.org/) and a picture:

![The three scopes](images/scopes.svg)
"""

PLACES = [
    StationPlace("lab-1", "lab", (0.0, 0.0, 0.0), 0.0),
    StationPlace("lab-2", "lab", (4.0, 0.0, 0.0), 0.0),
    StationPlace("foyer-1", "foyer", (0.0, 0.0, 10.0), 0.0),
]

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>\n'


class SiteFolder:
    """A copy of the site manifest, building and calculators with a stations folder we write
    into."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in ("site.toml", "building.toml", "logo.svg"):
            shutil.copy(DEFAULT_SITE / name, root / name)
        shutil.copytree(DEFAULT_SITE / "calculators", root / "calculators")
        self.stations = root / "stations"
        (self.stations / "images").mkdir(parents=True)
        (self.stations / "topics.toml").write_text(TOPICS, encoding="utf-8")
        (self.stations / "images" / "scopes.svg").write_text(SVG, encoding="utf-8")

    @property
    def site(self) -> Site:
        return load_site(self.root)

    def write(self, name: str, text: str) -> Path:
        path = self.stations / name
        path.write_text(text, encoding="utf-8")
        return path

    def write_calculator(self, name: str, text: str) -> Path:
        path = self.root / "calculators" / name
        path.write_text(text, encoding="utf-8")
        return path


Edit = Callable[[str], str]


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the first line containing ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")
