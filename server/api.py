"""What the tools (``tools/``) may use of the server: this module and nothing else of it.

The command-line tools that make talks and edit layouts read and write the same files the
hub serves, so they share the hub's readers of those files: TOML text as the hub writes it,
the site's settings, the talk files and their subtitles (WebVTT). Everything here is
re-exported from the package that owns it; the import contracts ("tools use the server only
through server.api", pyproject.toml) keep the tools from reaching past it.

The other direction is narrow too: only the composition root (``server/app/``, the command
line) and the world editor's routes (``server/features/world/``) run tools' code, the layout
edits and publishing the command line offers as well.
"""

from __future__ import annotations

from server.base.settings import Settings, load_settings
from server.base.toml_text import toml_document
from server.domain.talks import (
    FORMAT_VERSION,
    LANGUAGE,
    LANGUAGE_NAMES,
    SCRIPT_FILE,
    TALK_FILE,
    TALK_ID,
    Talk,
    TopicCatalog,
    fold,
    load_talk,
    load_topics,
    parse_date,
    talk_folders_root,
)
from server.domain.webvtt import Cue, VttError, parse_vtt, write_vtt

__all__ = [
    "FORMAT_VERSION",
    "LANGUAGE",
    "LANGUAGE_NAMES",
    "SCRIPT_FILE",
    "TALK_FILE",
    "TALK_ID",
    "Cue",
    "Settings",
    "Talk",
    "TopicCatalog",
    "VttError",
    "fold",
    "load_settings",
    "load_talk",
    "load_topics",
    "parse_date",
    "parse_vtt",
    "talk_folders_root",
    "toml_document",
    "write_vtt",
]
