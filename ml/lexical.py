"""The lexical signal: Okapi BM25 over each record's terms, held in memory.

The catalogue is small (hundreds of records), so the inverted index is built in-process
when the pipeline is built; nothing is stored.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence


class Bm25:
    """BM25 with the usual k1 = 1.2, b = 0.75; `scores` returns only positive scores."""

    def __init__(self, documents: Mapping[str, Sequence[str]], k1: float = 1.2,
                 b: float = 0.75) -> None:
        self._k1, self._b = k1, b
        self._counts = {doc_id: Counter(terms) for doc_id, terms in documents.items()}
        self._lengths = {doc_id: len(terms) for doc_id, terms in documents.items()}
        self._average = sum(self._lengths.values()) / max(len(self._lengths), 1)
        postings: dict[str, list[str]] = {}
        for doc_id, counts in self._counts.items():
            for term in counts:
                postings.setdefault(term, []).append(doc_id)
        total = len(self._counts)
        self._idf = {term: math.log(1 + (total - len(ids) + 0.5) / (len(ids) + 0.5))
                     for term, ids in postings.items()}
        # each term's score in each document holding it, computed once here: a query then
        # only adds them up (a word most records hold, "perfume", is ~900 of them)
        self._weights = {term: [(doc_id, self._idf[term] * self._gain(doc_id, term))
                                for doc_id in ids] for term, ids in postings.items()}

    def _gain(self, doc_id: str, term: str) -> float:
        frequency = self._counts[doc_id][term]
        norm = 1 - self._b + self._b * self._lengths[doc_id] / (self._average or 1)
        return frequency * (self._k1 + 1) / (frequency + self._k1 * norm)

    def scores(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25 score of every document sharing at least one (distinct) term."""
        scores: dict[str, float] = {}
        for term in dict.fromkeys(terms):
            for doc_id, weight in self._weights.get(term, ()):
                scores[doc_id] = scores.get(doc_id, 0.0) + weight
        return scores
