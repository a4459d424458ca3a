"""What the benchmarks share: their progress lines, and a fresh PostgreSQL database for each
run, created from an administration database and dropped at the end, whatever happens."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse, urlunparse

import asyncpg

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def say(line: str) -> None:
    """A progress line, on stderr: stdout keeps only the figures."""
    print(f"[bench] {line}", file=sys.stderr, flush=True)


def admin_url_option(parser: argparse.ArgumentParser, default: str = ADMIN_URL) -> None:
    parser.add_argument(
        "--admin-url",
        default=default,
        help="a database to connect to for CREATE/DROP DATABASE",
    )


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


async def admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def create_database(admin_url: str, kind: str) -> tuple[str, str]:
    """A new database `regie_bench_<kind>_<random>`: (name, url)."""
    name = f"regie_bench_{kind}_{uuid.uuid4().hex[:10]}"
    asyncio.run(admin(admin_url, f'CREATE DATABASE "{name}"'))
    return name, with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    asyncio.run(admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def project_database(admin_url: str, kind: str) -> Iterator[str]:
    """A fresh database that the project itself uses (REGIE_DATABASE_URL, read when the
    project is first imported), dropped at the end."""
    name, url = create_database(admin_url, kind)
    os.environ["REGIE_DATABASE_URL"] = url
    os.environ["PICCOLO_CONF"] = "regie.piccolo_conf"
    say(f"database {name}")
    try:
        yield url
    finally:
        drop_database(admin_url, name)
