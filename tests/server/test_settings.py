"""Settings: defaults that run, TOML file, environment, flags, bad values."""

from __future__ import annotations

import logging
from pathlib import Path

import orjson
import pytest

from server.base.logs import JsonLineFormatter
from server.base.settings import load_settings
from world.errors import InputFileError, UsageError
from world.site import DEFAULT_SITE, load_site


def test_defaults_serve_the_dortmund_hub_locally() -> None:
    settings = load_settings(environ={})
    assert settings.site == DEFAULT_SITE
    assert settings.http_url() == "http://127.0.0.1:8080/"
    assert settings.resolved_data_dir.name == "oekohub-dortmund"
    assert settings.tick_hz == 20


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text('http_port = 9000\nws_port = 9001\ntick_hz = 10\nbranding_note = "x"\n')
    settings = load_settings(
        {"ws_port": 7001},
        environ={"HUBTWIN_CONFIG": str(config), "HUBTWIN_TICK_HZ": "15"},
    )
    assert (settings.http_port, settings.ws_port, settings.tick_hz) == (9000, 7001, 15)
    assert settings.extra == {"branding_note": "x"}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUBTWIN_HTTP_PORT": "eighty"}, "http_port"),
        ({"HUBTWIN_TICK_HZ": "500"}, "tick_hz"),
        ({"HUBTWIN_CONFIG": "/nonexistent/hub.toml"}, "config file not found"),
    ],
)
def test_bad_values_are_usage_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        load_settings(environ=environ)


def test_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": tmp_path}, environ={})
    first = settings.ensure_secret()
    again = load_settings({"data_dir": tmp_path}, environ={}).ensure_secret()
    assert first == again and len(first) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0


def test_site_folder_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="site folder not found"):
        load_site(tmp_path / "nope")
    with pytest.raises(InputFileError, match=r"site\.toml not found"):
        load_site(tmp_path)
    (tmp_path / "site.toml").write_text("[site\n")
    with pytest.raises(InputFileError, match="not valid TOML"):
        load_site(tmp_path)
    (tmp_path / "site.toml").write_text('[site]\nid = "x"\n[branding]\nname = { de = "Nur" }\n')
    with pytest.raises(InputFileError, match="missing translation for en"):
        load_site(tmp_path)


def test_default_site_has_branding_in_both_languages() -> None:
    site = load_site()
    assert site.id == "oekohub-dortmund"
    assert set(site.branding.name) == {"de", "en"}
    assert site.file("logo.svg").is_file()
    with pytest.raises(InputFileError, match="leaves the site folder"):
        site.file("../../pyproject.toml")


def test_log_lines_are_json_with_extra_fields() -> None:
    record = logging.LogRecord("hubtwin.x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.room = "foyer"
    line = orjson.loads(JsonLineFormatter().format(record))
    assert line["msg"] == "hello you"
    assert line["room"] == "foyer"
    assert line["level"] == "info"
