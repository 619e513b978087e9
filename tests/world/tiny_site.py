"""A two-room site (a hall and a garden) for tests that need a site folder that builds fast."""

TINY_SITE = """
[site]
id = "tiny-hub"
languages = ["de", "en"]

[branding]
name = { de = "Kleiner Hub", en = "Tiny hub" }
short_name = "Tiny"
"""

TINY_BUILDING = """
[building]
name = { de = "Kleiner Hub", en = "Tiny hub" }
ground_margin = 4
entrance = "hall"

[[rooms]]
id = "hall"
names = { de = "Halle", en = "Hall" }
kind = "foyer"
x = [0, 8]
z = [0, 6]
capacity = 10
spawns = 4

[[rooms]]
id = "garden"
names = { de = "Garten", en = "Garden" }
kind = "terrace"
x = [0, 8]
z = [6, 10]
capacity = 5
outdoor = true
spawns = 3

[[doors]]
rooms = ["hall", "garden"]
at = 4
width = 1.6
style = "glass"

[[windows]]
room = "hall"
side = "north"
count = 2

[[anchors]]
id = "hall-1"
kind = "station"
room = "hall"
at = [1.5, 1.5]
facing = "south"
title = { de = "Erste Station", en = "First station" }

[[anchors]]
id = "hall-screen"
kind = "screen"
room = "hall"
at = [4, 0.2]
elevation = 1.8
size = [2.4, 1.35]

[[furniture]]
type = "table"
room = "hall"
at = [5.5, 3.5]
chairs = 4
"""
