"""Proposed breakout groups by profile over REST (an ``HttpFeature``).

    GET /api/workshops/{id}/grouping?by=industry|topic&groups=N&lang=de|en
        the workshop's facilitators, while it runs in this process: the participants in its
        main room with the profile each chose to show (null: none), and groups of them by
        industry or by topic (at most N groups, default 4; ``server/workshop/grouping.py``)

The facilitator starts the groups with ``breakout`` (chosen groups): the server checks them
then as any other, and whoever came in since is spread over them.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from server.domain.breakouts import MAX_GROUPS
from server.domain.profiles import stored_profile
from server.store.backend import StoreBackend
from server.web.http import ApiError, HttpFeature, bearer_identity, json_response
from server.workshop.facilitation import Facilitation
from server.workshop.grouping import BY, Participant, by_industry, by_topic

DEFAULT_GROUPS = 4


def grouping_routes(
    lead: Facilitation, store: StoreBackend, topics: Mapping[str, Mapping[str, str]]
) -> HttpFeature:
    async def proposal(request: web.Request) -> web.Response:
        identity = bearer_identity(request)
        live = lead.lives.get(request.match_info["id"])
        if live is None:
            raise ApiError(404, "workshop_not_live", "this workshop is not running here")
        if not live.workshop.led_by(identity):
            raise ApiError(403, "forbidden", "only this workshop's facilitators may do this")
        by = request.query.get("by", "industry")
        if by not in BY:
            raise ApiError(400, "bad_request", "by: industry or topic")
        try:
            most = int(request.query.get("groups", DEFAULT_GROUPS))
        except ValueError:
            raise ApiError(400, "bad_request", "groups: a whole number") from None
        if not 2 <= most <= MAX_GROUPS:
            raise ApiError(400, "bad_request", f"groups: 2 to {MAX_GROUPS}")
        lang = request.query.get("lang", "de")
        members = [m for m in live.home.members.values() if not live.workshop.led_by(m.identity)]
        kept = await store.profiles_of(sorted({m.identity.id for m in members}))
        people = []
        for member in members:
            profile = (
                stored_profile(kept[member.identity.id]) if member.identity.id in kept else None
            )
            shown = profile if profile is not None and profile.visible else None
            people.append(Participant(member.id, member.identity.name, shown))
        people.sort(key=lambda p: (p.name.casefold(), p.session))

        def topic_name(topic: str) -> str:
            names = topics.get(topic, {})
            return names.get(lang) or names.get("de") or topic

        groups = (
            by_industry(people, most) if by == "industry" else by_topic(people, most, topic_name)
        )
        names = {p.session: p.name for p in people}
        return json_response(
            {
                "by": by,
                "participants": [
                    {
                        "session": p.session,
                        "name": p.name,
                        "profile": p.profile.public_view() if p.profile else None,
                    }
                    for p in people
                ],
                "groups": [
                    {
                        "label": g.label,
                        "sessions": list(g.sessions),
                        "names": [names[s] for s in g.sessions],
                    }
                    for g in groups
                ],
            },
            headers={"Cache-Control": "no-store"},
        )

    def add_routes(app: web.Application) -> None:
        app.router.add_get("/api/workshops/{id}/grouping", proposal)

    return add_routes
