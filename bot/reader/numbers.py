"""Soreness scores and temperatures written in free text.

"6/10", "six out of ten", "about a 4 now", "was a 4, now a 2", "3 yesterday, 6 today",
"38.9" are read here; "15 min", "a 10 cent coin", "my 3rd tissue", "day 2" are not scores. The word
lists (number words, units, time markers) come from `guidance/lexicon.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.reader.tokens import Token

MARKER_REACH = 4
DEGREE_WORDS = ("degrees", "c", "f", "deg", "grados", "grad")  # a temperature written with its unit


@dataclass(frozen=True)
class NumberWords:
    values: Mapping[str, int]
    units: frozenset[str]
    cues: frozenset[str]
    past: frozenset[str]
    past_before: frozenset[str]
    current: frozenset[str]
    current_before: frozenset[str]
    labels: frozenset[str] = frozenset()  # "day 2", "dia tres": a number naming a day, not a score
    compare: frozenset[str] = frozenset()  # "same as yesterday": "yesterday" dates no number


@dataclass(frozen=True)
class ScoreReading:
    current: int | None
    previous: int | None
    temperatures: tuple[float, ...]


def _value(token: Token, words: NumberWords) -> float | None:
    text = token.text
    if token.is_number:
        if not text.replace(".", "", 1).replace(",", "", 1).isdigit():
            return None  # "3rd", "3k": a quantity, not a score
        return float(text.replace(",", "."))
    return words.values.get(text)


def _out_of_ten(tokens: Sequence[Token], i: int, words: NumberWords) -> bool:
    after = [t.text for t in tokens[i + 1 : i + 4]]
    ten = ("10",) + tuple(word for word, value in words.values.items() if value == 10)  # "ten", "diez"
    return (
        (len(after) >= 2 and after[0] == "/" and after[1] in ten)
        or (len(after) >= 3 and after[0] in ("out", "outta") and after[1] == "of" and after[2] in ten)
        or (len(after) >= 2 and after[0] == "outta" and after[1] in ten)
        or (len(after) >= 2 and after[0] in ("of", "de", "sobre", "von") and after[1] in ten)  # "7 de/von 10"
    )


def _is_score(tokens: Sequence[Token], i: int, value: float, words: NumberWords) -> bool:
    if value != int(value) or not 0 <= value <= 10:
        return False
    if i > 0 and tokens[i - 1].text in words.labels:
        return False
    if _out_of_ten(tokens, i, words):
        return True
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    before = tokens[i - 1].text if i > 0 else ""
    if after in words.units or after in (":", "of", "/", "x") or before in (":", "/"):
        return False
    if tokens[i].is_number:
        return True
    return before in words.cues


def _tense(tokens: Sequence[Token], i: int, words: NumberWords) -> str | None:
    """'past' or 'current' from the nearest time marker in the same clause, if any. Some
    markers only look forward: "from" in "up to a 5 from a 2" dates the 2, not the 5."""
    clause = tokens[i].clause
    for distance in range(1, MARKER_REACH + 1):
        for j in (i - distance, i + distance):
            if 0 <= j < len(tokens) and tokens[j].clause == clause:
                text = tokens[j].text
                before = j < i
                if text in words.current or (before and text in words.current_before):
                    return "current"
                if text in words.past or (before and text in words.past_before):
                    if not before and tokens[j - 1].text in words.compare:
                        continue  # "a 5, same as yesterday": today's 5 (but "than yesterday's 5")
                    return "past"
    return None


def read_scores(tokens: Sequence[Token], words: NumberWords, fever_c: float, fever_f: float) -> ScoreReading:
    scores: list[tuple[int, str | None]] = []
    temperatures: list[float] = []
    denominators: set[int] = set()
    for i, token in enumerate(tokens):
        value = _value(token, words)
        if value is None or i in denominators:
            continue
        if fever_c - 3 <= value < 45 or fever_f - 8 <= value < 110:
            unit_follows = i + 1 < len(tokens) and tokens[i + 1].text in DEGREE_WORDS
            if value != int(value) or unit_follows:
                temperatures.append(value)
                continue
        if _out_of_ten(tokens, i, words):
            denominators.update(range(i + 1, i + 4))
        if _is_score(tokens, i, value, words):
            scores.append((int(value), _tense(tokens, i, words)))
    current = previous = None
    if scores:
        past = [v for v, tense in scores if tense == "past"]
        now = [v for v, tense in scores if tense == "current"]
        unmarked = [v for v, tense in scores if tense is None]
        previous = past[-1] if past else None
        if now:
            current = now[-1]
        elif unmarked:
            current = unmarked[-1]
            if previous is None and len(unmarked) > 1:
                previous = unmarked[-2]
    return ScoreReading(current, previous, tuple(temperatures))


def has_fever(temperatures: Sequence[float], fever_c: float, fever_f: float) -> bool:
    return any(fever_c <= t < 45 or fever_f <= t < 110 for t in temperatures)
