"""How big one library asset may be, and the check that says what to do when it is too big.

The hub runs in ordinary office laptops' browsers, next to dozens of avatars: an asset must
stay small in triangles, draw calls (materials), texture memory and download size. The
defaults below can be changed per site in ``library/budgets.toml`` (same names).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from typing import Any

from world.errors import InputFileError
from world.library import library_dir
from world.site import Site

BUDGETS_FILE = "budgets.toml"


@dataclass(frozen=True)
class Budgets:
    max_triangles: int = 50_000
    max_materials: int = 8
    max_textures: int = 8
    max_texture_size: int = 1024  # longest side after import; larger textures are scaled down
    max_texture_mb: float = 16.0  # GPU memory of all textures (RGBA, with mipmaps)
    max_file_mb: float = 4.0  # the optimised model.glb
    max_extent_m: float = 20.0  # the longest side of the model after unit conversion
    min_extent_m: float = 0.05


@dataclass(frozen=True)
class ModelStats:
    triangles: int
    materials: int
    textures: list[tuple[int, int]]
    bytes: int
    size: tuple[float, float, float]  # metres: x, y, z

    @property
    def texture_mb(self) -> float:
        return sum(w * h * 4 * 4 / 3 for w, h in self.textures) / 1e6


@dataclass(frozen=True)
class BudgetProblem:
    what: str  # "triangles", "materials", ...
    message: str  # the numbers and what to do


def load_budgets(site: Site) -> Budgets:
    path = library_dir(site) / BUDGETS_FILE
    if not path.is_file():
        return Budgets()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not valid TOML: {exc}") from None
    fields = {f.name: f for f in dataclasses.fields(Budgets)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            raise InputFileError(f"{path}: unknown budget {key!r} (known: {', '.join(fields)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InputFileError(f"{path}: {key} must be a positive number")
        values[key] = int(value) if fields[key].type == "int" else float(value)
    return Budgets(**values)


def suggest_units(longest: float) -> str:
    """A hint which --units would give a model of room-object size (0.2 to 5 m)."""
    for unit, factor in (("mm", 0.001), ("cm", 0.01), ("in", 0.0254), ("m", 1.0)):
        if 0.2 <= longest * factor <= 5.0:
            return f"; if it is drawn in {unit}, import with --units {unit}"
    return "; give --units or --scale so it comes out at its real size"


def check_size(size: tuple[float, float, float], budgets: Budgets, units: str) -> list[str]:
    """Refusals for models far too big or small for a room: a unit mistake, usually."""
    longest = max(size)
    in_units = longest / {"m": 1.0, "cm": 0.01, "mm": 0.001, "in": 0.0254}[units]
    if longest > budgets.max_extent_m:
        return [
            f"size: the model is {longest:,.1f} m long at 1 {units} per unit "
            f"(limit {budgets.max_extent_m:g} m){suggest_units(in_units)}"
        ]
    if longest < budgets.min_extent_m:
        return [
            f"size: the model is only {longest * 1000:.1f} mm long at 1 {units} per unit "
            f"(at least {budgets.min_extent_m * 100:g} cm){suggest_units(in_units)}"
        ]
    return []


@dataclass(frozen=True)
class Simplified:
    """What ``--simplify`` did: the share asked for and the triangles before."""

    share: float
    triangles_before: int


def _triangle_advice(stats: ModelStats, budgets: Budgets, simplified: Simplified | None) -> str:
    decimate = "reduce it in the modelling program (Blender: Decimate modifier)"
    if simplified is None or simplified.triangles_before <= 0:
        ratio = max(0.05, round(budgets.max_triangles / stats.triangles * 0.9, 2))
        return (
            f"triangles: {stats.triangles:,} (budget {budgets.max_triangles:,}); "
            f"{decimate} or import with --simplify {ratio}"
        )
    before = simplified.triangles_before
    head = (
        f"triangles: {stats.triangles:,} after --simplify {simplified.share:g} "
        f"(of {before:,}; budget {budgets.max_triangles:,})"
    )
    kept = stats.triangles / before
    if kept > simplified.share * 1.25 + 0.01:  # the simplifier stopped before the share
        return (
            f"{head}; the simplifier stops where the shape would change visibly "
            f"(it kept {kept:.0%}): {decimate}"
        )
    ratio = round(simplified.share * budgets.max_triangles / stats.triangles * 0.9, 2)
    if ratio < 0.01:
        return f"{head}; {decimate}"
    return f"{head}; import with --simplify {ratio} or {decimate}"


def check_budgets(
    stats: ModelStats, budgets: Budgets, simplified: Simplified | None = None
) -> list[BudgetProblem]:
    """Every budget the model is over, each with its numbers and what to do about it.

    ``simplified``: the import was asked to simplify; advice on ``--simplify`` is then about
    the original's triangles, and says so when the simplifier could not go as far as asked.
    """
    problems = []
    if stats.triangles > budgets.max_triangles:
        problems.append(BudgetProblem("triangles", _triangle_advice(stats, budgets, simplified)))
    if stats.materials > budgets.max_materials:
        problems.append(
            BudgetProblem(
                "materials",
                f"materials: {stats.materials} (budget {budgets.max_materials}); each is a "
                "draw call: merge materials that look alike or bake them into one texture",
            )
        )
    if len(stats.textures) > budgets.max_textures:
        problems.append(
            BudgetProblem(
                "textures",
                f"textures: {len(stats.textures)} (budget {budgets.max_textures}); "
                "combine them into a texture atlas",
            )
        )
    if stats.texture_mb > budgets.max_texture_mb:
        problems.append(
            BudgetProblem(
                "texture memory",
                f"texture memory: {stats.texture_mb:.1f} MB on the graphics card "
                f"(budget {budgets.max_texture_mb:g} MB); import with a smaller "
                "--max-texture (e.g. 512) or use fewer textures",
            )
        )
    if stats.bytes > budgets.max_file_mb * 1e6:
        problems.append(
            BudgetProblem(
                "file size",
                f"file size: {stats.bytes / 1e6:.1f} MB after optimising "
                f"(budget {budgets.max_file_mb:g} MB); use fewer or smaller textures "
                "(--max-texture 512) or fewer triangles (--simplify)",
            )
        )
    return problems
