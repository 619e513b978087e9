"""The browser's drift rule (web-client/js/talks/drift.js) against the server's reference
(server/domain/playback.py): same decisions, same rates, same expected positions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from playwright.sync_api import Page
from test_client_modules import page, run  # noqa: F401  (the module-scoped page fixture)

from server.domain.playback import correct_drift, expected_position

pytestmark = pytest.mark.e2e

ERRORS_S = [-3.0, -1.01, -0.99, -0.3, -0.2, -0.05, -0.04, -0.01, 0.0, 0.03, 0.041, 0.1, 0.6, 1.5]


def test_the_drift_rule_matches_the_server(page: Page) -> None:  # noqa: F811
    cases: list[dict[str, Any]] = [
        {"expected": 50.0, "actual": 50.0 + error, "rate": rate, "playing": playing}
        for error, rate, playing in itertools.product(ERRORS_S, (0.5, 1.0, 1.5), (True, False))
    ]
    browser = run(
        page,
        "talks/drift.js",
        "arg.map((c) => m.correctDrift(c.expected, c.actual, { rate: c.rate,"
        " playing: c.playing }))",
        cases,
    )
    for case, step in zip(cases, browser, strict=True):
        reference = correct_drift(
            case["expected"], case["actual"], rate=case["rate"], playing=case["playing"]
        )
        assert step["action"] == reference.action, case
        assert step["playbackRate"] == pytest.approx(reference.playback_rate), case
        assert step["seekTo"] == reference.seek_to, case


def test_expected_position_matches_the_server(page: Page) -> None:  # noqa: F811
    states = [
        {"position": 10.0, "playing": True, "server_time": 100.0, "rate": 1.25, "duration": 60.0},
        {"position": 10.0, "playing": False, "server_time": 100.0, "rate": 1.0, "duration": 60.0},
        {"position": 58.0, "playing": True, "server_time": 100.0, "rate": 2.0, "duration": 60.0},
    ]
    moments = [99.0, 100.0, 104.5, 200.0]
    cases: list[dict[str, Any]] = [{"state": s, "now": now} for s in states for now in moments]
    browser = run(
        page, "talks/drift.js", "arg.map((c) => m.expectedPosition(c.state, c.now))", cases
    )
    for case, position in zip(cases, browser, strict=True):
        assert position == pytest.approx(expected_position(case["state"], case["now"])), case
