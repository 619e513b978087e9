"""The one typed settings object of a hub process.

Values come, last one wins, from the defaults here, a TOML file (``--config`` or
``HUBTWIN_CONFIG``), ``HUBTWIN_*`` environment variables, and command-line flags.
The defaults run: ``hubtwin serve`` with nothing else set serves the Dortmund hub on
http://127.0.0.1:8080/ from one process with SQLite.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.base.client_address import AddressSet
from world.errors import UsageError
from world.site import DEFAULT_SITE, PROJECT_ROOT


@dataclass
class Settings:
    """Everything a hub process can be configured with."""

    site: Path = DEFAULT_SITE
    data_dir: Path | None = None
    host: str = "127.0.0.1"
    http_port: int = 8080
    #: a realtime port of its own; None: the realtime endpoint is ``/ws`` on the HTTP port
    ws_port: int | None = None
    public_url: str | None = None
    public_ws_url: str | None = None
    secret: str | None = None
    redis_url: str | None = None
    log_level: str = "info"

    tick_hz: int = 20
    max_speed: float = 6.0
    reconnect_grace_s: float = 30.0
    token_ttl_s: int = 7 * 24 * 3600
    #: facilitators' and staff's tokens live shorter and are renewed while in use
    staff_token_ttl_s: int = 12 * 3600
    guest_renew_window_s: int = 180 * 24 * 3600
    #: how often revoked tokens are read again from the store (changes made elsewhere)
    revocation_refresh_s: float = 5.0
    chat_history: int = 50
    chat_retention_days: int = 30
    chat_max_chars: int = 500
    interest_near: int = 32
    interest_far_every: int = 5
    max_frame_bytes: int = 16 * 1024
    max_messages_per_s: float = 60.0
    slow_client_limit_s: float = 5.0

    #: proxies whose X-Forwarded-For is believed (addresses or networks); see client_address
    trusted_proxies: tuple[str, ...] = ()
    #: a connection that sends no complete request head within this, from its start or its
    #: last answer, is closed (slow heads and idle keep-alive alike)
    http_idle_timeout_s: float = 15.0
    #: the time a JSON request body may take to arrive
    http_body_timeout_s: float = 30.0
    http_max_connections_per_address: int = 128
    #: who may read /metrics without the token: addresses or networks
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1")
    metrics_token: str | None = None

    #: voice (docs/voice.md): "janus" runs the hub's own Janus as a child process, "off"
    voice: str = "janus"
    #: Janus servers run elsewhere (ws://host:port/?secret=API_SECRET&admin_key=KEY); when
    #: given, no Janus of the hub's own is started and rooms are spread over these
    janus: tuple[str, ...] = ()
    janus_binary: str = "janus"
    #: the interfaces or addresses the hub's Janus offers for media (empty: all but loopback)
    voice_ice_enforce_list: str = ""
    #: the address the hub's Janus API listens on (never reachable by browsers)
    voice_janus_host: str = "127.0.0.1"
    #: UDP ports for the hub's Janus media (a free range of this many)
    voice_rtp_ports: int = 40
    voice_hearing_m: float = 12.0
    voice_hearing_k: int = 8
    #: the hub asks each Janus "ping" this often; one that does not answer within the
    #: timeout counts as lost (hung) and its rooms move (the hub's own is started again)
    voice_janus_ping_s: float = 2.0
    voice_janus_ping_timeout_s: float = 2.0
    #: ICE servers offered to browsers: STUN and TURN urls (none by default)
    voice_stun: tuple[str, ...] = ()
    voice_turn: tuple[str, ...] = ()
    #: coturn's static-auth-secret (TURN REST API): browsers get time-limited credentials
    voice_turn_secret: str | None = None

    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def resolved_data_dir(self) -> Path:
        """Where this site's database, secret and built world live."""
        if self.data_dir is not None:
            return self.data_dir
        return PROJECT_ROOT / "var" / self.site.name

    @property
    def database_path(self) -> Path:
        return self.resolved_data_dir / "hub.sqlite3"

    @property
    def world_dir(self) -> Path:
        return self.resolved_data_dir / "world"

    def ensure_secret(self) -> str:
        """The token signing key: configured, or made once and kept in the data folder."""
        if self.secret:
            return self.secret
        path = self.resolved_data_dir / "secret.key"
        if path.exists():
            self.secret = path.read_text(encoding="ascii").strip()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            key = secrets.token_urlsafe(48)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(key)
            self.secret = key
        return self.secret

    def command(self, base: str) -> str:
        """``base`` with the ``--site`` and ``--data-dir`` this process runs with, so a hint
        naming a command acts on this hub, not on the default one."""
        parts = [base]
        if self.site.resolve() != DEFAULT_SITE.resolve():
            parts.append(f"--site {shlex.quote(str(self.site))}")
        if self.data_dir is not None:
            parts.append(f"--data-dir {shlex.quote(str(self.data_dir))}")
        return " ".join(parts)

    def http_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.http_port}/"


_FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "extra"}


def _coerce(name: str, raw: Any) -> Any:
    kind = _FIELDS[name].type
    text = str(kind)
    try:
        if raw is None:
            return None
        if "Path" in text:
            return Path(raw).expanduser()
        if text.startswith("tuple[str"):
            return _string_list(name, raw)
        if text.startswith("int"):
            return int(raw)
        if text.startswith("float"):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise UsageError(f"setting {name}: {raw!r} is not a valid {text}") from None


def _string_list(name: str, raw: Any) -> tuple[str, ...]:
    """A list setting: a TOML array, or in the environment words split by commas or spaces."""
    if isinstance(raw, str):
        return tuple(raw.replace(",", " ").split())
    if isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        return tuple(item.strip() for item in raw if item.strip())
    raise UsageError(f"setting {name}: {raw!r} is not a list of strings")


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build settings from a TOML file, the environment and explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_path = config_file or (Path(env["HUBTWIN_CONFIG"]) if "HUBTWIN_CONFIG" in env else None)
    extra: dict[str, Any] = {}
    if config_path is not None:
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(f"{config_path}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{config_path}: not valid TOML: {exc}") from None
        for key, value in data.items():
            if key in _FIELDS:
                values[key] = _coerce(key, value)
            else:
                extra[key] = value
    for name in _FIELDS:
        env_name = f"HUBTWIN_{name.upper()}"
        if env_name in env:
            values[name] = _coerce(name, env[env_name])
    for name, value in (overrides or {}).items():
        if value is None:
            continue
        if name not in _FIELDS:
            raise UsageError(f"unknown setting {name!r}")
        values[name] = _coerce(name, value)
    settings = Settings(**values, extra=extra)
    if settings.tick_hz < 1 or settings.tick_hz > 60:
        raise UsageError("tick_hz must be between 1 and 60")
    if settings.voice not in ("janus", "off"):
        raise UsageError(f"voice must be janus or off, not {settings.voice!r}")
    for url in settings.janus:
        if not url.startswith(("ws://", "wss://")):
            raise UsageError(
                f"--janus {url}: a Janus WebSocket address (ws://host:port/) is needed"
            )
    for name in ("trusted_proxies", "metrics_allow"):
        try:
            AddressSet.parse(getattr(settings, name))
        except ValueError as exc:
            raise UsageError(f"setting {name}: {exc}") from None
    return settings
