"""`regie demo` from nothing: SQLite, embedded broker, simulator, ingest and the web app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from regie.broker import free_port


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_demo_ingests_live_readings_and_serves_them(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "REGIE_DATA_DIR": str(tmp_path),
        "REGIE_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "REGIE_INGEST_STATS_SECONDS": "1",
    }
    demo = subprocess.Popen(
        [sys.executable, "-m", "regie.cli", "demo", "--households", "20", "--rate", "40",
         "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        started = time.monotonic()
        assert demo.stdout is not None
        for line in demo.stdout:  # the worker prints its counters every second meanwhile
            if "ready in" in line:
                break
            assert time.monotonic() - started < 120, "the demo was not ready within 120 s"
        else:
            raise AssertionError(f"the demo exited with status {demo.wait()}")
        assert f"http://127.0.0.1:{port}/" in line
        readings = 0
        while time.monotonic() - started < 60 and readings == 0:
            time.sleep(1)
            try:
                readings = json.loads(fetch(f"http://127.0.0.1:{port}/api/ingest"))["readings"]
            except OSError:
                continue
        assert readings > 0, "no live reading stored within 60 s"
        page = fetch(f"http://127.0.0.1:{port}/status")
        assert "Santé de la collecte" in page
        assert 'src="/static/vendor/htmx-2.0.11.min.js"' in page
        script = fetch(f"http://127.0.0.1:{port}/static/vendor/htmx-2.0.11.min.js")
        assert script.startswith("var htmx=")
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
