"""The shipped guidance is complete and sourced; a broken edit is refused with file and key."""

import re
import shutil

import pytest

from bot.guidance.loader import load_guidance
from bot.guidance.message_keys import REQUIRED_MESSAGES
from bot.guidance.toml_doc import GuidanceError

from .conftest import SHARED, SHIPPED_GUIDANCE, require_shared

SOURCE = re.compile(r"S00[0-4]|\b(19|20)\d\d\b|design choice|first aid|conservative")


def spec_rule_ids() -> set[str]:
    spec = require_shared(SHARED / "clinical" / "triage-rules.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([ECNU]\d+) \|", spec, flags=re.MULTILINE))


def test_every_rule_of_the_clinical_spec_is_shipped(guidance):
    assert spec_rule_ids() <= {rule.id for rule in guidance.rules}


@pytest.mark.parametrize("kind", ["rules", "tips"])
def test_every_rule_and_tip_names_its_source(guidance, kind):
    unsourced = [item.id for item in getattr(guidance, kind) if not SOURCE.search(item.source)]
    assert unsourced == []


def test_every_checkin_hour_has_questions_and_tips(guidance):
    for hour in guidance.checkin_hours:
        assert guidance.questions_at(hour)
        assert any(not t.topic and (not t.checkins or hour in t.checkins) for t in guidance.tips)


def test_every_message_exists_in_every_language(guidance):
    for language, messages in guidance.messages.items():
        assert set(REQUIRED_MESSAGES) <= set(messages), language
        assert set(messages) == set(guidance.messages["en"]), language


def test_areas_cover_the_treatable_regions(guidance):
    wanted = {
        "neck",
        "upper_trap",
        "shoulder",
        "upper_back",
        "mid_back",
        "chest",
        "lower_back",
        "glutes",
        "hip",
        "hamstring",
        "quads",
        "calf",
        "forearm",
    }
    assert wanted <= set(guidance.areas)
    assert {a for a in wanted if guidance.is_thoracic(a)} == {
        "neck",
        "upper_trap",
        "shoulder",
        "upper_back",
        "mid_back",
        "chest",
    }
    assert guidance.resolve_area("Between the shoulder blades") == "upper_back"
    assert guidance.is_thoracic(guidance.resolve_area("elbow-ish somewhere"))


# (file, text to replace, replacement, what the error must name)
BROKEN_EDITS = [
    (
        "rules.toml",
        'findings = ["breathless"]',
        'findings = ["breathles"]',
        "rules.toml: rules[1].when[0].findings: unknown finding 'breathles'",
    ),
    (
        "rules.toml",
        'bucket = "emergency"',
        'bucket = "urgent"',
        "rules.toml: rules[0].bucket: 'urgent' is not one of",
    ),
    (
        "rules.toml",
        'source = "S002"\n',
        'source = " "\n',
        "rules.toml: rules[0].source: every rule names its source",
    ),
    ("rules.toml", 'id = "E2"', 'id = "E1"', "rules.toml: rules[1].id: duplicate rule id 'E1'"),
    (
        "rules.toml",
        'areas_not = ["chest"]',
        'areas_not = ["chestt"]',
        "rules.toml: rules[0].when[1].areas_not: unknown area 'chestt'",
    ),
    (
        "rules.toml",
        'trend = "rising", hours_min = 48',
        'trend = "up", hours_min = 48',
        "rules.toml: rules[10].when[0].trend: 'up' is not one of",
    ),
    (
        "rules.toml",
        'when = [{ findings = ["breathless"] }, ',
        'when = [{ findings = ["breathless"], colour = "red" }, ',
        "rules.toml: rules[1].when[0].colour: unknown key",
    ),
    (
        "rules.toml",
        'when = [{ findings = ["breathless"] }, ',
        "when = [{}, ",
        "rules.toml: rules[1].when[0]: an empty condition",
    ),
    (
        "rules.toml",
        'reason = "Sudden or sharp chest pain"',
        "reason = 5",
        "rules.toml: rules[0].reason: expected text, got a whole number 5",
    ),
    ("rules.toml", '[[rules]]\nid = "E1"', '[[rules]\nid = "E1"', "rules.toml: not valid TOML"),
    (
        "lexicon.toml",
        '"@cough"]',
        '"@coughs"]',
        "lexicon.toml: findings.cough.patterns[0]: unknown term group '@coughs'",
    ),
    (
        "lexicon.toml",
        'patterns = ["@sharp"]',
        'patterns = ["s*"]',
        "lexicon.toml: findings.sharp_pain.patterns[0]: 's*'",
    ),
    (
        "lexicon.toml",
        'patterns = ["@sharp"]',
        'patterns = ["~ sharp"]',
        "lexicon.toml: findings.sharp_pain.patterns[0]",
    ),
    (
        "lexicon.toml",
        'finding = "fever"',
        'finding = "fevers"',
        "lexicon.toml: fever.finding: unknown finding 'fevers'",
    ),
    (
        "lexicon.toml",
        'label = "new cough"',
        'label = "new cough"\ncolour = "red"',
        "lexicon.toml: findings.cough.colour: unknown key",
    ),
    (
        "lexicon.toml",
        "window = 5",
        'window = "five"',
        "lexicon.toml: negation.window: expected a whole number, got text 'five'",
    ),
    (
        "lexicon.toml",
        "window = 5",
        "windw = 5",
        "lexicon.toml: negation.windw: unknown key (did you mean 'window'?)",
    ),
    (
        "questions.toml",
        'findings = ["breathless"]',
        'findings = ["short_breath"]',
        "questions.toml: questions[3].options[1].findings: unknown finding 'short_breath'",
    ),
    (
        "questions.toml",
        'kind = "checklist"',
        'kind = "grid"',
        "questions.toml: questions[3].kind: 'grid' is not one of",
    ),
    (
        "questions.toml",
        'short = "Chest pain"',
        'short = "Chest pain, sharp or crushing"',
        "questions.toml: questions[3].options[0].short: must be at most 18 characters",
    ),
    (
        "questions.toml",
        'short = "Chest pain"\n',
        "",
        "questions.toml: questions[3].options[0].short_es: translates 'short', which this item does not have",
    ),
    (
        "questions.toml",
        'short = "Chest pain"\nshort_es = "Dolor de pecho"\nfindings = ["chest_pain_sharp"]\n'
        'label_de = "Schmerzen in der Brust"\nshort_de = "Brustschmerzen"\n',
        'findings = ["chest_pain_sharp"]\nlabel_de = "Schmerzen in der Brust"\n',
        "questions.toml: questions[3].options[0].short: a checklist option needs a short label",
    ),
    (
        "questions.toml",
        'none_option = "none"',
        'none_option = "nothing"',
        "questions.toml: questions[3].none_option: 'nothing' is not one of its options",
    ),
    (
        "questions.toml",
        "checkin_hours = [6, 24, 48, 72]",
        "checkin_hours = [6, 24, 48, 72, 96]",
        "questions.toml: checkin_hours: the 96 h check-in has no questions",
    ),
    (
        "questions.toml",
        "checkin_hours = [6, 24, 48, 72]",
        "checkin_hours = [24, 6, 48, 72]",
        "questions.toml: checkin_hours: must be a non-empty, increasing list",
    ),
    (
        "tips.toml",
        'file = "tips/hydration.md"',
        'file = "tips/hydrate.md"',
        "tips.toml: tips[1].file: missing tip file tips/hydrate.md",
    ),
    ("tips.toml", 'topic = "running"', 'topic = "skiing"', "tips.toml: tips["),
    ("tips.toml", "per_message = 4", "per_message = 0", "tips.toml: per_message: 0 tips: an outcome lists"),
    ("tips.toml", "per_message = 4", "per_message = 'four'", "tips.toml: per_message: "),
    ("tips.toml", "per_message = 4", "", "tips.toml: per_message: missing"),
    (
        "messages.toml",
        "[es]\n",
        "[es]\nnot_a_message = 'x'\n",
        "messages.toml: es.not_a_message: not an English message key",
    ),
    (
        "messages.toml",
        "[en]\n",
        "[en]\nbroken = '<b>bold'\n",
        "messages.toml: en.broken: <b> is never closed",
    ),
    (
        "messages.toml",
        "[en]\n",
        "[en]\nbroken = '<script>x</script>'\n",
        "messages.toml: en.broken: tag <script> is not allowed",
    ),
    ("messages.toml", "{clinic_phone}", "{clinic_fax}", "unknown placeholder {clinic_fax}"),
    # a rule's reply and note name messages in every language; `unless` names plain rules
    (
        "rules.toml",
        'reply = "outcome_distress"',
        'reply = "outcome_distres"',
        "rules.toml: rules[27].reply: unknown message 'outcome_distres'",
    ),
    (
        "rules.toml",
        'note = "note_breathing_watch"',
        'note = "alert"',
        "rules.toml: rules[26].note: message 'alert' uses {areas}",
    ),
    ("rules.toml", 'unless = ["N1",', 'unless = ["N99",', "rules.toml: rules[27].unless: unknown rule 'N99'"),
    (
        "rules.toml",
        'unless = ["N1",',
        'unless = ["U3",',
        "rules.toml: rules[27].unless: 'U3' has an `unless` of its own",
    ),
    (
        "rules.toml",
        'bucket = "none"',
        'bucket = "nothing"',
        "rules.toml: rules[29].bucket: 'nothing' is not one of none,",
    ),
    (
        "rules.toml",
        "when = [{ conversational = true }]",
        'when = [{ conversational = "yes" }]',
        "rules.toml: rules[29].when[0].conversational: expected true or false",
    ),
    (
        "lexicon.toml",
        'conversational = "always"',
        'conversational = "sometimes"',
        "lexicon.toml: findings.small_talk.conversational: 'sometimes' is not one of",
    ),
    (
        "lexicon.toml",
        '"^ help", "help me"',
        '"help ^", "help me"',
        "lexicon.toml: findings.distress.patterns[",
    ),
    (
        "areas.toml",
        '"nuca", "cervicales"]\nthoracic_risk = true',
        '"nuca"]\nthoracic_risk = "yes"',
        "areas.toml: areas.neck.thoracic_risk: expected true or false",
    ),
    (
        "rules.toml",
        'same_day = "always"',
        'same_day = "tonight"',
        "rules.toml: rules[18].same_day: 'tonight' is not one of always, thoracic",
    ),
    (
        "rules.toml",
        'id = "E1"\n',
        'id = "E1"\nsame_day = "always"\n',
        "rules.toml: rules[0].same_day: only a contact_practitioner rule",
    ),
    (
        "tips.toml",
        "checkins = [48]\nafter_escalation = false\n",
        'checkins = [48]\nafter_escalation = "no"\n',
        "tips.toml: tips[10].after_escalation: expected true or false",
    ),
]


def edited_guidance_error(tmp_path, name: str, old: str, new: str) -> str:
    """The error loading the shipped guidance with one edit in `name`."""
    edited = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, edited)
    path = edited / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the example no longer matches {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(GuidanceError) as raised:
        load_guidance(edited)
    return str(raised.value)


@pytest.mark.parametrize("name, old, new, expected", BROKEN_EDITS)
def test_a_broken_edit_is_refused_naming_file_and_key(tmp_path, name, old, new, expected):
    assert expected in edited_guidance_error(tmp_path, name, old, new)


def test_a_missing_file_is_named(tmp_path):
    edited = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, edited)
    (edited / "rules.toml").unlink()
    with pytest.raises(GuidanceError, match="rules.toml: file missing"):
        load_guidance(edited)


def test_a_missing_message_is_named(tmp_path):
    edited = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, edited)
    path = edited / "messages.toml"
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("stale_button")
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(GuidanceError, match="messages.toml: en.stale_button: missing message"):
        load_guidance(edited)


# Every text in every language the guidance ships (the tables of messages.toml), none extra:
# (file, text, replaced by, the error). A translation missing would be English to the patient.
INCOMPLETE_LANGUAGES = [
    (
        "messages.toml",
        "[en]\n",
        "[en]\nonly_en = 'x'\n",
        "messages.toml: es.only_en: missing (every language",
    ),
    (
        "messages.toml",
        "[en]\n",
        "[nl]\nlanguage_name = 'Nederlands'\n\n[en]\n",
        "messages.toml: nl.",
    ),
    ("messages.toml", "[es]\n", "[es-MX]\n", "messages.toml: es-MX: a language is a two-letter code"),
    (
        "questions.toml",
        'help_es = "También puedes escribir un número del 0 al 10."\n',
        "",
        "questions.toml: questions[0].help_es: missing (the guidance ships 'es')",
    ),
    (
        "questions.toml",
        'text_es = "¿Tienes algún moretón donde entraron las agujas?"',
        'text_es = "¿Tienes algún moretón donde entraron las agujas?"\ntext_nl = "Blauwe plekken?"',
        "questions.toml: questions[1].text_nl: 'nl' is not a language of this guidance",
    ),
    (
        "questions.toml",
        'label_es = "Sin moretones"\n',
        "",
        "questions.toml: questions[1].options[0].label_es: missing",
    ),
    (
        "questions.toml",
        'short_es = "Dolor de pecho"\n',
        "",
        "questions.toml: questions[3].options[0].short_es: missing (the guidance ships 'es')",
    ),
    ("areas.toml", 'label_es = "Cuello"\n', "", "areas.toml: areas.neck.label_es: missing"),
    ("rules.toml", "reason_es = ", "reason_fr = ", "rules.toml: rules[0].reason_fr: 'fr' is not a language"),
    ("course.toml", 'patient = "Según el paciente"\n', "", "course.toml: labels.es.patient: missing"),
    ("course.toml", "[labels.es]", "[labels.nl]", "course.toml: labels.nl: 'nl' is not a language"),
]


@pytest.mark.parametrize("name, old, new, expected", INCOMPLETE_LANGUAGES)
def test_a_missing_or_extra_translation_is_refused_naming_file_and_key(tmp_path, name, old, new, expected):
    assert expected in edited_guidance_error(tmp_path, name, old, new)


def drop_spanish_tip(edited):
    (edited / "tips" / "es" / "hydration.md").unlink()


def leave_a_translation_behind(edited):
    (edited / "tips" / "es" / "hydrate.md").write_text("Bebe agua.", encoding="utf-8")


def add_an_undeclared_language(edited):
    (edited / "tips" / "nl").mkdir()
    (edited / "tips" / "nl" / "hydration.md").write_text("Drink water.", encoding="utf-8")


TIP_LANGUAGES = [
    (drop_spanish_tip, "tips.toml: tips[1].file: missing tips/es/hydration.md (the guidance ships 'es')"),
    (leave_a_translation_behind, "tips.toml: tips: tips/es/hydrate.md translates no tip"),
    (add_an_undeclared_language, "tips.toml: tips: tips/nl/hydration.md: 'nl' is not a language"),
]


@pytest.mark.parametrize("breakage, says", TIP_LANGUAGES, ids=lambda v: getattr(v, "__name__", None))
def test_every_tip_is_in_every_language_and_no_other(tmp_path, breakage, says):
    edited = tmp_path / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, edited)
    breakage(edited)
    with pytest.raises(GuidanceError) as raised:
        load_guidance(edited)
    assert says in str(raised.value)


def test_every_translated_key_is_in_every_shipped_language(guidance):
    """What the loader enforces, seen from the loaded guidance: nothing falls back to English."""
    languages = set(guidance.messages)
    assert {"en", "es"} <= languages
    for question in guidance.questions:
        assert set(question.texts) == languages, question.id
        assert set(question.helps) == (languages if question.help else set()), question.id
        for option in question.options:
            assert set(option.labels) == languages, option.id
    assert all(set(area.labels) == languages for area in guidance.areas.values())
    assert all(set(rule.reasons) == languages for rule in guidance.rules)
    assert all(set(tip.texts) == languages for tip in guidance.tips)
    assert guidance.course is not None and set(guidance.course.labels) == languages


def escape_by_symlink(edited):
    outside = edited.parent / "secret.md"
    outside.write_text("the clinic's private notes", encoding="utf-8")
    (edited / "tips" / "hydration.md").unlink()
    (edited / "tips" / "hydration.md").symlink_to(outside)


def point_tip_at(target: str):
    def edit(edited):
        (edited.parent.parent / "secret.md").write_text("the clinic's private notes", encoding="utf-8")
        tips = edited / "tips.toml"
        text = tips.read_text(encoding="utf-8")
        tips.write_text(text.replace('file = "tips/hydration.md"', f'file = "{target}"', 1), encoding="utf-8")

    edit.__name__ = f"tip_file_{target}"
    return edit


def make_binary(edited):
    (edited / "tips" / "hydration.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")


def make_latin1(edited):
    (edited / "tips" / "es" / "hydration.md").write_bytes("Bebe más agua".encode("latin-1"))


def toml_not_utf8(edited):
    (edited / "course.toml").write_bytes("title = 'Evolución'".encode("latin-1"))


# (how the folder is broken, what the error says)
FILE_ESCAPES = [
    (
        point_tip_at("../../secret.md"),
        "tips.toml: tips[",
        ".file: ../../secret.md is outside the guidance folder",
    ),
    (point_tip_at("/etc/passwd"), "tips.toml: tips[", ".file: /etc/passwd is outside the guidance folder"),
    (escape_by_symlink, "tips.toml: tips[", ".file: tips/hydration.md is outside the guidance folder"),
    (make_binary, "tips.toml: tips[", ".file: hydration.md is not a text file"),
    (make_latin1, "tips.toml: tips[", ".file: hydration.md is not UTF-8 text"),
    (toml_not_utf8, "course.toml: not UTF-8 text", ""),
]


@pytest.mark.parametrize("breakage, names, says", FILE_ESCAPES, ids=lambda v: getattr(v, "__name__", None))
def test_guidance_files_stay_inside_the_folder_and_are_text(tmp_path, breakage, names, says):
    edited = tmp_path / "clinic" / "guidance"
    shutil.copytree(SHIPPED_GUIDANCE, edited)
    breakage(edited)
    with pytest.raises(GuidanceError) as raised:
        load_guidance(edited)
    assert str(raised.value).startswith(names) and says in str(raised.value)
