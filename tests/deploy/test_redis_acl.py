"""deploy/redis/start.sh on a real redis-server: no client gets in without the ACL user's
password, the app's producers work as that user, and each queue's waiting messages are the
Redis list named after the queue (what KEDA's redis trigger counts with LLEN)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from redis.backoff import NoBackoff
from redis.retry import Retry

from api.enqueue import CeleryEnqueuer
from config import load_settings
from core.states import QUEUE_FOR_KIND, QUEUES, JobKind
from tests.conftest import free_port
from tests.deploy.conftest import ROOT, run
from workers.app import create_celery

pytestmark = pytest.mark.integration

USER = "fragrance"
NO_RETRY = Retry(NoBackoff(), 0)  # a refusal is the answer: no reconnecting with backoff


class AclRedis:
    def __init__(self, port: int, password: str, acl_file: Path) -> None:
        self.port, self.password, self.acl_file = port, password, acl_file

    def url(self, db: int = 0) -> str:
        return f"redis://{USER}:{self.password}@127.0.0.1:{self.port}/{db}"


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AclRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is required (deploy/dev/ensure-services.sh installs it)")
    folder = tmp_path_factory.mktemp("redis-acl")
    server = AclRedis(free_port(), secrets.token_hex(16), folder / "users.acl")
    process = subprocess.Popen(
        ["sh", str(ROOT / "deploy/redis/start.sh"), "--port", str(server.port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "REDIS_USER": USER,
             "REDIS_PASSWORD": server.password, "REDIS_ACL_FILE": str(server.acl_file)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis.from_url(server.url())
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server with the ACL file did not come up")
            time.sleep(0.05)
    client.close()
    yield server
    process.terminate()
    process.wait(timeout=10)


def test_a_client_without_the_password_is_refused(acl_redis: AclRedis) -> None:
    anonymous = redis.Redis(port=acl_redis.port, retry=NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    wrong = redis.Redis.from_url(f"redis://{USER}:not-it@127.0.0.1:{acl_redis.port}/0",
                                 retry=NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        wrong.ping()


def test_the_default_user_is_off_and_the_acl_file_holds_no_password(acl_redis: AclRedis) -> None:
    default = redis.Redis(port=acl_redis.port, username="default", password=acl_redis.password,
                          retry=NO_RETRY)
    with pytest.raises(redis.AuthenticationError):
        default.ping()
    assert redis.Redis.from_url(acl_redis.url()).acl_whoami() == USER
    rules = acl_redis.acl_file.read_text()
    assert "user default off" in rules and acl_redis.password not in rules
    assert acl_redis.acl_file.stat().st_mode & 0o077 == 0


def test_the_app_user_cannot_run_admin_commands(acl_redis: AclRedis) -> None:
    client = redis.Redis.from_url(acl_redis.url())
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.config_get("maxmemory")


def test_each_queue_waits_in_a_redis_list_named_after_it(acl_redis: AclRedis) -> None:
    """The API's producer (job kinds) and the workers' app (housekeeping tasks), logged in as
    the ACL user, leave one message in the list of each queue's name: KEDA's listName."""
    client = redis.Redis.from_url(acl_redis.url())
    client.flushdb()
    producer = CeleryEnqueuer(acl_redis.url(), visibility_timeout_s=60)
    for kind in JobKind:
        producer.enqueue_many(kind.value, [f"job-{kind.value}"])
    producer.close()
    settings = load_settings("testing", broker_url=acl_redis.url(0),
                             result_backend=acl_redis.url(1))
    workers_app = create_celery(settings)
    workers_app.send_task("webhooks.dispatch")
    workers_app.send_task("maintenance.recover")
    workers_app.close()
    assert {q: client.llen(q) for q in QUEUES} == dict.fromkeys(QUEUES, 1)
    assert {QUEUE_FOR_KIND[k] for k in JobKind} <= set(QUEUES)


def test_the_compose_healthcheck_logs_in_as_the_acl_user(acl_redis: AclRedis) -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    check = compose["services"]["redis"]["healthcheck"]["test"]
    assert check[0] == "CMD-SHELL"
    command = check[1].replace("$$", "$").replace("redis-cli", f"redis-cli -p {acl_redis.port}")
    assert run(["sh", "-c", command], env={"REDIS_USER": USER,
                                            "REDIS_PASSWORD": acl_redis.password}).returncode == 0
    assert run(["sh", "-c", command], env={"REDIS_USER": USER,
                                            "REDIS_PASSWORD": "not-it"}).returncode != 0
