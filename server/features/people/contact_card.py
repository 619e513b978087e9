"""Contact details as a vCard (RFC 6350, version 4.0), written by hand.

Text values are escaped as section 3.4 asks (backslash, comma, semicolon and line breaks),
lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character
(section 3.2). ``ContactCard`` is what a person chose to hand over in an exchange.

>>> vcard(ContactCard(name="Ada Muster, Dr.", email="ada@example.org")).splitlines()[2]
'FN:Ada Muster\\\\, Dr.'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from world.errors import HubError

MAX_FIELD: Final = 120
FIELDS: Final = ("name", "organisation", "email", "phone", "note")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()/-]{3,30}$")


class ContactCardError(HubError):
    """Contact details that cannot be handed over as sent."""


@dataclass(frozen=True, slots=True)
class ContactCard:
    name: str
    organisation: str = ""
    email: str = ""
    phone: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {field: getattr(self, field) for field in FIELDS}


def parse_card(data: Any) -> ContactCard:
    """Check contact details as a client sent them: a name and at least one way to reach."""
    if not isinstance(data, Mapping):
        raise ContactCardError("contact details are an object")
    extra = sorted(set(data) - set(FIELDS))
    if extra:
        raise ContactCardError(f"unknown field {extra[0]!r}")
    values: dict[str, str] = {}
    for field in FIELDS:
        value = data.get(field, "")
        if not isinstance(value, str):
            raise ContactCardError(f"{field}: expected text")
        value = value.strip() if field == "note" else " ".join(value.split())
        if len(value) > MAX_FIELD:
            raise ContactCardError(f"{field}: at most {MAX_FIELD} characters")
        values[field] = value
    if not values["name"]:
        raise ContactCardError("name: required")
    if values["email"] and not _EMAIL.match(values["email"]):
        raise ContactCardError("email: not an e-mail address")
    if values["phone"] and not _PHONE.match(values["phone"]):
        raise ContactCardError("phone: not a phone number")
    if not (values["email"] or values["phone"]):
        raise ContactCardError("an e-mail address or a phone number is required")
    return ContactCard(**values)


def escape(text: str) -> str:
    """A TEXT value escaped for a content line (RFC 6350, 3.4)."""
    return (
        text.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """One content line folded at 75 octets, CRLF-terminated (RFC 6350, 3.2)."""
    out: list[str] = []
    chunk = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(chunk)
            chunk, size, limit = "", 0, 74  # a continuation line starts with one space
        chunk += char
        size += width
    out.append(chunk)
    return "\r\n ".join(out) + "\r\n"


def vcard(card: ContactCard) -> str:
    """The card as vCard 4.0 text."""
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{escape(card.name)}", "N:;;;;"]
    if card.organisation:
        lines.append(f"ORG:{escape(card.organisation)}")
    if card.email:
        lines.append(f"EMAIL:{escape(card.email)}")
    if card.phone:
        lines.append(f"TEL;VALUE=text:{escape(card.phone)}")
    if card.note:
        lines.append(f"NOTE:{escape(card.note)}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)
