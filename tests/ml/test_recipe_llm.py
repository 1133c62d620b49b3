"""LLM back ends against real things: a tiny local Llama and a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ml.recipe.brief import Brief
from ml.recipe.generator import Generator
from ml.recipe.pipeline import RecipePipeline

try:
    from recipe_fixtures import BALANCED, fixture_book
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import BALANCED, fixture_book

BOOK = fixture_book()
BRIEFS = [Brief("floral", seed=1), Brief("woody", mood="calm", seed=2), Brief("fresh", seed=3)]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from ml.recipe.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-llama"), BOOK.ids(), seed=0)


@pytest.mark.model
def test_transformers_generator_end_to_end(tiny_model_dir: Path) -> None:
    from ml.recipe.transformers_backend import TransformersGenerator

    generator = TransformersGenerator(tiny_model_dir, BOOK, max_new_tokens=160, batch_size=2)
    assert isinstance(generator, Generator)
    first = generator.generate(BRIEFS, [])
    again = generator.generate(BRIEFS, [])
    assert len(first) == len(BRIEFS) and first == again  # greedy: deterministic
    for outcome in first:
        assert outcome.raw is not None
        assert outcome.ok or (outcome.error or "").startswith("ParseError")
    outcomes = RecipePipeline(generator, BOOK).run_many(BRIEFS)
    assert [o.backend for o in outcomes] == ["transformers"] * 3
    for outcome in outcomes:
        json.dumps(outcome.to_dict())
        assert outcome.status == "succeeded" or outcome.error


@pytest.mark.model
def test_tiny_model_build_is_deterministic(tmp_path: Path, tiny_model_dir: Path) -> None:
    from ml.recipe.tiny_model import build_tiny_model

    other = build_tiny_model(tmp_path / "again", BOOK.ids(), seed=0)
    assert (other / "tokenizer.json").read_text() == (tiny_model_dir / "tokenizer.json").read_text()
    config = json.loads((other / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["num_attention_heads"],
            config["head_dim"]) == (128, 2, 2, 64)  # fmt: skip


class Server:
    """A real http.server in a thread answering every POST with a fixed status and body."""

    def __init__(self, status: int, body: dict) -> None:
        self.hits = 0
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.hits += 1
                length = int(self.headers.get("Content-Length", 0))
                outer.requests.append(json.loads(self.rfile.read(length)))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def failing_server() -> Iterator[Server]:
    with Server(500, {"error": "boom"}) as server:
        yield server


@pytest.mark.integration
def test_circuit_breaker_opens_and_fails_fast(failing_server: Server) -> None:
    from ml.recipe.openai_backend import OpenAICompatibleGenerator

    generator = OpenAICompatibleGenerator(failing_server.url, "tiny", BOOK, timeout=5,
                                          fail_max=2, reset_timeout=60)  # fmt: skip
    try:
        outcomes = generator.generate([Brief("floral", seed=s) for s in range(5)], [])
    finally:
        generator.close()
    assert failing_server.hits == 2  # the breaker opened: items 3-5 never reached the server
    assert "500" in (outcomes[0].error or "")
    assert all("circuit open" in (o.error or "") for o in outcomes[2:])
    assert not any(o.ok for o in outcomes)


@pytest.mark.integration
def test_openai_generator_parses_a_served_formula() -> None:
    from ml.recipe.openai_backend import OpenAICompatibleGenerator

    content = json.dumps({"ingredients": [{"material_id": m, "pct": p, "position": pos}
                                          for m, p, pos in BALANCED]})  # fmt: skip
    body = {"choices": [{"message": {"role": "assistant", "content": content}}]}
    with Server(200, body) as server:
        generator = OpenAICompatibleGenerator(server.url, "tiny", BOOK, timeout=5)
        try:
            outcome = RecipePipeline(generator, BOOK).run(Brief("woody", seed=9))
        finally:
            generator.close()
        sent = server.requests[0]
    assert outcome.status == "succeeded", outcome.error
    assert outcome.backend == "openai" and outcome.model_version == "openai:tiny"
    schema = sent["response_format"]["json_schema"]["schema"]
    assert "hedione" in schema["properties"]["ingredients"]["items"]["properties"][
        "material_id"]["enum"]  # fmt: skip
    assert sent["temperature"] == 0 and sent["seed"] == 9


def test_vllm_generator_imports_lazily() -> None:
    import ml.recipe.vllm_backend as backend

    assert "vllm" not in backend.__dict__  # imported inside VLLMGenerator.__init__ only
