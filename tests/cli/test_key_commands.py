"""`fragrance keys create | list` in process (click's runner) on a migrated SQLite database:
what a key's status says, and the names and tenants a key may not be given."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from cli.ops_commands import upgrade_database

pytestmark = pytest.mark.unit


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade_database(url)
    monkeypatch.setenv("FRAGRANCE_DATABASE_URL", url)
    return url


def fragrance(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def created_fields(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    return {k.strip(): v.strip() for k, v in (line.split(":", 1)
                                              for line in result.output.strip().splitlines())}


def test_keys_list_says_expired_for_a_key_past_its_expiry(database: str) -> None:
    expiring = created_fields(fragrance("keys", "create", "--name", "exp", "--expires-in", "1s"))
    lasting = created_fields(fragrance("keys", "create", "--name", "stays", "--expires-in", "1d"))
    time.sleep(1.2)
    listed = fragrance("keys", "list")
    assert listed.exit_code == 0, listed.output
    line_of = {fields["key_id"]: next(line for line in listed.output.splitlines()
                                      if line.startswith(fields["key_id"]))
               for fields in (expiring, lasting)}
    assert "  expired  " in line_of[expiring["key_id"]]
    assert "  active   " in line_of[lasting["key_id"]]
    fragrance("keys", "revoke", lasting["key_id"])
    rows = [json.loads(line) for line in fragrance("keys", "list", "--json").output.splitlines()]
    assert {row["id"]: row["status"] for row in rows} == {expiring["key_id"]: "expired",
                                                          lasting["key_id"]: "revoked"}


@pytest.mark.parametrize(("args", "says"), [
    (("--name", "x", "--scopes", "admin,search", "--tenant", "operator"),
     "reserved tenant"),
    (("--name", "x", "--tenant", "a\x01b"), "control characters"),
    (("--name", "x", "--tenant", "t" * 65), "at most 64 characters"),
    (("--name", "x", "--tenant", " "), "may not be empty"),
    (("--name", "n" * 5000), "at most 200 characters"),
    (("--name", "a\x1bb"), "control characters"),
])
def test_a_tenant_or_name_a_key_may_not_have_is_a_usage_error(
        database: str, args: tuple[str, ...], says: str) -> None:
    refused = fragrance("keys", "create", *args)
    assert refused.exit_code == 2, refused.output
    assert says in refused.output
    assert fragrance("keys", "list").output == ""  # nothing was stored


def test_an_operator_key_still_joins_the_operators_tenant(database: str) -> None:
    operator = created_fields(fragrance("keys", "create", "--name", "ops", "--scopes", "operator",
                                        "--tenant", "operator"))
    assert operator["tenant"] == "operator"
    tenant_key = created_fields(fragrance("keys", "create", "--name", "n" * 200, "--tenant",
                                          "t" * 64))
    assert tenant_key["tenant"] == "t" * 64


def test_keys_create_prints_json_when_asked(database: str) -> None:
    answer = fragrance("keys", "create", "--name", "ci", "--scopes", "search",
                       "--expires-in", "1d", "--json")
    assert answer.exit_code == 0, answer.output
    created = json.loads(answer.output)
    assert created["api_key"].startswith("fk_") and created["webhook_secret"]
    assert created["scopes"] == ["search"] and created["expires_at"]
    listed = [json.loads(line) for line in fragrance("keys", "list", "--json").output.splitlines()]
    assert [row["id"] for row in listed] == [created["key_id"]]


@pytest.mark.parametrize("given", [("--scopes", "search,training"),
                                   ("--scopes", "search training"),
                                   ("--scopes", "search", "--scopes", "training"),
                                   ("--scopes", "search", "training"),
                                   ("--scopes", "search", "--json", "training")])
def test_scopes_may_be_given_every_way_people_write_them(database: str,
                                                         given: tuple[str, ...]) -> None:
    created = json.loads(fragrance("keys", "create", "--name", "s", *given, "--json").output)
    assert created["scopes"] == ["search", "training"]


def test_words_without_scopes_are_an_unexpected_argument(database: str) -> None:
    answer = fragrance("keys", "create", "--name", "s", "training")
    assert answer.exit_code == 2
    assert "unexpected argument 'training'" in answer.output
