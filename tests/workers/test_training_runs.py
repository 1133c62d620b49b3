"""A training job through the real runner, store and registry (PostgreSQL), the real trainer
on CPU, without Celery: a worker dying mid-run, the lease fencing a duplicate delivery, and
the redelivery resuming from the last checkpoint and registering exactly one version."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from core.database import make_engine, make_session_factory
from core.errors import VersionStateRefused
from core.models import ModelVersion
from core.registry import ModelRegistry
from core.runner import Checkpoint, JobRunner, RunOutcome
from core.store import JobStore
from core.views import Claim
from tasks.training import decode_training_request, evaluation_interrupt, step_reporter
from tests.e2e.harness import wait_until
from workers.training import TrainingDefaults, TrainingRuns

pytestmark = [pytest.mark.integration, pytest.mark.model]


class WorkerDied(BaseException):
    """Stands for SIGKILL: nothing in the runner catches it, the job stays leased."""


@pytest.fixture
def stores(pg_url: str) -> Iterator[tuple[JobStore, ModelRegistry]]:
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    yield JobStore(sessions), ModelRegistry(sessions)
    with sessions.begin() as session:
        session.execute(delete(ModelVersion))
    engine.dispose()


def pair_lines(count: int = 16) -> list[str]:
    from ml.training.datasets import builtin_dataset

    return [json.dumps({"query": e.source, "positive": e.target})
            for e in builtin_dataset("embedding-pairs").examples[:count]]


def embedding_run(store: JobStore, registry: ModelRegistry, tmp_path: Path,
                  max_steps: int) -> tuple[TrainingRuns, Any]:
    """A small embedding training job of tenant `t` (auto-promote asked), and the runs."""
    runs = TrainingRuns(registry, tmp_path, TrainingDefaults(
        batch_size=4, checkpoint_every=2, embedding_max_seq_length=32,
        embedding_learning_rate=5e-5))
    job, _ = store.create(tenant_id="t", kind="training", input={
        "target": "embedding", "dataset_lines": pair_lines(), "max_steps": max_steps,
        "evaluate": False, "auto_promote": True, "seed": 0})
    return runs, job


def test_a_redelivered_job_resumes_from_its_checkpoint_and_registers_once(
        stores: tuple[JobStore, ModelRegistry], tmp_path: Path) -> None:
    store, registry = stores
    runs, job = embedding_run(store, registry, tmp_path, max_steps=4)

    def work(die_at: int | None) -> Any:
        def run(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
            report = step_reporter(checkpoint)

            def on_step(step: int, total: int, loss: float) -> None:
                report(step, total, loss)
                if step == die_at:
                    raise WorkerDied

            return runs.run(claim.job_id, claim.tenant_id, decode_training_request(claim.input),
                            on_step)
        return run

    with pytest.raises(WorkerDied):
        JobRunner(store, lease_s=3).run(job.id, "delivery-1", work(die_at=3))
    assert store.get_any(job.id).status == "running"  # type: ignore[union-attr]
    # while the dead worker's lease lives, a duplicate delivery cannot run the job
    assert JobRunner(store, lease_s=3).run(job.id, "delivery-2", work(None)) == \
        RunOutcome.SKIPPED

    rescuer = JobRunner(store, lease_s=60)
    outcome = wait_until(lambda: (o := rescuer.run(job.id, "delivery-3", work(None)))
                         != RunOutcome.SKIPPED and o, 30, "the lease to expire")
    assert outcome == RunOutcome.SUCCEEDED
    done = store.get_any(job.id)
    assert done is not None and done.attempts == 2 and done.result is not None
    assert done.result["resumed_from_step"] == 2 and done.result["steps"] == 4
    assert done.result["state"] == "candidate"  # no evaluation: the gate holds it back
    assert not done.result["gate"]["passed"]
    versions = [v for v in registry.list(None) if v.job_id == job.id]
    assert [v.id for v in versions] == [done.result["model_version"]]
    assert Path(versions[0].path, "config_sentence_transformers.json").is_file()


def test_a_cancel_after_the_last_step_leaves_no_model_to_serve(
        stores: tuple[JobStore, ModelRegistry], tmp_path: Path) -> None:
    """The cancel comes after the last step's check: the run registers its version, the
    success is recorded as canceled, and the version is withdrawn (`TrainingRuns.settle`,
    as `training.run` calls it); a leftover of such a run cannot be promoted."""
    store, registry = stores
    runs, job = embedding_run(store, registry, tmp_path, max_steps=2)
    results: list[dict[str, Any]] = []

    def work(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
        report = step_reporter(checkpoint)

        def on_step(step: int, total: int, loss: float) -> None:
            report(step, total, loss)
            if step == total:  # past the last check: the run goes on to register
                store.request_cancel("t", claim.job_id)

        results.append(runs.run(claim.job_id, claim.tenant_id,
                                decode_training_request(claim.input), on_step))
        return results[-1]

    outcome = JobRunner(store, lease_s=60).run(job.id, "delivery-1", work)
    assert outcome == RunOutcome.CANCELED
    (result,) = results
    leftover = registry.get(result["model_version"])  # registered before the cancel won
    with pytest.raises(VersionStateRefused, match="training job was canceled"):
        registry.promote(leftover.id, "t")
    assert Path(leftover.path).is_dir()
    runs.settle(job.id, "t", result, succeeded=False)
    assert [v for v in registry.list(None) if v.job_id == job.id] == []
    assert not Path(leftover.path).exists()  # no model folder left behind
    assert registry.active("embedding", "t") is None


def test_a_cancel_during_the_evaluation_before_training_stops_it_there(
        stores: tuple[JobStore, ModelRegistry], tmp_path: Path) -> None:
    """The held-out evaluation before the first step encodes the whole catalogue with no
    step boundary (14 s idle here, a minute on a busy host): a cancel waited for it. The
    task's `evaluation_interrupt` asks the store between batches."""
    store, registry = stores
    runs, job = embedding_run(store, registry, tmp_path, max_steps=2)
    steps: list[int] = []

    def work(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
        store.request_cancel("t", claim.job_id)  # while the run starts
        report = step_reporter(checkpoint)
        request = decode_training_request({**claim.input, "evaluate": True})
        return runs.run(claim.job_id, claim.tenant_id, request,
                        lambda step, total, loss: (steps.append(step),
                                                   report(step, total, loss)),
                        evaluation_interrupt(checkpoint))

    assert JobRunner(store, lease_s=60).run(job.id, "delivery-1", work) == RunOutcome.CANCELED
    assert steps == []  # stopped in the evaluation, before any step
    assert [v for v in registry.list(None) if v.job_id == job.id] == []


# peft 0.21 calls a transformers 5 method deprecated for v6 when it wraps a model.
@pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing:FutureWarning")
def test_a_generator_job_registers_a_lora_adapter(stores: tuple[JobStore, ModelRegistry],
                                                  tmp_path: Path) -> None:
    from ml.training.datasets import builtin_dataset

    store, registry = stores
    runs = TrainingRuns(registry, tmp_path, TrainingDefaults(
        batch_size=2, checkpoint_every=2, generator_max_seq_length=64,
        generator_learning_rate=1e-3))
    lines = [json.dumps({"prompt": e.source, "completion": e.target})
             for e in builtin_dataset("generator-pairs", limit=10).examples]
    job, _ = store.create(tenant_id="t", kind="training", input={
        "target": "generator", "dataset_lines": lines, "max_steps": 2, "seed": 0})
    steps: list[int] = []

    def work(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
        report = step_reporter(checkpoint)

        def on_step(step: int, total: int, loss: float) -> None:
            steps.append(step)
            report(step, total, loss)

        return runs.run(claim.job_id, claim.tenant_id, decode_training_request(claim.input),
                            on_step)

    assert JobRunner(store, lease_s=60).run(job.id, "d-1", work) == RunOutcome.SUCCEEDED
    result = store.get_any(job.id).result  # type: ignore[union-attr]
    assert steps == [1, 2] and result is not None and result["target"] == "generator"
    # a candidate until the success is recorded; `training.run` then settles it
    assert registry.get(result["model_version"]).state == "candidate"
    runs.settle(job.id, "t", result, succeeded=True)
    assert "model_dir" not in result and "base_model_dir" not in result  # no server paths
    assert result["metrics_before"]["n"] == 2 and "heldout_loss" in result["metrics_after"]
    version = registry.get(result["model_version"])
    assert Path(version.path, "adapter_config.json").is_file()
    assert version.path == str(tmp_path / "generator" / job.id)
    assert version.target == "generator" and version.job_id == job.id
    assert version.state == ("active" if result["gate"]["passed"] else "candidate")
    # the formulator (these defaults' back end) loads no adapter: the result says so (an
    # "active" version that never served, without a word)
    assert result["notes"] and "loads no adapter" in result["notes"][0]


def test_a_succeeded_run_frees_the_tenants_versions_beyond_the_kept_ones(
        stores: tuple[JobStore, ModelRegistry], tmp_path: Path) -> None:
    """Each version is a model folder on the shared disk: after a run succeeds, the
    tenant's versions of its target beyond `versions_kept` go, folders too, and a path
    outside the model store is never deleted."""
    _, registry = stores
    runs = TrainingRuns(registry, tmp_path, TrainingDefaults(versions_kept=1))
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    folders = []
    for n in range(3):
        folder = tmp_path / "embedding" / f"job-{n}"
        folder.mkdir(parents=True)
        folders.append(folder)
        time.sleep(0.002)
        registry.register(target="embedding", path=str(folder), dataset={}, metrics={},
                          tenant_id="t")
    registry.register(target="embedding", path=str(outside), dataset={}, metrics={},
                      tenant_id="t")
    time.sleep(0.002)  # the newest by its time, whatever the clock's resolution
    newest = registry.register(target="embedding", path=str(tmp_path / "embedding" / "new"),
                               dataset={}, metrics={}, tenant_id="t")
    runs.settle("job-new", "t", {"model_version": newest.id, "target": "embedding",
                                 "state": "candidate"}, succeeded=True)
    assert [v.id for v in registry.list("t")] == [newest.id]
    assert not any(folder.exists() for folder in folders) and outside.exists()
