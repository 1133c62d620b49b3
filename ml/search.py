"""Hybrid search over perfumes and raw materials: the `SearchPipeline` and its factories.

`search_many` interprets every query (Korean -> English, the whole parse: notes, exclusions,
family, gender, season, occasion, mood, intensity, a reference perfume), plans each request
(`ml.planning`), embeds all of them in ONE encoder call ("like X" requests take X's vector
from the index) and queries the index once per record kind and kind of request, so a
worker that gathers concurrent jobs into one call pays for one forward pass.

Excluded notes, families, genders and perfumes are hard filters, applied in the index and to
the lexical candidates. Relevance per search type (see `ml.ranking`):
- similarity: cosine similarity only;
- keyword:    BM25 only, records without a match dropped;
- hybrid:     vector and lexical candidates fused with facet boosts;
- "like X":   likeness to X (`ml.likeness`), whatever the search type, over X's nearest
              vectors and the perfumes sharing at least two notes with X.
Hits meeting every stated constraint come first; when there are too few of them among the
candidates, the catalogue's other perfumes that meet them all are added, and only then are
constraints relaxed (the result says which).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ml.constraints import Constraint
from ml.documents import KINDS, Document, Kind, documents
from ml.embeddings import Encoder, SentenceTransformerEncoder
from ml.exact_index import InMemoryIndex
from ml.indexing import (
    DEFAULT_INDEX_PATH,
    StaleIndexError,
    build_index,
    index_stamp,
    is_current,
    write_index,
)
from ml.knowledge import Catalog
from ml.lexical import Bm25
from ml.likeness import Likeness
from ml.notes import CHARACTER_GROUPS, GROUPS
from ml.planning import Plan, Planner
from ml.query import QueryInterpreter
from ml.ranking import (
    FusionWeights,
    Ranked,
    avoided,
    material_facet_score,
    meets_all,
    order,
    perfume_facet_score,
    preferred,
)
from ml.search_protocol import SearchFilters, SearchHit, SearchRequest, SearchResult
from ml.vector_index import (
    IndexHit,
    IndexLockedError,
    PayloadFilter,
    VectorIndex,
    open_qdrant_index,
)

log = logging.getLogger(__name__)

__all__ = ["SearchFilters", "SearchHit", "SearchPipeline", "SearchRequest", "SearchResult",
           "StaleIndexError", "build_index", "build_pipeline"]

CANDIDATES = 200
FILTERS_REMEMBERED = 128  # filters whose passing records a pipeline keeps (~900 ids each at most)
Score = Callable[[str], float]


@functools.cache
def logic_fingerprint() -> str:
    """A digest of the search's own code (the `ml` modules) and the Korean lexicon."""
    package = Path(__file__).resolve().parent
    files = [*sorted(package.glob("*.py")), package / "knowledge" / "ko_lexicon.json"]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


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
        # the records a filter lets through, per filter: queries repeat their filters (a
        # batch of recipe briefs asks for a handful of families), and checking each scored
        # record's payload took a quarter of a reference search
        self._passing = functools.lru_cache(maxsize=FILTERS_REMEMBERED)(self._records_passing)
        self._planner = Planner(catalog, read_notes=functools.lru_cache(maxsize=1024)(
            self._notes_read_in))
        self._likeness = Likeness(catalog.perfumes)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @property
    def model_version(self) -> str:
        return self._encoder.model_version

    def knows_perfume(self, perfume_id: str) -> bool:
        """Whether `perfume_id` names a perfume of the catalogue (what `similar_to` needs)."""
        return self._catalog.has_perfume(perfume_id)

    def search(self, request: SearchRequest) -> SearchResult:
        return self.search_many([request])[0]

    def _notes_read_in(self, text: str) -> tuple[str, ...]:
        """The notes a filter's note names when the query parser reads it ("vanila",
        "bourbon vanilla": vanilla; "ваниль": vanilla), for one it names as written."""
        parse = self._interpreter.interpret(text).parse
        # a character names its group's notes ("spicy": cinnamon, clove...; "floral": the
        # flowers): a filter of one excluded nothing
        grouped = [note for character in parse.characters
                   for note in CHARACTER_GROUPS.get(character) or GROUPS.get(f"{character}s", ())]
        return tuple(dict.fromkeys([*(note for options in parse.notes for note in options),
                                    *grouped]))

    def search_many(self, requests: Sequence[SearchRequest]) -> list[SearchResult]:
        """One result per request, in order; one encoder call for all of them."""
        plans = [self._planner.plan(request, self._interpreter.interpret(request.query))
                 for request in requests]
        vectors = self._encode(plans)
        found = self._vector_hits(plans, vectors)
        return [self._result(plan, found.get(i, [])) for i, plan in enumerate(plans)]

    @property
    def stamp(self) -> str:
        """What its results depend on besides the request: the catalogue and the encoder
        (the index stamp), and the code and lexicon that read queries and rank (a new
        release answers a cached search anew: "isn't too sweet" read otherwise)."""
        return (f"{index_stamp(self._catalog, self._encoder.model_version)};"
                f"logic={logic_fingerprint()}")

    def close(self) -> None:
        self._index.close()

    def _encode(self, plans: Sequence[Plan]) -> dict[int, np.ndarray]:
        """Query vectors: the encoded text, or the anchor's own vector from the index ("like
        X" and a query that only names X: X's)."""
        positions = [i for i, plan in enumerate(plans) if plan.embed is not None
                     and plan.request.search_type != "keyword"]
        vectors: dict[int, np.ndarray] = {}
        if positions:
            texts = [plans[i].embed or "" for i in positions]
            vectors.update(zip(positions, self._encoder.encode(texts), strict=True))
        like = [i for i, plan in enumerate(plans) if plan.anchor]
        if like:
            rows = self._index.vectors("perfume", [plans[i].anchor or "" for i in like])
            vectors.update(zip(like, rows, strict=True))
        return vectors

    def _vector_hits(self, plans: Sequence[Plan],
                     vectors: dict[int, np.ndarray]) -> dict[int, list[IndexHit]]:
        found: dict[int, list[IndexHit]] = {}
        for kind in KINDS:
            for like in (False, True):
                positions = [i for i in vectors
                             if plans[i].kind == kind and bool(plans[i].anchor) == like]
                if not positions:
                    continue
                limit = max(self._candidates, *(plans[i].request.top_k for i in positions))
                batch = np.stack([vectors[i] for i in positions])
                hits = self._index.search_batch(kind, batch, limit,
                                                [plans[i].wanted for i in positions])
                found.update(zip(positions, hits, strict=True))
        return found

    def _lexical(self, kind: Kind, plan: Plan) -> dict[str, float]:
        scores = self._bm25[kind].scores(plan.query.terms)
        wanted = plan.wanted
        if wanted is None:
            return scores
        passing = self._passing(kind, wanted)
        return {i: s for i, s in scores.items() if i in passing}

    def _records_passing(self, kind: Kind, wanted: PayloadFilter) -> frozenset[str]:
        return frozenset(i for i, doc in self._docs[kind].items() if wanted.matches(doc.payload))

    def _facets(self, kind: Kind, plan: Plan) -> Callable[[str], float]:
        """A document's facet score (0..1) for this request's hints."""
        docs, hints, terms = self._docs[kind], plan.query.hints, plan.query.terms
        if kind == "material":
            return lambda i: material_facet_score(docs[i].payload, hints, terms)
        return lambda i: perfume_facet_score(docs[i].payload, hints, i)

    def _scorer(self, plan: Plan, hits: list[IndexHit]) -> tuple[list[str], Score]:
        """The candidate ids and the relevance function of a request."""
        vector = {hit.id: hit.score for hit in hits}
        floor = min(vector.values(), default=0.0)
        if plan.anchor:
            ref = plan.anchor
            pool = [*vector, *self._planner.sharing_notes(ref, plan.wanted)]
            named = frozenset().union(*(c.members for c in plan.constraints
                                        if c.kind == "perfume"))  # fmt: skip
            families = any(c.kind == "character" for c in plan.constraints)
            return list(dict.fromkeys(pool)), lambda i: self._likeness.score(
                ref, i, vector.get(i, floor), across_wheel=families or i in named)
        if plan.request.search_type == "similarity":
            return list(vector), lambda i: vector.get(i, floor)
        lexical = self._lexical(plan.kind, plan)
        if plan.request.search_type == "keyword":
            return list(lexical), lambda i: lexical.get(i, 0.0)
        best = max(lexical.values(), default=0.0) or 1.0
        pool = [*vector, *sorted(lexical, key=lambda i: (-lexical[i], i))[:self._candidates]]
        facets, w = self._facets(plan.kind, plan), self._weights
        return list(dict.fromkeys(pool)), lambda i: w.fuse(
            vector.get(i, floor), lexical.get(i, 0.0) / best, facets(i))

    @staticmethod
    def _share(soft: tuple[Constraint, ...], doc_id: str) -> float:
        """The share (0..1) of what the query avoids (or prefers) that the perfume has."""
        return sum(c.degree(doc_id) for c in soft) / len(soft)

    def _rank(self, plan: Plan, hits: list[IndexHit]) -> Ranked:
        pool, score = self._scorer(plan, hits)
        banned = plan.exclusions.perfumes
        avoid = bool(plan.avoided) and plan.kind == "perfume"
        prefer = bool(plan.preferred) and plan.kind == "perfume"

        def relevance(ids: Sequence[str]) -> dict[str, float]:
            scored = {i: score(i) for i in ids if i not in banned}
            if avoid:
                scored = {i: avoided(s, self._share(plan.avoided, i)) for i, s in scored.items()}
            if prefer:
                scored = {i: preferred(s, self._share(plan.preferred, i))
                          for i, s in scored.items()}
            return scored

        scored = relevance(pool)
        if plan.constraints:
            every = self._satisfying(plan)
            if len(every.intersection(scored)) < plan.request.top_k:
                scored.update(relevance(sorted(every.difference(scored))))
        return order(scored, plan.constraints, plan.request.top_k)

    def _satisfying(self, plan: Plan) -> frozenset[str]:
        """Every catalogue perfume that meets every constraint and passes the filters."""
        members = frozenset.intersection(*(c.members for c in plan.constraints))
        wanted: PayloadFilter | None = plan.wanted
        if wanted is None:
            return members
        docs = self._docs["perfume"]
        return frozenset(i for i in members if wanted.matches(docs[i].payload))

    def _hit(self, plan: Plan, doc_id: str, score: float, met: Sequence[bool]) -> SearchHit:
        payload = self._docs[plan.kind][doc_id].payload
        if plan.kind == "material":
            return SearchHit(doc_id, plan.kind, round(score, 6), payload)
        perfume = self._catalog.perfume(doc_id)
        shared = self._likeness.shared_notes(plan.reference, doc_id) if plan.reference else []
        explanation = self._planner.explanation(plan, doc_id, met, shared)
        notes = {"top": list(perfume.top_notes), "heart": list(perfume.heart_notes),
                 "base": list(perfume.base_notes)}
        return SearchHit(doc_id, plan.kind, round(score, 6), payload,
                         tuple(explanation["matched_notes"]), notes, explanation)

    def _result(self, plan: Plan, hits: list[IndexHit]) -> SearchResult:
        ranked = [] if plan.message else self._rank(plan, hits)
        relaxing = [c for n, c in enumerate(plan.constraints)
                    if any(not met[n] for _, _, met in ranked)]
        relaxed = tuple(c.label for c in relaxing)
        message = plan.message or (None if ranked else self._filtered_out(plan))
        if relaxing and all(c.kind == "perfume" for c in relaxing):
            # a name looked up: its editions first, then what is nearest to it
            message = (f"{meets_all(ranked)} of {len(ranked)} hits are "
                       f"{' or '.join(c.value for c in relaxing)}; the others are the "
                       "nearest to it.")
        elif relaxed:
            message = (f"{meets_all(ranked)} of {len(ranked)} hits meet every constraint; "
                       f"the others relax: {', '.join(relaxed)}.")
        message = " ".join(m for m in (plan.notice, message) if m) or None
        query = plan.query
        return SearchResult(plan.request.query, query.english, query.lang,
                            plan.request.search_type, self.model_version, query.hints,
                            tuple(self._hit(plan, i, s, met) for i, s, met in ranked),
                            self._planner.interpreted(plan) if plan.kind == "perfume" else {},
                            relaxed, message)

    def _filtered_out(self, plan: Plan) -> str | None:
        """Why there are no hits when the filters and exclusions leave no record at all."""
        wanted = plan.wanted
        if wanted is None or self._passing(plan.kind, wanted):
            return None
        unknown = self._planner.unknown_notes(plan.request.filters.notes_include)
        if unknown:  # "unobtainium" said only that nothing matched the filters
            return (f"No {plan.kind} in the catalogue has the note"
                    f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                    "(notes_include): no note of the catalogue is named so.")
        return (f"No {plan.kind} in the catalogue matches the filters"
                f"{' and the exclusions' if plan.exclusions.payload_conditions() else ''}.")


def build_pipeline(index_path: str | None = None, qdrant_url: str | None = None,
                   model_path: str | None = None, *, catalog: Catalog | None = None,
                   encoder: Encoder | None = None, device: str = "cpu",
                   rebuild_if_stale: bool | None = None) -> SearchPipeline:
    """A warm pipeline: the catalogue, the embedding model (loaded once) and the index.

    A stale or missing index is rebuilt in place for a local folder (this process owns it)
    and raises StaleIndexError for a server (several workers share it; the CLI rebuilds).
    When another process on this host holds the local folder, this one encodes the
    catalogue into memory instead (exact search, the same results): several worker
    processes share a host without a Qdrant server, each paying a few seconds at start.
    """
    catalog = catalog or Catalog.load()
    encoder = encoder or SentenceTransformerEncoder(model_path, device=device)
    try:
        index: VectorIndex = open_qdrant_index(path=index_path or DEFAULT_INDEX_PATH,
                                               url=qdrant_url)
    except IndexLockedError:
        log.info("the index folder %s is another process's; holding the catalogue's vectors "
                 "in memory", index_path or DEFAULT_INDEX_PATH)
        index = InMemoryIndex()
        write_index(index, encoder, catalog)
        return SearchPipeline(encoder, index, catalog)
    if not is_current(index, catalog, encoder.model_version):
        if not (rebuild_if_stale if rebuild_if_stale is not None else not qdrant_url):
            index.close()
            raise StaleIndexError("the search index is out of date; run `fragrance index build`")
        write_index(index, encoder, catalog)
    return SearchPipeline(encoder, index, catalog)
