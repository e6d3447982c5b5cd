"""The lexicon's pattern language: `cant ~ @breath`, `sleep*`, `^ help`, `bien $`.

Compiles a pattern's text once and finds where it matches in a run of tokens. `bot.reader.matcher`
indexes many patterns and decides what they mean; the words themselves live in
`guidance/lexicon.toml`. Pure; imports only `bot.reader.tokens`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from bot.reader.tokens import SENTENCE_WORDS, Token, is_boundary, normalise

GAP_WORDS = 4
MIN_PREFIX = 3


class PatternError(ValueError):
    """A lexicon pattern that cannot be compiled; the message says why."""


@dataclass(frozen=True)
class Element:
    kind: str  # "word", "prefix", "alt", "gap" or "end" (`$`: the clause ends here)
    text: str = ""
    alternatives: tuple[Pattern, ...] = ()
    # For "alt": its one-word alternatives as a set and its prefixes, so a group of a hundred
    # words costs one lookup; only multi-word alternatives are matched element by element.
    words: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    multi: tuple[Pattern, ...] = ()  # multi-word alternatives not starting with a plain word
    multi_by_word: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict, hash=False, compare=False)


def _alternation(name: str, alternatives: Sequence[Pattern]) -> Element:
    if any(a.anchored for a in alternatives):
        raise PatternError(f"'^' only opens a finding's pattern, not a word of @{name}")

    def one_word(alternative: Pattern) -> bool:
        return len(alternative.elements) == 1 and alternative.elements[0].kind in ("word", "prefix")

    single = [a.elements[0] for a in alternatives if one_word(a)]
    multi = [a for a in alternatives if not one_word(a)]
    by_word: dict[str, list[Pattern]] = defaultdict(list)
    for alternative in multi:
        if alternative.elements[0].kind == "word":
            by_word[alternative.elements[0].text].append(alternative)
    return Element(
        "alt",
        name,
        tuple(alternatives),
        words=frozenset(e.text for e in single if e.kind == "word"),
        prefixes=tuple(e.text for e in single if e.kind == "prefix"),
        multi=tuple(a for a in multi if a.elements[0].kind != "word"),
        multi_by_word={word: tuple(patterns) for word, patterns in by_word.items()},
    )


@dataclass(frozen=True)
class Pattern:
    source: str
    elements: tuple[Element, ...]
    anchored: bool = False  # `^`: only where a clause starts


def compile_pattern(source: str, groups: Mapping[str, Sequence[Pattern]]) -> Pattern:
    """Compile `cant ~ @breath` style text; `groups` holds already compiled @groups. A `~` steps
    over words and a label's colon ("Breathing: a bit hard"), never over other punctuation. A `$`
    matches where the clause ends ("bien $": "pecho bien," but not "pecho bien fuerte"); a
    leading `^` where it starts ("^ help": a bare "help", not "would heat help")."""
    pieces = normalise(source, {}, {}).replace("-", " ").split()
    anchored = bool(pieces) and pieces[0] == "^"
    if anchored:
        pieces = pieces[1:]
    if not pieces:
        raise PatternError(f"'{source}': empty pattern")
    elements = []
    for piece in pieces:
        if piece == "~":
            elements.append(Element("gap"))
        elif piece == "$":
            elements.append(Element("end"))
        elif piece.startswith("@"):
            name = piece[1:]
            if name not in groups:
                raise PatternError(f"unknown term group '@{name}' in '{source}'")
            elements.append(_alternation(name, groups[name]))
        elif piece.endswith("*"):
            stem = piece[:-1]
            if len(stem) < MIN_PREFIX or not stem.isalnum():
                raise PatternError(f"'{piece}' in '{source}': a prefix needs {MIN_PREFIX}+ letters")
            elements.append(Element("prefix", stem))
        elif piece.isalnum():
            elements.append(Element("word", piece))
        else:
            raise PatternError(f"'{piece}' in '{source}': only words, word*, ~, $, a leading ^ and @group")
    if elements[0].kind == "gap" or elements[-1].kind == "gap":
        raise PatternError(f"'{source}': a pattern cannot start or end with ~")
    if elements[0].kind == "end":
        raise PatternError(f"'{source}': a pattern cannot start with $")
    return Pattern(source, tuple(elements), anchored)


def first_keys(pattern: Pattern) -> Iterator[tuple[str, str]]:
    first = pattern.elements[0]
    if first.kind == "alt":
        for alternative in first.alternatives:
            yield from first_keys(alternative)
    else:
        yield first.kind, first.text


def pattern_words(pattern: Pattern) -> Iterator[str]:
    for element in pattern.elements:
        if element.kind in ("word", "prefix"):
            yield element.text
        for alternative in element.alternatives:
            yield from pattern_words(alternative)


def match_ends(
    tokens: Sequence[Token],
    i: int,
    elements: Sequence[Element],
    stop: frozenset[str],
    k: int = 0,
    skip: Sequence[int] = (),
) -> Iterator[int]:
    """Every end index at which `elements[k:]` matches tokens starting at `i`. A gap never
    swallows a word in `stop` (negations), so "bruise is not big" is not "bruise ~ big".
    `skip[i]`, where given, is the index after a run of filler words starting at `i`: a word
    after the first may follow them ("can't properly sleep" is "cant sleep")."""
    if k == len(elements):
        yield i
        return
    element = elements[k]
    if k and skip and skip[i] > i and element.kind != "gap" and element.kind != "end":
        # skip[i] ends a maximal run, so this does not skip again; the filler words themselves
        # may still be what the pattern wants ("a bit of blood"), so go on at i as well.
        yield from match_ends(tokens, skip[i], elements, stop, k, skip)
    if element.kind == "gap":
        j = i
        yield from match_ends(tokens, j, elements, stop, k + 1, skip)
        for _ in range(GAP_WORDS):
            if j >= len(tokens) or tokens[j].text in SENTENCE_WORDS or tokens[j].text in stop:
                return
            if not tokens[j].is_word and tokens[j].text != ":":  # "Breathing: hard" is one statement
                return
            j += 1
            yield from match_ends(tokens, j, elements, stop, k + 1, skip)
        return
    if element.kind == "end":
        if i >= len(tokens) or is_boundary(tokens[i]):
            yield from match_ends(tokens, i, elements, stop, k + 1, skip)
        return
    if i >= len(tokens):
        return
    text = tokens[i].text
    if element.kind == "word":
        if text == element.text:
            yield from match_ends(tokens, i + 1, elements, stop, k + 1, skip)
    elif element.kind == "prefix":
        if text.startswith(element.text):
            yield from match_ends(tokens, i + 1, elements, stop, k + 1, skip)
    else:
        if text in element.words or any(text.startswith(p) for p in element.prefixes):
            yield from match_ends(tokens, i + 1, elements, stop, k + 1, skip)
        for alternative in (*element.multi_by_word.get(text, ()), *element.multi):
            for end in match_ends(tokens, i, alternative.elements, stop, 0, skip):
                yield from match_ends(tokens, end, elements, stop, k + 1, skip)
