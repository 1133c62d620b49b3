"""deploy/k8s as `kubectl kustomize` renders each overlay: valid against the Kubernetes schemas
(kubernetes-validate, offline) and KEDA's CRDs (vendored in schemas/keda), and wired the way
the app needs it: KEDA watches the app's real queues, readiness ignores what scales to zero,
warm shutdown has time, GPU pods ask for a GPU, the pods' environment is a valid production
configuration."""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate.utils as k8s_schemas
import pytest
import referencing
import yaml

from api.readiness import readiness_queues
from config import load_settings
from core.kinds import KINDS
from core.states import QUEUES
from tests.deploy.conftest import OVERLAYS

pytestmark = pytest.mark.integration

KEDA_CRDS = Path(__file__).parent / "schemas" / "keda"
# the oldest Kubernetes the manifests aim at, and the newest the package knows
K8S_VERSIONS = ("1.31.0", k8s_schemas.latest_version())
# KEDA's CEL rules (x-kubernetes-validations), evaluated here in Python
CEL_RULES = {
    "!has(self.minReplicaCount) || self.minReplicaCount <= (has(self.maxReplicaCount) "
    "? self.maxReplicaCount : 100)":
        lambda spec: spec.get("minReplicaCount", 0) <= spec.get("maxReplicaCount", 100),
}
# queue -> the setting bounding its longest job: each kind's hard time limit (core.kinds)
HARD_LIMITS = {**{kind.queue: kind.time_limit_setting for kind in KINDS.values()},
               "webhooks": "webhook_timeout_s"}


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def parsed_overlays(rendered_overlays: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {name: [d for d in yaml.load_all(text, Loader=loader) if d]
            for name, text in rendered_overlays.items()}


@pytest.fixture
def docs(parsed_overlays: dict[str, list[dict[str, Any]]], overlay: str) -> list[dict[str, Any]]:
    return parsed_overlays[overlay]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def command(workload: dict[str, Any]) -> list[str]:
    return pod_spec(workload)["containers"][0]["command"]  # type: ignore[no-any-return]


def queues_of(workload: dict[str, Any]) -> set[str]:
    argv = command(workload)
    return set(argv[argv.index("--queues") + 1].split(",")) if "worker" in argv else set()


def workers(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {n: d for n, d in of_kind(docs, "Deployment").items() if queues_of(d)}


def config_data(docs: list[dict[str, Any]]) -> dict[str, str]:
    return of_kind(docs, "ConfigMap")["fragrance-config"]["data"]  # type: ignore[no-any-return]


def secret_data(docs: list[dict[str, Any]]) -> dict[str, str]:
    secret = of_kind(docs, "Secret")["fragrance-secrets"]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def container_env(docs: list[dict[str, Any]], workload: dict[str, Any]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom, then env with $(VAR)
    expanded from what came before."""
    container = pod_spec(workload)["containers"][0]
    sources = {("configMapRef", "fragrance-config"): config_data(docs),
               ("secretRef", "fragrance-secrets"): secret_data(docs)}
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        (kind, ref), = source.items()
        env.update(sources[(kind, ref["name"])])
    for var in container.get("env", []):
        unresolved = set(re.findall(r"\$\((\w+)\)", var["value"])) - set(env)
        assert not unresolved, f"{var['name']} refers to undefined {unresolved}"
        env[var["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], var["value"])
    return env


def strict(schema: Any) -> Any:
    """A CRD's OpenAPI schema as JSON Schema that, like kubeconform's strict mode, refuses
    unknown fields (the API server would silently prune them)."""
    if not isinstance(schema, dict):
        return schema
    out = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-")}
    if "properties" in schema:
        out["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get(
                "x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            out[key] = strict(schema[key])
    for key in ("anyOf", "allOf", "oneOf"):
        if key in schema:
            out[key] = [strict(s) for s in schema[key]]
    if schema.get("nullable") and "type" in schema:
        out["type"] = [schema["type"], "null"]
    return out


def cel_rules(schema: Any) -> list[str]:
    if isinstance(schema, dict):
        own = [r["rule"] for r in schema.get("x-kubernetes-validations", [])]
        return own + [r for v in schema.values() for r in cel_rules(v)]
    if isinstance(schema, list):
        return [r for v in schema for r in cel_rules(v)]
    return []


@cache
def k8s_definitions(version: str) -> referencing.Registry:  # type: ignore[type-arg]
    """kubernetes-validate's strict schemas of `version` (loaded once: they are megabytes)."""
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    definitions = k8s_schemas.schema_contents(f"{folder}/_definitions.json", version)
    return referencing.Resource.from_contents(definitions) @ referencing.Registry()


def validate_builtin(doc: dict[str, Any], version: str) -> None:
    """What kubernetes_validate.validate(doc, version, strict=True) does, with the
    definitions cached."""
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    schema = k8s_schemas.schema_contents(f"{folder}/{doc['kind'].lower()}-{api}.json", version)
    jsonschema.Draft202012Validator(schema, registry=k8s_definitions(version)).validate(doc)


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(KEDA_CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            key = (f"{crd['spec']['group']}/{version['name']}", crd["spec"]["names"]["kind"])
            schemas[key] = version["schema"]["openAPIV3Schema"]
    return schemas


def test_every_manifest_validates_against_the_kubernetes_schemas(
        docs: list[dict[str, Any]]) -> None:
    builtin = [d for d in docs if (d["apiVersion"], d["kind"]) not in crd_schemas()]
    assert {d["kind"] for d in builtin} >= {"Deployment", "Service", "PodDisruptionBudget",
                                            "Job", "ConfigMap", "Secret",
                                            "PersistentVolumeClaim"}
    for version in K8S_VERSIONS:
        for doc in builtin:
            validate_builtin(doc, version)


def test_every_keda_resource_validates_against_kedas_crds(docs: list[dict[str, Any]]) -> None:
    keda = [d for d in docs if d["apiVersion"].startswith("keda.sh/")]
    assert {d["kind"] for d in keda} == {"ScaledObject", "TriggerAuthentication"}
    for doc in keda:
        schema = crd_schemas()[(doc["apiVersion"], doc["kind"])]
        jsonschema.Draft202012Validator(strict(schema)).validate(doc)
        for rule in cel_rules(schema):
            assert rule in CEL_RULES, f"a new KEDA rule to check here: {rule}"
            assert CEL_RULES[rule](doc["spec"]), (doc["metadata"]["name"], rule)


def test_a_manifest_with_a_typo_fails_the_schema_checks(docs: list[dict[str, Any]]) -> None:
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    typo = {**scaled, "spec": {**scaled["spec"], "minReplicas": 0}}
    schema = crd_schemas()[(scaled["apiVersion"], "ScaledObject")]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(strict(schema)).validate(typo)
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    typo = {**deployment, "spec": {**deployment["spec"], "replica": 2}}
    with pytest.raises(jsonschema.ValidationError):
        validate_builtin(typo, K8S_VERSIONS[0])


def test_keda_scales_every_worker_on_exactly_the_queues_it_consumes(
        docs: list[dict[str, Any]]) -> None:
    deployments = workers(docs)
    scaled = of_kind(docs, "ScaledObject")
    auths = of_kind(docs, "TriggerAuthentication")
    targets = {s["spec"]["scaleTargetRef"]["name"]: s for s in scaled.values()}
    assert set(targets) == set(deployments)
    for name, deployment in deployments.items():
        triggers = targets[name]["spec"]["triggers"]
        broker_db = container_env(docs, deployment)["FRAGRANCE_BROKER_URL"].rsplit("/", 1)[1]
        lists = [t for t in triggers if t["type"] == "redis"]
        backlogs = [t for t in triggers if t["type"] == "postgresql"]
        assert len(lists) + len(backlogs) == len(triggers), name
        for trigger in lists:
            meta = trigger["metadata"]
            assert meta["listName"] in QUEUES, name  # Celery's list is named after the queue
            assert meta["databaseIndex"] == broker_db, name
            assert meta["addressFromEnv"] in config_data(docs), name
            assert trigger["authenticationRef"]["name"] in auths, name
        assert {t["metadata"]["listName"] for t in lists} == queues_of(deployment), name
        # fair dispatch keeps a batch's jobs in the store, not the list: a batch of 5,000
        # left the lists empty and never scaled a worker up
        env = container_env(docs, deployment)
        backlog_kinds = set()
        for trigger in backlogs:
            meta = trigger["metadata"]
            assert meta["connectionFromEnv"] in env, name
            kind = re.fullmatch(r"SELECT count\(\*\) FROM jobs WHERE kind = '(\w+)' AND "
                                r"status = 'queued' AND dispatched_at IS NULL",
                                meta["query"]).group(1)
            backlog_kinds.add(kind)
        assert backlog_kinds == queues_of(deployment) & {"search", "recipe", "training"}, name


def test_every_queue_is_consumed_by_exactly_one_deployment(docs: list[dict[str, Any]]) -> None:
    consumed = [q for d in workers(docs).values() for q in queues_of(d)]
    assert sorted(consumed) == sorted(QUEUES)


def test_readiness_leaves_out_exactly_the_queues_that_scale_to_zero(
        docs: list[dict[str, Any]]) -> None:
    deployments = workers(docs)
    always_on = {q for s in of_kind(docs, "ScaledObject").values()
                 if s["spec"]["minReplicaCount"] >= 1
                 for q in queues_of(deployments[s["spec"]["scaleTargetRef"]["name"]])}
    configured = json.loads(config_data(docs)["FRAGRANCE_READINESS_QUEUES"])
    assert set(readiness_queues(configured)) == always_on
    assert "training" not in always_on


def test_the_pods_environment_is_a_valid_production_configuration(
        docs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, workload in {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}.items():
        with monkeypatch.context() as env:
            for key, value in container_env(docs, workload).items():
                env.setenv(key, value)
            settings = load_settings()
            assert settings.current_env.lower() == "production", name
            assert settings.broker_url.startswith("redis://fragrance:"), name
            assert "training" not in readiness_queues(settings.readiness_queues), name


def test_no_secret_is_written_outside_the_secret(docs: list[dict[str, Any]]) -> None:
    passwords = {v for k, v in secret_data(docs).items() if k != "REDIS_USERNAME"}
    for doc in docs:
        if doc["kind"] != "Secret":
            text = yaml.safe_dump(doc)
            assert not any(p in text for p in passwords), doc["metadata"]["name"]
            assert not re.search(r"://\w+:\w+@", text), doc["metadata"]["name"]


def test_the_api_is_behind_a_service_with_liveness_and_readiness_probes(
        docs: list[dict[str, Any]]) -> None:
    api = of_kind(docs, "Deployment")["fragrance-api"]
    container = pod_spec(api)["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    service = of_kind(docs, "Service")["fragrance-api"]
    labels = api["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    ports = {p["name"] for p in container["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def test_disruption_budgets_cover_the_api_and_every_worker(docs: list[dict[str, Any]]) -> None:
    budgets = of_kind(docs, "PodDisruptionBudget").values()
    for name, deployment in of_kind(docs, "Deployment").items():
        if name == "fragrance-beat":  # one replica by design: a budget would only block drains
            continue
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(b["spec"]["selector"]["matchLabels"].items() <= labels.items()
                   for b in budgets), name


def test_grace_periods_let_warm_shutdown_finish_the_longest_job(
        docs: list[dict[str, Any]]) -> None:
    limits = load_settings("development")
    grace = {}
    for name, deployment in workers(docs).items():
        longest = max(limits[HARD_LIMITS[q]] if q in HARD_LIMITS else 0
                      for q in queues_of(deployment))
        grace[name] = pod_spec(deployment)["terminationGracePeriodSeconds"]
        assert grace[name] > longest, name
    assert grace["fragrance-worker-training"] == max(grace.values())


def test_gpu_workers_ask_for_one_gpu_on_a_gpu_node(docs: list[dict[str, Any]],
                                                   overlay: str) -> None:
    gpu = {n: d for n, d in of_kind(docs, "Deployment").items() if "--gpu" in command(d)}
    expected = {"cpu": set(), "gpu": {"fragrance-worker-gpu", "fragrance-worker-training"}}
    assert set(gpu) == expected[overlay]
    for name, deployment in gpu.items():
        spec = pod_spec(deployment)
        container = spec["containers"][0]
        assert command(deployment)[command(deployment).index("--gpu") + 1] == "0", name
        assert container["resources"]["requests"]["nvidia.com/gpu"] == 1, name
        assert container["resources"]["limits"]["nvidia.com/gpu"] == 1, name
        assert spec["nodeSelector"], name
        assert "fragrance-jobs-gpu" in container["image"], name
    cpu_only = [d for n, d in of_kind(docs, "Deployment").items() if n not in gpu]
    assert "nvidia.com/gpu" not in yaml.safe_dump(cpu_only)


def test_training_and_serving_share_the_models_volume(docs: list[dict[str, Any]]) -> None:
    claim = of_kind(docs, "PersistentVolumeClaim")["fragrance-models"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    store = config_data(docs)["FRAGRANCE_MODEL_STORE"]
    for name, deployment in workers(docs).items():
        if queues_of(deployment) & {"search", "recipe", "training"}:
            mounts = {m["name"]: m for m in pod_spec(deployment)["containers"][0]["volumeMounts"]}
            volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
            assert mounts["models"]["mountPath"] == store, name
            assert volumes["models"]["persistentVolumeClaim"]["claimName"] == "fragrance-models"
            writes = "training" in queues_of(deployment)
            assert mounts["models"].get("readOnly", False) is not writes, name


def test_migrations_run_as_a_job(docs: list[dict[str, Any]]) -> None:
    job = of_kind(docs, "Job")["fragrance-migrate"]
    assert "fragrance db upgrade" in " ".join(command(job))
    assert pod_spec(job)["restartPolicy"] == "OnFailure"


def test_pods_run_as_the_images_unprivileged_user(docs: list[dict[str, Any]]) -> None:
    for name, workload in {**of_kind(docs, "Deployment"), **of_kind(docs, "Job")}.items():
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] == 10001, name
        assert spec["serviceAccountName"] == "fragrance", name
        assert spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"] is False
