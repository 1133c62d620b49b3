"""Reading a query's tokens as units: perfume names, brands, phrases of the phrase table.

A perfume name counts as a name when its brand is in the query, when it has a word of its
own (`Sauvage`, `Santal 33`, `Tobacco Vanille`: the French spelling of a note counts; not
`Oud Wood`), or when a "like" marker points at it; longer names win over shorter ones and
over brands. A character or occasion word that is also a note reads as the note inside a
list of notes ("vanilla and amber", "fig and date") and as the character or occasion
elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml.names import NAME_FILLERS, NameIndex, NameSpan
from ml.notes import VARIANTS
from ml.phrases import PhraseTable
from ml.query_words import CONCENTRATION_WORDS, FUNCTION_WORDS, GENERIC_WORDS, SCOPE_FILLERS
from ml.tokens import name_tokens

COMMON_NAME_WORDS = frozenset(("pour", "homme", "femme", "eau", "de", "la", "le", "l", "the",
                               "for", "men", "women", "by", "no", "d", "s", "et", "di", "du",
                               "des", "and", "in", "black", "white", "blue", "red", "one"))

FRENCH_ARTICLES = frozenset(("le", "la", "les", "l"))
# a name that says only whom it is for after its brand ("Tom Ford for Men", "Pour Homme")
GENDER_NAME_WORDS = frozenset(("for", "men", "man", "women", "woman", "him", "her", "pour",
                               "homme", "femme", "uomo", "donna"))


@dataclass(frozen=True)
class Unit:
    kind: str
    value: str
    start: int
    end: int
    ids: tuple[str, ...] = ()


def is_filler(unit: Unit) -> bool:
    return unit.kind == "word" and unit.value in SCOPE_FILLERS


def _alone(tokens: Sequence[str], span: NameSpan) -> bool:
    """Whether the span is all the query says, besides words that ask for a perfume ("the
    one perfume", "light blue edt"), or all it says before a "but" that changes it ("Light
    Blue but more long lasting" had lost Light Blue: a light intensity and the colour)."""
    after = list(tokens[span.end:])
    if "but" in after:
        after = after[:after.index("but")]
    rest = [*tokens[:span.start], *after]
    return all(t in GENERIC_WORDS or t in FUNCTION_WORDS or t in CONCENTRATION_WORDS
               or t in ("de", "cologne") for t in rest)


class UnitReader:
    """Turns query tokens into units against one catalogue's names and phrase table."""

    def __init__(self, phrases: PhraseTable, names: NameIndex) -> None:
        self._phrases, self._names = phrases, names

    def _distinctive(self, tokens: Sequence[str], span: NameSpan) -> bool:
        """Whether the name has a word of its own: no query word, or the French spelling
        of a note ("Tobacco Vanille" is the perfume, "tobacco vanilla" two notes); or it is
        a French name written out whole, article first: nobody writes "le male" for a
        masculine scent ("Le Male", "L'Homme" were a gender wish without their brand)."""
        if span.end - span.start >= 2 and tokens[span.start] in FRENCH_ARTICLES:
            return True
        return any((t in VARIANTS or not (t in self._phrases.words or t in NAME_FILLERS
                                          or t in COMMON_NAME_WORDS))
                   and (len(t) >= 3 or t.isdigit()) for t in tokens[span.start:span.end])

    def _named_alone(self, tokens: Sequence[str], span: NameSpan) -> bool:
        """Whether a perfume's name of common words is all the query says: people type a
        name alone ("good girl", "light blue", "do son", "pi", "the one perfume": CK One
        came first; Light Blue was a light intensity). Not a name each of whose words
        means something to the parser ("spring flower", "leather oud", "green tea", "for
        men", Tom Ford's For Men): the query asks for what they mean."""
        if not _alone(tokens, span):
            return False
        own = [t for t in tokens[span.start:span.end] if t not in FUNCTION_WORDS]
        i = 0
        while i < len(own):
            found = self._phrases.at(own, i)
            if found is None:
                return True  # a word of the name's own
            i += found.size
        return tokens[span.start] == "the" and span.end - span.start >= 2

    def _by_its_brand(self, tokens: Sequence[str], span: NameSpan) -> bool:
        """Whether the name follows "by" and its brand, and says only whom it is for:
        "something by Tom Ford for men" asks for the brand's perfumes for men, not for the
        perfume Tom Ford for Men (which it listed first, with four other brands' after
        it). "by Tom Ford Oud Wood" names Oud Wood."""
        for i in span.ids:
            brand = name_tokens(self._names.perfumes[i].brand)
            named = list(tokens[span.start:span.start + len(brand)]) == brand
            before = span.start - len(brand)
            after_brand = before >= 1 and list(tokens[before:span.start]) == brand
            start = span.start if named else before
            own = tokens[span.start + len(brand) if named else span.start:span.end]
            if not brand or not (named or after_brand) or start < 1 or \
                    tokens[start - 1] != "by" or not set(own) <= GENDER_NAME_WORDS:
                return False
        return True

    def _accepted(self, tokens: Sequence[str], span: NameSpan, brands: set[str],
                  near_like: set[int]) -> bool:
        if self._by_its_brand(tokens, span) and span.start not in near_like:
            return False
        branded = any(self._names.perfumes[i].brand in brands for i in span.ids)
        return branded or span.start in near_like or span.end in near_like or (
            self._distinctive(tokens, span)) or self._named_alone(tokens, span)

    def _name_units(self, tokens: Sequence[str]) -> dict[int, Unit]:
        """Accepted perfume names and the brands outside them, by start token."""
        words = [i for i, t in enumerate(tokens) if t.isalnum()]
        plain = [tokens[i] for i in words]
        brand_spans = self._names.brand_spans(plain)
        brands = {span.brand for span in brand_spans if span.brand}
        near_like = self._near_like(tokens, words)
        units: dict[int, Unit] = {}
        covered: set[int] = set()
        spans = [*self._names.spans(plain), *self._names.branded_prefix_spans(
            plain, self._phrases.words | COMMON_NAME_WORDS)]
        for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):
            start, end = words[span.start], words[span.end - 1] + 1
            if covered.isdisjoint(range(start, end)) and self._accepted(
                    plain, span, brands, near_like):
                units[start] = Unit("name", " ".join(tokens[start:end]), start, end, span.ids)
                covered.update(range(start, end))
        for span in brand_spans:
            start, end = words[span.start], words[span.end - 1] + 1
            if covered.isdisjoint(range(start, end)):
                units[start] = Unit("brand", span.brand or "", start, end)
                covered.update(range(start, end))
        return units

    def _near_like(self, tokens: Sequence[str], words: Sequence[int]) -> set[int]:
        """Word positions right after a "like" marker or right before a Korean one."""
        near: set[int] = set()
        position = {token_index: word_index for word_index, token_index in enumerate(words)}
        for i in range(len(tokens)):
            found = self._phrases.at(tokens, i)
            if found and found.kind == "like":
                after = [position[j] for j in range(i + found.size, len(tokens)) if j in position]
                near.update(after[:2])
            elif found and found.kind == "likeback":
                before = [position[j] + 1 for j in range(i) if j in position]
                near.update(before[-2:])
        return near

    def read(self, tokens: Sequence[str]) -> list[Unit]:
        names = self._name_units(tokens)
        units: list[Unit] = []
        i = 0
        while i < len(tokens):
            unit = names.get(i)
            if unit is None:
                found = self._phrases.at(tokens, i)
                unit = (Unit(found.kind, found.value, i, i + found.size) if found
                        else Unit("word", tokens[i], i, i + 1))
            units.append(unit)
            i = unit.end
        return [self._as_note(units, k) for k in range(len(units))]

    def _as_note(self, units: Sequence[Unit], k: int) -> Unit:
        """A character or occasion word that is also a note reads as the note inside a list
        of notes ("vanilla and amber", "fig and date"), as the character or occasion
        elsewhere ("spicy amber perfume", "date night")."""
        unit = units[k]
        note = self._phrases.notes.get(unit.value) if unit.kind == "character" or (
            unit.kind == "occasion" and unit.end - unit.start == 1) else None
        if note is None:
            return unit
        for step in (-1, 1):
            j = k + step
            while 0 <= j < len(units) and is_filler(units[j]):
                j += step
            if 0 <= j < len(units) and units[j].kind == "conj":
                j += step
                while 0 <= j < len(units) and is_filler(units[j]):
                    j += step
                if 0 <= j < len(units) and units[j].kind in ("note", "group"):
                    return Unit("note", note, unit.start, unit.end)
        return unit
