"""All settings, each read from one environment variable, built once by `get_settings()`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = field(
        default_factory=lambda: _env("REGIE_DATABASE_URL", f"sqlite:///{_data_dir() / 'regie.db'}")
    )
    """REGIE_DATABASE_URL: `sqlite:///path/to/file.db` (default: `$REGIE_DATA_DIR/regie.db`)
    or `postgresql://user:pass@host:5432/dbname`."""

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith(("postgres://", "postgresql://"))

    @property
    def sqlite_path(self) -> Path:
        if self.is_postgres:
            raise ValueError("not a SQLite database URL")
        return Path(self.url.removeprefix("sqlite:///").removeprefix("sqlite://"))


@dataclass(frozen=True)
class MqttSettings:
    url: str = field(default_factory=lambda: _env("REGIE_MQTT_URL", "mqtt://127.0.0.1:1883"))
    """REGIE_MQTT_URL: the broker, `mqtt://user:pass@host:port`."""
    client_id: str = field(default_factory=lambda: _env("REGIE_MQTT_CLIENT_ID", "regie-ingest-1"))
    """REGIE_MQTT_CLIENT_ID: fixed id of this ingest worker, so that its session (and the
    queue of messages the broker keeps for it while it is away) survives a restart."""
    shared_group: str = field(
        default_factory=lambda: _env("REGIE_MQTT_SHARED_GROUP", "regie-ingest")
    )
    """REGIE_MQTT_SHARED_GROUP: shared-subscription group (`$share/<group>/…`) so that several
    workers split the load; empty to subscribe plainly (brokers without MQTT 5)."""
    protocol: str = field(default_factory=lambda: _env("REGIE_MQTT_PROTOCOL", "auto"))
    """REGIE_MQTT_PROTOCOL: `5`, `3.1.1`, or `auto` (MQTT 5 when the broker accepts it)."""
    session_expiry: int = field(
        default_factory=lambda: int(_env("REGIE_MQTT_SESSION_EXPIRY", "604800"))
    )
    """REGIE_MQTT_SESSION_EXPIRY: seconds the broker keeps the worker's session and queue
    while it is disconnected (default one week)."""


@dataclass(frozen=True)
class IngestSettings:
    batch_size: int = field(default_factory=lambda: int(_env("REGIE_INGEST_BATCH", "10000")))
    """REGIE_INGEST_BATCH: readings per database write (a batch is also written after
    REGIE_INGEST_FLUSH_SECONDS, whichever comes first)."""
    flush_seconds: float = field(
        default_factory=lambda: float(_env("REGIE_INGEST_FLUSH_SECONDS", "1.0"))
    )
    """REGIE_INGEST_FLUSH_SECONDS: longest time a received reading waits before it is stored."""
    max_payload_bytes: int = field(
        default_factory=lambda: int(_env("REGIE_INGEST_MAX_PAYLOAD", "262144"))
    )
    """REGIE_INGEST_MAX_PAYLOAD: payloads larger than this many bytes are rejected."""
    future_tolerance_s: int = field(
        default_factory=lambda: int(_env("REGIE_INGEST_FUTURE_TOLERANCE", "300"))
    )
    """REGIE_INGEST_FUTURE_TOLERANCE: seconds a reading may lie in the future (clock skew)
    before it is rejected."""
    chirpstack_index_key: str = field(
        default_factory=lambda: _env("REGIE_CHIRPSTACK_INDEX_KEY", "index")
    )
    """REGIE_CHIRPSTACK_INDEX_KEY: key of the index in a ChirpStack uplink's decoded object."""
    chirpstack_unit_key: str = field(
        default_factory=lambda: _env("REGIE_CHIRPSTACK_UNIT_KEY", "unit")
    )
    """REGIE_CHIRPSTACK_UNIT_KEY: key of the unit in a ChirpStack uplink's decoded object."""
    stats_seconds: float = field(
        default_factory=lambda: float(_env("REGIE_INGEST_STATS_SECONDS", "10"))
    )
    """REGIE_INGEST_STATS_SECONDS: how often `regie ingest` prints its counters."""


@dataclass(frozen=True)
class WebSettings:
    host: str = field(default_factory=lambda: _env("REGIE_HOST", "127.0.0.1"))
    """REGIE_HOST: address the web app listens on."""
    port: int = field(default_factory=lambda: int(_env("REGIE_PORT", "8000")))
    """REGIE_PORT: port of the web app."""
    public_url: str = field(
        default_factory=lambda: _env("REGIE_PUBLIC_URL", "http://127.0.0.1:8000")
    )
    """REGIE_PUBLIC_URL: the address people reach the app at (invitation links, Origin check)."""
    development: bool = field(
        default_factory=lambda: _env("REGIE_DEVELOPMENT", "0").lower() in ("1", "true", "yes")
    )
    """REGIE_DEVELOPMENT: `1` drops the `Secure` flag of cookies (plain-HTTP demo and tests);
    never set it in production."""
    session_idle_minutes: int = field(
        default_factory=lambda: int(_env("REGIE_SESSION_IDLE_MINUTES", "60"))
    )
    """REGIE_SESSION_IDLE_MINUTES: a session unused this long is dead."""
    workers: int = field(default_factory=lambda: int(_env("REGIE_WEB_WORKERS", "1")))
    """REGIE_WEB_WORKERS: processes serving the web app (one per core uses the machine; each
    keeps its own caches and login rate-limit window)."""
    trusted_proxies: tuple[str, ...] = field(
        default_factory=lambda: tuple(
            p for p in _env("REGIE_TRUSTED_PROXIES", "").replace(",", " ").split() if p
        )
    )
    """REGIE_TRUSTED_PROXIES: addresses of reverse proxies whose `X-Forwarded-For` is believed
    (for the login rate limit); empty: the peer address is the client."""


@dataclass(frozen=True)
class MailSettings:
    url: str = field(default_factory=lambda: _env("REGIE_SMTP_URL", ""))
    """REGIE_SMTP_URL: the SMTP server of the daily notification digest, e.g.
    `smtp://user:pass@mail.example.org:587?starttls=1` or `smtps://host:465`; empty (the
    default) sends no email, and notifications stay in the app."""
    sender: str = field(default_factory=lambda: _env("REGIE_SMTP_FROM", ""))
    """REGIE_SMTP_FROM: the digest's From address (default `regie@<smtp host>`)."""

    @property
    def enabled(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: _data_dir())
    """REGIE_DATA_DIR: folder for the SQLite database and other local state (default `./data`)."""
    timezone: str = field(default_factory=lambda: _env("REGIE_TIMEZONE", "Europe/Paris"))
    """REGIE_TIMEZONE: the régie's time zone; days of usage and bills run from midnight to
    midnight here."""
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    mqtt: MqttSettings = field(default_factory=MqttSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    web: WebSettings = field(default_factory=WebSettings)
    mail: MailSettings = field(default_factory=MailSettings)


def _data_dir() -> Path:
    return Path(_env("REGIE_DATA_DIR", "data"))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return Settings()
