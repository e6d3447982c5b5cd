"""Turn a patient's message into tokens with clause and sentence boundaries.

Pure: no guidance is read here; the emoji and spelling tables are passed in. Lexicon phrases go
through the same `tokenize`, so a pattern and a message always agree on how words are spelled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

# Sentence boundaries end the reach of co-occurrence ("pain" ... "breathe in" must share one);
# clause boundaries also end the reach of a negation ("no fever, fingers numb").
SENTENCE_PUNCT = frozenset({".", "!", "?", ";", "\n"})
CLAUSE_PUNCT = frozenset({",", ":", "(", ")", "-", "/"}) | SENTENCE_PUNCT
SENTENCE_WORDS = frozenset(
    {
        "but",
        "except",
        "though",
        "although",
        "however",
        "whereas",
        "tho",
        # Spanish; "embargo" for "sin embargo"
        "pero",
        "aunque",
        "sino",
        "excepto",
        "salvo",
        "embargo",
        # German
        "aber",
        "jedoch",
        "obwohl",
        "obgleich",
        "sondern",
        "ausser",
        "allerdings",
        "trotzdem",
    }
)
# "all", "todo", "alles", "sonst" and "geht" open the verdict after an exception ("apart from a bit
# of breathlessness all good", "aparte del hormigueo todo bien", "bis auf die Atemnot geht es mir
# gut"): the "good" is about the rest, never a denial of the sign before it. German "nur" opens a
# clause as "except" does ("keine Schmerzen, nur Kribbeln"), without ending the sentence: "tut nur
# beim Einatmen weh" still pairs the pain with the breath.
CLAUSE_WORDS = (
    frozenset({"and", "plus", "because", "cos", "so", "all", "y", "e", "porque", "pues", "todo"})
    | frozenset({"und", "weil", "denn", "nur", "alles", "sonst", "ansonsten", "geht", "gehts"})  # German
    | SENTENCE_WORDS
)

# A number glued to letters ("3k", "3rd", "10p") stays one token: it is a quantity, not a score.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?[a-z]*|[a-z]+|[.!?;\n,:()/-]")
_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`']")
_HYPHEN_IN_WORD = re.compile(r"(?<=[a-z])-(?=[a-z])")
_POSSESSIVE = re.compile(r"(?<=[a-z])'s\b")
# German umlauts and sharp s become the spelling a keyboard without them gives ("müde" is
# "muede", "heiß" is "heiss"), so the lexicon writes them one way and both spellings match.
# Spanish writes "ü" only after g or q to sound the u ("pingüino"): there it is a plain u.
_UMLAUT = re.compile(r"(?<![gq])ü|[äöß]")
_UMLAUT_SPELLING = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


@dataclass(frozen=True)
class Token:
    text: str
    sentence: int
    clause: int

    @property
    def is_word(self) -> bool:
        return self.text[0].isalpha()

    @property
    def is_number(self) -> bool:
        return self.text[0].isdigit()


def normalise(text: str, emoji: Mapping[str, str], spelling: Mapping[str, str]) -> str:
    """Lower-case, turn emoji into words, spell out umlauts, drop accents and apostrophes,
    expand text-speak."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _UMLAUT.sub(lambda m: _UMLAUT_SPELLING[m.group(0)], text)
    for symbol, words in emoji.items():
        if symbol in text:
            text = text.replace(symbol, f" {words} ")
    # Accents go after the emoji (whose variation selectors are marks too): "respiración" and
    # "respiracion" read alike, and "ñ" becomes "n", so patterns are written without accents.
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    text = _HYPHEN_IN_WORD.sub(" ", text)
    text = _APOSTROPHES.sub("'", text)
    text = _POSSESSIVE.sub("", text)
    text = text.replace("'", "")
    if spelling:
        text = re.sub(r"[a-z]+", lambda m: spelling.get(m.group(0), m.group(0)), text)
    return text


def split_tokens(text: str) -> list[str]:
    """Words, numbers (with decimals and ordinals) and the punctuation that separates clauses."""
    return _TOKEN.findall(text)


def tokenize(text: str, emoji: Mapping[str, str] = {}, spelling: Mapping[str, str] = {}) -> list[Token]:
    """Tokens of a message, each labelled with the sentence and clause it belongs to."""
    tokens: list[Token] = []
    sentence = clause = 0
    for raw in split_tokens(normalise(text, emoji, spelling)):
        if raw in SENTENCE_PUNCT or raw in SENTENCE_WORDS:
            sentence += 1
            clause += 1
        elif raw in CLAUSE_PUNCT or raw in CLAUSE_WORDS:
            clause += 1
        tokens.append(Token(raw, sentence, clause))
    return tokens


def is_boundary(token: Token) -> bool:
    return token.text in CLAUSE_PUNCT or token.text in CLAUSE_WORDS
