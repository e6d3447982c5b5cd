"""What every response of the web worklist carries, and the checks every request passes.

- A strict Content-Security-Policy: nothing but this origin's styles and images, no script at
  all, no framing, forms posting only here; no referrer (a sign-in link never leaves in one),
  no sniffing, and no caching of a page with patients on it.
- The session cookie: HttpOnly, SameSite=Strict, Secure when staff reach the site over https,
  12 hours. Its holder is looked up at each request (`web_access.session_holder`), with the
  clinics they are staff of now.
- A CSRF token on every POST: derived from the session (`web_access.csrf_token`), compared in
  constant time.
Imports `bot.services`."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.guidance.config import Clinic
from bot.services import web_access
from bot.services.shared import Services

COOKIE = "aftercare_session"
SERVICES = web.AppKey("services", Services)
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, with the clinics they are staff of now."""

    telegram_id: int
    session_token: str
    clinics: tuple[Clinic, ...]

    @property
    def csrf(self) -> str:
        return web_access.csrf_token(self.session_token)

    def clinic(self, clinic_id: str | None) -> Clinic | None:
        """The clinic asked for (the first of theirs when none is named), None when not theirs."""
        if clinic_id is None:
            return self.clinics[0]
        return next((c for c in self.clinics if c.id == clinic_id), None)

    def is_admin(self, clinic: Clinic) -> bool:
        member = clinic.staff_member(self.telegram_id)
        return member is not None and member.role == "admin"


@web.middleware
async def secure_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and refusals carry the headers too
        error.headers.update(HEADERS)
        raise
    response.headers.update(HEADERS)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def viewer(request: web.Request) -> Viewer | None:
    services = request.app[SERVICES]
    token = request.cookies.get(COOKIE)
    telegram_id = web_access.session_holder(services, token)
    if telegram_id is None or token is None:
        return None
    return Viewer(telegram_id, token, tuple(services.staff_clinics(telegram_id)))


def set_session_cookie(response: web.StreamResponse, services: Services, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=web_access.SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=services.config.web.secure,
        path="/",
    )


def csrf_ok(seen: Viewer, form: Mapping[str, object]) -> bool:
    """The form carries the session's CSRF token (compared in constant time)."""
    given = form.get("csrf")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), seen.csrf.encode())
