from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ml.evaluation import evaluate, grade, load_queries, ndcg_at, precision_at
from ml.knowledge import Catalog

pytestmark = pytest.mark.unit


def test_the_query_set_is_balanced_and_labelled() -> None:
    queries = load_queries()
    assert len(queries) >= 70
    assert len({q.id for q in queries}) == len(queries)
    langs = Counter(q.lang for q in queries)
    assert abs(langs["en"] - langs["ko"]) <= 4
    heldout = sum(q.split == "heldout" for q in queries) / len(queries)
    assert 0.2 <= heldout <= 0.3
    assert "상큼하고 로맨틱한 봄 향수" in {q.query for q in queries}
    assert all(q.relevant for q in queries)


def test_grades_follow_the_documented_rule(catalog: Catalog) -> None:
    labels = {"season": ["spring"], "notes_any": ["rose"], "gender": ["feminine"]}
    assert grade(catalog.perfume("spring-citrus-romance"), labels) == 3
    assert grade(catalog.perfume("oakmoss-chypre"), labels) == 2  # rose, feminine
    assert grade(catalog.perfume("green-tea-garden"), labels) == 1  # spring
    assert grade(catalog.perfume("tobacco-honey"), labels) == 0
    both = {"notes_all": [["iris", "orris"], "leather"]}
    assert grade(catalog.perfume("iris-leather-study"), both) == 3
    named = {"brand": "zeta", "name_contains": ["chapel"]}
    assert grade(catalog.perfume("incense-chapel"), named) == 3
    assert grade(catalog.perfume("peach-sorbet"), named) == 0


def test_metrics() -> None:
    grades = {"a": 3, "b": 2, "c": 1}
    assert precision_at(["a", "c", "b", "x", "y"], grades) == pytest.approx(0.4)
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert 0 < ndcg_at(["c", "b", "a"], grades) < 1
    assert ndcg_at(["a"], {}) == 0.0


def test_evaluate_reports_by_language(catalog: Catalog, fake_pipeline: Any) -> None:
    from ml.evaluation import LabelledQuery

    queries = [LabelledQuery("1", "rose perfume for women", "en", "dev",
                             {"notes_any": ["rose"], "gender": ["feminine"]}),
               LabelledQuery("2", "여성을 위한 장미 향수", "ko", "heldout",
                             {"notes_any": ["rose"], "gender": ["feminine"]})]
    report = evaluate(fake_pipeline, queries)
    assert report.summary()["n"] == 2 and report.summary("ko")["n"] == 1
    assert report.summary("en")["ndcg@10"] > 0.5
    assert report.summary("ko")["precision@5"] == report.summary("en")["precision@5"]
