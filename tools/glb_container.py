"""A GLB file as its JSON document and one binary chunk, and back.

The import steps that work on a model's bytes in Python (textures, measurements) read a GLB
with ``unpack_glb`` and write it with ``pack_glb``; ``replace_views`` swaps the bytes of some
buffer views and lays the binary chunk out again.
"""

from __future__ import annotations

import struct
from typing import Any

import orjson

from world.gltf_reader import read_gltf


def unpack_glb(data: bytes, source: str) -> tuple[dict[str, Any], bytes]:
    """(JSON document, binary chunk) of a GLB with at most one buffer."""
    doc = read_gltf(data, source)
    if len(doc.buffers) > 1:
        raise doc.fail("expected one binary buffer")
    return doc.json, doc.buffers[0] if doc.buffers else b""


def pack_glb(document: dict[str, Any], blob: bytes) -> bytes:
    """A GLB of ``document`` with ``blob`` as its binary chunk (``buffers[0]`` set to match)."""
    blob = blob + b"\0" * (-len(blob) % 4)
    document = dict(document)
    if blob:
        document["buffers"] = [{"byteLength": len(blob)}]
    json_chunk = orjson.dumps(document)
    json_chunk += b" " * (-len(json_chunk) % 4)
    parts = [struct.pack("<I4s", len(json_chunk), b"JSON"), json_chunk]
    if blob:
        parts += [struct.pack("<I4s", len(blob), b"BIN\x00"), blob]
    body = b"".join(parts)
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def replace_views(
    document: dict[str, Any], blob: bytes, replaced: dict[int, bytes | None]
) -> tuple[dict[str, Any], bytes]:
    """New (document, blob): views in ``replaced`` get new bytes, or are dropped for None.

    References to buffer views (accessors, sparse accessors, images) follow the renumbering;
    nothing may still point at a dropped view.
    """
    document = dict(document)
    views: list[dict[str, Any]] = []
    renumber: dict[int, int] = {}
    out = bytearray()
    for index, view in enumerate(document.get("bufferViews", [])):
        start = view.get("byteOffset", 0)
        data = replaced.get(index, blob[start : start + view["byteLength"]])
        if data is None:
            continue
        view = dict(view)
        out.extend(b"\0" * (-len(out) % 4))
        view["byteOffset"] = len(out)
        view["byteLength"] = len(data)
        view["buffer"] = 0
        out.extend(data)
        renumber[index] = len(views)
        views.append(view)
    document["bufferViews"] = views
    accessors = []
    for accessor in document.get("accessors", []):
        accessor = dict(accessor)
        if "bufferView" in accessor:
            accessor["bufferView"] = renumber[accessor["bufferView"]]
        if "sparse" in accessor:
            sparse = {
                k: dict(v) if isinstance(v, dict) else v for k, v in accessor["sparse"].items()
            }
            for part in ("indices", "values"):
                sparse[part]["bufferView"] = renumber[sparse[part]["bufferView"]]
            accessor["sparse"] = sparse
        accessors.append(accessor)
    if accessors:
        document["accessors"] = accessors
    images = []
    for image in document.get("images", []):
        image = dict(image)
        if "bufferView" in image:
            image["bufferView"] = renumber[image["bufferView"]]
        images.append(image)
    if images:
        document["images"] = images
    return document, bytes(out)
