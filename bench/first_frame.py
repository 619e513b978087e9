"""From the click on "enter" to the hub's first drawn frame, in Debian's Chromium.

Starts ``hubtwin serve`` from a project folder (this one, or ``--root`` another checkout,
e.g. an older commit unpacked with ``git archive``) on a free port with a fresh data
folder, opens the start page in Chromium (SwiftShader WebGL, as in the browser tests),
types a name, clicks "enter" and polls the client's test hook until a frame of the hub has
been drawn (``drawCalls > 0``). Each run is a new browser context (nothing cached). It
prints, per run and as the median, the seconds from the click to that frame, and the
model's size, what the frame drew and the frame rate 3 s later.

    .venv/bin/python -m bench.first_frame
    .venv/bin/python -m bench.first_frame --root /tmp/before --runs 5
    .venv/bin/python -m bench.first_frame --mbps 25      # over a 25 Mbit/s connection

It never asserts a time: it reports. The machine's load shows in the figures; compare
runs made one after the other.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--no-sandbox",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 960, "height": 600}
FPS_AFTER_MS = 3000  # how long after the first frame the frame rate is read


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(root: Path, data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HUBTWIN_LOG_LEVEL": "warning", "PYTHONPATH": str(root)}
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from server.app.cli import main; sys.exit(main())",
                *("serve", "--port", str(port), "--data-dir", str(data_dir)),
            ],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _wait_healthy(url: str, process: subprocess.Popen[bytes], limit_s: float = 180.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"hubtwin serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"hubtwin serve not healthy after {limit_s:.0f} s")


def _one_visit(
    browser: object, url: str, name: str, mbps: float | None
) -> tuple[float, dict[str, float]]:
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        if mbps:
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {
                    "offline": False,
                    "latency": 30,
                    "downloadThroughput": mbps * 1e6 / 8,
                    "uploadThroughput": mbps * 1e6 / 8,
                },
            )
        page.goto(url)
        ready_by = time.perf_counter() + 60
        while not page.evaluate("window.hubtwin !== undefined"):  # no string eval: the CSP
            if time.perf_counter() > ready_by:
                raise SystemExit("the client did not start within 60 s")
            page.wait_for_timeout(20)
        page.fill("#display-name", name)
        started = time.perf_counter()
        page.locator("#enter-button").click()
        deadline = started + 120
        while True:
            state = page.evaluate("window.hubtwin.state()")
            if state["phase"] == "hub" and state["drawCalls"] > 0:
                seconds = time.perf_counter() - started
                # then the frame rate the visitor sees standing still (the client's own count)
                page.wait_for_timeout(FPS_AFTER_MS)
                return seconds, {
                    "drawCalls": state["drawCalls"],
                    "triangles": state["triangles"],
                    "fps": page.evaluate("window.hubtwin.state().fps"),
                }
            if time.perf_counter() > deadline:
                raise SystemExit("no frame within 120 s of the click")
            page.wait_for_timeout(10)
    finally:
        context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="project to serve")
    parser.add_argument("--runs", type=int, default=3, help="visits to time (default 3)")
    parser.add_argument(
        "--mbps", type=float, help="the browser's connection in Mbit/s, 30 ms away (default: none)"
    )
    args = parser.parse_args(argv)
    root = args.root.resolve()
    with tempfile.TemporaryDirectory(prefix="first-frame-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        process = _serve(root, data_dir, port, Path(tmp) / "server.log")
        try:
            _wait_healthy(url, process)
            model = data_dir / "world" / "hub.glb"
            size = model.stat().st_size if model.is_file() else 0
            packed = model.with_name(model.name + ".gz")
            sent = (
                f", sent gzipped: {packed.stat().st_size / 1e6:.2f} MB" if packed.is_file() else ""
            )
            link = f", connection {args.mbps:g} Mbit/s" if args.mbps else ""
            print(f"serving {root} (model {size / 1e6:.2f} MB{sent}{link})")
            times = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    _one_visit(browser, url, "Warm", None)  # the server's first answers, not timed
                    for run in range(args.runs):
                        seconds, frame = _one_visit(browser, url, f"Runner {run + 1}", args.mbps)
                        times.append(seconds)
                        print(
                            f"run {run + 1}: {seconds:.2f} s from the click to the first frame "
                            f"({frame['drawCalls']} draw calls, {frame['triangles']:,} triangles), "
                            f"then {frame['fps']} frames per second"
                        )
                finally:
                    browser.close()
            print(f"median {statistics.median(times):.2f} s, best {min(times):.2f} s")
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
