"""The `fragrance` command as a user runs it (a real process): setup commands on a fresh
SQLite database, and clear errors with exit codes. The client commands against a real
stack are in `tests/e2e/test_cli_e2e.py`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[2]


def fragrance(*args: str, cwd: Path | None = None, **env: str
              ) -> subprocess.CompletedProcess[str]:
    """`fragrance ARGS` as a process, with this checkout's code (`python -m cli.main`)."""
    return subprocess.run([sys.executable, "-m", "cli.main", *args], capture_output=True,
                          text=True, timeout=180, cwd=cwd,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT),
                               **env})


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"FRAGRANCE_DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}"}


@pytest.mark.unit
def test_db_upgrade_then_keys_create_prints_the_key_once(sqlite_env: dict[str, str]) -> None:
    upgraded = fragrance("db", "upgrade", **sqlite_env)
    assert upgraded.returncode == 0, upgraded.stderr
    created = fragrance("keys", "create", "--name", "lab", "--scopes", "search,training",
                        **sqlite_env)
    assert created.returncode == 0, created.stderr
    fields = dict(line.split(":", 1) for line in created.stdout.strip().splitlines())
    assert fields["api_key"].strip().startswith("fk_")
    assert fields["webhook_secret"].strip().startswith("whsec_")
    assert fields["scopes"].strip() == "search,training"
    assert fragrance("db", "upgrade", **sqlite_env).returncode == 0  # idempotent


@pytest.mark.unit
def test_json_everywhere_a_command_answers(sqlite_env: dict[str, str]) -> None:
    """Every command that answers (not the servers: api, worker, flower, run) takes --json
    and prints JSON on stdout."""
    from cli.main import main

    def leaves(command: click.Command, path: tuple[str, ...]) -> list[tuple[str, ...]]:
        if isinstance(command, click.Group):
            return [leaf for name, sub in command.commands.items()
                    for leaf in leaves(sub, (*path, name))]
        return [path]

    servers = {("api",), ("worker",), ("flower",), ("run",)}
    for path in set(leaves(main, ())) - servers:
        options = {opt for param in _command(main, path).params for opt in param.opts}
        assert "--json" in options, path
    assert json.loads(fragrance("db", "upgrade", "--json", **sqlite_env).stdout)["revision"]
    created = json.loads(fragrance("keys", "create", "--name", "j", "--json",
                                   **sqlite_env).stdout)
    revoked = json.loads(fragrance("keys", "revoke", created["key_id"], "--json",
                                   **sqlite_env).stdout)
    assert revoked["id"] == created["key_id"] and revoked["status"] == "revoked"


def _command(group: click.Command, path: tuple[str, ...]) -> click.Command:
    for name in path:
        assert isinstance(group, click.Group)
        group = group.commands[name]
    return group


@pytest.mark.unit
def test_bad_input_gets_an_exit_code_and_a_message_naming_it(sqlite_env: dict[str, str],
                                                             tmp_path: Path) -> None:
    fragrance("db", "upgrade", **sqlite_env)
    bad_scope = fragrance("keys", "create", "--name", "x", "--scopes", "search,bogus",
                          **sqlite_env)
    assert bad_scope.returncode == 2 and "bogus" in bad_scope.stderr
    bad_setting = fragrance("keys", "create", "--name", "x", FRAGRANCE_API_PORT="abc",
                            **sqlite_env)
    assert bad_setting.returncode == 1 and "api_port" in bad_setting.stderr
    unreachable = fragrance("jobs", "show", "some-id", "--api-key", "fk_x",
                            "--url", "http://127.0.0.1:9")
    assert unreachable.returncode == 1 and "cannot reach the API" in unreachable.stderr
    no_key = fragrance("jobs", "show", "some-id", "--url", "http://127.0.0.1:9",
                       cwd=tmp_path, FRAGRANCE_API_KEY="")  # no var/dev-api-key there
    assert no_key.returncode != 0 and "API key" in no_key.stderr


@pytest.mark.unit
def test_keys_list_and_revoke_from_the_command_line(sqlite_env: dict[str, str]) -> None:
    fragrance("db", "upgrade", **sqlite_env)
    created = fragrance("keys", "create", "--name", "ci", "--expires-in", "30d", **sqlite_env)
    fields = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in
                                                created.stdout.strip().splitlines())}
    listed = fragrance("keys", "list", "--json", **sqlite_env)
    assert listed.returncode == 0, listed.stderr
    assert '"revoked_at": null' in listed.stdout and fields["key_id"] in listed.stdout
    revoked = fragrance("keys", "revoke", fields["key_id"], **sqlite_env)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
    assert fields["api_key"] not in listed.stdout + revoked.stdout
    missing = fragrance("keys", "revoke", "0" * 32, **sqlite_env)
    assert missing.returncode == 1 and "no API key" in missing.stderr
    mixed = fragrance("keys", "create", "--name", "x", "--scopes", "operator,search",
                      **sqlite_env)
    assert mixed.returncode == 2 and "operator" in mixed.stderr


@pytest.mark.parametrize(("args", "says"), [
    (("--name", "x", "--expires-in", "99999999999d"), "--expires-in"),
    (("--name", "x", "--expires-in", "999999999d"), "--expires-in"),
    (("--name", "x", "--expires-in", "0s"), "--expires-in"),
    (("--name", " "), "--name"),
])
def test_a_key_lifetime_or_name_out_of_reason_is_a_usage_error(
        sqlite_env: dict[str, str], args: tuple[str, ...], says: str) -> None:
    refused = fragrance("keys", "create", *args, **sqlite_env)
    assert refused.returncode == 2 and says in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_database_not_migrated_or_not_there_is_a_message_not_a_traceback(
        sqlite_env: dict[str, str]) -> None:
    for env in (sqlite_env, {"FRAGRANCE_DATABASE_URL": "postgresql://x@127.0.0.1:1/x"}):
        failed = fragrance("keys", "list", **env)
        assert failed.returncode == 1, failed.stderr
        assert "fragrance db upgrade" in failed.stderr and "Traceback" not in failed.stderr


def test_bench_help_names_every_suite() -> None:
    from bench.run import DEFAULT, OPT_IN

    shown = fragrance("bench", "--help")
    assert shown.returncode == 0
    assert all(name in shown.stdout for name in DEFAULT + OPT_IN), shown.stdout


RELATIVE_DEFAULT = {"FRAGRANCE_DATABASE_URL": "sqlite:///var/fragrance.db"}  # the default's form


@pytest.mark.unit
@pytest.mark.parametrize("args", [("keys", "revoke", "0" * 32), ("keys", "list"),
                                  ("keys", "create", "--name", "x"), ("api",), ("worker",)])
def test_commands_outside_the_project_folder_say_which_store_they_did_not_find(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "var").mkdir()  # even where a var folder exists, no empty store is made
    failed = fragrance(*args, cwd=tmp_path, **RELATIVE_DEFAULT)
    assert failed.returncode == 1, failed.stderr
    assert (f"no job store at sqlite:///var/fragrance.db (relative to the current folder, "
            f"{tmp_path})") in failed.stderr
    assert "run it from the project folder" in failed.stderr
    assert "FRAGRANCE_DATABASE_URL" in failed.stderr
    assert "is the database up" not in failed.stderr and "Traceback" not in failed.stderr
    assert list((tmp_path / "var").iterdir()) == []


@pytest.mark.unit
def test_an_absolute_store_that_is_not_there_is_named_too(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    failed = fragrance("keys", "list", FRAGRANCE_DATABASE_URL=url)
    assert failed.returncode == 1
    assert f"no job store at {url}: set FRAGRANCE_DATABASE_URL" in failed.stderr
    assert not (tmp_path / "gone.db").exists()


@pytest.mark.unit
def test_a_store_that_cannot_be_reached_is_named_without_its_password() -> None:
    failed = fragrance("keys", "list",
                       FRAGRANCE_DATABASE_URL="postgresql://fragrance:s3cret@127.0.0.1:1/jobs")
    assert failed.returncode == 1
    assert "at postgresql://fragrance:***@127.0.0.1:1/jobs" in failed.stderr
    assert "s3cret" not in failed.stderr


@pytest.mark.unit
def test_db_upgrade_says_where_it_creates_a_new_store(tmp_path: Path) -> None:
    created = fragrance("db", "upgrade", "--json", cwd=tmp_path, **RELATIVE_DEFAULT)
    assert created.returncode == 0, created.stderr
    assert (f"no job store at sqlite:///var/fragrance.db (relative to the current folder, "
            f"{tmp_path}): creating it") in created.stderr
    assert json.loads(created.stdout)["revision"]
    again = fragrance("db", "upgrade", cwd=tmp_path, **RELATIVE_DEFAULT)
    assert again.returncode == 0 and "creating" not in again.stderr
    listed = fragrance("keys", "list", cwd=tmp_path, **RELATIVE_DEFAULT)
    assert listed.returncode == 0, listed.stderr
