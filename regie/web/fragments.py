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
        found = self._find(key, sources) if keep else None
        if found is None:
            found = self._write(request, key, sources, context(), keep)
        return found

    async def render_async(
        self,
        request: Request[Any, Any, Any],
        key: Hashable,
        sources: tuple[object, ...],
        context: Callable[[], Awaitable[dict[str, Any]]],
        keep: bool = True,
    ) -> Markup:
        """`render` with a context that needs awaiting (computed only when written out)."""
        found = self._find(key, sources) if keep else None
        if found is None:
            found = self._write(request, key, sources, await context(), keep)
        return found

    def _find(self, key: Hashable, sources: tuple[object, ...]) -> Markup | None:
        full = (key, i18n.current.get())
        kept = self._kept.get(full)
        if kept is None or not _same(kept[0], sources):
            return None
        self._kept.move_to_end(full)
        return kept[1]

    def _write(
        self,
        request: Request[Any, Any, Any],
        key: Hashable,
        sources: tuple[object, ...],
        context: dict[str, Any],
        keep: bool,
    ) -> Markup:
        lang = i18n.current.get()
        html = Markup(environment(request).get_template(self.template).render(lang=lang, **context))  # noqa: S704
        if keep:
            self._kept[(key, lang)] = (sources, html)  # the sources are held: ids stay theirs
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return html

    def clear(self) -> None:
        self._kept.clear()


def _same(kept: tuple[object, ...], sources: tuple[object, ...]) -> bool:
    return len(kept) == len(sources) and all(a is b for a, b in zip(kept, sources, strict=True))


def environment(request: Request[Any, Any, Any]) -> Environment:
    """The app's Jinja environment, for parts written out apart from a page."""
    return request.app.template_engine.engine  # type: ignore[union-attr]
