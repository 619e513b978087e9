"""Checking a model file by its content before any converter or optimiser reads it.

The programs behind ``hubtwin assets import`` (trimesh, glTF-Transform, the Khronos
validator) each fail in their own words on a file that is not what its name says or that
was cut short, and some read a cut-short OBJ as a smaller model without a word.
``check_source`` reads the file once and refuses (``InputFileError``, exit code 3) with one
line that says what is wrong: an empty file, a renamed file of another kind, a GLB or STL
shorter than its header says, an OBJ that ends in the middle of a line or whose faces use
vertices it does not have, broken glTF JSON, data reaching past its buffer, and buffers or
images named outside the model's folder (world/model_uris.py). An OBJ cut exactly at a line
end is recognised by vertices no face uses (a cut that leaves whole faces using only
vertices already used cannot be told from a whole file).
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path

import numpy as np

from world.errors import InputFileError
from world.gltf_reader import GLB_MAGIC, GltfDocument, read_gltf

AGAIN = "copy or export it again"
RENAMED = "is it a file of another kind, renamed?"
STL_HEADER = 84  # 80 bytes of header text, then the triangle count
STL_TRIANGLE = 50  # normal, three corners (12 float32), two bytes of attributes
OBJ_ELEMENTS = {"f": 3, "l": 2, "p": 1}  # fewest vertex references per statement
OBJ_VECTORS = {"v": 3, "vn": 3, "vt": 1, "vp": 1}  # fewest numbers per statement


def _quote(text: str, limit: int = 40) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _is_text(data: bytes) -> bool:
    return b"\0" not in data


def check_source(path: Path) -> None:
    """Refuse ``path`` (one line, exit code 3) if it cannot be what its suffix says."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not data:
        raise InputFileError(f"{path}: the file is empty; {AGAIN}")
    suffix = path.suffix.lower()
    if suffix in (".glb", ".gltf"):
        _check_gltf(path, data, suffix)
    elif suffix == ".stl":
        _check_stl(path, data)
    elif suffix == ".obj":
        _check_obj(path, data)


def _check_gltf(path: Path, data: bytes, suffix: str) -> None:
    is_glb = data[:4] == GLB_MAGIC
    is_json = data.lstrip()[:1] == b"{"
    if suffix == ".glb" and not is_glb:
        if is_json:
            raise InputFileError(f"{path}: holds glTF JSON, not a GLB; rename it to .gltf")
        raise InputFileError(f"{path}: not a GLB model: it does not begin with 'glTF' ({RENAMED})")
    if suffix == ".gltf" and not is_json:
        if is_glb:
            raise InputFileError(f"{path}: holds a GLB (binary) model; rename it to .glb")
        raise InputFileError(f"{path}: not a glTF model: it is not glTF JSON ({RENAMED})")
    doc = read_gltf(data, str(path), path.parent)
    _check_data_in_buffers(doc)


def _check_data_in_buffers(doc: GltfDocument) -> None:
    """Every buffer view inside its buffer, every accessor inside its view."""
    for index, view in enumerate(doc.entries("bufferViews")):
        if not isinstance(view, dict):
            raise doc.fail(f"bufferView {index} is not an object")
        numbers = [view.get("buffer"), view.get("byteOffset", 0), view.get("byteLength")]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in numbers):
            raise doc.fail(f"bufferView {index} has an invalid buffer, offset or length")
        buffer, offset, length = (int(v) for v in numbers)
        if buffer >= len(doc.buffers):
            raise doc.fail(f"bufferView {index} points at a missing buffer")
        if offset + length > len(doc.buffers[buffer]):
            raise doc.fail(
                f"bufferView {index} reaches past the end of buffer {buffer} "
                f"({offset + length:,} of {len(doc.buffers[buffer]):,} bytes): cut short? {AGAIN}"
            )
    for index, accessor in enumerate(doc.entries("accessors")):
        if isinstance(accessor, dict) and "sparse" not in accessor:
            doc.accessor(index)


def _check_stl(path: Path, data: bytes) -> None:
    head = data[:1024].lstrip().lower()
    if head.startswith(b"solid") and _is_text(data) and b"facet" in data:
        _check_stl_text(path, data.decode("latin-1"))
        return
    if _is_text(data):
        raise InputFileError(
            f"{path}: not an STL model: text that does not begin with 'solid' ({RENAMED})"
        )
    if len(data) < STL_HEADER:
        raise InputFileError(
            f"{path}: not an STL model: {len(data)} bytes is shorter than a header"
        )
    (count,) = struct.unpack_from("<I", data, 80)
    expected = STL_HEADER + STL_TRIANGLE * count
    if count == 0:
        raise InputFileError(f"{path}: no triangles in the file")
    if len(data) < expected:
        whole = (len(data) - STL_HEADER) // STL_TRIANGLE
        raise InputFileError(
            f"{path}: cut short: its header says {count:,} triangles ({expected:,} bytes), the "
            f"file has {len(data):,} bytes, {whole:,} whole triangles; {AGAIN}"
        )
    if len(data) > expected:
        raise InputFileError(
            f"{path}: not a readable STL model: its header says {count:,} triangles "
            f"({expected:,} bytes), the file has {len(data):,} bytes; {AGAIN}"
        )


def _check_stl_text(path: Path, text: str) -> None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines[-1].lower().startswith("endsolid"):
        raise InputFileError(
            f"{path}: cut short: the text STL ends without 'endsolid' (last line "
            f"{_quote(lines[-1])}); {AGAIN}"
        )
    facets = corners = 0
    for number, line in enumerate(lines, 1):
        words = line.split()
        key = words[0].lower()
        if key == "facet":
            facets += 1
        elif key == "vertex":
            corners += 1
            try:
                ok = len(words) == 4 and all(math.isfinite(float(w)) for w in words[1:])
            except ValueError:
                ok = False
            if not ok:
                raise InputFileError(f"{path}: line {number} is not a corner: {_quote(line)}")
    if facets == 0:
        raise InputFileError(f"{path}: no triangles in the file")
    if corners != 3 * facets:
        raise InputFileError(
            f"{path}: broken text STL: {facets:,} facets with {corners:,} corners (3 each); {AGAIN}"
        )


_INTEGER = re.compile(r"^-?\d+$")
_KEYWORD = re.compile(r"^[a-z_][a-z0-9_]*$")


class _ObjScan:
    """What an OBJ file holds, line by line: its vectors and the vertices its elements use."""

    def __init__(self) -> None:
        self.vectors = dict.fromkeys(OBJ_VECTORS, 0)
        self.highest = dict.fromkeys(("v", "vt", "vn"), (0, 0))  # kind -> (number, line)
        self.used: list[int] = []  # the vertex numbers (1-based) elements use
        self.elements = 0
        self.faces = 0
        self.foreign: tuple[int, str] | None = None  # the first line that is no statement

    def line(self, number: int, line: str) -> str | None:
        """Take one line; the problem with it, if any."""
        words = line.split("#", 1)[0].split()
        if not words:
            return None
        key = words[0]
        if key in OBJ_VECTORS:
            try:
                ok = len(words) > OBJ_VECTORS[key] and all(
                    math.isfinite(float(v)) for v in words[1:]
                )
            except ValueError:
                ok = False
            if not ok:
                return f"line {number} is not a {key} statement: {_quote(line)}"
            self.vectors[key] += 1
        elif key in OBJ_ELEMENTS:
            if len(words) <= OBJ_ELEMENTS[key]:
                fewest = OBJ_ELEMENTS[key]
                return f"line {number}: {key} needs at least {fewest} vertices: {_quote(line)}"
            for word in words[1:]:
                problem = self._reference(word, number)
                if problem:
                    return problem
            self.elements += 1
            self.faces += key == "f"
        elif self.foreign is None and not _KEYWORD.match(key):
            self.foreign = (number, line)
        return None

    def _reference(self, word: str, line: int) -> str | None:
        parts = word.split("/")
        if len(parts) > 3 or not parts[0]:
            return f"line {line}: {_quote(word)} is not a vertex reference"
        for part, kind in zip(parts, ("v", "vt", "vn"), strict=False):
            if not part:
                continue
            if not (part.isdigit() or _INTEGER.match(part)) or int(part) == 0:
                return f"line {line}: {_quote(word)} is not a vertex reference"
            number = int(part)
            if number < 0:  # counted back from the latest vector of its kind
                number += self.vectors[kind] + 1
                if number < 1:
                    return f"line {line}: {_quote(word)} refers to a {kind} before the first"
            if number > self.highest[kind][0]:
                self.highest[kind] = (number, line)
            if kind == "v":
                self.used.append(number)
        return None

    def missing(self) -> tuple[int, str] | None:
        """(line, problem) of the highest reference to a vector the file does not have."""
        for kind, (number, line) in self.highest.items():
            if number > self.vectors[kind]:
                have = self.vectors[kind]
                return line, f"line {line}: a face uses {kind} {number}, the file has only {have:,}"
        return None


def _check_obj(path: Path, data: bytes) -> None:
    if not _is_text(data):
        raise InputFileError(f"{path}: not an OBJ model: it is not text ({RENAMED})")
    text = data.decode("utf-8", "replace")
    lines = text.splitlines()
    ends_cleanly = text.endswith(("\n", "\r"))
    last = max((i + 1 for i, line in enumerate(lines) if line.split("#", 1)[0].strip()), default=0)

    def refuse(line: int, problem: str) -> InputFileError:
        if line == last and not ends_cleanly:
            return InputFileError(
                f"{path}: cut short: the file ends in the middle of line {line} "
                f"({_quote(lines[line - 1])}); {AGAIN}"
            )
        return InputFileError(f"{path}: broken OBJ: {problem}; {AGAIN}")

    scan = _ObjScan()
    for number, line in enumerate(lines, 1):
        problem = scan.line(number, line)
        if problem:
            raise refuse(number, problem)
    missing = scan.missing()
    if missing:
        raise refuse(*missing)
    vertices = scan.vectors["v"]
    if vertices == 0 and scan.elements == 0 and scan.foreign is not None:
        number, line = scan.foreign
        raise InputFileError(
            f"{path}: not an OBJ model: line {number} reads {_quote(line)} ({RENAMED})"
        )
    if scan.faces == 0:
        raise InputFileError(f"{path}: no triangles in the file (no faces)")
    unused = vertices - len(np.unique(np.asarray(scan.used, dtype=np.int64)))
    if unused:
        raise InputFileError(
            f"{path}: {unused:,} of its {vertices:,} vertices belong to no face: the file looks "
            f"cut short; {AGAIN} (loose vertices on purpose? delete them in the modelling "
            "program, e.g. Blender: Mesh > Clean Up > Delete Loose)"
        )
