"""The training and model-registry endpoints: scopes, dataset checks with line errors,
202 jobs on the training queue, list / promote / rollback."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey, KeyRing
from core.models import ModelDefault, ModelVersion
from core.registry import ModelRegistry
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration

PAIRS = [json.dumps({"query": f"perfume {i}", "positive": f"a text about perfume {i}"})
         for i in range(4)]


@pytest.fixture
def api(database_url: str, redis_url: str, enqueuer: RecordingEnqueuer) -> Iterator[TestClient]:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             training_max_dataset_lines=6)
    with TestClient(create_app(settings, enqueuer=enqueuer)) as test_client:
        yield test_client


@pytest.fixture
def trainer(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("ml-engineer", ["training"])


@pytest.fixture
def registry(sessions) -> Iterator[ModelRegistry]:  # type: ignore[no-untyped-def]
    def clear() -> None:
        with sessions.begin() as session:
            session.execute(delete(ModelDefault))
            session.execute(delete(ModelVersion))

    clear()
    yield ModelRegistry(sessions)
    clear()


def test_a_training_job_is_queued_with_the_targets_builtin_dataset(
        api: TestClient, trainer: IssuedKey, enqueuer: RecordingEnqueuer) -> None:
    response = api.post("/api/v1/training", json={"target": "embedding", "max_steps": 3},
                        headers=auth(trainer))
    assert response.status_code == 202, response.text
    job = response.json()
    assert (job["kind"], job["status"]) == ("training", "queued")
    assert job["input"] == {"target": "embedding", "dataset": "embedding-pairs",
                            "max_steps": 3, "evaluate": True, "auto_promote": True, "seed": 0}
    assert enqueuer.sent == [("training", job["id"])]
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    # like every job's submit, it may wait for the finished job (none runs here: 202 late)
    started = time.monotonic()
    waited = api.post("/api/v1/training", json={"target": "embedding", "max_steps": 3},
                      headers={**auth(trainer), "Prefer": "wait=1"})
    assert waited.status_code == 202 and time.monotonic() - started >= 1.0


def test_uploaded_lines_are_kept_in_the_job(api: TestClient, trainer: IssuedKey) -> None:
    response = api.post("/api/v1/training", headers=auth(trainer), json={
        "target": "embedding", "dataset_lines": [*PAIRS, ""], "epochs": 2, "batch_size": 2,
        "learning_rate": 1e-4, "checkpoint_every": 1, "auto_promote": False})
    assert response.status_code == 202, response.text
    assert response.json()["input"]["dataset_lines"] == [*PAIRS, ""]


def test_training_needs_the_training_scope(api: TestClient, key_ring: KeyRing) -> None:
    searcher = key_ring.issue("searcher", ["search", "generate"])
    admin = key_ring.issue("admin", ["admin"])
    body = {"target": "generator"}
    denied = api.post("/api/v1/training", json=body, headers=auth(searcher))
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert api.post("/api/v1/training", json=body, headers=auth(admin)).status_code == 202
    assert api.post("/api/v1/training", json=body).status_code == 401
    assert api.get("/api/v1/models", headers=auth(searcher)).status_code == 403


def test_bad_lines_are_refused_with_one_error_per_line(api: TestClient,
                                                       trainer: IssuedKey) -> None:
    lines = [PAIRS[0], "{not json", json.dumps({"query": "rose"}),
             json.dumps({"query": "a", "positive": "b", "label": 1}), "[1, 2]"]
    response = api.post("/api/v1/training", headers=auth(trainer),
                        json={"target": "embedding", "dataset_lines": lines})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["title"] == "Dataset is not valid"
    by_line = {(e["line"], e["field"]) for e in problem["errors"]}
    assert by_line == {(2, "dataset_lines.1"), (3, "dataset_lines.2"),
                       (4, "dataset_lines.3"), (5, "dataset_lines.4")}
    messages = " | ".join(e["message"] for e in problem["errors"])
    assert "invalid JSON" in messages and "missing field 'positive'" in messages
    assert "unexpected field 'label'" in messages and "expected a JSON object" in messages


@pytest.mark.parametrize(("body", "needle"), [
    ({"target": "embedding", "dataset_lines": []}, "empty"),
    ({"target": "embedding", "dataset_lines": ["", "  "]}, "empty"),
    ({"target": "embedding", "dataset_lines": PAIRS * 2}, "too many lines"),
    ({"target": "generator", "dataset_lines": PAIRS}, "unexpected field 'query'"),
    ({"target": "embedding", "dataset": "generator-pairs"}, "no built-in embedding dataset"),
    ({"target": "embedding", "dataset": "imaginary"}, "no built-in embedding dataset"),
    ({"target": "embedding", "dataset": "embedding-pairs", "dataset_lines": PAIRS}, "not both"),
    # one example was accepted, then failed in the worker with a traceback
    ({"target": "embedding", "dataset_lines": PAIRS[:1]}, "at least 2 examples"),
    ({"target": "generator", "dataset_lines": ['{"prompt": "p", "completion": "c"}', ""]},
     "at least 2 examples"),
    # a control character inside a line's text was trained on
    ({"target": "embedding", "dataset_lines": ['{"query": "a\\u0007b", "positive": "p"}',
                                               *PAIRS[:2]]}, "control character"),
])
def test_unusable_datasets_are_refused(api: TestClient, trainer: IssuedKey,
                                       body: dict[str, object], needle: str) -> None:
    response = api.post("/api/v1/training", json=body, headers=auth(trainer))
    assert response.status_code == 422, response.text
    assert needle in json.dumps(response.json()["errors"])


def test_bad_numbers_are_field_errors(api: TestClient, trainer: IssuedKey) -> None:
    response = api.post("/api/v1/training", headers=auth(trainer),
                        json={"target": "vision", "batch_size": 1, "learning_rate": 0})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"target", "batch_size", "learning_rate"}


def test_models_are_listed_promoted_and_rolled_back_within_the_tenant(
        api: TestClient, trainer: IssuedKey, registry: ModelRegistry,
        key_ring: KeyRing) -> None:
    tenant = trainer.tenant_id
    parent = registry.register(target="embedding", path="/m/a", dataset={"name": "x"},
                               metrics={}, tenant_id=tenant, activate=True)
    child = registry.register(target="embedding", path="/m/b", dataset={"name": "x"},
                              metrics={"gate": {"passed": False}}, parent_id=parent.id,
                              tenant_id=tenant, job_id=str(uuid.uuid4()))
    listed = api.get("/api/v1/models", headers=auth(trainer)).json()
    assert [(m["id"], m["state"]) for m in listed["items"]] == [(child.id, "candidate"),
                                                                (parent.id, "active")]
    assert all(m["path"] is None and m["tenant_id"] is None for m in listed["items"])
    assert listed["deployment_defaults"] == {"embedding": None, "generator": None}
    assert api.get("/api/v1/models?state=candidate",
                   headers=auth(trainer)).json()["items"][0]["id"] == child.id

    # promotion and rollback in the tenant's own registry are its admin's calls
    assert api.post(f"/api/v1/models/{child.id}/promote",
                    headers=auth(trainer)).status_code == 403
    admin = key_ring.issue("lab-admin", ["admin"], tenant_id=tenant)
    promoted = api.post(f"/api/v1/models/{child.id}/promote", headers=auth(admin))
    assert promoted.status_code == 200 and promoted.json()["state"] == "active"
    assert registry.get(parent.id).state == "retired"

    rolled = api.post(f"/api/v1/models/{child.id}/rollback", headers=auth(admin))
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["rolled_back"]["state"] == "retired"
    assert rolled.json()["active"]["id"] == parent.id
    again = api.post(f"/api/v1/models/{child.id}/rollback", headers=auth(admin))
    assert again.status_code == 409 and again.json()["version_state"] == "retired"
    assert api.post("/api/v1/models/nope/promote", headers=auth(admin)).status_code == 404


def test_tenants_never_reach_each_others_versions_nor_the_deployment_default(
        api: TestClient, trainer: IssuedKey, registry: ModelRegistry,
        key_ring: KeyRing) -> None:
    theirs = registry.register(target="embedding", path="/m/theirs", dataset={"name": "x"},
                               metrics={}, tenant_id=trainer.tenant_id,
                               job_id=str(uuid.uuid4()))
    other_admin = key_ring.issue("other-admin", ["admin"])
    assert api.get("/api/v1/models", headers=auth(other_admin)).json()["items"] == []
    for action in ("promote", "rollback"):
        assert api.post(f"/api/v1/models/{theirs.id}/{action}",
                        headers=auth(other_admin)).status_code == 404
    own_admin = key_ring.issue("own-admin", ["admin"], tenant_id=trainer.tenant_id)
    refused = api.post(f"/api/v1/models/{theirs.id}/promote?scope=deployment",
                       headers=auth(own_admin))
    assert refused.status_code == 403  # no tenant key changes what serves everyone

    operator = key_ring.issue("ops", ["operator"])
    made = api.post(f"/api/v1/models/{theirs.id}/promote?scope=deployment",
                    headers=auth(operator))
    assert made.status_code == 200 and made.json()["path"] == "/m/theirs"
    listed = api.get("/api/v1/models", headers=auth(other_admin)).json()
    assert listed["deployment_defaults"]["embedding"] == theirs.id
    assert listed["items"] == []  # the default's id is known, its details are not
    undone = api.post(f"/api/v1/models/{theirs.id}/rollback?scope=deployment",
                      headers=auth(operator))
    assert undone.status_code == 200 and undone.json()["active"] is None
    assert api.post(f"/api/v1/models/{theirs.id}/rollback?scope=deployment",
                    headers=auth(operator)).status_code == 409


@pytest.mark.parametrize("line", ["[" * 2000 + "]" * 2000,
                                  '{"query": "rose", "positive": ' + "9" * 5000 + "}",
                                  '{"query": "rose", "positive": NaN}',
                                  '{"query": "a\\u0000b", "positive": "x"}',
                                  '{"query": "\\udc80", "positive": "x"}'])
def test_a_hostile_dataset_line_is_a_line_error_not_a_crash(api: TestClient, trainer: IssuedKey,
                                                            line: str) -> None:
    response = api.post("/api/v1/training", headers=auth(trainer),
                        json={"target": "embedding", "dataset_lines": [PAIRS[0], line]})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["line"] for e in response.json()["errors"]] == [2]


@pytest.mark.parametrize(("target", "largest"), [("embedding", 512), ("generator", 64)])
def test_a_batch_too_large_for_its_target_is_refused(api: TestClient, trainer: IssuedKey,
                                                     target: str, largest: int) -> None:
    """A generator's batch of 1,024 was accepted: 11 GB held for minutes, a cancel waiting
    for the step to end."""
    answer = api.post("/api/v1/training", headers=auth(trainer),
                      json={"target": target, "batch_size": largest + 1})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "batch_size" and str(largest) in error["message"]
    assert api.post("/api/v1/training", headers=auth(trainer),
                    json={"target": target, "batch_size": largest}).status_code == 202


def test_a_dataset_is_checked_off_the_event_loop_in_the_tenant_s_lane(
        api: TestClient, trainer: IssuedKey, key_ring: KeyRing,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Six 15 MB uploads were checked line by line on the event loop: another tenant's
    `GET /jobs` waited up to 8 s. The check now runs on a thread, and a tenant's uploads are
    received a few at a time (api.lanes, held from before the body is read): while they
    are held, the other tenant is answered and the same tenant's uploads beyond its lane
    are a 429."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from api.routes import training

    release, started = threading.Event(), threading.Semaphore(0)
    checked = training.training_input

    def held(body: object, max_lines: int) -> dict[str, object]:
        started.release()
        assert release.wait(30)
        return checked(body, max_lines)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "training_input", held)
    other = key_ring.issue("other-tenant", ["search"])
    body = {"target": "embedding", "dataset_lines": PAIRS}
    lanes = api.app.state.uploads  # type: ignore[attr-defined]
    with ThreadPoolExecutor(lanes.running + lanes.waiting) as pool:
        queued = [pool.submit(api.post, "/api/v1/training", headers=auth(trainer), json=body)
                  for _ in range(lanes.running + lanes.waiting)]
        for _ in range(lanes.running):
            assert started.acquire(timeout=10)
        answer = api.get("/api/v1/jobs", headers=auth(other))
        assert answer.status_code == 200, answer.text  # the event loop is free
        for _ in range(50):
            if lanes._queued.get(trainer.tenant_id) == lanes.running + lanes.waiting:
                break
            time.sleep(0.1)
        refused = api.post("/api/v1/training", headers=auth(trainer), json=body)
        assert refused.status_code == 429
        assert refused.json()["type"] == "/problems/too-many-concurrent"
        release.set()
        answers = [future.result() for future in queued]  # checked, then submitted (the
        # submit's own rate limit may answer some of them 429, as for any submit)
        assert 202 in [a.status_code for a in answers]
        assert all(a.status_code == 202 or a.json()["type"] != "/problems/too-many-concurrent"
                   for a in answers)


def test_a_dataset_over_the_line_limit_is_refused_before_its_lines_are_read() -> None:
    from ml.training.examples import DatasetError
    from ml.training.uploads import DatasetLimits, validate_jsonl

    lines = ["not json at all"] * 3 + ["", *PAIRS]  # 7 lines, one blank: 6 over a limit of 5
    with pytest.raises(DatasetError) as refused:
        validate_jsonl(lines, "embedding", limits=DatasetLimits(max_lines=5))
    assert refused.value.errors == [(7, "too many lines: the limit is 5")]  # no line parsed
