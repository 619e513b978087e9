"""A site folder: everything that belongs to one hub (building, content, talks, branding).

Another region runs its own hub by pointing ``--site`` at its own folder; nothing here is
specific to Dortmund. The format is documented in docs/site-format.md. Every mistake in
``site.toml`` is one line: the file and line, and what to write instead.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from world.errors import InputFileError
from world.toml_locations import KeyLines, toml_error_line
from world.toml_table import TomlTable, unknown_key_message

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SITE = PROJECT_ROOT / "assets" / "sites" / "oekohub-dortmund"
DEFAULT_TIME_ZONE = "Europe/Berlin"
#: the colours of a site that names none (neutral: not any one hub's brand)
DEFAULT_PRIMARY = "#2e5e7e"
DEFAULT_ACCENT = "#e39b2d"
SITE_KEYS = {"id", "languages", "default_language", "time_zone"}
BRANDING_KEYS = {"name", "short_name", "tagline", "primary_colour", "accent_colour", "logo"}
LOGO_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".webp"}
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True)
class Branding:
    """Names, colours and logo a hub shows in the client."""

    name: dict[str, str]
    short_name: str
    tagline: dict[str, str]
    primary_colour: str
    accent_colour: str
    logo: str | None


@dataclass(frozen=True)
class Site:
    """One hub's folder, read from its ``site.toml``."""

    path: Path
    id: str
    languages: tuple[str, ...]
    default_language: str
    branding: Branding
    operator: dict[str, str] = field(default_factory=dict)
    #: the hub's local time (IANA name): times in exports and lists are written in it
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def building_file(self) -> Path:
        return self.path / "building.toml"

    def file(self, relative: str) -> Path:
        """A file inside the site folder; refuses paths that leave it."""
        candidate = (self.path / relative).resolve()
        if not candidate.is_relative_to(self.path.resolve()):
            raise InputFileError(f"{relative}: path leaves the site folder {self.path}")
        return candidate


def _localised(value: object, where: str, languages: tuple[str, ...]) -> dict[str, str]:
    if isinstance(value, str):
        return {lang: value for lang in languages}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputFileError(f"{where}: expected a text or a table of texts per language")
    missing = [lang for lang in languages if lang not in value]
    if missing:
        raise InputFileError(f"{where}: missing translation for {', '.join(missing)}")
    return dict(value)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputFileError(f"{where}: expected a text")
    return value


def _languages(site: TomlTable) -> tuple[str, ...]:
    value = site.table.get("languages", ["de", "en"])
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(lang, str) and LANGUAGE.fullmatch(lang) for lang in value)
    ):
        raise site.fail(f'languages {value!r} must be a list of language codes, e.g. ["de", "en"]')
    return tuple(value)


def _colour(value: object, where: str) -> str:
    if not isinstance(value, str) or not COLOUR.fullmatch(value):
        raise InputFileError(
            f'{where}: {value!r} is not a colour; write it as "#rrggbb", e.g. "#2f7d4f"'
        )
    return value.lower()


def _logo(value: object, folder: Path, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise InputFileError(f"{where}: expected a file name in the site folder, e.g. logo.svg")
    suffix = Path(value).suffix.lower()
    if suffix not in LOGO_SUFFIXES:
        raise InputFileError(
            f"{where}: {value!r} must be an image ({', '.join(sorted(LOGO_SUFFIXES))})"
        )
    path = (folder / value).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise InputFileError(f"{where}: {value!r} leaves the site folder")
    if not path.is_file():
        raise InputFileError(
            f"{where}: {value!r} not found in {folder}: put the image there or correct the name"
        )
    return value


class _Lines:
    """``site.toml:LINE`` for a key path of the manifest."""

    def __init__(self, manifest: Path, text: str) -> None:
        self.manifest = manifest
        self.lines = KeyLines(text)

    def at(self, *key: str) -> str:
        line = self.lines.line_of(key) if key else None
        return f"{self.manifest}:{line}" if line is not None else str(self.manifest)

    def table(self, data: object, allowed: set[str], *key: str) -> TomlTable:
        """The table at ``key``, refusing an unknown key at its own line."""
        label = f"[{'.'.join(key)}]" if key else ""
        where = f"{self.at(*key)}: {label}" if label else self.at(*key)
        if isinstance(data, dict):
            unknown = sorted(set(data) - allowed)
            if unknown:
                raise InputFileError(
                    f"{self.at(*key, unknown[0])}: {label + ' ' if label else ''}"
                    f"{unknown_key_message(unknown[0], allowed)}"
                )
        return TomlTable(data, where, allowed)


def load_site(path: Path | str | None = None) -> Site:
    """Read the site folder at ``path`` (the Dortmund hub when None)."""
    folder = Path(path) if path is not None else DEFAULT_SITE
    manifest = folder / "site.toml"
    if not folder.is_dir():
        raise InputFileError(f"{folder}: site folder not found")
    if not manifest.is_file():
        raise InputFileError(f"{manifest}: site.toml not found (every site folder needs one)")
    try:
        text = manifest.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise InputFileError(f"{manifest}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(str(exc))
        where = f"{manifest}:{line}" if line is not None else str(manifest)
        raise InputFileError(f"{where}: not valid TOML: {message}") from None
    lines = _Lines(manifest, text)
    top = lines.table(data, {"site", "branding", "operator"})
    if not top.has("site"):
        raise InputFileError(f'{manifest}: missing [site] table (with at least id = "…")')
    site = lines.table(data["site"], SITE_KEYS, "site")
    site_id = site.table.get("id")
    if site_id is None:
        raise site.fail('missing required key id (e.g. id = "my-hub")')
    if not isinstance(site_id, str) or not site_id or not site_id.replace("-", "").isalnum():
        raise InputFileError(
            f"{lines.at('site', 'id')}: [site] id {site_id!r} must be letters, digits and dashes"
        )
    languages = _languages(site)
    default_language = site.table.get("default_language", languages[0])
    if default_language not in languages:
        raise InputFileError(
            f"{lines.at('site', 'default_language')}: [site] default_language "
            f"{default_language!r} is not one of languages ({', '.join(languages)})"
        )
    brand = lines.table(data.get("branding", {}), BRANDING_KEYS, "branding")

    def branding_key(key: str) -> str:
        return f"{lines.at('branding', key)}: [branding].{key}"

    branding = Branding(
        name=_localised(brand.table.get("name", site_id), branding_key("name"), languages),
        short_name=_text(brand.table.get("short_name", site_id), branding_key("short_name")),
        tagline=_localised(brand.table.get("tagline", ""), branding_key("tagline"), languages),
        primary_colour=_colour(
            brand.table.get("primary_colour", DEFAULT_PRIMARY), branding_key("primary_colour")
        ),
        accent_colour=_colour(
            brand.table.get("accent_colour", DEFAULT_ACCENT), branding_key("accent_colour")
        ),
        logo=_logo(brand.table.get("logo"), folder, branding_key("logo")),
    )
    operator = data.get("operator", {})
    if not isinstance(operator, dict) or not all(isinstance(v, str) for v in operator.values()):
        raise InputFileError(
            f"{lines.at('operator')}: [operator] must be a table of texts (name, city …)"
        )
    time_zone = site.table.get("time_zone", DEFAULT_TIME_ZONE)
    try:
        ZoneInfo(time_zone if isinstance(time_zone, str) else "")
    except (ZoneInfoNotFoundError, ValueError):
        raise InputFileError(
            f"{lines.at('site', 'time_zone')}: [site].time_zone {time_zone!r} is not a time "
            "zone (e.g. Europe/Berlin)"
        ) from None
    return Site(
        path=folder.resolve(),
        id=site_id,
        languages=languages,
        default_language=default_language,
        branding=branding,
        operator={str(k): str(v) for k, v in operator.items()},
        time_zone=time_zone,
    )
