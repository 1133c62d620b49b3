"""Typo tolerance for the words a query states its wishes with: "woddy vanila" is "woody
vanilla".

Only a word the parser would otherwise drop is corrected: one of four or more letters that
is no known word (a word of the phrase table, of a perfume or brand name, of the
catalogue's texts, a common query word, or an English word: the word pieces of the shipped
embedding model's vocabulary that are whole words), so a word that means something as typed
is never read as another ("good" stays good, not wood). It becomes the note, note group,
family, mood, season, gender or negation word (`VOCABULARY`: "wemen" is women, "wihtout"
without), or the everyday query word ("somthing" is something), closest to it by edit
distance (a letter wrong, missing, extra, or two letters swapped) that starts with the same
letter, within one edit
up to seven letters and two beyond: short words have many neighbours, long ones few. The
word read is the vocabulary's own name for the meaning when it has a one-word one ("vanile",
next to the French "vanille", is read "vanilla"). When
the closest words mean different things the word is left alone, as a guess between two
meanings is worse than none. Perfume names have their own fuzzy matching (`ml.names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from ml.edit_distance import MIN_LENGTH, allowed_edits, nearest
from ml.phrases import PhraseTable
from ml.tokens import singular

VOCABULARY = ("note", "group", "character", "mood", "season", "gender", "neg")


@cache
def english_words() -> frozenset[str]:
    """Whole lower-case words of the shipped embedding model's vocabulary (about 22,000
    common English words); empty when the model package is missing."""
    from ml.embeddings import shipped_model_path

    try:
        lines = (shipped_model_path() / "vocab.txt").read_text("utf-8").splitlines()
    except (ImportError, OSError):
        return frozenset()
    return frozenset(line for line in lines if line.isalpha() and line.islower())


@dataclass(frozen=True)
class Correction:
    typed: str
    read: str


class SpellingCorrector:
    """Corrects query tokens against one catalogue's phrase table (see the module doc)."""

    def __init__(self, phrases: PhraseTable, known: Iterable[str] = (),
                 plain: Iterable[str] = ()) -> None:
        # `plain` words mean nothing to the parser, but a typo nearer one of them is that
        # word ("somthing" is something, not "soothing", the mood calm)
        self._meanings = {word: ("word", word) for word in plain} | phrases.meanings(VOCABULARY)
        self._known = frozenset(known) | phrases.words
        self._by_start: dict[tuple[str, int], list[str]] = {}
        for word in sorted(self._meanings):
            if word.isalpha():
                self._by_start.setdefault((word[0], len(word)), []).append(word)

    def is_known(self, word: str) -> bool:
        """Whether `word` means something as typed (see the module doc)."""
        return word in self._known or singular(word) in self._known

    def correct(self, word: str) -> str | None:
        """The vocabulary word `word` is a typo of, or None (known, short, unclear)."""
        if len(word) < MIN_LENGTH or not word.isalpha() or self.is_known(word):
            return None
        limit = allowed_edits(word)
        closest = nearest(word, (candidate
                                 for length in range(len(word) - limit, len(word) + limit + 1)
                                 for candidate in self._by_start.get((word[0], length), ())))
        if not closest or len({self._meanings[c] for c in closest}) > 1:
            return None
        found = min(closest, key=lambda c: (self._meanings[c][1] != c, c))  # "citrus", not "citric"
        meaning = self._meanings[found]
        # the word the meaning is named by: "vanile" is "vanilla" (a neighbour of "vanille",
        # whose French spelling would read as a perfume's name: "tobacco vanille")
        # (a gender keeps the word typed: "wemen" is "women", not "feminine")
        return meaning[1] if meaning[0] != "gender" and self._meanings.get(
            meaning[1]) == meaning else found

    def tokens(self, tokens: Sequence[str]) -> tuple[list[str], tuple[Correction, ...]]:
        """`tokens` with each typo replaced, and the corrections made."""
        read, corrections = [], []
        for token in tokens:
            fixed = self.correct(token)
            read.append(fixed or token)
            if fixed:
                corrections.append(Correction(token, fixed))
        return read, tuple(corrections)
