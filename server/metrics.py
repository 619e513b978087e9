"""The realtime server's numbers, rendered in the Prometheus text format (``/metrics``).

``Metrics`` holds counters, gauges and the tick duration histogram; the transport counts
into it as things happen, and ``watch(core)`` makes every ``render()`` read the current
sessions and room occupancy from the hub core.

>>> metrics = Metrics()
>>> metrics.errors.inc("bad_frame")
>>> 'hubtwin_errors_total{code="bad_frame"} 1' in metrics.render()
True
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Family:
    kind = "untyped"

    def __init__(self, name: str, help_text: str, labels: Sequence[str] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labels = tuple(labels)
        self.values: dict[tuple[str, ...], float] = {}

    def _series(self, key: tuple[str, ...], suffix: str = "", extra: str = "") -> str:
        pairs = [f'{n}="{_escape(v)}"' for n, v in zip(self.labels, key, strict=True)]
        if extra:
            pairs.append(extra)
        inside = "{" + ",".join(pairs) + "}" if pairs else ""
        return f"{self.name}{suffix}{inside}"

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        values = self.values or ({} if self.labels else {(): 0.0})
        for key, value in sorted(values.items()):
            lines.append(f"{self._series(key)} {_number(value)}")
        return lines


class Counter(_Family):
    """A number that only goes up."""

    kind = "counter"

    def inc(self, *labels: str, by: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + by


class Gauge(_Family):
    """A number that goes up and down; ``replace`` sets all its series at once."""

    kind = "gauge"

    def set(self, value: float, *labels: str) -> None:
        self.values[labels] = value

    def replace(self, values: dict[tuple[str, ...], float]) -> None:
        self.values = dict(values)


class Histogram(_Family):
    """Observations counted into cumulative buckets."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Sequence[float]) -> None:
        super().__init__(name, help_text)
        self.bounds = sorted(buckets)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, count in zip([*self.bounds, math.inf], self.counts, strict=True):
            running += count
            le = 'le="' + _number(bound) + '"'
            lines.append(f"{self._series((), '_bucket', le)} {running}")
        lines.append(f"{self.name}_sum {_number(self.sum)}")
        lines.append(f"{self.name}_count {self.count}")
        return lines


class CoreGauges(Protocol):
    def gauges(self) -> dict[str, Any]: ...


TICK_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25)


class Metrics:
    """Everything ``/metrics`` shows about the realtime side."""

    def __init__(self) -> None:
        self.connections = Gauge("hubtwin_ws_connections", "Open WebSocket connections.")
        self.connections_total = Counter(
            "hubtwin_ws_connections_total", "WebSocket connections accepted."
        )
        self.sessions = Gauge(
            "hubtwin_sessions",
            "Sessions by state (connected, or away within the grace).",
            ["state"],
        )
        self.occupancy = Gauge(
            "hubtwin_room_occupancy", "People in a room instance.", ["room", "instance"]
        )
        self.waiting = Gauge(
            "hubtwin_room_waiting", "People queued for a room instance.", ["room", "instance"]
        )
        self.messages_in = Counter(
            "hubtwin_messages_received_total", "Messages received, by type.", ["type"]
        )
        self.messages_out = Counter(
            "hubtwin_messages_sent_total", "Frames sent, by kind (control or snapshot).", ["kind"]
        )
        self.bytes_in = Counter("hubtwin_bytes_received_total", "Bytes received on WebSockets.")
        self.bytes_out = Counter(
            "hubtwin_bytes_sent_total",
            "Payload bytes sent, by kind (control or snapshot).",
            ["kind"],
        )
        self.errors = Counter("hubtwin_errors_total", "Errors answered, by error code.", ["code"])
        self.snapshots_replaced = Counter(
            "hubtwin_snapshots_replaced_total",
            "Snapshots replaced before a slow connection could take them.",
        )
        self.tick_duration = Histogram(
            "hubtwin_tick_duration_seconds", "Time spent in one tick.", TICK_BUCKETS
        )
        self.tick_lag = Gauge("hubtwin_tick_lag_seconds", "How late the last tick started.")
        self.tick_rate = Gauge("hubtwin_tick_rate_hz", "Ticks per second achieved recently.")
        self._core: CoreGauges | None = None
        self._refreshers: list[Callable[[], None]] = []

    def watch(self, core: CoreGauges) -> None:
        """Read sessions and occupancy from ``core`` whenever the metrics are rendered."""
        self._core = core

    def on_render(self, refresh: Callable[[], None]) -> None:
        """Call ``refresh`` before each render (to update gauges kept elsewhere)."""
        self._refreshers.append(refresh)

    def _read_core(self) -> None:
        if self._core is None:
            return
        numbers = self._core.gauges()
        self.sessions.replace(
            {
                ("connected",): float(numbers["connected"]),
                ("away",): float(numbers["away"]),
            }
        )
        occupancy: dict[tuple[str, ...], float] = {}
        waiting: dict[tuple[str, ...], float] = {}
        for room, instance, people, queued in numbers["instances"]:
            occupancy[(room, str(instance))] = float(people)
            waiting[(room, str(instance))] = float(queued)
        self.occupancy.replace(occupancy)
        self.waiting.replace(waiting)

    def families(self) -> list[_Family]:
        return [
            self.connections,
            self.connections_total,
            self.sessions,
            self.occupancy,
            self.waiting,
            self.messages_in,
            self.messages_out,
            self.bytes_in,
            self.bytes_out,
            self.errors,
            self.snapshots_replaced,
            self.tick_duration,
            self.tick_lag,
            self.tick_rate,
        ]

    def render(self) -> str:
        """All metrics in the Prometheus text exposition format (version 0.0.4)."""
        for refresh in self._refreshers:
            refresh()
        self._read_core()
        lines: list[str] = []
        for family in self.families():
            lines += family.render()
        return "\n".join(lines) + "\n"
