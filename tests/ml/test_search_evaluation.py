from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from ml.eval_report import (
    bootstrap_interval,
    format_report,
    split_lines,
    summary_rows,
    target_failures,
)
from ml.evaluation import (
    LabelledQuery,
    evaluate,
    grade,
    load_queries,
    ndcg_at,
    precision_at,
    score_query,
)
from ml.judging import judge
from ml.knowledge import Catalog

pytestmark = pytest.mark.unit


def test_the_query_set_covers_every_category_in_both_languages() -> None:
    queries = load_queries()
    assert len({q.id for q in queries}) == len(queries)
    count = Counter((q.category, q.lang) for q in queries)
    assert count[("exclusion", "en")] >= 20 and count[("exclusion", "ko")] >= 20
    assert count[("multi", "en")] >= 15 and count[("multi", "ko")] >= 15
    assert count[("like", "en")] >= 15 and count[("like", "ko")] >= 15
    heldout = sum(q.split == "heldout" for q in queries) / len(queries)
    assert 0.2 <= heldout <= 0.3
    assert "상큼하고 로맨틱한 봄 향수" in {q.query for q in queries}
    assert all(q.relevant for q in queries)


def test_multi_constraint_queries_state_at_least_three(catalog: Catalog) -> None:
    for query in load_queries():
        if query.category == "multi":
            facets = [k for k in query.relevant if k not in ("notes_all", "mood_all", "either")]
            listed = sum(len(query.relevant.get(k, [])) for k in ("notes_all", "mood_all",
                                                                 "either"))
            assert len(facets) + listed >= 3, query.id


def test_stored_like_judgements_follow_the_rule_on_the_shipped_catalogue() -> None:
    shipped = Catalog.load()
    for query in load_queries():
        if "like" in query.relevant:
            assert query.relevant["judged"] == judge(shipped, query.relevant["like"]), query.id


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


def test_exclusions_either_groups_and_judged_pairs(catalog: Catalog) -> None:
    excluding = {"notes_any": ["rose"], "notes_none": ["oud"]}
    assert grade(catalog.perfume("rose-noir"), excluding) == 0  # rose, but oud
    assert grade(catalog.perfume("spring-peony-veil"), excluding) == 3
    gourmand = {"either": [[{"family": ["soft_amber"]}, {"subfamily": ["gourmand"]}]]}
    assert grade(catalog.perfume("vanilla-cloud"), gourmand) == 3
    like = {"like": "winter-amber-night", "judged": {"tobacco-honey": 2},
            "gender": ["masculine"]}
    assert grade(catalog.perfume("tobacco-honey"), like) == 2
    assert grade(catalog.perfume("winter-amber-night-intense"), like) == 0


def test_metrics() -> None:
    assert precision_at(["a", "c", "b", "x", "y"], {"a", "b"}) == pytest.approx(1.0)
    assert precision_at(["a", "c", "x", "y", "z", "b"], {"a", "b", "c", "d", "e", "f"}) == (
        pytest.approx(0.4))
    assert precision_at(["a"], set()) == 0.0
    grades = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    assert 0 < ndcg_at(["c", "b", "a"], grades) < 1
    assert ndcg_at(["a"], {}) == 0.0


def test_unverified_perfumes_are_no_ground_truth(catalog: Catalog) -> None:
    query = LabelledQuery("q", "rose", "en", "dev", {"notes_any": ["rose"],
                                                     "notes_none": ["oud"]}, "exclusion")
    verified = {"spring-citrus-romance", "spring-peony-veil", "oakmoss-chypre"}
    ranked = ["rose-noir", "ocean-drive", "spring-peony-veil", "oakmoss-chypre"]
    row = score_query(query, ranked, catalog, verified)
    # condensed: [spring-peony-veil, oakmoss-chypre] of 3 relevant verified ones
    assert row["judged"] == 3 and row["precision@5"] == pytest.approx(2 / 3)
    assert row["excluded_in_top10"] == 1 and row["excluded_rate"] == pytest.approx(1 / 4)


def test_evaluate_reports_by_language(catalog: Catalog, fake_pipeline: Any) -> None:
    queries = [LabelledQuery("1", "rose perfume for women", "en", "dev",
                             {"notes_any": ["rose"], "gender": ["feminine"]}),
               LabelledQuery("2", "여성을 위한 장미 향수", "ko", "heldout",
                             {"notes_any": ["rose"], "gender": ["feminine"]})]
    report = evaluate(fake_pipeline, queries)
    assert report.summary()["n"] == 2 and report.summary("ko")["n"] == 1
    assert report.summary("en")["ndcg@10"] > 0.5
    assert report.summary("ko")["precision@5"] == report.summary("en")["precision@5"] == 1.0


def test_the_report_prints_every_cell_and_checks_the_targets() -> None:
    row = {"id": "x1-en", "lang": "en", "split": "dev", "category": "exclusion", "judged": 4,
           "precision@5": 0.75, "ndcg@10": 0.8, "excluded_rate": 0.1,
           "excluded_in_top10": 1, "catalogue_meeting": 12}
    rows = [row, {**row, "id": "x1-ko", "lang": "ko", "precision@5": 1.0,
                  "excluded_in_top10": 0}]
    text = format_report({"hybrid": rows})
    assert "hybrid  exclusion    en      1      0.750" in text
    # `eval --json` carries the same table as rows (it had per-query rows only)
    summary = {(r["category"], r["lang"]): r for r in summary_rows({"hybrid": rows})}
    assert summary["exclusion", "en"]["p5"] == 0.75 and summary["all", "all"]["n"] == 2
    assert target_failures(rows) == ["strict P@5 0.750 < 0.95 in exclusion/en",
                                     "x1-en: 1 hits with an excluded note in the top 10"]
    low, high = bootstrap_interval([0.0, 1.0, 1.0, 1.0])
    assert 0.0 <= low < 0.75 < high <= 1.0
    held = split_lines([*rows, {**row, "id": "x2-en", "split": "heldout", "precision@5": 0.5}])
    assert held[0].startswith("hybrid  dev     split: n   2  strict P@5 0.875")
    assert held[1].startswith("hybrid  heldout split: n   1  strict P@5 0.500")
