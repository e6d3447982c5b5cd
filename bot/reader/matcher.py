"""Read free text into findings: negation scope, typo correction, evidence of a finding.

Pure and fast: patterns (`bot.reader.patterns`) are compiled once and indexed by their first
word, so reading a reply costs one pass over its tokens. The reader owns these types; what they
hold comes from `guidance/lexicon.toml` through `bot.guidance`. Imports only `bot.reader`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.reader.patterns import MIN_PREFIX, Pattern, first_keys, match_ends, pattern_words
from bot.reader.tokens import SENTENCE_WORDS, Token, is_boundary, tokenize

FUZZY_MIN_LENGTH = 5
RESOLUTION_REACH = 3
# A denial may follow a sign after one of these ("Fever - no", "chest pain: none", "fiebre: no").
LABEL_SEPARATORS = frozenset({":", "-", "?", "="})


@dataclass(frozen=True)
class Finding:
    id: str
    label: str
    flag: bool
    resolvable: bool
    negatable: bool
    inverted_by: frozenset[str]
    patterns: tuple[Pattern, ...]
    components: tuple[tuple[Pattern, ...], ...]
    excludes: tuple[Pattern, ...]
    # "always": says nothing about the patient (greetings, thanks, questions about the bot);
    # "unless_answering": a short answer ("fine", "ok") that only answers an open check-in.
    conversational: str | None = None


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    denied: bool
    elsewhere: bool = False  # not the patient's now (the past, someone else): denied, yet no denial


@dataclass
class Matches:
    """Spans found in one message, keyed by (finding id, component); component -1 = patterns."""

    tokens: list[Token]
    spans: dict[tuple[str, int], list[Span]] = field(default_factory=lambda: defaultdict(list))


class Matcher:
    """All patterns of all findings, indexed by the first word they can start with."""

    def __init__(
        self,
        findings: Sequence[Finding],
        negators: Sequence[str],
        pseudo_negations: Sequence[Pattern],
        denials_after: Sequence[Pattern],
        resolutions: Sequence[Pattern],
        elsewhere: Sequence[Pattern],
        emoji: Mapping[str, str],
        spelling: Mapping[str, str],
        keep: Sequence[str],
        negation_window: int,
        denials_after_label: Sequence[Pattern] = (),
        fillers: Sequence[Pattern] = (),
        reported: Sequence[Pattern] = (),
        own: Sequence[str] = (),
    ):
        self.findings = {f.id: f for f in findings}
        self.negators = frozenset(negators)
        self.fillers: dict[str, list[Pattern]] = defaultdict(list)  # by first word (fillers are plain words)
        for filler in fillers:
            self.fillers[filler.elements[0].text].append(filler)
        self.own = frozenset(own)
        self.emoji = dict(emoji)
        self.spelling = dict(spelling)
        self.negation_window = negation_window
        self._exact: dict[str, list[tuple[str, int, Pattern]]] = defaultdict(list)
        # Patterns opening with two plain words ("no puedo", "no problem") are indexed by the pair:
        # a common first word would otherwise try hundreds of patterns at every occurrence.
        self._pairs: dict[tuple[str, str], list[tuple[str, int, Pattern]]] = defaultdict(list)
        self._prefix: dict[str, list[tuple[str, str, int, Pattern]]] = defaultdict(list)
        entries: list[tuple[str, int, Pattern]] = [("~pseudo", -1, p) for p in pseudo_negations]
        entries += [("~denial", -1, p) for p in denials_after]
        entries += [("~label_denial", -1, p) for p in denials_after_label]
        entries += [("~resolution", -1, p) for p in resolutions]
        entries += [("~elsewhere", -1, p) for p in elsewhere]
        entries += [("~reported", -1, p) for p in reported]
        for finding in findings:
            entries += [(finding.id, -1, p) for p in finding.patterns]
            entries += [(finding.id, -2, p) for p in finding.excludes]
            for index, component in enumerate(finding.components):
                entries += [(finding.id, index, p) for p in component]
        vocabulary: set[str] = set(keep) | set(self.negators) | set(self.own)
        for filler in fillers:
            vocabulary.update(pattern_words(filler))
        for owner, slot, pattern in entries:
            vocabulary.update(pattern_words(pattern))
            self._index(owner, slot, pattern)
        self._vocabulary = sorted(w for w in vocabulary if len(w) >= FUZZY_MIN_LENGTH)
        self._known = frozenset(vocabulary)
        self._stems = sorted({t for entries in self._prefix.values() for t, *_ in entries})
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)

    def _index(self, owner: str, component: int, pattern: Pattern) -> None:
        """File a pattern under the words (or the pair, or the stem) it can start with."""
        for kind, text in set(first_keys(pattern)):
            if kind == "word":
                opens_with_word = len(pattern.elements) > 1 and pattern.elements[0].kind == "word"
                second = pattern.elements[1] if opens_with_word else None
                if second is not None and second.kind == "word":
                    self._pairs[(text, second.text)].append((owner, component, pattern))
                else:
                    self._exact[text].append((owner, component, pattern))
            else:
                self._prefix[text[:MIN_PREFIX]].append((text, owner, component, pattern))

    def _is_known(self, word: str) -> bool:
        return word in self._known or any(word.startswith(stem) for stem in self._stems_for(word))

    def _stems_for(self, word: str) -> list[str]:
        return [t for t, *_ in self._prefix.get(word[:MIN_PREFIX], ())]

    def _correct_uncached(self, word: str) -> str:
        """The lexicon word a typo most likely meant, or the word itself."""
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha() or self._is_known(word):
            return word
        candidates = [w for w in self._vocabulary if w[0] == word[0]]
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=85)
        return best[0] if best else word

    def tokens(self, text: str) -> list[Token]:
        raw = tokenize(text, self.emoji, self.spelling)
        return [Token(self._correct(t.text), t.sentence, t.clause) if t.is_word else t for t in raw]

    def _skips(self, tokens: list[Token]) -> list[int]:
        """For each index, the index after the run of filler words that starts there (itself
        when none does): "really", "a bit", "as well" may stand between a pattern's words."""
        skip = list(range(len(tokens) + 1))
        for i in range(len(tokens) - 1, -1, -1):
            for filler in self.fillers.get(tokens[i].text, ()):
                for end in match_ends(tokens, i, filler.elements, frozenset()):
                    skip[i] = max(skip[i], skip[end])
        return skip

    def scan(self, tokens: list[Token]) -> Matches:
        """Every pattern match in the tokens, each marked denied or not."""
        matches = Matches(tokens)
        found: dict[tuple[str, int, int], int] = {}
        skip = self._skips(tokens)
        for i, token in enumerate(tokens):
            text = token.text
            candidates = list(self._exact.get(text, ()))
            if i + 1 < len(tokens):
                candidates += self._pairs.get((text, tokens[i + 1].text), ())
                after = skip[i + 1]
                if after > i + 1 and after < len(tokens):
                    candidates += self._pairs.get((text, tokens[after].text), ())
            candidates += [
                (o, c, p)
                for stem, o, c, p in self._prefix.get(text[:MIN_PREFIX], ())
                if text.startswith(stem)
            ]
            opens = i == 0 or is_boundary(tokens[i - 1])
            for owner, component, pattern in candidates:
                if pattern.anchored and not opens:
                    continue
                for end in match_ends(tokens, i, pattern.elements, self.negators, 0, skip):
                    key = (owner, component, i)
                    found[key] = max(found.get(key, i), end)
        helpers: dict[str, set[int]] = defaultdict(set)
        for (owner, _, start), end in found.items():
            if owner.startswith("~"):
                helpers[owner].add(start)
                if owner == "~pseudo":
                    helpers["~pseudo_span"].update(range(start, end))
                if owner == "~elsewhere":
                    helpers["~elsewhere_clause"].add(tokens[start].clause)
                if owner == "~reported":
                    helpers["~reported_end"].add(end)
        for (owner, component, start), end in found.items():
            if not owner.startswith("~"):
                finding = self.findings[owner]
                # Only a sign that can pass is placed elsewhere: an emergency sign always counts.
                elsewhere = (
                    finding.resolvable
                    and finding.negatable
                    and (
                        tokens[start].clause in helpers["~elsewhere_clause"]
                        or self._reported(tokens, start, helpers)
                    )
                )
                if finding.inverted_by:
                    denied = not self._inverted(tokens, start, finding.inverted_by, helpers)
                else:
                    denied = finding.negatable and self._denied(
                        tokens, start, end, helpers, finding.resolvable
                    )
                matches.spans[(owner, component)].append(Span(start, end, denied or elsewhere, elsewhere))
        return matches

    def _denied(
        self, tokens: list[Token], start: int, end: int, helpers: dict[str, set[int]], resolvable: bool
    ) -> bool:
        """A negation before the span in its clause, or a denial ("no problem", "fine") or, for
        a finding that can pass, a resolution ("gone", "wore off") right after it, also after a
        label ("Fever - no", "chest pain: none")."""
        clause = tokens[start].clause
        for j in range(start - 1, max(-1, start - 1 - self.negation_window), -1):
            if tokens[j].clause != clause:
                break
            if tokens[j].text in self.negators and j not in helpers["~pseudo_span"]:
                return True
        if (
            end + 1 < len(tokens)
            and tokens[end].text in LABEL_SEPARATORS
            and (end + 1 in helpers["~denial"] or end + 1 in helpers["~label_denial"])
        ):
            return True
        last_clause = tokens[end - 1].clause
        for j in range(end, min(len(tokens), end + self.negation_window)):
            if tokens[j].clause != last_clause or tokens[j].text in SENTENCE_WORDS:
                break
            resolved = resolvable and j - end < RESOLUTION_REACH and j in helpers["~resolution"]
            if j in helpers["~denial"] or resolved:
                return True
            if tokens[j].text in self.negators or is_boundary(tokens[j]):
                break
        return False

    def _reported(self, tokens: list[Token], start: int, helpers: dict[str, set[int]]) -> bool:
        """After someone else or something read about, in the same sentence, unless the patient
        speaks of themselves again in between ("my son has a cough and I'm shattered")."""
        sentence = tokens[start].sentence
        for end in helpers["~reported_end"]:
            in_sentence = end <= start and tokens[end - 1].sentence == sentence
            if in_sentence and not any(tokens[j].text in self.own for j in range(end, start)):
                return True
        return False

    def _inverted(
        self, tokens: list[Token], start: int, inverters: frozenset[str], helpers: dict[str, set[int]]
    ) -> bool:
        """For a sign told through a negation ("can't get a full breath"): an inverting word
        before it in the clause, itself not negated ("no trouble getting a full breath")."""
        clause = tokens[start].clause
        window = range(start - 1, max(-1, start - 1 - self.negation_window), -1)
        inverted = False
        for j in window:
            if tokens[j].clause != clause:
                break
            text = tokens[j].text
            if inverted and text in self.negators and j not in helpers["~pseudo_span"]:
                return False
            if any(text.startswith(word) for word in inverters):
                inverted = True
        return inverted


def present(matches: Matches, finding: Finding, said: frozenset[int] = frozenset()) -> list[Span]:
    """The undenied evidence for a finding: its own spans, or one span per component that
    co-occur in one sentence. Spans overlapping an exclusion ("hay fever") never count, nor
    spans lying within `said` (the words of small talk: "good" in "good morning")."""
    tokens = matches.tokens
    excluded = {i for s in matches.spans.get((finding.id, -2), ()) for i in range(s.start, s.end)}

    def usable(spans: Sequence[Span]) -> list[Span]:
        return [
            s
            for s in spans
            if not s.denied
            and not excluded.intersection(range(s.start, s.end))
            and not (said and said.issuperset(range(s.start, s.end)))
        ]

    evidence = usable(matches.spans.get((finding.id, -1), ()))
    if finding.components:
        per_component = [
            usable(matches.spans.get((finding.id, i), ())) for i in range(len(finding.components))
        ]
        sentences = set.intersection(*({tokens[s.start].sentence for s in spans} for spans in per_component))
        for sentence in sorted(sentences):
            evidence += [
                next(s for s in spans if tokens[s.start].sentence == sentence) for spans in per_component
            ]
    return evidence


def denied(matches: Matches, finding: Finding) -> bool:
    """The patient denied the finding: a span of it negated, or for a finding of components, a
    negated one among a full set in one sentence. "No pain" denies no pain-on-breathing, and
    a sign placed in the past or in someone else is not a denial."""

    def said_no(spans: Sequence[Span]) -> bool:
        return any(s.denied and not s.elsewhere for s in spans)

    if said_no(matches.spans.get((finding.id, -1), ())):
        return True
    if not finding.components:
        return False
    tokens = matches.tokens
    per_component = [matches.spans.get((finding.id, i), []) for i in range(len(finding.components))]
    sentences = set.intersection(*({tokens[s.start].sentence for s in spans} for spans in per_component))
    return any(
        said_no([s for spans in per_component for s in spans if tokens[s.start].sentence == sentence])
        for sentence in sentences
    )
