"""`aftercare export-fhir`: a clinic's follow-ups as FHIR R4 JSON, built as plain dicts.

One `Bundle` of type `collection`:
- with `--patient ID`: that patient's resources;
- without: ONE Bundle holding every patient with a follow-up at the clinic, one after the other.
  Split it per patient with `--patient` if a receiver wants that.
Only the clinic's own follow-ups are exported: a patient another clinic follows too appears with
this clinic's follow-ups alone.

It holds:
- `Questionnaire` (once per Bundle): the clinic's check-in questions from its guidance
  (questions.toml), in the clinic's language. A scale is an `integer` item with the
  minValue/maxValue extensions; a choice is a `choice` item whose answerOptions are codings
  (system `{NAMESPACE}/CodeSystem/<question id>`, code = option id, display = label); a
  checklist is the same with `repeats: true`. A last `text` item holds what the patient typed.
- `Patient`: only what is stored: the first name (`name.given`), the Telegram id as an
  identifier (system https://t.me) and the language (`communication`). Nothing else is known.
- `QuestionnaireResponse` per answered check-in (status `completed`, `authored` = when it was
  answered): the structured answers and, as `text` answers, every message the patient typed
  during that check-in. Messages typed outside any check-in, and check-ins not answered
  (missed, skipped...), are not exported: they are no response to the questionnaire.
- `Communication` per alert (category `alert`, priority `stat` for an emergency else `urgent`):
  the bucket as `reasonCode`, the reasons in `payload`, `sent` = when it was raised, status
  `completed` once acknowledged (with a `note` by the acknowledging practitioner, and once closed
  a second: "Closed: <outcome id of outcomes.toml>" and the staff's note) else `in-progress`,
  `recipient` = the session's practitioner and whoever acknowledged.
  Practitioners are logical references (identifier system https://t.me, their Telegram id):
  the bot stores no Practitioner record to export.
- `Communication` per normal outcome's self-care tips (category `instruction`) that closed a
  check-in: the tips recorded as listed with it (`tips_sent`, since migration m008). A follow-up
  from before has none recorded: its tips are derived from the guidance and the stored session
  (check-in hour, intensity, activities) and structured answers, re-running no triage, which is
  exact only for a check-in answered with buttons alone (typed words may have added topic tips
  that only re-reading them could tell: those outcomes get no tips Communication), and assumes
  the guidance has not changed since.

Dates are the clinic's local time with its UTC offset. Resource ids are stable
(`Patient/<id>`, `QuestionnaireResponse/checkin-<id>`, `Communication/alert-<id>`,
`Communication/tips-<assessment id>`) and every `fullUrl` is `{NAMESPACE}/<type>/<id>`, so the
relative references resolve inside the Bundle.

The export holds health data (answers, typed words): the file is created readable by its owner
alone.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.followup.status import CheckinStatus
from bot.guidance.config import Clinic
from bot.guidance.model import Guidance, Question, Tip
from bot.store.database import Store
from bot.triage.engine import relevant_tips

# Our namespace for identifiers and code systems: a name, not an address (.invalid never resolves).
NAMESPACE = "https://aftercare.invalid/fhir"
TELEGRAM = "https://t.me"
BCP47 = "urn:ietf:bcp:47"
COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"
ASKED_AT = f"{NAMESPACE}/StructureDefinition/asked-at-hour"
CHECKIN_HOUR = f"{NAMESPACE}/StructureDefinition/checkin-hour"
BUCKET_SYSTEM = f"{NAMESPACE}/CodeSystem/bucket"
BUCKET_DISPLAY = {
    "normal": "Normal",
    "contact_practitioner": "Contact your practitioner",
    "emergency": "Emergency",
}
TEXT_ITEM = "text"


class ExportError(Exception):
    pass


def instant(at: float, clinic: Clinic) -> str:
    return datetime.fromtimestamp(at, clinic.timezone).isoformat(timespec="seconds")


def option_system(question: Question) -> str:
    return f"{NAMESPACE}/CodeSystem/{question.id}"


def questionnaire_url(clinic: Clinic) -> str:
    return f"{NAMESPACE}/Questionnaire/checkin-{clinic.id}"


def ref(resource: dict[str, Any]) -> dict[str, str]:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def practitioner(telegram_id: int) -> dict[str, Any]:
    return {"type": "Practitioner", "identifier": {"system": TELEGRAM, "value": str(telegram_id)}}


# ---- Questionnaire


def questionnaire(guidance: Guidance, clinic: Clinic) -> dict[str, Any]:
    lang = clinic.language
    items = []
    for q in guidance.questions:
        item: dict[str, Any] = {
            "linkId": q.id,
            "text": q.texts.get(lang) or q.text,
            "extension": [{"url": ASKED_AT, "valueInteger": h} for h in q.asked_at],
        }
        if q.kind == "scale":
            item["type"] = "integer"
            item["extension"] += [
                {"url": MIN_VALUE, "valueInteger": q.min},
                {"url": MAX_VALUE, "valueInteger": q.max},
            ]
        else:
            item["type"] = "choice"
            item["answerOption"] = [{"valueCoding": coding(q, o.id, lang)} for o in q.options]
            if q.kind == "checklist":
                item["repeats"] = True
        items.append(item)
    items.append({"linkId": TEXT_ITEM, "text": "In the patient's own words", "type": "text", "repeats": True})
    return {
        "resourceType": "Questionnaire",
        "id": f"checkin-{clinic.id}",
        "url": questionnaire_url(clinic),
        "name": "AftercareCheckin",
        "title": f"Aftercare check-in after dry needling ({clinic.name})",
        "status": "active",
        "language": lang,
        "subjectType": ["Patient"],
        "item": items,
    }


def coding(question: Question, option_id: str, lang: str) -> dict[str, str]:
    option = next((o for o in question.options if o.id == option_id), None)
    result = {"system": option_system(question), "code": str(option_id)}
    if option is not None:
        result["display"] = option.labels.get(lang) or option.label
    return result


# ---- Patient and responses


def patient_resource(row: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(row["id"]),
        "identifier": [{"system": TELEGRAM, "value": str(row["telegram_id"])}],
    }
    if row["first_name"]:
        resource["name"] = [{"given": [row["first_name"]]}]
    if row["language"]:
        resource["communication"] = [{"language": {"coding": [{"system": BCP47, "code": row["language"]}]}}]
    return resource


def _answer(question: Question, value: Any, lang: str) -> list[dict[str, Any]]:
    if question.kind == "scale":
        return [{"valueInteger": int(value)}]
    chosen = value if isinstance(value, list) else [value]
    return [{"valueCoding": coding(question, str(v), lang)} for v in chosen]


def response_resource(
    guidance: Guidance,
    clinic: Clinic,
    patient: dict[str, Any],
    checkin: dict[str, Any],
    answers: list[dict[str, Any]],
) -> dict[str, Any]:
    """An answered check-in; `answers` are its stored answer rows, oldest first."""
    lang = clinic.language
    given = {
        a["question_id"]: a["value"] for a in answers if a["question_id"] != TEXT_ITEM
    }  # a later answer wins
    texts = [a["value"] for a in answers if a["question_id"] == TEXT_ITEM]
    items = []
    for q in guidance.questions:
        if q.id in given:
            items.append(
                {"linkId": q.id, "text": q.texts.get(lang) or q.text, "answer": _answer(q, given[q.id], lang)}
            )
    if texts:
        items.append({"linkId": TEXT_ITEM, "answer": [{"valueString": str(t)} for t in texts]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"checkin-{checkin['id']}",
        "identifier": {"system": f"{NAMESPACE}/checkin", "value": str(checkin["id"])},
        "extension": [{"url": CHECKIN_HOUR, "valueDecimal": checkin["hours"]}],
        "questionnaire": questionnaire_url(clinic),
        "status": "completed",
        "subject": ref(patient),
        "authored": instant(checkin["answered_at"], clinic),
        "source": ref(patient),
    }
    if items:
        resource["item"] = items
    return resource


# ---- Communications


def alert_resource(
    clinic: Clinic,
    patient: dict[str, Any],
    session: dict[str, Any],
    alert: dict[str, Any],
    assessment: dict[str, Any] | None,
    about: dict[str, Any] | None,
) -> dict[str, Any]:
    acknowledged = alert["acknowledged_at"] is not None
    recipients = [t for t in (session["practitioner_id"], alert["acknowledged_by"]) if t is not None]
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "id": f"alert-{alert['id']}",
        "identifier": [{"system": f"{NAMESPACE}/alert", "value": str(alert["id"])}],
        "status": "completed" if acknowledged else "in-progress",
        "category": [{"coding": [{"system": COMMUNICATION_CATEGORY, "code": "alert", "display": "Alert"}]}],
        "priority": "stat" if alert["bucket"] == "emergency" else "urgent",
        "subject": ref(patient),
        "sent": instant(alert["created_at"], clinic),
        "reasonCode": [
            {
                "coding": [
                    {
                        "system": BUCKET_SYSTEM,
                        "code": alert["bucket"],
                        "display": BUCKET_DISPLAY.get(alert["bucket"], alert["bucket"]),
                    }
                ]
            }
        ],
        "payload": [{"contentString": r} for r in (assessment["reasons"] if assessment else [])]
        or [{"contentString": BUCKET_DISPLAY.get(alert["bucket"], alert["bucket"])}],
    }
    if about is not None:
        resource["about"] = [ref(about)]
    if recipients:
        resource["recipient"] = [practitioner(t) for t in dict.fromkeys(recipients)]
    closed = f"Closed: {alert['outcome']}" + (f"\n{alert['note']}" if alert["note"] else "")
    steps = [("acknowledged", "Acknowledged"), ("closed", closed)]
    if notes := [_note(alert, clinic, step, text) for step, text in steps if alert[f"{step}_at"]]:
        resource["note"] = notes
    return resource


def _note(alert: dict[str, Any], clinic: Clinic, step: str, text: str) -> dict[str, Any]:
    """A step of the alert's handling: when, by whom, what (closed: the outcome id, the staff's note)."""
    note: dict[str, Any] = {"time": instant(alert[f"{step}_at"], clinic), "text": text}
    by = alert[f"{step}_by"]
    return note | ({"authorReference": practitioner(by)} if by is not None else {})


def shown_tips(
    guidance: Guidance, hour: int, intensity: str | None, activities: tuple[str, ...], findings: set[str]
) -> tuple[Tip, ...]:
    """The tips a normal outcome of a follow-up from before m008 listed, as triage picked them,
    cut as the outcome message cuts them."""
    return relevant_tips(guidance, hour, intensity, activities, findings)[: guidance.tips_per_message]


def _option_findings(guidance: Guidance, given: dict[str, Any]) -> set[str]:
    findings: set[str] = set()
    for q in guidance.questions:
        if q.id in given and q.kind != "scale":
            chosen = given[q.id] if isinstance(given[q.id], list) else [given[q.id]]
            for option in q.options:
                if option.id in chosen:
                    findings.update(option.findings)
    return findings


def tips_resource(
    guidance: Guidance,
    clinic: Clinic,
    patient: dict[str, Any],
    patient_row: dict[str, Any],
    session: dict[str, Any],
    assessment: dict[str, Any],
    answers: list[dict[str, Any]],
    about: dict[str, Any] | None,
    sent: dict[int, list[str]],
) -> dict[str, Any] | None:
    """The tips shown with a normal outcome, or None where they are not known exactly."""
    by_id = {t.id: t for t in guidance.tips}
    if sent:  # recorded: the follow-up's outcomes list each tip once, the topics asked aside
        tips = tuple(by_id[i] for i in sent.get(assessment["id"], []) if i in by_id)
    elif any(a["question_id"] == TEXT_ITEM for a in answers):
        return None
    else:
        given = {a["question_id"]: a["value"] for a in answers}
        tips = shown_tips(
            guidance,
            guidance.checkin_hour(assessment["hours"]),
            session["intensity"],
            tuple(json.loads(session["activities"] or "[]")),
            _option_findings(guidance, given),
        )
    if not tips:
        return None
    lang = patient_row["language"] or "en"
    resource = {
        "resourceType": "Communication",
        "id": f"tips-{assessment['id']}",
        "identifier": [{"system": f"{NAMESPACE}/tips", "value": str(assessment["id"])}],
        "status": "completed",
        "category": [
            {"coding": [{"system": COMMUNICATION_CATEGORY, "code": "instruction", "display": "Instruction"}]}
        ],
        "subject": ref(patient),
        "recipient": [ref(patient)],
        "sent": instant(assessment["created_at"], clinic),
        "reasonCode": [
            {"coding": [{"system": BUCKET_SYSTEM, "code": "normal", "display": BUCKET_DISPLAY["normal"]}]}
        ],
        "payload": [{"contentString": t.texts.get(lang) or t.text} for t in tips],
    }
    if about is not None:
        resource["about"] = [ref(about)]
    return resource


# ---- Bundle


def patient_resources(
    store: Store, guidance: Guidance, clinic: Clinic, row: dict[str, Any]
) -> list[dict[str, Any]]:
    patient = patient_resource(row)
    resources = [patient]
    for session in store.patient_sessions(row["id"], clinic.id):
        answers = store.session_answers(session["id"])
        assessments = store.assessments(session["id"])
        sent = store.tips_by_assessment(session["id"])
        by_checkin = {c["id"]: c for c in store.checkins(session["id"])}
        responses: dict[int, dict[str, Any]] = {}
        for checkin in by_checkin.values():
            if checkin["status"] == CheckinStatus.ANSWERED and checkin["answered_at"] is not None:
                mine = [a for a in answers if a["checkin_id"] == checkin["id"]]
                responses[checkin["id"]] = response_resource(guidance, clinic, patient, checkin, mine)
        resources += responses.values()
        first_of_checkin: dict[int, int] = {}
        for a in assessments:
            if a["checkin_id"] is not None:
                first_of_checkin.setdefault(a["checkin_id"], a["id"])
        by_id = {a["id"]: a for a in assessments}
        for alert in store.session_alerts(session["id"]):
            assessment = by_id.get(alert["assessment_id"])
            about = (
                responses.get(assessment["checkin_id"]) if assessment and assessment["checkin_id"] else None
            )
            resources.append(alert_resource(clinic, patient, session, alert, assessment, about))
        for a in assessments:
            if (
                a["bucket"] != "normal"
                or a["checkin_id"] is None
                or first_of_checkin[a["checkin_id"]] != a["id"]
            ):
                continue
            if a["checkin_id"] not in responses:
                continue  # normal outcomes of a check-in are shown when it is answered
            mine = [x for x in answers if x["checkin_id"] == a["checkin_id"]]
            about = responses[a["checkin_id"]]
            tips = tips_resource(guidance, clinic, patient, row, session, a, mine, about, sent)
            if tips is not None:
                resources.append(tips)
    return resources


def bundle(
    store: Store, guidance: Guidance, clinic: Clinic, now: float, patient_id: int | None = None
) -> dict[str, Any]:
    """The export as a Bundle dict: one patient's, or every patient's of the clinic."""
    patients = store.export_patients(clinic.id, patient_id)
    if patient_id is not None and not patients:
        raise ExportError(f"no patient {patient_id} at clinic {clinic.id!r}")
    resources = [questionnaire(guidance, clinic)]
    for row in patients:
        resources += patient_resources(store, guidance, clinic, row)
    return {
        "resourceType": "Bundle",
        "id": f"aftercare-{clinic.id}-" + ("all" if patient_id is None else f"patient-{patient_id}"),
        "type": "collection",
        "timestamp": instant(now, clinic),
        "entry": [
            {"fullUrl": f"{NAMESPACE}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources
        ],
    }


def default_out_path(clinic: Clinic, now: float, patient_id: int | None) -> Path:
    who = "all" if patient_id is None else f"patient-{patient_id}"
    return Path(f"fhir-{clinic.id}-{who}-{datetime.fromtimestamp(now, clinic.timezone):%Y-%m-%d}.json")
