"""Pages from templates, with every text a guidance message in the clinic's language.

A guidance message is Telegram HTML (escaped values, <b>/<i>/<u>/<s>/<code> only), which is
also valid HTML: templates take it as markup; everything else Jinja2 escapes.
Imports `bot.render` and `bot.services`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from bot.guidance.config import Clinic
from bot.render import html as render
from bot.services.shared import Services
from bot.web.security import SERVICES, Viewer

Texts = Callable[..., Markup]


def texts(services: Services, clinic: Clinic) -> Texts:
    guidance = services.guidance(clinic.id)

    def text(key: str, **values: Any) -> Markup:
        return Markup(render.message(guidance, key, clinic.language, **values))

    return text


def waited(text: Texts, seconds: float) -> Markup:
    """How long something has waited, in the clinic's words ("1 h 5 min")."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return text("web_minutes", minutes=minutes)
    return text("web_hours_minutes", hours=minutes // 60, minutes=minutes % 60)


def page(
    request: web.Request,
    template: str,
    clinic: Clinic,
    seen: Viewer | None,
    status: int = 200,
    **context: Any,
) -> web.Response:
    services = request.app[SERVICES]
    values = {"t": texts(services, clinic), "clinic": clinic, "viewer": seen, "lang": clinic.language}
    return aiohttp_jinja2.render_template(template, request, {**values, **context}, status=status)


def notice(request: web.Request, status: int, key: str, seen: Viewer | None = None) -> web.Response:
    """A page that only says `key` (a refusal, an expired link), in the viewer's clinic's words."""
    services = request.app[SERVICES]
    clinic = seen.clinics[0] if seen and seen.clinics else services.config.clinics[0]
    return page(request, "notice.html", clinic, seen, status=status, key=key, said=None)


def told(request: web.Request, clinic: Clinic, seen: Viewer, said: Markup) -> web.Response:
    """What an action's presser is told (sent, closed already, take it first), with the way back."""
    return page(request, "notice.html", clinic, seen, key="", said=said)
