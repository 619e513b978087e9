"""The vocabulary of the protocol table: error codes, fields, messages, a feature's messages.

``server/protocol/table.py`` builds the one message table from these, the core's messages first and
then each registered feature's ``FeatureMessages``; this module has no other dependency, so a
feature declares its messages in its own package (``server/features/stations/messages.py``,
``server/features/talks/messages.py``) without importing the table it becomes part of.

Every client message, the core's and a feature's, is declared one way: a ``TypedMessage``
(a feature's: a ``FeatureMessage``), a dataclass that names its ``spec`` and has one
attribute per field of it, of the same name; the decoder hands the checked fields to
``from_fields``, which fills the attributes (lists become tuples; a field left out takes the
attribute's default, or None):

>>> @dataclass(frozen=True, slots=True)
... class Wave(FeatureMessage):
...     spec = MessageSpec(
...         "wave", "client", "Wave at the room.",
...         (str_field("to", "whom"), int_field("times", "how often", required=False)),
...     )
...     to: str
...     times: int = 1
>>> Wave.from_fields({"to": "all"})
Wave(to='all', times=1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

MAX_ID_CHARS: Final = 64
KINDS: Final = ("str", "int", "float", "bool", "map", "list", "nil")


@dataclass(frozen=True)
class ErrorSpec:
    """One error code: what it means (German first, English beside it) and, when the
    connection is closed for it, the WebSocket close code."""

    de: str
    en: str
    close: int | None = None

    def message(self, lang: str) -> str:
        return self.en if lang == "en" else self.de


@dataclass(frozen=True)
class FieldSpec:
    """One field of a message: its msgpack kind and limits.

    ``float`` fields accept msgpack integers too (JavaScript encoders write 2.0 as 2) and
    never NaN or infinity. ``int`` fields never accept booleans."""

    name: str
    kind: str
    doc: str
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    max_len: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None
    fields: tuple[FieldSpec, ...] = ()
    items: FieldSpec | None = None
    length: int | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "doc": self.doc}
        if not self.required:
            out["optional"] = True
        if self.nullable:
            out["nullable"] = True
        for key in ("min", "max", "max_len", "pattern", "length"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.choices is not None:
            out["choices"] = list(self.choices)
        if self.fields:
            out["fields"] = [f.describe() for f in self.fields]
        if self.items is not None:
            out["items"] = self.items.describe()
        return out


@dataclass(frozen=True)
class MessageSpec:
    """One message type: who sends it, what it is for, its fields."""

    type: str
    sender: str  # "client" or "server"
    doc: str
    fields: tuple[FieldSpec, ...] = field(default=())

    def describe(self) -> dict[str, Any]:
        return {"doc": self.doc, "fields": [f.describe() for f in self.fields]}


def str_field(name: str, doc: str, max_len: int = MAX_ID_CHARS, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "str", doc, max_len=max_len, **kw)


def float_field(name: str, doc: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "float", doc, **kw)


def int_field(name: str, doc: str, lo: int = 0, hi: int = 65535, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "int", doc, min=lo, max=hi, **kw)


@dataclass(frozen=True, slots=True)
class TypedMessage:
    """A client message, typed: a dataclass with one attribute per field of its ``spec``
    (a message whose fields do not map one to one overrides ``from_fields``). The core's
    messages (``server/protocol/table.py``) and every feature's are declared this one way."""

    spec: ClassVar[MessageSpec]

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> TypedMessage:
        """The typed message from fields already checked against ``spec``."""
        values: dict[str, Any] = {}
        for attribute in dataclasses.fields(cls):
            if attribute.name in fields:
                values[attribute.name] = _frozen(fields[attribute.name])
            elif (
                attribute.default is dataclasses.MISSING
                and attribute.default_factory is dataclasses.MISSING
            ):
                values[attribute.name] = None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class FeatureMessage(TypedMessage):
    """A feature's client message (the core hands it to the feature that declared it)."""


def _frozen(value: Any) -> Any:
    """A decoded value as the message keeps it: lists (and lists in lists) as tuples."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


@dataclass(frozen=True)
class FeatureMessages:
    """Everything a feature adds to the protocol: its client messages (as their typed
    classes), its server messages and its error codes."""

    feature: str
    client: tuple[type[FeatureMessage], ...] = ()
    server: tuple[MessageSpec, ...] = ()
    errors: Mapping[str, ErrorSpec] = field(default_factory=dict)

    def client_specs(self) -> tuple[MessageSpec, ...]:
        return tuple(kind.spec for kind in self.client)
