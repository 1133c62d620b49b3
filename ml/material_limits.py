"""Phrases that limit which materials a formula may use rather than which notes it has
("hypoallergenic", "no EU allergens", "all natural", "vegan"), read in a brief's mood
(`ml.recipe.mood`, which applies them to the formula) and in a search query (`ml.planning`,
which says the catalogue cannot check them: it lists no perfume's ingredients). Until
2026-12-04 they were mood words, pasted into a recipe's description as a claim over a formula
with 13 allergens on its label. Tokens as read (a hyphen or a percent sign between words is
skipped); a negation a few words before a phrase ("doesn't have to be vegan") says it is not
wanted.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence

ALLERGEN_FREE, NATURAL_ONLY, VEGAN = "allergen_free", "natural_only", "vegan"
_ALLERGEN_FREE_PHRASES = (
    "hypoallergenic", "hypo allergenic", "allergen free", "allergens free", "allergy free",
    "free of allergens", "free from allergens", "no allergens", "no eu allergens",
    "no allergen", "no declarable allergens", "zero allergens", "without allergens",
    "without eu allergens", "without any allergens", "non allergenic", "nonallergenic",
    "not allergenic", "allergy friendly", "allergy safe", "safe for allergies",
    "sensitive skin", "for sensitive skin", "fragrance allergy", "fragrance allergies",
    "perfume allergy", "allergic to everything", "allergic to fragrance", "allergic to perfume",
    # as people also spell and say it
    "hypoalergenic", "hypo alergenic", "alergen free", "alergy free", "no alergens",
    "allergy sufferers", "allergy sufferer", "for allergy sufferers", "skin is sensitive",
    "skin is very sensitive", "very sensitive skin", "nothing that causes allergies",
    "no allergies", "allergen safe",
    "저자극", "무알레르기", "알레르기 성분 없이", "알레르기 성분 없는", "알레르기 없이",
    "알레르기 없는", "알레르기 유발 성분 없이", "알레르기 유발 성분 없는")  # fmt: skip
_NATURAL_ONLY_PHRASES = (
    "all natural", "100 natural", "only natural", "natural only", "naturals only",
    "only naturals", "purely natural", "fully natural", "100 percent natural",
    "natural ingredients only", "only natural ingredients", "natural materials only",
    "only natural materials", "no synthetics", "no synthetic", "without synthetics",
    "no synthetic ingredients", "no synthetic materials", "no aroma chemicals",
    "no chemicals", "nothing synthetic", "no synthetic stuff", "natural ingredients",
    "natural materials", "plant based", "organic", "only naturals please",
    "천연 성분만", "천연 원료만", "100 천연", "합성 향료 없이")  # fmt: skip
_VEGAN_PHRASES = ("vegan", "vegan friendly", "cruelty free", "animal free",
                  "no animal products", "no animal ingredients", "nothing from animals",
                  "no animal derived", "no animal derived ingredients", "비건")  # fmt: skip
# words before a limit that say it is not wanted ("doesn't have to be vegan", "not all
# natural": both were applied)
LIMIT_NEGATIONS = frozenset({"not", "doesn't", "doesnt", "don't", "dont", "needn't",
                             "neednt", "isn't", "isnt"})
MATERIAL_LIMITS = {tuple(phrase.split()): limit
                   for phrases, limit in ((_ALLERGEN_FREE_PHRASES, ALLERGEN_FREE),
                                          (_NATURAL_ONLY_PHRASES, NATURAL_ONLY),
                                          (_VEGAN_PHRASES, VEGAN))
                   for phrase in phrases}
MAX_LIMIT_WORDS = max(map(len, MATERIAL_LIMITS))
# words that go with a limit's phrase ("only non-allergenic materials, please")
LIMIT_COMPANIONS = frozenset({"only", "strictly", "fully", "totally", "completely",
                              "materials", "ingredients", "please", "pls", "must", "be",
                              "friendly", "my", "for", "safe"})
_SKIPPED_IN_LIMITS = frozenset({"-", "%"})


# a word (letters of any script, digits), or any other character but a space, of a
# lower-case text ("sándalo" was three tokens, and a mood's description read "s á ndalo")
WORD_TOKEN = re.compile(r"[^\W_]+(?:'[a-z]+)?|[^\s\w]|_")


def limits_said(text: str) -> tuple[tuple[str, str], ...]:
    """(limit, its phrase in lower case) of each limit `text` asks for, left to right."""
    lower = text.lower()
    spans = [(m.start(), m.end()) for m in WORD_TOKEN.finditer(lower)]
    words = [lower[start:end] for start, end in spans]
    return tuple((limit, lower[spans[span[0]][0]:spans[span[-1]][1]])
                 for span, limit in material_limits(words) if limit)


def material_limits(words: Sequence[str]) -> list[tuple[list[int], str | None]]:
    """Each phrase of `MATERIAL_LIMITS` in the mood, as (its token indices with the words
    next to it that go with it, its limit), left to right; the limit is None where a
    negation a few words before it says it is not wanted ("doesn't have to be vegan"):
    left out of the mood, and not applied."""
    found: list[tuple[list[int], str | None]] = []
    i = 0
    while i < len(words):
        match = _limit_at(words, i)
        if match is None:
            i += 1
            continue
        span, said = match
        limit: str | None = said
        start, end = span[0], span[-1] + 1
        floor = found[-1][0][-1] + 1 if found else 0
        negated = next((k for k in range(start - 1, max(floor, start - 5) - 1, -1)
                        if words[k] in LIMIT_NEGATIONS), None)
        if negated is not None and "," not in words[negated:start]:
            start, limit = negated, None
        while start > floor and words[start - 1] in LIMIT_COMPANIONS:
            start -= 1
        while end < len(words) and words[end] in LIMIT_COMPANIONS:
            end += 1
        found.append((list(range(start, end)), limit))
        i = end
    return found


def _limit_at(words: Sequence[str], i: int) -> tuple[list[int], str] | None:
    """The longest phrase of `MATERIAL_LIMITS` that starts at `i` (a hyphen or a percent
    sign between its words skipped), as (its token indices, its limit)."""
    return longest_phrase_at(words, i, MATERIAL_LIMITS, MAX_LIMIT_WORDS, _SKIPPED_IN_LIMITS)


def longest_phrase_at(words: Sequence[str], i: int, table: Mapping[tuple[str, ...], str],
                      max_words: int, skipped: Container[str],
                      stop: Container[int] = ()) -> tuple[list[int], str] | None:
    """The longest phrase of `table` (its words as a tuple -> its value) that starts at
    `i`, the `skipped` tokens between its words passed over and none of the token indices
    in `stop` reached, as (its token indices, its value)."""
    if words[i] in skipped:
        return None
    span: list[int] = []
    best: tuple[list[int], str] | None = None
    j = i
    while j < len(words) and len(span) < max_words and j not in stop:
        if words[j] not in skipped:
            span.append(j)
            value = table.get(tuple(words[k] for k in span))
            if value is not None:
                best = (list(range(i, j + 1)), value)
        j += 1
    return best
