"""The worklist's pages and actions. Each names the clinic it shows (`?clinic=`, the viewer's
first by default) and refuses one the viewer is not staff of, and any patient, alert or photo
of another clinic, as if it did not exist (404). Patients are named by internal id only.
Imports `bot.services`, `bot.clinic` and the store through `Services`."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from markupsafe import Markup
from telegram.error import TelegramError

from bot.clinic.chart import chart_points, scores_svg
from bot.followup.status import RUNNING_SESSIONS, AlertStatus
from bot.guidance.config import Clinic
from bot.render.alerts import bucket_label, patient_name, staff_name
from bot.render.html import Safe
from bot.render.lifecycle import outcome_label
from bot.services import alert_lifecycle, alerts
from bot.web import views
from bot.web.security import SERVICES, Viewer, csrf_ok, signed_out_key, viewer
from bot.web.texts import notice, page, texts, told

log = logging.getLogger(__name__)

REFRESH_SECONDS = 15
ACKNOWLEDGED_SHOWN = 12 * 3600  # an acknowledged alert stays on the worklist a shift, saying who has it
PAGE_ROWS = 200
WORDS_LIMIT = 2000  # characters of a note or a message from the web; signed, it stays in one Telegram message
Row = dict[str, Any]
Form = Mapping[str, object]
Page = Callable[[web.Request, Viewer, Clinic], Awaitable[web.StreamResponse]]


def staff_page(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Signed-in staff only (401 otherwise), on a clinic of theirs (404 otherwise)."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        seen = viewer(request)
        if seen is None:
            return notice(request, 401, signed_out_key(request))
        clinic = seen.clinic(request.query.get("clinic"))
        if clinic is None:
            return notice(request, 404, "web_not_found", seen)
        return await handler(request, seen, clinic)

    return checked


@staff_page
async def worklist(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    services = request.app[SERVICES]
    now = services.now()
    rows = services.store.worklist_alerts(clinic.id, now - ACKNOWLEDGED_SHOWN)
    shown = views.worklist(rows, services.guidance(clinic.id), clinic, texts(services, clinic), now)
    return page(request, "worklist.html", clinic, seen, alerts=shown, refresh=REFRESH_SECONDS)


@staff_page
async def patients(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    services = request.app[SERVICES]
    practitioner = _whole(request.query.get("practitioner"))
    status = request.query.get("status") if request.query.get("status") in RUNNING_SESSIONS else None
    number = _whole(request.query.get("page")) or 0
    rows = services.store.followups(clinic.id, practitioner, status, PAGE_ROWS + 1, number * PAGE_ROWS)
    guidance = services.guidance(clinic.id)
    shown = [views.followup_row(row, guidance, clinic) for row in rows[:PAGE_ROWS]]
    return page(
        request,
        "patients.html",
        clinic,
        seen,
        rows=shown,
        practitioner=practitioner,
        chosen_status=status,
        statuses=RUNNING_SESSIONS,
        page_number=number,
        more=len(rows) > PAGE_ROWS,
    )


@staff_page
async def timeline(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    services = request.app[SERVICES]
    found = _followup(request, clinic)
    if found is None:
        return notice(request, 404, "web_not_found", seen)
    patient, session = found
    store, guidance = services.store, services.guidance(clinic.id)
    assessments = store.assessments(session["id"])
    events = views.timeline_events(
        store.checkins(session["id"]),
        store.session_answers(session["id"]),
        assessments,
        store.session_alerts(session["id"]),
        store.photos(session["id"]),
        guidance,
        clinic,
    )
    charted = guidance.course is not None and bool(chart_points(assessments))
    name = patient_name(patient)
    reference = session["patient_ref"] or ""
    return page(
        request,
        "timeline.html",
        clinic,
        seen,
        patient=patient,
        name=name,
        reference=reference,
        events=events,
        charted=charted,
    )


@staff_page
async def chart(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    """The soreness chart as SVG: drawn off the event loop, from rows read on it."""
    services = request.app[SERVICES]
    found = _followup(request, clinic)
    if found is None:
        return notice(request, 404, "web_not_found", seen)
    patient, session = found
    rows, guidance = services.store.assessments(session["id"]), services.guidance(clinic.id)
    svg = await asyncio.to_thread(scores_svg, rows, guidance, clinic.language, patient_name(patient))
    if svg is None:
        return notice(request, 404, "web_not_found", seen)
    return web.Response(
        body=svg, content_type="image/svg+xml", headers={"Cache-Control": "private, no-store"}
    )


@staff_page
async def photo(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    """A patient's photo, fetched from Telegram by its file_id for a viewer of its clinic."""
    services = request.app[SERVICES]
    row = services.store.photo(_whole(request.match_info["photo_id"]) or 0)
    if row is None or row["clinic_id"] != clinic.id:
        return notice(request, 404, "web_not_found", seen)
    try:
        file = await services.delivery.bot.get_file(row["file_id"])
        body = bytes(await file.download_as_bytearray())
    except TelegramError as error:  # Telegram no longer has it, or cannot be reached now
        log.warning("photo %s not fetched: %s", row["id"], type(error).__name__)
        return notice(request, 502, "web_photo_unavailable", seen)
    return web.Response(body=body, content_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@staff_page
async def alert_page(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    """One alert's forms: take it, close it with an outcome and a note, message the patient. A page
    of its own: the worklist refreshes every 15 s, which would wipe words half written."""
    services = request.app[SERVICES]
    alert = services.store.alert(_whole(request.match_info["alert_id"]) or 0)
    if alert is None or alert["clinic_id"] != clinic.id or alert["status"] == AlertStatus.CLOSED:
        return notice(request, 404, "web_not_found", seen)
    session = services.store.session(alert["session_id"]) or {}
    patient = services.store.patient(session["patient_id"]) if session else None
    guidance = services.guidance(clinic.id)
    outcomes = [(o, outcome_label(guidance, o, clinic.language)) for o in guidance.alert_outcomes]
    return page(
        request,
        "alert.html",
        clinic,
        seen,
        alert=alert,
        patient_id=session.get("patient_id", "?"),
        name=patient_name(patient or {}),
        bucket_label=Markup(bucket_label(guidance, alert["bucket"], clinic.language)),
        outcomes=outcomes,
        limit=WORDS_LIMIT,
        taken=alert["status"] == AlertStatus.ACKNOWLEDGED,
        viewer_name=staff_name(clinic, seen.telegram_id),
    )


async def alert_action(request: web.Request) -> web.StreamResponse:
    """A button of the worklist, through the same service as its Telegram twin."""
    seen = viewer(request)
    if seen is None:
        return notice(request, 401, signed_out_key(request))
    form = await request.post()
    if not csrf_ok(seen, form):
        return notice(request, 403, "web_form_expired", seen)
    services = request.app[SERVICES]
    alert = services.store.alert(_whole(request.match_info["alert_id"]) or 0)
    clinic = seen.clinic(alert["clinic_id"]) if alert else None
    action = ACTIONS.get(request.match_info["action"])
    if alert is None or clinic is None or action is None:  # another clinic's alert reads as none
        return notice(request, 404, "web_not_found", seen)
    words = str(form.get("words", "")).strip()
    if len(words) > WORDS_LIMIT:
        return told(request, clinic, seen, texts(services, clinic)("web_words_too_long", limit=WORDS_LIMIT))
    reply = await action(request, seen, alert, form, words)
    if reply is None:
        raise web.HTTPSeeOther(f"/?clinic={clinic.id}")
    return told(request, clinic, seen, Markup(reply))


async def _acknowledge(request: web.Request, seen: Viewer, alert: Row, form: Form, words: str) -> Safe | None:
    # A later press than someone else's changes nothing: the worklist then shows who has it.
    await alerts.acknowledge(request.app[SERVICES], alert["id"], seen.telegram_id)
    return None


async def _close(request: web.Request, seen: Viewer, alert: Row, form: Form, words: str) -> Safe | None:
    # The note comes with the outcome, so no prompt for one is sent to a chat.
    outcome = str(form.get("outcome", ""))
    services = request.app[SERVICES]
    return await alert_lifecycle.close(services, alert["id"], seen.telegram_id, outcome, None, words)


async def _message(request: web.Request, seen: Viewer, alert: Row, form: Form, words: str) -> Safe | None:
    services = request.app[SERVICES]
    if not words:
        return Safe(texts(services, services.clinic(alert["clinic_id"]))("web_words_empty"))
    return await alert_lifecycle.relay(services, alert, seen.telegram_id, words)


# What the worklist's and the alert page's buttons do, by the action in their path: the services
# their Telegram twins call. None: done (back to the worklist); else what the presser is told.
ACTIONS: dict[str, Callable[[web.Request, Viewer, Row, Form, str], Awaitable[Safe | None]]] = {
    "acknowledge": _acknowledge,
    "close": _close,
    "message": _message,
}


def _followup(request: web.Request, clinic: Clinic) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The patient in the path and their latest follow-up at this clinic (none elsewhere)."""
    store = request.app[SERVICES].store
    patient = store.patient(_whole(request.match_info["patient_id"]) or 0)
    session = store.latest_session(patient["id"], clinic.id) if patient else None
    return (patient, session) if patient and session else None


def _whole(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) <= 12 else None
