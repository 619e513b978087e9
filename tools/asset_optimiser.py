"""Normalising and optimising a model with glTF-Transform (``asset_optimise.mjs``, Node.js).

``optimise_model`` turns any .glb/.gltf into one GLB: the whole scene under a root node that
carries the unit scale and the up-axis turn, placed so the base centre is the origin;
deduplicated, pruned (empty anchor nodes and extras kept), welded, optionally simplified,
quantised (KHR_mesh_quantization); normals computed where a model has none (and anew after
simplifying, which welds flat-shaded faces first). Venue extensions glTF-Transform does not
know are passed through. Textures are left to ``tools/texture_webp.py``.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import orjson

from world.errors import HubError, InputFileError
from world.site import PROJECT_ROOT

SCRIPT = Path(__file__).with_name("asset_optimise.mjs")
PACKAGES = ("@gltf-transform/core", "@gltf-transform/functions", "meshoptimizer")
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254}


class OptimiserUnavailable(HubError):
    """Node.js or the glTF-Transform packages are missing."""


@dataclass(frozen=True)
class OptimiserReport:
    passed_through: list[str]  # extensions kept without glTF-Transform knowing them
    removed: list[str]  # what was taken out (animations, cameras, lights, ...)
    notes: list[str]  # what was repaired (normals computed, ...)
    triangles_before: int  # before simplifying
    triangles: int  # after


def up_rotation(up: str) -> list[float]:
    """The quaternion (x, y, z, w) that turns a model with ``up`` as its up axis to Y-up."""
    if up == "y":
        return [0.0, 0.0, 0.0, 1.0]
    # -90 degrees about X: (x, y, z) -> (x, z, -y), so +Z becomes +Y
    half = math.sqrt(0.5)
    return [-half, 0.0, 0.0, half]


def optimise_model(
    source: Path,
    target: Path,
    *,
    name: str,
    scale: float,
    up: str,
    simplify: float | None = None,
    timeout: float = 300.0,
) -> OptimiserReport:
    """Write the normalised, optimised ``source`` to ``target`` (GLB)."""
    node = shutil.which("node")
    if node is None:
        raise OptimiserUnavailable("node (Node.js) not found; run scripts/setup.sh")
    for package in PACKAGES:
        if not (PROJECT_ROOT / "node_modules" / package).is_dir():
            raise OptimiserUnavailable(f"npm package {package} missing; run scripts/setup.sh")
    options = {"name": name, "scale": scale, "rotation": up_rotation(up), "simplify": simplify}
    try:
        result = subprocess.run(
            [
                node,
                str(SCRIPT),
                str(source.absolute()),
                str(target.absolute()),
                orjson.dumps(options).decode(),
            ],
            capture_output=True,
            timeout=timeout,
            cwd=PROJECT_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OptimiserUnavailable(
            f"optimising {source.name} took longer than {timeout:.0f} s"
        ) from None
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputFileError(f"{source}: cannot read the model: {lines[-1] if lines else '?'}")
    report = orjson.loads(result.stdout)
    return OptimiserReport(
        passed_through=[str(x) for x in report.get("passed_through", [])],
        removed=[str(x) for x in report.get("removed", [])],
        notes=[str(x) for x in report.get("notes", [])],
        triangles_before=int(report.get("triangles_before", 0)),
        triangles=int(report.get("triangles", 0)),
    )
