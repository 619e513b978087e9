"""Every feature's part of the protocol, in the order docs/protocol.md lists them, and their
registration with the one table before the hub decodes its first frame.

The protocol package imports no feature: each feature (and the workshop layer) declares its
messages and error codes in a module of its own, and this composition root names them all.
The hub core registers the features it is given as well, so a hub built with fewer (a test's)
decodes theirs.
"""

from __future__ import annotations

from typing import Final

from server.features.board.board_plan_messages import BOARD_PLAN_MESSAGES
from server.features.board.messages import BOARD_MESSAGES
from server.features.board.plan_messages import PLAN_MESSAGES
from server.features.consulting.messages import CONSULTING_MESSAGES
from server.features.people.messages import CONTACT_MESSAGES
from server.features.polls.messages import POLL_MESSAGES
from server.features.stations.messages import STATION_MESSAGES
from server.features.talks.messages import PLAYBACK_MESSAGES
from server.features.voice.messages import VOICE_MESSAGES
from server.features.voice.screen_messages import SHARE_MESSAGES
from server.features.world.messages import WORLD_MESSAGES
from server.protocol import table as protocol
from server.protocol.message_spec import FeatureMessages
from server.workshop.facilitation_messages import FACILITATION_MESSAGES
from server.workshop.moderation_messages import MODERATION_MESSAGES

FEATURE_MESSAGES: Final[tuple[FeatureMessages, ...]] = (
    STATION_MESSAGES,
    PLAYBACK_MESSAGES,
    FACILITATION_MESSAGES,
    MODERATION_MESSAGES,
    WORLD_MESSAGES,
    VOICE_MESSAGES,
    SHARE_MESSAGES,
    POLL_MESSAGES,
    BOARD_MESSAGES,
    PLAN_MESSAGES,
    BOARD_PLAN_MESSAGES,
    CONTACT_MESSAGES,
    CONSULTING_MESSAGES,
)


def register_features() -> None:
    """Make every feature's messages part of the protocol table (again: no change)."""
    for messages in FEATURE_MESSAGES:
        protocol.register(messages)
