"""The names a hub model uses for its venue metadata, shared by the builder, loader and checks.

Everything a hub model says beyond plain geometry is written in these terms; the format is
described for people in docs/world-format.md. Change a name here and you change the format.
"""

from __future__ import annotations

FORMAT_VERSION = 1

# Every venue node carries ``extras[EXTRAS_KEY] = {"type": <one of NODE_TYPES>, ...}``.
EXTRAS_KEY = "hubtwin"

TYPE_VENUE = "venue"
TYPE_ROOM = "room"
TYPE_SPAWN = "spawn"
TYPE_ANCHOR = "anchor"
TYPE_DOOR = "door"
TYPE_WALKABLE = "walkable"
TYPE_CEILING = "ceiling"  # visible, but no click target and seen only from below
NODE_TYPES = (
    TYPE_VENUE,
    TYPE_ROOM,
    TYPE_SPAWN,
    TYPE_ANCHOR,
    TYPE_DOOR,
    TYPE_WALKABLE,
    TYPE_CEILING,
)

ANCHOR_KINDS = ("station", "screen", "stage", "booth", "board")
# Anchor kinds whose extras must give a ``size`` of [width, height] in metres.
SIZED_ANCHOR_KINDS = ("screen", "board")

SPAWN_POINT_EXT = "OMI_spawn_point"
PHYSICS_SHAPE_EXT = "OMI_physics_shape"
PHYSICS_BODY_EXT = "OMI_physics_body"
NODE_VISIBILITY_EXT = "KHR_node_visibility"
UNLIT_EXT = "KHR_materials_unlit"

# Venue extensions a model may use; every one of them is optional for engines that ignore it.
VENUE_EXTENSIONS = (SPAWN_POINT_EXT, PHYSICS_SHAPE_EXT, PHYSICS_BODY_EXT, NODE_VISIBILITY_EXT)

# Walking: an avatar is a vertical cylinder of this radius; it climbs at most MAX_STEP_UP
# between two neighbouring floor samples (a stair riser) and looks for the floor within
# FLOOR_TOLERANCE above or below its feet.
AVATAR_RADIUS = 0.25
AVATAR_HEIGHT = 1.8
MAX_STEP_UP = 0.25
FLOOR_TOLERANCE = 0.6
GRID_CELL = 0.1
