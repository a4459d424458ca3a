"""A fragment is written out again as soon as one of its read models is a new object, or the
language or the key differs; otherwise the very same HTML is shown."""

from __future__ import annotations

from types import SimpleNamespace

from jinja2 import DictLoader, Environment

from regie.web import i18n
from regie.web.fragments import Fragment


def test_a_fragment_is_kept_while_its_sources_are_the_same_objects() -> None:
    env = Environment(loader=DictLoader({"f.html": "{{ lang }}:{{ rows|join(',') }}"}))
    env.autoescape = True
    request = SimpleNamespace(app=SimpleNamespace(template_engine=SimpleNamespace(engine=env)))
    fragment = Fragment("f.html", size=2)
    rows = ["a", "<b>"]
    renders = []

    def context() -> dict[str, object]:
        renders.append(1)
        return {"rows": rows}

    first = fragment.render(request, 1, (rows,), context)  # type: ignore[arg-type]
    assert first == "fr:a,&lt;b&gt;"
    assert fragment.render(request, 1, (rows,), context) is first  # type: ignore[arg-type]
    assert len(renders) == 1

    rows = ["a", "<b>"]  # equal, but a new read model: written out again
    assert fragment.render(request, 1, (rows,), context) == first  # type: ignore[arg-type]
    assert len(renders) == 2

    token = i18n.current.set("en")
    try:
        assert fragment.render(request, 1, (rows,), context) == "en:a,&lt;b&gt;"  # type: ignore[arg-type]
    finally:
        i18n.current.reset(token)
    assert fragment.render(request, 2, (rows,), context) == first  # type: ignore[arg-type]
    assert len(renders) == 4
