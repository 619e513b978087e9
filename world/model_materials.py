"""The model's materials in glTF: PBR factors, textures made on first use, primitives.

Only materials some mesh uses end up in the file; each texture is written once, however
many materials share it (oak planks on floors and table tops).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from world import conventions as cv
from world.geometry import Mesh, merge, planar_uvs
from world.gltf_writer import GlbWriter, Primitive
from world.materials import MaterialSpec, hex_to_linear
from world.textures import texture_image


class ModelMaterials:
    """glTF materials and textures, created the first time a mesh asks for them."""

    def __init__(
        self, writer: GlbWriter, palette: dict[str, MaterialSpec], images: dict[str, bytes]
    ) -> None:
        self.writer = writer
        self.palette = palette
        self.images = images
        self.index: dict[str, int] = {}
        self.textures: dict[str, int] = {}
        self.repeat = writer.add_sampler(repeat=True)
        self.clamp = writer.add_sampler(repeat=False)

    def spec(self, name: str) -> MaterialSpec:
        return self.palette[name]

    def texture(self, name: str) -> int:
        if name not in self.textures:
            if name in self.images:
                data, mime, sampler = self.images[name], "image/png", self.clamp
            else:
                (data, mime), sampler = texture_image(name), self.repeat
            self.textures[name] = self.writer.add_png_texture(data, name, sampler, mime)
        return self.textures[name]

    def get(self, name: str) -> int:
        if name in self.index:
            return self.index[name]
        spec = self.palette[name]
        pbr: dict[str, Any] = {
            "baseColorFactor": spec.rgba(),
            "metallicFactor": spec.metallic,
            "roughnessFactor": spec.roughness,
        }
        if spec.texture:
            pbr["baseColorTexture"] = {"index": self.texture(spec.texture)}
        material: dict[str, Any] = {"name": name, "pbrMetallicRoughness": pbr}
        if spec.opacity < 1.0:
            material["alphaMode"] = "BLEND"
        if spec.double_sided:
            material["doubleSided"] = True
        if spec.emissive:
            material["emissiveFactor"] = hex_to_linear(spec.emissive)
        if spec.unlit:
            material["extensions"] = {cv.UNLIT_EXT: {}}
        self.index[name] = self.writer.add_material(material)
        return self.index[name]


def primitive(
    materials: ModelMaterials,
    name: str,
    meshes: list[Mesh] | Mesh,
    shade: npt.NDArray[np.float64] | None = None,
) -> Primitive:
    """One primitive of material ``name``; ``shade``: its baked light per vertex (COLOR_0)."""
    mesh = merge(meshes) if isinstance(meshes, list) else meshes
    spec = materials.spec(name)
    uvs = None
    if spec.texture:
        uvs = mesh.uvs if mesh.uvs is not None else planar_uvs(mesh, spec.tile)
    return Primitive(mesh.positions, mesh.normals, mesh.triangles, materials.get(name), uvs, shade)


# Unlit surfaces that show an image as it is: signs, the screens' poster, the hidden floor.
SHOWN_AS_IS = frozenset({"signage", "poster", "walkable"})


def receives_baked_light(spec: MaterialSpec) -> bool:
    """Opaque surfaces carry baked light; glass, signs, screens and lamps do not (an unlit
    ceiling does: the baked occlusion is all the shading it gets)."""
    return spec.opacity >= 1.0 and spec.emissive is None and spec.name not in SHOWN_AS_IS


def blocks_light(spec: MaterialSpec) -> bool:
    return spec.opacity >= 1.0
