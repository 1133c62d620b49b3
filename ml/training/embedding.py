"""Fine-tuning the sentence-transformers embedding model with a contrastive loss.

`MultipleNegativesRankingLoss` over (query, perfume text) pairs: the other positives of a
batch are its negatives. The loop is our own (`ml.training.loop`) so that it checkpoints
every N steps, resumes at the exact step of the newest checkpoint and reports every step.
Held-out search quality is measured before and after (`ml.training.retrieval_metrics`).
Nothing is downloaded: the base model is a local folder (default: the shipped MiniLM).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.embeddings import shipped_model_path
from ml.evaluation import load_queries
from ml.hub import offline_and_quiet
from ml.training.checkpoints import (
    Checkpoint,
    CheckpointStore,
    check_resumable,
    publish_folder,
    restore_rng,
    run_identity,
)
from ml.training.examples import Dataset, DatasetError
from ml.training.loop import Interrupt, OnStep, Schedule, run_steps
from ml.training.retrieval_metrics import ModelEncoder, heldout_metrics

# Fields that must match for a checkpoint to be resumed by this run.
RESUME_KEYS = ("epochs", "batch_size", "learning_rate", "max_steps", "seed", "scale")


@dataclass(frozen=True)
class EmbeddingTrainingConfig:
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 2e-5
    max_steps: int | None = None
    checkpoint_every: int = 50
    max_seq_length: int = 128
    seed: int = 0
    scale: float = 20.0
    evaluate: bool = True
    base_model_dir: str | None = None  # None: the shipped all-MiniLM-L6-v2
    device: str = "cpu"


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def check_no_leakage(dataset: Dataset) -> None:
    """Raise `DatasetError` naming the examples whose query IS a held-out evaluation query."""
    heldout = {_normal(q.query) for q in load_queries() if q.split == "heldout"}
    errors = [(n, f"query {e.source!r} is a held-out evaluation query")
              for n, e in enumerate(dataset.examples, start=1) if _normal(e.source) in heldout]
    if errors:
        raise DatasetError(errors)


class _EmbeddingRun:
    """The model, optimizer and loss of one run, at a step boundary."""

    def __init__(self, config: EmbeddingTrainingConfig, dataset: Dataset,
                 model_dir: Path) -> None:
        offline_and_quiet()
        import torch
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.losses import (
            MultipleNegativesRankingLoss,
        )

        self.config, self.dataset, self._torch = config, dataset, torch
        torch.manual_seed(config.seed)
        self.model = SentenceTransformer(str(model_dir), device=config.device,
                                         local_files_only=True)
        self.loss = MultipleNegativesRankingLoss(self.model, scale=config.scale)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.learning_rate)

    def encoder(self, version: str, interrupt: Interrupt | None = None) -> ModelEncoder:
        self.model.eval()
        return ModelEncoder(self.model, version, interrupt=interrupt)

    def restore(self, checkpoint: Checkpoint) -> None:
        state = checkpoint.training_state()
        self.optimizer.load_state_dict(state["optimizer"])
        restore_rng(state["rng"])

    def train_step(self, indices: list[int]) -> float:
        examples = [self.dataset.examples[i] for i in indices]
        features = [self._features([e.source for e in examples]),
                    self._features([e.target for e in examples])]
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        value = self.loss(features, self._torch.empty(0))
        value.backward()
        self.optimizer.step()
        return float(value.detach())

    def _features(self, texts: list[str]) -> dict[str, Any]:
        original = self.model.max_seq_length
        self.model.max_seq_length = self.config.max_seq_length
        try:
            features = self.model.preprocess(texts)
        finally:
            self.model.max_seq_length = original
        return {key: value.to(self.model.device) if isinstance(value, self._torch.Tensor)
                else value for key, value in features.items()}

    def write_model(self, folder: Path) -> None:
        self.model.save(str(folder), create_model_card=False)


def _metrics(run: _EmbeddingRun, config: EmbeddingTrainingConfig, label: str,
             interrupt: Interrupt | None) -> dict[str, dict[str, float]] | None:
    return heldout_metrics(run.encoder(label, interrupt)) if config.evaluate else None


def train_embedding(config: EmbeddingTrainingConfig, dataset: Dataset, out_dir: str | Path,
                    checkpoints: CheckpointStore, on_step: OnStep | None = None,
                    interrupt: Interrupt | None = None) -> dict[str, Any]:
    """Fine-tune, resuming from `checkpoints.latest()` when there is one, and publish the
    model to `out_dir` (atomically; a sentence-transformers folder `SentenceTransformerEncoder`
    loads). Returns `{model_dir, steps, loss_history, metrics_before, metrics_after,
    resumed_from_step}`; metrics are `{search_type: {n, precision@5, ndcg@10}}` on the
    held-out queries (None when `config.evaluate` is false).

    Raises DatasetError (wrong target, held-out leakage), ValueError (a checkpoint of
    another run, too few examples) and whatever `on_step` raises (the run stops at that
    step boundary; the store keeps its last checkpoint) or `interrupt` raises (called
    between batches of the held-out evaluations, before the first step and after the last:
    nothing is published then)."""
    if dataset.target != "embedding":
        raise DatasetError([(0, f"a {dataset.target} dataset cannot train the embedding model")])
    check_no_leakage(dataset)
    schedule = Schedule(len(dataset), config.batch_size, config.epochs, config.max_steps,
                        config.seed)
    identity = run_identity(config, RESUME_KEYS, dataset.fingerprint)
    latest = checkpoints.latest()
    info = check_resumable(latest, identity) if latest else {}
    base = Path(config.base_model_dir) if config.base_model_dir else shipped_model_path()
    run = _EmbeddingRun(config, dataset, latest.model_dir if latest else base)
    if latest:
        run.restore(latest)
    before = info["metrics_before"] if latest else _metrics(run, config, "before", interrupt)
    losses: list[float] = list(info.get("loss_history", []))

    def save(step: int) -> None:
        checkpoints.save(step, run.write_model, run.optimizer.state_dict(),
                         {"loss_history": losses, "metrics_before": before,
                          "identity": identity})

    start = latest.step + 1 if latest else 1
    run_steps(schedule, start, run.train_step, save, config.checkpoint_every, on_step, losses)
    after = _metrics(run, config, "after", interrupt)  # before publishing: may be interrupted
    model_dir = publish_folder(run.write_model, out_dir)
    return {"model_dir": str(model_dir), "steps": schedule.total, "loss_history": losses,
            "metrics_before": before, "metrics_after": after,
            "resumed_from_step": latest.step if latest else 0}
