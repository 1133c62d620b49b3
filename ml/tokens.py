"""English word tokens for lexical matching, facet extraction and name matching.

Tokens are lower case; hyphens and apostrophes inside a word are kept (`ylang-ylang`,
`men's`), so catalogue note names tokenize the same way in documents and in queries.
`name_tokens` is the looser form used to match perfume and brand names: accents folded,
every run of letters or digits one token, and `N°5` / `No. 5` / `Number 5` all `no5`.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-z\u00c0-\u024f]+(?:['\u2019-][0-9a-z\u00c0-\u024f]+)*")
_NAME_WORD = re.compile(r"[0-9a-z]+")
# "N°5", "No. 5", "Number 5", "n5": the number of a name, one token ("no5")
NUMBERED = re.compile(r"\b(?:n\s*[°º]|no\.?|nº|number|n(?=\d))\s*(\d+)")

STOPWORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "i", "in",
    "is", "it", "its", "like", "me", "my", "of", "on", "or", "that", "the", "this", "to", "with",
    "without", "something", "some", "want", "looking", "need", "please", "find", "show", "give",
    "any", "very", "smell", "smells", "smelling", "scent", "scents", "fragrance", "fragrances",
    "perfume", "perfumes", "note", "notes",
])


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of `text`, in order (stopwords kept)."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def content_tokens(text: str) -> list[str]:
    """`tokenize` without stopwords: the tokens that carry meaning for matching."""
    return [token for token in tokenize(text) if token not in STOPWORDS]


def singular(token: str) -> str:
    """A cheap singular form for matching plurals (roses -> rose, berries -> berry)."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def singular_forms(form: str) -> tuple[str, ...]:
    """A text and the singulars its last word may have, the likeliest first ("roses": rose,
    "peonies": peony, "lilies": lily, "irises": iris, "peaches": peach): the caller keeps
    the one its vocabulary knows."""
    if not form.endswith("s") or len(form) <= 3:
        return (form,)
    return tuple(dict.fromkeys((form, singular(form), form[:-1],
                                *((form[:-2],) if form.endswith("es") else ()))))


# Latin letters no decomposition splits into a letter and an accent ("süß" lost its "ß")
LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th",
                           "ð": "d", "ı": "i"})


def fold(text: str) -> str:
    """Lower case without accents (`Fougère` -> `fougere`, `Hermès` -> `hermes`, `süß` ->
    `suss`, `Œillet` -> `oeillet`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def name_tokens(text: str) -> list[str]:
    """Tokens for name matching: folded, split at every non-alphanumeric, numbers joined."""
    folded = NUMBERED.sub(r"no\1", fold(text).replace("\u2019", "'"))
    return _NAME_WORD.findall(folded)
