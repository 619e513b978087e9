"""Metrics in the Prometheus text format, from the hub's own registry."""

from __future__ import annotations

import prometheus_client
from prometheus_client.parser import text_string_to_metric_families
from realtime_harness import Harness
from realtime_world import box_world

from server.base.settings import Settings
from server.core.hub import HubCore
from server.net.metrics import Metrics


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_text_parses_and_keeps_the_names() -> None:
    metrics = Metrics()
    metrics.errors.labels("bad_frame").inc()
    metrics.tick_duration.observe(0.003)
    samples = _samples(metrics.render())
    assert samples[("hubtwin_errors_total", (("code", "bad_frame"),))] == 1
    assert samples[("hubtwin_tick_duration_seconds_count", ())] == 1
    assert samples[("hubtwin_ws_connections_total", ())] == 0
    assert not any(name.endswith("_created") for name, _ in samples)


def test_labels_are_escaped() -> None:
    metrics = Metrics()
    metrics.errors.labels('a"b\\c\nd').inc(2)
    text = metrics.render()
    assert 'hubtwin_errors_total{code="a\\"b\\\\c\\nd"} 2.0' in text
    assert _samples(text)[("hubtwin_errors_total", (("code", 'a"b\\c\nd'),))] == 2


def test_histogram_buckets_are_cumulative() -> None:
    metrics = Metrics()
    for value in (0.0004, 0.0005, 0.003, 0.05, 0.5):
        metrics.tick_duration.observe(value)
    samples = _samples(metrics.render())

    def bucket(le: str) -> float:
        return samples[("hubtwin_tick_duration_seconds_bucket", (("le", le),))]

    assert [bucket("0.0005"), bucket("0.005"), bucket("0.1"), bucket("+Inf")] == [2, 3, 4, 5]
    assert samples[("hubtwin_tick_duration_seconds_sum", ())] == sum(
        (0.0004, 0.0005, 0.003, 0.05, 0.5)
    )


def test_each_hub_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.connections.set(3)
    assert "hubtwin_ws_connections 3.0" in one.render()
    assert "hubtwin_ws_connections 0.0" in two.render()
    assert "hubtwin_ws_connections" not in prometheus_client.generate_latest().decode()


def test_watching_the_core_shows_sessions_and_occupancy() -> None:
    h = Harness(HubCore(box_world(), Settings(), seed=1))
    metrics = Metrics()
    metrics.watch(h.core)
    h.hello(1, "Ada", room="hall")
    h.hello(2, "Bob", room="hall")
    h.drop(2)
    text = metrics.render()
    assert 'hubtwin_room_occupancy{instance="0",room="hall"} 2.0' in text
    assert 'hubtwin_room_occupancy{instance="0",room="foyer"} 0.0' in text
    assert 'hubtwin_sessions{state="connected"} 1.0' in text
    assert 'hubtwin_sessions{state="away"} 1.0' in text
    assert 'hubtwin_room_waiting{instance="0",room="workshop"} 0.0' in text


def test_refreshers_run_before_rendering() -> None:
    metrics = Metrics()
    metrics.on_render(lambda: metrics.connections.set(7))
    assert "hubtwin_ws_connections 7.0" in metrics.render()
