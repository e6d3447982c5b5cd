"""The Spanish texts keep one register (tú) and one neutral vocabulary, understood in Spain and
Latin America: every patient- and staff-facing Spanish text of the guidance is read for words
that break it. (The lexicon reads both varieties; it is not a text anyone is sent.)"""

import re

import pytest

# (a word or phrase, lower-case, that must not appear; why)
AVOIDED = [
    ("moratón", "one word for a bruise in every text: moretón"),
    ("moratones", "one word for a bruise in every text: moretones"),
    ("usted", "the register is tú"),
    ("vosotros", "plural forms of Spain only"),
    ("carrera", "reads as a race: salir a correr"),
    ("agarrot", "Spain only: ponerse rígido"),
    ("marcas personales", "Spain only: récords personales"),
    ("indicado", "reads as prescribed"),
    ("adormecido", "an adjective among nouns: entumecimiento"),
]


def spanish_texts(guidance) -> dict[str, str]:
    texts = {f"messages.es.{key}": text for key, text in guidance.messages["es"].items()}
    for question in guidance.questions:
        texts[f"{question.id}.text_es"] = question.texts["es"]
        texts[f"{question.id}.help_es"] = question.helps.get("es", "")
        for option in question.options:
            texts[f"{question.id}.{option.id}.label_es"] = option.labels["es"]
            texts[f"{question.id}.{option.id}.short_es"] = option.shorts.get("es", "")
    texts |= {f"rules.{rule.id}.reason_es": rule.reasons["es"] for rule in guidance.rules}
    texts |= {f"tips/es/{tip.id}": tip.texts["es"] for tip in guidance.tips}
    texts |= {f"areas.{area.id}.label_es": area.labels["es"] for area in guidance.areas.values()}
    assert guidance.course is not None
    texts |= {f"course.labels.es.{key}": text for key, text in guidance.course.labels["es"].items()}
    return texts


@pytest.mark.parametrize("word, why", AVOIDED)
def test_spanish_texts_avoid(guidance, word, why):
    pattern = re.compile(rf"\b{word}", re.IGNORECASE)
    found = [where for where, text in spanish_texts(guidance).items() if pattern.search(text)]
    assert not found, f"{word!r} ({why}) in {found}"


def test_the_chart_says_whose_values_and_the_first_run_is_no_race(guidance):
    assert guidance.course.labels["es"]["patient"] == "Según el paciente"
    first_run = next(tip for tip in guidance.tips if tip.id == "running_first_run")
    assert first_run.texts["es"].startswith("**Tu primera salida a correr**")
