"""Training jobs end to end: HTTP API -> PostgreSQL -> Redis -> a real `training` worker
(`-Q training`) fine-tuning the shipped MiniLM on CPU for a couple of steps, and a real
search worker that serves the new version to that tenant's jobs only, without a restart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from core.database import make_engine, make_session_factory
from core.models import JobEvent, ModelDefault, ModelVersion
from tests.e2e.conftest import Stack
from tests.e2e.harness import ApiClient, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model, pytest.mark.timeout(600)]

# hours-long runs in production; here a tiny run that still takes a minute on 2 cores
LIMITS = {"FRAGRANCE_TRAINING_SOFT_TIME_LIMIT_S": "280",
          "FRAGRANCE_TRAINING_TIME_LIMIT_S": "300",
          "FRAGRANCE_VISIBILITY_TIMEOUT_S": "320"}


@pytest.fixture(autouse=True)
def empty_registry(pg_url: str) -> Iterator[None]:
    """Leave no version or deployment default behind for other e2e tests."""
    sessions = make_session_factory(make_engine(pg_url))
    yield
    with sessions.begin() as session:
        session.execute(delete(ModelDefault))
        session.execute(delete(ModelVersion))


def pair_lines(count: int = 16) -> list[str]:
    from ml.training.datasets import builtin_dataset

    examples = builtin_dataset("embedding-pairs").examples[:count]
    return [json.dumps({"query": e.source, "positive": e.target}) for e in examples]


def training_stack(make_stack: Any, tmp_path: Path, **extra: str
                   ) -> tuple[Stack, ApiClient, Path]:
    store = tmp_path / "models"
    stack: Stack = make_stack(FRAGRANCE_MODEL_STORE=str(store), **{**LIMITS, **extra})
    stack.start_worker(name="trainer", queues="training", pool="threads", concurrency=1,
                       beat=False)
    return stack, stack.client(("training",)), store


def progress_events(pg_url: str, job_id: str) -> list[dict[str, Any]]:
    sessions = make_session_factory(make_engine(pg_url))
    with sessions() as session:
        return [e.data for e in session.scalars(
            select(JobEvent).where(JobEvent.job_id == job_id, JobEvent.type == "progress")
            .order_by(JobEvent.seq))]


def submit(client: ApiClient, **body: Any) -> dict[str, Any]:
    response = client.http.post("/api/v1/training", json=body)
    assert response.status_code == 202, response.text
    return dict(response.json())


def served_version(client: ApiClient) -> str | None:
    job = client.wait_finished(client.submit_search("smoky leather with birch tar")["id"], 120)
    assert job["status"] == "succeeded", job
    version: str | None = job["result"]["model_version_id"]
    return version


def retrieval_version(client: ApiClient) -> str | None:
    job = client.wait_finished(client.submit_recipe(
        fragrance_family="woody", mood="smoky", intensity="strong", gender="masculine",
        season="winter")["id"], 120)
    assert job["status"] == "succeeded", job
    version: str | None = job["result"]["retrieval_model_version_id"]
    return version


def test_a_fine_tuned_version_is_registered_promoted_and_served(  # type: ignore[no-untyped-def]
        make_stack, pg_url: str, tmp_path: Path) -> None:
    stack, client, store = training_stack(make_stack, tmp_path)
    stack.start_worker(name="searcher", queues="search,recipe", concurrency=4, beat=False)
    searcher = stack.client(("search", "generate"), tenant_id=client.tenant_id)
    stranger = stack.client(("search", "generate"))  # another tenant
    assert served_version(searcher) is None  # the built-in base model
    assert retrieval_version(searcher) is None
    queued = submit(client, target="embedding", dataset_lines=pair_lines(), max_steps=2,
                    batch_size=8, checkpoint_every=1, learning_rate=5e-5)
    job = client.wait_finished(queued["id"], timeout=280)
    assert job["status"] == "succeeded", (job, stack.workers[0].log())
    result = job["result"]
    assert result["steps"] == 2 and result["resumed_from_step"] == 0
    assert "model_dir" not in result and "base_model_dir" not in result  # no server paths
    assert (store / "embedding" / job["id"] / "config_sentence_transformers.json").is_file()
    # a recorded success frees the run's checkpoints (the model lives in model_dir)
    wait_until(lambda: not (store / "runs" / job["id"]).exists(), 30,
               "the finished run's checkpoints to be deleted", interval=0.2)
    assert [(e["step"], e["total"]) for e in progress_events(pg_url, job["id"])] == \
        [(1, 2), (2, 2)]
    assert all(e["loss"] > 0 for e in progress_events(pg_url, job["id"]))
    before, after = result["metrics_before"], result["metrics_after"]
    print("held-out before", before, "after", after, "gate", result["gate"])
    assert before["hybrid"]["n"] == after["hybrid"]["n"] > 0  # the held-out labelled queries

    models = client.http.get("/api/v1/models").json()["items"]
    version = next(m for m in models if m["job_id"] == job["id"])
    assert version["id"] == result["model_version"] and version["target"] == "embedding"
    assert version["metrics"]["before"] == before and version["metrics"]["after"] == after
    assert version["state"] == ("active" if result["gate"]["passed"] else "candidate")
    assert version["dataset"] == {"name": "upload", "examples": 16,
                                  "fingerprint": version["dataset"]["fingerprint"]}

    admin = stack.client(("admin",), tenant_id=client.tenant_id)
    if version["state"] == "candidate":  # the gate held it back: the tenant's admin promotes
        promoted = admin.http.post(f"/api/v1/models/{version['id']}/promote")
        assert promoted.json()["state"] == "active"
    # the serving worker notices between jobs (it builds the new index in the background)
    wait_until(lambda: served_version(searcher) == version["id"], 240,
               "the search worker to serve the new version", interval=1)
    assert retrieval_version(searcher) == version["id"]  # recipes retrieve with it too
    assert served_version(stranger) is None  # another tenant's jobs: the base model still
    assert client.http.post(f"/api/v1/models/{version['id']}/rollback").status_code == 403
    rolled = admin.http.post(f"/api/v1/models/{version['id']}/rollback")
    assert rolled.status_code == 200 and rolled.json()["active"] is None
    wait_until(lambda: served_version(searcher) is None, 60,
               "the search worker to serve the base model again", interval=1)
    assert "Traceback" not in stack.workers[1].log()


def test_cancel_stops_training_at_the_next_step_and_frees_its_run(  # type: ignore[no-untyped-def]
        make_stack, pg_url: str, tmp_path: Path) -> None:
    stack, client, store = training_stack(make_stack, tmp_path)
    job_id = submit(client, target="embedding", dataset_lines=pair_lines(), max_steps=40,
                    epochs=10, batch_size=4, checkpoint_every=1, evaluate=False)["id"]
    wait_until(lambda: progress_events(pg_url, job_id), 240, "the first training step",
               interval=0.5)
    assert client.http.post(f"/api/v1/jobs/{job_id}/cancel").status_code == 200
    job = client.wait_finished(job_id, timeout=120)
    assert job["status"] == "canceled", (job, stack.workers[0].log())
    steps = [e["step"] for e in progress_events(pg_url, job_id)]
    assert steps and max(steps) < 40
    # a canceled run is final: nothing resumes from its checkpoints, which kept 520 MB a
    # run for good (a tenant canceling trainings filled the disk every tenant shares)
    wait_until(lambda: not (store / "runs" / job_id).exists(), 30,
               "the canceled run's checkpoints to be freed", interval=0.5)
    models = client.http.get("/api/v1/models").json()["items"]
    assert all(m["job_id"] != job_id for m in models)


def test_a_sigkilled_training_run_resumes_from_its_last_checkpoint(  # type: ignore[no-untyped-def]
        make_stack, pg_url: str, tmp_path: Path) -> None:
    """The training worker dies (SIGKILL, no warm shutdown, no ack); its lease lapses (10 s
    here, kept alive by the heartbeat while it lived), maintenance hands the job back, and a
    new training worker resumes it from the last checkpoint on disk, not from step zero."""
    from ml.training.checkpoints import CheckpointStore

    stack, client, store = training_stack(make_stack, tmp_path, FRAGRANCE_LEASE_S="10")
    doomed = stack.workers[0]
    stack.start_worker(name="ops", queues="maintenance", concurrency=1, beat=True)
    job_id = submit(client, target="embedding", dataset_lines=pair_lines(), max_steps=8,
                    epochs=4, batch_size=4, checkpoint_every=1, evaluate=False)["id"]
    wait_until(lambda: len(progress_events(pg_url, job_id)) >= 2, 240, "two training steps",
               interval=0.2)
    # mid-run, the busy training worker still counts for readiness (heartbeats, not pings)
    ready = client.http.get("/readyz").json()
    assert ready["queues"]["training"] == 1, ready
    doomed.kill()
    checkpoints = CheckpointStore(store / "runs" / job_id / "checkpoints")
    latest = checkpoints.latest()
    assert latest is not None and 2 <= latest.step < 8
    assert client.job(job_id)["status"] == "running"  # nobody knows yet: the lease is alive

    stack.start_worker(name="rescuer", queues="training", pool="threads", concurrency=1,
                       beat=False)
    job = client.wait_finished(job_id, timeout=240)
    assert job["status"] == "succeeded", (job, stack.workers[-1].log())
    assert job["attempts"] == 2
    assert job["result"]["resumed_from_step"] == latest.step
    assert job["result"]["steps"] == 8
    steps = [e["step"] for e in progress_events(pg_url, job_id)]
    assert steps[-(8 - latest.step):] == list(range(latest.step + 1, 9)), steps
    models = client.http.get("/api/v1/models").json()["items"]
    assert [m["job_id"] for m in models].count(job_id) == 1
    wait_until(lambda: not checkpoints.root.exists(), 30, "the checkpoints to be freed")


def test_a_trained_generator_adapter_is_served_by_a_running_recipe_worker(  # type: ignore[no-untyped-def]
        make_stack, pg_url: str, tmp_path: Path) -> None:
    """Generator LoRA end to end: a recipe worker on the transformers back end (the tiny
    local model) serves the configured model; a training job adapts that model; once the
    version is active the worker loads the adapter between batches, with no restart."""
    from ml.recipe.materials import load_materials
    from ml.recipe.tiny_model import build_tiny_model

    model = build_tiny_model(tmp_path / "tiny-generator", load_materials().ids())
    stack, client, store = training_stack(
        make_stack, tmp_path, FRAGRANCE_GENERATOR_BACKEND="transformers",
        FRAGRANCE_GENERATOR_MODEL_PATH=str(model), FRAGRANCE_GENERATOR_MAX_TOKENS="48",
        FRAGRANCE_RECIPE_RETRIEVAL="false")
    stack.start_worker(name="perfumer", queues="recipe", concurrency=2, beat=False)
    perfumer = stack.client(("generate",), tenant_id=client.tenant_id)

    def served() -> tuple[str | None, str]:
        job = perfumer.wait_finished(perfumer.submit_recipe(
            fragrance_family="floral", mood="romantic", intensity="moderate",
            gender="feminine", season="spring")["id"], 120)
        # a tiny random model rarely writes a valid formula: the outcome is kept either way
        outcome = job["result"] if job["status"] == "succeeded" else job["error"]["outcome"]
        return outcome["generator_version_id"], outcome["model_version"]

    assert served() == (None, "transformers:tiny-generator")
    job = client.wait_finished(submit(client, target="generator", dataset="generator-pairs",
                                      max_steps=2, batch_size=2, checkpoint_every=1)["id"],
                               timeout=280)
    assert job["status"] == "succeeded", (job, stack.workers[0].log())
    version = job["result"]["model_version"]
    adapter = store / "generator" / job["id"]
    assert (adapter / "adapter_config.json").is_file()
    if job["result"]["gate"]["passed"] is False:
        promoted = stack.client(("admin",), tenant_id=client.tenant_id).http.post(
            f"/api/v1/models/{version}/promote")
        assert promoted.status_code == 200
    wait_until(lambda: served()[0] == version, 120,
               "the recipe worker to serve the adapter", interval=1)
    assert served()[1] == f"transformers:tiny-generator+lora:{adapter.name}"
    assert "Traceback" not in stack.workers[1].log()
