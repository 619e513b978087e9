"""Metrics in the Prometheus text format."""

from __future__ import annotations

import re

from realtime_harness import Harness
from realtime_world import box_world

from server.hub import HubCore
from server.metrics import Counter, Gauge, Histogram, Metrics
from server.settings import Settings

SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? ([0-9.e+-]+|\+Inf)$')


def test_every_line_is_a_comment_or_a_sample() -> None:
    metrics = Metrics()
    metrics.errors.inc("bad_frame")
    metrics.tick_duration.observe(0.003)
    for line in metrics.render().splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or SAMPLE.match(line), line


def test_counters_and_labels_are_escaped() -> None:
    counter = Counter("x_total", "help", ["room"])
    counter.inc('a"b\\c\nd', by=2)
    assert counter.render()[-1] == 'x_total{room="a\\"b\\\\c\\nd"} 2'


def test_unlabelled_families_show_zero_before_anything_happens() -> None:
    assert Counter("y_total", "help").render()[-1] == "y_total 0"
    assert Gauge("g", "help", ["a"]).render() == ["# HELP g help", "# TYPE g gauge"]


def test_histogram_buckets_are_cumulative() -> None:
    histogram = Histogram("t_seconds", "help", [0.001, 0.01, 0.1])
    for value in (0.0005, 0.001, 0.005, 0.05, 0.5):
        histogram.observe(value)
    lines = histogram.render()
    assert lines[2:] == [
        't_seconds_bucket{le="0.001"} 2',
        't_seconds_bucket{le="0.01"} 3',
        't_seconds_bucket{le="0.1"} 4',
        't_seconds_bucket{le="+Inf"} 5',
        "t_seconds_sum 0.5565",
        "t_seconds_count 5",
    ]


def test_watching_the_core_shows_sessions_and_occupancy() -> None:
    h = Harness(HubCore(box_world(), Settings(), seed=1))
    metrics = Metrics()
    metrics.watch(h.core)
    h.hello(1, "Ada", room="hall")
    h.hello(2, "Bob", room="hall")
    h.drop(2)
    text = metrics.render()
    assert 'hubtwin_room_occupancy{room="hall",instance="0"} 2' in text
    assert 'hubtwin_room_occupancy{room="foyer",instance="0"} 0' in text
    assert 'hubtwin_sessions{state="connected"} 1' in text
    assert 'hubtwin_sessions{state="away"} 1' in text
    assert 'hubtwin_room_waiting{room="workshop",instance="0"} 0' in text


def test_refreshers_run_before_rendering() -> None:
    metrics = Metrics()
    metrics.on_render(lambda: metrics.connections.set(7))
    assert "hubtwin_ws_connections 7" in metrics.render()
