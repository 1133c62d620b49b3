"""One training job on a training worker: where its files go, what it starts from, and how
its result becomes a registered model version.

Layout under the model store: `runs/<job id>/plan.json` (what the run starts from, fixed by
its first attempt), `runs/<job id>/checkpoints/` (resumed by a redelivered job) and the
published model at `<target>/<job id>/`. An embedding run starts from the target's active
version (else the shipped MiniLM) and records it as the parent. A generator run trains a
LoRA adapter on the configured base model (else a tiny local model built once) and records
the active adapter as its parent (for rollback).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from config.sections import key, load_section
from core.errors import VersionStateRefused
from core.promotion import promotion_gate
from core.registry import ModelRegistry
from core.runner import JobFailed

if TYPE_CHECKING:
    from workers.resources import WorkerResources

# A decoded training job (`tasks.training.TrainingRequest`): target, dataset (an
# `ml.training.Dataset`), dataset_ref, options, evaluate, auto_promote, seed.
TrainingRequest = Any

log = logging.getLogger(__name__)

OnStep = Any  # ml.training.loop.OnStep: (step, total, loss) -> None
Interrupt = Callable[[], None]  # ml.training.loop.Interrupt: raises to stop an evaluation


@dataclass(frozen=True)
class TrainingDefaults:
    """The worker's training settings (`training_<field>`, but for the last three); a
    request overrides the numbers it gives."""

    epochs: int = 1
    batch_size: int = 16
    embedding_learning_rate: float = 2e-5
    generator_learning_rate: float = 2e-4
    checkpoint_every: int = 50
    embedding_max_seq_length: int = 128
    generator_max_seq_length: int = 1024
    checkpoints_keep: int = 2
    versions_kept: int = 5  # a tenant's versions of a target besides the active one
    promotion_tolerance: float = key("promotion_tolerance", 0.0)
    device: str = key("device", "cpu")
    # the generator a run fine-tunes: "" for the tiny model the worker builds itself
    generator_base_dir: str = key("generator_model_path", "")
    # the recipe workers' generator back end: only some load a tenant's adapter
    generator_backend: str = key("generator_backend", "formulator")

    @classmethod
    def from_settings(cls, settings: Any) -> TrainingDefaults:
        return load_section(cls, settings, "training_")

    def config_values(self, target: str, request: TrainingRequest) -> dict[str, Any]:
        """The trainer's config fields: these defaults overridden by the request."""
        values: dict[str, Any] = {
            "epochs": self.epochs, "batch_size": self.batch_size,
            "checkpoint_every": self.checkpoint_every, "seed": request.seed,
            "device": self.device, "max_steps": None,
            "learning_rate": (self.embedding_learning_rate if target == "embedding"
                              else self.generator_learning_rate),
            "max_seq_length": (self.embedding_max_seq_length if target == "embedding"
                               else self.generator_max_seq_length)}
        return {**values, **request.options}


# the generator back ends that serve a tenant's LoRA adapter (`ml.recipe.backends`)
ADAPTER_BACKENDS = ("transformers", "vllm")


class TrainingRuns:
    """Runs training jobs against one model store and one registry."""

    def __init__(self, registry: ModelRegistry, model_store: str | Path,
                 defaults: TrainingDefaults) -> None:
        self.registry, self.root, self.defaults = registry, Path(model_store), defaults

    @classmethod
    def for_worker(cls, worker: WorkerResources) -> TrainingRuns:
        return cls(worker.registry, str(worker.settings.model_store),
                   TrainingDefaults.from_settings(worker.settings))

    def warm(self) -> None:
        """Nothing to load before the first job: each run loads the model it starts from."""

    def settle(self, job_id: str, tenant_id: str, result: dict[str, Any] | None,
               succeeded: bool) -> None:
        """After the job's outcome is recorded: a succeeded run's version becomes active if
        its result says so (auto-promotion through the gate); the version of a run that did
        not succeed is withdrawn, and its model folder deleted (`discard_run` then frees its
        checkpoints)."""
        if result is None:
            return
        version_id = str(result["model_version"])
        if not succeeded:
            if self.registry.withdraw(version_id):
                shutil.rmtree(self.root / str(result["target"]) / job_id, ignore_errors=True)
                log.info("withdrew model version %s: its training job did not succeed",
                         version_id)
        else:
            if result["state"] == "active":
                try:
                    self.registry.promote(version_id, tenant_id)
                except VersionStateRefused as exc:  # another promotion of the target won
                    log.warning("model version %s not auto-promoted: %s", version_id, exc)
            self._prune(tenant_id, str(result["target"]))

    def _prune(self, tenant_id: str, target: str) -> None:
        """Delete the tenant's versions of `target` beyond `versions_kept` (the registry
        keeps the active one, its parent and the deployment defaults) and their folders."""
        paths = self.registry.prune(tenant_id, target, self.defaults.versions_kept)
        for path in paths:
            folder = Path(path).resolve()
            if self.root.resolve() in folder.parents:  # never a folder outside the store
                shutil.rmtree(folder, ignore_errors=True)
        if paths:
            log.info("deleted %d model versions of tenant %s beyond the %d kept (%s)",
                     len(paths), tenant_id, self.defaults.versions_kept, target)

    def discard_run(self, job_id: str) -> None:
        """Free a finished run's folder, plan and checkpoints (a succeeded run's model lives
        in the registry's folder). Only a run the job store still has running resumes
        from them, after a lost worker."""
        shutil.rmtree(self.root / "runs" / job_id, ignore_errors=True)

    def run(self, job_id: str, tenant_id: str, request: TrainingRequest,
            on_step: OnStep, interrupt: Interrupt | None = None) -> dict[str, Any]:
        """Train (resuming from the job's last checkpoint), publish, register; returns the
        job result. Raises JobFailed for a dataset the trainer refuses, and whatever
        `on_step` raises (JobCanceled) at a step boundary, or `interrupt` raises during the
        embedding model's held-out evaluations."""
        from ml.training.checkpoints import CheckpointStore
        from ml.training.examples import DatasetError

        run_dir = self.root / "runs" / job_id
        plan = self._plan(run_dir, request.target, tenant_id)
        checkpoints = CheckpointStore(run_dir / "checkpoints", self.defaults.checkpoints_keep)
        out_dir = self.root / request.target / job_id
        values = self.defaults.config_values(request.target, request)
        try:
            trained = (self._embedding(request, plan, values, out_dir, checkpoints, on_step,
                                       interrupt)
                       if request.target == "embedding" else
                       self._generator(request, plan, values, out_dir, checkpoints, on_step))
        except DatasetError as exc:  # e.g. held-out evaluation queries in the upload
            raise JobFailed({"type": "invalid_dataset", "message": "the dataset is not valid",
                             "errors": [{"line": line, "message": message}
                                        for line, message in exc.errors]}) from exc
        return self._register(job_id, tenant_id, request, plan, trained, values)

    def _plan(self, run_dir: Path, target: str, tenant_id: str) -> dict[str, Any]:
        """The parent version (what serves the tenant now) and base model of this run,
        fixed by its first attempt so a resumed run keeps them even if the serving version
        changed meanwhile."""
        path = run_dir / "plan.json"
        if path.is_file():
            plan: dict[str, Any] = json.loads(path.read_text("utf-8"))
            return plan
        parent = self.registry.serving(target, tenant_id)
        if target == "embedding":
            base = parent.path if parent else None
        else:
            base = self.defaults.generator_base_dir or str(self._tiny_generator())
        plan = {"parent_id": parent.id if parent else None, "base_model_dir": base}
        run_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(plan), "utf-8")
        tmp.replace(path)
        return plan

    def _tiny_generator(self) -> Path:
        """A tiny local causal LM to adapt when no generator model is configured (CPU/CI)."""
        folder = self.root / "base" / "tiny-generator"
        if not (folder / "config.json").is_file():
            from ml.recipe.materials import load_materials
            from ml.recipe.tiny_model import build_tiny_model
            from ml.training.checkpoints import publish_folder

            def write(tmp: Path) -> None:
                build_tiny_model(tmp, load_materials().ids())

            log.info("building the tiny generator base model in %s", folder)
            publish_folder(write, folder)
        return folder

    def _embedding(self, request: TrainingRequest, plan: dict[str, Any],
                   values: dict[str, Any], out_dir: Path, checkpoints: Any,
                   on_step: OnStep, interrupt: Interrupt | None) -> dict[str, Any]:
        from ml.training.embedding import EmbeddingTrainingConfig, train_embedding

        config = EmbeddingTrainingConfig(**values, evaluate=request.evaluate,
                                         base_model_dir=plan["base_model_dir"])
        return train_embedding(config, request.dataset, out_dir, checkpoints, on_step,
                               interrupt)

    def _generator(self, request: TrainingRequest, plan: dict[str, Any],
                   values: dict[str, Any], out_dir: Path, checkpoints: Any,
                   on_step: OnStep) -> dict[str, Any]:
        from ml.training.lora import LoraTrainingConfig, train_generator_lora

        eval_examples = min(8, max(0, len(request.dataset) // 5))
        config = LoraTrainingConfig(**values, eval_examples=eval_examples)
        trained = train_generator_lora(config, request.dataset, plan["base_model_dir"],
                                       out_dir, checkpoints, on_step)
        return {**trained, "model_dir": trained["adapter_dir"]}

    def _register(self, job_id: str, tenant_id: str, request: TrainingRequest,
                  plan: dict[str, Any], trained: dict[str, Any],
                  values: dict[str, Any]) -> dict[str, Any]:
        before, after = trained["metrics_before"], trained["metrics_after"]
        gate = promotion_gate(request.target, before, after,
                              self.defaults.promotion_tolerance)
        # a candidate until the job's success is recorded (`settle`): a cancel that comes
        # after the last step makes the job canceled, and its model must never serve
        version = self.registry.register(
            target=request.target, path=trained["model_dir"], dataset=request.dataset_ref,
            metrics={"before": before, "after": after, "gate": gate.to_dict()},
            tenant_id=tenant_id, job_id=job_id, parent_id=plan["parent_id"])
        promote = request.auto_promote and gate.passed and version.state == "candidate"
        if request.auto_promote and not gate.passed:  # the job succeeds: only this says it
            log.warning("%s version %s stays a candidate: the promotion gate refused it (%s)",
                        request.target, version.id, gate.reason)
        losses = trained["loss_history"]
        notes = []
        if request.target == "generator" and self.defaults.generator_backend not in \
                ADAPTER_BACKENDS:  # "active" and never serving, without a word
            notes.append(f"this deployment's generator back end "
                         f"({self.defaults.generator_backend}) loads no adapter: the version "
                         f"serves recipes where it is {' or '.join(ADAPTER_BACKENDS)}")
        # no server path in the result: the version id names the model, and the run's base
        # may be a version another tenant trained (an operator's deployment default)
        return {"target": request.target, "model_version": version.id, "notes": notes,
                "state": "active" if promote else version.state,
                "parent_id": version.parent_id,
                "dataset": request.dataset_ref,
                "metrics_before": before, "metrics_after": after, "gate": gate.to_dict(),
                "resumed_from_step": trained["resumed_from_step"], "steps": trained["steps"],
                "final_loss": losses[-1] if losses else None, "config": values}

