"""What every test process shares: its protocol table holds every feature's messages, as a
running hub's does (the composition root registers them before the hub starts,
``server/app/assembly.py``). Tests of the registration itself use features of their own."""

from __future__ import annotations

import pytest

from server.app.protocol_features import register_features


def pytest_configure(config: pytest.Config) -> None:
    register_features()
