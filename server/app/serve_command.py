"""``hubtwin serve``: run the hub (HTTP and realtime endpoints) in this process."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.app.cli_site import add_site_options

if TYPE_CHECKING:
    from server.app.assembly import RunningHub


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the hub: web client, REST API and realtime rooms"
    )
    add_site_options(parser)
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, dest="http_port", help="HTTP port (default 8080)")
    parser.add_argument(
        "--ws-port",
        type=int,
        help="a port of its own for the realtime WebSocket (default: /ws on the HTTP port)",
    )
    parser.add_argument("--data-dir", type=Path, help="database and built world (default var/SITE)")
    parser.add_argument(
        "--redis", dest="redis_url", help="redis://… to run as one of several processes"
    )
    parser.add_argument(
        "--public-url",
        help="the address browsers use for this process's HTTP side (behind a proxy)",
    )
    parser.add_argument(
        "--public-ws-url",
        help="the realtime address browsers use for this process (ws://… or wss://…, or a"
        " path on the public URL's host): where other processes redirect visitors to",
    )
    parser.add_argument(
        "--janus",
        action="append",
        metavar="URL",
        help="use a Janus run elsewhere for voice (ws://host:port/?secret=API_SECRET&"
        "admin_key=KEY; repeatable: rooms are spread over them) instead of starting one",
    )
    parser.add_argument("--voice", choices=("janus", "off"), help="voice on (default) or off")
    parser.add_argument(
        "--voice-ice-enforce-list",
        help="interfaces or addresses the hub's Janus offers for media (default: all)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start on free ports (unless --port is given), use the hub once as a browser"
        " would (health, page, world, sign-in, WebSocket hello), print each check and stop",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from server.app.assembly import run_forever
    from server.base.settings import load_settings

    overrides = {
        name: getattr(args, name)
        for name in (
            "site",
            "host",
            "http_port",
            "ws_port",
            "data_dir",
            "redis_url",
            "public_url",
            "public_ws_url",
            "janus",
            "voice",
            "voice_ice_enforce_list",
        )
    }
    if args.smoke and overrides["http_port"] is None:
        overrides["http_port"] = 0
    settings = load_settings(overrides, config_file=args.config)
    if args.smoke:
        return run_forever(settings, on_ready=_announce, then=_smoke)
    return run_forever(settings, on_ready=_announce)


async def _smoke(hub: RunningHub) -> int:
    from server.app.smoke_check import smoke

    return await smoke(hub.url, lambda line: print(line, flush=True))


def _announce(hub: RunningHub) -> None:
    print(
        f"\n  {hub.site.branding.short_name} Twin läuft / is running.\n"
        f"  Im Browser öffnen / open in your browser:  {hub.url}\n"
        "  Beenden / stop: Ctrl+C\n",
        flush=True,
    )
