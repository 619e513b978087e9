"""Teams and their action plans over HTTP: the service that reads and keeps team
documents, runs station calculators for measures, and answers the REST API.

The rules are ``server/domain/action_plans.py``; the exports
``server/features/board/plan_export.py``. Every route needs a session token; a team is seen only by
its members and by facilitators of a workshop it shares (anyone else gets ``404 team_unknown``, as
if there were none).

REST::

    GET    /api/teams                            my teams, the teams I am invited to, and
                                                 the teams of workshops I lead
    POST   /api/teams                            {"name", "firm"}: a new team, I lead it
    GET    /api/teams/{id}                       the team and its plan
    PATCH  /api/teams/{id}                       leads: {"name", "firm", "show_progress"}
    POST   /api/teams/{id}/invite                leads, facilitators: {"username"}
    POST   /api/teams/{id}/join                  {"link"} or on an invitation
    POST   /api/teams/{id}/leave                 a member leaves (the last one ends it)
    POST   /api/teams/{id}/link                  leads: a new link (the old one stops)
    POST   /api/teams/{id}/workshops             leads: {"workshop", "shared": bool}; a series'
                                                 session shares (or stops) with every
                                                 session of the series not ended yet
    POST   /api/teams/{id}/measures              a new measure (fields below)
    PATCH  /api/teams/{id}/measures/{m}          change a measure
    DELETE /api/teams/{id}/measures/{m}          remove a measure
    POST   /api/teams/{id}/measures/{m}/calculation
                                                 {"station", "inputs", "lang", "use"}:
                                                 the station's calculator runs; its result
                                                 with inputs and factors goes into the measure
    POST   /api/teams/{id}/measures/{m}/recompute
                                                 the kept inputs through the calculator as
                                                 the site declares it now
    GET    /api/teams/{id}/plan.csv?lang=de      the plan as CSV
    GET    /api/teams/{id}/plan.pdf?lang=de      the plan as PDF in the site's branding
                                                 (503 pdf_font_missing without DejaVu Sans)
    GET    /api/workshops/{id}/plans-progress    its facilitators: the teams sharing it that
                                                 agreed (PATCH {"show_progress": true}),
                                                 side by side: measures, done, savings
                                                 planned and done

Measure fields: title, area, owner (a member's id), due (YYYY-MM-DD), status, co2e_kg,
energy_kwh, money_eur (expected yearly savings), note, source_text (an estimate's origin).
A change that meets the team changing under every try is refused with 503 ``team_busy``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Protocol

from aiohttp import web

from server.base.identity import Identity, Role
from server.base.live_state import LiveStateChange
from server.base.ratelimit import KeyedLimiter
from server.core.effects import Effects
from server.core.powers import FeatureCore
from server.domain.action_plans import (
    LIVE_KIND,
    PlanRefused,
    Team,
    calculator_source,
    savings_from_figures,
)
from server.domain.workshops import Workshop
from server.features.board.plan_export import plan_csv, plan_pdf
from server.features.board.plans_realtime import BoardPlans, PlanRequest, apply_request
from server.features.board.team_realtime import TeamPlansFeature
from server.store.backend import LiveStateContended, StoreBackend
from server.web.downloads import download
from server.web.http import (
    CONTEXT,
    ApiError,
    HttpFeature,
    bearer_identity,
    json_response,
    read_json_object,
    refuse_too_many,
)
from server.workshop.service import WorkshopService
from world.fonts import FontMissing

log = logging.getLogger("hubtwin.plans")

#: teams one person may make
TEAMS_MADE_MAX: Final = 20
#: with several processes, how often watched teams are read again
REFRESH_S: Final = 0.5
#: changes per person (teams made, joined, left, measures changed, calculations)
CHANGES_PER_S: Final = 2.0
CHANGES_BURST: Final = 40
#: how often a change is tried again when the team gained a workshop between the check of
#: who may change it and the change (whether the person leads it must be read anew)
RECHECK_TRIES: Final = 3


class _Recheck(Exception):
    """The team shares a workshop it did not share when who asks was checked."""


def _busy() -> PlanRefused:
    return PlanRefused(
        503,
        "team_busy",
        "Das Team wird gerade oft geändert; bitte gleich noch einmal.",
        "The team is being changed a lot right now; please try again.",
    )


def _checked(
    change: Callable[[Team], Any],
    me: Identity,
    seen: Team,
    facilitated: list[str],
    answers: list[Any],
    *,
    lead: bool,
) -> Callable[[Team], Team]:
    """``change`` as made to the team kept in the store: who asks is checked against that
    team (the workshops it shares that they lead: ``facilitated``, found for the team as
    ``seen``; ``_Recheck`` when it shares one more since), the answer put in ``answers``."""

    def on_team(team: Team) -> Team:
        if not set(team.workshops) <= set(seen.workshops):
            raise _Recheck
        leads = [w for w in facilitated if w in team.workshops]
        if lead:
            team.check_lead(me.id, leads)
        else:
            team.check_sees(me.id, leads)
        answers[:] = [change(team)]
        return team

    return on_team


@dataclass(frozen=True)
class CalculatorRun:
    """A station's calculator run for a measure: its id, the inputs as it read them, its
    figures and factors (each as the stations' REST API shows them, in one language)."""

    calculator: str
    inputs: dict[str, float | None]
    figures: list[dict[str, Any]]
    factors: list[dict[str, Any]]


class CalculationRefused(Exception):
    """A calculator that cannot run for a measure: the HTTP status, code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class StationCalculators(Protocol):
    """What a measure needs of the learning stations: a station's calculator run on inputs
    (raising ``CalculationRefused``). The composition root hands it over
    (``server/app/plan_calculators.py``), so the plans import nothing of the stations."""

    def run(self, station_id: str, inputs: object, lang: str) -> CalculatorRun: ...


class PlanService:
    """Team documents in the store, each change one atomic read-modify-write of the team
    there (``StoreBackend.change_live_state``: changes made at once through several
    processes are all kept); the teams last read or written are kept for the WebSocket
    watchers (``server/features/board/team_realtime.py``)."""

    def __init__(self, store: StoreBackend, workshops: WorkshopService) -> None:
        self.store = store
        self.workshops = workshops
        self.calculators: StationCalculators | None = None
        self.known: dict[str, dict[str, Any]] = {}
        self.feature = TeamPlansFeature(
            self.view,
            complete=not workshops.clustered,
            lead=workshops.lead,
            progress=self.progress,
        )
        #: the plans on the breakout groups' boards (``server/features/board/plans_realtime.py``)
        self.board = BoardPlans(workshops.lead, self.view, None, self.submit)
        workshops.lead.teams_of = self.teams_sharing
        self._apply: Callable[[Effects], object] | None = None
        self._lock = asyncio.Lock()
        self.limit = KeyedLimiter(rate=CHANGES_PER_S, burst=CHANGES_BURST)
        self._tasks: set[asyncio.Task[None]] = set()

    def allow(self, me: Identity) -> None:
        """One more change by this person, or HTTP 429."""
        refuse_too_many(self.limit, me, "changes to plans")

    @classmethod
    async def open(cls, store: StoreBackend, workshops: WorkshopService) -> PlanService:
        """The service with every kept team read (a watch right after a restart finds it)."""
        service = cls(store, workshops)
        service.known = await store.live_states(LIVE_KIND)
        return service

    def attach(self, core: FeatureCore, apply: Callable[[Effects], object]) -> None:
        self.feature.attach(core)
        self.board.attach(core)
        self._apply = apply

    def view(self, me: Identity, team_id: str) -> dict[str, Any] | None:
        """The team as this person may see it (from the teams known here), or None."""
        data = self.known.get(team_id)
        if data is None:
            return None
        team = Team.from_document(data)
        facilitated = []
        if me.role.at_least(Role.FACILITATOR):
            for workshop_id in team.workshops:
                workshop = self.workshops.book.get(workshop_id)
                if workshop is not None and workshop.led_by(me):
                    facilitated.append(workshop_id)
        return team.as_view(me.id) if team.may_see(me.id, facilitated) else None

    def progress(self, workshop_id: str) -> list[dict[str, Any]]:
        """The progress of the teams known here that share this workshop and agreed to show
        it, by name (the room screen; GET /api/workshops/{id}/plans-progress reads the store)."""
        teams = [Team.from_document(data) for data in self.known.values()]
        shown = [t.progress() for t in teams if workshop_id in t.workshops and t.show_progress]
        return sorted(shown, key=lambda t: str(t["name"]))

    def _learn(self, documents: dict[str, dict[str, Any]]) -> None:
        """Teams read from the store: watchers of one that changed get it anew."""
        before, self.known = self.known, dict(documents)
        for team_id in before.keys() | documents.keys():
            if before.get(team_id) != documents.get(team_id):
                self._changed(team_id)

    def teams_sharing(self, workshop_id: str) -> list[tuple[str, set[str]]]:
        """The teams known here that share this workshop, by name: (team id, member ids)
        (breakout groups by team, one group each in this order)."""
        teams = [Team.from_document(data) for data in self.known.values()]
        sharing = sorted(
            (t for t in teams if workshop_id in t.workshops), key=lambda t: (t.name, t.id)
        )
        return [(t.id, set(t.members)) for t in sharing]

    async def change_as(
        self,
        me: Identity,
        team_id: str,
        change: Callable[[Team], Any],
        *,
        lead: bool = False,
        seen: Team | None = None,
    ) -> Any:
        """One change to a team's plan by someone who may see the team (a member, a
        facilitator of a workshop it shares; ``lead``: who may lead it), as every change is
        made: atomically in the store (``change``), who asks checked against the team
        actually changed; in this process one at a time (the teams known here stay in
        order). ``change`` changes the team by the rules and gives the answer; it must have
        no other effects (it may run more than once). ``seen``: the team as just read.
        ``PlanRefused`` when refused (``team_unknown`` for anyone who may not see it,
        ``team_busy`` when the team kept changing)."""
        async with self._lock:
            for _ in range(RECHECK_TRIES):
                if seen is None:
                    seen = await self.team(team_id)
                facilitated = await self.facilitated(me, seen)
                answers: list[Any] = []
                try:
                    await self.change(
                        team_id, _checked(change, me, seen, facilitated, answers, lead=lead)
                    )
                except _Recheck:
                    seen = None
                    continue
                return answers[0]
        raise _busy()

    def submit(self, request: PlanRequest) -> None:
        """A change asked for at a breakout board (``server/features/board/plans_realtime.py``):
        made in the background, then the board feature is told (``done``)."""
        task = asyncio.get_running_loop().create_task(self._board_change(request))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _board_change(self, request: PlanRequest) -> None:
        refused: PlanRefused | None = None
        if not self.limit.allow(request.identity.id, time.monotonic()):
            refused = PlanRefused(
                429,
                "rate_limited",
                "Langsamer, bitte: zu viele Änderungen an Plänen.",
                "Slow down, please: too many changes to plans.",
            )
        else:
            try:
                await self.change_as(
                    request.identity,
                    request.team,
                    lambda team: apply_request(team, request, time.time()),
                )
            except PlanRefused as exc:
                refused = exc
            except Exception:
                log.exception("a change to a plan from a board failed")
                refused = PlanRefused(
                    500, "plan_refused", "Das ging gerade nicht.", "That did not work just now."
                )
        fx = Effects()
        self.board.done(request, refused, fx)
        if self._apply is not None:
            self._apply(fx)

    def _changed(self, team_id: str) -> None:
        fx = Effects()
        self.feature.changed(team_id, fx)
        self.board.changed(team_id, fx)
        if self._apply is not None:
            self._apply(fx)

    def start(self) -> list[asyncio.Task[None]]:
        """With several processes, teams changed elsewhere are read every ``REFRESH_S``."""
        if not self.workshops.clustered:
            return []
        return [asyncio.create_task(self._refresh(), name="hubtwin-plans-refresh")]

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_S)
            watched = self.feature.watching or self.feature.pending or self.feature.shown
            if not watched and not self.board.showing():
                continue
            try:
                self._learn(await self.store.live_states(LIVE_KIND))
            except Exception:
                log.exception("could not read the teams from the store")
                continue
            fx = Effects()
            self.feature.settle(fx)
            if self._apply is not None:
                self._apply(fx)

    async def workshop_of(self, workshop_id: str) -> Workshop | None:
        """A workshop by id: from the book of planned workshops, else the store."""
        return await self.workshops.workshop_of(workshop_id)

    async def teams(self) -> dict[str, Team]:
        documents = await self.store.live_states(LIVE_KIND)
        self._learn(documents)
        return {key: Team.from_document(data) for key, data in documents.items()}

    async def team(self, team_id: str) -> Team:
        documents = await self.store.live_states(LIVE_KIND)
        self._learn(documents)
        data = documents.get(team_id)
        if data is None:
            raise PlanRefused(
                404, "team_unknown", "Dieses Team gibt es nicht.", "There is no such team."
            )
        return Team.from_document(data)

    async def keep(self, team: Team | None, team_id: str) -> None:
        data = None if team is None else team.as_document()
        await self.store.save_live_states([LiveStateChange(LIVE_KIND, team_id, data)])
        self._kept(team_id, data)

    async def change(self, team_id: str, change: Callable[[Team], Team | None]) -> Team | None:
        """Change the team as the store keeps it now, atomically: ``change`` gets it, changes
        it or raises (``PlanRefused``, ``ApiError``: nothing is written) and returns the team
        to keep (None: the team goes). ``change`` must have no other effects: it runs again
        when another process changed the team meanwhile. ``team_unknown`` when there is
        none, ``team_busy`` when it kept changing under every try; returns the team kept."""

        def on_document(data: dict[str, Any] | None) -> dict[str, Any] | None:
            if data is None:
                raise PlanRefused(
                    404, "team_unknown", "Dieses Team gibt es nicht.", "There is no such team."
                )
            after = change(Team.from_document(data))
            return None if after is None else after.as_document()

        try:
            kept = await self.store.change_live_state(LIVE_KIND, team_id, on_document)
        except LiveStateContended:
            raise _busy() from None
        self._kept(team_id, kept)
        return None if kept is None else Team.from_document(kept)

    def _kept(self, team_id: str, data: dict[str, Any] | None) -> None:
        if data is None:
            self.known.pop(team_id, None)
        else:
            self.known[team_id] = data
        self._changed(team_id)

    def sessions_of(self, workshop: Workshop, now: float) -> list[str]:
        """What sharing this workshop shares: the workshop, and when it is a session of a
        series, every session of the series that has not ended (a team brings its plan
        from one session to the next)."""
        out = [workshop.id]
        if workshop.series_id is not None:
            later = [
                w
                for w in self.workshops.book.all()
                if w.series_id == workshop.series_id and w.id != workshop.id and w.ends_at > now
            ]
            out += [w.id for w in sorted(later, key=lambda w: w.starts_at)]
        return out

    async def facilitated(self, me: Identity, team: Team) -> list[str]:
        """The team's workshops this person leads."""
        if not me.role.at_least(Role.FACILITATOR):
            return []
        out = []
        for workshop_id in team.workshops:
            workshop = await self.workshop_of(workshop_id)
            if workshop is not None and workshop.led_by(me):
                out.append(workshop_id)
        return out

    # --- calculators --------------------------------------------------------------------

    def calculate(
        self, station_id: str, inputs: object, lang: str, use: dict[str, str] | None
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """Run a station's calculator: the measure's source and savings."""
        if self.calculators is None:
            raise CalculationRefused(503, "stations_unavailable", "the stations are not read yet")
        run = self.calculators.run(station_id, inputs, lang)
        figures = [
            {key: figure[key] for key in ("name", "label", "value", "unit")}
            for figure in run.figures
        ]
        savings, chosen = savings_from_figures(figures, use)
        source = calculator_source(
            station=station_id,
            calculator=run.calculator,
            inputs=run.inputs,
            factors=run.factors,
            figures=figures,
            use=chosen,
            now=time.time(),
        )
        source["language"] = lang
        return source, savings

    # --- REST ---------------------------------------------------------------------------

    def routes(self, calculators: StationCalculators) -> HttpFeature:
        """The REST API; ``calculators``: the learning stations' calculators measures use."""
        self.calculators = calculators

        def add_routes(app: web.Application) -> None:
            app[_SERVICE] = self
            r = app.router
            r.add_get("/api/teams", list_teams)
            r.add_post("/api/teams", make_team)
            r.add_get("/api/teams/{id}", get_team)
            r.add_patch("/api/teams/{id}", rename_team)
            r.add_post("/api/teams/{id}/invite", invite)
            r.add_post("/api/teams/{id}/join", join)
            r.add_post("/api/teams/{id}/leave", leave)
            r.add_post("/api/teams/{id}/link", new_link)
            r.add_post("/api/teams/{id}/workshops", share_workshop)
            r.add_post("/api/teams/{id}/measures", add_measure)
            r.add_patch("/api/teams/{id}/measures/{m}", change_measure)
            r.add_delete("/api/teams/{id}/measures/{m}", remove_measure)
            r.add_post("/api/teams/{id}/measures/{m}/calculation", put_calculation)
            r.add_post("/api/teams/{id}/measures/{m}/recompute", recompute)
            r.add_get("/api/teams/{id}/plan.csv", export_csv)
            r.add_get("/api/teams/{id}/plan.pdf", export_pdf)
            r.add_get("/api/workshops/{id}/plans-progress", workshop_progress)

        return add_routes


_SERVICE: web.AppKey[PlanService] = web.AppKey("plans", PlanService)


def _lang(request: web.Request, body: dict[str, Any] | None = None) -> str:
    lang = (body or {}).get("lang") or request.query.get("lang") or "de"
    return lang if lang in ("de", "en") else "de"


def _refused(exc: PlanRefused | CalculationRefused, lang: str) -> ApiError:
    if isinstance(exc, PlanRefused):
        return ApiError(exc.status, exc.code, exc.message(lang))
    return ApiError(exc.status, exc.code, exc.message)


async def _seen(
    request: web.Request, *, lead: bool = False
) -> tuple[PlanService, Identity, Team, list[str]]:
    me = bearer_identity(request)
    service = request.app[_SERVICE]
    try:
        team = await service.team(request.match_info["id"])
        facilitated = await service.facilitated(me, team)
        if lead:
            team.check_lead(me.id, facilitated)
        else:
            team.check_sees(me.id, facilitated)
    except PlanRefused as exc:
        raise _refused(exc, _lang(request)) from None
    return service, me, team, facilitated


async def list_teams(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    service = request.app[_SERVICE]
    mine, invited = [], []
    for team in (await service.teams()).values():
        if team.is_member(me.id) or await service.facilitated(me, team):
            mine.append(team.as_view(me.id))
        elif me.id in team.invited:
            invited.append({"id": team.id, "name": team.name, "firm": team.firm})
    return json_response({"teams": mine, "invitations": invited})


async def make_team(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    body = await read_json_object(request)
    service = request.app[_SERVICE]
    service.allow(me)
    async with service._lock:
        teams = await service.teams()
        made = sum(1 for t in teams.values() if t.is_lead(me.id))
        if made >= TEAMS_MADE_MAX:
            raise ApiError(409, "teams_full", f"at most {TEAMS_MADE_MAX} teams per person")
        try:
            team = Team.new(
                "t" + secrets.token_hex(6),
                body.get("name"),
                firm=body.get("firm"),
                by=(me.id, me.name),
                now=time.time(),
            )
        except PlanRefused as exc:
            raise _refused(exc, _lang(request, body)) from None
        await service.keep(team, team.id)
    return json_response(team.as_view(me.id), status=201)


async def get_team(request: web.Request) -> web.Response:
    _service, me, team, _f = await _seen(request)
    return json_response(team.as_view(me.id))


async def _change(
    request: web.Request,
    change: Callable[[Team, Identity, dict[str, Any]], Any],
    *,
    lead: bool = False,
    body: bool = True,
    prepare: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
) -> web.Response:
    """Check who asks against the team as read (the usual refusals), run ``prepare`` (what
    needs the store or a wait, e.g. finding an account), then change the team atomically
    in the store: who asks is checked again against the team actually changed, and
    ``change`` (synchronous, no other effects: it may run more than once) changes it and
    gives the answer (None: the team's view; ``PlanService.change_as``)."""
    data = await read_json_object(request) if body else {}
    service = request.app[_SERVICE]
    service.allow(bearer_identity(request))
    lang = _lang(request, data)
    service, me, seen, _facilitated = await _seen(request, lead=lead)
    if prepare is not None:
        await prepare(data)

    def change_and_answer(team: Team) -> Any:
        answer = change(team, me, dict(data))
        return answer if answer is not None else team.as_view(me.id)

    try:
        answer = await service.change_as(me, seen.id, change_and_answer, lead=lead, seen=seen)
    except (PlanRefused, CalculationRefused) as exc:
        raise _refused(exc, lang) from None
    return json_response(answer)


async def rename_team(request: web.Request) -> web.Response:
    def change(team: Team, me: Identity, data: dict[str, Any]) -> None:
        from server.domain.action_plans import NAME_MAX_CHARS, plain_text

        if "name" in data:
            team.name = plain_text(data["name"], "name", NAME_MAX_CHARS, required=True)
        if "firm" in data:
            team.firm = plain_text(data["firm"], "firm", NAME_MAX_CHARS, required=False)
        if "show_progress" in data:
            if not isinstance(data["show_progress"], bool):
                raise ApiError(400, "show_progress_invalid", "show_progress: true or false")
            team.show_progress = data["show_progress"]

    return await _change(request, change, lead=True)


async def invite(request: web.Request) -> web.Response:
    service = request.app[_SERVICE]
    found: list[tuple[str, str]] = []

    async def find_account(data: dict[str, Any]) -> None:
        username = data.get("username")
        if not isinstance(username, str) or not username.strip():
            raise ApiError(400, "username_missing", "name the account to invite (username)")
        wanted = username.strip().lower()
        for account in await service.store.list_accounts():
            if str(account["username"]).lower() == wanted and not account["disabled"]:
                found.append((str(account["id"]), str(account["display_name"])))
                return
        raise ApiError(404, "account_unknown", f"there is no account {username.strip()!r}")

    def change(team: Team, me: Identity, data: dict[str, Any]) -> None:
        account_id, name = found[0]
        team.invite(account_id, name, me.id, time.time())

    return await _change(request, change, lead=True, prepare=find_account)


async def join(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    data = await read_json_object(request)
    service = request.app[_SERVICE]
    service.allow(me)
    lang = _lang(request, data)
    link = data.get("link")

    def join_team(team: Team) -> Team:
        if not team.is_member(me.id) and me.id not in team.invited and not isinstance(link, str):
            raise PlanRefused(
                404, "team_unknown", "Dieses Team gibt es nicht.", "There is no such team."
            )
        team.join(me.id, me.name, link if isinstance(link, str) else None, time.time())
        return team

    async with service._lock:
        try:
            team = await service.change(request.match_info["id"], join_team)
        except PlanRefused as exc:
            if exc.code == "team_link_invalid":
                exc.status = 404
            raise _refused(exc, lang) from None
    assert team is not None
    return json_response(team.as_view(me.id))


async def leave(request: web.Request) -> web.Response:
    me = bearer_identity(request)
    service = request.app[_SERVICE]
    service.allow(me)
    team_id = request.match_info["id"]

    def leave_team(team: Team) -> Team | None:
        if not team.is_member(me.id) and me.id not in team.invited:
            raise PlanRefused(
                404, "team_unknown", "Dieses Team gibt es nicht.", "There is no such team."
            )
        return None if team.leave(me.id) else team

    async with service._lock:
        try:
            kept = await service.change(team_id, leave_team)
        except PlanRefused as exc:
            raise _refused(exc, _lang(request)) from None
    return json_response({"team": team_id, "left": True, "ended": kept is None})


async def new_link(request: web.Request) -> web.Response:
    def change(team: Team, me: Identity, data: dict[str, Any]) -> None:
        team.new_link()

    return await _change(request, change, lead=True, body=False)


async def share_workshop(request: web.Request) -> web.Response:
    service = request.app[_SERVICE]
    sessions: list[str] = []

    async def find_workshop(data: dict[str, Any]) -> None:
        workshop_id = data.get("workshop")
        workshop = await service.workshop_of(workshop_id) if isinstance(workshop_id, str) else None
        if workshop is None:
            raise ApiError(404, "workshop_unknown", "there is no such workshop")
        sessions.extend(service.sessions_of(workshop, time.time()))

    def change(team: Team, me: Identity, data: dict[str, Any]) -> None:
        shared = bool(data.get("shared", True))
        for session in sessions:
            team.share(session, shared)

    return await _change(request, change, lead=True, prepare=find_workshop)


async def add_measure(request: web.Request) -> web.Response:
    def change(team: Team, me: Identity, data: dict[str, Any]) -> Any:
        data.pop("lang", None)
        return team.add_measure(data, by=me.id, now=time.time()).as_dict()

    answer = await _change(request, change)
    answer.set_status(201)
    return answer


async def change_measure(request: web.Request) -> web.Response:
    measure_id = request.match_info["m"]

    def change(team: Team, me: Identity, data: dict[str, Any]) -> Any:
        data.pop("lang", None)
        return team.update_measure(measure_id, data, by=me.id, now=time.time()).as_dict()

    return await _change(request, change)


async def remove_measure(request: web.Request) -> web.Response:
    measure_id = request.match_info["m"]

    def change(team: Team, me: Identity, data: dict[str, Any]) -> Any:
        team.remove_measure(measure_id)
        return {"removed": measure_id}

    return await _change(request, change, body=False)


async def put_calculation(request: web.Request) -> web.Response:
    service = request.app[_SERVICE]
    measure_id = request.match_info["m"]

    def change(team: Team, me: Identity, data: dict[str, Any]) -> Any:
        team.measure(measure_id)
        station = data.get("station")
        if not isinstance(station, str):
            raise ApiError(400, "station_missing", "name the station whose calculator to run")
        use = data.get("use")
        if use is not None and not (
            isinstance(use, dict) and all(isinstance(v, str) for v in use.values())
        ):
            raise ApiError(400, "use_invalid", "use: saving name -> result name")
        lang = _lang(request, data)
        source, savings = service.calculate(station, data.get("inputs"), lang, use)
        return team.put_calculation(
            measure_id, source, savings, by=me.id, now=time.time()
        ).as_dict()

    return await _change(request, change)


async def recompute(request: web.Request) -> web.Response:
    service = request.app[_SERVICE]
    measure_id = request.match_info["m"]

    def change(team: Team, me: Identity, data: dict[str, Any]) -> Any:
        measure = team.measure(measure_id)
        old = measure.source
        if old is None or old.get("kind") != "calculator":
            raise ApiError(409, "measure_not_calculated", "no calculator result is in this measure")
        inputs = {k: v for k, v in dict(old["inputs"]).items() if v is not None}
        lang = str(old.get("language", "de"))
        source, savings = service.calculate(str(old["station"]), inputs, lang, dict(old["use"]))
        before = {k: getattr(measure, k) for k in ("co2e_kg", "energy_kwh", "money_eur")}
        after = team.put_calculation(measure_id, source, savings, by=me.id, now=time.time())
        return {
            "measure": after.as_dict(),
            "before": before,
            "factors_changed": old.get("factors") != source["factors"],
        }

    return await _change(request, change, body=False)


async def export_csv(request: web.Request) -> web.Response:
    _service, _me, team, _f = await _seen(request)
    lang = _lang(request)
    context = request.app[CONTEXT]
    text = plan_csv(team, lang, context.site.zone)
    return download(context.site, f"massnahmenplan-{team.id}", "csv", text, "text/csv")


async def export_pdf(request: web.Request) -> web.Response:
    _service, _me, team, _f = await _seen(request)
    lang = _lang(request)
    context = request.app[CONTEXT]
    try:
        body = await asyncio.to_thread(plan_pdf, team, lang, context.site, time.time())
    except FontMissing as exc:
        log.error("the plan's PDF cannot be made: %s", exc)
        raise ApiError(503, "pdf_font_missing", str(exc)) from None
    return download(context.site, f"massnahmenplan-{team.id}", "pdf", body, "application/pdf")


async def workshop_progress(request: web.Request) -> web.Response:
    """The exchange series' view: the teams that share this workshop and agreed to show
    their progress, side by side (for its facilitators)."""
    me = bearer_identity(request)
    service = request.app[_SERVICE]
    workshop = await service.workshop_of(request.match_info["id"])
    if workshop is None:
        raise ApiError(404, "workshop_unknown", "there is no such workshop")
    if not workshop.led_by(me):
        raise ApiError(403, "forbidden", "only this workshop's facilitators see its teams")
    shown = [
        team.progress()
        for team in (await service.teams()).values()
        if workshop.id in team.workshops and team.show_progress
    ]
    return json_response({"workshop": workshop.id, "teams": sorted(shown, key=lambda t: t["name"])})
