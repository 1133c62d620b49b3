"""Korean queries: detect Hangul and translate perfumery vocabulary to English.

all-MiniLM-L6-v2 is English-only, so a Korean query is turned into English words through
`ko_lexicon.json` before it is embedded. Each Hangul run is segmented left to right: the
longest lexicon word that prefixes the rest wins; otherwise the longest known particle or
ending (하고, 한, 적인, 이, 을, 향이 ...) is skipped; otherwise the rest of the run is kept as
untranslated and dropped from the English text. So 상큼하고 -> 상큼 (fresh citrus),
로맨틱한 -> 로맨틱 (romantic), 장미향이 -> 장미 (rose) + 향 (scent). Latin words are kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEXICON_FILE = Path(__file__).resolve().parent / "knowledge" / "ko_lexicon.json"
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_RUNS = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+|[0-9A-Za-z\u00c0-\u024f'-]+")


def contains_hangul(text: str) -> bool:
    return _HANGUL.search(text) is not None


@dataclass(frozen=True)
class LexiconEntry:
    ko: str
    en: str
    category: str


@dataclass(frozen=True)
class Translation:
    english: str
    matched: tuple[LexiconEntry, ...]
    untranslated: tuple[str, ...]


class Lexicon:
    """Korean word -> English words, plus the particles and endings that may follow."""

    def __init__(self, entries: Iterable[LexiconEntry], suffixes: Iterable[str]) -> None:
        self.entries = {entry.ko: entry for entry in entries}
        self.suffixes = frozenset(suffixes)
        self._longest = max((len(k) for k in [*self.entries, *self.suffixes]), default=0)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        """Read a lexicon file (default: the shipped `ko_lexicon.json`)."""
        data = json.loads(Path(path or LEXICON_FILE).read_text(encoding="utf-8"))
        entries = [LexiconEntry(row["ko"], row["en"], row["category"]) for row in data["entries"]]
        return cls(entries, data.get("suffixes", []))

    def _prefix(self, text: str, table: Iterable[str] | dict[str, LexiconEntry]) -> str | None:
        for size in range(min(len(text), self._longest), 0, -1):
            if text[:size] in table:
                return text[:size]
        return None

    def segment(self, run: str) -> tuple[list[LexiconEntry], str | None]:
        """The lexicon words found in a Hangul run, and the untranslatable rest (or None)."""
        found: list[LexiconEntry] = []
        rest = run
        while rest:
            word = self._prefix(rest, self.entries)
            if word is not None:
                found.append(self.entries[word])
            else:
                word = self._prefix(rest, self.suffixes)
                if word is None:
                    return found, rest
            rest = rest[len(word):]
        return found, None


def translate(text: str, lexicon: Lexicon) -> Translation:
    """English words for `text`: lexicon translations and Latin words, in query order."""
    words: list[str] = []
    matched: list[LexiconEntry] = []
    untranslated: list[str] = []
    for run in _RUNS.findall(text):
        if not contains_hangul(run):
            words.append(run)
            continue
        found, rest = lexicon.segment(run)
        matched.extend(found)
        words.extend(entry.en for entry in found if entry.en)
        if rest:
            untranslated.append(rest)
    return Translation(" ".join(words), tuple(matched), tuple(untranslated))
