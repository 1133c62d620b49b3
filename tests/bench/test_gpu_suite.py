"""`fragrance bench gpu` runs its CUDA code path on whatever device there is: here, the CPU
(a GPU host runs the same functions with `cuda`). Each part at its smallest size."""

from __future__ import annotations

import pytest

from bench.suites import gpu

pytestmark = [pytest.mark.model, pytest.mark.timeout(600)]


def test_encode_rates_per_batch_size_on_the_device() -> None:
    rates = gpu.encode_rates("cpu", batches=(1, 4), texts=8)
    assert set(rates) == {1, 4} and all(rate > 0 for rate in rates.values())


def test_the_search_pipeline_in_process_on_the_device() -> None:
    local = gpu.search_in_process("cpu", queries=8, batch=4)
    assert local["batched_qps"] > 0 and local["single_p50_s"] > 0


def test_the_generator_back_end_on_the_device() -> None:
    assert gpu.generator_rate("cpu", briefs=2)["formulas_per_s"] > 0


def test_both_training_targets_on_the_device() -> None:
    rates = gpu.training_rates("cpu", steps=1)
    assert rates["embedding_steps_per_s"] > 0 and rates["lora_steps_per_s"] > 0


def test_the_device_is_cuda_only_where_torch_sees_one() -> None:
    import torch

    assert gpu.device() == ("cuda" if torch.cuda.is_available() else "cpu")
