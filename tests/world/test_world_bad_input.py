"""Bad model files: one clear error naming the file and what is wrong, never a traceback."""

from __future__ import annotations

import base64
import copy
import json
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from foreign_model import foreign_gltf, glb_header, write_glb
from hypothesis import given, settings
from hypothesis import strategies as st

from server.app.cli import main
from world.errors import InputFileError
from world.model import load
from world.site import PROJECT_ROOT

HUBTWIN = PROJECT_ROOT / ".venv" / "bin" / "hubtwin"


def _embedded_foreign_json() -> str:
    """The foreign model as one glTF JSON text, its buffer inlined as a data: URI."""
    gltf, blob = foreign_gltf()
    gltf.buffers[0].uri = "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    return gltf.to_json()


def _glb(doc: dict, binary: bytes = b"") -> bytes:
    raw = json.dumps(doc).encode()
    raw += b" " * (-len(raw) % 4)
    chunks = struct.pack("<I4s", len(raw), b"JSON") + raw
    if binary:
        binary += b"\0" * (-len(binary) % 4)
        chunks += struct.pack("<I4s", len(binary), b"BIN\0") + binary
    return glb_header(12 + len(chunks)) + chunks


def _without(kind: str) -> Callable[[Path], Path]:
    """The foreign model with every node of one venue kind taken out."""

    def make(path: Path) -> Path:
        gltf, blob = foreign_gltf()
        for node in gltf.nodes:
            meta = (node.extras or {}).get("hubtwin", {})
            if meta.get("type") == kind or (
                kind == "spawn" and node.extensions and "OMI_spawn_point" in node.extensions
            ):
                node.extras, node.extensions = {}, {}
        gltf.set_binary_blob(blob)
        gltf.save_binary(str(path))
        return path

    return make


def _hub_variant(change: Callable[[bytes], bytes]) -> Callable[[Path, Path], Path]:
    def make(path: Path, hub_path: Path) -> Path:
        path.write_bytes(change(hub_path.read_bytes()))
        return path

    return make


CASES: list[tuple[str, Callable[[Path, Path], Path], str]] = [
    ("missing", lambda p, h: p, "model file not found"),
    ("folder", lambda p, h: (p.mkdir(), p)[1], "is a folder"),
    ("empty", lambda p, h: (p.write_bytes(b""), p)[1], "the file is empty"),
    ("cut in half", _hub_variant(lambda b: b[: len(b) // 2]), "truncated"),
    ("header only", _hub_variant(lambda b: b[:12]), "truncated"),
    ("cut inside the JSON", _hub_variant(lambda b: b[:200]), "truncated"),
    (
        "a PNG",
        lambda p, h: (p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100)), p)[1],
        "not a glTF model",
    ),
    (
        "text",
        lambda p, h: (p.write_text("hello, world", encoding="utf-8"), p)[1],
        "not a glTF model",
    ),
    (
        "glTF 1",
        lambda p, h: (p.write_bytes(_glb({"asset": {"version": "1.0"}})), p)[1],
        "not a glTF 2.0 model",
    ),
    (
        "GLB version 1",
        lambda p, h: (p.write_bytes(struct.pack("<4sII", b"glTF", 1, 20) + bytes(8)), p)[1],
        "version 1",
    ),
    (
        "broken JSON",
        lambda p, h: (p.write_text('{"asset": {"version": ', encoding="utf-8"), p)[1],
        "JSON is broken",
    ),
    (
        "plain glTF, no venue",
        lambda p, h: (
            p.write_bytes(
                _glb({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0})
            ),
            p,
        )[1],
        "no rooms",
    ),
    ("no walkable floor", lambda p, h: _without("walkable")(p), "no walkable floor"),
    ("no spawn points", lambda p, h: _without("spawn")(p), "no spawn points"),
    ("no rooms", lambda p, h: _without("room")(p), "no rooms"),
]


@pytest.mark.parametrize(("what", "make", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_files_give_one_clear_error(
    tmp_path: Path, hub_path: Path, what: str, make: Callable[[Path, Path], Path], message: str
) -> None:
    path = make(tmp_path / "model.glb", hub_path)
    with pytest.raises(InputFileError) as caught:
        load(path)
    text = str(caught.value)
    assert str(path) in text, "the error names the file"
    assert message in text
    assert "\n" not in text


def test_a_room_without_capacity_is_named(tmp_path: Path) -> None:
    gltf, blob = foreign_gltf()
    del gltf.nodes[1].extras["hubtwin"]["capacity"]
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(tmp_path / "m.glb"))
    with pytest.raises(InputFileError, match=r"room werk: capacity must be a whole number"):
        load(tmp_path / "m.glb")


def test_bad_bytes_are_named_as_bytes(hub_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"^<bytes>: truncated"):
        load(hub_path.read_bytes()[:1000])


def test_a_missing_bin_file_is_named(tmp_path: Path) -> None:
    gltf, _ = foreign_gltf()
    gltf.buffers[0].uri = "gone.bin"
    gltf.save_json(str(tmp_path / "m.gltf"))
    with pytest.raises(InputFileError, match=r"m\.gltf: buffer 0: cannot read .*gone\.bin"):
        load(tmp_path / "m.gltf")


@pytest.mark.parametrize("command", ["info", "validate"])
def test_the_command_line_gives_one_line_and_an_exit_code(
    tmp_path: Path, hub_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    bad = tmp_path / "half.glb"
    bad.write_bytes(hub_path.read_bytes()[:5000])
    assert main(["world", command, str(bad)]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hubtwin: ") and "truncated" in err[0]


def test_no_traceback_from_the_real_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(HUBTWIN), "world", "info", str(tmp_path / "nothing.glb")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.strip() == f"hubtwin: {tmp_path / 'nothing.glb'}: model file not found"
    assert "Traceback" not in result.stderr + result.stdout


def test_a_foreign_model_still_loads_after_all_that(tmp_path: Path) -> None:
    assert len(load(write_glb(tmp_path / "ok.glb")).rooms) == 2


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


_FOREIGN_JSON: dict = json.loads(_embedded_foreign_json())
_PATHS = _paths(_FOREIGN_JSON)
_JUNK = [None, "x", -1, 1e9, float("nan"), [], {}, [1, 2], {"a": 1}, True, 0, 2.5, "", [None]]


@settings(max_examples=150, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(_PATHS), st.sampled_from(_JUNK)), min_size=1, max_size=3
    )
)
def test_any_odd_value_in_a_model_gives_a_clear_error_or_a_world(
    changes: list[tuple[tuple, object]],
) -> None:
    doc = copy.deepcopy(_FOREIGN_JSON)
    for path, junk in changes:
        target = doc
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = copy.deepcopy(junk)
        except (KeyError, IndexError, TypeError):
            continue
    try:
        world = load(json.dumps(doc).encode())
    except InputFileError as exc:
        assert str(exc).startswith("<bytes>: ") and "\n" not in str(exc)
    else:
        world.clamp_step([[100.0, 0.0, 52.0]], [[106.0, 0.0, 52.0]])
        world.nearest_walkable([[0.0, 0.0, 0.0]])
