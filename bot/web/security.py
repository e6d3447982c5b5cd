"""What every response of the web worklist carries, and the checks every request passes.

- A strict Content-Security-Policy: nothing but this origin's styles and images, no script at
  all, no framing, forms posting only here; no referrer (a sign-in link never leaves in one),
  no sniffing, and no caching of a page with patients on it.
- The session cookie: HttpOnly, SameSite=Strict, Secure when staff reach the site over https,
  12 hours. Its holder is looked up at each request (`web_access.session_holder`), with the
  clinics they are staff of now.
- A CSRF token on every POST: derived from the session (`web_access.csrf_token`), compared in
  constant time.
- Inside Telegram (a Mini App, `/app`), no cookie: each request carries Telegram's signed
  initData in a header instead (`telegram_login.check_init_data`, fresh `auth_date`), and its
  user is scoped as a session's holder is, to the clinics they are staff of now. Those responses
  carry `mini_app_policy()`, which lets Telegram's web clients frame them.
Imports `bot.services`."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiohttp import web

from bot.guidance.config import Clinic
from bot.services import web_access
from bot.services.shared import Services
from bot.web.mini_app_csp import mini_app_policy
from bot.web.telegram_login import check_init_data

log = logging.getLogger(__name__)

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
INIT_DATA_HEADER = "X-Telegram-Init-Data"
MINI_APP_HEADERS = {**HEADERS, "Content-Security-Policy": mini_app_policy()}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, with the clinics they are staff of now."""

    telegram_id: int
    session_token: str | None  # None: signed in by a Mini App's initData, for this request alone
    clinics: tuple[Clinic, ...]

    @property
    def csrf(self) -> str:
        return web_access.csrf_token(self.session_token) if self.session_token else ""

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
    headers = MINI_APP_HEADERS if in_mini_app(request) else HEADERS
    try:
        response = await handler(request)
    except web.HTTPException as error:  # redirects and refusals carry the headers too
        error.headers.update(headers)
        raise
    response.headers.update(headers)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def in_mini_app(request: web.Request) -> bool:
    return INIT_DATA_HEADER in request.headers or request.path == web_access.MINI_APP_PATH


def signed_out_key(request: web.Request) -> str:
    """What a refused visitor is told: inside Telegram, to open the Mini App again."""
    return "web_mini_app_refused" if in_mini_app(request) else "web_signed_out"


def viewer(request: web.Request) -> Viewer | None:
    """Who is asking: by initData when the request carries it (the cookie is then not looked
    at), else by the session cookie."""
    services = request.app[SERVICES]
    if INIT_DATA_HEADER in request.headers:
        return _mini_app_viewer(services, request.headers[INIT_DATA_HEADER])
    token = request.cookies.get(COOKIE)
    telegram_id = web_access.session_holder(services, token)
    if telegram_id is None or token is None:
        return None
    return Viewer(telegram_id, token, tuple(services.staff_clinics(telegram_id)))


def _mini_app_viewer(services: Services, init_data: str) -> Viewer | None:
    verdict = check_init_data(init_data, services.delivery.bot.token, services.now())
    if verdict.user_id is None:
        log.info("mini app request refused: %s", verdict.refusal)  # the reason, never who
        return None
    clinics = tuple(services.staff_clinics(verdict.user_id))
    if not clinics:
        log.info("mini app request refused: not staff")
        return None
    return Viewer(verdict.user_id, None, clinics)


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
    """The form carries the session's CSRF token (compared in constant time). A request signed
    in by initData needs none: forgery rides on a credential the browser adds by itself (a
    cookie), and initData is no such thing. It travels in a header only our page's script sets;
    another site cannot make a browser send it (a cross-origin request with a custom header
    needs a CORS preflight, which this server never grants) and cannot read it."""
    if seen.session_token is None:
        return True
    given = form.get("csrf")
    return isinstance(given, str) and hmac.compare_digest(given.encode(), seen.csrf.encode())
