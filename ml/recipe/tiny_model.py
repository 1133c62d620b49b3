"""Build a tiny random-weight Llama model and tokenizer offline, for tests and benchmarks.

Byte-level BPE trained with ``tokenizers`` on formula-like lines, ``LlamaConfig`` with hidden
size 128, 2 layers, 2 heads of size 64 (vLLM refuses head size 16). Deterministic for a seed.
Nothing is downloaded.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path

SPECIALS = ["<pad>", "<s>", "</s>"]


def training_lines(material_ids: Sequence[str], count: int = 400, seed: int = 0) -> list[str]:
    """Formula-like JSON lines over ``material_ids`` (what the tokenizer learns to split)."""
    rng = random.Random(seed)
    ids = list(material_ids) or ["hedione"]
    lines = []
    for _ in range(count):
        items = [{"material_id": rng.choice(ids), "pct": round(rng.uniform(0.1, 30), 2),
                  "position": rng.choice(["top", "heart", "base"])}
                 for _ in range(rng.randint(2, 6))]  # fmt: skip
        lines.append(json.dumps({"ingredients": items}))
    return lines


def build_tiny_model(
    out_dir: str | Path, material_ids: Sequence[str] = (), *, seed: int = 0, vocab_size: int = 1024
) -> Path:
    """Write a tokenizer and a ``LlamaForCausalLM`` with random weights to ``out_dir``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    raw.train_from_iterator(training_lines(material_ids, seed=seed), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>")  # fmt: skip
    tokenizer.save_pretrained(out)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=128, intermediate_size=256,
        num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, head_dim=64,
        max_position_embeddings=4096, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )  # fmt: skip
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(out)
    return out
