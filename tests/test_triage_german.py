"""German-speaking patients: their free text is read by the German words of the lexicon.

The cases (tests/data/triage_de.jsonl, and triage_de_holdout.jsonl kept aside while the lexicon
was tuned) were written from the clinical spec (shared/clinical/triage-rules.md) before the German
words, in the German patients actually write: umlauts typed as "ae"/"oe"/"ue" and "ß" as "ss",
Swiss and Austrian words, typos, negations ("kein", "weder ... noch"), warning signs hidden in a
happy reply, trends, and signs placed in the past or in someone else.
"""

import json
from pathlib import Path

import pytest

from bot.reader.matcher import present
from bot.reader.tokens import normalise, tokenize
from bot.triage.cases import evaluate, read_cases
from bot.triage.engine import Context, Reply, triage

from .conftest import ROOT

E, C, N = "emergency", "contact_practitioner", "normal"
CASE_SETS = [ROOT / "tests" / "data" / "triage_de.jsonl", ROOT / "tests" / "data" / "triage_de_holdout.jsonl"]
EMERGENCY_RULES = {f"E{i}" for i in range(1, 11)}
CONTACT_RULES = {f"C{i}" for i in range(1, 18) if i != 15} | {"U3"}  # C15 is "the worst finding decides"


def labelled(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def named_rule(case: dict) -> str:
    return case["reason"][1 : case["reason"].index("]")]


def test_the_cases_cover_every_emergency_and_contact_rule():
    cases = labelled(CASE_SETS[0])
    assert len(cases) >= 80
    assert {named_rule(c) for c in cases if c["expected"] == E} >= EMERGENCY_RULES
    assert {named_rule(c) for c in cases if c["expected"] == C} >= CONTACT_RULES
    assert {c["expected"] for c in cases} == {E, C, N, "none"}


@pytest.mark.parametrize("path", CASE_SETS, ids=lambda p: p.name)
def test_german_replies_meet_the_bar(guidance, path: Path):
    """Issue 14's bar for a new language: every emergency and escalation caught, normal
    specificity and exact accuracy at least 90 %."""
    report = evaluate(read_cases(path), guidance)
    assert report.emergency_recall == 1.0, report.summary()
    assert report.escalation_recall == 1.0, report.summary()
    assert report.normal_specificity >= 0.9, report.summary()
    assert report.exact_accuracy >= 0.9, report.summary()


def test_the_named_rule_fires(guidance):
    """Each case's rule fires: the right reason is given, not only the right bucket."""
    missing = []
    for case in labelled(CASE_SETS[0]):
        rule = named_rule(case)
        context = Context(hours=case["hours"], areas=(case["area"],))
        rules = triage(Reply(case["text"]), context, guidance).rules
        if rule != "U2" and rule not in rules:
            missing.append((case["text"], rule, rules))
    assert len(missing) <= 10, missing


# ---- the reader pieces German needs


@pytest.mark.parametrize(
    "typed, spelled",
    [
        ("Müdigkeit und Übelkeit", "Muedigkeit und Uebelkeit"),
        ("größer, heiß", "groesser, heiss"),
        ("SCHWÄCHE", "schwaeche"),
        ("Straße", "STRASSE"),
    ],
)
def test_umlauts_and_sharp_s_read_as_their_two_letter_spelling(typed, spelled):
    assert [t.text for t in tokenize(typed)] == [t.text for t in tokenize(spelled)]


def test_spanish_dieresis_stays_a_plain_u():
    """Spanish writes "ü" only after g or q ("pingüino", "agüita"): there it is no German umlaut."""
    assert normalise("pingüino, agüita, pregúntale", {}, {}) == "pinguino, aguita, preguntale"


def test_german_conjunctions_end_a_negation():
    """'keine Schmerzen aber Kribbeln': the 'keine' must not reach the tingling."""
    by_word = {t.text: t for t in tokenize("keine Schmerzen aber Kribbeln, kein Fieber nur Husten")}
    assert by_word["keine"].sentence != by_word["kribbeln"].sentence
    assert by_word["kein"].clause != by_word["husten"].clause
    # "nur" opens a clause without ending the sentence: the pain still pairs with the breath.
    tokens = tokenize("es tut nur beim Einatmen weh")
    assert len({t.sentence for t in tokens}) == 1


@pytest.mark.parametrize(
    "text, finding, found",
    [
        ("kein Fieber", "fever", False),
        ("ohne Fieber", "fever", False),
        ("weder Fieber noch Kribbeln", "numbness", False),
        ("Fieber: nein", "fever", False),
        ("Fieber hab ich keins", "fever", False),
        ("keine Schmerzen aber Kribbeln", "numbness", True),
        ("ich weiss nicht ob das Fieber ist", "fever", True),  # pseudo-negation
        ("der Schwindel ist weg", "dizziness", False),  # resolved
        ("meine Tochter hat Fieber", "fever", False),  # someone else
        ("hatte letzte Woche Fieber", "fever", False),  # the past
        ("noch nie so einen Schmerz in der Brust gehabt", "chest_pain", True),
        ("ich kann nicht richtig durchatmen", "breath_blocked", True),
        ("ich kann gut durchatmen", "breath_blocked", False),
        ("keine Atemnot", "breathless", False),
        ("ich krieg keine Luft", "breathless", True),
        ("es tut weh wenn ich einatme", "breath_pain", True),
        ("Atmung normal, keine Schmerzen", "breath_pain", False),
        ("der Fuss kribbelt nicht mehr", "numbness", False),
        ("die Hand ist eingeschlafen", "numbness", True),
        ("ich bin gestern Abend sofort eingeschlafen", "numbness", False),
    ],
)
def test_german_negation_denial_resolution_and_elsewhere(guidance, text, finding, found):
    matcher = guidance.lexicon.matcher
    matches = matcher.scan(matcher.tokens(text))
    assert bool(present(matches, matcher.findings[finding])) is found


@pytest.mark.parametrize(
    "text, now, before",
    [
        ("so 4 von 10", 4, None),
        ("sieben von zehn", 7, None),
        ("gestern 3, heute 6", 6, 3),
        ("war eine 5, jetzt eine 2", 2, 5),
        ("Heute ist es eine 7, gestern war es eine 4", 7, 4),  # "es" is "it", no time marker
        ("Muskelkater, ca 3/10", 3, None),
    ],
)
def test_german_scores(guidance, text, now, before):
    assessment = triage(Reply(text), Context(hours=48, areas=("calf",)), guidance)
    assert (assessment.soreness, assessment.previous_soreness) == (now, before)


@pytest.mark.parametrize("text", ["ich habe 38 Grad", "38,5 und Schüttelfrost"])
def test_a_german_temperature_is_a_fever(guidance, text):
    assert "fever" in triage(Reply(text), Context(hours=24, areas=("calf",)), guidance).findings


@pytest.mark.parametrize(
    "text, bucket",
    [
        ("Hallo, danke für die Nachricht", "none"),
        ("Grüezi!", "none"),
        ("alles gut", N),
        ("passt scho", N),
        ("ok aber ich habe Atemnot", E),  # the known gap: a sign after a short answer
        # the verdict after an exception is about the rest: "gut" denies no sign before it
        ("bis auf etwas Atemnot alles gut", E),
        ("bis auf die Atemnot geht es mir gut", E),
        ("Kribbeln in der Hand, sonst gut", C),
        ("Atmung gut, alles gut", N),
        ("hoi, ik ben kortademig", C),  # Dutch is still unread: U1, never normal
    ],
)
def test_german_small_talk_short_answers_and_exceptions(guidance, text, bucket):
    assert triage(Reply(text), Context(hours=24, areas=("calf",)), guidance).bucket == bucket
