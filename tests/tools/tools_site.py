"""A small site for the staff-tool tests: a hall with a stage, a garden, a door between."""

from __future__ import annotations

from pathlib import Path

SITE_TOML = """
[site]
id = "tool-test-hub"
languages = ["de", "en"]

[branding]
name = { de = "Werkzeug-Hub", en = "Tool hub" }
short_name = "Tools"
"""

# The hall runs x 0..10, z 0..8; the garden z 8..12 south of it. The door between them is
# centred at x = 5 on the wall z = 8. The stage stands at the hall's north wall.
BUILDING_TOML = """
[building]
name = { de = "Werkzeug-Hub", en = "Tool hub" }
ground_margin = 4
entrance = "hall"

[[rooms]]
id = "hall"
names = { de = "Halle", en = "Hall" }
kind = "foyer"
x = [0, 10]
z = [0, 8]
capacity = 20
spawns = 4

[[rooms]]
id = "garden"
names = { de = "Garten", en = "Garden" }
kind = "terrace"
x = [0, 10]
z = [8, 12]
capacity = 10
outdoor = true
spawns = 3

[[doors]]
rooms = ["hall", "garden"]
at = 5
width = 1.6
style = "glass"

[[anchors]]
id = "hall-1"
kind = "station"
room = "hall"
at = [1.5, 4.0]
facing = "east"
title = { de = "Erste Station", en = "First station" }

[[anchors]]
id = "hall-screen"
kind = "screen"
room = "hall"
at = [8.5, 0.2]
elevation = 1.8
size = [2.0, 1.2]

[[furniture]]
type = "stage"
room = "hall"
at = [4, 1.4]
size = [4.0, 2.0]
height = 0.4
steps = "none"
ramp = "none"
lectern = false

[[furniture]]
type = "table"
room = "hall"
at = [7.5, 5.5]
chairs = 4
"""


def write_site(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (folder / "building.toml").write_text(BUILDING_TOML, encoding="utf-8")
    return folder
