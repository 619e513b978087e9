"""Files the hub hands out (exports, calendars, passports): one shape for all of them.

Every download is an attachment named by ``download_name`` (the site's id first, then what
it is), never cached unless it says so, and text is UTF-8.

>>> download(site, "umfragen-w1", "csv", "a;b\\r\\n", "text/csv")   # doctest: +SKIP
"""

from __future__ import annotations

from aiohttp import web

from server.web.site_page import download_name
from world.site import Site


def download(
    site: Site,
    stem: str,
    suffix: str,
    content: str | bytes,
    content_type: str,
    *,
    cache: str = "no-store",
) -> web.Response:
    """``content`` as the file ``<site id>-<stem>.<suffix>``."""
    headers = {
        "Content-Disposition": f'attachment; filename="{download_name(site, stem, suffix)}"',
        "Cache-Control": cache,
    }
    if isinstance(content, bytes):
        return web.Response(body=content, headers={"Content-Type": content_type, **headers})
    return web.Response(text=content, content_type=content_type, charset="utf-8", headers=headers)
