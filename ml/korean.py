"""Korean queries: detect Hangul and translate perfumery vocabulary to English.

all-MiniLM-L6-v2 is English-only, so a Korean query is turned into English words through
`ko_lexicon.json` before it is embedded. First the lexicon's multi-word *phrases* are
found in the raw text, spaces optional ("블랙 오피움" -> Black Opium, "안 들어간" -> a
negation). Each remaining Hangul run is segmented left to right: the longest lexicon word
or known particle / ending (한, 적인, 이, 을, 향이 ...) that prefixes the rest wins, a word
over an ending of the same length; endings are skipped; when neither fits, the rest of the
run is kept as untranslated and dropped.
So 상큼하고 -> 상큼 (fresh) + 하고 (and), 장미빼고 -> 장미 (rose) + 빼고 (a negation).
Latin words are kept, less one that only repeats the last word of the entry just before it
("바카라 루쥬 540": the entry is Baccarat Rouge 540 already).

A translation has two forms: `english`, the words to embed, and `words`, the words to
parse. They differ where an entry's `parse` differs from its `en` (상큼 embeds as "fresh
citrus" but means the mood "fresh"), and in the markers only the parse form carries:
Korean puts negation and likeness after what they apply to, so they arrive as `<not`
("장미 빼고"), `<soft` ("달지 않은": not too sweet) and `<like` ("블랙 오피움 같은"), each
looking back at the words before it; particles that join words arrive as `and` / `or`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LEXICON_FILE = Path(__file__).resolve().parent / "knowledge" / "ko_lexicon.json"
HANGUL_CHARACTERS = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
_HANGUL = re.compile(f"[{HANGUL_CHARACTERS}]")


def contains_hangul(text: str) -> bool:
    return _HANGUL.search(text) is not None


@dataclass(frozen=True)
class LexiconEntry:
    ko: str
    en: str
    category: str
    parse: str | None = None

    @property
    def meaning(self) -> str:
        """The words the parser reads for this entry (`parse` when given, else `en`)."""
        return self.en if self.parse is None else self.parse


@dataclass(frozen=True)
class Translation:
    english: str
    matched: tuple[LexiconEntry, ...]
    untranslated: tuple[str, ...]
    words: tuple[str, ...] = ()


def _entry(row: dict[str, str]) -> LexiconEntry:
    return LexiconEntry(row["ko"] if "ko" in row else row["text"], row["en"], row["category"],
                        row.get("parse"))


def _phrase_pattern(phrases: Iterable[LexiconEntry]) -> re.Pattern[str] | None:
    spelled = sorted({p.ko for p in phrases}, key=len, reverse=True)
    alternatives = [r"\s*".join(re.escape(part) for part in ko.split()) for ko in spelled]
    return re.compile("|".join(alternatives)) if alternatives else None


class Lexicon:
    """Korean words and phrases -> English, plus the particles and endings that may follow.
    The same reading serves another script's lexicon (`ml.cjk`: Japanese and Chinese):
    `script` is the characters its runs are made of; with `skip_unknown`, a character no
    word or ending begins with is left out and the run read on (a language written without
    spaces: one unknown character would otherwise drop the rest of the sentence)."""

    def __init__(self, entries: Iterable[LexiconEntry], suffixes: Iterable[str],
                 phrases: Iterable[LexiconEntry] = (), script: str = HANGUL_CHARACTERS,
                 skip_unknown: bool = False) -> None:
        self.entries = {entry.ko: entry for entry in entries}
        self.suffixes = frozenset(suffixes)
        self.phrases = {"".join(p.ko.split()): p for p in phrases}
        self._pattern = _phrase_pattern(self.phrases.values())
        self._longest = max((len(k) for k in [*self.entries, *self.suffixes]), default=0)
        self.script = re.compile(f"[{script}]")
        self.runs = re.compile(f"[{script}]+|[0-9A-Za-z\u00c0-\u024f'&-]+")
        self.skip_unknown = skip_unknown

    @classmethod
    def load(cls, path: str | Path | None = None, script: str = HANGUL_CHARACTERS,
             skip_unknown: bool = False) -> Lexicon:
        """Read a lexicon file (default: the shipped `ko_lexicon.json`)."""
        data = json.loads(Path(path or LEXICON_FILE).read_text(encoding="utf-8"))
        return cls([_entry(row) for row in data["entries"]], data.get("suffixes", []),
                   [_entry(row) for row in data.get("phrases", [])], script, skip_unknown)

    def _prefix(self, text: str, table: Iterable[str] | dict[str, LexiconEntry]) -> str | None:
        for size in range(min(len(text), self._longest), 0, -1):
            if text[:size] in table:
                return text[:size]
        return None

    def segment(self, run: str) -> tuple[list[LexiconEntry], str | None]:
        """The lexicon words found in a run, and the untranslatable rest (or None; with
        `skip_unknown`, the characters left out)."""
        found: list[LexiconEntry] = []
        skipped = ""
        rest = run
        while rest:
            word = self._prefix(rest, self.entries)
            ending = self._prefix(rest, self.suffixes)
            if ending is not None and (word is None or len(ending) > len(word)):
                word = ending  # 나는 (an ending) is read whole, not as 나 (or) + 는
            elif word is not None:
                found.append(self.entries[word])
            elif self.skip_unknown:
                skipped, word = skipped + rest[0], rest[0]
            else:
                return found, rest
            rest = rest[len(word):]
        return found, skipped or None

    def pieces(self, text: str) -> list[str | LexiconEntry]:
        """`text` cut at its lexicon phrases: plain text pieces and phrase entries."""
        if self._pattern is None:
            return [text]
        pieces: list[str | LexiconEntry] = []
        position = 0
        for match in self._pattern.finditer(text):
            pieces.append(text[position:match.start()])
            pieces.append(self.phrases["".join(match.group().split())])
            position = match.end()
        pieces.append(text[position:])
        return pieces


class TranslationBuilder:
    def __init__(self) -> None:
        self.english: list[str] = []
        self.words: list[str] = []
        self.matched: list[LexiconEntry] = []
        self.untranslated: list[str] = []
        self.echo: str | None = None  # the last word of the entry just read

    def add(self, entry: LexiconEntry) -> None:
        self.echo = (entry.en.split() or [""])[-1].casefold() or None
        self.matched.append(entry)
        if entry.en:
            self.english.append(entry.en)
        self.words.extend(entry.meaning.split())

    def latin(self, word: str) -> None:
        echo, self.echo = self.echo, None
        if word.casefold() == echo:
            return  # what the entry just read already says ("바카라 루쥬 540": 540 once)
        self.english.append(word)
        self.words.append(word)


# An amount in won as Korean writes it: "10만원" (10 x 10,000), "5천 원", "50000원"
_WON = re.compile(r"(\d+)\s*(만|천)?\s*원")
_WON_UNITS = {"만": 10_000, "천": 1_000, None: 1}


def _won(match: re.Match[str]) -> str:
    return f" {int(match.group(1)) * _WON_UNITS[match.group(2)]} won "


# "X지 않고", "X지 않는", "X지 않아": the negation as the lexicon writes it ("X지 않은")
_NOT = re.compile(r"지\s*않(?:고|는|아요|아|게|을)(?![가-힣])")


def translate(text: str, lexicon: Lexicon) -> Translation:
    """English words for `text` (lexicon translations and Latin words, in query order); an
    amount in won is written out ("10만원 이하": 100000 won or less, a price), and every
    ending of a negation read as one ("무겁지 않고 가벼운": not heavy, light)."""
    built = TranslationBuilder()
    for piece in lexicon.pieces(_NOT.sub("지 않은", _WON.sub(_won, text))):
        if isinstance(piece, LexiconEntry):
            built.add(piece)
            continue
        for run in lexicon.runs.findall(piece):
            if not lexicon.script.search(run):
                built.latin(run)
                continue
            found, rest = lexicon.segment(run)
            for entry in found:
                built.add(entry)
            if rest:
                built.untranslated.append(rest)
    return Translation(" ".join(built.english), tuple(built.matched),
                       tuple(built.untranslated), tuple(built.words))
