"""A station body in Markdown: checked, and rendered to HTML that is safe to show as it is.

Raw HTML in the Markdown is shown as text, never as markup. Images must be files in the site
folder (shown from ``/site/…``, so the client makes no third-party request) and need a
description; links must be ``https://``, ``http://`` or ``mailto:`` and open in a new tab
without a referrer. Headings start at ``##``: the station title is the page's top heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

IMAGE_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp")
LINK_SCHEMES = ("http", "https", "mailto")


@dataclass(frozen=True)
class BodyProblem:
    line: int  # 1-based, within the body text
    message: str


@dataclass(frozen=True)
class RenderedBody:
    html: str
    problems: tuple[BodyProblem, ...]


def _parser() -> MarkdownIt:
    return MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})


def render_body(markdown: str, folder: Path, site_root: Path) -> RenderedBody:
    """Check and render one language's body; image paths are relative to ``folder``."""
    parser = _parser()
    tokens = parser.parse(markdown)
    problems: list[BodyProblem] = []
    lines = markdown.splitlines()
    if not markdown.strip():
        problems.append(BodyProblem(1, "the text is empty"))
    for token in tokens:
        line = token.map[0] + 1 if token.map else 1
        if token.type == "heading_open" and token.tag == "h1":
            problems.append(
                BodyProblem(line, "use ## (or ###) for headings; the station title is the top one")
            )
        if token.type != "inline" or not token.children:
            continue
        for child in token.children:
            if child.type == "image":
                _check_image(child, folder, site_root, _line_of(child, token, lines), problems)
            elif child.type == "link_open":
                _check_link(child, _line_of(child, token, lines), problems)
    html = parser.renderer.render(tokens, parser.options, {})
    return RenderedBody(html, tuple(problems))


def _line_of(child: Token, parent: Token, lines: list[str]) -> int:
    """The line of an inline element: the first line of its paragraph that holds its URL."""
    if not parent.map:
        return 1
    start, end = parent.map
    needle = str(child.attrGet("src") or child.attrGet("href") or "")
    for number in range(start, min(end, len(lines))):
        if needle and needle in lines[number]:
            return number + 1
    return start + 1


def _check_image(
    token: Token, folder: Path, site_root: Path, line: int, problems: list[BodyProblem]
) -> None:
    src = str(token.attrGet("src") or "")
    if not token.content.strip():
        problems.append(
            BodyProblem(line, f"image {src!r} needs a description: ![what it shows]({src})")
        )
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/"):
        problems.append(
            BodyProblem(
                line,
                f"image {src!r}: images must be files next to the station files "
                "(e.g. images/chart.svg), so visitors' browsers ask no other server",
            )
        )
        return
    path = (folder / unquote(parts.path)).resolve()
    if not path.is_relative_to(site_root.resolve()):
        problems.append(BodyProblem(line, f"image {src!r} is outside the site folder"))
        return
    if path.suffix.lower() not in IMAGE_TYPES:
        problems.append(BodyProblem(line, f"image {src!r}: use one of {', '.join(IMAGE_TYPES)}"))
        return
    if not path.is_file():
        problems.append(BodyProblem(line, f"image {src!r} not found ({path})"))
        return
    token.attrSet("src", "/site/" + path.relative_to(site_root.resolve()).as_posix())
    token.attrSet("loading", "lazy")


def _check_link(token: Token, line: int, problems: list[BodyProblem]) -> None:
    href = str(token.attrGet("href") or "")
    scheme = urlsplit(href).scheme.lower()
    if scheme not in LINK_SCHEMES:
        problems.append(
            BodyProblem(line, f"link {href!r} must start with https://, http:// or mailto:")
        )
        return
    if scheme in ("http", "https"):
        token.attrSet("target", "_blank")
        token.attrSet("rel", "noopener noreferrer")
