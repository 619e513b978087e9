"""``hubtwin accounts`` as a person runs it: real process, exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def hubtwin(data_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.app.cli", "accounts", "--data-dir", str(data_dir), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_add_and_list(tmp_path: Path) -> None:
    made = hubtwin(
        tmp_path,
        "add",
        "mara",
        "--name",
        "Mara M.",
        "--role",
        "staff",
        "--password-stdin",
        stdin="ein-gutes-passwort\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created staff account 'mara'" in made.stdout
    listed = hubtwin(tmp_path, "list")
    assert "mara" in listed.stdout and "staff" in listed.stdout and "Mara M." in listed.stdout


def test_duplicate_short_password_and_bad_name_are_one_line_errors(tmp_path: Path) -> None:
    hubtwin(tmp_path, "add", "mara", "--name", "Mara", "--password-stdin", stdin="ein-gutes-pw\n")
    cases = [
        (("add", "mara", "--name", "Mara", "--password-stdin"), "ein-gutes-pw\n", "exists already"),
        (("add", "kim", "--name", "Kim", "--password-stdin"), "kurz\n", "at least"),
        (("add", "kim", "--name", "", "--password-stdin"), "ein-gutes-pw\n", "display name"),
        (("add", "k i m", "--name", "Kim", "--password-stdin"), "ein-gutes-pw\n", "username"),
    ]
    for args, stdin, message in cases:
        result = hubtwin(tmp_path, *args, stdin=stdin)
        assert result.returncode != 0
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
