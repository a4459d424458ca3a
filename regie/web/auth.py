"""Logging in and out, invitations, and the choice of language."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlparse

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from regie.core.accounts import AccountError, accept_invitation, authenticate
from regie.core.sessions import close_session, open_session
from regie.settings import get_settings
from regie.web import i18n
from regie.web.ratelimit import PER_ACCOUNT, PER_CLIENT
from regie.web.render import page
from regie.web.security import session_of, set_session_cookie

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def client_address(request: Request[Any, Any, Any]) -> str:
    """The peer address; `X-Forwarded-For` only from a trusted proxy (else anyone could
    spoof it to escape the per-client limit)."""
    peer = request.client.host if request.client else "unknown"
    trusted = get_settings().web.trusted_proxies
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and peer in trusted:
        return forwarded.split(",")[-1].strip()
    return peer


def home_of(request: Request[Any, Any, Any]) -> str:
    who = getattr(request.state, "identity", None)
    if who is None:
        return "/"
    if who.is_operator:
        return "/operator"
    if who.household_id is not None:
        return "/household"
    return "/committees"


class AuthController(Controller):
    path = "/"
    include_in_schema = False  # pages and forms: the JSON API is what the schema documents

    @get("/login", name="login")
    async def login_page(
        self, request: Request[Any, Any, Any], next: FromQuery[str] = ""
    ) -> Template:
        return await page(request, "auth/login.html", next=_local(next), error=None)

    @post("/login", name="login-post", status_code=200)
    async def login(self, request: Request[Any, Any, Any], data: Form) -> Any:
        login = data.get("login", "").strip().lower()
        client = client_address(request)
        if PER_ACCOUNT.blocked(login) or PER_CLIENT.blocked(client):
            return await page(
                request, "auth/login.html", next=_local(data.get("next", "")),
                error=i18n.gettext("Too many attempts. Try again in 15 minutes."),
            )  # fmt: skip
        who = await authenticate(login, data.get("password", ""))
        if who is None:
            PER_ACCOUNT.hit(login)
            PER_CLIENT.hit(client)
            return await page(
                request, "auth/login.html", next=_local(data.get("next", "")),
                error=i18n.gettext("Wrong login or password."),
            )  # fmt: skip
        PER_ACCOUNT.clear(login)
        old = session_of(request)
        if old is not None:
            await close_session(old.id)  # a new id at login: a planted cookie is worthless
        key, session = await open_session(who.id)
        request.state.session = session
        request.state.identity = who
        set_session_cookie(request, key)
        return Redirect(_local(data.get("next", "")) or home_of(request), status_code=303)

    @post("/logout", name="logout")
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        session = session_of(request)
        if session is not None:
            await close_session(session.id)
        set_session_cookie(request, None)
        return Redirect("/", status_code=303)

    @get("/invitation/{token:str}", name="invitation")
    async def invitation_page(
        self, request: Request[Any, Any, Any], token: FromPath[str]
    ) -> Template:
        return await page(request, "auth/invitation.html", token=token, error=None)

    @post("/invitation/{token:str}", name="invitation-post", status_code=200)
    async def accept(
        self, request: Request[Any, Any, Any], token: FromPath[str], data: Form
    ) -> Any:
        if data.get("password", "") != data.get("confirm", ""):
            return await page(
                request, "auth/invitation.html", token=token,
                error=i18n.gettext("The two passwords differ."),
            )  # fmt: skip
        try:
            await accept_invitation(token, data.get("password", ""))
        except AccountError as error:
            return await page(request, "auth/invitation.html", token=token, error=str(error))
        return Redirect("/login", status_code=303)

    @get("/lang/{code:str}", name="lang")
    async def lang(self, request: Request[Any, Any, Any], code: FromPath[str]) -> Redirect:
        target = _local(request.headers.get("referer", ""), request.headers.get("host")) or "/"
        response = Redirect(target, status_code=303)
        if code in i18n.LOCALES:
            response.set_cookie(i18n.LANG_COOKIE, code, samesite="lax", max_age=31536000)
        return response


def _local(url: str, host: str | None = None) -> str:
    """Only same-site paths as redirect targets (no open redirect)."""
    parts = urlparse(url)
    if parts.netloc and parts.netloc != host:
        return ""
    if not parts.path.startswith("/") or parts.path.startswith("//"):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")
