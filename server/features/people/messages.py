"""Contact exchange in the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

The exchange itself goes over REST (``server/features/people/http.py``); the WebSocket only tells
the other side at once that something happened, so nobody has to keep the panel open to
learn that someone asked them: ``contact_request`` goes to every session of the person
asked (``asked``), and to the asker's when the answer comes (``accepted`` or
``declined``). It carries no contact details: the cards stay behind REST.
"""

from __future__ import annotations

from typing import Final

from server.protocol.message_spec import FeatureMessages, MessageSpec, str_field

STATES: Final = ("asked", "accepted", "declined")

CONTACT_REQUEST = MessageSpec(
    "contact_request",
    "server",
    "Something happened in a contact exchange of yours (the details: GET /api/contacts):"
    " someone asked you (asked), or the person you asked answered (accepted, declined).",
    (
        str_field("exchange", "exchange id (as in GET /api/contacts)"),
        str_field("state", "asked, accepted or declined", choices=STATES),
        str_field("name", "the other person's display name", max_len=80),
    ),
)

CONTACT_MESSAGES: Final = FeatureMessages(
    feature="contacts",
    client=(),
    server=(CONTACT_REQUEST,),
    errors={},
)
