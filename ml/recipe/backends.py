"""Choosing a generator back end by name (a worker's configuration) behind one protocol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ml.recipe.generator import FormulatorGenerator, Generator
from ml.recipe.materials import MaterialBook

BACKENDS = ("formulator", "transformers", "vllm", "openai")


def build_generator(name: str, materials: MaterialBook,
                    options: Mapping[str, Any] | None = None) -> Generator:
    """Build the named back end; heavy libraries load only for the one chosen. With
    `adapter_path` the transformers and vLLM back ends serve that LoRA adapter.

    Raises ValueError for an unknown name or a missing required option.
    """
    options = dict(options or {})
    if name == "formulator":
        return FormulatorGenerator(materials)
    if name == "transformers":
        from ml.recipe.transformers_backend import TransformersGenerator

        return TransformersGenerator(_required(options, "model_path"), materials,
                                     device=options.get("device") or "cpu",
                                     max_new_tokens=int(options.get("max_tokens") or 384),
                                     adapter_dir=options.get("adapter_path"))
    if name == "vllm":
        from ml.recipe.vllm_backend import VLLMGenerator

        engine = {key: options[key] for key in ("dtype", "max_model_len", "enforce_eager",
                                                "kv_cache_memory_bytes", "gpu_memory_utilization")
                  if options.get(key)}
        return VLLMGenerator(_required(options, "model_path"), materials,
                             max_new_tokens=int(options.get("max_tokens") or 512),
                             adapter_dir=options.get("adapter_path"), **engine)
    if name == "openai":
        from ml.recipe.openai_backend import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(_required(options, "base_url"),
                                         _required(options, "model"), materials)
    raise ValueError(f"generator back end {name!r} is not one of {BACKENDS}")


def _required(options: Mapping[str, Any], key: str) -> str:
    value = options.get(key)
    if not value:
        raise ValueError(f"the generator back end needs generator_{key} to be set")
    return str(value)
