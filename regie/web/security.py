"""Request security: the session of each request, CSRF and origin checks on every unsafe
request (forms and HTMX alike), security headers and cookies on every response."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from litestar import Request, Response
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from regie.core.accounts import Identity
from regie.core.sessions import Session, find_session_identity, open_session
from regie.settings import get_settings

COOKIE = "regie_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


class Forbidden(Exception):
    """An unsafe request without a valid CSRF token, or from another origin."""


def refuse(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The answer to a forged or cross-site unsafe request."""
    return Response(str(exc), status_code=403, media_type="text/plain")


def session_of(request: Request[Any, Any, Any]) -> Session | None:
    return getattr(request.state, "session", None)


def identity_of(request: Request[Any, Any, Any]) -> Identity | None:
    return getattr(request.state, "identity", None)


async def load_session(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """`before_request`: attach the session and identity, refuse forged unsafe requests."""
    web = get_settings().web
    request.state.session = None
    request.state.identity = None
    key = request.cookies.get(COOKIE)
    if key:
        idle = timedelta(minutes=web.session_idle_minutes)
        request.state.session, request.state.identity = await find_session_identity(key, idle)
    if request.method in SAFE_METHODS:
        return None
    problem = await _unsafe_request_problem(request)
    if problem:
        raise Forbidden(problem)  # a value returned here would be sent with the handler's status
    return None


async def _unsafe_request_problem(request: Request[Any, Any, Any]) -> str | None:
    origin = request.headers.get("origin")
    if origin and origin != "null" and not _same_origin(origin, request):
        return "refused: request from another origin"
    if request.headers.get("sec-fetch-site") not in (None, "same-origin", "none"):
        return "refused: cross-site request"
    session = session_of(request)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get("csrf_token")
    if session is None or not isinstance(sent, str) or not sent:
        return "refused: missing CSRF token (reload the page)"
    if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        return "refused: invalid CSRF token (reload the page)"
    return None


def _same_origin(origin: str, request: Request[Any, Any, Any]) -> bool:
    public = urlparse(get_settings().web.public_url)
    allowed = {f"{public.scheme}://{public.netloc}"}
    host = request.headers.get("host")
    if host:
        allowed.add(f"{request.url.scheme}://{host}")
    return origin in allowed


async def ensure_session(request: Request[Any, Any, Any]) -> Session:
    """The request's session, opening an anonymous one (for a form's CSRF token) if needed."""
    session = session_of(request)
    if session is None:
        key, session = await open_session(None)
        request.state.session = session
        request.state.set_session_cookie = key
    return session


def set_session_cookie(request: Request[Any, Any, Any], key: str | None) -> None:
    """Send a new session cookie with the response (None: delete the cookie)."""
    request.state.set_session_cookie = key if key is not None else ""


def cookie_header(key: str) -> str:
    web = get_settings().web
    parts = [f"{COOKIE}={key}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if not key:
        parts.append("Max-Age=0")
    if not web.development:
        parts.append("Secure")
    return "; ".join(parts)


class SecurityHeadersMiddleware(ASGIMiddleware):
    """Adds the security headers, and the session cookie a handler asked for."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in HEADERS.items():
                    headers[name] = value
                key = scope.get("state", {}).get("set_session_cookie")
                if key is not None:
                    headers.add("set-cookie", cookie_header(key))
                    headers["cache-control"] = "no-store"
            await send(message)

        await next_app(scope, receive, send_wrapper)
