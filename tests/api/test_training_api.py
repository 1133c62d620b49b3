"""The training and model-registry endpoints: scopes, dataset checks with line errors,
202 jobs on the training queue, list / promote / rollback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey, KeyRing
from core.models import ModelVersion
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


def test_models_are_listed_promoted_and_rolled_back(api: TestClient, trainer: IssuedKey,
                                                   registry: ModelRegistry,
                                                   key_ring: KeyRing) -> None:
    parent = registry.register(target="embedding", path="/m/a", dataset={"name": "x"},
                               metrics={}, activate=True)
    child = registry.register(target="embedding", path="/m/b", dataset={"name": "x"},
                              metrics={"gate": {"passed": False}}, parent_id=parent.id,
                              job_id=str(uuid.uuid4()))
    listed = api.get("/api/v1/models", headers=auth(trainer)).json()["items"]
    assert [(m["id"], m["state"]) for m in listed] == [(child.id, "candidate"),
                                                       (parent.id, "active")]
    assert api.get("/api/v1/models?state=candidate",
                   headers=auth(trainer)).json()["items"][0]["id"] == child.id

    # the registry serves every tenant: promotion and rollback are admin calls
    assert api.post(f"/api/v1/models/{child.id}/promote",
                    headers=auth(trainer)).status_code == 403
    admin = key_ring.issue("ops", ["admin"])
    promoted = api.post(f"/api/v1/models/{child.id}/promote", headers=auth(admin))
    assert promoted.status_code == 200 and promoted.json()["state"] == "active"
    assert registry.get(parent.id).state == "retired"

    assert api.post(f"/api/v1/models/{child.id}/rollback",
                    headers=auth(trainer)).status_code == 403
    rolled = api.post(f"/api/v1/models/{child.id}/rollback", headers=auth(admin))
    assert rolled.status_code == 200, rolled.text
    assert rolled.json()["rolled_back"]["state"] == "retired"
    assert rolled.json()["active"]["id"] == parent.id
    again = api.post(f"/api/v1/models/{child.id}/rollback", headers=auth(admin))
    assert again.status_code == 409 and again.json()["version_state"] == "retired"
    assert api.post("/api/v1/models/nope/promote", headers=auth(admin)).status_code == 404


def test_a_version_names_its_training_job_to_that_jobs_tenant_only(
        api: TestClient, trainer: IssuedKey, key_ring: KeyRing) -> None:
    job_id = api.post("/api/v1/training", headers=auth(trainer),
                      json={"target": "embedding"}).json()["id"]
    api.app.state.models.register(  # type: ignore[attr-defined]
        target="embedding", path="/m/c", dataset={"name": "x"}, metrics={}, job_id=job_id)
    other = key_ring.issue("other-lab", ["training"])
    admin = key_ring.issue("ops", ["admin"])

    def job_ids(key: IssuedKey) -> list[str | None]:
        items = api.get("/api/v1/models", headers=auth(key)).json()["items"]
        return [m["job_id"] for m in items]

    assert job_ids(trainer) == [job_id] and job_ids(admin) == [job_id]
    assert job_ids(other) == [None]
