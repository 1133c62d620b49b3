"""The search runtime of a worker process: warm search pipelines per served embedding
version (`ServedVersions`), and one micro-batcher across jobs, whatever their tenants,
filled round-robin by tenant: a batch is split by version, each part encoded and searched
in one call."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from config.sections import SearchSettings, ServedModels, load_section
from core.batching import MicroBatcher, PriorityGate, grouped
from core.metrics import SEARCH_BATCH_SIZE
from core.registry import ModelRegistry
from core.runner import JobFailed
from core.search_cache import SearchCache, search_cache
from core.states import JobKind
from workers.served_versions import Served, ServedVersions

if TYPE_CHECKING:
    from workers.resources import WorkerResources

log = logging.getLogger(__name__)
# (the pipeline serving the job's tenant, its request, the tenant)
Item = tuple[Served[Any], Any, str]
# a flood's batch waits for a light tenant's search between chunks of this many queries
SEARCH_YIELD_EVERY = 4
FINE_TUNED_LABEL = "fine-tuned"  # model_version of a registry version: fine-tuned@<digest>


class SearchRuntime:
    def __init__(self, settings: SearchSettings, served: ServedModels,
                 registry: ModelRegistry, cache: SearchCache | None = None,
                 gate: PriorityGate | None = None,
                 running_jobs: Callable[[], int] | None = None) -> None:
        self._settings, self._registry, self._cache = settings, registry, cache
        # a Qdrant server's index is rebuilt by the CLI: server-backed workers serve the
        # configured model only; the embedded index gets a folder per version
        self.versions: ServedVersions[Any] = ServedVersions(
            self._build, self._resolve, capacity=served.capacity, refresh_s=served.refresh_s,
            close=lambda pipeline: pipeline.close(), name="embedding")
        self._batcher: MicroBatcher[Item, tuple[str | None, Any]] = MicroBatcher(
            self._run_batch, max_batch=settings.batch_max,
            max_wait_s=settings.batch_wait_ms / 1000,
            on_batch=SEARCH_BATCH_SIZE.observe, fair_key=lambda item: item[2],
            express_slots=settings.express_slots, gate=gate,
            yield_every=SEARCH_YIELD_EVERY, thread_nice=settings.thread_nice,
            running=running_jobs, name="search-batcher")

    @classmethod
    def for_worker(cls, worker: WorkerResources) -> SearchRuntime:
        settings = SearchSettings.load(worker.settings)
        return cls(settings, load_section(ServedModels, worker.settings), worker.registry,
                   search_cache(worker.redis, settings.cache_ttl_s), worker.priority_gate,
                   running_jobs=lambda: worker.runner(JobKind.SEARCH).running)

    def _resolve(self, tenant_id: str) -> str | None:
        if self._settings.qdrant_url:
            return None
        return self._registry.serving_id("embedding", tenant_id)

    def _build(self, version_id: str | None) -> Any:
        from ml.embeddings import SentenceTransformerEncoder, configure_torch_for_serving
        from ml.search import build_pipeline

        settings = self._settings
        configure_torch_for_serving(settings.torch_threads)
        if settings.pipeline == "noop":
            pipeline: Any = NoopPipeline()
        elif version_id is None:
            pipeline = build_pipeline(index_path=settings.qdrant_path or None,
                                      qdrant_url=settings.qdrant_url or None,
                                      model_path=settings.embedding_model_path or None,
                                      device=settings.device)
        else:
            version = self._registry.get(version_id)
            index_path = f"{settings.qdrant_path or 'var/qdrant'}.versions/{version_id}"
            log.info("embedding version %s from %s (index %s)", version_id, version.path,
                     index_path)
            # the version's folder is named after its training job: results (which any
            # tenant it serves reads) name the model by its weights' digest only
            pipeline = build_pipeline(index_path=index_path, encoder=SentenceTransformerEncoder(
                version.path, device=settings.device, label=FINE_TUNED_LABEL))
        if self._cache is not None:  # cached results of another index are stale from now
            self._cache.publish_stamp(version_id, pipeline.stamp)
        return pipeline

    def warm(self) -> None:
        self.versions.base()

    def search(self, tenant_id: str, request: Any,
               payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Search on the version serving the tenant. The result records `model_version`
        (the encoder), `model_version_id` (the registry version; null: the base model) and
        `cached: false`; with the job's `payload`, it is kept in the result cache."""
        served = self.versions.for_tenant(tenant_id)
        reference = getattr(request, "similar_to", None)
        if reference is not None and not served.value.knows_perfume(reference):
            raise JobFailed({"type": "unknown_perfume",
                             "message": f"no perfume with id {reference!r} in the catalogue; "
                                        "the ids are the `id` of search hits"})
        version_id, result = self._batcher.submit((served, request, tenant_id))
        answer = {**result.to_dict(), "model_version_id": version_id, "cached": False}
        if payload is not None and self._cache is not None:
            self._cache.remember(tenant_id, version_id, served.value.stamp, payload, answer)
        return answer

    @staticmethod
    def _run_batch(items: Sequence[Item]) -> list[tuple[str | None, Any]]:
        def run(_: int, part: list[Item]) -> list[tuple[str | None, Any]]:
            served = part[0][0]
            return [(served.version_id, result)
                    for result in served.value.search_many([item[1] for item in part])]

        return grouped(items, lambda item: id(item[0].value), run)


class NoopPipeline:
    """A search pipeline that costs nothing: every request answered with no hits. Only for
    `fragrance bench ceiling` (`search_pipeline = "noop"`), which measures what the job
    system itself costs around a model."""

    stamp = "noop"

    @staticmethod
    def knows_perfume(_: str) -> bool:
        return True

    def search_many(self, requests: Sequence[Any]) -> list[Any]:
        from ml.facets import FacetHints
        from ml.search_protocol import SearchResult

        return [SearchResult(query=request.query, interpreted_query=request.query, lang="en",
                             search_type=request.search_type, model_version="noop",
                             hints=FacetHints(), hits=(), message="no-op pipeline")
                for request in requests]

    def close(self) -> None:
        pass

