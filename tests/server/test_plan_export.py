"""The plan's PDF carries the site's branding: its logo when it has one, its primary colour
in the header, and it is made in either language (server/plan_export.py)."""

from __future__ import annotations

import re
import zlib

from server.action_plans import Team
from server.plan_export import plan_pdf
from world.site import DEFAULT_SITE, PROJECT_ROOT, load_site


def plan() -> Team:
    team = Team.new("t1", "Grüne Backstube", firm="Korn GmbH", by=("ada", "Ada"), now=0.0)
    team.add_measure({"title": "LED", "co2e_kg": 5.0, "status": "done"}, by="ada", now=1.0)
    return team


def drawn(body: bytes) -> str:
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
    out = []
    for stream in streams:
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def test_the_pdf_has_the_sites_logo_and_colour() -> None:
    site = load_site(DEFAULT_SITE)
    body = plan_pdf(plan(), "de", site, now=0.0)
    assert body.startswith(b"%PDF-") and b"/Subtype /Image" in body
    red, green, blue = (int(site.branding.primary_colour[i : i + 2], 16) for i in (1, 3, 5))
    colour = f"{red / 255:.4f} {green / 255:.4f} {blue / 255:.4f} rg"
    assert colour in drawn(body)


def test_a_site_without_a_logo_gets_a_pdf_without_one() -> None:
    site = load_site(PROJECT_ROOT / "bench" / "bench-hall")
    assert site.branding.logo is None
    body = plan_pdf(plan(), "en", site, now=0.0)
    assert b"/Subtype /Image" not in body
    assert "Action plan: Gr" in drawn(body)
