"""`fragrance batch submit | watch | download` and `submit batch` in process (click's runner),
with the client's calls replaced: every brief the API's strict edge would refuse is caught by
the file check with its line (JSONL lines end at "\n" only; a CSV cell too long to read is
a bad line), the API's own refusal names file lines, an output file that cannot be written
is a usage error naming it, a batch once accepted is followed (polled when its stream is
refused) and reported with its own code, and a server that never answers is given up on."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.batch_files import BriefFileError, read_briefs
from cli.main import main
from client import ApiError, FragranceClient, Unreachable, WaitTimedOut

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


def test_jsonl_lines_end_at_newline_only_so_strings_may_hold_other_line_breaks(
        tmp_path: Path) -> None:
    """The file was split with `str.splitlines`, which also breaks at U+2028, U+2029,
    U+0085, VT and FF: valid lines whose strings held one were bad lines, and every line
    after them was numbered wrong."""
    path = tmp_path / "briefs.jsonl"
    moods = ["calm\u2028bright", "soft\u2029warm", "dusk dawn"]
    path.write_text("".join(json.dumps({"fragrance_family": "floral", "mood": mood},
                                       ensure_ascii=False) + "\r\n" for mood in moods),
                    encoding="utf-8", newline="")
    assert [brief["mood"] for brief in read_briefs(path).briefs] == moods
    # U+0085, a control character, is refused as the API refuses it: on its own line
    path.write_text('{"fragrance_family": "floral", "mood": "dusk\u0085dawn"}\n'
                    '{"fragrance_family": "floral", "mood": "ok"}\n', encoding="utf-8")
    with pytest.raises(BriefFileError) as refused:
        read_briefs(path)
    assert [line for line, *_ in refused.value.errors] == [1]
    # a raw VT or FF in a string is not JSON (the API refuses it too): one bad line each,
    # named by its own number, and the line after them by its own
    path.write_text('{"fragrance_family": "floral", "mood": "a\x0bb"}\n'
                    '{"fragrance_family": "floral", "mood": "a\x0cb"}\n'
                    '{"fragrance_family": "floral", "season": "monsoon"}\n',
                    encoding="utf-8", newline="")
    with pytest.raises(BriefFileError) as refused:
        read_briefs(path)
    assert [line for line, _ in refused.value.errors] == [1, 2, 3]
    assert "3 bad line(s)" in str(refused.value)
    assert refused.value.errors[2][1].startswith("season:")


@pytest.mark.parametrize("layout", ["one line", "a quoted cell over two lines"])
def test_a_csv_cell_longer_than_the_csv_modules_limit_is_a_bad_line_and_nothing_is_sent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    """A cell over 131,072 characters crashed `batch submit` with `_csv.Error: field
    larger than field limit` and a traceback."""
    huge = "x" * 140_000
    cell = huge if layout == "one line" else f'"first\n{huge}"'
    path = tmp_path / "briefs.csv"
    path.write_text(f"fragrance_family,mood\nfloral,calm\nwoody,{cell}\ncitrus,\n",
                    encoding="utf-8")
    line = 3 if layout == "one line" else 4  # where the cell passes the limit
    sent: list[Any] = []
    monkeypatch.setattr(FragranceClient, "submit_batch",
                        lambda self, briefs, **_: sent.append(briefs))
    result = fragrance("batch", "submit", str(path), *KEY)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"1 bad line(s) in {path}" in result.output
    assert f"briefs.csv:{line}: a cell is longer than 131,072 characters" in result.output
    assert sent == []


def test_bad_lines_are_counted_once_however_many_errors_each_has(tmp_path: Path) -> None:
    """A line with two errors was counted as two bad lines ("2 bad line(s)" for a file of
    one line)."""
    path = tmp_path / "briefs.jsonl"
    path.write_text('{"fragrance_family": "floral", "mood": "a\\u0000", '
                    '"occasion": "b\\u0000"}\n', encoding="utf-8")
    with pytest.raises(BriefFileError) as refused:
        read_briefs(path)
    assert len(refused.value.errors) == 2
    assert str(refused.value).startswith(f"1 bad line(s) in {path}")


def test_csv_header_names_are_read_without_the_spaces_around_them(tmp_path: Path) -> None:
    """A header of " fragrance_family , season " named fields the API does not know, and
    line 2 was blamed for what line 1 held."""
    path = tmp_path / "briefs.csv"
    path.write_text(" fragrance_family , season \nfloral, spring\n", encoding="utf-8")
    read = read_briefs(path)
    assert read.briefs == [{"fragrance_family": "floral", "season": "spring"}]
    assert read.lines == [2]


@pytest.fixture
def silent_api() -> Iterator[str]:
    """An address that takes connections (the kernel accepts them into the backlog) and
    never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.mark.parametrize("command", [("batch", "submit", "{briefs}", "--no-wait"),
                                     ("batch", "download", "b1"),
                                     ("jobs", "show", "j1")])
def test_a_server_that_never_answers_is_given_up_on_after_the_request_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, silent_api: str,
        command: tuple[str, ...]) -> None:
    """`batch submit` and `batch download` waited 120 s a try where every other command
    waits REQUEST_TIMEOUT_S (30 s): with the client's three retries, eight silent minutes
    before `batch submit --no-wait` said anything (the tester killed it after 400 s)."""
    briefs = tmp_path / "one.jsonl"
    briefs.write_text('{"fragrance_family": "floral"}\n', encoding="utf-8")
    monkeypatch.setattr("cli.api_access.REQUEST_TIMEOUT_S", 0.2)
    monkeypatch.setattr("client.sync.time.sleep", lambda _: None)
    results: list[Result] = []
    args = [arg.format(briefs=briefs) for arg in command]
    running = threading.Thread(target=lambda: results.append(fragrance(
        *args, "--api-key", "fk_x", "--url", silent_api)), daemon=True)
    running.start()
    running.join(20)
    assert results, "still waiting for an answer after 20 s"
    assert results[0].exit_code == 1, results[0].output
    assert "cannot reach the API" in results[0].output
    assert "ReadTimeout" in results[0].output


def _refused_stream(self: FragranceClient, batch_id: str, **_: Any) -> Any:
    raise ApiError(429, "Too Many Open Streams", type="/problems/too-many-streams",
                   retry_after_s=5)


def test_a_refused_event_stream_falls_back_to_polling_the_accepted_batch(
        two_briefs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the batch's event stream was refused (429, too many open streams), `batch
    submit` exited 1 as "API refused", with nothing on stdout under --json, though the
    batch had been accepted."""
    polled = iter([{**BATCH, "status": "running", "counts": {"running": 2}},
                   {**BATCH, "status": "completed", "counts": {"succeeded": 1, "failed": 1}}])
    slept: list[float] = []
    monkeypatch.setattr(FragranceClient, "batch_events", _refused_stream)
    monkeypatch.setattr(FragranceClient, "batch", lambda self, batch_id: next(polled))
    monkeypatch.setattr("cli.progress.time.sleep", slept.append)
    result = fragrance("batch", "submit", str(two_briefs), *KEY, "--json")
    assert result.exit_code == 1, result.output  # the batch's own code: an item failed
    assert json.loads(result.stdout)["counts"] == {"succeeded": 1, "failed": 1}
    assert "event stream failed (429 Too Many Open Streams)" in result.stderr
    assert "asking for the batch every 2 s" in result.stderr
    assert slept == [2.0, 2.0]


def test_a_batch_that_cannot_be_followed_at_all_is_printed_and_said_to_go_on(
        two_briefs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once accepted, a batch is never reported as if nothing was: when neither its stream
    nor the batch can be read, it is printed as submitted, and the error says it goes on."""
    def unreachable(self: FragranceClient, batch_id: str) -> Any:
        raise Unreachable("cannot reach the API at http://127.0.0.1:9: ConnectError")

    monkeypatch.setattr(FragranceClient, "batch_events", _refused_stream)
    monkeypatch.setattr(FragranceClient, "batch", unreachable)
    monkeypatch.setattr("cli.progress.time.sleep", lambda _: None)
    result = fragrance("batch", "submit", str(two_briefs), *KEY, "--json")
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["id"] == "2d71a9c4-0000-0000-0000-000000000000"
    assert "was accepted and goes on, but following it failed" in result.stderr


def test_watching_a_completed_batch_reports_it_without_giving_up(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`batch watch <completed batch> --timeout 0` printed "gave up waiting after 0 s; the
    batch goes on" beside "completed"."""
    completed = {**BATCH, "status": "completed", "counts": {"succeeded": 1, "canceled": 1}}

    def timed_out(self: FragranceClient, batch_id: str, **_: Any) -> Any:
        raise WaitTimedOut("gave up waiting")  # what a deadline of 0 s meets

    monkeypatch.setattr(FragranceClient, "batch", lambda self, batch_id: completed)
    monkeypatch.setattr(FragranceClient, "batch_events", timed_out)
    result = fragrance("batch", "watch", "b1", "--timeout", "0", *KEY)
    assert result.exit_code == 3, result.output  # the batch's own: an item canceled
    assert "completed" in result.stdout and "gave up" not in result.stderr


def test_download_with_json_needs_an_output_file_as_stdout_holds_the_json(
        tmp_path: Path, api_calls: list[str]) -> None:
    """`--format csv --json` without -o wrote CSV to stdout, where --json promises JSON
    (and JSONL was followed by a summary of another shape)."""
    for fmt in ("csv", "jsonl"):
        refused = fragrance("batch", "download", "b1", "--format", fmt, "--json", *KEY)
        assert refused.exit_code == 2, refused.output
        assert "--json prints a JSON summary of the file written: give -o FILE" \
            in refused.output
    assert api_calls == []
    target = tmp_path / "x.csv"
    written = fragrance("batch", "download", "b1", "--format", "csv", "-o", str(target),
                        "--json", *KEY)
    assert written.exit_code == 0, written.output
    assert json.loads(written.stdout) == {"batch_id": "b1", "format": "csv",
                                          "output": str(target), "lines": 2,
                                          "counts": {"succeeded": 2}}


def test_a_submitted_job_whose_event_stream_is_refused_is_followed_by_polling(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`submit search` exited 1 ("API refused") when the accepted job's event stream was
    refused (429, too many open streams); it now asks for the job instead."""
    job = {"id": "0f3c9a52-6c9e-4f7e-9d0e-3a1b2c4d5e6f", "kind": "search", "status": "queued",
           "progress": 0.0, "input": {"query": "oud"}, "result": None, "error": None,
           "attempts": 0, "created_at": "2026-12-03T00:00:00Z", "started_at": None,
           "finished_at": None, "batch_id": None}
    polled = iter([{**job, "status": "running"},
                   {**job, "status": "succeeded", "result": {"hits": []}}])
    slept: list[float] = []
    monkeypatch.setattr(FragranceClient, "submit_search", lambda self, *a, **k: job)
    monkeypatch.setattr(FragranceClient, "events", _refused_stream)
    monkeypatch.setattr(FragranceClient, "job", lambda self, job_id: next(polled))
    monkeypatch.setattr("cli.progress.time.sleep", slept.append)
    result = fragrance("submit", "search", "oud", *KEY, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "succeeded"
    assert "event stream failed (429 Too Many Open Streams)" in result.stderr
    assert slept == [2.0]
