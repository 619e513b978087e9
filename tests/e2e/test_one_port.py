"""The browser reaches the whole hub through one port: page, files and the realtime
WebSocket all on the HTTP port, and the page's icon and manifest come from the site."""

from __future__ import annotations

from urllib.parse import urlsplit

import psutil
from conftest import HubServer, Visitors


def test_the_browser_uses_only_the_http_port(visitors: Visitors, hub: HubServer) -> None:
    page_port = urlsplit(hub.url).port
    listening = {
        conn.laddr.port
        for conn in psutil.Process(hub.process.pid).net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening == {page_port}

    visitor = visitors.open("Ida")
    sockets: list[str] = []
    visitor.page.on("websocket", lambda ws: sockets.append(ws.url))
    visitors.enter(visitor)
    visitor.wait_for("s.room !== null && s.connection === 'open'")
    assert sockets, "the client opened no WebSocket"
    assert all(urlsplit(url).port == page_port and url.endswith("/ws") for url in sockets), sockets

    manifest = visitor.page.evaluate(
        """async () => {
            const link = document.querySelector('link[rel="manifest"]');
            const answer = await fetch(link.href);
            return answer.json();
        }"""
    )
    assert manifest["short_name"] == "Öko.HUB"
    icon_sizes = visitor.page.evaluate(
        """async () => {
            const load = (src) => new Promise((done, fail) => {
                const image = new Image();
                image.onload = () => done([image.naturalWidth, image.naturalHeight]);
                image.onerror = () => fail(new Error(src));
                image.src = src;
            });
            const links = [...document.querySelectorAll('link[rel~="icon"]')];
            return Promise.all(links.map((link) => load(link.href)));
        }"""
    )
    assert len(icon_sizes) == 2 and all(w > 0 and h > 0 for w, h in icon_sizes)
