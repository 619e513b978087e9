"""The asset import at its edges: advice to ``--simplify`` that works when followed, also
for flat-shaded models; normals computed (and said so) where a model has none."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import trimesh
from foreign_assets import flat_ball_glb, without_normals_glb
from tools_site import write_site

from tools.asset_budgets import Budgets, ModelStats, Simplified, check_budgets
from tools.asset_import import ImportOptions, import_asset
from tools.model_geometry import attribute
from tools.refusals import BudgetExceeded
from world.gltf_reader import read_gltf_file
from world.library import list_assets
from world.site import Site, load_site


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return load_site(write_site(tmp_path / "site"))


def _corners_and_normals(
    model: Path,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Every triangle's corners and their normals, (n, 3, 3) each, in scene space."""
    doc, _ = read_gltf_file(model)
    corners, normals = [], []
    for node_index, matrix in doc.scene_nodes():
        node = doc.entry("nodes", node_index)
        if "mesh" not in node:
            continue
        for prim in doc.entry("meshes", node["mesh"])["primitives"]:
            attributes = prim["attributes"]
            assert "NORMAL" in attributes, "a primitive without normals"
            positions = attribute(doc, attributes["POSITION"]) @ matrix[:3, :3].T + matrix[:3, 3]
            normal = attribute(doc, attributes["NORMAL"]) @ np.linalg.inv(matrix[:3, :3])
            normal /= np.linalg.norm(normal, axis=1, keepdims=True)
            tris = doc.accessor(prim["indices"]).astype(np.int64).reshape(-1, 3)
            corners.append(positions[tris])
            normals.append(normal[tris])
    return np.concatenate(corners), np.concatenate(normals)


def _face_normals(corners: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    return cross / np.linalg.norm(cross, axis=1, keepdims=True)


def test_the_simplify_advice_for_a_flat_shaded_ball_is_followed_and_works(
    site: Site, tmp_path: Path
) -> None:
    ball = flat_ball_glb(tmp_path / "ball.glb")  # 81,920 triangles, no vertex shared
    with pytest.raises(BudgetExceeded) as refused:
        import_asset(site, ball, ImportOptions())
    advice = re.search(r"--simplify (0\.\d+)", str(refused.value))
    assert advice is not None, refused.value
    share = float(advice.group(1))

    report = import_asset(site, ball, ImportOptions(simplify=share))  # as told
    assert report.stats.triangles <= 50_000
    assert report.stats.triangles == pytest.approx(81_920 * share, rel=0.05)
    assert f"simplified: 81,920 -> {report.stats.triangles:,} triangles" in " ".join(report.notes)
    assert report.asset.size == pytest.approx((1.0, 1.0, 1.0), abs=0.01)

    # far below the budget too, which the unwelded ball could not go before
    small = import_asset(site, ball, ImportOptions(name="small", simplify=0.08))
    assert small.stats.triangles <= 0.08 * 81_920 * 1.05
    corners, normals = _corners_and_normals(small.asset.model)
    middle = corners.mean(axis=1) - np.array([0.0, 0.5, 0.0])
    outward = middle / np.linalg.norm(middle, axis=1, keepdims=True)
    facing_out = np.einsum("nkj,nj->nk", normals, outward) > 0.9
    assert facing_out.mean() > 0.999  # normals point outwards (bar a sliver or two)
    assert {a.name for a in list_assets(site)} == {"ball", "small"}


def test_a_box_without_normals_gets_sharp_ones_and_a_note(site: Site, tmp_path: Path) -> None:
    box = without_normals_glb(tmp_path / "box.glb", trimesh.creation.box((1.0, 0.6, 0.4)))
    report = import_asset(site, box, ImportOptions())
    notes = " ".join(report.notes)
    assert "1 part(s) of the model had no normals" in notes and "computed" in notes
    corners, normals = _corners_and_normals(report.asset.model)
    faces = _face_normals(corners)
    # every corner's normal is its own face's: the edges stay sharp
    assert (np.einsum("nkj,nj->nk", normals, faces) > 0.99).all()
    assert report.result.errors == 0


def test_a_round_model_without_normals_gets_smooth_ones(site: Site, tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.5)
    model = without_normals_glb(tmp_path / "sphere.glb", sphere)
    report = import_asset(site, model, ImportOptions())
    assert "had no normals" in " ".join(report.notes)
    corners, normals = _corners_and_normals(report.asset.model)
    radial = corners - np.array([0.0, 0.5, 0.0])
    radial /= np.linalg.norm(radial, axis=2, keepdims=True)
    # a smooth sphere: each corner's normal points away from the middle, not along its face
    assert (np.einsum("nkj,nkj->nk", normals, radial) > 0.995).all()


def test_a_model_with_normals_gets_no_note(site: Site, tmp_path: Path) -> None:
    path = tmp_path / "box.glb"
    path.write_bytes(
        trimesh.Scene(trimesh.creation.box((1.0, 0.6, 0.4))).export(
            file_type="glb", include_normals=True
        )
    )
    assert not any("normals" in n for n in import_asset(site, path, ImportOptions()).notes)


STATS = {"materials": 1, "textures": [], "bytes": 1000, "size": (1.0, 1.0, 1.0)}


def test_advice_after_a_simplify_counts_from_the_original() -> None:
    stats = ModelStats(triangles=60_000, **STATS)  # type: ignore[arg-type]
    [problem] = check_budgets(stats, Budgets(), Simplified(0.55, 109_000))
    assert problem.message == (
        "triangles: 60,000 after --simplify 0.55 (of 109,000; budget 50,000); import with "
        "--simplify 0.41 or reduce it in the modelling program (Blender: Decimate modifier)"
    )
    [first] = check_budgets(ModelStats(triangles=109_000, **STATS), Budgets())  # type: ignore[arg-type]
    assert first.message.endswith("--simplify 0.41")


def test_advice_when_the_simplifier_stopped_early_does_not_send_back_to_it() -> None:
    stats = ModelStats(triangles=80_000, **STATS)  # type: ignore[arg-type]
    [problem] = check_budgets(stats, Budgets(), Simplified(0.5, 100_000))
    assert problem.message == (
        "triangles: 80,000 after --simplify 0.5 (of 100,000; budget 50,000); the simplifier "
        "stops where the shape would change visibly (it kept 80%): reduce it in the modelling "
        "program (Blender: Decimate modifier)"
    )


def test_an_stl_box_keeps_its_edges_sharp(site: Site, tmp_path: Path) -> None:
    path = tmp_path / "block.stl"
    trimesh.creation.box((0.8, 0.5, 0.6)).export(path)  # STL knows face normals only
    report = import_asset(site, path, ImportOptions(up="y"))
    assert "had no normals" in " ".join(report.notes)
    corners, normals = _corners_and_normals(report.asset.model)
    assert (np.einsum("nkj,nj->nk", normals, _face_normals(corners)) > 0.99).all()


def test_an_obj_keeps_the_normals_it_brings(site: Site, tmp_path: Path) -> None:
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=0.5)
    path = tmp_path / "ball.obj"
    path.write_text(sphere.export(file_type="obj", include_normals=True), encoding="utf-8")
    assert "\nvn " in path.read_text(encoding="utf-8")
    report = import_asset(site, path, ImportOptions())
    assert not any("normals" in n for n in report.notes)
