"""Search quality on the labelled query set: the labels, the grades and the metrics.

Each query of `tests/eval/queries.jsonl` has a `category` (descriptive, named, exclusion,
multi, like), a language and `relevant`: the constraints the query states, written as
catalogue facts, so labels survive catalogue growth. A facet is met when:
- `family`, `subfamily`, `season`, `gender`, `concentration`: the perfume's value is listed;
- `notes_any`, `mood_any`: the perfume has one of them; `notes_all` / `mood_all`: each entry
  (a note, or a list of alternatives) is a facet of its own;
- `either`: a list of groups, each a list of alternative facet sets (one set met in full
  meets the group), e.g. "gourmand" = sub-family gourmand or amber_vanilla;
- `notes_none`: the perfume has none of these notes (an exclusion);
- `brand` + `name_contains`: a named perfume (every edition whose name contains it);
- `like` + `judged`: "smells like X"; `judged` keeps the grade of every judged pair (see
  `ml.judging` for the rule), pairs not listed grade 0.
Grade 3 = every facet met, 2 = two or more, 1 = one, 0 = none or an exclusion broken; for
"like" queries the judged grade, facets (if any) also required for grade >= 2.
A hit is *strictly relevant* when it meets every constraint: grade 3, or judged >= 2.

Only verified catalogue rows are ground truth: unverified rows are removed from a ranking
before it is scored (a condensed list), and relevance counts only verified perfumes.
Metrics per query: strict P@5 = strictly relevant hits among the first five / min(5, R),
R being the verified perfumes strictly relevant to the query (a query with R = 0 cannot be
scored and is left out); nDCG@10 with gain 2^grade - 1 against the ideal ranking of the
verified catalogue; and, over the raw top 10, the share of hits carrying an excluded note.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.knowledge import Catalog, Perfume
from ml.search_protocol import SearchRequest

QUERIES_FILE = Path(__file__).resolve().parent.parent / "tests" / "eval" / "queries.jsonl"
CATEGORIES = ("descriptive", "named", "exclusion", "multi", "like")
EVAL_DEPTH = 100  # hits asked per query, so that enough verified ones remain


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    query: str
    lang: str
    split: str
    relevant: Mapping[str, Any]
    category: str = "descriptive"


def load_queries(path: str | Path | None = None) -> list[LabelledQuery]:
    rows = [json.loads(line) for line in Path(path or QUERIES_FILE).read_text("utf-8").splitlines()
            if line.strip()]
    return [LabelledQuery(r["id"], r["query"], r["lang"], r.get("split", "dev"), r["relevant"],
                          r.get("category", "descriptive")) for r in rows]


def _listed(values: str | Sequence[str]) -> set[str]:
    return {values} if isinstance(values, str) else set(values)


def _met(perfume: Perfume, key: str, value: Any) -> bool:
    notes, moods = set(perfume.notes), set(perfume.mood)
    checks = {"family": lambda: perfume.family in value,
              "subfamily": lambda: perfume.subfamily in value,
              "season": lambda: bool(set(value) & set(perfume.season)),
              "gender": lambda: perfume.gender in value,
              "concentration": lambda: perfume.concentration in value,
              "notes_any": lambda: bool(set(value) & notes),
              "mood_any": lambda: bool(set(value) & moods),
              "notes_none": lambda: not set(value) & notes}
    return checks[key]()


def _facets(perfume: Perfume, relevant: Mapping[str, Any]) -> list[bool]:
    found = [_met(perfume, key, value) for key, value in relevant.items()
             if key in ("family", "subfamily", "season", "gender", "concentration", "notes_any",
                        "mood_any", "notes_none")]
    found += [bool(_listed(entry) & set(perfume.notes)) for entry in relevant.get("notes_all", [])]
    found += [bool(_listed(entry) & set(perfume.mood)) for entry in relevant.get("mood_all", [])]
    for group in relevant.get("either", []):
        found.append(any(all(_facets(perfume, option)) for option in group))
    return found


def excluded_notes(relevant: Mapping[str, Any]) -> set[str]:
    return set(relevant.get("notes_none", []))


def grade(perfume: Perfume, relevant: Mapping[str, Any]) -> int:
    """0..3 relevance of `perfume` for a query labelled `relevant` (see the module doc)."""
    if "name_contains" in relevant:
        named = any(part in perfume.name.lower() for part in relevant["name_contains"])
        brand = relevant.get("brand", perfume.brand.lower())
        return 3 if named and perfume.brand.lower() == brand else 0
    if excluded_notes(relevant) & set(perfume.notes):
        return 0
    found = _facets(perfume, relevant)
    if "like" in relevant:
        judged = int(relevant.get("judged", {}).get(perfume.id, 0))
        return judged if all(found) else min(judged, 1)
    if found and all(found):
        return 3
    return min(sum(found), 2)


def strictly_relevant(value: int, relevant: Mapping[str, Any]) -> bool:
    return value >= 2 if "like" in relevant else value == 3


def precision_at(ranked: Sequence[str], relevant: set[str], k: int = 5) -> float:
    """Strictly relevant hits in the first `k`, over min(k, |relevant|) (0 if none)."""
    if not relevant:
        return 0.0
    return sum(i in relevant for i in ranked[:k]) / min(k, len(relevant))


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    def dcg(values: Iterable[int]) -> float:
        return sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(values))

    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg(grades.get(i, 0) for i in ranked[:k]) / ideal if ideal else 0.0


def score_query(query: LabelledQuery, ranked: Sequence[str], catalog: Catalog,
                verified: set[str]) -> dict[str, Any]:
    """One row of the report: metrics of `ranked` (hit ids, best first) for `query`."""
    grades = {p.id: g for p in catalog.perfumes if p.id in verified
              and (g := grade(p, query.relevant))}
    relevant = {i for i, g in grades.items() if strictly_relevant(g, query.relevant)}
    condensed = [i for i in ranked if i in verified]
    banned = excluded_notes(query.relevant)
    top = [catalog.perfume(i) for i in ranked[:10]]
    carrying = sum(bool(banned & set(p.notes)) for p in top)
    meeting = sum(strictly_relevant(grade(p, query.relevant), query.relevant)
                  for p in catalog.perfumes)
    return {"id": query.id, "lang": query.lang, "split": query.split,
            "category": query.category, "judged": len(relevant),
            "precision@5": precision_at(condensed, relevant) if relevant else None,
            "ndcg@10": ndcg_at(condensed, grades) if relevant else None,
            "excluded_rate": carrying / len(top) if banned and top else None,
            "excluded_in_top10": carrying, "catalogue_meeting": meeting}


def evaluate_rows(pipeline: Any, queries: Sequence[LabelledQuery], search_type: str,
                  catalog: Catalog, verified: set[str]) -> list[dict[str, Any]]:
    """Run every query (one `search_many` batch) and score it."""
    results = pipeline.search_many([SearchRequest(q.query, top_k=EVAL_DEPTH,
                                                  search_type=search_type) for q in queries])
    return [score_query(query, [hit.id for hit in result.hits], catalog, verified)
            for query, result in zip(queries, results, strict=True)]


def ground_truth(catalog: Catalog) -> set[str]:
    """The verified perfumes; a catalogue that marks none (a test fixture) counts all."""
    verified = {p.id for p in catalog.perfumes if p.verified}
    return verified or {p.id for p in catalog.perfumes}


@dataclass
class EvalReport:
    search_type: str
    rows: list[dict[str, Any]]

    def summary(self, group: str = "all") -> dict[str, float]:
        """`n` scored queries in `group` (all, a language, a split or a category) and their
        mean strict P@5 and nDCG@10."""
        rows = [r for r in self.rows if r["precision@5"] is not None
                and group in ("all", r["lang"], r["split"], r["category"])]
        n = len(rows) or 1
        return {"n": len(rows), "precision@5": sum(r["precision@5"] for r in rows) / n,
                "ndcg@10": sum(r["ndcg@10"] for r in rows) / n}


def evaluate(pipeline: Any, queries: Sequence[LabelledQuery], search_type: str = "hybrid",
             catalog: Catalog | None = None) -> EvalReport:
    """Score every query against the catalogue's ground truth (see `ground_truth`)."""
    catalog = catalog or pipeline.catalog
    return EvalReport(search_type, evaluate_rows(pipeline, queries, search_type, catalog,
                                                 ground_truth(catalog)))
