"""A generator's LoRA adapter (a `peft` folder, as `ml.training.lora` writes it): what the
transformers back end loads onto its model and what vLLM serves with a `LoRARequest`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# vLLM sizes its LoRA buffers for one of these ranks
VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)


@dataclass(frozen=True)
class LoraAdapter:
    path: Path
    rank: int
    base_model: Path

    @classmethod
    def load(cls, folder: str | Path, model_dir: str | Path) -> LoraAdapter:
        """The adapter in `folder`, trained on `model_dir`.

        Raises FileNotFoundError without `adapter_config.json`, ValueError when the adapter
        is not LoRA or was trained on another base model (its weights would not fit)."""
        path = Path(folder)
        config_file = path / "adapter_config.json"
        if not config_file.is_file():
            raise FileNotFoundError(f"{config_file} not found: not a peft adapter folder")
        config = json.loads(config_file.read_text("utf-8"))
        if config.get("peft_type") != "LORA":
            raise ValueError(f"{path} holds a {config.get('peft_type')} adapter, not LoRA")
        base = Path(str(config.get("base_model_name_or_path") or ""))
        if base.resolve() != Path(model_dir).resolve():
            raise ValueError(f"the adapter {path.name} was trained on {base}, not on the "
                             f"served model {model_dir}")
        return cls(path, int(config["r"]), base)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def vllm_max_rank(self) -> int:
        """The smallest rank vLLM accepts that holds this adapter."""
        return next(r for r in VLLM_LORA_RANKS if r >= self.rank)
