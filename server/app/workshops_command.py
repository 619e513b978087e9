"""``hubtwin workshops``: plan workshops and series, read attendance, the audit log and bans.

Works on the hub's data folder directly (a running hub reads the changes within half a
minute). Input is the same as the REST API's: options for the common fields, or ``--json
FILE`` with the whole workshop. Agenda items are ``"MINUTES TITLE"``, optionally with
``station=ID`` or ``talk=ID`` among the words::

    hubtwin workshops add --title "Klimabilanz" --room workshop --starts 2030-03-05T10:00 \\
        --minutes 90 --facilitator mara --agenda "10 Ankommen" \\
        --agenda "30 Station station=carbon-accounting"
    hubtwin workshops series-add --title Austauschreihe --room lounge \\
        --first 2030-03-12T17:00 --minutes 90 --repeat monthly --count 6 --facilitator mara
    hubtwin workshops edit w1a2b3c4d5 --starts 2030-03-12T10:00   # moved: same length
    hubtwin workshops attendance w1a2b3c4d5 --csv teilnahme.csv
    hubtwin workshops programme          # import the site's programme.toml now

A workshop planned in a room at a time another workshop has it is refused, naming that
workshop, unless ``--force``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from server.app.cli_site import add_site_options
from server.base.settings import load_settings
from server.domain.registrations import (
    REGISTERED,
    Registration,
    registrations_csv,
    seat_states,
    taken,
)
from server.domain.talks import WatchedLibrary, generated_talks_dir
from server.domain.workshop_records import AuditEntry, Ban, new_record_id
from server.domain.workshops import (
    Person,
    Series,
    Workshop,
    WorkshopInvalid,
    new_series_id,
    new_workshop_id,
    parse_series,
    parse_workshop,
)
from server.features.stations.catalogue import places_from_building, read_catalogue
from server.store.backend import StoreBackend
from server.store.factory import run_on_store
from server.workshop.attendance import (
    agenda_station_ids,
    attendance_csv,
    attendance_report,
    person_key,
    summary,
)
from server.workshop.invitations import with_invited_ids
from server.workshop.planning import InStore, end_series, leaders, plan_series, plan_workshop
from server.workshop.programme import PROGRAMME_FILE, SiteRefs, load_programme
from server.workshop.programme_import import import_programme
from world.building import load_building
from world.errors import InputFileError, UsageError
from world.site import load_site

T = TypeVar("T")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "workshops", help="plan workshops and series; attendance, audit log and bans"
    )
    add_site_options(parser, data_dir=True)
    parser.add_argument("--redis", dest="redis_url", help="redis://… when the hub runs on Redis")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="workshops to come (--all: past ones too)")
    listing.add_argument("--all", action="store_true")
    listing.set_defaults(handler=list_workshops)
    show = actions.add_parser("show", help="one workshop, everything about it, as JSON")
    show.add_argument("id")
    show.set_defaults(handler=show_workshop)

    add = actions.add_parser("add", help="plan a workshop")
    _workshop_options(add, required=True)
    add.add_argument("--starts", help="start, e.g. 2030-03-05T10:00 (Europe/Berlin)")
    add.add_argument("--minutes", type=int, help="how long")
    add.set_defaults(handler=add_workshop)
    edit = actions.add_parser("edit", help="change a workshop (options left out stay)")
    edit.add_argument("id")
    _workshop_options(edit, required=False)
    edit.add_argument("--starts")
    edit.add_argument("--minutes", type=int)
    edit.set_defaults(handler=edit_workshop)
    remove = actions.add_parser("remove", help="remove a workshop")
    remove.add_argument("id")
    remove.set_defaults(handler=remove_workshop)

    series_add = actions.add_parser("series-add", help="plan a recurring series and its sessions")
    _workshop_options(series_add, required=True)
    _series_options(series_add)
    series_add.set_defaults(handler=add_series)
    series_edit = actions.add_parser(
        "series-edit",
        help="change a series and its sessions to come (options left out stay; a session"
        " moved, changed or cancelled on its own stays so)",
    )
    series_edit.add_argument("id")
    _workshop_options(series_edit, required=False)
    _series_options(series_edit)
    series_edit.set_defaults(handler=edit_series)
    programme = actions.add_parser(
        "programme",
        help="import the site's programme.toml now (--check: only check it)",
    )
    programme.add_argument("--check", action="store_true", help="check the file, import nothing")
    programme.set_defaults(handler=import_site_programme)
    series_list = actions.add_parser("series-list", help="the series and their sessions")
    series_list.set_defaults(handler=list_series)
    series_remove = actions.add_parser(
        "series-remove", help="remove a series and its sessions to come"
    )
    series_remove.add_argument("id")
    series_remove.set_defaults(handler=remove_series)

    attendance = actions.add_parser("attendance", help="who took part (summary, or --csv FILE)")
    attendance.add_argument("id")
    attendance.add_argument("--csv", type=Path, help="write the CSV here ('-': standard output)")
    attendance.set_defaults(handler=show_attendance)
    registrations = actions.add_parser(
        "registrations", help="who registered, seat or waiting list (or --csv FILE)"
    )
    registrations.add_argument("id")
    registrations.add_argument("--csv", type=Path, help="write the CSV here ('-': standard output)")
    registrations.set_defaults(handler=show_registrations)
    audit = actions.add_parser("audit", help="the moderation audit log, newest first")
    audit.add_argument("--limit", type=int, default=50)
    audit.set_defaults(handler=show_audit)
    bans = actions.add_parser("bans", help="bans in force")
    bans.set_defaults(handler=show_bans)
    unban = actions.add_parser("unban", help="lift a ban (its id from 'bans')")
    unban.add_argument("id")
    unban.set_defaults(handler=lift_ban)


def _series_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first", help="the first session's start (Europe/Berlin)")
    parser.add_argument("--minutes", type=int, help="how long each session is")
    parser.add_argument("--repeat", choices=("weekly", "biweekly", "monthly"))
    parser.add_argument("--count", type=int, help="how many sessions")


def _workshop_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--json", type=Path, help="a JSON file with the fields (as the REST API)")
    parser.add_argument("--title")
    parser.add_argument("--description")
    parser.add_argument("--room", help="room id (hubtwin world list rooms)")
    parser.add_argument(
        "--facilitator",
        action="append",
        default=None,
        help="username of a facilitator or staff account (repeatable)",
    )
    parser.add_argument("--access", choices=("open", "code", "list"))
    parser.add_argument("--code", help="invite code (access code; made up when left out)")
    parser.add_argument(
        "--admission",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="visitors wait in the foyer until a facilitator admits them (--no-admission: not)",
    )
    parser.add_argument(
        "--seats",
        type=int,
        default=None,
        help="registration with this many seats (0: no registration)",
    )
    parser.add_argument(
        "--invite",
        action="append",
        default=None,
        help="someone on the list: an account's username or display name (repeatable)",
    )
    parser.add_argument(
        "--agenda",
        action="append",
        default=None,
        help='an agenda item "MINUTES TITLE [station=ID] [talk=ID]" (repeatable)',
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="plan it even if another workshop has the room at that time",
    )


# --- plumbing ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace, work: Callable[[StoreBackend], Awaitable[T]]) -> T:
    """``work`` on the hub's store (SQLite, or Redis with --redis)."""
    overrides = {"site": args.site, "data_dir": args.data_dir, "redis_url": args.redis_url}
    return run_on_store(load_settings(overrides), work)


def _rooms(args: argparse.Namespace) -> list[str]:
    site = load_site(args.site) if args.site else load_site()
    return [room.id for room in load_building(site.building_file).rooms]


def _agenda_item(text: str) -> dict[str, Any]:
    words = text.split()
    if len(words) < 2 or not words[0].isdigit():
        raise UsageError(f'an agenda item is "MINUTES TITLE", not {text!r}')
    item: dict[str, Any] = {"minutes": int(words[0])}
    title = []
    for word in words[1:]:
        key, _, value = word.partition("=")
        if key in ("station", "talk") and value:
            item[key] = value
        else:
            title.append(word)
    item["title"] = " ".join(title)
    return item


def _fields(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if args.json is not None:
        try:
            loaded = json.loads(args.json.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputFileError(f"{args.json}: not a readable JSON file: {exc}") from None
        if not isinstance(loaded, dict):
            raise InputFileError(f"{args.json}: must hold a JSON object")
        data.update(loaded)
    for name in ("title", "description", "room", "access", "code", "admission", *names):
        value = getattr(args, name, None)
        if value is not None:
            data[name] = value
    if args.invite is not None:
        data["invited"] = args.invite
    if getattr(args, "seats", None) is not None:
        data["seats"] = args.seats or None
    if args.agenda is not None:
        data["agenda"] = [_agenda_item(item) for item in args.agenda]
    if args.facilitator is not None:
        data["facilitators"] = args.facilitator
    return data


async def _people(
    store: StoreBackend, usernames: object, current: tuple[Person, ...]
) -> list[Person]:
    if usernames is None:
        if not current:
            raise UsageError("name at least one facilitator: --facilitator USERNAME")
        return list(current)
    if not isinstance(usernames, list):
        raise UsageError("facilitators must be a list of usernames")
    may_lead = await leaders(store)
    people = []
    for name in usernames:
        person = may_lead.get(str(name).casefold())
        if person is None:
            raise UsageError(f"{name!r} is not the username of a facilitator or staff account")
        people.append(person)
    return people


def _print_workshops(workshops: list[Workshop]) -> None:
    if not workshops:
        print("no workshops: hubtwin workshops add --title ... --room ... --starts ...")
        return
    print(f"{'id':<22} {'starts':<17} {'min':>4} {'room':<12} {'access':<6} title")
    for w in workshops:
        starts = w.starts_iso()[:16].replace("T", " ")
        print(f"{w.id:<22} {starts:<17} {w.minutes:>4} {w.room:<12} {w.access.value:<6} {w.title}")


def _invalid(exc: WorkshopInvalid) -> UsageError:
    return UsageError(f"{exc.message} ({exc.code})")


async def _planned(step: Awaitable[T]) -> T:
    """A step of ``server/workshop/planning.py``; a clash refused as one line."""
    try:
        return await step
    except WorkshopInvalid as exc:
        raise _invalid(exc) from None


async def _series(store: StoreBackend, series_id: str) -> Series:
    found = next((s for s in await store.list_series() if s.id == series_id), None)
    if found is None:
        raise UsageError(f"there is no series {series_id!r}")
    return found


# --- workshops ----------------------------------------------------------------------------------


def list_workshops(args: argparse.Namespace) -> int:
    now = time.time()
    found = _run(args, lambda store: store.list_workshops(None if args.all else now))
    _print_workshops(found)
    return 0


def show_workshop(args: argparse.Namespace) -> int:
    found = _run(args, lambda store: store.workshop(args.id))
    if found is None:
        raise UsageError(f"there is no workshop {args.id!r}")
    print(json.dumps(found.full_dict(), ensure_ascii=False, indent=2))
    return 0


@dataclass(frozen=True)
class _Plan:
    """What the options of add and edit (of a workshop or a series) ask for, read from the
    command line and the site once, turned into a workshop or series against the store."""

    data: dict[str, Any]
    rooms: list[str]
    stations: dict[str, str]

    @classmethod
    def of(cls, args: argparse.Namespace, *names: str) -> _Plan:
        return cls(_fields(args, *names), _rooms(args), _station_refs(args))

    async def parsed(
        self,
        store: StoreBackend,
        parse: Callable[..., T],
        facilitators: tuple[Person, ...],
        **given: Any,
    ) -> T:
        """``parse`` (``parse_workshop`` or ``parse_series``) of the fields, with the
        invited named by id and the facilitators (``facilitators``, those of the one being
        edited, unless the options name others); ``given``: its id, ``base`` and ``now``."""
        data = dict(self.data)
        people = await _people(store, data.pop("facilitators", None), facilitators)
        try:
            named = await with_invited_ids(store, data)
            return parse(
                named, rooms=self.rooms, facilitators=people, stations=self.stations, **given
            )
        except WorkshopInvalid as exc:
            raise _invalid(exc) from None


def add_workshop(args: argparse.Namespace) -> int:
    plan = _Plan.of(args, "starts", "minutes")

    async def work(store: StoreBackend) -> Workshop:
        workshop = await plan.parsed(
            store, parse_workshop, (), workshop_id=new_workshop_id(), now=time.time()
        )
        await _planned(plan_workshop(InStore(store), workshop, force=args.force))
        return workshop

    made = _run(args, work)
    print(
        f"planned {made.id}: {made.title} ({made.starts_iso()}); link: {made.public_dict()['link']}"
    )
    if made.code:
        print(f"invite code: {made.code}")
    return 0


def edit_workshop(args: argparse.Namespace) -> int:
    plan = _Plan.of(args, "starts", "minutes")

    async def work(store: StoreBackend) -> Workshop:
        current = await store.workshop(args.id)
        if current is None:
            raise UsageError(f"there is no workshop {args.id!r}")
        workshop = await plan.parsed(
            store,
            parse_workshop,
            current.facilitators,
            workshop_id=current.id,
            base=current,
            now=time.time(),
        )
        await _planned(plan_workshop(InStore(store), workshop, force=args.force))
        return workshop

    changed = _run(args, work)
    print(f"changed {changed.id}: {changed.title} ({changed.starts_iso()} to {changed.ends_iso()})")
    return 0


def remove_workshop(args: argparse.Namespace) -> int:
    if not _run(args, lambda store: store.delete_workshop(args.id)):
        raise UsageError(f"there is no workshop {args.id!r}")
    print(f"removed {args.id}")
    return 0


# --- series ------------------------------------------------------------------------------------


def add_series(args: argparse.Namespace) -> int:
    plan = _Plan.of(args, "first", "minutes", "repeat", "count")

    async def work(store: StoreBackend) -> list[Workshop]:
        now = time.time()
        series = await plan.parsed(store, parse_series, (), series_id=new_series_id(), now=now)
        planned = plan_series(InStore(store), series, None, force=args.force, now=now)
        return (await _planned(planned)).changes.save

    sessions = _run(args, work)
    series_id = sessions[0].series_id if sessions else ""
    print(f"planned the series {series_id} with {len(sessions)} sessions to come:")
    _print_workshops(sessions)
    return 0


def edit_series(args: argparse.Namespace) -> int:
    plan = _Plan.of(args, "first", "minutes", "repeat", "count")

    async def work(store: StoreBackend) -> tuple[list[Workshop], list[Workshop], int]:
        current = await _series(store, args.id)
        now = time.time()
        series = await plan.parsed(
            store, parse_series, current.facilitators, series_id=current.id, base=current, now=now
        )
        planned = plan_series(InStore(store), series, current, force=args.force, now=now)
        changes = (await _planned(planned)).changes
        return changes.save, changes.kept, len(changes.remove)

    saved, kept, removed = _run(args, work)
    print(f"changed the series {args.id}: {len(saved)} sessions saved, {removed} removed")
    _print_workshops(saved)
    if kept:
        print(f"{len(kept)} sessions changed on their own stay as they are:")
        _print_workshops(kept)
    return 0


def list_series(args: argparse.Namespace) -> int:
    async def work(store: StoreBackend) -> list[tuple[Any, list[Workshop]]]:
        everything = await store.list_workshops()
        return [
            (series, [w for w in everything if w.series_id == series.id])
            for series in await store.list_series()
        ]

    found = _run(args, work)
    if not found:
        print("no series: hubtwin workshops series-add --title ... --first ... --repeat monthly")
    for series, sessions in found:
        print(f"{series.id}  {series.title}  ({series.repeat.value}, {series.count} sessions)")
        _print_workshops(sessions)
    return 0


def remove_series(args: argparse.Namespace) -> int:
    async def work(store: StoreBackend) -> int:
        current = await _series(store, args.id)
        ended = await end_series(InStore(store), current, now=time.time())
        return len(ended.changes.remove)

    removed = _run(args, work)
    print(f"removed the series {args.id} and {removed} sessions to come")
    return 0


# --- after the workshop, moderation ---------------------------------------------------------------


def import_site_programme(args: argparse.Namespace) -> int:
    site = load_site(args.site) if args.site else load_site()
    settings = load_settings({"site": args.site, "data_dir": args.data_dir})
    talks = WatchedLibrary(site, generated_talks_dir(settings.resolved_data_dir))
    refs = SiteRefs(_rooms(args), _station_refs(args), talks.current(time.time()).talks)
    path = site.file(PROGRAMME_FILE)
    programme = load_programme(path, refs)
    if not path.is_file():
        print(f"{site.id}: no {PROGRAMME_FILE} in {site.path}: nothing to import")
        return 0
    if args.check:
        print(f"{path}: {programme.summary()} OK")
        return 0
    report = _run(args, lambda store: import_programme(store, programme, site.id, now=time.time()))
    for line in report.lines():
        print(line)
    print(f"{site.id}: {report.summary()}")
    return 0


def _station_refs(args: argparse.Namespace) -> dict[str, str]:
    """What may name a station in an agenda (its id, or its anchor's id) -> its id."""
    site = load_site(args.site) if args.site else load_site()
    catalogue, _ = read_catalogue(site, places_from_building(site))
    return catalogue.references()


def show_registrations(args: argparse.Namespace) -> int:
    site = load_site(args.site) if args.site else load_site()
    settings = load_settings({"site": args.site, "data_dir": args.data_dir})
    key = person_key(settings.ensure_secret())

    async def work(store: StoreBackend) -> tuple[Workshop, list[Registration]]:
        workshop = await store.workshop(args.id)
        if workshop is None:
            raise UsageError(f"there is no workshop {args.id!r}")
        return workshop, await store.registrations_of(workshop.id)

    workshop, registrations = _run(args, work)
    seats = workshop.seats or 0
    if args.csv is not None:
        text = registrations_csv(registrations, seats, key=key, zone=site.zone)
        if str(args.csv) == "-":
            sys.stdout.write(text)
        else:
            args.csv.write_text(text, encoding="utf-8")
            print(f"wrote {len(registrations)} registrations to {args.csv}")
        return 0
    figures = taken(registrations, seats)
    print(
        f"{workshop.title} ({workshop.starts_iso()[:16]}): {figures['taken']} of {seats} seats"
        f" taken, {figures['waiting']} waiting"
    )
    for state in seat_states(registrations, seats):
        where = "seat" if state.status == REGISTERED else f"waiting {state.position}"
        person = state.registration
        print(f"  {key(person.identity_id)}  {person.display_name:<32} {where}")
    return 0


def show_attendance(args: argparse.Namespace) -> int:
    refs = _station_refs(args)
    site = load_site(args.site) if args.site else load_site()
    settings = load_settings({"site": args.site, "data_dir": args.data_dir})
    key = person_key(settings.ensure_secret())

    async def work(store: StoreBackend) -> tuple[Workshop, Any]:
        workshop = await store.workshop(args.id)
        if workshop is None:
            raise UsageError(f"there is no workshop {args.id!r}")
        events = await store.attendance_of(workshop.id)
        progress = await store.progress_of_many([e.identity_id for e in events])
        now = time.time()
        end = max([workshop.ends_at, *(e.at for e in events)])
        report = attendance_report(
            events,
            progress,
            now=min(now, end),
            agenda_stations=agenda_station_ids(
                [i.station for i in workshop.agenda if i.station], refs
            ),
            window=(min([workshop.starts_at, *(e.at for e in events)]), end),
            leaders={p.id for p in workshop.facilitators},
        )
        return workshop, report

    workshop, report = _run(args, work)
    if args.csv is not None:
        text = attendance_csv(report, key=key, zone=site.zone)
        if str(args.csv) == "-":
            sys.stdout.write(text)
        else:
            args.csv.write_text(text, encoding="utf-8")
            print(f"wrote {len(report.people)} participants to {args.csv}")
        return 0
    view = summary(workshop, report, key=key, zone=site.zone)
    print(f"{workshop.title} ({workshop.starts_iso()[:16]}): {view['participants']} participants")
    print(f"most at once {view['peak']}, on average {view['average_minutes']} minutes")
    for person in view["people"]:
        print(
            f"  {person['key']}  {person['name']:<32} {person['minutes']:>6} min"
            f"  {person['stays']} stay(s)  {person['role']}"
            f"  stations {person['stations_opened']}  quizzes {person['quizzes_passed']}"
        )
    return 0


def show_audit(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 1000:
        raise UsageError("--limit must be between 1 and 1000")
    zone = (load_site(args.site) if args.site else load_site()).zone
    entries = _run(args, lambda store: store.audit_log(args.limit))
    if not entries:
        print("the audit log is empty")
    for e in entries:
        when = datetime.fromtimestamp(e.at, zone).strftime("%Y-%m-%d %H:%M:%S")
        whom = f" {e.target_name}" if e.target_name else ""
        where = f" in {e.room}" if e.room else ""
        detail = _UNTIL.sub(lambda m: "until " + _local(float(m[1]), zone), e.detail)
        shown = f" ({detail})" if detail else ""
        print(f"{when}  {e.actor_name}: {e.action}{whom}{where}{shown}")
    return 0


#: a ban's end as its audit entry keeps it (Unix seconds)
_UNTIL = re.compile(r"\buntil (\d+(?:\.\d+)?)")


def _local(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d %H:%M")


def show_bans(args: argparse.Namespace) -> int:
    zone = (load_site(args.site) if args.site else load_site()).zone
    bans = _run(args, lambda store: store.bans(time.time()))
    if not bans:
        print("nobody is banned")
    for ban in bans:
        until = (
            "until lifted" if ban.expires_at is None else "until " + _local(ban.expires_at, zone)
        )
        reason = f": {ban.reason}" if ban.reason else ""
        print(f"{ban.id}  {ban.display_name} ({ban.identity_id}) by {ban.by_name}, {until}{reason}")
    return 0


def lift_ban(args: argparse.Namespace) -> int:
    async def work(store: StoreBackend) -> Ban | None:
        lifted = await store.lift_ban(args.id)
        if lifted is not None:
            await store.add_audit(
                AuditEntry(
                    id=new_record_id("e"),
                    at=time.time(),
                    actor_id="operator",
                    actor_name="hubtwin workshops unban",
                    action="unban",
                    target_id=lifted.identity_id,
                    target_name=lifted.display_name,
                    detail="command line",
                )
            )
        return lifted

    lifted = _run(args, work)
    if lifted is None:
        raise UsageError(f"there is no ban {args.id!r}")
    print(f"lifted the ban of {lifted.display_name}; a running hub lets them in within a minute")
    return 0
