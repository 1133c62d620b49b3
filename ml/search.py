"""Hybrid search over perfumes and raw materials: the `SearchPipeline` and its factories.

`search_many` interprets every query (Korean -> English, facet hints), embeds all of them
in ONE encoder call and queries the index once per record kind, so a worker that gathers
concurrent jobs into one call pays for one forward pass. Ranking per search type:
- similarity: cosine similarity only (filters applied in the index);
- keyword:    BM25 only (filters applied in-process), records without a match dropped;
- hybrid:     vector and lexical candidates fused with facet boosts (see `ml.ranking`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ml.documents import KINDS, Document, Kind, documents
from ml.embeddings import Encoder, SentenceTransformerEncoder
from ml.indexing import DEFAULT_INDEX_PATH, StaleIndexError, build_index, is_current, write_index
from ml.knowledge import Catalog
from ml.lexical import Bm25
from ml.query import InterpretedQuery, QueryInterpreter
from ml.ranking import FusionWeights, matched_notes, material_facet_score, perfume_facet_score
from ml.search_protocol import SearchFilters, SearchHit, SearchRequest, SearchResult
from ml.vector_index import IndexHit, PayloadFilter, VectorIndex, open_qdrant_index

__all__ = ["SearchFilters", "SearchHit", "SearchPipeline", "SearchRequest", "SearchResult",
           "StaleIndexError", "build_index", "build_pipeline"]

CANDIDATES = 200
Ranked = list[tuple[str, float]]


class SearchPipeline:
    """Warm, thread-compatible search (the encoder and index are only read)."""

    def __init__(self, encoder: Encoder, index: VectorIndex, catalog: Catalog, *,
                 interpreter: QueryInterpreter | None = None,
                 weights: FusionWeights | None = None, candidates: int = CANDIDATES) -> None:
        self._encoder, self._index, self._catalog = encoder, index, catalog
        self._interpreter = interpreter or QueryInterpreter.for_catalog(catalog)
        self._weights, self._candidates = weights or FusionWeights(), candidates
        self._docs: dict[Kind, dict[str, Document]] = {
            kind: {doc.id: doc for doc in documents(catalog, kind)} for kind in KINDS}
        self._bm25 = {kind: Bm25({i: d.terms for i, d in docs.items()})
                      for kind, docs in self._docs.items()}

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def model_version(self) -> str:
        return self._encoder.model_version

    def search(self, request: SearchRequest) -> SearchResult:
        return self.search_many([request])[0]

    def search_many(self, requests: Sequence[SearchRequest]) -> list[SearchResult]:
        """One result per request, in order; one encoder call for all of them."""
        queries = [self._interpreter.interpret(request.query) for request in requests]
        vectors = self._encode(requests, queries)
        found = self._vector_hits(requests, vectors)
        return [self._result(request, query, found.get(position, []))
                for position, (request, query) in enumerate(zip(requests, queries, strict=True))]

    def close(self) -> None:
        self._index.close()

    def _encode(self, requests: Sequence[SearchRequest],
                queries: Sequence[InterpretedQuery]) -> dict[int, np.ndarray]:
        positions = [i for i, r in enumerate(requests) if r.search_type != "keyword"]
        if not positions:
            return {}
        texts = [queries[i].english or requests[i].query for i in positions]
        return dict(zip(positions, self._encoder.encode(texts), strict=True))

    def _vector_hits(self, requests: Sequence[SearchRequest],
                     vectors: dict[int, np.ndarray]) -> dict[int, list[IndexHit]]:
        found: dict[int, list[IndexHit]] = {}
        for kind in KINDS:
            positions = [i for i in vectors if requests[i].filters.record_kind == kind]
            if not positions:
                continue
            limit = max(self._candidates, *(requests[i].top_k for i in positions))
            filters = [requests[i].filters.payload_filter() for i in positions]
            batch = np.stack([vectors[i] for i in positions])
            hits = self._index.search_batch(kind, batch, limit, filters)
            found.update(zip(positions, hits, strict=True))
        return found

    def _lexical(self, kind: Kind, query: InterpretedQuery,
                 wanted: PayloadFilter | None) -> dict[str, float]:
        scores = self._bm25[kind].scores(query.terms)
        if wanted is None:
            return scores
        return {i: s for i, s in scores.items() if wanted.matches(self._docs[kind][i].payload)}

    def _facets(self, kind: Kind, doc_id: str, query: InterpretedQuery) -> float:
        payload = self._docs[kind][doc_id].payload
        if kind == "material":
            return material_facet_score(payload, query.hints, query.terms)
        return perfume_facet_score(payload, query.hints)

    def _hybrid(self, kind: Kind, query: InterpretedQuery, hits: list[IndexHit],
                wanted: PayloadFilter | None) -> Ranked:
        vector = {hit.id: hit.score for hit in hits}
        lexical = self._lexical(kind, query, wanted)
        best = max(lexical.values(), default=0.0) or 1.0
        floor = min(vector.values(), default=0.0)
        pool = [*vector, *sorted(lexical, key=lambda i: (-lexical[i], i))[:self._candidates]]
        return [(i, self._weights.fuse(vector.get(i, floor), lexical.get(i, 0.0) / best,
                                       self._facets(kind, i, query)))
                for i in dict.fromkeys(pool)]

    def _rank(self, request: SearchRequest, query: InterpretedQuery,
              hits: list[IndexHit]) -> Ranked:
        kind, wanted = request.filters.record_kind, request.filters.payload_filter()
        if request.search_type == "similarity":
            ranked = [(hit.id, hit.score) for hit in hits]
        elif request.search_type == "keyword":
            ranked = list(self._lexical(kind, query, wanted).items())
        else:
            ranked = self._hybrid(kind, query, hits, wanted)
        return sorted(ranked, key=lambda item: (-item[1], item[0]))[:request.top_k]

    def _hit(self, kind: Kind, doc_id: str, score: float, request: SearchRequest,
             query: InterpretedQuery) -> SearchHit:
        payload = self._docs[kind][doc_id].payload
        if kind == "material":
            return SearchHit(doc_id, kind, round(score, 6), payload)
        perfume = self._catalog.perfume(doc_id)
        asked = [*query.hints.notes, *request.filters.notes_include]
        notes = {"top": list(perfume.top_notes), "heart": list(perfume.heart_notes),
                 "base": list(perfume.base_notes)}
        return SearchHit(doc_id, kind, round(score, 6), payload,
                         tuple(matched_notes(perfume.notes, asked)), notes)

    def _result(self, request: SearchRequest, query: InterpretedQuery,
                hits: list[IndexHit]) -> SearchResult:
        kind = request.filters.record_kind
        ranked = self._rank(request, query, hits)
        return SearchResult(request.query, query.english, query.lang, request.search_type,
                            self.model_version, query.hints,
                            tuple(self._hit(kind, i, s, request, query) for i, s in ranked))


def build_pipeline(index_path: str | None = None, qdrant_url: str | None = None,
                   model_path: str | None = None, *, catalog: Catalog | None = None,
                   encoder: Encoder | None = None,
                   rebuild_if_stale: bool | None = None) -> SearchPipeline:
    """A warm pipeline: the catalogue, the embedding model (loaded once) and the index.

    A stale or missing index is rebuilt in place for a local folder (this process owns it)
    and raises StaleIndexError for a server (several workers share it; the CLI rebuilds).
    Raises IndexLockedError when another process holds the local folder.
    """
    catalog = catalog or Catalog.load()
    encoder = encoder or SentenceTransformerEncoder(model_path)
    index = open_qdrant_index(path=index_path or DEFAULT_INDEX_PATH, url=qdrant_url)
    if not is_current(index, catalog, encoder.model_version):
        if not (rebuild_if_stale if rebuild_if_stale is not None else not qdrant_url):
            index.close()
            raise StaleIndexError("the search index is out of date; run `fragrance index build`")
        write_index(index, encoder, catalog)
    return SearchPipeline(encoder, index, catalog)
