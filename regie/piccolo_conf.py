"""Piccolo configuration: the engine comes from REGIE_DATABASE_URL, the apps from each package."""

from __future__ import annotations

from urllib.parse import unquote, urlparse

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from regie.settings import get_settings


def make_engine(url: str) -> Engine:
    """An engine for a `sqlite:///…` or `postgresql://…` URL."""
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlparse(url)
        config = {
            "host": parts.hostname or "127.0.0.1",
            "port": parts.port or 5432,
            "database": parts.path.lstrip("/") or "regie",
            "user": unquote(parts.username) if parts.username else "postgres",
        }
        if parts.password:
            config["password"] = unquote(parts.password)
        return PostgresEngine(config=config)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:///").removeprefix("sqlite://")
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A generous busy timeout: the ingest worker and the web app share one file.
        return SQLiteEngine(path=path, timeout=30)
    raise ValueError(f"REGIE_DATABASE_URL must start with sqlite:/// or postgresql://, got {url!r}")


DB = make_engine(get_settings().database.url)

APP_REGISTRY = AppRegistry(
    apps=[
        "regie.piccolo_app",
        "metering.piccolo_app",
        "tariffs.piccolo_app",
        "committees.piccolo_app",
        "metering.regulation.piccolo_app",
    ]
)
