"""The hub's offers (no I/O beyond reading the site file): courses, coaching programmes,
funding programmes and events of the physical hub, as the site folder's ``offers.toml``
lists them and staff change them; checking them, filtering them, and the sign-up CSV.

An offer has a kind, a title and summary per language, topics and audiences (ids the file's
``[topics]`` and ``[audiences]`` tables name in every language), a place (``online``,
``in_person`` or ``both``), optional times in the site's time zone, a cost text, and a link,
a sign-up in the twin, or both. ``seats`` limits the sign-ups (the store enforces it).

Staff edits are kept apart from the file: ``catalogue`` lays them over it (an edited or
added offer replaces the file's, a removed one is left out). Every mistake in the file is
one line with file and line; a bad edit is ``OfferInvalid`` naming the field.

>>> vocab = Vocabulary({"klima": {"de": "Klima", "en": "Climate"}},
...                    {"kmu": {"de": "KMU", "en": "SMEs"}})
>>> offer = parse_offer({"id": "a", "kind": "event", "title": "T", "summary": "S",
...     "topics": ["klima"], "audience": ["kmu"], "place": "online", "cost": "frei",
...     "link": "https://example.org"}, vocab, ("de", "en"), plain_field, ZoneInfo("UTC"))
>>> offer.place, offer.signup
('online', False)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from server.base.csv_export import csv_text, formula_safe, local_time
from world.errors import HubError, InputFileError
from world.toml_locations import KeyLines, toml_error_line

OFFERS_FILE: Final = "offers.toml"
#: the live-document kind of staff edits (key: offer id; ``{"removed": true}`` hides one)
EDIT_KIND: Final = "offer"
KINDS: Final = ("course", "coaching", "funding", "event")
PLACES: Final = ("online", "in_person", "both")
OFFER_KEYS: Final = {
    "id",
    "kind",
    "title",
    "summary",
    "topics",
    "audience",
    "place",
    "location",
    "starts",
    "ends",
    "cost",
    "link",
    "signup",
    "seats",
    "waiting_list",
}
TOP_KEYS: Final = {"topics", "audiences", "offer"}
IDENT: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
TEXT_MAX: Final = 2000
SEATS_MAX: Final = 100_000
NAME_MAX: Final = 120
CONTACT_MAX: Final = 200


class OfferInvalid(HubError):
    """An edit or a sign-up that cannot be taken (``field`` names the value)."""

    exit_code = 2

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Vocabulary:
    """Topic and audience ids with their label per language."""

    topics: dict[str, dict[str, str]]
    audiences: dict[str, dict[str, str]]

    def as_dict(self) -> dict[str, Any]:
        return {"topics": self.topics, "audiences": self.audiences}


@dataclass(frozen=True)
class Offer:
    """One offer; ``starts``/``ends`` are Unix seconds (None: ongoing, no date)."""

    id: str
    kind: str
    title: dict[str, str]
    summary: dict[str, str]
    topics: tuple[str, ...]
    audience: tuple[str, ...]
    place: str
    cost: dict[str, str]
    location: dict[str, str] | None = None
    starts: float | None = None
    ends: float | None = None
    link: str | None = None
    signup: bool = False
    seats: int | None = None
    #: places on the waiting list once every seat is taken (0: none)
    waiting_list: int = 0

    @property
    def limit(self) -> int | None:
        """How many sign-ups the store takes: the seats and the waiting list."""
        return None if self.seats is None else self.seats + self.waiting_list

    def standing(self, signups: Sequence[OfferSignup], identity_id: str) -> dict[str, Any]:
        """Where a person stands among the sign-ups (which come in the order they came):
        ``{"status": "seat"}``, ``{"status": "waiting", "place": 2}`` (the second on the
        waiting list), or ``{"status": None}`` (not signed up). Whoever cancels frees their
        place for the first one behind them."""
        order = next((i for i, s in enumerate(signups) if s.identity_id == identity_id), None)
        if order is None:
            return {"status": None}
        if self.seats is None or order < self.seats:
            return {"status": "seat"}
        return {"status": "waiting", "place": order - self.seats + 1}

    def as_dict(self, zone: ZoneInfo) -> dict[str, Any]:
        """The JSON form (times as local ISO text in ``zone``), the form edits are sent in."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "summary": self.summary,
            "topics": list(self.topics),
            "audience": list(self.audience),
            "place": self.place,
            "location": self.location,
            "starts": _local(self.starts, zone),
            "ends": _local(self.ends, zone),
            "cost": self.cost,
            "link": self.link,
            "signup": self.signup,
            "seats": self.seats,
            "waiting_list": self.waiting_list,
        }


@dataclass(frozen=True)
class OfferFile:
    """What ``offers.toml`` says: the vocabulary and the offers, in the file's order."""

    vocabulary: Vocabulary
    offers: tuple[Offer, ...] = field(default_factory=tuple)


def _local(at: float | None, zone: ZoneInfo) -> str | None:
    if at is None:
        return None
    return datetime.fromtimestamp(at, zone).replace(tzinfo=None).isoformat(timespec="minutes")


def plain_field(key: str) -> str:
    """Where a value is in a JSON edit: its field's name."""
    return key


def _texts(
    value: object, key: str, where: Callable[[str], str], languages: Sequence[str]
) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {lang: value for lang in languages}
    if isinstance(value, dict) and all(
        isinstance(v, str) and v.strip() and len(v) <= TEXT_MAX for v in value.values()
    ):
        missing = [lang for lang in languages if lang not in value]
        if missing:
            raise OfferInvalid(f"{where(key)}: {key} lacks the text in {', '.join(missing)}", key)
        return {lang: value[lang] for lang in languages}
    raise OfferInvalid(
        f'{where(key)}: {key} must be a text or one per language, e.g. {{ de = "…", en = "…" }}',
        key,
    )


def _time(value: object, key: str, where: Callable[[str], str], zone: ZoneInfo) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            value = None
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return local.timestamp()
    if isinstance(value, date):
        return datetime.combine(value, time(0), zone).timestamp()
    raise OfferInvalid(
        f"{where(key)}: {key} must be a local date and time, e.g. 2027-03-04T09:30 (or a date)",
        key,
    )


def _ids(
    value: object, key: str, where: Callable[[str], str], known: Mapping[str, Any], table: str
) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise OfferInvalid(
            f'{where(key)}: {key} must be a list of ids, e.g. ["{next(iter(known), "…")}"]', key
        )
    for item in value:
        if item not in known:
            raise OfferInvalid(
                f"{where(key)}: {key} {item!r} is not in [{table}] "
                f"(known: {', '.join(known) or 'none'})",
                key,
            )
    return tuple(dict.fromkeys(value))


def parse_offer(
    data: Mapping[str, Any],
    vocab: Vocabulary,
    languages: Sequence[str],
    where: Callable[[str], str],
    zone: ZoneInfo,
) -> Offer:
    """One offer from a TOML table or a JSON object; ``OfferInvalid`` names the value.
    ``where(key)`` says where a key is (``file:line`` or the field's name)."""
    unknown = sorted(set(data) - OFFER_KEYS)
    if unknown:
        raise OfferInvalid(
            f"{where(unknown[0])}: unknown key {unknown[0]!r} "
            f"(allowed: {', '.join(sorted(OFFER_KEYS))})",
            unknown[0],
        )
    offer_id = data.get("id")
    if not isinstance(offer_id, str) or not IDENT.fullmatch(offer_id):
        raise OfferInvalid(
            f"{where('id')}: id must be small letters, digits, - and _ (e.g. klimabilanz-kurs)",
            "id",
        )
    for required in ("kind", "title", "summary", "topics", "audience", "place", "cost"):
        if data.get(required) is None:
            raise OfferInvalid(
                f"{where('id')}: offer {offer_id!r} lacks {required} (docs/make-your-hub.md)",
                required,
            )
    kind = data.get("kind")
    if kind not in KINDS:
        raise OfferInvalid(
            f"{where('kind')}: kind {kind!r} must be one of {', '.join(KINDS)}", "kind"
        )
    place = data.get("place")
    if place not in PLACES:
        raise OfferInvalid(
            f"{where('place')}: place {place!r} must be one of {', '.join(PLACES)}", "place"
        )
    starts = _time(data.get("starts"), "starts", where, zone)
    ends = _time(data.get("ends"), "ends", where, zone)
    if ends is not None and starts is None:
        raise OfferInvalid(f"{where('ends')}: ends needs starts as well", "ends")
    if starts is not None and ends is not None and ends < starts:
        raise OfferInvalid(f"{where('ends')}: ends is before starts", "ends")
    link = data.get("link")
    if link is not None and (
        not isinstance(link, str) or not re.fullmatch(r"https?://[^\s\"<>]{3,500}", link)
    ):
        raise OfferInvalid(f"{where('link')}: link must be a web address (https://…)", "link")
    signup = data.get("signup", False)
    if not isinstance(signup, bool):
        raise OfferInvalid(f"{where('signup')}: signup must be true or false", "signup")
    if not signup and link is None:
        raise OfferInvalid(
            f"{where('id')}: offer {offer_id!r} needs a link or signup = true (or both)", "link"
        )
    seats = data.get("seats")
    if seats is not None:
        if not isinstance(seats, int) or isinstance(seats, bool) or not 1 <= seats <= SEATS_MAX:
            raise OfferInvalid(
                f"{where('seats')}: seats must be a whole number from 1 to {SEATS_MAX}", "seats"
            )
        if not signup:
            raise OfferInvalid(f"{where('seats')}: seats needs signup = true", "seats")
    waiting_list = data.get("waiting_list")
    if waiting_list is not None:
        if (
            not isinstance(waiting_list, int)
            or isinstance(waiting_list, bool)
            or not 0 <= waiting_list <= SEATS_MAX
        ):
            raise OfferInvalid(
                f"{where('waiting_list')}: waiting_list must be a whole number from 0 to "
                f"{SEATS_MAX}",
                "waiting_list",
            )
        if seats is None and waiting_list:
            raise OfferInvalid(
                f"{where('waiting_list')}: waiting_list needs seats (without seats there is "
                "no limit to wait for)",
                "waiting_list",
            )
    location = data.get("location")
    return Offer(
        id=offer_id,
        kind=kind,
        title=_texts(data.get("title"), "title", where, languages),
        summary=_texts(data.get("summary"), "summary", where, languages),
        topics=_ids(data.get("topics"), "topics", where, vocab.topics, "topics"),
        audience=_ids(data.get("audience"), "audience", where, vocab.audiences, "audiences"),
        place=place,
        cost=_texts(data.get("cost"), "cost", where, languages),
        location=None if location is None else _texts(location, "location", where, languages),
        starts=starts,
        ends=ends,
        link=link,
        signup=signup,
        seats=seats,
        waiting_list=(seats or 0) if waiting_list is None else waiting_list,
    )


def _labels(
    data: object, table: str, at: Callable[..., str], languages: Sequence[str]
) -> dict[str, dict[str, str]]:
    if data is None:
        raise InputFileError(
            f'{at(table)}: missing [{table}] table (id = {{ de = "…", en = "…" }})'
        )
    if not isinstance(data, dict):
        raise InputFileError(f"{at(table)}: [{table}] must be a table")
    out: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        if not IDENT.fullmatch(key):
            raise InputFileError(
                f"{at(table, key)}: [{table}] id {key!r} must be small letters, digits, - and _"
            )
        try:
            out[key] = _texts(value, key, lambda k: at(table, k), languages)
        except OfferInvalid as exc:
            raise InputFileError(str(exc)) from None
    return out


def _keyed(at: Callable[..., str], index: int) -> Callable[[str], str]:
    return lambda key: at("offer", index, key)


def load_offer_file(
    path: Path,
    languages: Sequence[str],
    zone: ZoneInfo,
    vocabulary: Vocabulary | None = None,
) -> OfferFile:
    """Read and check ``offers.toml``; a missing file is a site without offers. With a
    ``vocabulary`` (the site's), a file of ``[[offer]]`` tables only: offers to put in."""
    if not path.is_file():
        if vocabulary is not None:
            raise InputFileError(f"{path}: file not found")
        return OfferFile(Vocabulary({}, {}))
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        raise InputFileError(f"{path}:{line or 1}: not valid TOML: {message}") from None
    lines = KeyLines(text)

    def at(*key: str | int) -> str:
        line = lines.line_of(tuple(key)) if key else None
        return f"{path}:{line}" if line is not None else str(path)

    allowed = TOP_KEYS if vocabulary is None else {"offer"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InputFileError(
            f"{at(unknown[0])}: unknown table {unknown[0]!r} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    vocab = vocabulary or Vocabulary(
        _labels(data.get("topics"), "topics", at, languages),
        _labels(data.get("audiences"), "audiences", at, languages),
    )
    raw = data.get("offer", [])
    if not isinstance(raw, list):
        raise InputFileError(f"{at('offer')}: offers are [[offer]] tables")
    offers: list[Offer] = []
    seen: dict[str, int] = {}
    for index, table in enumerate(raw):
        try:
            offer = parse_offer(table, vocab, languages, _keyed(at, index), zone)
        except OfferInvalid as exc:
            raise InputFileError(str(exc)) from None
        if offer.id in seen:
            raise InputFileError(
                f"{at('offer', index, 'id')}: id {offer.id!r} is used twice "
                f"(first at line {lines.line_of(('offer', seen[offer.id], 'id'))})"
            )
        seen[offer.id] = index
        offers.append(offer)
    return OfferFile(vocab, tuple(offers))


def catalogue(
    base: OfferFile,
    edits: Mapping[str, Mapping[str, Any]],
    languages: Sequence[str],
    zone: ZoneInfo,
) -> list[Offer]:
    """The offers in force: the file's with staff edits laid over (edited ones in their
    place, added ones after, removed ones left out), sorted by start (undated last)."""
    by_id = {offer.id: offer for offer in base.offers}
    for offer_id, data in edits.items():
        if data.get("removed"):
            by_id.pop(offer_id, None)
            continue
        try:
            by_id[offer_id] = parse_offer(data, base.vocabulary, languages, plain_field, zone)
        except OfferInvalid:
            continue  # an edit the file's vocabulary no longer allows: the file's offer stays
    return sorted(by_id.values(), key=lambda o: (o.starts is None, o.starts or 0.0, o.id))


@dataclass(frozen=True)
class OfferFilter:
    """What a visitor filters by; empty values do not filter. ``after``/``before``: Unix
    seconds; an offer matches if it runs at some time in between (ongoing ones always)."""

    topic: str = ""
    audience: str = ""
    place: str = ""
    after: float | None = None
    before: float | None = None

    def matches(self, offer: Offer) -> bool:
        if self.topic and self.topic not in offer.topics:
            return False
        if self.audience and self.audience not in offer.audience:
            return False
        if self.place == "online" and offer.place == "in_person":
            return False
        if self.place == "in_person" and offer.place == "online":
            return False
        if offer.starts is not None:
            end = offer.ends if offer.ends is not None else offer.starts
            if self.after is not None and end < self.after:
                return False
            if self.before is not None and offer.starts >= self.before:
                return False
        return True


def filtered(offers: Iterable[Offer], wanted: OfferFilter) -> list[Offer]:
    return [offer for offer in offers if wanted.matches(offer)]


@dataclass(frozen=True)
class OfferSignup:
    """One person's sign-up for one offer, with what they entered and when they agreed
    (``at``: Unix seconds; consent was given at that moment, nothing is kept without it)."""

    offer_id: str
    identity_id: str
    name: str
    contact: str
    at: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "offer_id": self.offer_id,
            "name": self.name,
            "contact": self.contact,
            "at": self.at,
        }


def signup_from(offer: Offer, identity_id: str, body: Mapping[str, Any], now: float) -> OfferSignup:
    """A sign-up from what the visitor sent: a name, a contact, and consent."""
    if not offer.signup:
        raise OfferInvalid(
            "dieses Angebot hat keine Anmeldung hier / this offer takes no sign-up here; "
            "use its link",
            "signup",
        )
    if body.get("consent") is not True:
        raise OfferInvalid(
            "ohne Einwilligung keine Anmeldung / consent is required to sign up", "consent"
        )
    name = body.get("name")
    contact = body.get("contact")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise OfferInvalid(f"name: 1 to {NAME_MAX} characters", "name")
    if not isinstance(contact, str) or not contact.strip() or len(contact) > CONTACT_MAX:
        raise OfferInvalid(
            f"contact: an e-mail address or phone number, 1 to {CONTACT_MAX} characters",
            "contact",
        )
    return OfferSignup(offer.id, identity_id, name.strip(), contact.strip(), now)


SIGNUP_COLUMNS: Final = (
    "Nr / No",
    "Angebot / Offer",
    "Status",
    "Name",
    "Kontakt / Contact",
)


def _status_cell(offer: Offer | None, signups: Sequence[OfferSignup], identity_id: str) -> str:
    standing = offer.standing(signups, identity_id) if offer is not None else {"status": "seat"}
    if standing["status"] == "waiting":
        return f"Warteliste {standing['place']} / waiting list {standing['place']}"
    return "Platz / seat"


def signups_csv(
    signups: Sequence[OfferSignup], zone: ZoneInfo, offers: Mapping[str, Offer] | None = None
) -> str:
    """The sign-ups staff export: one line each, in order, with who has a seat and who
    waits where (``offers``: by id, for their seats); the time zone in the header; the time
    is also when consent was given."""
    of_offer: dict[str, list[OfferSignup]] = {}
    for s in signups:
        of_offer.setdefault(s.offer_id, []).append(s)
    return csv_text(
        (
            *SIGNUP_COLUMNS,
            f"Angemeldet und eingewilligt ({zone.key}) / Signed up and consented ({zone.key})",
        ),
        (
            (
                number,
                s.offer_id,
                _status_cell((offers or {}).get(s.offer_id), of_offer[s.offer_id], s.identity_id),
                formula_safe(s.name),
                formula_safe(s.contact),
                local_time(s.at, zone),
            )
            for number, s in enumerate(signups, start=1)
        ),
    )
