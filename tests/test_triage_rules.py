"""Every rule of the clinical spec, fired by a reply a patient might write."""

import pytest

from bot.triage.engine import Context, PriorCheckin, Reply, triage

E, C, N = "emergency", "contact_practitioner", "normal"

# (rule that must fire, bucket, hours, area, text)
RULE_EXAMPLES = [
    ("E1", E, 24, "calf", "sudden stabbing pain in the middle of my chest"),
    ("E1", E, 6, "glutes", "my chest really hurts since this afternoon"),
    ("E2", E, 48, "hamstring", "can't catch my breath walking to the kitchen"),
    ("E2", E, 72, "forearm", "been short of breath all evening"),
    ("E3", E, 48, "upper_back", "sharp catch under my shoulder blade every time I breathe in"),
    ("E3", E, 72, "neck", "hurts when I take a deep breath"),
    ("E4", E, 24, "upper_trap", "chest feels tight like a band round it"),
    ("E4", E, 48, "mid_back", "started wheezing last night"),
    ("E5", E, 24, "chest", "got a dry cough and I'm getting winded on the stairs"),
    ("E6", E, 48, "quads", "coughed up blood and I'm short of breath"),
    ("E6", E, 24, "upper_back", "coughing and there's blood in it"),
    ("E7", E, 72, "shoulder", "a bit out of breath but probably just unfit"),
    ("E8", E, 6, "hip", "felt faint and my chest is sore"),
    ("E9", E, 6, "forearm", "my lips are swelling up"),
    ("E9", E, 24, "calf", "he collapsed in the bathroom"),
    ("E10", E, 24, "upper_back", "chest feels a bit weird and I've got a cough"),
    ("E10", E, 48, "calf", "funny feeling in my chest and I went dizzy"),
    ("E10", E, 72, "neck", "my breathing just feels strange"),
    ("C1", C, 48, "calf", "was a 2 yesterday, now a 5"),
    ("C1", C, 72, "hip", "worse than yesterday"),
    ("C2", C, 72, "hip", "still about a 5"),
    ("C2", C, 72, "forearm", "3/10, no change from yesterday"),
    ("C3", C, 24, "quads", "8/10 and can't sleep"),
    ("C3", C, 6, "glutes", "unbearable"),
    ("C4", C, 24, "neck", "the pain is spreading down my arm"),
    ("C5", C, 24, "shoulder", "sharp shooting pain when I reach up, breathing is fine"),
    ("C6", C, 48, "forearm", "huge bruise, bigger than my palm"),
    ("C7", C, 24, "calf", "calf is really swollen"),
    ("C7", C, 48, "hamstring", "there's a hard lump where the needle was"),
    ("C8", C, 24, "lower_back", "the spot feels hot to touch"),
    ("C9", C, 48, "glutes", "there's pus coming out of one of the holes"),
    ("C9", C, 24, "neck", "temperature of 38.5 and shivering"),
    ("C10", C, 24, "lower_back", "numbness in my foot"),
    ("C11", C, 48, "upper_trap", "can't lift my arm above my head, it's gone weak"),
    ("C12", C, 6, "hip", "felt dizzy for a bit, no chest pain, breathing fine"),
    ("C13", C, 48, "hip", "still exhausted"),
    ("C14", C, 24, "upper_back", "too tired to go to work today"),
    ("C15", C, 72, "neck", "really happy with it, only odd thing is my fingers tingle"),
    ("C16", C, 6, "forearm", "it keeps bleeding through the plaster"),
    ("C17", C, 24, "calf", "my chest feels odd, breathing is fine"),
    ("C17", C, 6, "upper_back", "strange feeling in my chest"),
    ("U1", C, 24, "calf", "qwertyuiop zxcvb"),
    ("U2", "none", 24, "calf", "hola??"),
    ("U2", "none", 48, "shoulder", "thanks! what is this exactly?"),
    ("U3", C, 24, "calf", "I'm scared, something's not right"),
    ("U3", C, 48, "hip", "me encuentro fatal"),
    ("N1", N, 24, "quads", "dull ache about 4/10"),
    ("N2", N, 24, "glutes", "bit worse than this morning, 5 out of 10"),
    ("N3", N, 6, "calf", "feel like I've been hit by a truck but only 5/10"),
    ("N4", N, 72, "calf", "down to a 2 now, was a 4 yesterday"),
    ("N5", N, 6, "neck", "few little red dots where the needles went"),
    ("N6", N, 6, "shoulder", "very sleepy, had a nap"),
    ("N7", N, 48, "quads", "my energy is back to normal"),
    ("N8", N, 48, "hip", "feeling great"),
    ("N9", N, 6, "upper_back", "so relaxed after the session"),
    ("N10", N, 6, "hamstring", "a few twitches in the muscle this evening"),
    ("N11", N, 24, "glutes", "is ibuprofen ok to take?"),
    ("N12", N, 48, "calf", "no fever, no numbness, just a bit stiff"),
]


@pytest.mark.parametrize("rule, bucket, hours, area, text", RULE_EXAMPLES)
def test_each_rule_fires_on_a_typical_reply(guidance, rule, bucket, hours, area, text):
    result = triage(Reply(text), Context(hours=hours, areas=(area,)), guidance)
    assert rule in result.rules
    assert result.bucket == bucket


def test_every_rule_in_the_guidance_has_an_example(guidance):
    shipped = {rule.id for rule in guidance.rules}
    assert shipped == {rule for rule, *_ in RULE_EXAMPLES}


def test_distress_yields_to_every_rule_that_acts_on_a_sign(guidance):
    """U3 ("unwell without a named sign") names the rules it yields to one by one: a new
    emergency or contact rule must join the list, or U3 would fire beside it and say no sign was
    named. U1 acts on nothing read, so U3 does not yield to it."""
    [distress] = [rule for rule in guidance.rules if rule.id == "U3"]
    acting = {r.id for r in guidance.rules if r.bucket in (E, C) and not r.unless and r.id != "U1"}
    assert acting <= distress.unless, sorted(acting - distress.unless)


# A negation denies only its own clause; a red flag elsewhere in the reply still decides.
SCOPE_EXAMPLES = [
    ("no fever, no chest pain, just sore", 24, "calf", N),
    ("no fever but my fingers are numb", 24, "forearm", C),
    ("haven't had any tingling or numbness, leg's just tight", 48, "calf", N),
    ("no numbness and no tingling", 24, "forearm", N),
    ("not dizzy at all, but short of breath", 24, "calf", E),
    ("I don't know why but I'm breathless", 24, "calf", E),
    ("not sure if it matters, sharp chest pain now and then", 24, "calf", E),
    ("fine 👍 except my fingers are tingling", 24, "forearm", C),
    ("all good 💪 just a sharp pain in the chest now and again", 6, "shoulder", E),
    ("no cough or anything but there's a whistling noise when I breathe out", 48, "neck", E),
    ("tiredness has gone, feeling myself again", 48, "quads", N),
    ("chest pain has gone now", 24, "upper_back", E),
    ("the bruise is not big, size of a coin", 48, "hip", N),
    ("deep breaths no problem, pec a little sore", 24, "chest", N),
    ("breathing's fine, chest muscle achy where she needled", 24, "chest", N),
    ("I'm fine honestly, just a bit puffed walking the dog, put it down to my hay fever", 72, "mid_back", E),
    ("buzzing with energy today!", 6, "shoulder", N),
    ("hay fever is bad today but otherwise fine", 24, "calf", N),
    # Signs told through a negation count; a denied inability does not.
    ("can't seem to get a full breath in", 24, "calf", E),
    ("struggling to take a deep breath", 24, "quads", E),
    ("no trouble getting a full breath, just stiff", 24, "calf", N),
    # Findings placed in the past or in someone else are not the patient's now...
    ("my daughter has a fever so I'm shattered, calf only mildly achy", 24, "calf", N),
    ("had a chest infection last month, all cleared before the session", 24, "calf", N),
    # ...but that never hides an emergency sign.
    ("my husband is worried, I'm short of breath", 24, "calf", E),
    ("this is her husband, she collapsed in the kitchen", 24, "quads", E),
    ("boss is breathing down my neck at work, neck itself much better", 48, "neck", N),
    ("weak coffee only like you said, back is good", 24, "lower_back", N),
    ("ran 3k flat and easy, maybe a 1", 72, "calf", N),
]


@pytest.mark.parametrize("text, hours, area, bucket", SCOPE_EXAMPLES)
def test_negation_is_scoped_to_its_clause(guidance, text, hours, area, bucket):
    assert triage(Reply(text), Context(hours=hours, areas=(area,)), guidance).bucket == bucket


# Trends come from the text or, failing that, from the patient's earlier answers.
TREND_EXAMPLES = [
    ("it was only a 1 and now it's a 4", 48, (), "rising", C),
    ("dropped from around a 5 to roughly a 3", 48, (), "improving", N),
    ("3 yesterday, 6 today", 48, (), "rising", C),
    ("back up to a 5 from a 2", 72, (), "rising", C),
    ("4", 48, (PriorCheckin(24, 2),), "rising", C),
    ("4", 24, (PriorCheckin(6, 2),), "rising", N),
    ("2", 72, (PriorCheckin(24, 4), PriorCheckin(48, 3)), "improving", N),
    ("3", 72, (PriorCheckin(48, 3),), "steady", C),
    ("1", 72, (PriorCheckin(48, 1),), "steady", N),
    ("no better than yesterday", 72, (), "steady", C),
]


@pytest.mark.parametrize("text, hours, history, trend, bucket", TREND_EXAMPLES)
def test_trend_from_text_and_history(guidance, text, hours, history, trend, bucket):
    result = triage(Reply(text), Context(hours=hours, areas=("calf",), history=history), guidance)
    assert (result.trend, result.bucket) == (trend, bucket)


# The thoracic-risk rules use the treated area, an unknown area, or a back named in the text.
AREA_EXAMPLES = [
    ("hurts when I breathe in", "upper_back", E),
    ("hurts when I breathe in", "shoulder", E),
    ("hurts when I breathe in", "somewhere odd", E),
    ("hurts when I breathe in", "back", E),
    ("hip's fine, my back catches when I breathe in", "hip", E),
    ("chest feels tight", "chest", E),
    # Beyond the spec (E4 names thoracic-risk areas): chest tightness is never left at contact
    # level, because naming the chest makes the chest the area in question.
    ("chest feels tight", "calf", E),
    ("short of breath", "calf", E),
]


@pytest.mark.parametrize("text, area, bucket", AREA_EXAMPLES)
def test_thoracic_risk_follows_the_area(guidance, text, area, bucket):
    assert triage(Reply(text), Context(hours=48, areas=(area,)), guidance).bucket == bucket


# Structured answers from the buttons feed the same rules as free text.
ANSWER_EXAMPLES = [
    ({"soreness": 3, "bruising": "none", "fatigue": "some", "warning_signs": ["none"]}, 24, N, "N6"),
    ({"soreness": 8}, 24, C, "C3"),
    ({"soreness": 2, "warning_signs": ["breathing"]}, 48, E, "E2"),
    ({"warning_signs": ["breath_pain"]}, 48, E, "E3"),
    ({"bruising": "growing_hot"}, 48, C, "C6"),
    ({"fatigue": "some"}, 72, C, "C13"),
    ({"fatigue": "severe"}, 6, C, "C14"),
    ({"warning_signs": ["numbness", "dizzy"]}, 24, C, "C10"),
]


@pytest.mark.parametrize("answers, hours, bucket, rule", ANSWER_EXAMPLES)
def test_button_answers_are_triaged(guidance, answers, hours, bucket, rule):
    result = triage(Reply(answers=answers), Context(hours=hours, areas=("upper_back",)), guidance)
    assert (result.bucket, rule in result.rules) == (bucket, True)


def test_text_red_flag_beats_a_none_of_these_button(guidance):
    reply = Reply("actually I can't get a full breath", {"soreness": 2, "warning_signs": ["none"]})
    assert triage(reply, Context(hours=24, areas=("calf",)), guidance).bucket == E


def test_tips_fit_the_hour_intensity_activity_and_question(guidance):
    context = Context(hours=48, areas=("calf",), intensity="heavy", activities=("running",))
    result = triage(Reply("can I go for a run tomorrow? ache about a 2"), context, guidance)
    tips = {tip.id for tip in result.tips}
    assert result.bucket == N
    assert all(not t.checkins or 48 in t.checkins for t in result.tips)
    assert all(not t.intensity or "heavy" in t.intensity for t in result.tips)
    assert any(t.topic == "running" for t in result.tips)
    assert any(t.activity == ("running",) for t in result.tips)
    assert not any(t.topic and t.topic != "running" for t in result.tips), tips


def test_escalated_replies_carry_no_self_care_tips(guidance):
    result = triage(Reply("numb toes"), Context(hours=24, areas=("calf",)), guidance)
    assert result.bucket == C and result.tips == ()


# Distress (U3) is for feeling unwell *without* a named sign: a sign another rule acts on explains
# it, so the reply names that sign. (text, hours, area, the deciding rules)
DISTRESS_WITH_A_SIGN = [
    ("my chest feels weird", 24, "upper_back", ["C17"]),
    ("I'm scared, my fingers have gone numb", 24, "forearm", ["C10", "C15"]),
    ("something's not right and I can't breathe properly", 6, "calf", ["E2"]),
    ("I'm scared", 24, "calf", ["U3"]),
]


@pytest.mark.parametrize("text, hours, area, rules", DISTRESS_WITH_A_SIGN)
def test_distress_yields_to_a_named_sign(guidance, text, hours, area, rules):
    assert triage(Reply(text), Context(hours=hours, areas=(area,)), guidance).rules == rules
