"""A Mosquitto process of the test's own, with the project's config, on a free loopback port:
for tests that stop or restart the broker, or need its queue settings."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import regie
from regie.broker import free_port

PROJECT_CONF = Path(regie.__file__).parent / "deploy" / "mosquitto.conf"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def have_mosquitto() -> bool:
    return Path(MOSQUITTO).exists()


class MosquittoProcess:
    def __init__(self) -> None:
        # Not under pytest's tmp_path: mosquitto started as root drops to its own user, which
        # must reach the folder to write its log and persistence file.
        folder = self.folder = Path(tempfile.mkdtemp(prefix="regie-mosquitto-"))
        folder.chmod(0o777)
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            PROJECT_CONF.read_text()
            + f"\nlistener {self.port} 127.0.0.1\npersistence_location {folder}/\n"
            + f"log_dest file {folder}/mosquitto.log\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> MosquittoProcess:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        """SIGTERM: Mosquitto writes its persistence file (sessions, queued messages) and exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
