"""The model registry on both databases: register, promote, rollback, the one-active rule,
and the promotion gate."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import delete

from core.errors import ModelVersionNotFound, VersionStateRefused
from core.models import ModelDefault, ModelVersion
from core.promotion import promotion_gate
from core.registry import ModelRegistry, ServingIds

EMBEDDING_BEFORE = {"similarity": {"n": 18, "precision@5": 0.6, "ndcg@10": 0.66},
                    "hybrid": {"n": 18, "precision@5": 0.9, "ndcg@10": 0.96}}


def scores(similarity: float, hybrid: float) -> dict[str, dict[str, float]]:
    return {"similarity": {"n": 18, "precision@5": 0.6, "ndcg@10": similarity},
            "hybrid": {"n": 18, "precision@5": 0.9, "ndcg@10": hybrid}}


@pytest.fixture
def registry(sessions) -> Iterator[ModelRegistry]:  # type: ignore[no-untyped-def]
    def clear() -> None:  # the session-scoped databases are shared with other tests
        with sessions.begin() as session:
            session.execute(delete(ModelDefault))
            session.execute(delete(ModelVersion))

    clear()
    yield ModelRegistry(sessions)
    clear()


def register(registry: ModelRegistry, target: str = "embedding", tenant: str = "lab-a",
             **kwargs: object):  # type: ignore[no-untyped-def]
    return registry.register(target=target, path=f"/models/{uuid.uuid4().hex}",
                             dataset={"name": "embedding-pairs", "examples": 16},
                             metrics={}, tenant_id=tenant, **kwargs)  # type: ignore[arg-type]


@pytest.mark.integration
def test_a_new_version_is_a_candidate_of_its_tenant_listed_newest_first(
        registry: ModelRegistry) -> None:
    first, second = register(registry), register(registry, "generator")
    stranger = register(registry, tenant="lab-b")
    assert first.state == "candidate" and first.promoted_at is None
    assert registry.active("embedding", "lab-a") is None
    assert [v.id for v in registry.list("lab-a")] == [second.id, first.id]
    assert [v.id for v in registry.list("lab-a", target="embedding")] == [first.id]
    assert [v.id for v in registry.list("lab-b")] == [stranger.id]
    assert len(registry.list(None)) == 3  # the operator's view
    with pytest.raises(ModelVersionNotFound):
        registry.get(stranger.id, "lab-a")


@pytest.mark.integration
def test_promotion_keeps_one_active_version_per_tenant_and_target(
        registry: ModelRegistry) -> None:
    first, second = register(registry), register(registry)
    other = register(registry, "generator", activate=True)
    theirs = register(registry, tenant="lab-b", activate=True)
    assert registry.promote(first.id, "lab-a").state == "active"
    promoted = registry.promote(second.id, "lab-a")
    assert promoted.state == "active" and promoted.promoted_at is not None
    assert registry.get(first.id).state == "retired"
    assert registry.serving_id("embedding", "lab-a") == second.id
    assert registry.serving_id("generator", "lab-a") == other.id
    assert registry.serving_id("embedding", "lab-b") == theirs.id  # untouched by lab-a
    assert registry.promote(second.id, "lab-a").state == "active"  # no-op
    with pytest.raises(ModelVersionNotFound):
        registry.promote(theirs.id, "lab-a")  # another tenant's version


@pytest.mark.integration
def test_tenants_without_a_version_are_served_the_deployment_default(
        registry: ModelRegistry) -> None:
    assert registry.serving_id("embedding", "anyone") is None  # the base model
    chosen = register(registry, tenant="operator")
    registry.set_default(chosen.id)
    assert registry.serving_id("embedding", "anyone") == chosen.id
    own = register(registry, tenant="lab-a", activate=True)
    assert registry.serving_id("embedding", "lab-a") == own.id  # its own wins
    newer = register(registry, tenant="operator")
    registry.set_default(newer.id)
    assert registry.defaults() == {"embedding": newer.id, "generator": None}
    assert registry.rollback_default("embedding") == chosen.id
    assert registry.serving_id("embedding", "anyone") == chosen.id
    assert registry.rollback_default("embedding") is None  # nothing older: the base model
    with pytest.raises(VersionStateRefused):
        registry.rollback_default("embedding")


@pytest.mark.integration
def test_rollback_reactivates_the_tenants_own_parent(registry: ModelRegistry) -> None:
    parent = register(registry, activate=True)
    child = register(registry, parent_id=parent.id, activate=True)
    assert registry.get(parent.id).state == "retired"
    retired, active = registry.rollback(child.id, "lab-a")
    assert retired.state == "retired" and active is not None and active.id == parent.id
    assert registry.serving_id("embedding", "lab-a") == parent.id
    with pytest.raises(VersionStateRefused):
        registry.rollback(child.id, "lab-a")  # no longer active
    retired, active = registry.rollback(parent.id, "lab-a")  # no parent: the base model
    assert active is None and registry.active("embedding", "lab-a") is None
    assert registry.promote(child.id, "lab-a").state == "active"  # a retired one returns


@pytest.mark.integration
def test_a_tenant_cannot_roll_back_the_version_that_is_the_deployment_default(
        registry: ModelRegistry) -> None:
    """Retired in its owner's registry, it would still serve that tenant (as the default)
    while the answer said nothing served it: refused, and the operator's default goes first."""
    own = register(registry, tenant="lab-b", activate=True)
    registry.set_default(own.id)
    with pytest.raises(VersionStateRefused, match="deployment default"):
        registry.rollback(own.id, "lab-b")
    assert registry.get(own.id).state == "active"
    registry.rollback_default("embedding")
    retired, active = registry.rollback(own.id, "lab-b")
    assert retired.state == "retired" and active is None
    assert registry.serving_id("embedding", "lab-b") is None


@pytest.mark.integration
def test_a_rollback_never_activates_another_owners_version(registry: ModelRegistry) -> None:
    default = register(registry, tenant="operator")
    registry.set_default(default.id)
    child = register(registry, tenant="lab-a", parent_id=default.id, activate=True)
    _, active = registry.rollback(child.id, "lab-a")
    assert active is None and registry.get(default.id).state == "candidate"
    assert registry.serving_id("embedding", "lab-a") == default.id  # the default again


@pytest.mark.integration
def test_registering_is_idempotent_per_job(registry: ModelRegistry) -> None:
    job_id = str(uuid.uuid4())
    first = register(registry, job_id=job_id)
    again = register(registry, job_id=job_id, activate=True)
    assert again.id == first.id and again.state == "candidate"
    assert len(registry.list(None)) == 1


@pytest.mark.integration
def test_unknown_versions_and_targets_are_refused(registry: ModelRegistry) -> None:
    with pytest.raises(ModelVersionNotFound):
        registry.promote("nope", None)
    with pytest.raises(ModelVersionNotFound):
        registry.rollback("nope", "lab-a")
    with pytest.raises(ModelVersionNotFound):
        registry.set_default("nope")
    with pytest.raises(ValueError):
        register(registry, "classifier")


@pytest.mark.unit
def test_the_gate_passes_when_ndcg_did_not_get_worse() -> None:
    better = promotion_gate("embedding", EMBEDDING_BEFORE, scores(0.8, 0.97), 0.0)
    assert better.passed and "0.9600 -> 0.9700" in better.reason
    assert promotion_gate("embedding", EMBEDDING_BEFORE, EMBEDDING_BEFORE, 0.0).passed


@pytest.mark.unit
def test_the_gate_fails_when_ndcg_dropped_beyond_the_tolerance() -> None:
    worse = promotion_gate("embedding", EMBEDDING_BEFORE, scores(0.8, 0.94), 0.0)
    assert not worse.passed and "hybrid nDCG@10 fell" in worse.reason
    assert promotion_gate("embedding", EMBEDDING_BEFORE, scores(0.8, 0.94), 0.05).passed


@pytest.mark.unit
def test_the_gate_needs_both_evaluations() -> None:
    assert not promotion_gate("embedding", None, EMBEDDING_BEFORE, 1.0).passed
    assert not promotion_gate("embedding", EMBEDDING_BEFORE, None, 1.0).passed
    assert not promotion_gate("embedding", {"x": {}}, {"y": {}}, 1.0).passed


@pytest.mark.unit
def test_the_generator_gate_compares_heldout_loss() -> None:
    before = {"n": 2, "heldout_loss": 3.0}
    assert promotion_gate("generator", before, {"n": 2, "heldout_loss": 2.5}, 0.0).passed
    assert not promotion_gate("generator", before, {"n": 2, "heldout_loss": 3.2}, 0.1).passed
    assert promotion_gate("generator", before, {"n": 2, "heldout_loss": 3.05}, 0.1).passed


def test_serving_ids_answer_from_memory_while_fresh_and_keep_the_last_answer() -> None:
    answers = iter(["v-1", "v-2"])
    asked: list[str] = []

    def resolve(tenant_id: str) -> str | None:
        asked.append(tenant_id)
        answer = next(answers, None)
        if answer is None:
            raise ConnectionError("registry down")
        return answer

    ids = ServingIds(resolve, refresh_s=0.2)
    assert ids.fresh("t") is None  # never asked: the registry must be read
    assert ids("t") == "v-1" and ids.fresh("t") == ("v-1",) and ids("t") == "v-1"
    assert asked == ["t"]
    time.sleep(0.25)
    assert ids.fresh("t") is None and ids("t") == "v-2"
    time.sleep(0.25)
    assert ids("t") == "v-2"  # the registry cannot answer: the last answer stands
    assert ids.fresh("u") is None and ids("u") is None


@pytest.mark.integration
def test_a_tenants_versions_beyond_the_kept_ones_are_pruned_but_what_may_serve(
        registry: ModelRegistry) -> None:
    """Every version is a model folder (88 MB): a tenant's trainings filled the shared disk.
    Beyond the `keep` newest idle ones they go, but never the active one, its parent (its
    rollback), a deployment default (current or previous), nor another tenant's or
    target's."""
    def made(**kwargs: object):  # type: ignore[no-untyped-def]
        time.sleep(0.002)  # created in this order, whatever the clock's resolution
        return register(registry, **kwargs)

    oldest, default = made(), made()
    registry.set_default(default.id)
    parent = made(activate=True)
    idle = [made() for _ in range(4)]
    active = made(parent_id=parent.id, activate=True)
    newest = made()
    theirs, generator = register(registry, tenant="lab-b"), register(registry, "generator")
    paths = registry.prune("lab-a", "embedding", keep=2)
    left = {v.id for v in registry.list("lab-a", target="embedding")}
    assert {active.id, parent.id, default.id, newest.id} <= left
    # six idle ones (oldest, four, newest): the two newest stay
    assert left == {active.id, parent.id, default.id, newest.id, idle[-1].id}
    assert sorted(paths) == sorted(v.path for v in (oldest, *idle[:3]))
    assert registry.get(theirs.id) and registry.get(generator.id)
    assert registry.prune("lab-a", "embedding", keep=2) == ()  # nothing more to go
    assert registry.rollback(active.id, "lab-a")[1].id == parent.id
