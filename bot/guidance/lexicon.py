"""Load `lexicon.toml` into the reader's types: term groups, findings, negation, numbers, fever.

The reader (`bot.reader`) owns the pattern language, `Finding`, `Matcher` and `NumberWords`;
this module only reads the file into them and bundles them as `bot.guidance.model.Lexicon`.
Imports `bot.reader` and its siblings in `bot.guidance`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.guidance.model import CONVERSATIONAL, Area, Lexicon
from bot.guidance.toml_doc import BOOL, LIST, NUMBER, TABLE, TEXT, TEXTS, WHOLE, Schema, Table
from bot.reader.matcher import Finding, Matcher
from bot.reader.numbers import NumberWords
from bot.reader.patterns import Pattern, compile_pattern
from bot.reader.tokens import normalise

LEXICON = Schema(
    required={"terms": TABLE, "findings": TABLE, "negation": TABLE, "numbers": TABLE, "fever": TABLE},
    optional={"emoji": TABLE, "spelling": TABLE, "keep": TEXTS, "fillers": TEXTS, "conversation": TABLE},
)
TERMS = Schema(values=TEXTS)
WORD_MAP = Schema(values=TEXT)
FINDINGS = Schema(values=TABLE)
FINDING = Schema(
    required={"label": TEXT},
    optional={
        "flag": BOOL,
        "resolvable": BOOL,
        "negatable": BOOL,
        "inverted_by": TEXTS,
        "patterns": TEXTS,
        "all": LIST,
        "exclude": TEXTS,
        "conversational": TEXT,
    },
)
NEGATION = Schema(
    required={"words": TEXTS, "window": WHOLE},
    optional={
        "pseudo": TEXTS,
        "after": TEXTS,
        "after_label": TEXTS,
        "resolved": TEXTS,
        "elsewhere": TEXTS,
        "reported": TEXTS,
        "own": TEXTS,
    },
)
CONVERSATION = Schema(optional={"words": TEXTS})
NUMBERS = Schema(
    required={
        "words": TABLE,
        "units": TEXTS,
        "cues": TEXTS,
        "past": TEXTS,
        "past_before": TEXTS,
        "current": TEXTS,
        "current_before": TEXTS,
    },
    optional={"labels": TEXTS, "compare": TEXTS},
)
NUMBER_WORDS = Schema(values=WHOLE)
FEVER = Schema(required={"celsius_min": NUMBER, "fahrenheit_min": NUMBER, "finding": TEXT})

Groups = Mapping[str, list[Pattern]]


def load_lexicon(top: Table, areas: Mapping[str, Area]) -> Lexicon:
    """The lexicon of `lexicon.toml` (read as `top`); each area's name and aliases find it."""
    groups = _groups(top.table("terms", TERMS))
    findings = [
        _finding(finding_id, table, groups)
        for finding_id, table in top.table("findings", FINDINGS).each(FINDING)
    ]
    for area in areas.values():
        patterns = tuple(compile_pattern(s, groups) for s in (area.id.replace("_", " "), *area.aliases))
        findings.append(
            Finding(f"area_{area.id}", area.label, False, True, False, frozenset(), patterns, (), ())
        )
    fever = top.table("fever", FEVER)
    if fever["finding"] not in {f.id for f in findings}:
        fever.fail("finding", f"unknown finding '{fever['finding']}'")
    words = top.table("conversation", CONVERSATION).strings("words")
    return Lexicon(
        _matcher(top, findings, groups),
        tuple(findings),
        _numbers(top.table("numbers", NUMBERS)),
        float(fever["celsius_min"]),
        float(fever["fahrenheit_min"]),
        fever["finding"],
        frozenset(normalise(w, {}, {}) for w in words),
    )


def _patterns(table: Table, name: str, groups: Groups) -> list[Pattern]:
    return [
        table.parse(f"{name}[{i}]", compile_pattern, text, groups)
        for i, text in enumerate(table.strings(name))
    ]


def _groups(terms: Table) -> dict[str, list[Pattern]]:
    # A group may use the groups above it in the file.
    groups: dict[str, list[Pattern]] = {}
    for name in terms.data:
        groups[name] = _patterns(terms, name, groups)
    return groups


def _finding(finding_id: str, entry: Table, groups: Groups) -> Finding:
    if "conversational" in entry:
        entry.choice("conversational", entry["conversational"], CONVERSATIONAL)
        if entry.get("flag"):
            entry.fail("conversational", "a warning sign is never small talk")
    patterns = _patterns(entry, "patterns", groups)
    components = []
    for c, words in enumerate(entry.get("all", [])):
        entry.expect(f"all[{c}]", words, TEXTS)
        components.append(
            tuple(entry.parse(f"all[{c}][{i}]", compile_pattern, w, groups) for i, w in enumerate(words))
        )
    if not patterns and not components:
        entry.fail("", "a finding needs `patterns` or `all`")
    return Finding(
        finding_id,
        entry["label"],
        entry.get("flag", False),
        entry.get("resolvable", True),
        entry.get("negatable", True),
        frozenset(entry.strings("inverted_by")),
        tuple(patterns),
        tuple(components),
        tuple(_patterns(entry, "exclude", groups)),
        entry.get("conversational"),
    )


def _filler(fillers: Table, index: int, text: str) -> Pattern:
    pattern = fillers.parse(f"fillers[{index}]", compile_pattern, text, {})
    if pattern.anchored or any(e.kind != "word" for e in pattern.elements):
        fillers.fail(f"fillers[{index}]", f"'{text}': a filler is plain words only")
    return pattern


def _matcher(top: Table, findings: list[Finding], groups: Groups) -> Matcher:
    negation = top.table("negation", NEGATION)
    return Matcher(
        findings,
        negators=negation.strings("words"),
        pseudo_negations=_patterns(negation, "pseudo", groups),
        denials_after=_patterns(negation, "after", groups),
        denials_after_label=_patterns(negation, "after_label", groups),
        resolutions=_patterns(negation, "resolved", groups),
        elsewhere=_patterns(negation, "elsewhere", groups),
        emoji=dict(top.table("emoji", WORD_MAP).data),
        spelling=dict(top.table("spelling", WORD_MAP).data),
        keep=top.strings("keep"),
        negation_window=negation["window"],
        fillers=[_filler(top, i, text) for i, text in enumerate(top.strings("fillers"))],
        reported=_patterns(negation, "reported", groups),
        own=[normalise(w, {}, {}) for w in negation.strings("own")],
    )


def _numbers(numbers: Table) -> NumberWords:
    return NumberWords(
        values=dict(numbers.table("words", NUMBER_WORDS).data),
        units=frozenset(numbers.strings("units")),
        cues=frozenset(numbers.strings("cues")),
        past=frozenset(numbers.strings("past")),
        past_before=frozenset(numbers.strings("past_before")),
        current=frozenset(numbers.strings("current")),
        current_before=frozenset(numbers.strings("current_before")),
        labels=frozenset(numbers.strings("labels")),
        compare=frozenset(numbers.strings("compare")),
    )
