"""The built-in `embedding-pairs` dataset: attribute queries paired with perfume texts.

Queries are written from each perfume's catalogue attributes with templates of our own
that deliberately differ from the evaluation queries' phrasing (`tests/eval/queries.jsonl`:
"fresh and romantic spring perfume", "perfume with iris and leather", ...): fine-tuning on
the test set's own templates would leak it into the training data. No named-perfume queries
are written (the held-out set has one). As a last guard every generated query whose content
words overlap a held-out query's too much (Jaccard >= `MAX_OVERLAP`) is dropped.
The positive text is exactly what the search index embeds (`ml.documents.perfume_text`).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence

from ml.documents import perfume_text
from ml.evaluation import LabelledQuery, load_queries
from ml.knowledge import Catalog, Perfume
from ml.tokens import content_tokens, singular
from ml.training.examples import Dataset, Example
from ml.vocabulary import FAMILY_WORDS

NAME = "embedding-pairs"
MAX_OVERLAP = 0.6
GENDER_PHRASES = {"feminine": "a women's", "masculine": "a men's", "unisex": "a shared"}

Template = Callable[[Perfume, random.Random], str | None]


def _pick(values: Sequence[str], rng: random.Random, count: int) -> list[str]:
    return rng.sample(list(values), min(count, len(values)))


def _opens_and_dries(p: Perfume, rng: random.Random) -> str | None:
    if not (p.top_notes and p.base_notes):
        return None
    return f"something that opens on {rng.choice(p.top_notes)} and dries down to " \
           f"{rng.choice(p.base_notes)}"


def _which_feature(p: Perfume, rng: random.Random) -> str | None:
    notes = _pick(p.notes, rng, 3)
    if len(notes) < 2:
        return None
    return f"which ones feature {', '.join(notes[:-1])} alongside {notes[-1]}?"


def _recommend_mood(p: Perfume, rng: random.Random) -> str | None:
    if not (p.mood and p.notes):
        return None
    return f"recommend me something {rng.choice(p.mood)} whose pyramid includes " \
           f"{rng.choice(p.notes)}"


def _composition(p: Perfume, rng: random.Random) -> str | None:
    family = FAMILY_WORDS.get(p.family, p.family).split()[0]
    season = f", suited to {rng.choice(p.season)} days" if p.season else ""
    mood = f"mostly {rng.choice(p.mood)}" if p.mood else "balanced"
    article = "an" if family[0] in "aeiou" else "a"
    return f"{article} {family} composition, {mood}{season}"


def _gendered_heart(p: Perfume, rng: random.Random) -> str | None:
    if not p.heart_notes:
        return None
    return f"{GENDER_PHRASES.get(p.gender, 'a')} pick with a {rng.choice(p.heart_notes)} heart"


TEMPLATES: tuple[Template, ...] = (_opens_and_dries, _which_feature, _recommend_mood,
                                   _composition, _gendered_heart)


def _words(text: str) -> frozenset[str]:
    return frozenset(singular(token) for token in content_tokens(text))


def overlaps(query: str, heldout: Iterable[frozenset[str]], limit: float = MAX_OVERLAP) -> bool:
    """Whether `query`'s content words overlap one held-out query's by Jaccard >= `limit`."""
    words = _words(query)
    return any(len(words & other) / len(words | other) >= limit
               for other in heldout if words | other)


def heldout_words(queries: Sequence[LabelledQuery] | None = None) -> list[frozenset[str]]:
    """Content-word sets of the held-out English evaluation queries."""
    queries = load_queries() if queries is None else queries
    return [_words(q.query) for q in queries if q.split == "heldout" and q.lang == "en"]


def embedding_pairs(catalog: Catalog | None = None, *, per_perfume: int = 3, seed: int = 0,
                    heldout: Sequence[LabelledQuery] | None = None) -> Dataset:
    """`per_perfume` queries (distinct templates) for every perfume; deterministic per seed."""
    catalog = catalog or Catalog.load()
    guard = heldout_words(heldout)
    rng = random.Random(seed)
    examples = []
    for perfume in catalog.perfumes:
        positive = perfume_text(perfume)
        for template in rng.sample(TEMPLATES, min(per_perfume, len(TEMPLATES))):
            query = template(perfume, rng)
            if query and not overlaps(query, guard):
                examples.append(Example(query, positive))
    rng.shuffle(examples)
    return Dataset(NAME, "embedding", tuple(examples))
