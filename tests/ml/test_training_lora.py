"""Generator LoRA on the tiny local Llama: a few CPU steps give a standard peft adapter that
peft loads onto the base model and generates with; resume picks up the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.recipe.materials import load_materials
from ml.recipe.tiny_model import build_tiny_model
from ml.training.checkpoints import CheckpointStore
from ml.training.datasets import builtin_dataset
from ml.training.lora import LoraTrainingConfig, train_generator_lora

pytestmark = pytest.mark.model

CONFIG = LoraTrainingConfig(batch_size=2, max_steps=4, checkpoint_every=2, max_seq_length=256,
                            eval_examples=2, learning_rate=1e-3)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), load_materials().ids())


# peft 0.21 calls a transformers 5 method deprecated for v6 when it wraps a model.
@pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing:FutureWarning")
def test_lora_run_writes_an_adapter_that_peft_loads_and_generates_with(
        tiny_model: Path, tmp_path: Path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dataset = builtin_dataset("generator-pairs", limit=10)
    result = train_generator_lora(CONFIG, dataset, tiny_model, tmp_path / "adapter",
                                  CheckpointStore(tmp_path / "ck"))
    adapter = Path(result["adapter_dir"])
    settings = json.loads((adapter / "adapter_config.json").read_text())
    assert (adapter / "adapter_model.safetensors").is_file()
    assert settings["peft_type"] == "LORA" and settings["r"] == CONFIG.rank
    assert settings["base_model_name_or_path"] == str(tiny_model)
    assert result["steps"] == 4 and len(result["loss_history"]) == 4
    assert result["metrics_after"]["heldout_loss"] < result["metrics_before"]["heldout_loss"]

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_model), adapter)
    prompt = tokenizer(dataset.examples[0].source[-300:], return_tensors="pt")
    output = model.generate(**prompt, max_new_tokens=8, do_sample=False,
                            pad_token_id=tokenizer.pad_token_id)
    assert output.shape[1] == prompt["input_ids"].shape[1] + 8


def test_lora_resumes_from_its_checkpoint(tiny_model: Path, tmp_path: Path) -> None:
    dataset = builtin_dataset("generator-pairs", limit=10)
    store = CheckpointStore(tmp_path / "ck")

    def kill_at_3(step: int, total: int, loss: float) -> None:
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_generator_lora(CONFIG, dataset, tiny_model, tmp_path / "adapter", store, kill_at_3)
    result = train_generator_lora(CONFIG, dataset, tiny_model, tmp_path / "adapter",
                                  CheckpointStore(tmp_path / "ck"))
    assert result["resumed_from_step"] == 2 and len(result["loss_history"]) == 4
