"""The client commands' conventions, as a user meets them (real processes, no stack): files
of briefs checked line by line before anything is sent, no key without saying so, readable
errors for answers that are not the API's, `--version`. Against a real stack:
`tests/e2e/test_cli_e2e.py`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.test_cli import fragrance
from tests.conftest import free_port

pytestmark = pytest.mark.unit
NOWHERE = ("--url", "http://127.0.0.1:9", "--api-key", "fk_x")


def test_a_file_with_bad_lines_is_refused_with_line_numbers_and_nothing_is_sent(
        tmp_path: Path) -> None:
    jsonl = tmp_path / "briefs.jsonl"
    jsonl.write_text('{"fragrance_family": "floral"}\n\n{"fragrance_family": "floral", '
                     '"season": "monsoon"}\nnot json\n', encoding="utf-8")
    refused = fragrance("batch", "submit", str(jsonl), *NOWHERE)
    assert refused.returncode == 2, refused.stderr
    assert "briefs.jsonl:3: season:" in refused.stderr
    assert "briefs.jsonl:4: not JSON" in refused.stderr
    assert "cannot reach" not in refused.stderr  # nothing was sent
    csv_file = tmp_path / "briefs.csv"
    csv_file.write_text("fragrance_family,season,notes_include,seed\n"
                        "floral,spring,rose;peony,1\n"
                        "citrus,summer,,x\n"
                        "plastic,,,\n", encoding="utf-8")
    refused = fragrance("batch", "submit", str(csv_file), *NOWHERE)
    assert refused.returncode == 2
    assert "briefs.csv:3: seed: 'x' is not a whole number" in refused.stderr
    assert "briefs.csv:4: fragrance_family:" in refused.stderr


@pytest.mark.parametrize(("name", "content"), [
    ("briefs.jsonl", b'{"fragrance_family": "floral"}\n\xff\xfe\x00x\n'),
    ("briefs.csv", b"fragrance_family,mood\nfloral,caf\xe9\n"),
])
def test_a_file_that_is_not_utf8_is_a_usage_error_naming_its_line(
        tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for command in (("batch", "submit"), ("submit", "batch")):
        refused = fragrance(*command, str(path), *NOWHERE)
        assert refused.returncode == 2, refused.stderr
        assert f"{name}:2: not UTF-8 text" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_no_key_is_a_usage_error_even_beside_a_development_key(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "dev-api-key").write_text("fk_devkey\n")
    without = fragrance("jobs", "list", "--url", "http://127.0.0.1:9", cwd=tmp_path,
                        FRAGRANCE_API_KEY="")
    assert without.returncode == 2 and "no API key" in without.stderr
    told = fragrance("jobs", "list", "--dev", "--url", "http://127.0.0.1:9", cwd=tmp_path,
                     FRAGRANCE_API_KEY="")
    assert "using the development key from var/dev-api-key" in told.stderr
    assert told.returncode == 1 and "cannot reach the API" in told.stderr


@pytest.fixture
def not_the_api(tmp_path: Path) -> Iterator[str]:
    """A web server that is not the API (it answers HTML 404s)."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        from tests.e2e.harness import wait_until

        wait_until(lambda: httpx.get(url).status_code, 10, "http.server to start")
        yield url
    finally:
        server.terminate()
        server.wait(10)


def test_an_answer_that_is_not_json_gets_a_clear_message_not_a_traceback(
        not_the_api: str) -> None:
    shown = fragrance("jobs", "show", "some-id", "--url", not_the_api, "--api-key", "fk_x")
    assert shown.returncode == 1
    assert "404 with text/html" in shown.stderr and "not JSON" in shown.stderr
    assert "Traceback" not in shown.stderr


def test_version_and_help_name_every_client_command() -> None:
    version = fragrance("--version")
    assert version.returncode == 0 and version.stdout.startswith("fragrance, version ")
    for group, commands in (("jobs", ("show", "list", "watch", "cancel", "events")),
                            ("batch", ("submit", "watch", "download")),
                            ("submit", ("search", "recipe", "batch"))):
        shown = fragrance(group, "--help")
        assert shown.returncode == 0 and all(name in shown.stdout for name in commands)
    assert "--json" in fragrance("jobs", "list", "--help").stdout


def test_a_negative_timeout_is_a_usage_error() -> None:
    refused = fragrance("submit", "search", "rose", "--timeout", "-5", *NOWHERE)
    assert refused.returncode == 2 and "--timeout" in refused.stderr
