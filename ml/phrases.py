"""The phrase table of the query parser: every word or phrase a query may use, and what it
is (a note, a character, a mood, a marker ...), matched longest first.

Query text becomes tokens with `query_tokens`: name-style tokens (`ml.tokens.name_tokens`:
accents folded, `N°5` -> `no5`) plus the punctuation that joins or separates words and the
Korean markers of `ml.korean`. When two tables hold the same phrase the later kind wins:
notes < groups < moods < characters < seasons < genders < occasions < intensity < price <
markers ("amber" is a character, "green notes" a group, "date" an occasion).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ml.notes import GROUPS, SYNONYMS
from ml.query_words import (
    BACK_LIKE,
    BACK_LIKES,
    BACK_NEGATION,
    BACK_NEGATIONS,
    BACK_SOFT,
    CHARACTER_WORDS,
    CONJUNCTIONS,
    INTENSITY_WORDS,
    LIKES,
    MOOD_WORDS,
    NEGATIONS,
    OCCASION_WORDS,
    PRICE_WORDS,
    SOFT_NEGATIONS,
    SOFTENERS,
)
from ml.tokens import NUMBERED, fold, singular_forms
from ml.vocabulary import GENDER_TERMS, SEASON_TERMS

_TOKEN = re.compile(r"<not|<soft|<like|[0-9a-z]+|[,;/&+]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CURRENCY_SYMBOLS = {"$": "dollars", "€": "euros", "£": "pounds", "₩": "won", "¥": "yen"}
_PRICED = re.compile(r"([$€£₩¥])\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*([$€£₩¥])")
MAX_PHRASE = 5


def _spelt_prices(text: str) -> str:
    """`$50` and `50€` as words ("50 dollars"), thousands unbroken (`50,000`)."""
    def spelt(match: re.Match[str]) -> str:
        symbol = match.group(1) or match.group(4)
        return f" {match.group(2) or match.group(3)} {_CURRENCY_SYMBOLS[symbol]} "
    return _PRICED.sub(spelt, _THOUSANDS.sub("", text))


# Emoji people type for what they want ("🌹🍦" was nothing understood): each as its word
EMOJI_WORDS = {
    "🌹": "rose", "🥀": "rose", "🌸": "flowers", "🌺": "flowers", "🌼": "flowers",
    "🌷": "flowers", "💐": "flowers", "🌻": "flowers", "🍦": "vanilla", "🍨": "vanilla",
    "🍰": "gourmand", "🧁": "gourmand", "🍪": "gourmand", "🍫": "chocolate", "☕": "coffee",
    "🍯": "honey", "🍬": "sweet", "🍭": "sweet", "🍋": "lemon", "🍊": "orange", "🍏": "apple",
    "🍎": "apple", "🍐": "pear", "🍑": "peach", "🍒": "cherry", "🍓": "strawberry",
    "🍇": "grape", "🥥": "coconut", "🍍": "pineapple", "🥭": "mango", "🍵": "tea",
    "🌶": "spicy", "🥃": "rum", "🌊": "aquatic", "🐚": "aquatic", "🏖": "beach",
    "☀": "summer", "🌞": "summer", "❄": "winter", "☃": "winter", "⛄": "winter",
    "🍂": "autumn", "🍁": "autumn", "🌿": "green", "🍃": "green", "🌱": "green",
    "🌲": "pine", "🎄": "christmas", "🪵": "woody", "🔥": "smoky", "🌙": "night",
    "💋": "sexy", "❤": "romantic", "💕": "romantic", "💖": "romantic", "🧼": "clean",
    "🌧": "rain", "☔": "rain", "👩": "women", "👨": "men", "💃": "party", "💼": "office",
}
_EMOJI = re.compile("|".join(map(re.escape, EMOJI_WORDS)))


def query_tokens(text: str) -> list[str]:
    """Tokens of a query (or of the parse words of a Korean translation)."""
    text = _EMOJI.sub(lambda emoji: f" {EMOJI_WORDS[emoji.group()]} ", text)
    folded = fold(_spelt_prices(text)).replace("\u2019", "'").replace("w/o", "without")
    return _TOKEN.findall(NUMBERED.sub(r"no\1", folded))


def _key(phrase: str) -> tuple[str, ...]:
    return tuple(query_tokens(phrase))


@dataclass(frozen=True)
class Phrase:
    kind: str
    value: str
    size: int


class PhraseTable:
    """Phrase -> (kind, value). Kinds: note, group, mood, character, season, gender,
    occasion, intensity, price, neg, softneg, soft, like, conj, comma, negback, softback,
    likeback. `notes` maps the characters and occasions that are also notes ("amber",
    "date") to the note."""

    def __init__(self, table: dict[tuple[str, ...], tuple[str, str]],
                 notes: dict[str, str] | None = None) -> None:
        self._table = table
        self.words = frozenset(word for phrase in table for word in phrase)
        self.notes = notes or {}

    def meanings(self, kinds: Iterable[str]) -> dict[str, tuple[str, str]]:
        """Every word of the phrases of these kinds, and what it means: its own entry when
        it is a phrase by itself ("woody": the character woody), else the word itself
        ("bean", a word of "tonka bean")."""
        found: dict[str, tuple[str, str]] = {}
        for phrase, (kind, _) in self._table.items():
            if kind in kinds:
                for word in phrase:
                    found.setdefault(word, ("word", word))
        for word in found:
            entry = self._table.get((word,))
            if entry is not None:
                found[word] = entry
        return found

    @classmethod
    def build(cls, notes: Iterable[str], moods: Iterable[str]) -> PhraseTable:
        table: dict[tuple[str, ...], tuple[str, str]] = {}

        def add(kind: str, pairs: Iterable[tuple[str, str]]) -> None:
            table.update((_key(phrase), (kind, value)) for phrase, value in pairs if _key(phrase))

        add("note", ((note, note) for note in notes))
        add("note", ((name, names[0]) for names in SYNONYMS for name in names))
        as_notes = {value: value for kind, value in table.values() if kind == "note"}
        add("group", ((word, word) for word in GROUPS))
        add("mood", [*((mood, mood) for mood in moods), *MOOD_WORDS.items()])
        add("character", CHARACTER_WORDS.items())
        add("season", SEASON_TERMS.items())
        add("gender", GENDER_TERMS.items())
        add("occasion", OCCASION_WORDS.items())
        add("intensity", INTENSITY_WORDS.items())
        add("price", ((word, word) for word in PRICE_WORDS))
        add("neg", ((word, word) for word in NEGATIONS))
        add("softneg", ((word, word) for word in SOFT_NEGATIONS))
        add("soft", ((word, word) for word in SOFTENERS))
        add("like", ((word, word) for word in LIKES))
        add("conj", ((word, word) for word in CONJUNCTIONS))
        add("comma", ((mark, mark) for mark in (",", ";")))
        add("negback", [*((phrase, phrase) for phrase in BACK_NEGATIONS),
                        (BACK_NEGATION, BACK_NEGATION)])
        add("softback", [(BACK_SOFT, BACK_SOFT)])
        add("likeback", [(BACK_LIKE, BACK_LIKE), *((phrase, phrase) for phrase in BACK_LIKES)])
        return cls(table, {value: as_notes[value] for kind, value in table.values()
                           if kind in ("character", "occasion") and value in as_notes})

    def at(self, tokens: Sequence[str], start: int) -> Phrase | None:
        """The longest phrase starting at `start` (a plural last word allowed), or None."""
        for size in range(min(MAX_PHRASE, len(tokens) - start), 0, -1):
            words = tuple(tokens[start:start + size])
            found = next((hit for last in singular_forms(words[-1])
                          if (hit := self._table.get((*words[:-1], last)))), None)
            if found:
                return Phrase(found[0], found[1], size)
        return None
