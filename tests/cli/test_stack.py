"""What `make run` starts and prints for operators: each worker's metrics port, Flower's
generated password (kept private in var/), workers logging at `log_level` in `log_format`."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cli.stack import (
    DEV_KEY_FILE,
    DEV_WEBHOOK_SECRET_FILE,
    FLOWER_PASSWORD_FILE,
    PROFILES,
    development_key,
    flower_password,
    metrics_ports,
    multiprocess_metrics_dir,
    worker_argv,
)
from config import load_settings

pytestmark = pytest.mark.unit


def test_each_worker_profile_gets_its_own_metrics_port() -> None:
    ports = metrics_ports(load_settings("development"))
    assert set(ports) == set(PROFILES) and len(set(ports.values())) == len(PROFILES)
    assert ports == {"models": 9101, "training": 9102, "ops": 9103}
    moved = metrics_ports(load_settings("development", run_metrics_base_port=9200))
    assert sorted(moved.values()) == [9200, 9201, 9202]


def test_workers_log_at_the_setting_and_json_logs_drop_the_banner() -> None:
    text = worker_argv("search", "threads", 4, "models", beat=False, loglevel="warning")
    assert text[text.index("--loglevel") + 1] == "WARNING" and "--quiet" not in text
    json_lines = worker_argv("search", "threads", 4, "models", beat=True, log_format="json")
    assert json_lines.index("--quiet") < json_lines.index("worker")  # a celery option
    assert "-B" in json_lines


def test_beat_keeps_its_schedule_under_var_not_in_the_checkout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    argv = worker_argv("maintenance", "threads", 2, "ops", beat=True)
    assert argv[argv.index("--schedule") + 1] == str(Path("var") / "celerybeat-schedule")
    assert (tmp_path / "var").is_dir()


def test_flowers_password_is_made_once_and_readable_by_its_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    first = flower_password()
    assert len(first) >= 20 and flower_password() == first
    mode = stat.S_IMODE(os.stat(FLOWER_PASSWORD_FILE).st_mode)
    assert mode == 0o600


def test_the_development_key_comes_with_the_secret_its_webhooks_are_signed_with(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from standardwebhooks import Webhook

    from core.database import make_engine, make_session_factory
    from core.keys import KeyRing
    from core.models import ApiKey
    from migrations import upgrade

    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir(mode=0o755)  # made by an earlier version, readable by all
    database_url = f"sqlite:///{tmp_path / 'dev.db'}"
    upgrade(database_url)
    api_key = development_key(load_settings("development", database_url=database_url))
    # the folder of the embedded job store (webhook secrets, tenants' results) is private
    assert stat.S_IMODE(os.stat(tmp_path / "var").st_mode) == 0o700
    assert development_key(load_settings("development", database_url=database_url)) == api_key
    secret = DEV_WEBHOOK_SECRET_FILE.read_text().strip()
    for path in (DEV_KEY_FILE, DEV_WEBHOOK_SECRET_FILE):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    sessions = make_session_factory(make_engine(database_url))
    principal = KeyRing(sessions).authenticate(api_key)
    assert principal is not None and principal.tenant_id == "dev"
    with sessions() as session:  # the secret the webhook sender signs this key's messages with
        assert session.get(ApiKey, principal.key_id).webhook_secret == secret  # type: ignore[union-attr]
    Webhook(secret)  # a Standard Webhooks secret (whsec_...)


def test_a_forking_pool_gets_an_empty_folder_for_its_metrics() -> None:
    path = Path(multiprocess_metrics_dir("test-pool"))
    (path / "stale.db").write_text("x")
    assert Path(multiprocess_metrics_dir("test-pool")) == path and not any(path.iterdir())
    path.rmdir()


def test_the_supervisor_builds_the_index_in_a_process_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Built in `fragrance run`'s own process, the embedding model and torch stayed in the
    supervisor's memory for as long as the stack ran (~900 MB; 91 MB without)."""
    import subprocess
    import sys

    import cli.stack

    ran: list[list[str]] = []

    class Finished:
        def __init__(self, returncode: int) -> None:
            self.returncode = returncode

    monkeypatch.setattr(subprocess, "run",
                        lambda argv, check: ran.append(argv) or Finished(0))
    cli.stack.build_index_apart([])
    assert ran == [[sys.executable, "-m", "cli.main", "index", "build"]]

    stopped: list[str] = []

    class Child:
        def terminate(self) -> None:
            stopped.append("redis")

    monkeypatch.setattr(subprocess, "run", lambda argv, check: Finished(3))
    with pytest.raises(SystemExit) as failed:
        cli.stack.build_index_apart([Child()])  # type: ignore[list-item]
    assert failed.value.code == 3 and stopped == ["redis"]


def test_the_development_key_works_again_after_its_store_is_reset_or_it_is_revoked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With var/fragrance.db removed, `make run` printed the saved key, and every request
    with it was a 401."""
    from core.database import make_engine, make_session_factory
    from core.keys import KeyRing
    from migrations import upgrade

    monkeypatch.chdir(tmp_path)
    first_url = f"sqlite:///{tmp_path / 'first.db'}"
    upgrade(first_url)
    api_key = development_key(load_settings("development", database_url=first_url))
    reset_url = f"sqlite:///{tmp_path / 'reset.db'}"  # the store made anew
    upgrade(reset_url)
    assert development_key(load_settings("development", database_url=reset_url)) == api_key
    ring = KeyRing(make_session_factory(make_engine(reset_url)))
    principal = ring.authenticate(api_key)
    assert principal is not None and principal.tenant_id == "dev"
    assert ring.revoke(principal.key_id)
    fresh = development_key(load_settings("development", database_url=reset_url))
    assert fresh != api_key and KeyRing(make_session_factory(make_engine(reset_url))
                                        ).authenticate(fresh) is not None
    assert DEV_KEY_FILE.read_text().strip() == fresh
