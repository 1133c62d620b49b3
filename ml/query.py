"""Query interpretation: any query (Korean or English) -> English text + facet hints + terms.

The English text is what gets embedded; the terms feed the lexical signal; the hints feed
the soft facet boosts. Korean goes through `ml.korean` first, then both languages share
the same English facet extraction.
"""

from __future__ import annotations

from dataclasses import dataclass

from ml.facets import FacetHints, FacetVocabulary, extract_hints
from ml.knowledge import Catalog
from ml.korean import Lexicon, contains_hangul, translate
from ml.tokens import content_tokens, singular


@dataclass(frozen=True)
class InterpretedQuery:
    text: str
    english: str
    lang: str
    hints: FacetHints
    terms: tuple[str, ...]
    untranslated: tuple[str, ...] = ()


class QueryInterpreter:
    def __init__(self, lexicon: Lexicon, vocabulary: FacetVocabulary) -> None:
        self._lexicon, self._vocabulary = lexicon, vocabulary

    @classmethod
    def for_catalog(cls, catalog: Catalog, lexicon: Lexicon | None = None) -> QueryInterpreter:
        vocabulary = FacetVocabulary.build(catalog.note_vocabulary(), catalog.mood_vocabulary())
        return cls(lexicon or Lexicon.load(), vocabulary)

    def interpret(self, text: str) -> InterpretedQuery:
        """Never raises; an untranslatable query yields empty English text and no hints."""
        if contains_hangul(text):
            translation = translate(text, self._lexicon)
            english, lang, untranslated = translation.english, "ko", translation.untranslated
        else:
            english, lang, untranslated = text.strip(), "en", ()
        terms = tuple(singular(token) for token in content_tokens(english))
        return InterpretedQuery(text, english, lang, extract_hints(english, self._vocabulary),
                                terms, untranslated)
