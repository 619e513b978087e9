"""Which files a glTF model may name: the one rule every reader of a model keeps.

A ``.gltf`` (or a GLB) names its buffers and images by URI. The hub follows only ``data:``
URIs and relative paths that stay inside the model's folder, after percent-decoding
(``%2e%2e``) and after following symbolic links. A ``file:`` URI, a remote one (``http:``,
``https:``, ``//host``), an absolute path, or a path that leaves the folder is refused with
one line that names it, before anything is read.

    >>> local_file(Path("/models"), "textures/wood.png", "sofa.gltf", "image 0")
    PosixPath('/models/textures/wood.png')
"""

from __future__ import annotations

import os
import urllib.parse
from pathlib import Path
from typing import Any

from world.errors import InputFileError

ONLY_BESIDE = "the hub reads only files in the model's own folder (or data: URIs)"


class ForeignFileError(InputFileError):
    """A model names a file outside its folder, a ``file:`` URI or a remote one."""


def _shown(uri: str) -> str:
    return repr(uri if len(uri) <= 80 else f"{uri[:40]}...{uri[-37:]}")


def is_data_uri(uri: str) -> bool:
    return uri[:5].lower() == "data:"


def relative_path(uri: str, source: str, what: str) -> str:
    """The decoded relative path of ``uri``; refuses schemes, hosts and absolute paths."""
    refused = f"{source}: {what} names {_shown(uri)}"
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme.lower() == "file":
        raise ForeignFileError(f"{refused}, a file: URI; {ONLY_BESIDE}")
    if len(scheme) == 1:  # a Windows drive: C:/Users/...
        raise ForeignFileError(f"{refused}, an absolute path; {ONLY_BESIDE}")
    if scheme or uri.startswith(("//", "\\\\")):
        raise ForeignFileError(
            f"{refused}, a file elsewhere on the network; {ONLY_BESIDE}: download it into "
            "the model's folder and name it by its file name"
        )
    decoded = urllib.parse.unquote(uri)
    if not decoded or "\0" in decoded:
        raise ForeignFileError(f"{refused}, which is not a file name")
    if decoded.startswith(("/", "\\")) or urllib.parse.urlsplit(decoded).scheme:
        raise ForeignFileError(f"{refused}, an absolute path; {ONLY_BESIDE}")
    return decoded


def local_file(base_dir: Path, uri: str, source: str, what: str) -> Path:
    """The file ``uri`` names inside ``base_dir`` (links followed), or ``ForeignFileError``."""
    decoded = relative_path(uri, source, what)
    folder = base_dir.resolve()
    target = (folder / decoded).resolve()
    if not target.is_relative_to(folder):
        lexical = Path(os.path.normpath(folder / decoded))
        where = (
            "outside the model's folder"
            if not lexical.is_relative_to(folder)
            else "a link to a file outside the model's folder"
        )
        raise ForeignFileError(f"{source}: {what} names {_shown(uri)}, {where}; {ONLY_BESIDE}")
    return target


def named_files(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, uri) of every buffer and image of ``document`` that names a file by URI."""
    out = []
    for key, what in (("buffers", "buffer"), ("images", "image")):
        entries = document.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            uri = entry.get("uri") if isinstance(entry, dict) else None
            if isinstance(uri, str) and not is_data_uri(uri):
                out.append((f"{what} {index}", uri))
    return out


def check_named_files(document: dict[str, Any], base_dir: Path | None, source: str) -> None:
    """Refuse ``document`` if any buffer or image URI breaks the rule (checked, not read)."""
    for what, uri in named_files(document):
        if base_dir is None:
            relative_path(uri, source, what)
        else:
            local_file(base_dir, uri, source, what)
