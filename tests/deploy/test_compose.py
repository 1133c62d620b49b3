"""docker-compose.yml, as `docker-compose config` (Debian's docker-compose) resolves it with an
env file filled in from deploy/env.example: valid for the CPU and GPU profiles, every service
watched and restarted, secrets only from the env file, no anonymous operator surface."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.stack import PROFILES as WORKER_GROUPS
from config import load_settings
from core.kinds import KINDS
from core.states import QUEUES
from tests.deploy.conftest import ROOT, filled_env_file, run

pytestmark = pytest.mark.integration

COMPOSE_FILE = ROOT / "docker-compose.yml"
PROFILES = ("cpu", "gpu")
WORKERS_BY_PROFILE = {"cpu": {"worker-models", "worker-training", "worker-ops"},
                      "gpu": {"worker-gpu", "worker-training-gpu", "worker-ops"}}


def compose(docker_compose: str, env_file: Path, *args: str,
            files: tuple[Path, ...] = (COMPOSE_FILE,)) -> dict[str, Any]:
    argv = [docker_compose, *[a for f in files for a in ("-f", str(f))],
            "--env-file", str(env_file), *args, "config"]
    result = run(argv)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    return filled_env_file(tmp_path_factory.mktemp("compose"))


@pytest.fixture(scope="module")
def config(docker_compose: str, env_file: tuple[Path, dict[str, str]]) -> dict[str, Any]:
    return compose(docker_compose, env_file[0])


@pytest.fixture(scope="module")
def passwords(env_file: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return env_file[1]


def in_profile(service: dict[str, Any], profile: str) -> bool:
    return not service.get("profiles") or profile in service["profiles"]


def worker_queues(service: dict[str, Any]) -> set[str]:
    command = service.get("command") or []
    if "worker" not in command:
        return set()
    return set(command[command.index("-Q") + 1].split(","))


def seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    return sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([hms])", duration))


def test_the_example_env_file_is_refused_until_its_passwords_are_filled_in(
        docker_compose: str) -> None:
    result = run([docker_compose, "-f", str(COMPOSE_FILE),
                  "--env-file", str(ROOT / "deploy" / "env.example"), "config"])
    assert result.returncode != 0
    assert re.search(r"set \w+_PASSWORD in \.env", result.stderr), result.stderr


@pytest.mark.parametrize("profile", PROFILES)
def test_compose_config_passes_for_each_profile_and_its_workers_take_every_queue(
        docker_compose: str, env_file: tuple[Path, dict[str, str]], profile: str) -> None:
    config = compose(docker_compose, env_file[0], "--profile", profile)
    services = config["services"]
    workers = {name for name, s in services.items()
               if in_profile(s, profile) and worker_queues(s)}
    assert workers == WORKERS_BY_PROFILE[profile]
    assert set().union(*(worker_queues(services[w]) for w in workers)) == set(QUEUES)


@pytest.mark.parametrize("profile", PROFILES)
def test_each_profile_runs_one_worker_per_group_of_the_declared_kinds(profile: str) -> None:
    """The worker services agree with the kinds' declarations (core.kinds: each kind's
    queue and worker group), as the dev stack's processes do (cli.stack): read from the
    file itself, so no docker-compose is needed. A new kind's queue must be added to the
    command of its group's workers here."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    workers = {name: worker_queues(s) for name, s in services.items()
               if in_profile(s, profile) and worker_queues(s)}
    groups = {name: set(queues.split(",")) for name, (queues, _, _) in WORKER_GROUPS.items()}
    for name, queues in workers.items():
        assert queues in groups.values(), (
            f"{name} consumes {sorted(queues)}, which is no worker group's queues: {groups}")
    assert sorted(map(sorted, workers.values())) == sorted(map(sorted, groups.values()))


def test_the_env_example_runs_the_cpu_profile(config: dict[str, Any]) -> None:
    example = (ROOT / "deploy" / "env.example").read_text()
    assert re.search(r"^COMPOSE_PROFILES=cpu$", example, re.MULTILINE)
    assert all(config["services"][w].get("profiles") in (None, ["cpu"])
               for w in WORKERS_BY_PROFILE["cpu"])


def test_every_service_has_a_healthcheck_and_a_restart_policy(config: dict[str, Any]) -> None:
    services = config["services"]
    awaited = {dep for s in services.values()
               for dep, cond in (s.get("depends_on") or {}).items()
               if cond.get("condition") == "service_completed_successfully"}
    for name, service in services.items():
        assert service.get("restart") in ("unless-stopped", "always", "on-failure"), name
        check = service.get("healthcheck")
        assert check, f"{name} has no healthcheck"
        if check.get("disable") or check["test"] == ["NONE"]:
            # a one-shot job: the services that need it wait for its success instead
            assert name in awaited and service["restart"] == "on-failure", name
        else:
            assert check["test"][0] in ("CMD", "CMD-SHELL") and len(check["test"]) > 1, name


def test_gpu_workers_use_the_cuda_image_gpu_0_and_one_reserved_gpu_each(
        config: dict[str, Any]) -> None:
    gpu = {n: s for n, s in config["services"].items() if s.get("profiles") == ["gpu"]}
    assert set(gpu) == {"worker-gpu", "worker-training-gpu"}
    for name, service in gpu.items():
        assert service["build"]["target"] == "gpu", name
        command = service["command"]
        assert command[command.index("--gpu") + 1] == "0", name
        devices = service["deploy"]["resources"]["reservations"]["devices"]
        assert len(devices) == 1 and devices[0]["capabilities"] == ["gpu"], name
        assert len(devices[0]["device_ids"]) == 1, name
    cpu_images = {s["build"]["target"] for s in config["services"].values()
                  if "build" in s and s.get("profiles") != ["gpu"]}
    assert cpu_images == {"cpu"}


def test_training_and_serving_workers_share_the_models_volume(config: dict[str, Any]) -> None:
    services = config["services"]
    for name in ("worker-models", "worker-training", "worker-gpu", "worker-training-gpu"):
        store = services[name]["environment"]["FRAGRANCE_MODEL_STORE"]
        mounts = [v.split(":") for v in services[name]["volumes"]]
        assert ["models", store] in [m[:2] for m in mounts], name
    assert "models" in config["volumes"]


def test_warm_shutdown_has_time_for_the_longest_job_of_each_worker(
        config: dict[str, Any]) -> None:
    limits = load_settings("development")
    hard_limit = {**{kind.queue: limits[kind.time_limit_setting] for kind in KINDS.values()},
                  "webhooks": limits.webhook_timeout_s, "maintenance": 0}
    for name, service in config["services"].items():
        queues = worker_queues(service)
        if queues:
            longest = max(hard_limit[q] for q in queues)
            assert seconds(service["stop_grace_period"]) > longest, name


def secret_values(node: Any, key: str = "") -> list[tuple[str, str]]:
    """(key, value) of every value in the file that holds or names a secret."""
    if isinstance(node, dict):
        return [pair for k, v in node.items() for pair in secret_values(v, str(k))]
    if isinstance(node, list):
        return [pair for item in node for pair in secret_values(item, key)]
    text = str(node)
    secretive = re.search(r"PASSWORD|SECRET|BASIC_AUTH|TOKEN", key) or "://" in text
    return [(key, text)] if secretive and node is not None else []


def test_no_secret_is_written_in_the_compose_file() -> None:
    raw = yaml.safe_load(COMPOSE_FILE.read_text())  # before interpolation
    found = secret_values(raw)
    assert len(found) > 10
    for key, value in found:
        unresolved = re.sub(r"\$\{[^}]*\}", "VAR", value)
        for userinfo in re.findall(r"://([^/@]*)@", unresolved):
            assert userinfo.partition(":")[2] in ("", "VAR"), (key, value)
        if re.search(r"PASSWORD|SECRET|BASIC_AUTH|TOKEN", key):
            assert "${" in value, (key, value)
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert run(["git", "check-ignore", "-q", ".env"]).returncode == 0


def test_secrets_reach_the_containers_from_the_env_file(
        config: dict[str, Any], passwords: dict[str, str]) -> None:
    services = config["services"]
    redis_password = passwords["REDIS_PASSWORD"]
    for name, service in services.items():
        env = service.get("environment") or {}
        if "FRAGRANCE_BROKER_URL" in env:
            assert env["FRAGRANCE_BROKER_URL"] == f"redis://fragrance:{redis_password}@redis:6379/0"
            assert env["FRAGRANCE_RESULT_BACKEND"].endswith(f":{redis_password}@redis:6379/1")
            assert f":{passwords['POSTGRES_PASSWORD']}@postgres" in env["FRAGRANCE_DATABASE_URL"]
            assert env["FRAGRANCE_ENV"] == "production", name
    postgres = services["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"] == passwords["POSTGRES_PASSWORD"]
    assert services["redis"]["environment"]["REDIS_PASSWORD"] == redis_password


def test_redis_has_an_acl_user_and_its_healthcheck_logs_in(config: dict[str, Any]) -> None:
    redis = config["services"]["redis"]
    assert redis["entrypoint"] == ["sh", "/etc/fragrance/redis-start.sh"]
    assert any(v.endswith("deploy/redis/start.sh:/etc/fragrance/redis-start.sh:ro")
               for v in redis["volumes"])
    assert "--user" in redis["healthcheck"]["test"][1]
    assert "ports" not in redis


def test_operator_surfaces_ask_for_credentials_or_stay_on_the_compose_network(
        config: dict[str, Any], passwords: dict[str, str]) -> None:
    services = config["services"]
    flower = services["flower"]
    assert flower["environment"]["FLOWER_BASIC_AUTH"] == f"operator:{passwords['FLOWER_PASSWORD']}"
    # `fragrance flower` puts /metrics behind the login (plain `celery flower` serves it to
    # anyone), and Prometheus logs in from a file only its container reads
    assert flower["command"][:2] == ["fragrance", "flower"], flower["command"]
    prometheus = services["prometheus"]
    assert prometheus["environment"]["FLOWER_PASSWORD"] == passwords["FLOWER_PASSWORD"]
    assert "/tmp/flower/password" in " ".join(prometheus["entrypoint"])
    assert passwords["FLOWER_PASSWORD"] not in " ".join(prometheus["entrypoint"])
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    (flower_job,) = [job for job in scrape["scrape_configs"] if job["job_name"] == "flower"]
    assert flower_job["basic_auth"] == {"username": "operator",
                                        "password_file": "/tmp/flower/password"}
    grafana = services["grafana"]["environment"]
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == passwords["GRAFANA_ADMIN_PASSWORD"]
    for internal in ("prometheus", "redis", "postgres", "qdrant"):
        assert "ports" not in services[internal], internal
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert set(published) == {"api", "flower", "grafana"}
    for name in ("flower", "grafana"):  # on the host's loopback unless .env opens them
        assert all(str(p).startswith("127.0.0.1:") for p in published[name]), name


def test_prometheus_ui_is_opt_in_on_the_hosts_loopback(
        docker_compose: str, env_file: tuple[Path, dict[str, str]]) -> None:
    config = compose(docker_compose, env_file[0],
                     files=(COMPOSE_FILE, ROOT / "deploy/compose/prometheus-loopback.yml"))
    ports = config["services"]["prometheus"]["ports"]
    assert [str(p).split("/")[0] for p in ports] == ["127.0.0.1:9090:9090"]


def test_workers_serve_metrics_to_prometheus_over_the_compose_network(
        config: dict[str, Any]) -> None:
    services = config["services"]
    workers = [name for name, service in services.items() if worker_queues(service)]
    for name in workers:
        command = services[name]["command"]
        assert command[command.index("--metrics-port") + 1] == "9100", name
        assert services[name]["environment"]["FRAGRANCE_WORKER_METRICS_HOST"] == "0.0.0.0"
        assert "ports" not in services[name], name  # the compose network only
    mounts = services["prometheus"]["volumes"]
    targets = {str(m["target"]) if isinstance(m, dict) else m.split(":")[1] for m in mounts}
    assert {"/etc/prometheus/prometheus.yml", "/etc/prometheus/alerts.yml"} <= targets


def test_the_training_worker_keeps_answering_during_a_run(config: dict[str, Any]) -> None:
    """A one-thread pool, not solo: its main thread still sends heartbeats (Flower shows it
    Online) while the only pool thread trains."""
    for name, service in config["services"].items():
        if worker_queues(service) == {"training"}:
            command = service["command"]
            assert command[command.index("-P") + 1] == "threads", name
            assert command[command.index("-c") + 1] == "1", name
