"""The composition root: the Litestar app with its templates, static files and controllers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import templates
from regie.core.database import engine
from regie.web.status import StatusController

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(templates.__file__).parent


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    db = engine()
    if db.engine_type == "postgres":
        await db.start_connection_pool()
    try:
        yield
    finally:
        if db.engine_type == "postgres":
            await db.close_connection_pool()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[StatusController, create_static_files_router("/static", [STATIC])],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        lifespan=[database_pool],
    )
