"""A query, a mood or a note in another script, in English words: Korean (`ml.korean`),
Japanese and Chinese (`ml.cjk`), Russian and Arabic (`ml.spaced_scripts`). One place
decides which lexicon reads a text, for the search parser, the recipe mood and note lists,
and search filters alike."""

from __future__ import annotations

from functools import cache

from ml.cjk import cjk_lexicon, contains_cjk, language_of
from ml.korean import Lexicon, Translation, contains_hangul, translate
from ml.spaced_scripts import lexicon_of, script_of, translate_words


@cache
def korean_lexicon() -> Lexicon:
    """The shipped Korean lexicon, read once."""
    return Lexicon.load()


def translation_of(text: str, korean: Lexicon | None = None) -> tuple[str, Translation] | None:
    """(the language, the translation) of a text in one of those scripts; None for a Latin
    one, read as written. `korean`: the Korean lexicon to read with (the search side's,
    with the catalogue's names; default the shipped one)."""
    if contains_hangul(text):
        return "ko", translate(text, korean or korean_lexicon())
    if contains_cjk(text):
        return language_of(text), translate(text, cjk_lexicon())
    if (script := script_of(text)) is not None:
        return script, translate_words(text, lexicon_of(script))
    return None


def english_of(text: str) -> str:
    """The English words of a text (its lexicon's translation), or the text as written."""
    found = translation_of(text)
    return found[1].english if found is not None and found[1].english else text
