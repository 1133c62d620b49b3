"""Query interpretation: any query (Korean or English) -> what it asks for, in English.

Korean goes through `ml.korean` first (parse words with markers), then both languages share
the English parser (`ml.parsing`). The result holds the positive English text (what gets
embedded: excluded and avoided words removed, so "without tonka" never pulls tonka
perfumes closer), the lexical terms of that text (less the occasion words: `QueryParse`),
the facet hints and the whole parse.
An interpreter built with `understand=False` only translates: the baselines' reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml.facets import FacetHints, hints_from
from ml.knowledge import Catalog
from ml.korean import Lexicon
from ml.names import NameIndex
from ml.notes import NoteTaxonomy
from ml.parsing import QueryParse, QueryParser
from ml.phrases import PhraseTable, query_tokens
from ml.query_words import GENERIC_WORDS
from ml.spelling import english_words
from ml.tokens import content_tokens, singular
from ml.translation import translation_of


def catalog_words(catalog: Catalog) -> frozenset[str]:
    """The words of the catalogue's descriptions and material descriptors: English words
    that a query may use as typed, so never typos of a vocabulary word."""
    texts = [perfume.description for perfume in catalog.perfumes]
    texts += [" ".join((m.name, *m.synonyms, *m.descriptors)) for m in catalog.materials]
    return frozenset(token for text in texts for token in query_tokens(text))


def _lexical_terms(english: str, parse: QueryParse) -> tuple[str, ...]:
    """The BM25 terms of the embedded text, less the words read as an occasion or a gender
    and the words that ask for a perfume without describing one ("smells good on everyone"
    ranked Good Girl first by "good")."""
    unsearched = _GENERIC_TERMS | {singular(word) for word in parse.unsearched_words}
    return tuple(term for term in map(singular, content_tokens(english))
                 if term not in unsearched)


_GENERIC_TERMS = frozenset(map(singular, GENERIC_WORDS))


@dataclass(frozen=True)
class InterpretedQuery:
    text: str
    english: str
    lang: str
    hints: FacetHints
    terms: tuple[str, ...]
    untranslated: tuple[str, ...] = ()
    parse: QueryParse = field(default_factory=QueryParse)


class QueryInterpreter:
    def __init__(self, lexicon: Lexicon, parser: QueryParser, *, understand: bool = True) -> None:
        self._lexicon, self._parser, self._understand = lexicon, parser, understand

    @classmethod
    def for_catalog(cls, catalog: Catalog, lexicon: Lexicon | None = None, *,
                    understand: bool = True) -> QueryInterpreter:
        notes = catalog.note_vocabulary()
        parser = QueryParser(PhraseTable.build(notes, catalog.mood_vocabulary()),
                             NameIndex.build(catalog.perfumes), NoteTaxonomy.build(notes),
                             catalog_words(catalog) | english_words())
        return cls(lexicon or Lexicon.load(), parser, understand=understand)

    def interpret(self, text: str) -> InterpretedQuery:
        """Never raises; an untranslatable query yields empty English text and no hints."""
        if (found := translation_of(text, self._lexicon)) is not None:
            lang, translation = found
            literal, words = translation.english, " ".join(translation.words)
            untranslated = translation.untranslated
        else:
            literal, words, lang, untranslated = text.strip(), text, "en", ()
        parse = self._parser.parse(words, untranslated) if self._understand else QueryParse()
        english = parse.text if self._understand else literal
        terms = _lexical_terms(english, parse)
        return InterpretedQuery(text, english, lang, hints_from(parse), terms, untranslated,
                                parse)
