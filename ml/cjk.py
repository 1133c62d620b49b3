"""Japanese and Chinese queries: perfumery vocabulary to English, as Korean is read.

`cjk_lexicon.json` holds Japanese (kana, kanji) and Chinese (simplified and traditional)
words for notes, families, moods, seasons, genders, occasions, intensity and the markers
of negation and likeness, in the Korean lexicon's format (`ml.korean`). Both languages are
written without spaces, so a run is read greedily and a character no word begins with is
skipped (`Lexicon.skip_unknown`) instead of dropping the rest of the sentence:
"ジャスミンの香水" is jasmine + perfume, "不要玫瑰的木质香水" without rose, woody, perfume."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from ml.korean import Lexicon

LEXICON_FILE = Path(__file__).resolve().parent / "knowledge" / "cjk_lexicon.json"
# hiragana, katakana (and its phonetic extensions, half-width forms), CJK ideographs
KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f"
CJK_CHARACTERS = f"{KANA}\u3400-\u4dbf\u4e00-\u9fff"
_CJK, _KANA = re.compile(f"[{CJK_CHARACTERS}]"), re.compile(f"[{KANA}]")


def contains_cjk(text: str) -> bool:
    """True if the text holds kana or Chinese characters."""
    return _CJK.search(text) is not None


def language_of(text: str) -> str:
    """"ja" when the text holds kana, else "zh"."""
    return "ja" if _KANA.search(text) else "zh"


@cache
def cjk_lexicon() -> Lexicon:
    return Lexicon.load(LEXICON_FILE, script=CJK_CHARACTERS, skip_unknown=True)
