"""``hubtwin accounts`` and ``hubtwin workshops`` with ``--redis``: what staff plan on the
command line lands in the shared store every process reads (a real redis-server), not in
a SQLite file of the machine they typed it on."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
from pathlib import Path
from unittest.mock import patch

from server.app.cli import main
from server.store.redis import RedisStore


def hubtwin(redis_url: str, data_dir: Path, group: str, *args: str, stdin: str = "") -> str:
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        patch.object(sys, "stdin", io.StringIO(stdin)),
    ):
        try:
            code = main([group, "--data-dir", str(data_dir), "--redis", redis_url, *args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_accounts_and_workshops_made_on_the_command_line_are_in_redis(
    redis_url: str, tmp_path: Path
) -> None:
    account = ["add", "mara", "--name", "Mara", "--role", "facilitator", "--password-stdin"]
    hubtwin(redis_url, tmp_path, "accounts", *account, stdin="ein-gutes-passwort\n")
    plan = ["add", "--title", "Klimabilanz", "--room", "workshop"]
    plan += ["--starts", "2031-03-05T10:00", "--minutes", "90", "--facilitator", "mara"]
    planned = hubtwin(redis_url, tmp_path, "workshops", *plan)
    workshop_id = planned.split()[1].rstrip(":")
    assert "Klimabilanz" in hubtwin(redis_url, tmp_path, "workshops", "list")

    async def read_back() -> None:
        store = await RedisStore.connect(redis_url, site="oekohub-dortmund")
        try:
            mara = await store.login("mara", "ein-gutes-passwort")
            assert mara is not None and mara.name == "Mara"
            (workshop,) = await store.list_workshops()
            assert workshop.id == workshop_id and workshop.title == "Klimabilanz"
        finally:
            await store.close()

    asyncio.run(read_back())
    assert not (tmp_path / "hub.sqlite3").exists(), "nothing went to a SQLite file"
