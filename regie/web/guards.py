"""Who may reach what: checks that handlers call on every object, for pages and fragments
alike (never in templates)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from regie.core.accounts import Identity
from regie.web.security import identity_of


class NotAuthenticated(Exception):
    """No one is logged in: the shell sends the browser to the login page."""


class PermissionDenied(Exception):
    """Logged in, but this object is not theirs to see or change."""


def require_identity(request: Request[Any, Any, Any]) -> Identity:
    who = identity_of(request)
    if who is None:
        raise NotAuthenticated
    return who


def require_household(request: Request[Any, Any, Any]) -> Identity:
    who = require_identity(request)
    if who.household_id is None:
        raise PermissionDenied("this page is for households")
    return who


def require_operator(request: Request[Any, Any, Any]) -> Identity:
    who = require_identity(request)
    if not who.is_operator:
        raise PermissionDenied("this page is for the régie's operators")
    return who


def require_admin(request: Request[Any, Any, Any]) -> Identity:
    who = require_identity(request)
    if not who.is_admin:
        raise PermissionDenied("this page is for administrators")
    return who
