"""How an avatar looks: the choices a person has (body build, skin tone, hair, outfit
colours, eyewear and headwear), the protocol field that carries them (in ``hello`` and
``look``, never in the pose frame) and the typed value the hub keeps per session.

Every choice is a name from a short list (colours of the outfit are ``#rrggbb``); the
browser builds the body from them, so the same choice looks the same everywhere. The five
shapes from before bodies (capsule, cube, cone, sphere, cylinder) are still accepted from
older clients and read as the average build.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from server.protocol.message_spec import FieldSpec
from server.protocol.message_spec import str_field as _str

BODY_SHAPES: Final = ("average", "slim", "broad")
#: shapes of before bodies: accepted, read as ``average``
LEGACY_SHAPES: Final = ("capsule", "cube", "cone", "sphere", "cylinder")
SKIN_TONES: Final = ("light", "fair", "medium", "olive", "brown", "deep")
HAIR_STYLES: Final = ("short", "long", "bun", "curly", "none")
HAIR_COLOURS: Final = ("black", "brown", "blond", "red", "grey")
EYEWEAR: Final = ("none", "glasses", "sunglasses")
HEADWEAR: Final = ("none", "cap", "beanie", "headphones")

COLOUR_PATTERN: Final = r"^#[0-9a-fA-F]{6}$"
DEFAULT_LEGS: Final = "#34404c"

#: the choices by field, first the default (GET /api/protocol's ``appearance``)
CHOICES: Final[Mapping[str, tuple[str, ...]]] = {
    "shape": BODY_SHAPES,
    "skin": SKIN_TONES,
    "hair": HAIR_STYLES,
    "hair_color": HAIR_COLOURS,
    "eyewear": EYEWEAR,
    "headwear": HEADWEAR,
}

APPEARANCE_FIELD: Final = FieldSpec(
    "appearance",
    "map",
    "how the avatar looks (the browser builds the body from it)",
    fields=(
        _str("color", "outfit: the top's colour as #rrggbb", max_len=7, pattern=COLOUR_PATTERN),
        _str(
            "shape",
            "body build (capsule, cube, cone, sphere and cylinder, the shapes of before"
            " bodies, are read as average)",
            choices=BODY_SHAPES + LEGACY_SHAPES,
        ),
        _str("skin", "skin tone", choices=SKIN_TONES, required=False),
        _str("hair", "hair style", choices=HAIR_STYLES, required=False),
        _str("hair_color", "hair colour", choices=HAIR_COLOURS, required=False),
        _str(
            "legs",
            "outfit: the trousers' colour as #rrggbb",
            max_len=7,
            pattern=COLOUR_PATTERN,
            required=False,
        ),
        _str("eyewear", "glasses", choices=EYEWEAR, required=False),
        _str("headwear", "something on the head", choices=HEADWEAR, required=False),
    ),
)


@dataclass(frozen=True, slots=True)
class Appearance:
    """A checked appearance; fields left out hold the first choice (the default)."""

    color: str
    shape: str = BODY_SHAPES[0]
    skin: str = SKIN_TONES[0]
    hair: str = HAIR_STYLES[0]
    hair_color: str = HAIR_COLOURS[0]
    legs: str = DEFAULT_LEGS
    eyewear: str = EYEWEAR[0]
    headwear: str = HEADWEAR[0]

    @classmethod
    def from_fields(cls, look: Mapping[str, Any]) -> Appearance:
        """From fields checked against ``APPEARANCE_FIELD`` (or kept by ``as_dict``);
        a choice that is not (or no longer) on offer becomes the default."""

        def choice(name: str) -> str:
            value = look.get(name)
            options = CHOICES[name]
            return value if isinstance(value, str) and value in options else options[0]

        legs = look.get("legs")
        return cls(
            color=str(look["color"]),
            shape=choice("shape"),
            skin=choice("skin"),
            hair=choice("hair"),
            hair_color=choice("hair_color"),
            legs=legs if isinstance(legs, str) and len(legs) == 7 else DEFAULT_LEGS,
            eyewear=choice("eyewear"),
            headwear=choice("headwear"),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "color": self.color,
            "shape": self.shape,
            "skin": self.skin,
            "hair": self.hair,
            "hair_color": self.hair_color,
            "legs": self.legs,
            "eyewear": self.eyewear,
            "headwear": self.headwear,
        }
