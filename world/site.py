"""A site folder: everything that belongs to one hub (building, content, talks, branding).

Another region runs its own hub by pointing ``--site`` at its own folder; nothing here is
specific to Dortmund. The format is documented in docs/site-format.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from world.errors import InputFileError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SITE = PROJECT_ROOT / "assets" / "sites" / "oekohub-dortmund"


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


def load_site(path: Path | str | None = None) -> Site:
    """Read the site folder at ``path`` (the Dortmund hub when None)."""
    folder = Path(path) if path is not None else DEFAULT_SITE
    manifest = folder / "site.toml"
    if not folder.is_dir():
        raise InputFileError(f"{folder}: site folder not found")
    if not manifest.is_file():
        raise InputFileError(f"{manifest}: site.toml not found (every site folder needs one)")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{manifest}: not valid TOML: {exc}") from None
    site = data.get("site")
    if not isinstance(site, dict):
        raise InputFileError(f"{manifest}: missing [site] table")
    site_id = site.get("id")
    if not isinstance(site_id, str) or not site_id.replace("-", "").isalnum():
        raise InputFileError(f"{manifest}: [site].id must be letters, digits and dashes")
    languages = tuple(site.get("languages", ["de", "en"]))
    default_language = site.get("default_language", languages[0])
    if default_language not in languages:
        raise InputFileError(f"{manifest}: default_language {default_language!r} not in languages")
    brand = data.get("branding", {})
    if not isinstance(brand, dict):
        raise InputFileError(f"{manifest}: [branding] must be a table")
    branding = Branding(
        name=_localised(brand.get("name", site_id), f"{manifest}: branding.name", languages),
        short_name=str(brand.get("short_name", site_id)),
        tagline=_localised(brand.get("tagline", ""), f"{manifest}: branding.tagline", languages),
        primary_colour=str(brand.get("primary_colour", "#2f7d4f")),
        accent_colour=str(brand.get("accent_colour", "#f2b705")),
        logo=brand.get("logo"),
    )
    operator = data.get("operator", {})
    return Site(
        path=folder.resolve(),
        id=site_id,
        languages=languages,
        default_language=default_language,
        branding=branding,
        operator={str(k): str(v) for k, v in operator.items()},
    )
