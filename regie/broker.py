"""The embedded MQTT broker (amqtt) for the one-command demo and the default test run.

Bound to 127.0.0.1 only, with only the anonymous-auth plugin loaded. It speaks MQTT 3.1.1 and
has no shared subscriptions: production, CI and benchmarks use Mosquitto.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from typing import Any

from amqtt.broker import Broker


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def broker_config(host: str, port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        # Only what it needs: anonymous clients on loopback, no $SYS, no packet logging.
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    """An amqtt broker running on its own event loop in a daemon thread."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="amqtt")
        self._broker: Broker | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self) -> EmbeddedBroker:
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        self._broker = Broker(broker_config(self.host, self.port), loop=self._loop)
        await self._broker.start()

    def stop(self) -> None:
        if self._broker is not None:
            broker = self._broker
            future = asyncio.run_coroutine_threadsafe(broker.shutdown(), self._loop)
            try:
                future.result(timeout=15)
            except Exception:
                logging.getLogger(__name__).warning("embedded broker did not stop cleanly")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
