"""The learning stations' part of the realtime protocol (registered in the one
protocol table, ``server/protocol/table.py``).

The server tells a visitor when they walk up to a station and when they walk away
(``server/features/stations/realtime.py`` decides, from the poses of the tick). Everything done at a
station (its content, the quiz, the experiment, the passport) goes over the REST API
(``server/features/stations/http.py``), so there are no client messages here.
"""

from __future__ import annotations

from typing import Final

from server.protocol.message_spec import FeatureMessages, MessageSpec, str_field

STATION_MESSAGES: Final = FeatureMessages(
    feature="stations",
    server=(
        MessageSpec(
            "station_near",
            "server",
            "You walked up to a learning station (within 2.5 m, same room): open it with"
            " GET /api/stations/{station} and POST /api/stations/{station}/open.",
            (
                str_field("station", "station id"),
                str_field("anchor", "the world anchor it stands at"),
            ),
        ),
        MessageSpec(
            "station_far",
            "server",
            "You walked away from the station (beyond 3 m), or left its room.",
            (str_field("station", "station id"),),
        ),
    ),
)
