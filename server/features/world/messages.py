"""Live world updates, as part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

When a new world version becomes current (published by staff in the browser's edit mode or
with ``hubtwin world publish`` / ``rollback``), the server swaps it in without a restart and
tells everyone with ``world_changed``; a client whose model has another digest loads the new
one and keeps its place. Someone standing where the new version has a wall or furniture is
moved first (``pose_fix`` with reason ``world``). Editing itself goes over the staff-only
REST API (``server/features/world/edit_http.py``), so there are no client messages here.
"""

from __future__ import annotations

from typing import Final

from server.protocol.message_spec import FeatureMessages, MessageSpec, int_field, str_field

WORLD_MESSAGES: Final = FeatureMessages(
    feature="world",
    server=(
        MessageSpec(
            "world_changed",
            "server",
            "A new world version is live: if digest differs from the model you loaded, load"
            " url again (keep your place; the server has already moved anyone now standing"
            " in a wall). Also sent on joining when the world changed since this process"
            " started.",
            (
                int_field("version", "the published world version", hi=1_000_000),
                str_field("digest", "sha256 of the new model (as in /api/config)", max_len=64),
                str_field("url", "where to load it", max_len=200),
                int_field("bytes", "its size", hi=2_000_000_000),
                str_field("message", "what changed, as staff wrote it", max_len=500),
            ),
        ),
    ),
)
