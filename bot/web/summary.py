"""The clinic summary over a chosen period, and its downloads: the report CSV and the FHIR
export, made by the same code as `aftercare report` and `aftercare export-fhir`.
Downloads hold every patient's data: a clinic's admins only. Imports `bot.clinic`."""

from __future__ import annotations

import json
from datetime import timedelta

from aiohttp import web
from markupsafe import Markup

from bot.clinic.fhir import bundle
from bot.clinic.report import build_report, csv_text, hour_label
from bot.guidance.config import Clinic
from bot.render.alerts import bucket_label
from bot.web.pages import staff_page
from bot.web.security import SERVICES, Viewer
from bot.web.texts import notice, page

PERIODS = (7, 30, 90)  # days the summary offers


def _days(request: web.Request) -> int:
    text = request.query.get("days", "")
    return int(text) if text.isdigit() and int(text) in PERIODS else PERIODS[0]


@staff_page
async def summary(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    services = request.app[SERVICES]
    days = _days(request)
    report = build_report(services.store, clinic, timedelta(days=days), services.now())
    guidance = services.guidance(clinic.id)
    rates = [
        (hour_label(r.hour), r.answered, r.sent, round(100 * r.rate) if r.rate is not None else None)
        for r in report.response
    ]
    return page(
        request,
        "summary.html",
        clinic,
        seen,
        report=report,
        rates=rates,
        days=days,
        periods=PERIODS,
        admin=seen.is_admin(clinic),
        bucket_labels={b: Markup(bucket_label(guidance, b, clinic.language)) for b in report.buckets},
    )


@staff_page
async def report_csv(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    if not seen.is_admin(clinic):
        return notice(request, 404, "web_not_found", seen)
    services = request.app[SERVICES]
    report = build_report(services.store, clinic, timedelta(days=_days(request)), services.now())
    return _download(csv_text(report.rows), "text/csv", f"report-{clinic.id}.csv")


@staff_page
async def fhir_json(request: web.Request, seen: Viewer, clinic: Clinic) -> web.StreamResponse:
    if not seen.is_admin(clinic):
        return notice(request, 404, "web_not_found", seen)
    services = request.app[SERVICES]
    result = bundle(services.store, services.guidance(clinic.id), clinic, services.now())
    text = json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    return _download(text, "application/fhir+json", f"fhir-{clinic.id}-all.json")


def _download(text: str, content_type: str, name: str) -> web.Response:
    return web.Response(
        text=text,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
    )
