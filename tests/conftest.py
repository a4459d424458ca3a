"""Test services: a database of the run's own and a broker.

The default run uses a SQLite file and the embedded broker. With REGIE_TEST_DATABASE_URL
(`postgresql://…`) the run creates its own database on that server and drops it at the end;
with REGIE_TEST_MQTT_URL it uses that broker (Mosquitto in CI).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

os.environ["PICCOLO_CONF"] = "regie.piccolo_conf"
_TMP = Path(tempfile.mkdtemp(prefix="regie-test-"))
os.environ["REGIE_DATA_DIR"] = str(_TMP)
_ADMIN_URL = os.environ.get("REGIE_TEST_DATABASE_URL", "")
_DB_NAME = f"regie_test_{uuid.uuid4().hex[:12]}"


def _with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{name}"))


async def _admin(statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_ADMIN_URL)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


if _ADMIN_URL.startswith(("postgres://", "postgresql://")):
    asyncio.run(_admin(f'CREATE DATABASE "{_DB_NAME}"'))
    os.environ["REGIE_DATABASE_URL"] = _with_database(_ADMIN_URL, _DB_NAME)
else:
    os.environ["REGIE_DATABASE_URL"] = f"sqlite:///{_TMP / 'test.db'}"


def pytest_report_header() -> list[str]:
    return [
        f"regie database: {os.environ['REGIE_DATABASE_URL']}",
        f"regie broker: {os.environ.get('REGIE_TEST_MQTT_URL') or 'embedded amqtt'}",
    ]


def pytest_unconfigure() -> None:
    if _ADMIN_URL.startswith(("postgres://", "postgresql://")):
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["REGIE_DATABASE_URL"]


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    from regie.core.database import migrate

    await migrate()
    return database_url


@pytest.fixture
async def db(migrated: str) -> str:
    """A migrated database with no rows left by an earlier test."""
    from regie.core.database import truncate_all

    await truncate_all()
    return migrated


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """The broker of this run: REGIE_TEST_MQTT_URL, or an embedded amqtt on a free port."""
    external = os.environ.get("REGIE_TEST_MQTT_URL")
    if external:
        yield external
        return
    from regie.broker import EmbeddedBroker

    broker = EmbeddedBroker().start()
    try:
        yield broker.url
    finally:
        broker.stop()
