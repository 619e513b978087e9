"""What the builder collects before writing a model: visible parts, colliders, floor facts.

Walls, furniture and landscape all add to one ``Pieces``: meshes by group and material,
box colliders for physics, footprints that keep avatars away (``Obstacle``), raised floor
areas they can walk on (``Surface``: a stage, its steps, a ramp), and signs to print.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from world.geometry import Mesh, Placement, box, box_faces

GROUPS = ("architecture", "ceiling", "furniture", "landscape", "signage")


@dataclass(frozen=True)
class Footprint:
    """A rectangle on the floor: centre, half sizes along its own axes, turned by ``yaw``."""

    x: float
    z: float
    half_x: float
    half_z: float
    yaw: float = 0.0

    def to_local(self, px: float, pz: float) -> tuple[float, float]:
        dx, dz = px - self.x, pz - self.z
        c, s = math.cos(self.yaw), math.sin(self.yaw)
        # inverse of the rotation in geometry.Placement
        return (c * dx - s * dz, s * dx + c * dz)


@dataclass(frozen=True)
class Obstacle:
    """Something avatars walk around, between heights ``y0`` and ``y1``.

    A soft obstacle (a chair) may be walked through but keeps spawn points away.
    """

    footprint: Footprint
    y0: float
    y1: float
    soft: bool = False


@dataclass(frozen=True)
class Surface:
    """A walkable area above the room floor: height at the centre plus slopes (dh per m)."""

    footprint: Footprint
    height: float
    slope_x: float = 0.0  # along the footprint's own x axis
    slope_z: float = 0.0  # along the footprint's own z axis
    name: str = "surface"


@dataclass(frozen=True)
class Collider:
    """A static box collider: centre, full size, yaw (written as OMI_physics_shape/body)."""

    name: str
    centre: tuple[float, float, float]
    size: tuple[float, float, float]
    yaw: float = 0.0


@dataclass(frozen=True)
class SignPlate:
    """A sign to print into the atlas and show on a plate: key into the atlas, where it hangs."""

    key: str
    placement: Placement
    width: float
    height: float


@dataclass
class Pieces:
    """Everything the builder has made so far."""

    meshes: dict[tuple[str, str], list[Mesh]] = field(default_factory=lambda: defaultdict(list))
    colliders: list[Collider] = field(default_factory=list)
    obstacles: list[Obstacle] = field(default_factory=list)
    surfaces: list[Surface] = field(default_factory=list)
    signs: list[SignPlate] = field(default_factory=list)

    def add(self, group: str, material: str, mesh: Mesh, at: Placement | None = None) -> None:
        self.meshes[(group, material)].append(at.apply(mesh) if at is not None else mesh)

    def add_box(
        self,
        group: str,
        material: str,
        size: tuple[float, float, float],
        centre: tuple[float, float, float],
        at: Placement | None = None,
        skip: tuple[str, ...] = ("-y",),
    ) -> None:
        """A box of one material; its hidden underside left out unless ``skip`` says else."""
        self.add(group, material, box(size, centre, skip=skip), at)

    def add_box_faces(
        self,
        group: str,
        materials: dict[str, str],
        default: str,
        size: tuple[float, float, float],
        centre: tuple[float, float, float],
        skip: tuple[str, ...] = ("-y",),
    ) -> None:
        """A box whose faces differ (a wall: brick outside, plaster inside)."""
        for face, mesh in box_faces(size, centre).items():
            if face not in skip:
                self.add(group, materials.get(face, default), mesh)

    def block(
        self,
        at: Placement,
        half_x: float,
        half_z: float,
        height: float,
        soft: bool = False,
        local_x: float = 0.0,
        local_z: float = 0.0,
    ) -> None:
        """Keep avatars out of a rectangle of the piece placed ``at`` (local centre given)."""
        centre = at.point((local_x, 0.0, local_z))
        self.obstacles.append(
            Obstacle(
                Footprint(float(centre[0]), float(centre[2]), half_x, half_z, at.yaw),
                at.y,
                at.y + height,
                soft,
            )
        )

    def collide(
        self,
        name: str,
        at: Placement,
        size: tuple[float, float, float],
        local_centre: tuple[float, float, float],
    ) -> None:
        centre = at.point(local_centre)
        self.colliders.append(
            Collider(name, (float(centre[0]), float(centre[1]), float(centre[2])), size, at.yaw)
        )
