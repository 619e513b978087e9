"""``hubtwin assets import``: foreign models end up normalised, valid, optimised, budgeted."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import trimesh
from foreign_assets import (
    CABINET_SIZE_M,
    crate_obj_inches,
    dense_ball_stl,
    post_stl_mm,
    two_colour_glb,
)
from PIL import Image
from tools_site import write_site

from server.app.cli import main
from tools.asset_import import ImportOptions, ImportReport, import_asset, name_from_file
from tools.model_geometry import bounds, scene_parts
from tools.refusals import BudgetExceeded
from world.errors import InputFileError, UsageError
from world.gltf_reader import read_gltf_file
from world.khronos import validate_file
from world.library import get_asset, list_assets
from world.site import load_site


def _measure(model: Path) -> tuple[np.ndarray, np.ndarray]:
    doc, _ = read_gltf_file(model)
    return bounds(scene_parts(doc))


def test_foreign_cabinet_ends_normalised_valid_and_optimised(
    imported: tuple[Path, Path, ImportReport],
) -> None:
    site, source, report = imported
    asset = get_asset(load_site(site), "cabinet")
    assert {p.name for p in asset.folder.iterdir()} == {"model.glb", "meta.toml", "thumbnail.png"}
    # centimetres and Z up became metres and Y up: 120 wide, 80 tall, 50 deep
    assert asset.size == pytest.approx(CABINET_SIZE_M, abs=0.002)
    low, high = _measure(asset.model)
    assert low[1] == pytest.approx(0.0, abs=1e-3)  # standing on the floor
    assert (low[0] + high[0]) / 2 == pytest.approx(0.0, abs=1e-3)  # centred on the origin
    assert (low[2] + high[2]) / 2 == pytest.approx(0.0, abs=1e-3)
    assert high - low == pytest.approx(np.array(CABINET_SIZE_M), abs=0.002)

    khronos = validate_file(asset.model)
    assert khronos.errors == 0 and khronos.warnings == 0
    assert report.result.errors == 0

    doc, data = read_gltf_file(asset.model)
    used = set(doc.json["extensionsUsed"])
    assert {"KHR_mesh_quantization", "EXT_texture_webp", "OMI_link"} <= used
    assert doc.json["images"][0]["mimeType"] == "image/webp"
    assert asset.textures == ((256, 128),)  # 300 x 150 -> nearest powers of two
    assert "300x150 resized to 256x128" in " ".join(report.notes)
    assert len(data) < source.stat().st_size

    # the empty anchor node kept its extension and extras and sits on the middle of the top
    handle = next(i for i, n in enumerate(doc.json["nodes"]) if n.get("name") == "handle")
    node = doc.json["nodes"][handle]
    assert node["extensions"]["OMI_link"]["uri"] == "https://example.org/cabinet"
    assert node["extras"] == {"role": "handle"}
    matrix = dict(doc.scene_nodes())[handle]
    assert matrix[:3, 3] == pytest.approx([0.0, 0.8, 0.0], abs=2e-3)


def test_meta_and_thumbnail(imported: tuple[Path, Path, ImportReport]) -> None:
    site = imported[0]
    folder = site / "library" / "cabinet"
    meta = tomllib.loads((folder / "meta.toml").read_text(encoding="utf-8"))
    assert meta["units"] == "cm" and meta["up"] == "z" and meta["source"] == "cabinet.glb"
    assert meta["triangles"] == 12 and meta["materials"] == 1 and meta["solid"] is True
    assert meta["khronos"]["errors"] == 0
    assert meta["title"] == {"de": "Cabinet", "en": "Cabinet"}
    with Image.open(folder / "thumbnail.png") as thumb:
        assert thumb.size == (256, 256)
        pixels = np.asarray(thumb.convert("RGBA"))
    drawn = pixels[..., 3] > 0
    assert 0.15 < drawn.mean() < 0.9  # the cabinet fills a good part, not all, of the picture
    colours = pixels[drawn][:, :3].astype(int)
    assert (colours[:, 0] > colours[:, 2]).mean() > 0.9  # the oak texture's brown shows
    assert len(np.unique(colours // 8, axis=0)) > 5  # shaded, not one flat colour


@pytest.mark.parametrize(
    ("make", "options", "size"),
    [
        (crate_obj_inches, ImportOptions(units="in"), (0.6096, 0.9144, 0.4572)),
        (post_stl_mm, ImportOptions(units="mm"), (0.3, 0.9, 0.3)),  # STL: Z up by default
    ],
)
def test_obj_and_stl_in_other_units(
    tmp_path: Path, make: object, options: ImportOptions, size: tuple[float, float, float]
) -> None:
    site = load_site(write_site(tmp_path / "site"))
    source = make(tmp_path / ("model.obj" if make is crate_obj_inches else "model.stl"))  # type: ignore[operator]
    report = import_asset(site, source, options)
    assert report.asset.size == pytest.approx(size, abs=0.003)
    low, _ = _measure(report.asset.model)
    assert low[1] == pytest.approx(0.0, abs=1e-3)
    assert validate_file(report.asset.model).errors == 0
    doc, _ = read_gltf_file(report.asset.model)
    material = doc.json["materials"][0]["pbrMetallicRoughness"]
    assert material["metallicFactor"] == 0.0  # OBJ and STL know no metal


def test_gltf_with_its_files_beside_it(
    imported: tuple[Path, Path, ImportReport], tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    scene = trimesh.load(imported[1], force="scene")
    for name, data in scene.export(file_type="gltf").items():
        (folder / name).write_bytes(data)
    assert len(list(folder.glob("*.bin"))) > 1  # several buffers, as some exporters write
    site = load_site(write_site(tmp_path / "site"))
    report = import_asset(site, folder / "model.gltf", ImportOptions(units="cm", up="z"))
    assert report.asset.name == "model"
    assert report.asset.size == pytest.approx(CABINET_SIZE_M, abs=0.002)
    assert report.source_bytes > (folder / "model.gltf").stat().st_size
    assert validate_file(report.asset.model).errors == 0


def test_over_the_triangle_budget_is_refused_with_numbers_then_simplified(
    tmp_path: Path,
) -> None:
    site = load_site(write_site(tmp_path / "site"))
    ball = dense_ball_stl(tmp_path / "ball.stl")
    with pytest.raises(BudgetExceeded) as refused:
        import_asset(site, ball, ImportOptions(up="y"))
    message = str(refused.value)
    assert refused.value.exit_code == 5
    assert "triangles: 81,920 (budget 50,000)" in message and "--simplify 0.55" in message
    assert list_assets(site) == []
    assert not (site.path / "library").exists()  # no half-written folder either

    report = import_asset(site, ball, ImportOptions(up="y", simplify=0.5))
    assert report.stats.triangles <= 50_000
    assert report.asset.size == pytest.approx((1.0, 1.0, 1.0), abs=0.01)


def test_site_budgets_refuse_too_many_materials(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "site"))
    (site.path / "library").mkdir()
    (site.path / "library" / "budgets.toml").write_text("max_materials = 1\n", encoding="utf-8")
    with pytest.raises(BudgetExceeded, match=r"materials: 2 \(budget 1\); each is a draw call"):
        import_asset(site, two_colour_glb(tmp_path / "two.glb"), ImportOptions())


def test_unit_mistake_is_refused_with_the_right_unit_suggested(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "site"))
    post = post_stl_mm(tmp_path / "post.stl")
    with pytest.raises(BudgetExceeded) as refused:
        import_asset(site, post, ImportOptions(units="m"))
    assert "900.0 m long at 1 m per unit" in str(refused.value)
    assert "import with --units mm" in str(refused.value)


def test_bad_files_are_refused(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "site"))
    with pytest.raises(InputFileError, match="file not found"):
        import_asset(site, tmp_path / "missing.glb", ImportOptions())
    fbx = tmp_path / "chair.fbx"
    fbx.write_bytes(b"Kaydara FBX Binary")
    with pytest.raises(InputFileError, match=r"\.fbx is not a format the import takes"):
        import_asset(site, fbx, ImportOptions())
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF\x02\x00\x00\x00" + b"\x00" * 10)
    with pytest.raises(InputFileError):
        import_asset(site, broken, ImportOptions())
    with pytest.raises(UsageError, match="asset name"):
        import_asset(site, post_stl_mm(tmp_path / "p.stl"), ImportOptions(name="Bad Name"))


def test_name_from_file() -> None:
    assert name_from_file(Path("Sofa Grau (v2).OBJ")) == "sofa-grau-v2"
    assert name_from_file(Path("Schränkchen_groß.glb")) == "schraenkchen-gross"


def test_cli_import_list_show_remove(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path / "site")
    source = post_stl_mm(tmp_path / "Poller.stl")
    args = ["--site", str(site)]
    assert (
        main(
            [
                "assets",
                "import",
                str(source),
                "--units",
                "mm",
                "--title",
                "de=Poller",
                "--title",
                "en=Bollard",
                *args,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(f"imported poller into {site / 'library' / 'poller'}")
    assert "0.30 x 0.90 x 0.30 m" in out and "place it: hubtwin world place poller" in out
    assert main(["assets", "import", str(source), "--units", "mm", *args]) == 2
    assert "already in the library" in capsys.readouterr().err
    assert main(["assets", "list", *args]) == 0
    assert "poller  Poller" in capsys.readouterr().out
    assert main(["assets", "show", "poller", *args]) == 0
    assert "placed in the draft: nowhere" in capsys.readouterr().out
    assert main(["assets", "remove", "poller", *args]) == 0
    assert "changed: Standort / site tool-test-hub" in capsys.readouterr().err
    assert not (site / "library" / "poller").exists()
    assert main(["assets", "show", "poller", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no asset 'poller'" in err


def test_empty_library_says_how_to_fill_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = write_site(tmp_path / "site")
    assert main(["assets", "list", "--site", str(site)]) == 0
    assert "the library is empty" in capsys.readouterr().out
