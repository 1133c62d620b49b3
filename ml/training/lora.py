"""Adapting the generator with LoRA (peft) on prompt -> formula JSON pairs.

The base model is a local transformers causal-LM folder (in CI: `ml.recipe.tiny_model`).
Only the completion tokens are learned (prompt tokens are masked out of the loss); a
sequence longer than `max_seq_length` loses the START of its prompt, never its completion
(up to three quarters of the budget). The published folder is a standard peft adapter
(`adapter_config.json` + `adapter_model.safetensors`): vLLM serves it with
`LoRARequest(name, id, path)` on an engine started with `enable_lora=True`, and
transformers loads it with `PeftModel.from_pretrained(base_model, path)`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ml.hub import offline_and_quiet
from ml.training.checkpoints import (
    Checkpoint,
    CheckpointStore,
    check_resumable,
    publish_folder,
    restore_rng,
    run_identity,
)
from ml.training.examples import Dataset, DatasetError, Example
from ml.training.loop import OnStep, Schedule, run_steps

RESUME_KEYS = ("epochs", "batch_size", "learning_rate", "max_steps", "seed", "rank", "alpha",
               "target_modules", "max_seq_length", "eval_examples")


@dataclass(frozen=True)
class LoraTrainingConfig:
    epochs: int = 1
    batch_size: int = 4
    learning_rate: float = 2e-4
    max_steps: int | None = None
    checkpoint_every: int = 50
    max_seq_length: int = 2048
    seed: int = 0
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    eval_examples: int = 8  # the dataset's last N examples: held out, scored before/after
    device: str = "cpu"


def encode_pair(tokenizer: Any, example: Example, max_len: int) -> tuple[list[int], list[int]]:
    """(input ids, labels) for one pair; labels are -100 on prompt tokens."""
    prompt = tokenizer(example.source, add_special_tokens=False)["input_ids"]
    completion = tokenizer(example.target, add_special_tokens=False)["input_ids"]
    completion = [*completion, tokenizer.eos_token_id][:max(1, max_len * 3 // 4)]
    prompt = prompt[-(max_len - len(completion)):] if max_len > len(completion) else []
    return [*prompt, *completion], [-100] * len(prompt) + completion


class _LoraRun:
    def __init__(self, config: LoraTrainingConfig, base_model_dir: Path,
                 adapter_dir: Path | None) -> None:
        offline_and_quiet()
        import torch
        from peft import LoraConfig, PeftModel, get_peft_model
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.config, self._torch = config, torch
        torch.manual_seed(config.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(base_model_dir, local_files_only=True)
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.tokenizer.eos_token_id
        base: Any = AutoModelForCausalLM.from_pretrained(base_model_dir, local_files_only=True,
                                                         dtype=torch.float32)
        base = base.to(config.device)
        with warnings.catch_warnings():  # peft calls a transformers method deprecated in v5
            warnings.filterwarnings("ignore", ".*is_gradient_checkpointing", FutureWarning)
            if adapter_dir is not None:
                self.model = PeftModel.from_pretrained(base, str(adapter_dir), is_trainable=True)
            else:
                self.model = get_peft_model(base, LoraConfig(
                    r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                    target_modules=list(config.target_modules), task_type="CAUSAL_LM"))
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate)

    def restore(self, checkpoint: Checkpoint) -> None:
        state = checkpoint.training_state()
        self.optimizer.load_state_dict(state["optimizer"])
        restore_rng(state["rng"])

    def _batch(self, examples: list[Example]) -> dict[str, Any]:
        """Right-padded ids, labels (-100 on padding) and attention mask."""
        pairs = [encode_pair(self.tokenizer, e, self.config.max_seq_length) for e in examples]
        width = max(len(ids) for ids, _ in pairs)
        rows: dict[str, list[list[int]]] = {"input_ids": [], "labels": [], "attention_mask": []}
        for ids, labels in pairs:
            pad = width - len(ids)
            rows["input_ids"].append(ids + [self.pad_id] * pad)
            rows["labels"].append(labels + [-100] * pad)
            rows["attention_mask"].append([1] * len(ids) + [0] * pad)
        return {key: self._torch.tensor(value).to(self.config.device)
                for key, value in rows.items()}

    def loss(self, examples: list[Example]) -> Any:
        return self.model(**self._batch(examples)).loss

    def step_on(self, examples: list[Example]) -> float:
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        value = self.loss(examples)
        value.backward()
        self.optimizer.step()
        return float(value.detach())

    def heldout_loss(self, examples: tuple[Example, ...]) -> dict[str, float] | None:
        if not examples:
            return None
        self.model.eval()
        with self._torch.no_grad():
            value = float(self.loss(list(examples)))
        return {"n": len(examples), "heldout_loss": value}

    def write_adapter(self, folder: Path) -> None:
        self.model.save_pretrained(str(folder))


def train_generator_lora(config: LoraTrainingConfig, dataset: Dataset,
                         base_model_dir: str | Path, out_dir: str | Path,
                         checkpoints: CheckpointStore, on_step: OnStep | None = None,
                         ) -> dict[str, Any]:
    """Train a LoRA adapter for the model in `base_model_dir`, resuming from
    `checkpoints.latest()` when there is one, and publish it to `out_dir` (atomically).
    Returns `{adapter_dir, base_model_dir, steps, loss_history, metrics_before,
    metrics_after, resumed_from_step}`; metrics are the mean loss on the held-out last
    `config.eval_examples` examples. Raises like `ml.training.embedding.train_embedding`."""
    if dataset.target != "generator":
        raise DatasetError([(0, f"a {dataset.target} dataset cannot train the generator")])
    train, heldout = dataset.split(config.eval_examples)
    schedule = Schedule(len(train), config.batch_size, config.epochs, config.max_steps,
                        config.seed)
    identity = run_identity(config, RESUME_KEYS, dataset.fingerprint)
    identity["target_modules"] = list(config.target_modules)  # as JSON reads it back
    latest = checkpoints.latest()
    info = check_resumable(latest, identity) if latest else {}
    run = _LoraRun(config, Path(base_model_dir), latest.model_dir if latest else None)
    if latest:
        run.restore(latest)
    before = info["metrics_before"] if latest else run.heldout_loss(heldout.examples)
    losses: list[float] = list(info.get("loss_history", []))

    def save(step: int) -> None:
        checkpoints.save(step, run.write_adapter, run.optimizer.state_dict(),
                         {"loss_history": losses, "metrics_before": before,
                          "identity": identity})

    def train_step(indices: list[int]) -> float:
        return run.step_on([train.examples[i] for i in indices])

    start = latest.step + 1 if latest else 1
    run_steps(schedule, start, train_step, save, config.checkpoint_every, on_step, losses)
    adapter_dir = publish_folder(run.write_adapter, out_dir)
    return {"adapter_dir": str(adapter_dir), "base_model_dir": str(base_model_dir),
            "steps": schedule.total, "loss_history": losses, "metrics_before": before,
            "metrics_after": run.heldout_loss(heldout.examples),
            "resumed_from_step": latest.step if latest else 0}
