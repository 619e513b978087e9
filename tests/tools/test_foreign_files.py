"""Files the asset import refuses: models naming files outside their folder, renamed, empty
and cut-short files.

Each goes through the real ``hubtwin`` command in a process of its own: the documented exit
code, exactly one readable line on stderr, and the site untouched (the library's asset of
the same name, imported with ``--replace``, and the draft that places it).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import trimesh
from foreign_assets import (
    README,
    cabinet_glb,
    crate_obj_inches,
    cut_short,
    glb_cut_inside,
    gltf_beside,
    gltf_embedded,
    gltf_naming,
    post_stl_mm,
    texture_png,
)
from tools_site import write_site

from tools.asset_import import ImportOptions, import_asset
from tools.layout_edits import LayoutEditor
from tools.source_check import check_source
from world.errors import InputFileError
from world.gltf_reader import read_gltf_file
from world.khronos import validate_file
from world.model_uris import ForeignFileError
from world.site import PROJECT_ROOT, load_site

BESIDE = "the hub reads only files in the model's own folder (or data: URIs)"


def _hubtwin(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server.app.cli", *args]
    return subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False, timeout=300
    )


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) with its digest."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def drafted(site: Path) -> Path:
    """The test site with the cabinet of its library placed in the draft."""
    LayoutEditor(load_site(site)).place("cabinet", "hall", (8.0, 3.0))
    assert "cabinet" in (site / "layout.toml").read_text(encoding="utf-8")
    return site


def _refused(site: Path, source: Path, exit_code: int = 3) -> str:
    """Import ``source`` over the library's cabinet; the one line it is refused with."""
    before = _tree(site)
    result = _hubtwin(
        "assets", "import", str(source), "--name", "cabinet", "--replace", "--quiet",
        "--site", str(site),
    )  # fmt: skip
    assert result.returncode == exit_code, result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("hubtwin: ") and result.stderr.count("\n") == 1
    assert result.stderr.endswith("\n") and "Traceback" not in result.stderr
    assert _tree(site) == before  # library and draft as they were, no leftovers
    return result.stderr.removeprefix("hubtwin: ").removesuffix("\n")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A .gltf with its .bin files beside it, and a folder ``elsewhere`` next to its folder
    holding copies of those files and a texture: following any URI to it would succeed."""
    root = tmp_path_factory.mktemp("exported")
    gltf = gltf_beside(cabinet_glb(root / "cabinet.glb"), root / "export")
    shutil.copytree(root / "export", root / "elsewhere")
    (root / "elsewhere" / "wood.png").write_bytes(texture_png(64, 64))
    return gltf


def _outside(exported: Path) -> Path:
    return exported.parent.parent / "elsewhere" / "gltf_buffer_0.bin"


URIS: dict[str, Callable[[Path], str]] = {
    "parent": lambda e: "../elsewhere/gltf_buffer_0.bin",
    "deep": lambda e: "../" * 12 + str(_outside(e)).lstrip("/"),
    "percent": lambda e: "%2e%2e/elsewhere/gltf_buffer_0.bin",
    "percent-slash": lambda e: "..%2Felsewhere%2Fgltf_buffer_0.bin",
    "absolute": lambda e: str(_outside(e)),
    "file": lambda e: _outside(e).as_uri(),
    "windows": lambda e: "C:/Users/anna/Export/gltf_buffer_0.bin",
    "http": lambda e: "http://127.0.0.1:9/gltf_buffer_0.bin",
    "https": lambda e: "https://example.org/gltf_buffer_0.bin",
    "host": lambda e: "//example.org/gltf_buffer_0.bin",
}
WHY = {
    "parent": "outside the model's folder",
    "deep": "outside the model's folder",
    "percent": "outside the model's folder",
    "percent-slash": "outside the model's folder",
    "absolute": "an absolute path",
    "file": "a file: URI",
    "windows": "an absolute path",
    "http": "a file elsewhere on the network",
    "https": "a file elsewhere on the network",
    "host": "a file elsewhere on the network",
}


@pytest.mark.parametrize("case", list(URIS))
def test_a_buffer_named_outside_the_folder_is_refused(
    drafted: Path, exported: Path, case: str
) -> None:
    uri = URIS[case](exported)
    model = gltf_naming(exported, exported.with_name(f"{case}.gltf"), buffer=uri)
    line = _refused(drafted, model)
    assert line.startswith(f"{model}: buffer 0 names '{uri[:30]}")
    assert f"', {WHY[case]}; {BESIDE}" in line
    with pytest.raises(ForeignFileError, match="buffer 0 names"):
        read_gltf_file(model)  # the world loader keeps the same rule


def test_the_exact_line_for_a_path_out_of_the_folder(drafted: Path, exported: Path) -> None:
    model = gltf_naming(exported, exported.with_name("etc.gltf"), buffer="../../../../etc/passwd")
    assert _refused(drafted, model) == (
        f"{model}: buffer 0 names '../../../../etc/passwd', outside the model's folder; "
        "the hub reads only files in the model's own folder (or data: URIs)"
    )


def test_links_out_of_the_folder_are_refused(drafted: Path, exported: Path) -> None:
    folder = exported.parent
    (folder / "link.bin").symlink_to(_outside(exported))
    (folder / "linked-folder").symlink_to(_outside(exported).parent, target_is_directory=True)
    for uri in ("link.bin", "linked-folder/gltf_buffer_0.bin"):
        model = gltf_naming(exported, folder / "linked.gltf", buffer=uri)
        line = _refused(drafted, model)
        assert line.startswith(
            f"{model}: buffer 0 names {uri!r}, a link to a file outside the model's folder"
        )


def test_an_image_named_outside_the_folder_is_refused(drafted: Path, exported: Path) -> None:
    model = gltf_naming(exported, exported.with_name("image.gltf"), image="../elsewhere/wood.png")
    line = _refused(drafted, model)
    assert line.startswith(f"{model}: image 0 names '../elsewhere/wood.png', outside")


def test_the_validator_reads_nothing_outside_the_folder(exported: Path) -> None:
    model = gltf_naming(
        exported, exported.with_name("validator.gltf"), buffer="../elsewhere/gltf_buffer_0.bin"
    )
    report = validate_file(model)
    assert report.errors >= 1
    assert any("outside the model's folder" in m.message for m in report.messages)


def test_world_validate_refuses_in_one_line(exported: Path) -> None:
    model = gltf_naming(exported, exported.with_name("world.gltf"), buffer="/etc/passwd")
    result = _hubtwin("world", "validate", str(model))
    assert result.returncode == 3 and result.stdout == ""
    assert (
        result.stderr
        == f"hubtwin: {model}: buffer 0 names '/etc/passwd', an absolute path; {BESIDE}\n"
    )


def test_files_beside_the_model_and_data_uris_are_read(tmp_path: Path, exported: Path) -> None:
    site = load_site(write_site(tmp_path / "site"))
    inside = exported.parent / "textures"
    inside.mkdir(exist_ok=True)
    shutil.copy(exported.parent / "gltf_buffer_0.bin", inside / "data 0.bin")
    model = gltf_naming(exported, exported.with_name("inside.gltf"), buffer="textures/data%200.bin")
    check_source(model)
    embedded = gltf_embedded(exported, tmp_path / "embedded.gltf")  # nothing beside it
    report = import_asset(site, embedded, ImportOptions(units="cm", up="z"))
    assert report.asset.triangles == 12


BadFile = Callable[[Path], Path]


def _readme(suffix: str) -> BadFile:
    def make(folder: Path) -> Path:
        path = folder / f"README{suffix}"
        path.write_text(README, encoding="utf-8")
        return path

    return make


def _empty(suffix: str) -> BadFile:
    def make(folder: Path) -> Path:
        path = folder / f"empty{suffix}"
        path.write_bytes(b"")
        return path

    return make


def _wrong_magic(folder: Path) -> Path:
    path = cabinet_glb(folder / "magic.glb")
    path.write_bytes(b"glTX" + path.read_bytes()[4:])
    return path


def _broken_json(folder: Path) -> Path:
    path = folder / "broken.gltf"
    path.write_text('{"asset": {"version": "2.0"}, "buffers": [{"byteLength": 4', encoding="utf-8")
    return path


def _glb_named_gltf(folder: Path) -> Path:
    path = cabinet_glb(folder / "binary.gltf")
    return path


def _text_stl_cut(folder: Path) -> Path:
    mesh = trimesh.creation.box((1.0, 1.0, 1.0))
    text = mesh.export(file_type="stl_ascii")
    path = folder / "box.stl"
    path.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    return path


def _faces_beyond(folder: Path) -> Path:
    path = folder / "faces.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nf 1 2 9\n", encoding="utf-8")
    return path


BAD_FILES: dict[str, tuple[BadFile, str]] = {
    "obj cut among its vertices": (
        lambda f: cut_short(crate_obj_inches(f / "crate.obj"), f / "cut.obj", 0.3),
        r"cut short: the file ends in the middle of line 4 \('v 0\.00000000 36\.0000'\); "
        "copy or export it again",
    ),
    "obj cut among its faces": (
        lambda f: cut_short(crate_obj_inches(f / "crate.obj"), f / "cut.obj", 0.8),
        r"cut short: the file ends in the middle of line \d+ \('f \d( \d)?'\); "
        "copy or export it again",
    ),
    "obj faces beyond its vertices": (
        _faces_beyond,
        "broken OBJ: line 5: a face uses v 9, the file has only 3; copy or export it again",
    ),
    "text renamed .glb": (
        _readme(".glb"),
        r"not a GLB model: it does not begin with 'glTF' "
        r"\(is it a file of another kind, renamed\?\)",
    ),
    "text renamed .gltf": (_readme(".gltf"), "not a glTF model: it is not glTF JSON .*"),
    "text renamed .obj": (
        _readme(".obj"),
        r"not an OBJ model: line 1 reads 'Sofa grau' \(is it a file of another kind, renamed\?\)",
    ),
    "text renamed .stl": (
        _readme(".stl"),
        "not an STL model: text that does not begin with 'solid' .*",
    ),
    "glb cut short": (
        lambda f: cut_short(cabinet_glb(f / "cabinet.glb"), f / "cut.glb", 0.5),
        r"truncated: the header says \d+ bytes, the file has \d+",
    ),
    "glb data cut inside": (
        lambda f: glb_cut_inside(cabinet_glb(f / "cabinet.glb"), f / "inside.glb"),
        r"(bufferView|accessor) \d+ reaches past the end .*",
    ),
    "empty .glb": (_empty(".glb"), "the file is empty; copy or export it again"),
    "empty .gltf": (_empty(".gltf"), "the file is empty; copy or export it again"),
    "empty .obj": (_empty(".obj"), "the file is empty; copy or export it again"),
    "empty .stl": (_empty(".stl"), "the file is empty; copy or export it again"),
    "glb with a wrong magic": (_wrong_magic, "not a GLB model: it does not begin with 'glTF' .*"),
    "gltf with broken json": (_broken_json, r"the glTF JSON is broken \(unexpected end of data.*"),
    "glb named .gltf": (_glb_named_gltf, r"holds a GLB \(binary\) model; rename it to \.glb"),
    "stl cut mid-triangle": (
        lambda f: cut_short(post_stl_mm(f / "post.stl"), f / "cut.stl", 0.5),
        r"cut short: its header says 96 triangles \(4,884 bytes\), the file has 2,442 bytes, "
        "47 whole triangles; copy or export it again",
    ),
    "text stl cut short": (
        _text_stl_cut,
        "cut short: the text STL ends without 'endsolid' .*; copy or export it again",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_broken_file_is_refused_in_one_line(drafted: Path, tmp_path: Path, case: str) -> None:
    make, expected = BAD_FILES[case]
    folder = tmp_path / "files"
    folder.mkdir()
    source = make(folder)
    line = _refused(drafted, source)
    assert line.startswith(f"{source}: "), line
    assert re.fullmatch(expected, line.removeprefix(f"{source}: ")), line


def test_a_refusal_in_json_names_the_exit_code(drafted: Path, tmp_path: Path) -> None:
    source = _faces_beyond(tmp_path)
    result = _hubtwin("assets", "import", str(source), "--site", str(drafted), "--json")
    assert result.returncode == 3
    answer = orjson.loads(result.stdout)
    assert answer["ok"] is False and answer["exit_code"] == 3
    assert answer["error"].endswith("a face uses v 9, the file has only 3; copy or export it again")


def test_an_obj_cut_at_a_line_end_is_refused_by_its_loose_vertices(tmp_path: Path) -> None:
    whole = crate_obj_inches(tmp_path / "crate.obj").read_text(encoding="utf-8")
    lines = whole.splitlines(keepends=True)
    faces = [i for i, line in enumerate(lines) if line.startswith("f ")]
    cut = tmp_path / "cut.obj"
    cut.write_text("".join(lines[: faces[2]]), encoding="utf-8")  # two whole faces
    with pytest.raises(InputFileError, match=r"cut\.obj: 4 of its 8 vertices belong to no face"):
        check_source(cut)
    check_source(tmp_path / "crate.obj")  # the whole file passes


def test_a_model_named_relative_to_another_folder_is_imported(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    work = tmp_path / "downloads"
    work.mkdir()
    cabinet_glb(work / "cabinet.glb")
    command = [sys.executable, "-m", "server.app.cli", "assets", "import", "cabinet.glb"]
    command += ["--units", "cm", "--up", "z", "--quiet", "--site", str(site)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert (site / "library" / "cabinet" / "model.glb").is_file()
    command = [sys.executable, "-m", "server.app.cli", "world", "validate", "cabinet.glb"]
    result = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert "Khronos validator: 0 errors" in result.stdout, result.stderr


def test_an_obj_reads_its_materials_only_from_its_folder(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "site"))
    folder, elsewhere = tmp_path / "export", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    red = "newmtl red\nKd 1 0 0\n"
    (elsewhere / "outside.mtl").write_text(red, encoding="utf-8")
    (folder / "red.mtl").write_text(red, encoding="utf-8")
    (folder / "link.mtl").symlink_to(elsewhere / "outside.mtl")
    body = crate_obj_inches(tmp_path / "crate.obj").read_text(encoding="utf-8")

    def colour(mtllib: str) -> list[float]:
        source = folder / "crate.obj"
        source.write_text(f"mtllib {mtllib}\nusemtl red\n{body}", encoding="utf-8")
        report = import_asset(site, source, ImportOptions(units="in", replace=True))
        doc, _ = read_gltf_file(report.asset.model)
        factor = doc.json["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"]
        return [round(v, 2) for v in factor[:3]]

    assert colour("red.mtl") == [1.0, 0.0, 0.0]  # beside it: read
    for outside in ("../elsewhere/outside.mtl", str(elsewhere / "outside.mtl"), "link.mtl"):
        assert colour(outside) != [1.0, 0.0, 0.0], outside
