"""Parts of a page written out once and shown again while what they were written from is the
very same: the read models that regie.web.memo keeps (one object until a data version they
depend on changes), the scalar inputs of the key, and the page's language. A fragment holds
nothing of the session (no CSRF token, no name): the page puts those around it."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from jinja2 import Environment
from litestar import Request
from markupsafe import Markup

from regie.web import i18n


class Fragment:
    def __init__(self, template: str, size: int = 256) -> None:
        self.template = template
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple[object, ...], Markup]] = OrderedDict()

    def render(
        self,
        request: Request[Any, Any, Any],
        key: Hashable,
        sources: tuple[object, ...],
        context: Callable[[], dict[str, Any]],
        keep: bool = True,
    ) -> Markup:
        """The template written out with `context()`, which must depend only on `key` and
        on `sources` (compared by identity: a kept read model is the same object); with
        `keep=False` (the context depends on more), written out and not kept."""
        lang = i18n.current.get()
        full = (key, lang)
        kept = self._kept.get(full) if keep else None
        if kept is not None and _same(kept[0], sources):
            self._kept.move_to_end(full)
            return kept[1]
        env: Environment = request.app.template_engine.engine  # type: ignore[union-attr]
        html = Markup(env.get_template(self.template).render(lang=lang, **context()))  # noqa: S704
        if not keep:
            return html
        self._kept[full] = (sources, html)  # the sources are held: their ids stay theirs
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return html

    async def render_async(
        self,
        request: Request[Any, Any, Any],
        key: Hashable,
        sources: tuple[object, ...],
        context: Callable[[], Awaitable[dict[str, Any]]],
        keep: bool = True,
    ) -> Markup:
        """`render` with a context that needs awaiting (computed only when written out)."""
        kept = self._kept.get((key, i18n.current.get())) if keep else None
        if kept is not None and _same(kept[0], sources):
            self._kept.move_to_end((key, i18n.current.get()))
            return kept[1]
        found = await context()
        return self.render(request, key, sources, lambda: found, keep)

    def clear(self) -> None:
        self._kept.clear()


def _same(kept: tuple[object, ...], sources: tuple[object, ...]) -> bool:
    return len(kept) == len(sources) and all(a is b for a, b in zip(kept, sources, strict=True))
