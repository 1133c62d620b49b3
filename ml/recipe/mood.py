"""What a client writes into a brief's free-text mood besides the mood: exclusions ("romantic
but no musk please, vanilla-free" asks for a romantic formula without musk or vanilla) and
notes ("a cozy vanilla and tobacco evening" asks for vanilla and tobacco).

English markers point forward ("no musk", "without oud or incense", "not musky", "hold the
vanilla"); "free" and the Korean negation words of the lexicon (빼고, 없이, 제외하고 ...)
point back ("vanilla-free", "바닐라 빼고"). A list goes on over "and", "or" and "nor", and
over commas only when such a word joins it too ("no oud, incense or leather"; in "no musk,
elegant" only musk). A negated phrase is an exclusion only when it names a note the recipe
side knows (`ml.recipe.vocabulary.is_note`): "not too sweet" (a softener) and "not heavy"
(no note) stay mood words. The mood without its exclusion phrases ("romantic") is what the
description and the mood profile use. A note named outside the exclusions (the longest run
of words that names one: "sea breeze", "after the rain", "leather") is a wish the formula
honours as it honours a requested note (`ml.recipe.brief.Brief.mood_notes`).

The search side's parser (`ml.parsing`) reads the same markers, but over a perfume
catalogue's phrase table and names, which the recipe package does not load; this reader
needs only the recipe vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ml.korean import contains_hangul, translate
from ml.material_limits import WORD_TOKEN, longest_phrase_at, material_limits
from ml.query_words import ACHES, BACK_NEGATIONS, INTENSITY_WORDS, NEGATIONS
from ml.recipe.concentration import MOOD_NAMES
from ml.recipe.vocabulary import english_form, is_note, korean_lexicon
from ml.translation import translation_of

CONTRACTED = frozenset({"t", "s", "re", "ve", "ll", "m", "d"})


def _marker_words(phrase: str) -> tuple[str, ...]:
    """A search marker as this reader's tokens: "can t stand" is ("can't", "stand")."""
    words: list[str] = []
    for word in phrase.split():
        if word in CONTRACTED and words:
            words[-1] += "'" + word
        else:
            words.append(word)
    return tuple(words)


# The search parser's markers (`ml.query_words`), so a mood refuses a note as a query does:
# forward ("no musk", "I can't stand oud", "ohne Vanille", "sem baunilha"); backward
# ("vanilla-free", "vanilla isn't my thing", "vanilla gives me a headache")
FORWARD_MARKERS = frozenset(_marker_words(phrase) for phrase in NEGATIONS) | {
    ("hold", "the"), ("skip", "the"), ("anything", "but"), ("none", "of")}
BACKWARD_MARKERS = frozenset(_marker_words(phrase) for phrase in (
    *BACK_NEGATIONS, *(p for p in INTENSITY_WORDS if " " in p and ACHES.intersection(p.split()))))
MAX_MARKER_WORDS = max(len(marker) for marker in FORWARD_MARKERS | BACKWARD_MARKERS)
_MARKER_WORDS = frozenset(word for marker in FORWARD_MARKERS | BACKWARD_MARKERS
                          for word in marker if len(marker) == 1)
SOFTENERS = frozenset({"too", "overly", "very", "so", "much"})  # "not too sweet": a wish
FILLERS = frozenset({"the", "a", "an", "any", "added", "more", "anything", "all"})
LIST_WORDS = frozenset({"and", "or", "nor", "&", "/"})
# words that close a negation and go with it ("no musk please", "no citrus at all")
COURTESIES = (("please",), ("pls",), ("thanks",), ("thank", "you"), ("whatsoever",),
              ("at", "all"))  # fmt: skip
# what may be left dangling at the ends of the mood once its exclusions are taken out
DANGLING = frozenset({"but", "and", "or", "nor", "please", "pls", "thanks", "with", "yet",
                      "y", "et", "und",
                      "though", "plus", "also", "just", ",", ";", ".", "!", "?", "-", "&",
                      "/", "i", "we", "she", "he", "they", "i'm", "im", "i've", "ive",
                      "so", "because", "since", "it", "to", "react", "reacts", "stuff",
                      "things"})  # fmt: skip
# ("cinnamon and clove but i'm allergic to eugenol" described "an i'm floral"; "no citrus,
# i react to it" a floral "react to it")
SEPARATORS = frozenset({",", ";", "and", "or", "nor", "but", "&", "/"})
CLAUSE_ENDS = frozenset({",", ";", ".", "!", "?", "but", "with", "yet"})
# words that name a note but mean something else in a mood, alone ("date night", "my
# mate", "soft on the skin"; "a skin scent" still names one)
NOT_NOTES_IN_A_MOOD = frozenset({"date", "mate", "skin"})
MAX_NOTE_WORDS = 4  # "lily of the valley"




@dataclass(frozen=True)
class MoodReading:
    """`excluded`: the notes the mood excludes, as written (Korean ones by their English
    words); `phrases`: the mood's exclusion phrases ("no musk please"); `mood`: the mood
    without them; `named`: the notes it names elsewhere ("a cozy vanilla and tobacco
    evening": vanilla, tobacco), longest first ("sea breeze", not "sea"); `limits`: which
    materials it allows (`MATERIAL_LIMITS`), said by `limit_phrases`, which `mood` leaves
    out as it leaves out the exclusions."""

    excluded: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    mood: str = ""
    named: tuple[str, ...] = ()  # the notes it names outside its exclusions
    limits: tuple[str, ...] = ()  # ALLERGEN_FREE, NATURAL_ONLY, VEGAN: what it may use
    limit_phrases: tuple[tuple[str, str], ...] = ()  # (limit, the phrase that said it)
    # the concentration it names, as (its slug, the phrase): "an extrait de parfum" was
    # pasted into the description of an eau de parfum
    concentration: tuple[str, str] | None = None
    # the amounts it states ("20% oud": "20%"), which no formula takes from a brief: left
    # out of `mood` ("A 20% oud woody eau de parfum" described 1.2 % of agarwood)
    amounts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int


@lru_cache(maxsize=1024)
def read_mood(mood: str) -> MoodReading:
    """The exclusions a (normalised, lower-case) mood states; the mood unchanged when it
    states none. A Japanese, Chinese, Russian or Arabic mood is read in its English words
    (`english_words`): "без ванили, тёплый" excludes vanilla and is the mood "warm" (it
    excluded nothing, and the description pasted it whole)."""
    if (english := english_words(mood)) is not None:
        return read_mood(english)
    tokens = [_Token(m.group(), m.start(), m.end()) for m in WORD_TOKEN.finditer(mood)]
    words = [t.text for t in tokens]
    found: list[tuple[list[int], list[list[int]]]] = []  # (tokens to remove, notes)
    limited = material_limits(words)
    taken: set[int] = {i for span, _ in limited for i in span}
    strength = _concentration_at(words, taken)
    taken.update(strength[0] if strength else ())
    amounts = [span for span in _amounts(words) if not taken.intersection(span)]
    taken.update(i for span in amounts for i in span)
    for i in range(len(words)):
        if i in taken:
            continue
        scope = _negation_at(words, i)
        if scope is not None:
            removed, notes = scope
            taken.update(removed)
            found.append((removed, notes))
    softened = {k for i in range(len(words)) for k in _softened_at(words, i)}
    named = tuple(dict.fromkeys(_note_text(tokens, run)
                                for run in _named(words, taken | softened)))
    if not taken:
        return MoodReading(mood=mood, named=named)
    excluded = [_note_text(tokens, run) for _, notes in found for run in notes]
    phrases = [_phrase(mood, tokens, removed) for removed, _ in found]
    kept = [t for i, t in enumerate(tokens) if i not in taken]
    return MoodReading(tuple(dict.fromkeys(excluded)), tuple(phrases), _tidy(kept), named,
                       tuple(dict.fromkeys(limit for _, limit in limited if limit)),
                       tuple((limit, _phrase(mood, tokens, span))
                             for span, limit in limited if limit),
                       (strength[1], _phrase(mood, tokens, strength[2]))
                       if strength else None,
                       tuple(_phrase(mood, tokens, span) for span in amounts))


def _amounts(words: Sequence[str]) -> list[list[int]]:
    """The spans of "<number> %" and "<number> percent" ("20%", "20 percent", "0.5%")."""
    found: list[list[int]] = []
    for i, word in enumerate(words):
        if not word.isdigit() or (found and i <= found[-1][-1]):
            continue
        j = i + 2 if i + 2 < len(words) and words[i + 1] in ".," and words[i + 2].isdigit() \
            else i
        if j + 1 < len(words) and words[j + 1] in ("%", "percent", "pct"):
            found.append(list(range(i, j + 2)))
    return found


# words that refuse the concentration they come with: before it ("not an extrait", "no
# parfum please", "anything but a parfum", "without the edp") or after it ("extrait de
# parfum is too strong for me"): it was applied (a parfum at 20 % for "not an extrait")
_REFUSING_BEFORE = frozenset({"not", "no", "never", "without", "nor", "hate", "dislike",
                              "avoid", "except", "besides", "instead"})
_REFUSING_AFTER = frozenset({"too", "overpowering", "overwhelming"})


def _refused_strength(words: Sequence[str], name: Sequence[int]) -> bool:
    before = words[max(0, name[0] - 3):name[0]]
    after = words[name[-1] + 1:name[-1] + 4]
    return bool(_REFUSING_BEFORE.intersection(before)) or ("but" in before and (
        "anything" in before or "everything" in before)) or bool(
        _REFUSING_AFTER.intersection(after))


_CONCENTRATION_WORDS = {tuple(name.split()): slug for name, slug in MOOD_NAMES.items()}
_MAX_CONCENTRATION_WORDS = max(map(len, _CONCENTRATION_WORDS))
_ARTICLES = frozenset({"a", "an", "the"})
_HYPHEN = frozenset({"-"})


def _concentration_at(words: Sequence[str], taken: set[int]
                      ) -> tuple[list[int], str, list[int]] | None:
    """The first concentration the mood names (`MOOD_NAMES`; a hyphen between its words
    skipped: "eau-de-parfum") outside `taken`, as (its tokens with the words of strength
    and the article before it: "a light body mist", its slug, the name's own tokens)."""
    for i in range(len(words)):
        best = longest_phrase_at(words, i, _CONCENTRATION_WORDS, _MAX_CONCENTRATION_WORDS,
                                 _HYPHEN, stop=taken)
        if best is not None and _refused_strength(words, best[0]):
            continue  # "not an extrait", "anything but a parfum", "edp is too strong"
        if best is not None:
            name, slug = best
            start = name[0]  # with the words of strength and the article before it
            while start > 0 and start - 1 not in taken and (
                    words[start - 1] in INTENSITY_WORDS or words[start - 1] == "very"):
                start -= 1
            if start > 0 and start - 1 not in taken and words[start - 1] in _ARTICLES:
                start -= 1
            return list(range(start, name[-1] + 1)), slug, name
    return None


def english_words(mood: str) -> str | None:
    """The English words of a mood in a script the search side's lexicons read (Japanese,
    Chinese, Russian, Arabic), a negation marker written after its note as "free" ("バニラ
    なし": "vanilla free"); None for a Latin or Korean mood, read as written."""
    found = translation_of(mood)
    if found is None or found[0] == "ko":
        return None
    words = found[1].words
    return " ".join("free" if word == "<not" else word for word in words
                    if word == "<not" or not word.startswith("<"))


def _named(words: Sequence[str], taken: set[int]) -> list[list[int]]:
    """The runs of tokens outside the exclusions that name a note, left to right, each the
    longest from where it starts."""
    runs: list[list[int]] = []
    i = 0
    while i < len(words):
        run = [] if i in taken else _note_run(words, i, 1)
        if run and not taken.intersection(run) \
                and " ".join(words[k] for k in run) not in NOT_NOTES_IN_A_MOOD:
            runs.append(run)
            i = run[-1] + 1
        else:
            i += 1
    return runs


def _negation_at(words: Sequence[str], i: int) -> tuple[list[int], list[list[int]]] | None:
    """(the token indices a negation at `i` spans, its note tokens), or None when no
    negation of a known note begins (forward) or ends (backward) at `i`."""
    for size in range(min(MAX_MARKER_WORDS, len(words) - i), 0, -1):
        marker = tuple(words[i:i + size])
        if marker in BACKWARD_MARKERS:
            return _backward(words, i, size)
        if marker in FORWARD_MARKERS:
            return _forward(words, i, size)
    if _is_korean_marker(words[i]):
        return _backward(words, i, 1)
    return None


def _softened_at(words: Sequence[str], i: int) -> list[int]:
    """The tokens of a softened refusal at `i`, to the end of its clause ("not too sweet or
    powdery", "hates anything too smoky", "less smoky"): a preference, neither excluded
    nor asked for (they were held as requested notes: orris butter for "too powdery")."""
    j = i
    if words[i] == "less":
        j = i + 1
    else:
        size = next((n for n in range(min(MAX_MARKER_WORDS, len(words) - i), 0, -1)
                     if tuple(words[i:i + n]) in FORWARD_MARKERS), 0)
        if not size:
            return []
        j = i + size
        while j < len(words) and words[j] in FILLERS:
            j += 1
        if j >= len(words) or words[j] not in SOFTENERS:
            return []
        while j < len(words) and words[j] in SOFTENERS | FILLERS:
            j += 1
    end = next((k for k in range(j, len(words)) if words[k] in CLAUSE_ENDS), len(words))
    return list(range(j, end))


def _forward(
    words: Sequence[str], marker: int, size: int
) -> tuple[list[int], list[list[int]]] | None:
    j = marker + size
    while j < len(words) and words[j] in FILLERS | SOFTENERS:
        if words[j] in SOFTENERS:
            return None  # "not too sweet": a preference, not an exclusion
        j += 1
    notes = _chain(words, j, 1)
    if not notes:
        return None
    end = notes[-1][-1] + 1
    end += next((len(c) for c in COURTESIES if tuple(words[end:end + len(c)]) == c), 0)
    return list(range(marker, end)), notes


def _backward(words: Sequence[str], marker: int,
              size: int) -> tuple[list[int], list[list[int]]] | None:
    j = marker - 1
    if j >= 0 and words[j] == "-":
        j -= 1
    notes = _chain(words, j, -1)
    if not notes:
        return None
    return list(range(notes[-1][0], marker + size)), notes[::-1]


def _chain(words: Sequence[str], first: int, step: int) -> list[list[int]]:
    """The notes of a list from `first` in direction `step` ("oud, incense or leather"),
    each as its token indices: notes joined by list words, and by commas only where a list
    word joins the list too."""
    notes: list[list[int]] = []
    separators: list[str] = []
    j = first
    while run := _note_run(words, j, step):
        notes.append(run)
        k = (run[-1] if step > 0 else run[0]) + step
        if not (0 <= k < len(words) and (words[k] in LIST_WORDS or words[k] == ",")):
            break
        if words[k] == "," and step > 0 and any(s in LIST_WORDS for s in separators):
            break  # "no vetiver or patchouli, earthy": the list ended at its "or"
        separators.append(words[k])
        k += step
        while 0 <= k < len(words) and words[k] in FILLERS:
            k += step
        j = k
    if "," in separators and not any(s in LIST_WORDS for s in separators):
        notes = notes[: separators.index(",") + 1]
    return notes


def _note_run(words: Sequence[str], j: int, step: int) -> list[int]:
    """The longest run of up to ``MAX_NOTE_WORDS`` tokens from `j` in direction `step` that
    names a known note, as indices in text order; [] when none does."""
    for size in range(MAX_NOTE_WORDS, 0, -1):
        span = sorted(range(j, j + step * size, step))
        if span[0] < 0 or span[-1] >= len(words) or not _wordlike(words, span):
            continue
        if is_note(" ".join(words[k] for k in span)):
            return span
    return []


def _wordlike(words: Sequence[str], span: Sequence[int]) -> bool:
    """Every token a word, and only a hyphen between words ("ylang-ylang")."""
    inner = [words[k] for k in span]
    return inner[0].isalnum() and inner[-1].isalnum() and all(
        w.isalnum() or w == "-" for w in inner) and not any(
        w in LIST_WORDS or w in _MARKER_WORDS for w in inner)


def _is_korean_marker(word: str) -> bool:
    return contains_hangul(word) and translate(word, korean_lexicon()).words == ("<not",)


def _note_text(tokens: Sequence[_Token], run: Sequence[int]) -> str:
    text = " ".join(tokens[k].text for k in run).replace(" - ", "-")
    return english_form(text) if contains_hangul(text) else text


def _phrase(mood: str, tokens: Sequence[_Token], removed: Sequence[int]) -> str:
    return mood[tokens[min(removed)].start:tokens[max(removed)].end]


def _tidy(kept: Sequence[_Token]) -> str:
    """The kept tokens as text: no separator twice in a row, none dangling at the ends."""
    texts: list[str] = []
    for token in kept:
        if texts and token.text in SEPARATORS and texts[-1] in SEPARATORS:
            continue
        texts.append(token.text)
    while texts and texts[0] in DANGLING:
        texts.pop(0)
    while texts and texts[-1] in DANGLING:
        texts.pop()
    text = " ".join(texts)
    return re.sub(r"\s+([,;.!?])", r"\1", text).replace(" - ", "-")
