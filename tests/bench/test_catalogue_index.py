"""The benches' search index: each suite opens its own copy (Qdrant Edge opens a folder in
one process at a time), so a soak, a bench and the fault suite can run side by side."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.stack import BENCH_INDEX, catalogue_index
from ml.search import SearchRequest, build_pipeline

pytestmark = pytest.mark.integration


def _bytes_on_disk(folder: Path) -> int:
    return sum(os.stat(Path(root) / name).st_blocks * 512
               for root, _, names in os.walk(folder) for name in names)


def test_two_suites_search_their_own_copies_at_once_and_the_copies_go_away() -> None:
    with catalogue_index() as first, catalogue_index() as second:
        assert first != second
        pipelines = [build_pipeline(index_path=str(folder)) for folder in (first, second)]
        try:
            for pipeline in pipelines:
                hits = pipeline.search(SearchRequest(query="fresh citrus", top_k=3)).hits
                assert len(hits) == 3
        finally:
            for pipeline in pipelines:
                pipeline.close()
        # the write-ahead logs stay sparse: a copy is a few MiB, not the 32 MiB a log
        assert _bytes_on_disk(first) < 32 * 2**20
    assert not first.exists() and not second.exists()
    assert BENCH_INDEX.exists()
