"""A fast MQTT 3.1.1 publisher for the simulator and the benchmarks.

paho's publisher, with its network thread and small in-flight window, was the bottleneck when
we measured ingest: this one writes QoS 1 PUBLISH packets straight to the socket, keeps up to
`window` of them unacknowledged and reads PUBACKs as they come.
"""

from __future__ import annotations

import select
import socket
import struct

from metering.mqtt import BrokerAddress


def _length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(raw)) + raw


class FastPublisher:
    """QoS 1 publisher with a large in-flight window; `close()` waits for every PUBACK."""

    def __init__(self, address: BrokerAddress, client_id: str, window: int = 20_000) -> None:
        if not 0 < window < 65_535:
            raise ValueError("window must be between 1 and 65534")
        self.window = window
        self.sock = socket.create_connection((address.host, address.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        flags = 0x02  # clean session: the publisher keeps nothing
        payload = _string(client_id)
        if address.username:
            flags |= 0x80
            payload += _string(address.username)
            if address.password:
                flags |= 0x40
                payload += _string(address.password)
        # Keep-alive off: a paced publisher may wait longer than any keep-alive between sends.
        variable = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 0)
        body = variable + payload
        self.sock.sendall(b"\x10" + _length(len(body)) + body)
        connack = self._read_exact(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the publisher: {connack!r}")
        self.next_id = 1
        self.unacked = 0
        self.published = 0
        self._buffer = bytearray()
        self._pending = b""

    def publish(self, topic: str, payload: bytes) -> None:
        body = _string(topic) + struct.pack("!H", self.next_id) + payload
        self._buffer += b"\x32" + _length(len(body)) + body
        self.next_id = self.next_id % 65_535 + 1
        self.unacked += 1
        self.published += 1
        if len(self._buffer) > 256 * 1024:
            self._send()
        while self.unacked >= self.window:
            self._send()
            self._read_acks(block=True)

    def _send(self) -> None:
        if self._buffer:
            self.sock.sendall(self._buffer)
            self._buffer.clear()
        self._read_acks(block=False)

    def _read_acks(self, block: bool) -> None:
        ready, _, _ = select.select([self.sock], [], [], 30 if block else 0)
        if not ready:
            if block:
                raise TimeoutError("no PUBACK from the broker for 30 s")
            return
        data = self._pending + self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("broker closed the connection")
        whole = len(data) - len(data) % 4  # PUBACK is exactly 4 bytes in MQTT 3.1.1
        for i in range(0, whole, 4):
            if data[i] == 0x40:
                self.unacked -= 1
        self._pending = data[whole:]

    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def close(self, timeout: float = 60) -> None:
        """Send what is buffered, wait for every acknowledgement, disconnect."""
        self._send()
        while self.unacked > 0:
            self._read_acks(block=True)
        self.sock.sendall(b"\xe0\x00")
        self.sock.close()
