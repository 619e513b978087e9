"""The hub's material palette: PBR colours, roughness, textures, glass, unlit screens.

Metallic is 0 unless the thing is metal. A building description refers to materials by the
names below (floor, walls); a site may add its own under ``[materials]`` in building.toml.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from world.errors import InputFileError


@dataclass(frozen=True)
class MaterialSpec:
    """How a surface looks: base colour (linear-ish sRGB hex), roughness, optional texture."""

    name: str
    colour: str = "#ffffff"
    roughness: float = 0.8
    metallic: float = 0.0
    texture: str | None = None
    tile: tuple[float, float] = (1.0, 1.0)
    opacity: float = 1.0
    unlit: bool = False
    emissive: str | None = None
    double_sided: bool = False

    def rgba(self) -> list[float]:
        return [*hex_to_linear(self.colour), self.opacity]


def hex_to_linear(colour: str) -> list[float]:
    """``#rrggbb`` (sRGB, as designers write it) to linear RGB, as glTF factors are."""
    value = colour.lstrip("#")
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise InputFileError(f"colour {colour!r}: expected #rrggbb")
    out = []
    for i in (0, 2, 4):
        c = int(value[i : i + 2], 16) / 255.0
        out.append(round(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4, 5))
    return out


_PALETTE = [
    # floors
    MaterialSpec("oak", "#ffffff", 0.55, texture="oak", tile=(4.2, 1.44)),
    MaterialSpec("decking", "#ffffff", 0.8, texture="decking", tile=(2.8, 1.2)),
    MaterialSpec("terrazzo", "#ffffff", 0.35, texture="terrazzo", tile=(2.0, 2.0)),
    MaterialSpec("carpet-blue", "#ffffff", 0.95, texture="carpet-blue", tile=(1.0, 1.0)),
    MaterialSpec("carpet-sage", "#ffffff", 0.95, texture="carpet-sage", tile=(1.0, 1.0)),
    MaterialSpec("lino", "#ffffff", 0.5, texture="lino", tile=(2.0, 2.0)),
    MaterialSpec("grass", "#ffffff", 1.0, texture="grass", tile=(4.0, 4.0)),
    MaterialSpec("paving", "#ffffff", 0.85, texture="paving", tile=(2.4, 2.4)),
    MaterialSpec("slab", "#a7a49d", 0.9),
    # walls
    MaterialSpec("brick", "#ffffff", 0.9, texture="brick", tile=(1.0, 1.3)),
    MaterialSpec("plaster-white", "#f1eee8", 0.9, texture="plaster", tile=(2.0, 2.0)),
    MaterialSpec("plaster-sage", "#b9cbb3", 0.9, texture="plaster", tile=(2.0, 2.0)),
    MaterialSpec("plaster-sand", "#e8d9bf", 0.9, texture="plaster", tile=(2.0, 2.0)),
    MaterialSpec("plaster-petrol", "#4f7f86", 0.9, texture="plaster", tile=(2.0, 2.0)),
    MaterialSpec("plaster-terracotta", "#dfae93", 0.9, texture="plaster", tile=(2.0, 2.0)),
    MaterialSpec("coping", "#8f8f8c", 0.8),
    # ceilings: acoustic tiles and luminous light panels (they glow by their emissive colour)
    # unlit (cheap to draw; its light is the texture times the baked occlusion)
    MaterialSpec("ceiling", "#cdc9c1", 0.95, texture="ceiling-tiles", tile=(1.2, 1.2), unlit=True),
    MaterialSpec("light-panel", "#fffaf0", 0.4, emissive="#fff6e4"),
    MaterialSpec("acoustic-green", "#5d8f63", 1.0, texture="felt-green", tile=(0.5, 0.5)),
    # glass and metal
    MaterialSpec("glass", "#cfe6ee", 0.05, opacity=0.28, double_sided=True),
    MaterialSpec("frame", "#555b61", 0.5, metallic=0.15),  # powder-coated: mostly paint
    MaterialSpec("steel", "#9aa1a8", 0.35, metallic=1.0),
    MaterialSpec("steel-dark", "#2e3236", 0.5, metallic=0.8),
    # wood and boards
    MaterialSpec("wood-light", "#d7b98f", 0.6),
    MaterialSpec("wood-oak", "#ffffff", 0.55, texture="oak", tile=(2.1, 0.72)),
    MaterialSpec("wood-dark", "#6e4b33", 0.6),
    MaterialSpec("laminate-white", "#f4f4f1", 0.4),
    MaterialSpec("laminate-grey", "#c9ccce", 0.45),
    MaterialSpec("cork", "#c8a36b", 0.95),
    MaterialSpec("whiteboard", "#fbfbf8", 0.2),
    # fabrics
    MaterialSpec("fabric-green", "#ffffff", 1.0, texture="felt-green", tile=(0.6, 0.6)),
    MaterialSpec("fabric-grey", "#ffffff", 1.0, texture="felt-grey", tile=(0.6, 0.6)),
    MaterialSpec("fabric-ochre", "#ffffff", 1.0, texture="felt-ochre", tile=(0.6, 0.6)),
    MaterialSpec("fabric-petrol", "#3e6d75", 1.0),
    MaterialSpec("rug", "#c8b79a", 1.0),
    # plants and outdoors
    MaterialSpec("leaves", "#ffffff", 0.9, texture="leaves", tile=(0.8, 0.8)),
    MaterialSpec("leaves-dark", "#3f6f3a", 0.9),
    MaterialSpec("bark", "#5a4636", 0.95),
    MaterialSpec("soil", "#4a3a2c", 1.0),
    MaterialSpec("pot-terracotta", "#b8694a", 0.85),
    MaterialSpec("pot-anthracite", "#3d4246", 0.7),
    MaterialSpec("planter-corten", "#8a4b2a", 0.8, metallic=0.3),
    MaterialSpec("parasol", "#f4efe3", 0.9, double_sided=True),
    # accents
    MaterialSpec("brand-green", "#2f7d4f", 0.6),
    MaterialSpec("brand-yellow", "#f2b705", 0.6),
    MaterialSpec("accent-blue", "#3d6fa8", 0.6),
    MaterialSpec("rubber", "#2b2b2b", 0.9),
    MaterialSpec("solar-cell", "#1d2a44", 0.25, metallic=0.4),
    MaterialSpec("screen-bezel", "#1b1d20", 0.4),
    MaterialSpec("lamp", "#fff4d6", 0.5, emissive="#ffe9b8"),
    # special: unlit surfaces carrying images (signs, screens) and the hidden walkable floor
    MaterialSpec("signage", "#ffffff", 0.7, texture="signage", unlit=True),
    MaterialSpec("poster", "#ffffff", 0.7, texture="poster", unlit=True),
    MaterialSpec("pictures", "#ffffff", 0.6, texture="pictures"),
    MaterialSpec("walkable", "#ffffff", 1.0, opacity=0.0, unlit=True),
]

PALETTE: dict[str, MaterialSpec] = {m.name: m for m in _PALETTE}


def with_additions(additions: dict[str, MaterialSpec]) -> dict[str, MaterialSpec]:
    """The palette plus a site's own materials (which may also replace ours by name)."""
    palette = dict(PALETTE)
    palette.update(additions)
    return palette


#: the palette's names that take the site's colours (site.toml [branding]) unless the building
#: description defines them itself: primary (brand-green) and accent (brand-yellow)
BRAND_MATERIALS = {"brand-green": "primary", "brand-yellow": "accent"}


def with_site_colours(
    palette: dict[str, MaterialSpec], primary: str, accent: str
) -> dict[str, MaterialSpec]:
    """``palette`` with its brand materials in the site's primary and accent colours."""
    colours = {"primary": primary, "accent": accent}
    coloured = dict(palette)
    for name, role in BRAND_MATERIALS.items():
        if coloured.get(name) is PALETTE[name]:
            coloured[name] = replace(PALETTE[name], colour=colours[role])
    return coloured


def material_from_table(name: str, table: dict[str, object], where: str) -> MaterialSpec:
    """A site material from ``[materials.<name>]``: colour, roughness, metallic, opacity."""
    allowed = {"colour", "roughness", "metallic", "opacity"}
    unknown = set(table) - allowed
    if unknown:
        raise InputFileError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    spec = MaterialSpec(name)
    colour = table.get("colour", spec.colour)
    if not isinstance(colour, str):
        raise InputFileError(f'{where}: colour must be a text like "#aabbcc"')
    hex_to_linear(colour)
    numbers: dict[str, float] = {}
    for key in ("roughness", "metallic", "opacity"):
        if key in table:
            value = table[key]
            if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
                raise InputFileError(f"{where}: {key} must be a number from 0 to 1")
            numbers[key] = float(value)
    return replace(
        spec,
        colour=colour,
        roughness=numbers.get("roughness", spec.roughness),
        metallic=numbers.get("metallic", spec.metallic),
        opacity=numbers.get("opacity", spec.opacity),
        double_sided=numbers.get("opacity", 1.0) < 1.0,
    )
