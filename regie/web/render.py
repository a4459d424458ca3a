"""Rendering: the whole page, or only the named block when HTMX asks for it; every page gets
the person logged in, the CSRF token and the language."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.response import Template

from regie.web import i18n
from regie.web.security import ensure_session, identity_of


async def page(
    request: Request[Any, Any, Any], template: str, block: str | None = None, **context: Any
) -> Template:
    """Every fragment URL also renders its full page: HTMX requests for `block` get it alone."""
    session = await ensure_session(request)
    context.update(
        who=identity_of(request),
        csrf_token=session.csrf_token,
        lang=i18n.current.get(),
        path=request.url.path,
    )
    wanted = request.headers.get("hx-target")
    # One URL answers a full page or a fragment: caches must keep them apart.
    vary = {"Vary": "HX-Request, HX-Target"}
    if block and request.headers.get("hx-request") == "true" and wanted == block:
        return HTMXBlockTemplate(
            template_name=template, block_name=block, context=context, headers=vary
        )
    return Template(template_name=template, context=context, headers=vary)
