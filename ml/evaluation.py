"""Search quality on the labelled query set: precision@5 and nDCG@10 (overall, en, ko).

Queries (`tests/eval/queries.jsonl`) are labelled by attributes, and graded relevance is
derived over the whole catalogue, so labels survive catalogue growth:
- facets: `family` (perfume family in the list), `season` (any listed), `gender` (in the
  list), `notes_any` (any listed note), `mood_any` (any listed mood), and `notes_all`,
  whose every entry (a note or a list of alternatives) counts as one facet of its own;
- grade 3 = every labelled facet matches, 2 = at least two match, 1 = one matches, 0 = none;
- named-perfume queries (`brand` + `name_contains`) grade the named perfumes 3, others 0.
precision@5 counts hits of grade >= 2; nDCG@10 uses gain 2^grade - 1 against the ideal
ranking of the catalogue. `"split": "heldout"` queries are kept for fine-tuning work.

Run `python -m ml.evaluation` (exact in-memory index unless `--index-path`/`--qdrant-url`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.knowledge import Catalog, Perfume
from ml.search_protocol import SearchRequest

QUERIES_FILE = Path(__file__).resolve().parent.parent / "tests" / "eval" / "queries.jsonl"
SEARCH_TYPES = ("hybrid", "similarity", "keyword")


@dataclass(frozen=True)
class LabelledQuery:
    id: str
    query: str
    lang: str
    split: str
    relevant: Mapping[str, Any]


def load_queries(path: str | Path | None = None) -> list[LabelledQuery]:
    rows = [json.loads(line) for line in Path(path or QUERIES_FILE).read_text("utf-8").splitlines()
            if line.strip()]
    return [LabelledQuery(r["id"], r["query"], r["lang"], r.get("split", "dev"), r["relevant"])
            for r in rows]


def _facets(perfume: Perfume, relevant: Mapping[str, Any]) -> list[bool]:
    notes = set(perfume.notes)
    checks = {"family": lambda v: perfume.family in v,
              "season": lambda v: bool(set(v) & set(perfume.season)),
              "gender": lambda v: perfume.gender in v,
              "notes_any": lambda v: bool(set(v) & notes),
              "mood_any": lambda v: bool(set(v) & set(perfume.mood))}
    found = [check(relevant[key]) for key, check in checks.items() if key in relevant]
    for wanted in relevant.get("notes_all", []):
        found.append(bool(notes & set([wanted] if isinstance(wanted, str) else wanted)))
    return found


def grade(perfume: Perfume, relevant: Mapping[str, Any]) -> int:
    """0..3 relevance of `perfume` for a query labelled `relevant` (see module doc)."""
    if "name_contains" in relevant:
        named = any(part in perfume.name.lower() for part in relevant["name_contains"])
        brand = relevant.get("brand", perfume.brand.lower())
        return 3 if named and perfume.brand.lower() == brand else 0
    found = _facets(perfume, relevant)
    matches = sum(found)
    if found and matches == len(found):
        return 3
    return min(matches, 2)


def precision_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 5) -> float:
    return sum(grades.get(i, 0) >= 2 for i in ranked[:k]) / k


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    def dcg(values: Iterable[int]) -> float:
        return sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(values))

    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg(grades.get(i, 0) for i in ranked[:k]) / ideal if ideal else 0.0


@dataclass
class EvalReport:
    search_type: str
    rows: list[dict[str, Any]] = field(default_factory=list)

    def summary(self, group: str = "all") -> dict[str, float]:
        rows = [r for r in self.rows if group in ("all", r["lang"], r["split"])]
        n = len(rows) or 1
        return {"n": len(rows), "precision@5": sum(r["precision@5"] for r in rows) / n,
                "ndcg@10": sum(r["ndcg@10"] for r in rows) / n}


def evaluate(pipeline: Any, queries: Sequence[LabelledQuery], search_type: str = "hybrid",
             catalog: Catalog | None = None) -> EvalReport:
    """Run every query (one `search_many` batch) and score it against its graded labels."""
    catalog = catalog or pipeline.catalog
    results = pipeline.search_many([SearchRequest(q.query, top_k=10, search_type=search_type)
                                    for q in queries])
    report = EvalReport(search_type)
    for query, result in zip(queries, results, strict=True):
        grades = {p.id: g for p in catalog.perfumes if (g := grade(p, query.relevant))}
        ranked = [hit.id for hit in result.hits]
        report.rows.append({"id": query.id, "lang": query.lang, "split": query.split,
                            "precision@5": precision_at(ranked, grades),
                            "ndcg@10": ndcg_at(ranked, grades)})
    return report


def format_reports(reports: Sequence[EvalReport]) -> str:
    lines = [f"{'search type':<12} {'group':<8} {'n':>3} {'P@5':>6} {'nDCG@10':>8}"]
    for report in reports:
        for group in ("all", "en", "ko", "dev", "heldout"):
            s = report.summary(group)
            lines.append(f"{report.search_type:<12} {group:<8} {s['n']:>3} "
                         f"{s['precision@5']:>6.3f} {s['ndcg@10']:>8.3f}")
    return "\n".join(lines)


def _pipeline(args: argparse.Namespace) -> Any:
    if args.index_path or args.qdrant_url:
        from ml.search import build_pipeline

        return build_pipeline(args.index_path, args.qdrant_url, args.model_path)
    from ml.embeddings import SentenceTransformerEncoder
    from ml.indexing import write_index
    from ml.search import SearchPipeline
    from ml.vector_index import InMemoryIndex

    catalog, encoder = Catalog.load(), SentenceTransformerEncoder(args.model_path)
    index = InMemoryIndex()
    write_index(index, encoder, catalog)
    return SearchPipeline(encoder, index, catalog)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.evaluation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(QUERIES_FILE))
    parser.add_argument("--index-path", help="evaluate this index folder (Qdrant Edge)")
    parser.add_argument("--qdrant-url", help="evaluate this Qdrant server")
    parser.add_argument("--model-path", help="embedding model folder (default: shipped)")
    parser.add_argument("--search-type", choices=SEARCH_TYPES, action="append")
    args = parser.parse_args(argv)
    queries = load_queries(args.queries)
    pipeline = _pipeline(args)
    try:
        reports = [evaluate(pipeline, queries, kind) for kind in args.search_type or SEARCH_TYPES]
    finally:
        pipeline.close()
    print(f"model {pipeline.model_version}; {len(pipeline.catalog.perfumes)} perfumes; "
          f"{len(queries)} queries")
    print(format_reports(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
