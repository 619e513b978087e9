"""People to meet: a visitor's opt-in profile and who matches whom (sans-I/O).

A profile says who someone is in the hub's network: organisation (optional), industry, role,
region, the topics they are looking for and the topics they can help with, and the languages
they speak. It is off by default: ``visible`` is False until the person turns it on, and a
hidden profile is never shown to anyone else (``public_view`` returns None). Topics are the
ids of the site's ``[topics]`` table (the offers file), so a site declares them once.

``suggestions`` ranks other visible profiles for one person: someone who can help with what
I am looking for counts most, someone looking for what I can help with next, a shared
interest least.

>>> p = parse_profile({"visible": True, "industry": "Handwerk", "role": "owner",
...                    "interests": ["klimabilanz"]}, topics={"klimabilanz"})
>>> p.interests
('klimabilanz',)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from world.errors import HubError

#: The roles a person may give (labels in the client, German first).
ROLES: Final = (
    "employee",
    "works_council",
    "owner",
    "manager",
    "trainer",
    "chamber",
    "union",
    "advisor",
    "student",
    "other",
)
MAX_TEXT: Final = 80
MAX_TOPICS: Final = 12
MAX_LANGUAGES: Final = 6
FIELDS: Final = frozenset(
    {
        "visible",
        "organisation",
        "industry",
        "role",
        "region",
        "interests",
        "helps_with",
        "languages",
    }
)

#: Weights of a match: they can help with what I look for, I can help them, we share a topic.
HELPS_ME: Final = 3
I_HELP: Final = 2
SHARED: Final = 1


class ProfileError(HubError):
    """A profile that cannot be kept as sent (the message says which field and why)."""


@dataclass(frozen=True, slots=True)
class Profile:
    visible: bool = False
    organisation: str = ""
    industry: str = ""
    role: str = ""
    region: str = ""
    interests: tuple[str, ...] = ()
    helps_with: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "visible": self.visible,
            "organisation": self.organisation,
            "industry": self.industry,
            "role": self.role,
            "region": self.region,
            "interests": list(self.interests),
            "helps_with": list(self.helps_with),
            "languages": list(self.languages),
        }

    def public_view(self) -> dict[str, Any] | None:
        """What others may see: nothing at all while the profile is hidden."""
        if not self.visible:
            return None
        view = self.as_dict()
        del view["visible"]
        return view


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ProfileError(f"{key}: expected text")
    value = " ".join(value.split())
    if len(value) > MAX_TEXT:
        raise ProfileError(f"{key}: at most {MAX_TEXT} characters")
    return value


def _topics(data: Mapping[str, Any], key: str, topics: Collection[str]) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ProfileError(f"{key}: expected a list of topic ids")
    if len(value) > MAX_TOPICS:
        raise ProfileError(f"{key}: at most {MAX_TOPICS} topics")
    unknown = sorted(set(value) - set(topics))
    if unknown:
        raise ProfileError(f"{key}: unknown topic {unknown[0]!r}")
    return tuple(dict.fromkeys(value))


def _languages(data: Mapping[str, Any]) -> tuple[str, ...]:
    value = data.get("languages", [])
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise ProfileError("languages: expected a list of language codes")
    if len(value) > MAX_LANGUAGES:
        raise ProfileError(f"languages: at most {MAX_LANGUAGES}")
    for code in value:
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
            raise ProfileError(f"languages: {code!r} is not a language code such as 'de'")
    return tuple(dict.fromkeys(code.lower() for code in value))


def parse_profile(data: Any, topics: Collection[str]) -> Profile:
    """Check a profile as a client sent it; ``topics`` are the site's topic ids."""
    if not isinstance(data, Mapping):
        raise ProfileError("a profile is an object")
    extra = sorted(set(data) - FIELDS)
    if extra:
        raise ProfileError(f"unknown field {extra[0]!r}")
    visible = data.get("visible", False)
    if not isinstance(visible, bool):
        raise ProfileError("visible: expected true or false")
    role = _text(data, "role")
    if role and role not in ROLES:
        raise ProfileError(f"role: one of {', '.join(ROLES)}")
    return Profile(
        visible=visible,
        organisation=_text(data, "organisation"),
        industry=_text(data, "industry"),
        role=role,
        region=_text(data, "region"),
        interests=_topics(data, "interests", topics),
        helps_with=_topics(data, "helps_with", topics),
        languages=_languages(data),
    )


def stored_profile(data: Mapping[str, Any]) -> Profile:
    """A profile as the store keeps it (checked when it was saved; topics a site later
    dropped are kept, so nothing a person entered is lost)."""
    return Profile(
        visible=bool(data.get("visible", False)),
        organisation=str(data.get("organisation", "")),
        industry=str(data.get("industry", "")),
        role=str(data.get("role", "")),
        region=str(data.get("region", "")),
        interests=tuple(data.get("interests", ())),
        helps_with=tuple(data.get("helps_with", ())),
        languages=tuple(data.get("languages", ())),
    )


@dataclass(frozen=True, slots=True)
class Filter:
    """What "who is here" is narrowed to (empty: anything)."""

    industry: str = ""
    topic: str = ""
    role: str = ""

    def admits(self, profile: Profile) -> bool:
        if not profile.visible:
            return False
        if self.industry and self.industry.casefold() not in profile.industry.casefold():
            return False
        if self.topic and self.topic not in (*profile.interests, *profile.helps_with):
            return False
        return not (self.role and profile.role != self.role)


@dataclass(frozen=True, slots=True)
class Suggestion:
    identity_id: str
    score: int
    helps_me: tuple[str, ...]
    i_help: tuple[str, ...]
    shared: tuple[str, ...]


def match(me: Profile, other: Profile) -> tuple[int, Suggestion | None]:
    """How well ``other`` fits ``me`` (0: not at all)."""
    helps_me = tuple(t for t in me.interests if t in other.helps_with)
    i_help = tuple(t for t in other.interests if t in me.helps_with)
    shared = tuple(t for t in me.interests if t in other.interests)
    score = HELPS_ME * len(helps_me) + I_HELP * len(i_help) + SHARED * len(shared)
    return score, Suggestion("", score, helps_me, i_help, shared) if score else None


def suggestions(
    me_id: str, me: Profile, others: Iterable[tuple[str, Profile]], limit: int = 10
) -> list[Suggestion]:
    """Visible people (not me) who fit me, best first; ties by identity id so the order is
    stable. Works whether or not my own profile is visible: suggestions are for me alone."""
    found = []
    for identity_id, other in others:
        if identity_id == me_id or not other.visible:
            continue
        score, s = match(me, other)
        if s is not None:
            found.append(Suggestion(identity_id, score, s.helps_me, s.i_help, s.shared))
    found.sort(key=lambda s: (-s.score, s.identity_id))
    return found[:limit]
