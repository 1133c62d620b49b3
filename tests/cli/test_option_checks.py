"""What the client commands send in the URL and in HTTP headers is checked as the command
line is read, with the API's own rules: a value no request can carry is a usage error
naming its option (exit 2) before anything is sent, not a traceback from the HTTP library
nor a connection error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from cli.main import main
from client import FragranceClient

pytestmark = pytest.mark.unit
URL = ("--url", "http://127.0.0.1:9")
KEY = ("--api-key", "fk_x")
JOB_ID = "00000000-0000-0000-0000-000000000000"


def fragrance(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[Any]:
    """What reached the client: any call at all is recorded."""
    calls: list[Any] = []
    monkeypatch.setattr(FragranceClient, "call",
                        lambda self, call: calls.append(call) or {"id": "x"})
    monkeypatch.setattr(FragranceClient, "_lines",
                        lambda self, *args: calls.append(args) or iter(()))
    monkeypatch.chdir(tmp_path)
    Path("one.jsonl").write_text('{"fragrance_family": "floral"}\n', encoding="utf-8")
    return calls


@pytest.mark.parametrize("key", ["장미", "rose garden", "x" * 201, "", "tab\there", "é"])
def test_an_idempotency_key_the_api_would_refuse_is_a_usage_error_naming_the_option(
        sent: list[Any], key: str) -> None:
    refused = fragrance("batch", "submit", "one.jsonl", "--idempotency-key", key, *KEY, *URL)
    assert refused.exit_code == 2, refused.output
    assert isinstance(refused.exception, SystemExit)  # not a UnicodeEncodeError
    assert "Invalid value for '--idempotency-key'" in refused.output
    assert "Traceback" not in refused.output
    assert sent == []


def test_an_idempotency_key_the_api_takes_is_sent_as_given(sent: list[Any]) -> None:
    fragrance("batch", "submit", "one.jsonl", "--idempotency-key", "rose-2026/01",
              "--no-wait", *KEY, *URL)
    assert sent and sent[0].headers["Idempotency-Key"] == "rose-2026/01"


@pytest.mark.parametrize("key", ["rose", "x" * 200, "x" * 201, "장미", "a b", "", "~!\"#$%",
                                 "\x7f", "line\nbreak"])
def test_the_clis_rule_for_an_idempotency_key_is_the_apis(key: str) -> None:
    from pydantic import TypeAdapter, ValidationError

    from api.params import IdempotencyKey
    from client.protocol import idempotency_key_problem

    try:
        TypeAdapter(IdempotencyKey).validate_python(key)
        api_takes_it = True
    except ValidationError:
        api_takes_it = False
    assert (idempotency_key_problem(key) is None) == api_takes_it


@pytest.mark.parametrize("key", ["장미", "fk_x y", "fk_\u00e9"])
def test_an_api_key_no_header_can_carry_is_a_usage_error_that_does_not_repeat_it(
        sent: list[Any], key: str) -> None:
    for source in ({"args": ("--api-key", key), "env": {}},
                   {"args": (), "env": {"FRAGRANCE_API_KEY": key}}):
        refused = fragrance("jobs", "show", JOB_ID, *source["args"], *URL, **source["env"])
        assert refused.exit_code == 2, refused.output
        assert "Invalid value for '--api-key'" in refused.output
        assert key not in refused.output  # a key is a secret, even a broken one
    assert sent == []


@pytest.mark.parametrize("url", ["notaurl", "ftp://127.0.0.1:8000", "http://", "http://:8000",
                                 "127.0.0.1:8000", "http://127.0.0.1:99999",
                                 "http://127.0.0.1:port", "http://127.0.0.1:8000?x=1",
                                 "http://127.0.0.1 :8000"])
@pytest.mark.parametrize("command", [
    ("submit", "search", "rose"), ("submit", "recipe", "--family", "floral"),
    ("submit", "batch", "one.jsonl"), ("batch", "submit", "one.jsonl"),
    ("batch", "watch", JOB_ID), ("batch", "download", JOB_ID), ("batch", "cancel", JOB_ID),
    ("jobs", "show", JOB_ID), ("jobs", "list"), ("jobs", "watch", JOB_ID),
    ("jobs", "cancel", JOB_ID), ("jobs", "events", JOB_ID)])
def test_a_url_that_is_not_http_host_port_is_a_usage_error_on_every_command(
        sent: list[Any], command: tuple[str, ...], url: str) -> None:
    refused = fragrance(*command, "--url", url, *KEY)
    assert refused.exit_code == 2, refused.output
    assert "Invalid value for '--url'" in refused.output
    assert "http(s)://host[:port]" in refused.output
    assert "cannot reach" not in refused.output
    assert sent == []


def test_a_url_from_the_environment_is_checked_the_same_way(sent: list[Any]) -> None:
    refused = fragrance("jobs", "show", JOB_ID, *KEY, FRAGRANCE_API_URL="notaurl")
    assert refused.exit_code == 2 and "http(s)://host[:port]" in refused.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "https://api.example.com",
                                 "http://[::1]:8100/", "HTTP://localhost",
                                 "https://example.com/fragrance/", "http://장미.example"])
def test_urls_of_an_api_are_taken(url: str) -> None:
    from cli.option_types import api_url_problem

    assert api_url_problem(url) is None


@pytest.mark.parametrize("after", ["-1", "2147483648", "x"])
def test_an_event_number_the_api_cannot_resume_after_is_a_usage_error(
        sent: list[Any], after: str) -> None:
    refused = fragrance("jobs", "events", JOB_ID, "--after", after, *KEY, *URL)
    assert refused.exit_code == 2, refused.output
    assert "'--after'" in refused.output
    assert sent == []


@pytest.mark.parametrize(("args", "says"), [
    (("worker", "--queues", "nosuchqueue"), "unknown queue 'nosuchqueue'; choose from search"),
    (("worker", "--queues", ""), "no queue named"),
    (("worker", "-Q", "search,serch"), "unknown queue 'serch'"),
    (("worker", "--gpu", "-1"), "--gpu"),
    (("worker", "--concurrency", "0"), "--concurrency"),
    (("worker", "--metrics-port", "70000"), "--metrics-port"),
    (("api", "--port", "99999"), "1<=x<=65535"),  # uvicorn listened on 99999 - 65536
    (("api", "--port", "-1"), "--port"),
    (("flower", "--port", "0"), "--port"),
])
def test_server_commands_refuse_what_cannot_run(args: tuple[str, ...], says: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker on a queue nothing publishes to reported itself ready and never ran a job;
    a port beyond 65535 listened on another port than the one it printed."""
    import cli.stack

    monkeypatch.setattr(cli.stack.os, "execv", lambda *a: pytest.fail("the worker started"))
    answer = fragrance(*args)
    assert answer.exit_code == 2, answer.output
    assert says in answer.output


def test_a_gpu_worker_without_the_gpu_is_refused_at_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`worker --gpu 0` on a host torch sees no CUDA on reported itself ready and failed
    every job it took ("Torch not compiled with CUDA enabled")."""
    import torch

    import cli.stack

    monkeypatch.setattr(cli.stack.os, "execv", lambda *a: pytest.fail("the worker started"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(cli.stack.os, "environ", dict(cli.stack.os.environ))
    answer = fragrance("worker", "--gpu", "0")
    assert answer.exit_code == 2, answer.output
    assert "cannot pin the worker to GPU 0" in answer.output and "--gpu" in answer.output


def test_a_recipe_s_words_may_be_written_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(FragranceClient, "call", lambda self, call: calls.append(call) or {
        "id": JOB_ID, "kind": "recipe", "status": "queued"})
    taken = fragrance("submit", "recipe", "--family", "woody", "--gender", "Masculine",
                      "--season", "WINTER", "--intensity", "Strong", "--no-wait", *URL, *KEY)
    assert taken.exit_code == 0, taken.output
    brief = calls[0].json
    assert (brief["gender"], brief["season"], brief["intensity"]) == (
        "masculine", "winter", "strong")


def test_a_search_type_may_be_written_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    monkeypatch.setattr(FragranceClient, "call", lambda self, call: calls.append(call) or {
        "id": JOB_ID, "kind": "search", "status": "queued"})
    taken = fragrance("submit", "search", "rose", "--search-type", "Keyword", "--no-wait",
                      *URL, *KEY)
    assert taken.exit_code == 0, taken.output
    assert calls[0].json["search_type"] == "keyword"


@pytest.mark.parametrize(("args", "read"), [
    (("--gender", "for her", "--season", "fall", "--intensity", "subtle"),
     {"gender": "feminine", "season": "autumn", "intensity": "light"}),
    (("--gender", "남성", "--season", "여름", "--intensity", "강한", "--concentration",
      "Eau de Parfum"),
     {"gender": "masculine", "season": "summer", "intensity": "strong",
      "concentration": "edp"}),
    (("--season", "year round", "--gender", "gender neutral", "--concentration", "EDT"),
     {"gender": "unisex", "intensity": "moderate", "concentration": "edt"}),
])
def test_a_recipe_takes_the_words_the_api_takes(monkeypatch: pytest.MonkeyPatch,
                                                args: tuple[str, ...],
                                                read: dict[str, str]) -> None:
    """The command refused "for her", "fall", 여름 and "Eau de Parfum", which the API
    reads; "year round" is no season, so none is sent."""
    calls: list[Any] = []
    monkeypatch.setattr(FragranceClient, "call", lambda self, call: calls.append(call) or {
        "id": JOB_ID, "kind": "recipe", "status": "queued"})
    taken = fragrance("submit", "recipe", "--family", "woody", *args, "--no-wait", *URL, *KEY)
    assert taken.exit_code == 0, taken.output
    brief = calls[0].json
    assert {k: brief[k] for k in read} == read and ("season" in brief) == ("season" in read)


@pytest.mark.parametrize(("option", "value"), [
    ("--gender", "loud"), ("--season", "monsoon"), ("--intensity", "11"),
    ("--concentration", "perfume oil"), ("--gender", ""),
])
def test_a_recipe_word_the_api_would_refuse_is_a_usage_error(sent: list[Any], option: str,
                                                             value: str) -> None:
    answer = fragrance("submit", "recipe", "--family", "woody", option, value, *URL, *KEY)
    assert answer.exit_code == 2, answer.output
    assert option in answer.output and "or a word for one" in answer.output
    assert sent == []


ID_COMMANDS = [("jobs", "show"), ("jobs", "watch"), ("jobs", "cancel"), ("jobs", "events"),
               ("batch", "watch"), ("batch", "download"), ("batch", "cancel")]


@pytest.mark.parametrize("given", ["", "a\nb", "tab\there", "\x7f", "nul\x00", "c1\x85"])
@pytest.mark.parametrize("command", ID_COMMANDS)
def test_an_empty_id_or_one_with_a_control_character_is_a_usage_error_naming_the_argument(
        sent: list[Any], command: tuple[str, ...], given: str) -> None:
    """`jobs show ""` printed "server answered 307 ... not JSON" (it asked for the
    collection) and an id with a newline crashed with httpx.InvalidURL."""
    refused = fragrance(*command, given, *KEY, *URL)
    assert refused.exit_code == 2, refused.output
    argument = "'BATCH_ID'" if command[0] == "batch" else "'JOB_ID'"
    assert f"Invalid value for {argument}" in refused.output
    assert isinstance(refused.exception, SystemExit)
    assert sent == []


@pytest.mark.parametrize(("command", "given", "request_sent"), [
    (("jobs", "cancel"), f"../batches/{JOB_ID}",
     f"POST /api/v1/jobs/..%2Fbatches%2F{JOB_ID}/cancel"),
    (("jobs", "show"), "../jobs?status=failed", "GET /api/v1/jobs/..%2Fjobs%3Fstatus%3Dfailed"),
    (("batch", "watch"), "../jobs", "GET /api/v1/batches/..%2Fjobs"),
    (("batch", "cancel"), "..", "POST /api/v1/batches/%2E%2E/cancel"),
])
def test_an_id_that_reaches_another_route_is_sent_escaped_and_is_an_unknown_id(
        monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], given: str,
        request_sent: str) -> None:
    """`jobs cancel "../batches/B"` canceled batch B (exit 0); `batch watch ../jobs` got the
    job list and crashed with a KeyError. Escaped as one path segment, each id is one the
    API does not know: its 404, exit 1."""
    import httpx

    from cli.api_access import Access

    requests: list[str] = []

    def not_found(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.method} {request.url.raw_path.decode('ascii')}")
        return httpx.Response(404, json={"title": "Not Found", "status": 404},
                              headers={"content-type": "application/problem+json"})

    def client(self: Access) -> FragranceClient:
        http = httpx.Client(base_url=self.url, transport=httpx.MockTransport(not_found))
        return FragranceClient(self.url, self.api_key, http=http)

    monkeypatch.setattr(Access, "client", client)
    answered = fragrance(*command, given, *KEY, *URL)
    assert answered.exit_code == 1, answered.output
    assert "404 Not Found" in answered.output
    assert isinstance(answered.exception, SystemExit)  # not a KeyError
    assert requests == [request_sent]


@pytest.mark.parametrize("args", [
    ("submit", "search", "\udcff\udcfe", "--no-wait"),  # bytes that are not UTF-8
    ("submit", "search", "rose", "--url", "http://[::1"),  # an unclosed IPv6 bracket
    ("submit", "search", "rose", "--url", "http://a..b"),  # hosts no request can name
    ("submit", "search", "rose", "--url", "http://xn--zz"),
    ("submit", "search", "rose", "--url", "http://" + "a" * 300),
    ("submit", "search", "rose", "--url", "http://user:pw@127.0.0.1:8000"),  # not the key
    ("submit", "search", "rose", "--timeout", "nan"),
    ("submit", "search", "rose", "--top-k", "99999999999999999999"),
    ("batch", "watch", JOB_ID, "--timeout", "inf"),
])
def test_a_value_no_request_can_carry_is_a_usage_error(sent: list[Any],
                                                      args: tuple[str, ...]) -> None:
    """Each was a traceback (UnicodeEncodeError, ValueError: Invalid IPv6 URL) or reached
    the server (a NaN timeout, a top-k of 20 digits)."""
    refused = fragrance(*args, *KEY, *(URL if "--url" not in args else ()))
    assert refused.exit_code == 2, refused.output
    assert isinstance(refused.exception, SystemExit)
    assert "Traceback" not in refused.output and sent == []


def test_an_output_that_cannot_be_written_is_an_error_message(tmp_path: Path) -> None:
    """`fragrance ... > /dev/full` was an OSError traceback."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "cli.main", "--help"], capture_output=False,
                          stdout=open("/dev/full", "w"), stderr=subprocess.PIPE,  # noqa: SIM115
                          text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert done.returncode == 1, done.stderr
    assert "the output could not be written" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_closed_stdout_a_gone_reader_and_ctrl_c_have_their_own_exits() -> None:
    """A closed stdout (`>&-`) was an AttributeError traceback; a reader gone (`| head -1`)
    exited 1 with nothing said, and Ctrl-C exited 1 ("Aborted!"): both read as a failed
    job. Now 141 and 130, as a shell reports a command ended by SIGPIPE or SIGINT."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from cli.main import main

    closed = subprocess.run([sys.executable, "-c", "import sys; sys.stdout = None; "
                             "sys.argv = ['fragrance', 'submit', 'search', 'oud', '--url', "
                             "'http://127.0.0.1:9', '--api-key', 'fk_x']; "
                             "from cli.main import main; main()"],
                            capture_output=False, stderr=subprocess.PIPE, text=True,
                            timeout=60, cwd=Path(__file__).parents[2])
    assert "Traceback" not in closed.stderr, closed.stderr

    @main.command("raise-for-this-test", hidden=True)
    @click.argument("what")
    def raising(what: str) -> None:
        raise BrokenPipeError if what == "pipe" else KeyboardInterrupt

    try:
        runner = CliRunner()
        assert runner.invoke(main, ["raise-for-this-test", "pipe"]).exit_code == 141
        interrupted = runner.invoke(main, ["raise-for-this-test", "ctrl-c"])
        assert interrupted.exit_code == 130 and "Aborted!" in interrupted.output
    finally:
        main.commands.pop("raise-for-this-test")


def test_a_password_in_the_url_is_not_repeated_in_the_refusal() -> None:
    refused = fragrance("submit", "search", "rose", *KEY, "--url",
                        "http://user:secretpw@127.0.0.1:8000")
    assert refused.exit_code == 2 and "secretpw" not in refused.output
    assert "user:***@" in refused.output


def test_a_korean_concentration_name_is_one() -> None:
    """`--concentration`'s help named 오 드 퍼퓸, and it was refused."""
    from ml.recipe.concentration import concentration_slug

    assert concentration_slug("오 드 퍼퓸") == concentration_slug("오드퍼퓸") == "edp"
    assert concentration_slug("퍼퓸") == "parfum"


def test_a_failed_command_with_json_prints_its_error_as_json_on_stdout() -> None:
    """With --json a script read nothing on stdout when the API could not be reached or
    answered a problem: it gets `{"error": {...}}` there, the message on stderr, exit 1."""
    answer = fragrance("jobs", "show", JOB_ID, "--json", *URL, *KEY)
    assert answer.exit_code == 1
    error = json.loads(answer.stdout)["error"]
    assert "cannot reach the API" in error["message"]
    assert "cannot reach the API" in answer.stderr
