"""The OpenAPI document matches the API: every error a route answers is documented, every
documented error is problem+json with its headers, operation ids are stable, the examples
are valid requests, the typed results name what the pipelines produce, and the docs pages
load nothing from a CDN."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.results import PerfumeHit, RecipeResult, SearchResult
from core.keys import KeyRing

pytestmark = pytest.mark.integration

# operation ids clients are generated with: never renamed (new routes add theirs)
STABLE_IDS = {
    "healthz", "health", "readyz", "metrics", "submit_search", "submit_recipe",
    "submit_recipe_batch", "validate_recipe", "submit_training", "list_models",
    "promote_model", "rollback_model", "get_batch", "batch_items", "batch_results",
    "batch_events", "cancel_batch", "get_job", "list_jobs", "cancel_job", "job_events",
    "list_deliveries", "redeliver", "list_keys", "revoke_key", "rotate_secret"}
PROBLEM = "application/problem+json"


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get("/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, operation) for path, operations in document["paths"].items()
            for method, operation in operations.items()]


def test_operation_ids_are_the_route_names_and_the_published_ones_stay(
        document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    assert set(ids) >= STABLE_IDS
    assert all(re.fullmatch(r"[a-z][a-z_]*", op_id) for op_id in ids), ids


def test_every_documented_error_is_problem_json_with_its_headers(
        document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in _operations(document):
        for status, answer in operation["responses"].items():
            if int(status) < 400:
                continue
            where = f"{method.upper()} {path} {status}"
            assert list(answer["content"]) == [PROBLEM], where
            assert answer["content"][PROBLEM]["schema"] == {
                "$ref": "#/components/schemas/Problem"}, where
            headers = set(answer.get("headers", {}))
            if status == "429":
                assert {"Retry-After", "RateLimit", "RateLimit-Policy"} <= headers, where
            if status == "503":
                assert "Retry-After" in headers, where


def test_submits_document_the_wait_answer_examples_and_typed_results(
        document: dict[str, Any]) -> None:
    paths = document["paths"]
    for path, model in (("/api/v1/search/semantic", "SearchJob"),
                        ("/api/v1/generate/recipe", "RecipeJob")):
        operation = paths[path]["post"]
        for status in ("200", "202"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{model}"}, (path, status)
        assert "Preference-Applied" in operation["responses"]["200"]["headers"]
        assert {"idempotency-key", "prefer"} <= {p["name"].lower() for p in operation["parameters"]}
    for path in ("/api/v1/search/semantic", "/api/v1/generate/recipe",
                 "/api/v1/generate/batch", "/api/v1/training"):
        body = paths[path]["post"]["requestBody"]["content"]["application/json"]
        assert len(body["examples"]) >= 2, path
    job = paths["/api/v1/jobs/{job_id}"]["get"]["responses"]["200"]["content"]
    assert job["application/json"]["schema"]["discriminator"]["propertyName"] == "kind"
    security = document["components"]["securitySchemes"]
    assert any(scheme == {"type": "http", "scheme": "bearer", "description": scheme.get(
        "description")} for scheme in security.values())


def _fill(path: str) -> str:
    ids = {"job_id": str(uuid.uuid4()), "batch_id": str(uuid.uuid4()),
           "version_id": str(uuid.uuid4()), "delivery_id": "msg_" + "0" * 32,
           "key_id": "0" * 32}
    return re.sub(r"{(\w+)}", lambda m: ids[m.group(1)], path)


def _probes(route: APIRoute, keys: dict[str, str]) -> list[dict[str, Any]]:
    """Requests a client could get wrong: no key, a bad key, a key lacking scopes, and with
    every scope: unknown ids, a bad body, a body too large, bad query and header values."""
    url = _fill(route.path)
    probes: list[dict[str, Any]] = [
        {"url": url}, {"url": url, "headers": {"Authorization": "Bearer fk_" + "x" * 43}},
        {"url": url, "key": "narrow"}, {"url": url, "key": "wide"},
        {"url": url + "?limit=0&status=bogus&scope=nowhere", "key": "wide"},
        {"url": url, "key": "wide", "headers": {"Last-Event-ID": "later"}}]
    if route.body_field is not None:
        probes += [{"url": url, "key": "wide", "json": {"bogus": 1}},
                   {"url": url, "key": "wide", "content": b"{" * 3},
                   {"url": url, "key": "wide", "json": {"padding": "x" * 5000}}]
    for probe in probes:
        if "key" in probe:
            probe["headers"] = {**probe.get("headers", {}),
                                "Authorization": f"Bearer {keys[probe.pop('key')]}"}
    return probes


def test_a_batch_is_documented_with_this_deployments_limit(document: dict[str, Any]) -> None:
    requests = document["components"]["schemas"]["BatchIn"]["properties"]["requests"]
    assert requests["maxItems"] == 1000  # `batch_max_items`, what a larger batch is refused at


def test_the_training_upload_format_is_documented(document: dict[str, Any]) -> None:
    lines = document["components"]["schemas"]["TrainingIn"]["properties"]["dataset_lines"]
    for field in ('"query"', '"positive"', '"prompt"', '"completion"'):
        assert field in lines["description"], field


def test_every_error_a_route_answers_is_documented_and_is_a_problem(
        client: TestClient, document: dict[str, Any], key_ring: KeyRing) -> None:
    keys = {"narrow": key_ring.issue("narrow", ["search"]).api_key,
            "wide": key_ring.issue("wide", ["search", "generate", "training",
                                            "admin"]).api_key}
    routes = [r for r in client.app.routes if isinstance(r, APIRoute) and r.include_in_schema]
    answered: set[tuple[str, int]] = set()
    for route in routes:
        for method in route.methods:
            documented = document["paths"][route.path][method.lower()]["responses"]
            for probe in _probes(route, keys):
                answer = client.request(method, probe.pop("url"), **probe)
                where = f"{method} {route.path} -> {answer.status_code}: {answer.text[:200]}"
                if answer.status_code < 400:
                    continue
                answered.add((route.name, answer.status_code))
                assert str(answer.status_code) in documented, where
                assert answer.headers["content-type"] == PROBLEM, where
                assert answer.json()["status"] == answer.status_code, where
    # the probes reached every kind of error, not only 401s
    assert {status for _, status in answered} >= {401, 403, 404, 413, 422, 503}


def test_every_submit_example_is_a_valid_request(
        client: TestClient, document: dict[str, Any], key_ring: KeyRing) -> None:
    from core.url_policy import UrlPolicy

    policy: UrlPolicy = client.app.state.url_policy
    client.app.state.url_policy = replace(policy, resolver=lambda host, port: ["93.184.215.14"])
    for path in ("/api/v1/search/semantic", "/api/v1/generate/recipe",
                 "/api/v1/generate/batch", "/api/v1/training"):
        examples = document["paths"][path]["post"]["requestBody"]["content"][
            "application/json"]["examples"]
        for name, example in examples.items():  # a tenant each: training allows 2 open jobs
            key = key_ring.issue(name, ["search", "generate", "training"]).api_key
            answer = client.post(path, json=example["value"],
                                 headers={"Authorization": f"Bearer {key}"})
            assert answer.status_code == 202, (path, name, answer.text)


def test_the_typed_recipe_result_names_what_the_pipeline_produces() -> None:
    from ml.recipe.brief import Brief
    from ml.recipe.generator import FormulatorGenerator
    from ml.recipe.materials import load_materials
    from ml.recipe.pipeline import RecipePipeline

    materials = load_materials()
    outcome = RecipePipeline(FormulatorGenerator(materials), materials).run(
        Brief.from_dict({"fragrance_family": "floral", "season": "spring"}))
    produced = {**outcome.to_dict(), "generator_version_id": None,
                "retrieval_model_version_id": None}  # added by the recipe worker
    typed = RecipeResult.model_validate(produced)
    assert set(RecipeResult.model_fields) <= set(produced)
    assert typed.formula is not None and typed.validation is not None
    assert set(type(typed.formula).model_fields) <= set(produced["formula"])
    assert set(type(typed.validation).model_fields) <= set(produced["validation"])


def test_the_typed_search_result_names_what_the_search_produces() -> None:
    from ml.documents import documents
    from ml.facets import FacetHints
    from ml.knowledge.catalog import Catalog
    from ml.search_protocol import SearchHit
    from ml.search_protocol import SearchResult as Produced

    document = documents(Catalog.load(), "perfume")[0]  # what the index stores
    hit = SearchHit(id=document.id, kind="perfume", score=0.9, payload=document.payload,
                    matched_notes=("rose",), notes={"top": ["rose"]})
    result = Produced(query="rose", interpreted_query="rose", lang="en",
                      search_type="hybrid", model_version="m", hints=FacetHints(),
                      hits=(hit,))
    produced = {**result.to_dict(), "model_version_id": None,
                "cached": False}  # added by the search runtime
    typed = SearchResult.model_validate(produced)
    assert set(SearchResult.model_fields) <= set(produced)
    assert isinstance(typed.hits[0], PerfumeHit)
    assert set(PerfumeHit.model_fields) <= set(produced["hits"][0])


def test_the_docs_pages_load_their_assets_from_this_server(client: TestClient) -> None:
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources and all(src.startswith("/docs/static/") for src in sources), sources
        assert f"/docs/static/{asset}" in sources
        served = client.get(f"/docs/static/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000
