"""`aftercare export-fhir`: the Bundle is valid FHIR (checked with fhir.resources' R4B models, the
R4 line it ships), its references resolve, and it holds only what is stored."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from bot.__main__ import main
from bot.clinic.fhir import NAMESPACE, ExportError, bundle, questionnaire
from bot.guidance.config import load_config
from bot.store.database import Store
from bot.triage.engine import Context, Reply, triage

from .harness import START, write_config
from .test_report import ANA_TG, BEN_TG, CALM, STAFF, H, follow_up

NOW = START + 80 * H


@pytest.fixture
def setup(tmp_path, guidance):
    config_path = write_config(tmp_path, "https://api.telegram.org", STAFF)
    config = load_config(config_path)
    clinic = config.clinics[0]
    store = Store(config.storage.database)
    data = follow_up(store)
    assert clinic.guidance_dir is None  # the shipped guidance: the session's `guidance`
    yield config_path, clinic, guidance, store, data
    store.close()


def resources(b: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in b["entry"]}


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def validate(b: dict[str, Any]) -> None:
    """Every resource, and the Bundle as JSON text, parse with fhir.resources (extra keys refused)."""
    for entry in b["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    parsed = Bundle.model_validate_json(json.dumps(b))
    assert parsed.type == "collection"


def test_the_whole_clinic_is_one_valid_bundle_whose_references_resolve(setup):
    _, clinic, guidance, store, d = setup
    b = bundle(store, guidance, clinic, NOW)
    validate(b)
    found = resources(b)
    assert sorted(found) == sorted(
        [
            f"Questionnaire/checkin-{clinic.id}",
            f"Patient/{d.ana}",
            f"Patient/{d.ben}",
            f"Patient/{d.cal}",
            *(
                f"QuestionnaireResponse/checkin-{c}"
                for c in (
                    d.ana_checkins[0],
                    d.ana_checkins[1],
                    d.ana_checkins[3],
                    d.ben_checkins[0],
                    d.ben_checkins[1],
                )
            ),
            *(f"Communication/alert-{a}" for a in d.alerts.values()),
            f"Communication/tips-{d.assessments['ana6']}",
            f"Communication/tips-{d.assessments['ben24']}",
        ]
    )
    full_urls = {e["fullUrl"] for e in b["entry"]}
    assert full_urls == {f"{NAMESPACE}/{key}" for key in found}
    for reference in references(b):
        assert f"{NAMESPACE}/{reference}" in full_urls, reference
    form = found[f"Questionnaire/checkin-{clinic.id}"]
    items = {i["linkId"]: i for i in form["item"]}
    for key, response in found.items():
        if not key.startswith("QuestionnaireResponse/"):
            continue
        assert response["questionnaire"] == form["url"] and response["status"] == "completed"
        for item in response["item"]:
            question = items[item["linkId"]]
            for answer in item["answer"]:
                if "valueCoding" in answer:
                    assert answer["valueCoding"] in [o["valueCoding"] for o in question["answerOption"]]
                elif "valueInteger" in answer:
                    assert question["type"] == "integer"
                else:
                    assert question["type"] == "text"
            if len(item["answer"]) > 1:
                assert question.get("repeats") is True


def test_one_patient_has_a_bundle_of_their_own(setup):
    config_path, clinic, guidance, store, d = setup
    b = bundle(store, guidance, clinic, NOW, patient_id=d.ana)
    validate(b)
    assert b["type"] == "collection" and b["id"] == f"aftercare-harbour-patient-{d.ana}"
    assert [key.split("/")[0] for key in resources(b)] == [
        "Questionnaire",
        "Patient",
        "QuestionnaireResponse",
        "QuestionnaireResponse",
        "QuestionnaireResponse",
        "Communication",
        "Communication",
    ]
    assert all(
        r.get("subject", {"reference": f"Patient/{d.ana}"})["reference"] == f"Patient/{d.ana}"
        for r in resources(b).values()
        if r["resourceType"] != "Questionnaire"
    )
    with pytest.raises(ExportError, match="no patient 999"):
        bundle(store, guidance, clinic, NOW, patient_id=999)


@pytest.mark.parametrize(
    "link_id, kind, extras",
    [
        ("soreness", "integer", {"min": 0, "max": 10}),
        ("bruising", "choice", {"codes": ["none", "small", "large", "growing_hot"], "repeats": None}),
        ("fatigue", "choice", {"codes": ["none", "some", "severe"], "repeats": None}),
        ("warning_signs", "choice", {"repeats": True}),
        ("text", "text", {"repeats": True}),
    ],
)
def test_the_questionnaire_follows_the_guidance(setup, link_id, kind, extras):
    _, clinic, guidance, _, _ = setup
    form = questionnaire(guidance, clinic)
    get_fhir_model_class("Questionnaire").model_validate(form)
    item = next(i for i in form["item"] if i["linkId"] == link_id)
    assert item["type"] == kind
    values = {
        e["url"].rsplit("/", 1)[-1]: e["valueInteger"]
        for e in item.get("extension", [])
        if e["url"].endswith(("minValue", "maxValue"))
    }
    if "min" in extras:
        assert values == {"minValue": extras["min"], "maxValue": extras["max"]}
        assert "answerOption" not in item
    if "codes" in extras:
        assert [o["valueCoding"]["code"] for o in item["answerOption"]] == extras["codes"]
    if "repeats" in extras:
        assert item.get("repeats") is extras["repeats"]
    question = next((q for q in guidance.questions if q.id == link_id), None)
    if question is not None and question.options:
        assert item["answerOption"] == [
            {"valueCoding": {"system": f"{NAMESPACE}/CodeSystem/{link_id}", "code": o.id, "display": o.label}}
            for o in question.options
        ]


def test_the_patient_holds_only_what_is_stored(setup):
    _, clinic, guidance, store, d = setup
    found = resources(bundle(store, guidance, clinic, NOW))
    assert found[f"Patient/{d.ben}"] == {
        "resourceType": "Patient",
        "id": str(d.ben),
        "identifier": [{"system": "https://t.me", "value": str(BEN_TG)}],
        "name": [{"given": ["Ben"]}],
        "communication": [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}}],
    }
    assert found[f"Patient/{d.ana}"]["identifier"][0]["value"] == str(ANA_TG)


def test_responses_carry_the_answers_and_the_words(setup):
    _, clinic, guidance, store, d = setup
    found = resources(bundle(store, guidance, clinic, NOW))
    calm = found[f"QuestionnaireResponse/checkin-{d.ana_checkins[0]}"]
    assert calm["authored"] == "2026-11-23T16:10:00+00:00"
    assert calm["subject"] == {"reference": f"Patient/{d.ana}"}
    answers = {i["linkId"]: i["answer"] for i in calm["item"]}
    assert answers["soreness"] == [{"valueInteger": 4}]
    assert answers["fatigue"] == [
        {
            "valueCoding": {
                "system": f"{NAMESPACE}/CodeSystem/fatigue",
                "code": "some",
                "display": "A bit tired",
            }
        }
    ]
    assert [a["valueCoding"]["code"] for a in answers["warning_signs"]] == ["none"]
    assert "text" not in answers
    words_only = found[f"QuestionnaireResponse/checkin-{d.ana_checkins[3]}"]
    assert words_only["item"] == [
        {"linkId": "text", "answer": [{"valueString": "much better, about a 1 out of 10"}]}
    ]
    both = {
        i["linkId"]: i["answer"] for i in found[f"QuestionnaireResponse/checkin-{d.ben_checkins[0]}"]["item"]
    }
    assert both["text"] == [{"valueString": "now I am short of breath"}]
    assert [a["valueCoding"]["code"] for a in both["warning_signs"]] == ["numbness"]
    assert f"QuestionnaireResponse/checkin-{d.ana_checkins[2]}" not in found  # missed


@pytest.mark.parametrize(
    "alert, status, priority, sent, about_checkin, recipients, acknowledged_by, payload",
    [
        (
            "ana24",
            "completed",
            "urgent",
            "2026-11-24T10:20:00+00:00",
            ("ana", 1),
            ["7"],
            "7",
            ["Numbness or tingling"],
        ),
        (
            "ben6a",
            "completed",
            "urgent",
            "2026-11-23T17:02:00+00:00",
            ("ben", 0),
            ["7"],
            "7",
            ["Numbness or tingling"],
        ),
        (
            "ben6b",
            "completed",
            "stat",
            "2026-11-23T17:03:00+00:00",
            ("ben", 0),
            ["7", "8"],
            "8",
            ["Shortness of breath"],
        ),
        (
            "ben30",
            "in-progress",
            "urgent",
            "2026-11-24T17:00:00+00:00",
            None,
            ["7"],
            None,
            ["Chest tightness"],
        ),
    ],
)
def test_each_alert_is_a_communication(
    setup, alert, status, priority, sent, about_checkin, recipients, acknowledged_by, payload
):
    _, clinic, guidance, store, d = setup
    c = resources(bundle(store, guidance, clinic, NOW))[f"Communication/alert-{d.alerts[alert]}"]
    assert c["category"][0]["coding"][0]["code"] == "alert"
    assert (c["status"], c["priority"], c["sent"]) == (status, priority, sent)
    assert [p["contentString"] for p in c["payload"]] == payload
    assert [r["identifier"] for r in c["recipient"]] == [
        {"system": "https://t.me", "value": r} for r in recipients
    ]
    assert all(r["type"] == "Practitioner" for r in c["recipient"])
    if about_checkin is None:
        assert "about" not in c
    else:
        who, index = about_checkin
        checkin = (d.ana_checkins if who == "ana" else d.ben_checkins)[index]
        assert c["about"] == [{"reference": f"QuestionnaireResponse/checkin-{checkin}"}]
    if acknowledged_by is None:
        assert "note" not in c
    else:
        assert c["note"][0]["authorReference"]["identifier"]["value"] == acknowledged_by


@pytest.mark.parametrize(
    "key, hours, areas, intensity, activities, answers, lang",
    [
        ("ana6", 6.0, ("calf",), "moderate", ("running",), CALM, "en"),
        (
            "ben24",
            24.0,
            ("upper_back",),
            "heavy",
            ("gym",),
            {"soreness": 2, "bruising": "none", "fatigue": "none", "warning_signs": ["none"]},
            "es",
        ),
    ],
)
def test_tips_are_those_the_normal_outcome_showed(
    setup, key, hours, areas, intensity, activities, answers, lang
):
    _, clinic, guidance, store, d = setup
    found = resources(bundle(store, guidance, clinic, NOW))
    c = found[f"Communication/tips-{d.assessments[key]}"]
    shown = triage(Reply("", answers), Context(hours, areas, intensity, activities), guidance)
    assert shown.bucket == "normal"
    assert [p["contentString"] for p in c["payload"]] == [
        t.texts.get(lang) or t.text for t in shown.tips[: guidance.tips_per_message]
    ]
    assert c["category"][0]["coding"][0]["code"] == "instruction" and c["status"] == "completed"
    assert f"Communication/tips-{d.assessments['ana72']}" not in found  # answered in words: not derivable


def test_the_command_writes_a_private_bundle(setup, tmp_path, capsys):
    config_path, _, _, _, d = setup
    out_path = tmp_path / "export.json"
    out = io.StringIO()
    assert (
        main(
            ["export-fhir", "--config", str(config_path), "--clinic", "harbour", "--out", str(out_path)],
            out=out,
        )
        == 0
    )
    assert stat.S_IMODE(os.stat(out_path).st_mode) == 0o600
    written = json.loads(out_path.read_text(encoding="utf-8"))
    validate(written)
    assert len(written["entry"]) == 15 and "15 resources" in out.getvalue()

    out = io.StringIO()
    assert (
        main(
            [
                "export-fhir",
                "--config",
                str(config_path),
                "--clinic",
                "harbour",
                "--patient",
                str(d.cal),
                "--out",
                "-",
            ],
            out=out,
        )
        == 0
    )
    alone = json.loads(out.getvalue())
    validate(alone)
    assert [e["resource"]["resourceType"] for e in alone["entry"]] == ["Questionnaire", "Patient"]

    assert (
        main(
            ["export-fhir", "--config", str(config_path), "--clinic", "harbour", "--patient", "999"],
            out=io.StringIO(),
        )
        == 2
    )
    assert "no patient 999 at clinic 'harbour'" in capsys.readouterr().err
