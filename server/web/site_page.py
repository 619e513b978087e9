"""The site's brand in what the server sends: the client's page and the names of downloads.

The web client's ``index.html`` names no hub. Before it is sent, ``branded_page`` writes the
site's name into its title, its start page heading and the tags link previews read (Open
Graph), its primary colour into the theme colour, and its primary and accent colours as the
CSS custom properties every style sheet and client module draws with. ``download_name``
gives every file a visitor or the staff download (data export, learning passport, CSV) a
name that starts with the site's id.
"""

from __future__ import annotations

import html
import re

from world.site import Site

_HTML_LANG = re.compile(rb'<html lang="[^"]*">')
_TITLE = re.compile(rb"<title>[^<]*</title>")
_THEME_COLOUR = re.compile(rb'<meta name="theme-color" content="[^"]*">')
_SITE_NAME = re.compile(rb'(<p id="site-name" class="brand-name">)[^<]*(</p>)')
_SITE_TAGLINE = re.compile(rb'(<p id="site-tagline" class="brand-tagline">)[^<]*(</p>)')

#: the page title after the site's short name, as the client writes it (strings.js app.title)
TWIN = {"de": "Digitaler Zwilling", "en": "Digital twin"}


def page_title(site: Site, lang: str | None = None) -> str:
    lang = lang or site.default_language
    return f"{site.branding.short_name} – {TWIN.get(lang, TWIN['en'])}"


def _attribute(text: str) -> bytes:
    return html.escape(text, quote=True).encode()


def preview_tags(site: Site, image_url: str | None = None) -> bytes:
    """The Open Graph and description tags a link preview shows: name, tagline, logo."""
    lang = site.default_language
    brand = site.branding
    tags = [
        ("name", "application-name", brand.short_name),
        ("name", "description", brand.tagline.get(lang, "")),
        ("property", "og:type", "website"),
        ("property", "og:site_name", brand.name.get(lang, brand.short_name)),
        ("property", "og:title", page_title(site)),
        ("property", "og:description", brand.tagline.get(lang, "")),
        ("property", "og:locale", lang),
    ]
    if image_url:
        tags.append(("property", "og:image", image_url))
    return b"".join(
        b'\n  <meta %s="%s" content="%s">' % (kind.encode(), key.encode(), _attribute(value))
        for kind, key, value in tags
        if value
    )


def colour_style(site: Site) -> bytes:
    """The site's colours as the page's CSS custom properties (before any style sheet)."""
    brand = site.branding
    return (
        f"\n  <style>html:root {{ --primary: {brand.primary_colour}; "
        f"--accent: {brand.accent_colour}; }}</style>"
    ).encode()


def branded_page(page: bytes, site: Site, image_url: str | None = None) -> bytes:
    """The client's page with the site's name, language, preview tags and colours."""
    brand = site.branding
    lang = site.default_language
    title = b"<title>" + html.escape(page_title(site)).encode() + b"</title>"
    head = title + preview_tags(site, image_url) + colour_style(site)
    page = _HTML_LANG.sub(b'<html lang="' + _attribute(lang) + b'">', page, count=1)
    page = _TITLE.sub(lambda _: head, page, count=1)
    theme = b'<meta name="theme-color" content="' + _attribute(brand.primary_colour) + b'">'
    page = _THEME_COLOUR.sub(lambda _: theme, page, count=1)
    name = html.escape(brand.name.get(lang, brand.short_name)).encode()
    page = _SITE_NAME.sub(lambda m: m.group(1) + name + m.group(2), page, count=1)
    tagline = html.escape(brand.tagline.get(lang, "")).encode()
    return _SITE_TAGLINE.sub(lambda m: m.group(1) + tagline + m.group(2), page, count=1)


def download_name(site: Site, stem: str, suffix: str) -> str:
    """A download's file name: the site's id, then what it is (``mein-hub-lernpass.txt``)."""
    return f"{site.id}-{stem}.{suffix}"
