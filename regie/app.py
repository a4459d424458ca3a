"""The composition root: the Litestar app with its templates, static files, security hooks,
controllers and error pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.exceptions import NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

import templates
from regie.core.database import engine
from regie.web import chart_html, i18n, labels
from regie.web.api import HouseholdApiController
from regie.web.auth import AuthController
from regie.web.committees import CommitteeController
from regie.web.committees_cases import CommitteeCaseController
from regie.web.committees_proposals import ProposalController
from regie.web.evaluations import EvaluationController
from regie.web.guards import NotAuthenticated, PermissionDenied
from regie.web.households import HouseholdController
from regie.web.operators import OperatorController
from regie.web.operators_billing import OperatorBillingController
from regie.web.operators_cases import OperatorCaseController
from regie.web.operators_costs import OperatorCostController
from regie.web.operators_tariffs import OperatorTariffController
from regie.web.public import PublicController
from regie.web.public_api import PublicApiController
from regie.web.security import Forbidden, SecurityHeadersMiddleware, load_session, refuse
from regie.web.status import StatusController

STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(templates.__file__).parent


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    db = engine()
    if db.engine_type == "postgres":
        # No RESET ALL / UNLISTEN / unlock at each release: the app uses none of what they
        # undo (only SET LOCAL, no LISTEN, no advisory lock), and it cost a third of a page's
        # database time when measured.
        await db.start_connection_pool(reset=_no_reset)  # type: ignore[call-arg]
    try:
        yield
    finally:
        if db.engine_type == "postgres":
            await db.close_connection_pool()


async def _no_reset(connection: Any) -> None:
    return None


async def before_request(request: Request[Any, Any, Any]) -> Response[Any] | None:
    i18n.current.set(
        i18n.choose(request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language"))
    )
    return await load_session(request)


def to_login(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    target = f"/login?next={request.url.path}"
    if request.headers.get("hx-request") == "true":
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def forbidden(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return Template(
        template_name="errors/forbidden.html",
        context={"reason": str(exc), "who": getattr(request.state, "identity", None),
                 "csrf_token": "", "lang": i18n.current.get(), "path": request.url.path},
        status_code=403,
    )  # fmt: skip


def not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if request.url.path.startswith("/api/"):
        return Response({"status_code": 404, "detail": str(exc) or "Not Found"}, status_code=404)
    return Template(
        template_name="errors/not_found.html",
        context={"who": getattr(request.state, "identity", None), "csrf_token": "",
                 "lang": i18n.current.get(), "path": request.url.path},
        status_code=404,
    )  # fmt: skip


def configure_templates(engine: JinjaTemplateEngine) -> None:
    # Templates ship with the package: no stat of each file at each page to see if it changed.
    engine.engine.auto_reload = False
    i18n.configure(engine.engine)
    labels.configure(engine.engine)
    chart_html.configure(engine.engine)


def controllers() -> list[Any]:
    return [
        AuthController,
        StatusController,
        OperatorController,
        OperatorTariffController,
        OperatorBillingController,
        OperatorCostController,
        OperatorCaseController,
        HouseholdController,
        HouseholdApiController,
        PublicController,
        PublicApiController,
        CommitteeController,
        ProposalController,
        CommitteeCaseController,
        EvaluationController,
    ]


def create_app(*, pool: bool = True) -> Litestar:
    """The app; `pool=False` leaves PostgreSQL to a connection per query (tests, whose client
    runs the app on an event loop of its own)."""
    return Litestar(
        route_handlers=[*controllers(), create_static_files_router("/static", [STATIC])],
        template_config=TemplateConfig(
            directory=TEMPLATES,
            engine=JinjaTemplateEngine,
            engine_callback=configure_templates,
        ),
        before_request=before_request,
        middleware=[SecurityHeadersMiddleware()],
        exception_handlers={
            Forbidden: refuse,
            NotAuthenticated: to_login,
            PermissionDenied: forbidden,
            NotFoundException: not_found,
        },
        lifespan=[database_pool] if pool else [],
    )
