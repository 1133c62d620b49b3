"""The recipe runtime of a worker process: warm generators per served generator version
(a LoRA adapter of the tenant, for back ends that load one), retrieval on the search
runtime's version for the same tenant, and one micro-batcher across jobs, split by the
(generator, retrieval) pair so a part never mixes versions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from config.sections import RecipeSettings, ServedModels, load_section
from core.batching import MicroBatcher, PriorityGate, grouped
from core.metrics import RECIPE_BATCH_SIZE
from core.registry import ModelRegistry
from core.states import JobKind
from workers.search_runtime import SearchRuntime
from workers.served_versions import Served, ServedVersions

if TYPE_CHECKING:
    from workers.resources import WorkerResources

log = logging.getLogger(__name__)
CONCURRENT_BACKENDS = frozenset({"formulator"})
ADAPTABLE_BACKENDS = ("transformers", "vllm")  # they serve the registry's LoRA adapters
# (generator, retrieval, brief, tenant)
Item = tuple[Served[Any], Served[Any] | None, Any, str]


class RecipeRuntime:
    def __init__(self, settings: RecipeSettings, served: ServedModels,
                 registry: ModelRegistry, search: SearchRuntime | None,
                 gate: PriorityGate | None = None,
                 running_jobs: Callable[[], int] | None = None) -> None:
        from ml.recipe import load_materials

        self._settings, self._registry, self._search = settings, registry, search
        self.materials = load_materials()
        self._adaptable = settings.backend in ADAPTABLE_BACKENDS
        self.generators: ServedVersions[Any] = ServedVersions(
            self._build, self._resolve, capacity=served.capacity, refresh_s=served.refresh_s,
            close=lambda generator: getattr(generator, "close", lambda: None)(),
            name="generator")
        # a back end that may be called from two threads at once (one brief at a time, on
        # the CPU) gets the express path beside the batch, and a flood's batch waits for a
        # light tenant's brief between briefs; a batching engine (vLLM) keeps whole batches
        concurrent = settings.backend in CONCURRENT_BACKENDS
        self._batcher: MicroBatcher[Item, dict[str, Any]] = MicroBatcher(
            self._run_batch, max_batch=settings.batch_max,
            max_wait_s=settings.batch_wait_ms / 1000,
            on_batch=RECIPE_BATCH_SIZE.observe, fair_key=lambda item: item[3],
            express_slots=settings.express_slots if concurrent else 0,
            gate=gate, yield_every=1 if concurrent else None,
            thread_nice=settings.thread_nice, running=running_jobs, name="recipe-batcher")

    @classmethod
    def for_worker(cls, worker: WorkerResources) -> RecipeRuntime:
        settings = RecipeSettings.load(worker.settings)
        retrieval = worker.runtime(JobKind.SEARCH) if settings.retrieval else None
        return cls(settings, load_section(ServedModels, worker.settings), worker.registry,
                   retrieval, worker.priority_gate,
                   running_jobs=lambda: worker.runner(JobKind.RECIPE).running)

    def _resolve(self, tenant_id: str) -> str | None:
        return self._registry.serving_id("generator", tenant_id) if self._adaptable else None

    def _build(self, version_id: str | None) -> Any:
        from ml.recipe.backends import build_generator

        options = self._settings.generator_options()
        if version_id is not None:
            options["adapter_path"] = self._registry.get(version_id).path
        generator = build_generator(self._settings.backend, self.materials, options)
        log.info("recipe generator ready: %s%s", generator.model_version,
                 f" (version {version_id})" if version_id else "")
        return generator

    def warm(self) -> None:
        from ml.recipe.brief import warm as warm_brief_vocabulary

        warm_brief_vocabulary()
        self.generators.base()

    def generate(self, tenant_id: str, brief: Any) -> dict[str, Any]:
        """The result records `model_version` (the back end, with its adapter),
        `generator_version_id` (the tenant's generator version; null: the configured model)
        and `retrieval_model_version_id` (the embedding version that found the references;
        null: the base model, or no retrieval)."""
        retrieval = self._search.versions.for_tenant(tenant_id) \
            if self._search is not None else None
        outcome: dict[str, Any] = self._batcher.submit(
            (self.generators.for_tenant(tenant_id), retrieval, brief, tenant_id))
        return outcome

    def _run_batch(self, items: Sequence[Item]) -> list[dict[str, Any]]:
        def run(_: tuple[int, int], part: list[Item]) -> list[dict[str, Any]]:
            from ml.rag import SearchRetriever
            from ml.recipe import RecipePipeline

            generator, retrieval = part[0][0], part[0][1]
            retrieve = SearchRetriever(retrieval.value, top_k=self._settings.references) \
                if retrieval is not None else None
            pipeline = RecipePipeline(generator.value, self.materials, retrieve)
            return [{**outcome.to_dict(), "generator_version_id": generator.version_id,
                     "retrieval_model_version_id": retrieval.version_id if retrieval
                     else None} for outcome in pipeline.run_many([item[2] for item in part])]

        return grouped(items, lambda item: (id(item[0].value),
                                            id(item[1].value) if item[1] else 0), run)
