"""Reading a glTF 2.0 model (GLB or JSON ``.gltf``): its document, buffers, accessors, nodes.

Only what the world loader needs, with errors a person can act on: a truncated file says
how long it should have been, a broken chunk says which; a buffer or image that names a file
outside the model's folder (or a remote one) is refused before anything is read
(world/model_uris.py). Transforms are resolved to world matrices for the nodes of the
default scene.
"""

from __future__ import annotations

import base64
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import numpy.typing as npt
import orjson

from world.errors import InputFileError
from world.model_uris import check_named_files, local_file

GLB_MAGIC = b"glTF"
CHUNK_JSON = 0x4E4F534A
CHUNK_BIN = 0x004E4942
COMPONENTS = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


class ModelFileError(InputFileError):
    """A model file that is missing, cut short, or not a glTF model the hub can use."""


@dataclass
class GltfDocument:
    """A parsed model: its JSON and its buffers' bytes."""

    source: str  # the file name (or "<bytes>") used in messages
    json: dict[str, Any]
    buffers: list[bytes]

    def fail(self, what: str) -> ModelFileError:
        return ModelFileError(f"{self.source}: {what}")

    def entries(self, key: str) -> list[Any]:
        value = self.json.get(key, [])
        if not isinstance(value, list):
            raise self.fail(f"'{key}' is not a list")
        return value

    def entry(self, key: str, index: Any) -> dict[str, Any]:
        """``json[key][index]``, which must exist and be an object."""
        items = self.entries(key)
        if not _is_index(index) or not 0 <= index < len(items):
            raise self.fail(f"{key}[{index!r}] does not exist")
        item = items[index]
        if not isinstance(item, dict):
            raise self.fail(f"{key}[{index}] is not an object")
        return item

    def accessor(self, index: Any) -> npt.NDArray[Any]:
        """The accessor's elements as an (count, width) array (read as stored, no copy games)."""
        acc = self.entry("accessors", index)
        if "sparse" in acc:
            raise self.fail(f"accessor {index} is sparse, which the world loader does not read")
        component, kind, count = acc.get("componentType"), acc.get("type"), acc.get("count")
        dtype = COMPONENTS.get(component) if _is_index(component) else None
        width = WIDTHS.get(kind) if isinstance(kind, str) else None
        if dtype is None or width is None or not _is_index(count) or count < 0:
            raise self.fail(f"accessor {index} has an invalid type or count")
        if "bufferView" not in acc:
            return np.zeros((count, width), dtype=dtype)
        view_index = acc["bufferView"]
        view = self.entry("bufferViews", view_index)
        buffer_index = view.get("buffer", 0)
        if not _is_index(buffer_index) or not 0 <= buffer_index < len(self.buffers):
            raise self.fail(f"bufferView {view_index} points at a missing buffer")
        data = self.buffers[buffer_index]
        item = np.dtype(dtype).itemsize * width
        numbers = {
            "bufferView.byteOffset": view.get("byteOffset", 0),
            "bufferView.byteLength": view.get("byteLength"),
            "bufferView.byteStride": view.get("byteStride", item) or item,
            "accessor.byteOffset": acc.get("byteOffset", 0),
        }
        for name, value in numbers.items():
            if not _is_index(value) or value < 0:
                raise self.fail(f"accessor {index}: {name} is not a whole number")
        view_start, length, stride, offset = numbers.values()
        start = view_start + offset
        needed = stride * (count - 1) + item if count else 0
        view_end = view_start + length
        if stride < item or start + needed > view_end or view_end > len(data):
            raise self.fail(
                f"accessor {index} reaches past the end of its buffer (file cut short?)"
            )
        if count == 0:
            return np.zeros((0, width), dtype=dtype)
        if stride == item:
            return np.frombuffer(data, dtype=dtype, count=count * width, offset=start).reshape(
                count, width
            )
        rows = np.lib.stride_tricks.as_strided(
            np.frombuffer(data, dtype=np.uint8, count=needed, offset=start),
            shape=(count, item),
            strides=(stride, 1),
        )
        return np.ascontiguousarray(rows).view(dtype).reshape(count, width)

    def scene_nodes(self) -> list[tuple[int, npt.NDArray[np.float64]]]:
        """(node index, 4x4 world matrix) for every node of the default scene, parents first."""
        scenes = self.entries("scenes")
        nodes = self.entries("nodes")
        if not scenes:
            # no scene: every node that is nobody's child is a root (the spec allows it)
            children = {
                c for n in nodes if isinstance(n, dict) for c in _index_list(n.get("children"))
            }
            roots = [i for i in range(len(nodes)) if i not in children]
        else:
            scene = self.entry("scenes", self.json.get("scene", 0))
            roots = scene.get("nodes", [])
            if not isinstance(roots, list):
                raise self.fail("the default scene's nodes are not a list")
        out: list[tuple[int, npt.NDArray[np.float64]]] = []
        stack = [(r, np.eye(4)) for r in reversed(roots)]
        seen: set[int] = set()
        while stack:
            index, parent = stack.pop()
            node = self.entry("nodes", index)
            if index in seen:
                raise self.fail(f"node {index} appears twice in the scene graph")
            seen.add(index)
            world = parent @ local_matrix(node, self, index)
            out.append((index, world))
            children = node.get("children", [])
            if not isinstance(children, list):
                raise self.fail(f"node {index}: children is not a list")
            for child in reversed(children):
                stack.append((child, world))
        return out


def _is_index(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _index_list(value: Any) -> list[int]:
    return [v for v in value if _is_index(v)] if isinstance(value, list) else []


def local_matrix(node: dict[str, Any], doc: GltfDocument, index: int) -> npt.NDArray[np.float64]:
    """A node's local transform (its ``matrix``, or translation * rotation * scale)."""
    try:
        if "matrix" in node:
            m = np.array(node["matrix"], dtype=np.float64)
            if m.shape != (16,) or not np.isfinite(m).all():
                raise ValueError
            return m.reshape(4, 4).T  # glTF stores column-major
        t = np.array(node.get("translation", [0, 0, 0]), dtype=np.float64)
        x, y, z, w = (float(v) for v in node.get("rotation", [0, 0, 0, 1]))
        s = np.array(node.get("scale", [1, 1, 1]), dtype=np.float64)
        if t.shape != (3,) or s.shape != (3,):
            raise ValueError
    except (TypeError, ValueError):
        raise doc.fail(f"node {index} has a malformed transform") from None
    if not (
        np.isfinite(t).all() and np.isfinite(s).all() and all(map(math.isfinite, (x, y, z, w)))
    ):
        raise doc.fail(f"node {index} has a transform that is not finite")
    norm = math.sqrt(x * x + y * y + z * z + w * w) or 1.0
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    rot = np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
    m = np.eye(4)
    m[:3, :3] = rot * s[None, :]
    m[:3, 3] = t
    return m


def _parse_glb(data: bytes, source: str) -> tuple[dict[str, Any], bytes | None]:
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != GLB_MAGIC:
        raise ModelFileError(f"{source}: not a glTF model (no glTF header)")
    if version != 2:
        raise ModelFileError(
            f"{source}: glTF container version {version}; only version 2 is supported"
        )
    if length > len(data):
        raise ModelFileError(
            f"{source}: truncated: the header says {length} bytes, the file has {len(data)}"
        )
    offset = 12
    json_doc: dict[str, Any] | None = None
    binary: bytes | None = None
    while offset < length:
        if offset + 8 > length:
            raise ModelFileError(f"{source}: truncated chunk header at byte {offset}")
        chunk_len, chunk_type = struct.unpack_from("<II", data, offset)
        start, end = offset + 8, offset + 8 + chunk_len
        if end > length:
            raise ModelFileError(
                f"{source}: truncated: a chunk needs {chunk_len} bytes at byte {start}, "
                f"the file ends at {length}"
            )
        if chunk_type == CHUNK_JSON and json_doc is None:
            json_doc = _parse_json(data[start:end], source)
        elif chunk_type == CHUNK_BIN and binary is None:
            binary = data[start:end]
        offset = end + (-chunk_len % 4)
    if json_doc is None:
        raise ModelFileError(f"{source}: the GLB file has no JSON chunk")
    return json_doc, binary


def _parse_json(raw: bytes, source: str) -> dict[str, Any]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ModelFileError(f"{source}: the glTF JSON is broken ({exc})") from None
    if not isinstance(doc, dict):
        raise ModelFileError(f"{source}: the glTF JSON is not an object")
    return doc


def read_gltf(data: bytes, source: str = "<bytes>", base_dir: Path | None = None) -> GltfDocument:
    """Parse GLB or glTF-JSON bytes; external buffers are read relative to ``base_dir``."""
    if len(data) == 0:
        raise ModelFileError(f"{source}: the file is empty")
    binary: bytes | None = None
    if data[:4] == GLB_MAGIC:
        if len(data) < 12:
            raise ModelFileError(f"{source}: truncated: {len(data)} bytes is not even a GLB header")
        doc, binary = _parse_glb(data, source)
    elif data.lstrip()[:1] == b"{":
        doc = _parse_json(data, source)
    else:
        raise ModelFileError(f"{source}: not a glTF model (neither GLB nor glTF JSON)")
    asset = doc.get("asset")
    if not isinstance(asset, dict) or not str(asset.get("version", "")).startswith("2."):
        raise ModelFileError(
            f"{source}: not a glTF 2.0 model (asset.version is missing or not 2.x)"
        )
    check_named_files(doc, base_dir, source)
    buffers: list[bytes] = []
    raw_buffers = doc.get("buffers", [])
    if not isinstance(raw_buffers, list):
        raise ModelFileError(f"{source}: 'buffers' is not a list")
    for i, buf in enumerate(raw_buffers):
        if not isinstance(buf, dict):
            raise ModelFileError(f"{source}: buffer {i} is not an object")
        uri = buf.get("uri")
        if uri is None:
            if binary is None or i != 0:
                raise ModelFileError(
                    f"{source}: buffer {i} has no data (no uri and no GLB binary chunk)"
                )
            buffers.append(binary)
        elif isinstance(uri, str) and uri.startswith("data:"):
            try:
                buffers.append(base64.b64decode(uri.split(",", 1)[1], validate=True))
            except (IndexError, ValueError):
                raise ModelFileError(f"{source}: buffer {i} has a broken data: URI") from None
        elif isinstance(uri, str):
            if base_dir is None:
                raise ModelFileError(
                    f"{source}: buffer {i} is the separate file {uri!r}; load the model by path"
                )
            target = local_file(base_dir, uri, source, f"buffer {i}")
            try:
                buffers.append(target.read_bytes())
            except OSError:
                raise ModelFileError(f"{source}: buffer {i}: cannot read {target}") from None
        else:
            raise ModelFileError(f"{source}: buffer {i} has an invalid uri")
        declared = buf.get("byteLength")
        if isinstance(declared, int) and len(buffers[-1]) < declared:
            raise ModelFileError(
                f"{source}: truncated: buffer {i} should hold {declared} bytes, "
                f"it has {len(buffers[-1])}"
            )
    return GltfDocument(source, doc, buffers)


def read_gltf_file(path: Path | str) -> tuple[GltfDocument, bytes]:
    """Read a model file; returns the document and the file's bytes (for its digest)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelFileError(f"{p}: model file not found") from None
    except IsADirectoryError:
        raise ModelFileError(f"{p}: is a folder, not a model file") from None
    except OSError as exc:
        raise ModelFileError(f"{p}: cannot read the model file ({exc.strerror})") from None
    return read_gltf(data, str(p), p.parent), data
