"""The Khronos glTF-Validator run on our model, on a broken one, and when it is missing."""

from __future__ import annotations

import io
from pathlib import Path

import pygltflib
import pytest
from foreign_model import foreign_gltf
from PIL import Image

from server.app.cli import main
from world import khronos
from world.checks import check_model
from world.khronos import ValidatorUnavailable, validate_file


def test_the_hub_model_passes_with_no_errors_and_no_warnings(hub_path: Path) -> None:
    report = validate_file(hub_path)
    assert report.errors == 0 and report.warnings == 0, [str(m) for m in report.messages]
    assert report.clean
    # only our venue extensions, which the validator does not know, are mentioned
    assert {m.code for m in report.messages} <= {"UNSUPPORTED_EXTENSION"}
    assert report.info["totalTriangleCount"] < 150_000
    assert report.validator_version


def test_a_broken_model_is_caught(tmp_path: Path) -> None:
    gltf, blob = foreign_gltf()
    gltf.accessors[0].min = None  # POSITION without bounds: an error for the validator
    gltf.accessors[0].max = None
    gltf.set_binary_blob(blob)
    path = tmp_path / "broken.glb"
    gltf.save_binary(str(path))
    report = validate_file(path)
    assert report.errors >= 1
    assert "MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS" in {m.code for m in report.messages}
    result = check_model(path)
    assert any(
        p.startswith("khronos error: MESH_PRIMITIVE_POSITION_ACCESSOR_WITHOUT_BOUNDS")
        for p in result.problems
    )


def test_a_non_power_of_two_texture_is_a_problem(tmp_path: Path) -> None:
    gltf, blob = foreign_gltf()
    png = io.BytesIO()
    Image.new("RGB", (100, 60), "#2f7d4f").save(png, format="PNG")
    offset = len(blob)
    blob += png.getvalue()
    gltf.bufferViews.append(
        pygltflib.BufferView(buffer=0, byteOffset=offset, byteLength=len(png.getvalue()))
    )
    gltf.buffers[0].byteLength = len(blob)
    gltf.images = [pygltflib.Image(bufferView=len(gltf.bufferViews) - 1, mimeType="image/png")]
    gltf.textures = [pygltflib.Texture(source=0)]
    gltf.materials = [
        pygltflib.Material(
            pbrMetallicRoughness=pygltflib.PbrMetallicRoughness(
                baseColorTexture=pygltflib.TextureInfo(index=0)
            )
        )
    ]
    gltf.meshes[0].primitives[0].material = 0
    gltf.set_binary_blob(blob)
    path = tmp_path / "npot.glb"
    gltf.save_binary(str(path))
    problems = check_model(path).problems
    assert any("100x60 is not a power of two" in p for p in problems)


def test_without_node_the_validator_says_so(
    hub_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(khronos.shutil, "which", lambda name: None)
    with pytest.raises(ValidatorUnavailable, match="node"):
        validate_file(hub_path)
    assert main(["world", "validate", str(hub_path)]) == 1
    assert capsys.readouterr().err.startswith("hubtwin: node (Node.js) not found")
