"""The machine a benchmark runs on: what it is, how busy it is, what a process costs.

Everything is read from ``/proc`` (Linux): a process's CPU time from ``/proc/<pid>/stat``
(utime + stime, so loopback TCP work done in its context counts too) and its memory from
``/proc/<pid>/status``; the per-core busy time from ``/proc/stat``. The machine is shared,
so a run waits for it to be quiet first (``wait_until_quiet``) and reports the *foreign*
load: busy time on all cores that none of our processes used.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from importlib import metadata

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PACKAGES = ("websockets", "picows", "uvloop", "aiohttp", "numpy", "scipy", "msgpack", "orjson")


def describe() -> dict[str, str]:
    """CPU model, cores, kernel, Python and the versions of the libraries that matter."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    model = line.partition(":")[2].strip()
                    break
    except OSError:
        pass
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libraries": ", ".join(versions),
    }


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def busy_s() -> float:
    """Busy CPU seconds of all cores so far, without interrupt time (as processes see it)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = stat.readline().split()
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + steal) / CLOCK_TICKS


@dataclass
class Meter:
    """CPU used between ``start`` and ``stop`` by our processes and by everyone else."""

    pids: dict[str, int]
    started: float = 0.0
    busy0: float = 0.0
    cpu0: dict[str, float] | None = None

    def start(self) -> None:
        self.started = time.monotonic()
        self.busy0 = busy_s()
        self.cpu0 = {name: process_cpu_s(pid) for name, pid in self.pids.items()}

    def stop(self) -> dict[str, float]:
        """Per process: % of one core; ``foreign``: % of one core used by other processes."""
        assert self.cpu0 is not None
        seconds = time.monotonic() - self.started
        used = {name: process_cpu_s(pid) - self.cpu0[name] for name, pid in self.pids.items()}
        foreign = busy_s() - self.busy0 - sum(used.values())
        out = {name: 100 * value / seconds for name, value in used.items()}
        out["foreign"] = max(0.0, 100 * foreign / seconds)
        out["seconds"] = seconds
        return out


def wait_until_quiet(
    threshold_pct: float = 15.0, hold_s: float = 2.0, max_wait_s: float = 60.0
) -> float:
    """Wait until all cores together are below ``threshold_pct`` of one core for ``hold_s``
    (at most ``max_wait_s``); returns the load of the last ``hold_s`` seconds (% of a core)."""
    deadline = time.monotonic() + max_wait_s
    while True:
        before = busy_s()
        time.sleep(hold_s)
        load = 100 * (busy_s() - before) / hold_s
        if load < threshold_pct or time.monotonic() >= deadline:
            return load
