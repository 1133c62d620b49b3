"""BM25 over the catalogue's terms: each document's score is the textbook Okapi formula
(k1 = 1.2, b = 0.75, the `1 + ...` idf that never goes negative), summed over the query's
distinct terms; documents sharing no term are left out."""

from __future__ import annotations

import math

import pytest

from ml.lexical import Bm25

pytestmark = pytest.mark.unit

DOCS = {"rose": ["rose", "rose", "musk", "perfume"], "oud": ["oud", "amber", "perfume"],
        "fresh": ["bergamot", "neroli", "perfume", "cologne", "fresh"]}


def _textbook(doc: str, term: str) -> float:
    lengths = {name: len(terms) for name, terms in DOCS.items()}
    average = sum(lengths.values()) / len(lengths)
    holding = sum(term in terms for terms in DOCS.values())
    idf = math.log(1 + (len(DOCS) - holding + 0.5) / (holding + 0.5))
    frequency = DOCS[doc].count(term)
    norm = 1 - 0.75 + 0.75 * lengths[doc] / average
    return idf * frequency * 2.2 / (frequency + 1.2 * norm)


def test_scores_are_the_okapi_formula_summed_over_distinct_terms() -> None:
    scores = Bm25(DOCS).scores(["rose", "perfume", "rose", "vanilla"])
    assert set(scores) == {"rose", "oud", "fresh"}  # "perfume" is in all three
    assert scores["rose"] == pytest.approx(_textbook("rose", "rose")
                                           + _textbook("rose", "perfume"))
    assert scores["oud"] == pytest.approx(_textbook("oud", "perfume"))
    assert scores["rose"] > scores["fresh"]  # the shorter record, and the rarer word


def test_a_query_sharing_no_term_scores_nothing() -> None:
    assert Bm25(DOCS).scores(["leather", "smoke"]) == {}
    assert Bm25({}).scores(["rose"]) == {}
