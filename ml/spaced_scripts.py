"""Russian and Arabic queries: perfumery vocabulary to English, word by word.

Both are written with spaces, but inflect their words: Russian changes a word's ending
("ваниль", "ванили", "ванилью"), Arabic joins the article and some prepositions to its
front ("العود", "بالعود", "والورد"). So `ru_lexicon.json` and `ar_lexicon.json` hold
stems: a word is read as the longest entry that begins it (for Arabic, also once the
joined article or preposition is taken off its front), and the rest of the word, its ending,
is dropped. Entries match only at a word's start, never inside one (unlike Japanese and
Chinese, written without spaces: `ml.cjk`). Multi-word expressions ("сандаловое дерево",
"من غير") are the lexicon's phrases, found in the raw text first. A word no entry begins
is untranslated, as a Korean one is.

The translation has the two forms of a Korean one (`ml.korean.Translation`): `english` to
embed, `words` to parse, where negation and likeness markers read as their English words
("без" is "without", "مثل" is "like"): both languages put them before what they apply to,
as English does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ml.korean import LexiconEntry, Translation, TranslationBuilder

KNOWLEDGE = Path(__file__).resolve().parent / "knowledge"
CYRILLIC_CHARACTERS = "\u0400-\u04ff"
# Arabic letters, without the Arabic-Indic digits (٠-٩), which are numbers
ARABIC_CHARACTERS = "\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f"
_CYRILLIC, _ARABIC = re.compile(f"[{CYRILLIC_CHARACTERS}]"), re.compile(f"[{ARABIC_CHARACTERS}]")
# the article and prepositions Arabic joins to a word's front, longest first ("وال": and the)
ARABIC_PREFIXES = ("وبال", "وال", "بال", "لل", "ال", "و", "ب", "ل", "ف")
# Arabic's short-vowel marks, tatweel and Persian/Urdu letter forms: not part of the spelling
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ک": "ك", "ی": "ي"})


def script_of(text: str) -> str | None:
    """"ru" for text with Cyrillic letters, "ar" for Arabic letters, else None."""
    if _CYRILLIC.search(text):
        return "ru"
    if _ARABIC.search(text):
        return "ar"
    return None


@dataclass(frozen=True)
class StemLexicon:
    """One language's stems and phrases."""

    entries: dict[str, LexiconEntry]
    phrases: dict[str, LexiconEntry]
    script: re.Pattern[str]
    prefixes: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path, script: str, prefixes: tuple[str, ...] = ()) -> StemLexicon:
        data = json.loads(path.read_text(encoding="utf-8"))

        def entry(row: dict[str, str]) -> LexiconEntry:
            return LexiconEntry(spelling(row["text"]), row["en"], row["category"],
                                row.get("parse"))

        return cls({e.ko: e for e in map(entry, data["entries"])},
                   {" ".join(e.ko.split()): e for e in map(entry, data.get("phrases", []))},
                   re.compile(f"[{script}]+"), prefixes)

    def word(self, word: str) -> LexiconEntry | None:
        """The entry of the longest stem that begins `word`, or that begins it once a
        joined prefix is taken off; None when none does."""
        for start in ("", *(p for p in self.prefixes if word.startswith(p))):
            stem = word[len(start):]
            for size in range(len(stem), 0, -1):
                if (entry := self.entries.get(stem[:size])) is not None:
                    return entry
        return None


def spelling(text: str) -> str:
    """Lower case, Arabic without its short-vowel marks and with one form of alef and yeh,
    Russian ё as е (as most people type it)."""
    folded = _ARABIC_MARKS.sub("", text.lower()).translate(_ARABIC_LETTERS)
    return folded.replace("ё", "е")


@cache
def lexicon_of(language: str) -> StemLexicon:
    if language == "ru":
        return StemLexicon.load(KNOWLEDGE / "ru_lexicon.json", CYRILLIC_CHARACTERS)
    return StemLexicon.load(KNOWLEDGE / "ar_lexicon.json", ARABIC_CHARACTERS, ARABIC_PREFIXES)


_WORD = re.compile(rf"[{CYRILLIC_CHARACTERS}{ARABIC_CHARACTERS}]+|[0-9A-Za-z\u00c0-\u024f'&-]+")


def _read(built: TranslationBuilder, piece: str, lexicon: StemLexicon) -> None:
    for word in _WORD.findall(piece):
        if not lexicon.script.fullmatch(word):  # a brand, a perfume's name: as typed
            built.latin(word)
        elif (entry := lexicon.word(word)) is not None:
            built.add(entry)
        else:
            built.untranslated.append(word)


def translate_words(text: str, lexicon: StemLexicon) -> Translation:
    """English words for `text`: its phrases, then each word's stem entry; Latin words are
    kept as typed."""
    built = TranslationBuilder()
    folded = " ".join(spelling(text).split())
    position = 0
    if lexicon.phrases:
        for match in _phrase_pattern(tuple(lexicon.phrases)).finditer(folded):
            _read(built, folded[position:match.start()], lexicon)
            built.add(lexicon.phrases[match.group()])
            position = match.end()
    _read(built, folded[position:], lexicon)
    return Translation(" ".join(built.english), tuple(built.matched),
                       tuple(built.untranslated), tuple(built.words))


@cache
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The phrases, longest first, each whole words (not inside a longer word)."""
    spelled = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, spelled)) + r")(?!\w)")
