"""The client's page in the site's brand: name, preview tags and colours written in, and a
name with markup in it written as text."""

from __future__ import annotations

from dataclasses import replace

from server.web.http import WEB_CLIENT_DIR
from server.web.site_page import branded_page, download_name
from world.site import load_site


def test_the_default_site_is_written_into_the_page() -> None:
    site = load_site()
    page = branded_page((WEB_CLIENT_DIR / "index.html").read_bytes(), site).decode()
    assert f"<title>{site.branding.short_name} – Digitaler Zwilling</title>" in page
    assert f'<meta name="theme-color" content="{site.branding.primary_colour}">' in page
    assert f"--accent: {site.branding.accent_colour}" in page
    assert page.count("<title>") == 1 and "og:image" not in page


def test_a_name_with_markup_stays_text() -> None:
    site = load_site()
    name = 'Hub <script>alert("x")</script> & "Co"'
    branding = replace(site.branding, short_name=name, name=dict.fromkeys(site.languages, name))
    page = branded_page(
        (WEB_CLIENT_DIR / "index.html").read_bytes(),
        replace(site, branding=branding),
        "https://hub.example/icons/icon-512.png",
    ).decode()
    assert "<script>alert" not in page
    assert (
        'content="Hub &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;Co&quot;"'
        in (page)
    )
    assert '<meta property="og:image" content="https://hub.example/icons/icon-512.png">' in page


def test_downloads_start_with_the_site_id() -> None:
    assert download_name(load_site(), "lernpass", "txt") == "oekohub-dortmund-lernpass.txt"
