"""``TransformersGenerator``: a local model directory on CPU or GPU (no hub download).

Greedy decoding, so the same briefs give the same outputs. Decoding is constrained to each
request's JSON schema by ``llguidance`` used as a logits processor (the library behind vLLM's
``guidance`` structured-output back end, called with the same options, so both back ends
enforce the same grammar): every completion that ends before ``max_new_tokens`` is
schema-valid JSON. A completion cut off by ``max_new_tokens`` is incomplete JSON and becomes
a ``ParseError`` outcome; repair and validation follow in the pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ml.hub import offline_and_quiet
from ml.recipe.adapters import LoraAdapter
from ml.recipe.brief import Brief
from ml.recipe.generator import GenerationOutcome, References
from ml.recipe.llm import CompletionRequest, completion_requests, outcomes_from_texts
from ml.recipe.materials import MaterialBook


class SchemaLogitsProcessor:
    """Masks, per row, every token the row's JSON-schema grammar cannot accept next.

    One ``llguidance.LLMatcher`` per row of the batch; ``prompt_len`` is the padded prompt
    width, so the first call (no generated token yet) consumes nothing. A row whose grammar
    has finished is offered end-of-sequence only; ``generate`` then pads it.
    """

    def __init__(self, matchers: Sequence[Any], prompt_len: int, vocab_size: int) -> None:
        import llguidance.torch as llg_torch
        import torch

        self._matchers = list(matchers)
        self._prompt_len = prompt_len
        self._llg_torch = llg_torch
        self._torch = torch
        self._bitmask = llg_torch.allocate_token_bitmask(len(self._matchers), vocab_size)
        self._bits = torch.arange(32, dtype=torch.int32)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if input_ids.shape[1] > self._prompt_len:
            for matcher, token in zip(self._matchers, input_ids[:, -1].tolist(), strict=True):
                if not matcher.is_stopped():
                    matcher.consume_token(token)  # on failure the matcher is in error: EOS only
        for row, matcher in enumerate(self._matchers):
            self._llg_torch.fill_next_token_bitmask(matcher, self._bitmask, row)
        # Unpack the 32-bit words in eager torch: llguidance's own apply function is
        # torch.compile'd, which costs ~20 s on a cold cache for a few microseconds of work.
        allowed = (self._bitmask.unsqueeze(-1) >> self._bits) & 1
        allowed = allowed.reshape(len(self._matchers), -1)[:, : scores.shape[1]].bool()
        return scores.masked_fill(~allowed.to(scores.device), float("-inf"))


class TransformersGenerator:
    name = "transformers"

    def __init__(
        self,
        model_dir: str | Path,
        materials: MaterialBook,
        *,
        device: str = "cpu",
        max_new_tokens: int = 384,
        batch_size: int = 16,
        adapter_dir: str | Path | None = None,
    ) -> None:
        """Load tokenizer, model and the grammar tokenizer from ``model_dir``, and the LoRA
        adapter in ``adapter_dir`` onto the model (unmerged, as vLLM applies it).

        Raises FileNotFoundError for a missing directory, ValueError for an adapter of
        another model, ImportError without ``llguidance``.
        """
        offline_and_quiet()
        import llguidance
        import llguidance.hf
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(model_dir)
        if not path.is_dir():
            raise FileNotFoundError(f"model directory {path} not found (no hub downloads)")
        self.materials = materials
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        model: Any = AutoModelForCausalLM.from_pretrained(
            path, local_files_only=True, dtype=torch.float32
        )
        adapter = LoraAdapter.load(adapter_dir, path) if adapter_dir else None
        if adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter.path)
        self.model = model.to(device).eval()
        self.model_version = f"transformers:{path.name}" + (
            f"+lora:{adapter.name}" if adapter else "")
        self._torch = torch
        self._llguidance = llguidance
        # the vocabulary size vLLM's guidance back end uses, so both build the same masks
        self._vocab_size = max(int(model.config.vocab_size), len(self.tokenizer))
        self._grammar_tokenizer = llguidance.hf.from_tokenizer(self.tokenizer, self._vocab_size)

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References] = ()
    ) -> list[GenerationOutcome]:
        requests = completion_requests(briefs, references, self.materials)
        texts: list[str | BaseException] = []
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start : start + self.batch_size]
            try:
                texts += self._complete(chunk)
            except Exception as exc:  # a failing chunk fails its own items only
                texts += [exc] * len(chunk)
        return outcomes_from_texts(requests, texts, self.materials)

    def _matcher(self, schema: dict[str, Any]) -> Any:
        llg = self._llguidance
        # whitespace_flexible=False is vLLM's disable_any_whitespace: compact JSON only, so a
        # random-weight model cannot spend its token budget on whitespace
        grammar = llg.LLMatcher.grammar_from_json_schema(
            schema, defaults={"whitespace_flexible": False}
        )
        return llg.LLMatcher(self._grammar_tokenizer, grammar)

    def _complete(self, requests: Sequence[CompletionRequest]) -> list[str]:
        from transformers import LogitsProcessorList

        encoded: Any = self.tokenizer([r.prompt for r in requests], return_tensors="pt",
                                      padding=True).to(self.device)  # fmt: skip
        prompt_len = encoded["input_ids"].shape[1]
        guide = SchemaLogitsProcessor([self._matcher(r.schema) for r in requests], prompt_len,
                                      self._vocab_size)  # fmt: skip
        with self._torch.inference_mode():
            output = self.model.generate(
                **encoded,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id,
                logits_processor=LogitsProcessorList([guide]),
            )
        return list(self.tokenizer.batch_decode(output[:, prompt_len:], skip_special_tokens=True))
