"""GPU: what a CUDA device does with the models, and what the queue costs next to it.

- encode: the embedding model's texts/s at batch 1, 2, 4 ... 2,048 on the device (fp16 on
  CUDA), from the shipped model or `FRAGRANCE_BENCH_MODEL_DIR` (e.g. an fp16 copy of
  MiniLM carried to a GPU host);
- search: the pipeline in process on the device (batched) against the same pipeline behind
  the queue, with a worker on the device (`CUDA_VISIBLE_DEVICES=0`, `FRAGRANCE_DEVICE=cuda`:
  what `fragrance worker --gpu 0` sets). The queue's share of the worker's time at
  saturation is 1 - (queue jobs/s / in-process q/s); target (issue 12) <= 20 %;
- generator: the transformers back end's formulas/s on the device (a tiny Llama built
  offline: the cost of the back end and its grammar around a model, not of a large model);
- training: optimizer steps/s of both targets on the device (the embedding fine-tune and
  the generator's LoRA adapter).

Without CUDA it measures the CPU the same way and says so: CI runs this code path. The
queue part needs a `redis-server` binary; it uses the bench's PostgreSQL where one answers
and a SQLite job store otherwise (a GPU host has neither service installed). Sizes shrink
with `FRAGRANCE_BENCH_GPU_SCALE` (a fraction, for a quick run)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.report import Row, SuiteResult
from bench.workload import search_queries, single_query_p50

BATCHES = tuple(2 ** i for i in range(12))  # 1 .. 2,048
QUEUE_SHARE_TARGET = 0.20
PATH = "/api/v1/search/semantic"


def device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def scale() -> float:
    return min(1.0, max(0.01, float(os.environ.get("FRAGRANCE_BENCH_GPU_SCALE", "1"))))


def model_dir() -> str | None:
    return os.environ.get("FRAGRANCE_BENCH_MODEL_DIR") or None


def _sync(on: str) -> None:
    if on == "cuda":
        import torch

        torch.cuda.synchronize()


def encode_rates(on: str, batches: Sequence[int] = BATCHES, texts: int = 2_048,
                 half: bool | None = None) -> dict[int, float]:
    """Texts/s of one `encode` call per batch size, on `on` (fp16 on CUDA unless `half`
    says otherwise), over `texts` catalogue documents (each batch size encodes them all)."""
    from ml.documents import perfume_text
    from ml.embeddings import shipped_model_path
    from ml.hub import offline_and_quiet
    from ml.knowledge import Catalog

    offline_and_quiet()
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_dir() or str(shipped_model_path()), device=on,
                                local_files_only=True)
    if half if half is not None else on == "cuda":
        model = model.half()
    documents = [perfume_text(p) for p in Catalog.load().perfumes]
    corpus = (documents * (texts // len(documents) + 1))[:texts]
    rates = {}
    for batch in batches:
        model.encode(corpus[:batch], batch_size=batch, show_progress_bar=False)  # warm
        _sync(on)
        started = time.perf_counter()
        model.encode(corpus, batch_size=batch, show_progress_bar=False,
                     convert_to_numpy=True, normalize_embeddings=True)
        _sync(on)
        rates[batch] = len(corpus) / (time.perf_counter() - started)
    return rates


def search_in_process(on: str, queries: int = 1_024, batch: int = 256) -> dict[str, float]:
    """The search pipeline on `on`: single-query p50 and batched q/s (the queue's baseline)."""
    from ml.embeddings import SentenceTransformerEncoder
    from ml.search import SearchRequest, build_pipeline

    folder = Path(tempfile.mkdtemp(prefix="bench-gpu-index-"))
    try:
        encoder = SentenceTransformerEncoder(model_dir(), device=on, batch_size=batch)
        pipeline = build_pipeline(index_path=str(folder / "index"), encoder=encoder)
        requests = [SearchRequest(query=q, top_k=10) for q in search_queries(queries)]
        pipeline.search_many(requests[:batch])  # warm
        single = single_query_p50(pipeline, requests[:50])
        started = time.perf_counter()
        for i in range(0, len(requests), batch):
            pipeline.search_many(requests[i:i + batch])
        batched = len(requests) / (time.perf_counter() - started)
        pipeline.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {"single_p50_s": single, "batched_qps": batched}


def search_through_queue(on: str, jobs: int = 2_000) -> dict[str, Any]:
    """The same searches as jobs: a worker on `on` drains a pre-filled queue (jobs/s by the
    store's own timestamps), with a window and threads wide enough to feed its batches."""
    from bench.stack import stack
    from bench.workload import drain

    device_env = {"FRAGRANCE_DEVICE": on, "FRAGRANCE_DISPATCH_WINDOWS__SEARCH": "256"}
    if on == "cuda":
        device_env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES", "0")
    if model_dir():
        device_env["FRAGRANCE_EMBEDDING_MODEL_PATH"] = str(model_dir())
    with stack("gpu", sqlite_if_no_postgres=True, index=False, **device_env) as env:
        key = env.issue_key(("search",))
        _, base_url = env.api()
        env.worker("ops", "maintenance", "threads", 2)  # the dispatcher
        bodies = [{"query": q, "top_k": 10} for q in search_queries(jobs)]
        drained = drain(env, base_url, key.api_key, PATH, bodies, "search",
                        lambda: env.worker("gpu", "search", "threads", 64))
    return drained


def generator_rate(on: str, briefs: int = 16) -> dict[str, float]:
    """Formulas/s of the transformers back end on `on`, batched, with a tiny Llama."""
    from ml.recipe.brief import Brief
    from ml.recipe.materials import load_materials
    from ml.recipe.tiny_model import build_tiny_model
    from ml.recipe.transformers_backend import TransformersGenerator

    book = load_materials()
    folder = Path(tempfile.mkdtemp(prefix="bench-gpu-tiny-"))
    try:
        model = build_tiny_model(folder / "tiny", book.ids(), seed=0)
        generator = TransformersGenerator(model, book, device=on, max_new_tokens=384,
                                          batch_size=briefs)
        families = ("floral", "woody", "citrus", "oriental")
        requests = [Brief(families[i % len(families)], seed=i) for i in range(briefs)]
        generator.generate(requests[:2])  # warm
        _sync(on)
        started = time.perf_counter()
        generator.generate(requests)
        _sync(on)
        return {"formulas_per_s": briefs / (time.perf_counter() - started)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def training_rates(on: str, steps: int = 20) -> dict[str, float]:
    """Optimizer steps/s of the embedding fine-tune and the generator LoRA on `on`."""
    from ml.recipe.materials import load_materials
    from ml.recipe.tiny_model import build_tiny_model
    from ml.training.checkpoints import CheckpointStore
    from ml.training.datasets import builtin_dataset
    from ml.training.embedding import EmbeddingTrainingConfig, train_embedding
    from ml.training.lora import LoraTrainingConfig, train_generator_lora

    folder = Path(tempfile.mkdtemp(prefix="bench-gpu-training-"))
    try:
        rates = {}
        started = time.perf_counter()
        done = train_embedding(
            EmbeddingTrainingConfig(max_steps=steps, batch_size=16, evaluate=False,
                                    checkpoint_every=steps, device=on,
                                    base_model_dir=model_dir()),
            builtin_dataset("embedding-pairs", limit=16 * steps), folder / "embedding",
            CheckpointStore(folder / "embedding-checkpoints"))
        rates["embedding_steps_per_s"] = done["steps"] / (time.perf_counter() - started)
        base = build_tiny_model(folder / "tiny", load_materials().ids(), seed=0)
        started = time.perf_counter()
        done = train_generator_lora(
            LoraTrainingConfig(max_steps=steps, batch_size=4, checkpoint_every=steps,
                               max_seq_length=512, eval_examples=2, device=on),
            builtin_dataset("generator-pairs", limit=4 * steps + 2), base, folder / "lora",
            CheckpointStore(folder / "lora-checkpoints"))
        rates["lora_steps_per_s"] = done["steps"] / (time.perf_counter() - started)
        return rates
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run() -> SuiteResult:
    on, part = device(), scale()
    result = SuiteResult("gpu", details={"device": on})
    if on == "cpu":
        from ml.embeddings import configure_torch_for_serving

        configure_torch_for_serving(1)  # the workers' setting on a CPU, so both sides match
        result.notes.append("no CUDA device: every figure is the CPU's (the same code path); "
                            "the queue-share target is a GPU worker's, not checked here")
    else:
        import torch

        result.details["gpu"] = torch.cuda.get_device_name(0)
    texts = max(64, int(2_048 * part))
    rates = encode_rates(on, [b for b in BATCHES if b <= texts], texts)
    result.details["encode_texts_per_s"] = rates
    for batch, rate in rates.items():
        result.add(Row(f"encode, batch {batch}", rate, "texts/s"))
    local = search_in_process(on, queries=max(64, int(1_024 * part)))
    result.details["search_in_process"] = local
    result.add(Row("search in process, single query p50", local["single_p50_s"] * 1000, "ms"))
    result.add(Row("search in process, batched", local["batched_qps"], "q/s"))
    if shutil.which("redis-server"):
        queued = search_through_queue(on, jobs=max(100, int(2_000 * part)))
        result.details["search_queue"] = queued
        share = 1 - queued["drain_jobs_per_s"] / local["batched_qps"]
        result.add(Row("search jobs/s through the queue (worker drain)",
                       queued["drain_jobs_per_s"], "jobs/s", "in process, batched",
                       local["batched_qps"]))
        on_gpu = on == "cuda"
        result.add(Row("the queue's share of the worker's time", share * 100, "%", "", None,
                       f"<= {QUEUE_SHARE_TARGET:.0%}" if on_gpu else "",
                       share <= QUEUE_SHARE_TARGET if on_gpu else None))
    else:
        result.notes.append("no redis-server on this host: the queue part did not run")
    generated = generator_rate(on)
    result.details["generator"] = generated
    result.add(Row("transformers back end (tiny Llama), batched", generated["formulas_per_s"],
                   "formulas/s"))
    trained = training_rates(on, steps=max(2, int(20 * part)))
    result.details["training"] = trained
    result.add(Row("training: embedding fine-tune", trained["embedding_steps_per_s"],
                   "steps/s"))
    result.add(Row("training: generator LoRA (tiny Llama)", trained["lora_steps_per_s"],
                   "steps/s"))
    return result
