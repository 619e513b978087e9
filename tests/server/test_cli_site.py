"""``--site`` in any place of a ``hubtwin`` command line, and the site a change went to."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from server.app.cli import main
from server.app.cli_site import announce_site, lift_site
from world.errors import UsageError

SITE_TOML = """
[site]
id = "kleiner-hub"

[branding]
short_name = "Kleiner Hub"
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--site", "/srv/a", "workshops", "list"],
        ["workshops", "--site", "/srv/a", "list"],
        ["workshops", "list", "--site", "/srv/a"],
        ["workshops", "list", "--site=/srv/a"],
    ],
)
def test_the_site_is_lifted_from_any_place(argv: list[str]) -> None:
    assert lift_site(argv) == (["workshops", "list"], Path("/srv/a"))


def test_lifting_leaves_everything_after_a_double_dash() -> None:
    assert lift_site(["talks", "add", "--", "--site"]) == (["talks", "add", "--", "--site"], None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["world", "build", "--site"], "--site needs a site folder"),
        (["world", "build", "--site", "--force"], "--site needs a site folder"),
        (["--site", "/a", "world", "build", "--site", "/b"], "--site given twice"),
    ],
)
def test_a_broken_site_option_is_one_line(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        lift_site(argv)


def test_a_command_without_a_site_refuses_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--site", str(tmp_path), "site", "new", str(tmp_path / "x"), "--name", "X"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err == "hubtwin: 'hubtwin site' uses no site folder: leave out --site"
    assert not (tmp_path / "x").exists()


def test_the_site_before_the_command_reaches_it_and_a_change_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    data = tmp_path / "data"
    # reading: the command reads the site given before it, and says nothing about changes
    code = main(["--site", str(site), "accounts", "--data-dir", str(data), "list"])
    assert code == 0
    assert "geändert" not in capsys.readouterr().err
    # changing: one line after the command's own output names the site it changed
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password 42\n"))
    add = ["add", "ada", "--name", "Ada", "--role", "staff", "--password-stdin"]
    code = main(["accounts", "--data-dir", str(data), *add, "--site", str(site)])
    assert code == 0
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == f"hubtwin: geändert / changed: Standort / site kleiner-hub (Kleiner Hub, {site})"
    # a change refused is its one line, naming no site
    code = main(["accounts", "--data-dir", str(data), "remove", "nobody", "--site", str(site)])
    err = capsys.readouterr().err.strip()
    assert code != 0 and "\n" not in err and "kleiner-hub" not in err


def test_quiet_keeps_the_change_line_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    changing = argparse.Namespace(command="offers", action="restore", site=site)
    announce_site(argparse.Namespace(**vars(changing), quiet=True))
    assert capsys.readouterr().err == ""
    announce_site(argparse.Namespace(**vars(changing), quiet=False))
    assert "kleiner-hub" in capsys.readouterr().err


def test_the_site_given_first_is_the_one_the_command_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-site"
    assert main(["--site", str(missing), "content", "check"]) != 0
    assert f"{missing}: site folder not found" in capsys.readouterr().err
