"""`fragrance batch submit | download` and `submit batch` in process (click's runner), with the
client's calls replaced: every brief the API's strict edge would refuse is caught by the
file check with its line, the API's own refusal names file lines, and an output file that
cannot be written is a usage error naming it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.batch_files import BriefFileError, read_briefs
from cli.main import main
from client import ApiError, FragranceClient

pytestmark = pytest.mark.unit
KEY = ("--api-key", "fk_x", "--url", "http://127.0.0.1:9")
BATCH = {"id": "b1", "total": 2, "status": "running", "counts": {}}


def fragrance(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def api_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The client calls the command made (a batch that exists; two result lines)."""
    calls: list[str] = []

    def batch(self: FragranceClient, batch_id: str) -> dict[str, Any]:
        calls.append(f"batch {batch_id}")
        return BATCH

    def batch_results(self: FragranceClient, batch_id: str) -> Iterator[dict[str, Any]]:
        calls.append(f"results {batch_id}")
        for index in range(2):
            yield {"index": index, "job_id": f"j{index}", "status": "succeeded",
                   "result": {"ok": True}, "error": None}

    monkeypatch.setattr(FragranceClient, "batch", batch)
    monkeypatch.setattr(FragranceClient, "batch_results", batch_results)
    return calls


def test_a_folder_that_is_not_there_is_a_usage_error_naming_the_path(
        api_calls: list[str]) -> None:
    refused = fragrance("batch", "download", "b1", "--format", "csv", "-o",
                        "/nonexistent/dir/x.csv", *KEY)
    assert refused.exit_code == 2, refused.output
    assert "'/nonexistent/dir/x.csv'" in refused.output and "--output" in refused.output
    assert isinstance(refused.exception, SystemExit)  # not a FileNotFoundError
    assert api_calls == []  # refused before the API was asked


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_folder_the_user_cannot_write_is_a_usage_error(tmp_path: Path,
                                                         api_calls: list[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    refused = fragrance("batch", "download", "b1", "-o", str(locked / "x.jsonl"), *KEY)
    assert refused.exit_code == 2, refused.output
    assert "permission denied" in refused.output and str(locked / "x.jsonl") in refused.output
    assert api_calls == []


def test_a_file_that_cannot_be_opened_is_a_usage_error_naming_it(
        tmp_path: Path, api_calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.csv"

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)  # what a non-root user meets (root passes)
    refused = fragrance("batch", "download", "b1", "--format", "csv", "-o", str(target), *KEY)
    assert refused.exit_code == 2, refused.output
    assert f"File '{target}': Permission denied." in refused.output
    assert isinstance(refused.exception, SystemExit)


def test_a_writable_output_gets_every_line(tmp_path: Path, api_calls: list[str]) -> None:
    target = tmp_path / "x.csv"
    written = fragrance("batch", "download", "b1", "--format", "csv", "-o", str(target), *KEY)
    assert written.exit_code == 0, written.output
    assert target.read_text().splitlines()[0] == "index,job_id,status,result,error"
    assert len(target.read_text().splitlines()) == 3


@pytest.mark.parametrize(("name", "content", "says"), [
    ("briefs.jsonl", '{"fragrance_family": "floral"}\n\n'
                     '{"fragrance_family": "floral", "notes_include": ["a\\u0000"]}\n',
     "briefs.jsonl:3: notes_include.0: a string may not contain NUL"),
    ("briefs.jsonl", '{"fragrance_family": "floral", "mood": "x\\udc80"}\n',
     "briefs.jsonl:1: mood: a string may not contain a lone surrogate"),
    ("briefs.jsonl", '{"fragrance_family": "floral"}\n{"fragrance_family": "floral", '
                     '"unknown_field": NaN}\n',
     "briefs.jsonl:2: unknown_field: NaN is not a JSON number"),
    ("briefs.csv", "fragrance_family,mood\nfloral,calm\nfloral,ca\x00lm\n",
     "briefs.csv:3: mood: a string may not contain NUL"),
    ("briefs.json", '[{"fragrance_family": "floral", "mood": "\\u0000"}]',
     "briefs.json:1: mood: a string may not contain NUL"),
    # a key given twice: Python's parser would keep the last value, the API answers 422
    ("briefs.jsonl", '{"fragrance_family": "woody"}\n'
                     '{"fragrance_family": "floral", "fragrance_family": "citrus"}\n',
     "briefs.jsonl:2: fragrance_family: a key may appear only once in an object"),
    ("briefs.jsonl", '{"fragrance_family": "floral", "mood": "calm", "mood": "bold"}\n',
     "briefs.jsonl:1: mood: a key may appear only once in an object"),
    ("briefs.json", '{"requests": [{"fragrance_family": "woody"}, '
                    '{"fragrance_family": "floral", "fragrance_family": "citrus"}]}',
     "briefs.json:2: fragrance_family: a key may appear only once in an object"),
    ("briefs.json", '[{"fragrance_family": "floral", "fragrance_family": "citrus"}]',
     "briefs.json:1: fragrance_family: a key may appear only once in an object"),
    ("briefs.csv", "fragrance_family,fragrance_family\nfloral,citrus\n",
     "briefs.csv:1: fragrance_family: a column may appear only once in the header"),
])
def test_what_the_apis_strict_edge_refuses_is_a_bad_line_and_nothing_is_sent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: str,
        says: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", newline="")
    with pytest.raises(BriefFileError) as refused:
        read_briefs(path)
    assert says in str(refused.value)
    sent: list[Any] = []
    monkeypatch.setattr(FragranceClient, "submit_batch",
                        lambda self, briefs, **_: sent.append(briefs))
    for command in (("batch", "submit"), ("submit", "batch")):
        result = fragrance(*command, str(path), *KEY)
        assert result.exit_code == 2, result.output
        assert says in result.output
    assert sent == []


def test_the_apis_refusal_names_the_file_line_of_each_brief(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "briefs.jsonl"
    path.write_text('{"fragrance_family": "floral"}\n\n{"fragrance_family": "citrus"}\n',
                    encoding="utf-8")

    def refuse(self: FragranceClient, briefs: Any, **_: Any) -> Any:
        raise ApiError(422, "Unprocessable Content", errors=[
            {"field": "requests.1.notes_include.0", "message": "refused", "type": "x"},
            {"field": "requests.0", "message": "refused whole", "type": "x"},
            {"field": "webhook", "message": "not https", "type": "x"}])

    monkeypatch.setattr(FragranceClient, "submit_batch", refuse)
    for command in (("batch", "submit"), ("submit", "batch")):
        result = fragrance(*command, str(path), *KEY)
        assert result.exit_code == 1, result.output
        assert "line 3: notes_include.0: refused" in result.output
        assert "line 1: brief: refused whole" in result.output
        assert "webhook: not https" in result.output
        assert "requests." not in result.output


def test_the_api_refuses_the_same_duplicate_key() -> None:
    from fastapi.exceptions import RequestValidationError

    from api.strict_json import strict_loads

    with pytest.raises(RequestValidationError) as refused:
        strict_loads('{"requests": [{"fragrance_family": "floral", '
                     '"fragrance_family": "citrus"}]}')
    assert [error["type"] for error in refused.value.errors()] == ["duplicate_key"]


def _events(*counts: dict[str, int]) -> Any:
    def batch_events(self: FragranceClient, batch_id: str, **_: Any) -> Iterator[dict[str, Any]]:
        for index, current in enumerate(counts, 1):
            yield {**BATCH, "id": "2d71a9c4-0000-0000-0000-000000000000",
                   "status": "completed" if index == len(counts) else "running",
                   "counts": current}
    return batch_events


@pytest.fixture
def two_briefs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file of two briefs, a submit that takes them and an event stream that shows the
    same counts twice before they change; stderr is no terminal (click's runner)."""
    for forcing in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(forcing, raising=False)
    path = tmp_path / "two.jsonl"
    path.write_text('{"fragrance_family": "floral"}\n{"fragrance_family": "woody"}\n',
                    encoding="utf-8")
    submitted = {**BATCH, "id": "2d71a9c4-0000-0000-0000-000000000000", "status": "running",
                 "counts": {"queued": 2}}
    monkeypatch.setattr(FragranceClient, "submit_batch", lambda self, briefs, **_: submitted)
    monkeypatch.setattr(FragranceClient, "batch_events", _events(
        {"queued": 2}, {"queued": 2}, {"queued": 1, "running": 1},
        {"running": 1, "succeeded": 1}, {"succeeded": 2}))
    return path


def test_progress_off_a_terminal_is_whole_lines_one_per_change_of_counts(
        two_briefs: Path) -> None:
    result = fragrance("batch", "submit", str(two_briefs), *KEY)
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if "finished" in line]
    assert progress == [
        "batch 2d71a9c4: 0/2 finished  queued 2  running 0  succeeded 0  failed 0  canceled 0",
        "batch 2d71a9c4: 0/2 finished  queued 1  running 1  succeeded 0  failed 0  canceled 0",
        "batch 2d71a9c4: 1/2 finished  queued 0  running 1  succeeded 1  failed 0  canceled 0",
        "batch 2d71a9c4: 2/2 finished  queued 0  running 0  succeeded 2  failed 0  canceled 0"]
    assert "━" not in result.stderr and "…" not in result.stderr


def test_progress_with_json_prints_no_progress_lines(two_briefs: Path) -> None:
    result = fragrance("batch", "submit", str(two_briefs), *KEY, "--json")
    assert result.exit_code == 0, result.output
    assert "finished" not in result.stderr
    assert '"status": "completed"' in result.stdout
