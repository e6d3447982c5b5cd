"""Signing in from a /web link, and out.

GET /signin/<token> only shows a Sign in button (a link fetched by a preview or a scanner
signs no one in); its POST uses the link, once, and sets the session cookie. The token is
the one-time secret of that form, as the CSRF token is of every other.
Imports `bot.services`."""

from __future__ import annotations

from aiohttp import web

from bot.services import web_access
from bot.web.security import COOKIE, SERVICES, csrf_ok, set_session_cookie, signed_out_key, viewer
from bot.web.texts import notice, page


async def signin_form(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    token = request.match_info["token"]
    if not web_access.link_open(services, token):
        return notice(request, 410, "web_signin_invalid")
    return page(request, "signin.html", services.config.clinics[0], None, token=token)


async def signin(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    form = await request.post()
    token = form.get("token")
    session = web_access.sign_in(services, token) if isinstance(token, str) else None
    if session is None:
        return notice(request, 410, "web_signin_invalid")
    response = web.Response(status=303, headers={"Location": "/"})
    set_session_cookie(response, services, session)
    return response


async def signout(request: web.Request) -> web.Response:
    seen = viewer(request)
    if seen is None or seen.session_token is None:  # inside Telegram there is no session to end
        return notice(request, 401, signed_out_key(request))
    if not csrf_ok(seen, await request.post()):
        return notice(request, 403, "web_form_expired", seen)
    web_access.sign_out(request.app[SERVICES], seen.session_token)
    response = notice(request, 200, "web_signed_out")
    response.del_cookie(COOKIE, path="/")
    return response
