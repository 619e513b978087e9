"""The realtime server's numbers for ``/metrics``, kept and rendered by ``prometheus_client``.

``Metrics`` owns one registry of its own (never the library's global one) with the
counters, gauges and the tick duration histogram; the transport counts into it as things
happen, and ``watch(core)`` makes every ``render()`` read the current sessions and room
occupancy from the hub core.

>>> metrics = Metrics()
>>> metrics.errors.labels("bad_frame").inc()
>>> 'hubtwin_errors_total{code="bad_frame"} 1.0' in metrics.render()
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

# a ``_created`` series beside every counter says nothing a scrape of this hub needs
prometheus_client.disable_created_metrics()


class CoreGauges(Protocol):
    def gauges(self) -> dict[str, Any]: ...


TICK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)


class _CoreCollector(Collector):
    """Sessions and room occupancy, read from the hub core at each scrape."""

    def __init__(self) -> None:
        self.core: CoreGauges | None = None

    def collect(self) -> Iterator[Metric]:
        sessions = GaugeMetricFamily(
            "hubtwin_sessions",
            "Sessions by state (connected, or away within the grace).",
            labels=["state"],
        )
        occupancy = GaugeMetricFamily(
            "hubtwin_room_occupancy", "People in a room instance.", labels=["room", "instance"]
        )
        waiting = GaugeMetricFamily(
            "hubtwin_room_waiting",
            "People queued for a room instance.",
            labels=["room", "instance"],
        )
        if self.core is not None:
            numbers = self.core.gauges()
            sessions.add_metric(["connected"], float(numbers["connected"]))
            sessions.add_metric(["away"], float(numbers["away"]))
            for room, instance, people, queued in numbers["instances"]:
                occupancy.add_metric([room, str(instance)], float(people))
                waiting.add_metric([room, str(instance)], float(queued))
        yield from (sessions, occupancy, waiting)


class _AcceptedConnections(Collector):
    """The connections accepted so far. Its name is the open-connections gauge's plus
    ``_total``, which ``prometheus_client``'s own counter refuses beside that gauge in one
    registry; the text format allows it, and the name is kept for existing dashboards."""

    def __init__(self) -> None:
        self.count = 0

    def inc(self) -> None:
        self.count += 1

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "hubtwin_ws_connections_total", "WebSocket connections accepted.", value=self.count
        )


class _Families(Collector):
    """Families another part of the hub makes at each scrape (e.g. voice's)."""

    def __init__(self, families: Callable[[], Iterable[Metric]]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families()


class Metrics:
    """Everything ``/metrics`` shows about the realtime side."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self._core = _CoreCollector()
        self.registry.register(self._core)
        registry = self.registry
        self.connections = Gauge(
            "hubtwin_ws_connections", "Open WebSocket connections.", registry=registry
        )
        self.connections_total = _AcceptedConnections()
        self.registry.register(self.connections_total)
        self.messages_in = Counter(
            "hubtwin_messages_received_total",
            "Messages received, by type.",
            ["type"],
            registry=registry,
        )
        self.messages_out = Counter(
            "hubtwin_messages_sent_total",
            "Frames sent, by kind (control or snapshot).",
            ["kind"],
            registry=registry,
        )
        self.bytes_in = Counter(
            "hubtwin_bytes_received_total", "Bytes received on WebSockets.", registry=registry
        )
        self.bytes_out = Counter(
            "hubtwin_bytes_sent_total",
            "Payload bytes sent, by kind (control or snapshot).",
            ["kind"],
            registry=registry,
        )
        self.errors = Counter(
            "hubtwin_errors_total", "Errors answered, by error code.", ["code"], registry=registry
        )
        self.snapshots_replaced = Counter(
            "hubtwin_snapshots_replaced_total",
            "Snapshots replaced before a slow connection could take them.",
            registry=registry,
        )
        self.tick_duration = Histogram(
            "hubtwin_tick_duration_seconds",
            "Time spent in one tick.",
            buckets=TICK_BUCKETS,
            registry=registry,
        )
        self.tick_lag = Gauge(
            "hubtwin_tick_lag_seconds", "How late the last tick started.", registry=registry
        )
        self.tick_rate = Gauge(
            "hubtwin_tick_rate_hz", "Ticks per second achieved recently.", registry=registry
        )
        self._refreshers: list[Callable[[], None]] = []

    def watch(self, core: CoreGauges) -> None:
        """Read sessions and occupancy from ``core`` whenever the metrics are rendered."""
        self._core.core = core

    def on_render(self, refresh: Callable[[], None]) -> None:
        """Call ``refresh`` before each render (to update gauges kept elsewhere)."""
        self._refreshers.append(refresh)

    def collect_from(self, families: Callable[[], Iterable[Metric]]) -> None:
        """Show the families ``families()`` makes, at every render, after the hub's own."""
        self.registry.register(_Families(families))

    def render(self) -> str:
        for refresh in self._refreshers:
            refresh()
        return prometheus_client.generate_latest(self.registry).decode()
