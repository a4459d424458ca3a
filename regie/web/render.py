"""Rendering: the whole page, or only the named block when HTMX asks for it."""

from __future__ import annotations

from typing import Any

from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import Request
from litestar.response import Template


def page(request: Request[Any, Any, Any], template: str, block: str, **context: Any) -> Template:
    """Every fragment URL also renders its full page: HTMX requests get `block` alone."""
    if request.headers.get("hx-request") == "true" and request.headers.get("hx-target") == block:
        return HTMXBlockTemplate(template_name=template, block_name=block, context=context)
    return Template(template_name=template, context=context)
