"""Spanish-speaking patients: their free text is read by the Spanish half of the lexicon, and the
outcome they see gives its reasons in Spanish (`reason_es` in rules.toml).

The table below was written from the clinical spec (shared/clinical/triage-rules.md), in the
Spanish patients actually write: accents often missing, slang from Spain and Latin America,
negations ("no tengo fiebre ni ..."), warning signs hidden in a happy reply, and trends.
"""

import pytest

from bot.guidance.config import load_config
from bot.reader.matcher import present
from bot.reader.patterns import PatternError, compile_pattern, match_ends
from bot.reader.tokens import normalise, tokenize
from bot.render import checkin as cr
from bot.triage.engine import Context, Reply, triage

from .harness import write_config

E, C, N = "emergency", "contact_practitioner", "normal"

# (text, hours, treated area, expected bucket, the rule that should decide or None)
CASES = [
    # ---- emergency: every rule E1-E9
    ("me duele el pecho de repente, como un pinchazo", 24, "calf", E, "E1"),
    ("Tengo un dolor punzante en el pecho desde esta mañana", 6, "hamstring", E, "E1"),
    ("la pierna bien, pero me duele el pecho", 24, "quads", E, "E1"),
    ("me duele bien feo el pecho, wey", 24, "hip", E, "E1"),
    ("estoy fatal, me duele el pecho un monton", 48, "lower_back", E, "E1"),
    ("me falta el aire cuando subo las escaleras", 24, "glutes", E, "E2"),
    ("no puedo respirar bien desde anoche", 48, "lower_back", E, "E2"),
    ("me cuesta respirar hondo", 6, "calf", E, "E2"),
    ("siento que me ahogo al caminar", 24, "hip", E, "E2"),
    ("no me entra el aire, tuve que dormir incorporado", 24, "glutes", E, "E2"),
    ("todo genial 👍 aunque me cuesta un poco respirar", 6, "calf", E, "E2"),
    ("me duele al respirar hondo, debajo del omoplato", 24, "upper_back", E, "E3"),
    ("cuando cojo aire me da una punzada en el costado", 48, "shoulder", E, "E3"),
    ("no tengo fiebre ni nada, solo que me duele al respirar", 72, "mid_back", E, "E3"),
    ("noto una opresion en el pecho", 6, "neck", E, "E4"),
    ("tengo pitidos al respirar desde la sesión", 24, "upper_trap", E, "E4"),
    ("tengo el pecho cerrado y pitos", 48, "neck", E, "E4"),
    ("tengo una tos seca y me falta un poco el aire", 24, "hip", E, "E5"),
    ("empecé con tos y me molesta el pecho", 24, "neck", E, "E5"),
    ("he tosido sangre esta mañana", 24, "upper_back", E, "E6"),
    ("escupí flema con sangre y me duele el pecho", 48, "hip", E, "E6"),
    ("me duele un poco al respirar pero seguro que es la ansiedad", 24, "calf", E, "E7"),
    ("me mareé y noto el pecho apretado", 6, "lower_back", E, "E8"),
    ("estoy mareada y con dolor en el pecho", 24, "hamstring", E, "E8"),
    ("se me hincharon los labios y la lengua despues de la sesion", 6, "calf", E, "E9"),
    ("tiene los labios azules y casi no habla", 24, "neck", E, "E9"),
    ("mi marido se desmayó en casa y no responde", 6, "upper_back", E, "E9"),
    # negations that must not swallow the warning sign, and "bien" as "very"
    ("nunca había sentido un dolor así en el pecho", 24, "calf", E, "E1"),
    ("me duele el pecho bien fuerte", 24, "calf", E, "E1"),
    ("me duele el pecho más bien al respirar", 24, "quads", E, "E1"),
    ("no tengo fiebre pero me duele el pecho", 48, "hip", E, "E1"),
    ("me desperté sin poder respirar", 6, "hip", E, "E2"),
    ("me quedo sin aire con nada", 48, "calf", E, "E2"),
    # ---- contact the practitioner
    ("ayer un 3, hoy un 6", 48, "hamstring", C, "C1"),
    ("me duele mas que ayer", 48, "quads", C, "C1"),
    ("sigue igual, un 4 de 10", 72, "calf", C, "C2"),
    ("el dolor es insoportable, no he pegado ojo", 24, "glutes", C, "C3"),
    ("un 8 sobre 10 y el ibuprofeno no me hace nada", 24, "hip", C, "C3"),
    ("ahora el dolor me baja hasta la rodilla", 24, "hamstring", C, "C4"),
    ("tengo pinchazos en la pantorrilla", 24, "calf", C, "C5"),
    ("me ha salido un moratón enorme, mas grande que la palma de la mano", 48, "quads", C, "C6"),
    ("la zona esta muy hinchada", 24, "calf", C, "C7"),
    ("me noto un bulto duro donde me pinchaste", 48, "glutes", C, "C7"),
    ("la zona esta caliente al tocarla", 24, "hamstring", C, "C8"),
    ("le sale pus a uno de los puntitos", 48, "calf", C, "C9"),
    ("tengo fiebre y escalofrios desde anoche", 24, "hip", C, "C9"),
    ("tengo 38,5 y me encuentro fatal", 48, "lower_back", C, "C9"),
    ("la piel esta roja y el rojo se extiende", 48, "quads", C, "C9"),
    ("tengo hormigueo en los dedos de la mano", 24, "neck", C, "C10"),
    ("se me duerme la pierna a ratos", 24, "glutes", C, "C10"),
    ("siento la zona dormida", 24, "calf", C, "C10"),  # "la zona": the treated spot, a body part
    ("me cuesta mover la zona", 24, "calf", C, "C11"),  # the checklist's own words for weakness
    ("opresión en el pecho", 24, "calf", E, "E4"),  # "pecho" names the chest as "chest" does
    ("no puedo levantar el brazo por encima del hombro", 24, "shoulder", C, "C11"),
    ("noto el brazo debil, se me caen las cosas", 48, "upper_trap", C, "C11"),
    ("me he mareado un poco al levantarme", 6, "calf", C, "C12"),
    ("sigo muy cansada, sin energia", 48, "hip", C, "C13"),
    ("estoy tan cansado que no pude ir a trabajar", 24, "lower_back", C, "C14"),
    ("el punto sigue sangrando aunque aprieto con una gasa", 6, "calf", C, "C16"),
    ("todo bien, aunque tengo un poco de tos", 24, "hip", C, "C15"),
    ("😊 muy bien todo, solo que noto el pie acorchado", 24, "calf", C, "C10"),
    ("no paro de toser", 24, "neck", C, "C15"),
    ("no puedo ni caminar del dolor", 24, "calf", C, "C3"),
    ("el dolor se me ha ido a la espalda", 24, "glutes", C, "C4"),
    ("tengo la pierna inchada", 24, "calf", C, "C7"),  # "hinchada" without the h
    ("tengo ormigueo en la mano", 24, "neck", C, "C10"),  # "hormigueo" without the h
    # ---- normal
    ("un poco dolorido, como agujetas, un 3/10", 24, "hamstring", N, "N1"),
    ("me duele un poco la zona, nada grave", 24, "quads", N, "N1"),
    ("Me siento como si me hubiera pasado un camion por encima, un 5", 6, "glutes", N, "N3"),
    ("un 2, mejor que ayer", 72, "calf", N, "N4"),
    ("era un 5 y ahora un 2", 72, "hip", N, "N4"),
    ("tengo un moratón pequeño y unos puntitos rojos", 24, "calf", N, "N5"),
    ("estoy cansadilla y con sueño", 6, "hamstring", N, "N6"),
    ("ya no estoy cansado, con mucha energia", 48, "quads", N, "N7"),
    ("¡Genial! 👍", 24, "calf", N, "N8"),
    ("todo bien, gracias", 72, "neck", N, "N8"),
    ("Muy bien, sin molestias", 48, "upper_back", N, "N8"),
    ("mucho mejor que ayer, casi nada de dolor", 48, "hip", N, None),
    ("me siento relajada y un poco sensible", 6, "neck", N, "N9"),
    ("el musculo dio unos saltitos pero ya esta", 6, "calf", N, "N10"),
    ("¿puedo salir a correr mañana?", 24, "calf", N, "N11"),
    ("¿Puedo tomar ibuprofeno?", 6, "neck", N, "N11"),
    ("¿puedo tomarme un cafe?", 6, "shoulder", N, "N11"),
    ("¿puedo ir al gimnasio hoy?", 48, "upper_back", N, "N11"),
    ("¿puedo tomar una cerveza esta noche?", 24, "glutes", N, "N11"),
    (
        "no tengo fiebre, ni dolor en el pecho, respiro bien, solo algo de agujetas",
        24,
        "upper_back",
        N,
        "N12",
    ),
    ("sin fiebre ni hormigueo, un 2 de 10", 48, "calf", N, None),
    ("respiracion normal, sin dolor", 24, "neck", N, None),
    ("respiro sin problemas y el pecho esta bien", 24, "chest", N, None),
    ("el mareo de ayer ya se me paso, hoy estoy bien", 24, "hip", N, None),
    ("mi hija tiene fiebre pero yo estoy bien", 24, "calf", N, None),
    ("me duele un poco el cuello pero respiro bien, un 3", 24, "neck", N, "N1"),
    ("nada de hormigueos ni mareos, todo tranqui", 48, "hamstring", N, None),
    ("fiebre no, pecho bien, respiración bien, dolor 3/10", 24, "upper_back", N, "N1"),
    ("el pecho bien, la pierna un poco dolorida", 24, "calf", N, "N1"),
    ("mi madre tuvo un infarto el año pasado, yo estoy bien", 24, "calf", N, "N8"),
    ("las marcas de los pinchazos casi no se ven", 24, "calf", N, "N5"),
    ("¿puedo ducharme con agua caliente?", 6, "calf", N, "N11"),
    ("hace mucho calor hoy pero estoy bien", 24, "calf", N, "N8"),
]


@pytest.fixture(scope="module")
def results(guidance):
    out = []
    for text, hours, area, expected, rule in CASES:
        assessment = triage(Reply(text), Context(hours=hours, areas=(area,)), guidance)
        out.append((text, expected, rule, assessment))
    return out


def test_the_table_covers_every_bucket_and_every_emergency_rule():
    assert len(CASES) >= 40
    assert {c[3] for c in CASES} == {E, C, N}
    assert {f"E{i}" for i in range(1, 10)} <= {c[4] for c in CASES if c[3] == E}


def test_spanish_replies_meet_the_safety_bar(results):
    emergencies = [r for r in results if r[1] == E]
    escalations = [r for r in results if r[1] != N]
    missed_emergency = [(t, a.bucket, a.rules) for t, exp, _, a in emergencies if a.bucket != E]
    missed_escalation = [(t, a.bucket, a.rules) for t, exp, _, a in escalations if a.bucket == N]
    assert not missed_emergency, missed_emergency
    assert not missed_escalation, missed_escalation
    exact = sum(a.bucket == exp for _, exp, _, a in results) / len(results)
    wrong = [(t, exp, a.bucket, a.rules) for t, exp, _, a in results if a.bucket != exp]
    assert exact >= 0.9, wrong


def test_the_named_rule_fires(results):
    """Each case's rule fires: the right reason is given, not only the right bucket."""
    missing = [(t, rule, a.rules) for t, _, rule, a in results if rule and rule not in a.rules]
    assert len(missing) <= len(results) // 10, missing


# ---- the engine pieces Spanish needs


def test_accents_and_enye_are_dropped_so_patterns_need_none():
    assert normalise("Respiración, MAÑANA, pingüino ❤️", {"❤": "love"}, {}).split() == [
        "respiracion,",
        "manana,",
        "pinguino",
        "love",
    ]
    assert [t.text for t in tokenize("me duele al respirar")] == [
        t.text for t in tokenize("me duele al respirár")
    ]


def test_spanish_conjunctions_end_a_negation():
    """'no tengo fiebre pero me duele el pecho': the 'no' must not reach the chest pain."""
    tokens = tokenize("no tengo fiebre pero me duele el pecho y no hay tos")
    by_word = {t.text: t for t in tokens}
    assert by_word["no"].clause != by_word["duele"].clause
    assert by_word["pero"].sentence == by_word["duele"].sentence != by_word["fiebre"].sentence


@pytest.mark.parametrize(
    "text, finding, found",
    [
        ("no tengo fiebre", "fever", False),
        ("sin fiebre", "fever", False),
        ("nunca he tenido hormigueo", "numbness", False),
        ("ni mareo ni nada", "dizziness", False),
        ("no se si es fiebre", "fever", True),  # pseudo-negation: "no sé si"
        ("no estoy seguro pero creo que tengo fiebre", "fever", True),
        ("no tengo fiebre pero si hormigueo", "numbness", True),
        ("el hormigueo ya se me paso", "numbness", False),  # resolved
        ("mi hijo tiene fiebre", "fever", False),  # someone else
        ("tuve fiebre el mes pasado", "fever", False),  # the past
        ("respiro bien", "breath_pain", False),
        ("me duele al respirar", "breath_pain", True),
        ("me duele al respirar, aunque respiro bien", "breath_pain", True),
        ("no puedo respirar bien", "breathless", True),
        ("no me falta el aire", "breathless", False),
        ("la pierna sin problemas", "soreness", False),
    ],
)
def test_spanish_negation_denial_resolution_and_elsewhere(guidance, text, finding, found):
    matcher = guidance.lexicon.matcher
    matches = matcher.scan(matcher.tokens(text))
    assert bool(present(matches, matcher.findings[finding])) is found


@pytest.mark.parametrize(
    "text, now, before",
    [
        ("un 7 de 10", 7, None),
        ("siete sobre diez", 7, None),
        ("ayer un 3, hoy un 6", 6, 3),
        ("era un cinco y ahora un dos", 2, 5),
        ("tengo un dolor de 4", 4, None),
        ("camine 5 minutos y estoy en un 2", 2, None),
    ],
)
def test_spanish_scores(guidance, text, now, before):
    assessment = triage(Reply(text), Context(hours=48, areas=("calf",)), guidance)
    assert (assessment.soreness, assessment.previous_soreness) == (now, before)


def test_a_spanish_temperature_in_degrees_is_a_fever(guidance):
    assert "fever" in triage(Reply("tengo 38 grados"), Context(hours=24, areas=("calf",)), guidance).findings


def test_end_of_clause_element():
    """`$` matches where a clause ends: "bien $" denies "pecho bien," but not "pecho bien fuerte"."""
    groups: dict = {}
    pattern = compile_pattern("bien $", groups)

    def ends(text):
        return list(match_ends(tokenize(text), 1, pattern.elements, frozenset()))

    assert (
        ends("pecho bien") == [2] and ends("pecho bien, pierna") == [2] and ends("pecho bien y pierna") == [2]
    )
    assert ends("pecho bien fuerte") == []
    with pytest.raises(PatternError):
        compile_pattern("$ bien", groups)


# ---- what the patient is told


@pytest.fixture
def clinic(tmp_path):
    return load_config(
        write_config(tmp_path, "http://127.0.0.1:9/bot", [(1, "Dana", "practitioner")])
    ).clinic("harbour")


def test_spanish_patients_see_spanish_reasons(guidance, clinic):
    # What the patient reported comes back in Spanish: the sign they ticked by its Spanish label,
    # their own words as they wrote them.
    calf = Context(hours=24, areas=("calf",))
    ticked = triage(Reply(answers={"warning_signs": ["numbness"]}), calf, guidance)
    assert ticked.bucket == C
    text = cr.outcome(guidance, clinic, "es", ticked)
    assert text.startswith("<b>Contacta hoy con Harbour Physio")
    assert "Lo que me has contado: Hormigueo o entumecimiento" in text
    assert "Numbness" not in text
    written = triage(Reply("tengo hormigueo en los dedos"), calf, guidance)
    words = "Lo que me has contado: “tengo hormigueo en los dedos”"
    assert words in cr.outcome(guidance, clinic, "es", written)
    # English patients see the English label; the staff's stored reasons stay the rules', in English.
    assert "What you told me: Numbness or tingling" in cr.outcome(guidance, clinic, "en", ticked)
    assert cr.reasons(guidance, written) == ["Numbness, tingling or pins and needles"]


def test_spanish_emergency_reasons_are_spanish(guidance, clinic):
    neck = Context(hours=6, areas=("neck",))
    assessment = triage(Reply(answers={"warning_signs": ["breathing"]}), neck, guidance)
    text = cr.outcome(guidance, clinic, "es", assessment)
    assert text.startswith("<b>Llama al 999")
    assert "Lo que me has contado: Me falta el aire" in text


def test_every_rule_has_a_spanish_reason(guidance):
    assert [r.id for r in guidance.rules if not r.reasons.get("es")] == []
