"""`make eval`: the labelled queries through the full search and two baselines, reported
per category and language with 95 % bootstrap intervals, and checked against the targets.

Systems: `hybrid` (the pipeline as served: the query understood, hybrid relevance),
`bm25` (keyword relevance alone, the query read literally) and `vector` (the embedding's
cosine alone, the query read literally, Korean translated). Targets (issue 9): strict P@5
>= 0.95 in every category and language of the full search, and no excluded note in the
top 10 of any query whose constraints at least 10 catalogue perfumes meet.

Run `python -m ml.eval_report` (exact in-memory index unless `--index-path`/`--qdrant-url`).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections.abc import Sequence
from typing import Any

from ml.evaluation import (
    CATEGORIES,
    QUERIES_FILE,
    LabelledQuery,
    evaluate_rows,
    ground_truth,
    load_queries,
)
from ml.knowledge import Catalog

SYSTEMS = (("hybrid", "hybrid", True), ("bm25", "keyword", False),
           ("vector", "similarity", False))
TARGET_P5 = 0.95
RESAMPLES = 2000


def bootstrap_interval(values: Sequence[float], seed: int = 9) -> tuple[float, float]:
    """95 % percentile interval of the mean, resampling queries (fixed seed)."""
    if not values:
        return (0.0, 0.0)
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(values, k=len(values)))
                   for _ in range(RESAMPLES))
    return means[int(0.025 * RESAMPLES)], means[int(0.975 * RESAMPLES) - 1]


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    scored = [r for r in rows if r["precision@5"] is not None]
    precision = [r["precision@5"] for r in scored]
    excluded = [r["excluded_rate"] for r in rows if r["excluded_rate"] is not None]
    return {"queries": len(rows), "n": len(scored),
            "p5": statistics.fmean(precision) if precision else None,
            "ci": bootstrap_interval(precision),
            "ndcg": statistics.fmean(r["ndcg@10"] for r in scored) if scored else None,
            "excluded": statistics.fmean(excluded) if excluded else None}


def _cell(rows: Sequence[dict[str, Any]], category: str, lang: str) -> list[dict[str, Any]]:
    return [r for r in rows if category in ("all", r["category"]) and lang in ("all", r["lang"])]


def summary_rows(results: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The report's table as rows: system, category, language and their summary."""
    return [{"system": system, "category": category, "lang": lang, **s}
            for system, rows in results.items()
            for category in (*CATEGORIES, "all") for lang in ("en", "ko", "all")
            if (s := summarise(_cell(rows, category, lang)))["queries"]]


def format_report(results: dict[str, list[dict[str, Any]]]) -> str:
    lines = [f"{'system':<7} {'category':<12} {'lang':<4} {'n':>4} {'strict P@5':>10} "
             f"{'95% CI':>13} {'nDCG@10':>8} {'excl.':>6}"]
    for s in summary_rows(results):
        p5 = "-" if s["p5"] is None else f"{s['p5']:.3f}"
        ndcg = "-" if s["ndcg"] is None else f"{s['ndcg']:.3f}"
        excl = "-" if s["excluded"] is None else f"{s['excluded']:.3f}"
        ci = f"[{s['ci'][0]:.2f}, {s['ci'][1]:.2f}]" if s["n"] else "-"
        lines.append(f"{s['system']:<7} {s['category']:<12} {s['lang']:<4} {s['n']:>4} "
                     f"{p5:>10} {ci:>13} {ndcg:>8} {excl:>6}")
    return "\n".join(lines)


def split_lines(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The full search on the dev queries (used to choose weights) and on the held-out ones."""
    lines = []
    for split in ("dev", "heldout"):
        s = summarise([r for r in rows if r["split"] == split])
        if s["n"]:
            lines.append(f"hybrid  {split:<7} split: n {s['n']:>3}  strict P@5 {s['p5']:.3f} "
                         f"[{s['ci'][0]:.2f}, {s['ci'][1]:.2f}]  nDCG@10 {s['ndcg']:.3f}")
    return lines


def target_failures(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Why the full search misses the targets (empty: both targets met)."""
    failures = []
    for category in CATEGORIES:
        for lang in ("en", "ko"):
            s = summarise(_cell(rows, category, lang))
            if s["p5"] is not None and s["p5"] < TARGET_P5:
                failures.append(f"strict P@5 {s['p5']:.3f} < {TARGET_P5} in {category}/{lang}")
    failures += [f"{r['id']}: {r['excluded_in_top10']} hits with an excluded note in the top 10"
                 for r in rows if r["excluded_in_top10"] and r["catalogue_meeting"] >= 10]
    return failures


def _pipelines(args: argparse.Namespace, catalog: Catalog) -> tuple[Any, Any]:
    """The served pipeline and a literal one (same encoder and index) for the baselines."""
    from ml.query import QueryInterpreter
    from ml.search import SearchPipeline, build_pipeline

    if args.index_path or args.qdrant_url:
        full = build_pipeline(args.index_path, args.qdrant_url, args.model_path, catalog=catalog)
        encoder, index = full._encoder, full._index
    else:
        from ml.embeddings import SentenceTransformerEncoder
        from ml.exact_index import InMemoryIndex
        from ml.indexing import write_index

        encoder, index = SentenceTransformerEncoder(args.model_path), InMemoryIndex()
        write_index(index, encoder, catalog)
        full = SearchPipeline(encoder, index, catalog)
    literal = SearchPipeline(encoder, index, catalog, interpreter=QueryInterpreter.for_catalog(
        catalog, understand=False))
    return full, literal


def run(queries: Sequence[LabelledQuery], full: Any, literal: Any,
        catalog: Catalog) -> dict[str, list[dict[str, Any]]]:
    verified = ground_truth(catalog)
    return {name: evaluate_rows(full if understood else literal, queries, search_type,
                                catalog, verified)
            for name, search_type, understood in SYSTEMS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.eval_report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(QUERIES_FILE))
    parser.add_argument("--index-path", help="evaluate this index folder (Qdrant Edge)")
    parser.add_argument("--qdrant-url", help="evaluate this Qdrant server")
    parser.add_argument("--model-path", help="embedding model folder (default: shipped)")
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    args = parser.parse_args(argv)
    queries, catalog = load_queries(args.queries), Catalog.load()
    full, literal = _pipelines(args, catalog)
    try:
        results = run(queries, full, literal, catalog)
    finally:
        full.close()
    verified = sum(p.verified for p in catalog.perfumes)
    failures = target_failures(results["hybrid"])
    if args.json:  # the tables for a person on stderr, the figures for a program on stdout
        print(format_report(results), "\n".join(split_lines(results["hybrid"])),
              sep="\n", file=sys.stderr)
        print(json.dumps({"model_version": full.model_version, "queries": len(queries),
                          "perfumes": len(catalog.perfumes), "verified": verified,
                          "summary": summary_rows(results),
                          "splits": {split: summarise([r for r in results["hybrid"]
                                                       if r["split"] == split])
                                     for split in ("dev", "heldout")},
                          "results": results, "targets_missed": failures}, default=str))
        return 0
    print(f"model {full.model_version}; {len(catalog.perfumes)} perfumes ({verified} verified: "
          f"the ground truth); {len(queries)} queries; n = queries with a verified answer")
    print(format_report(results))
    print("\n".join(split_lines(results["hybrid"])))
    print("targets: met" if not failures else "targets missed:\n  " + "\n  ".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
