"""``OpenAICompatibleGenerator``: any OpenAI-compatible server (``vllm serve``, Ollama ...).

Calls go through a pybreaker circuit breaker: after ``fail_max`` consecutive failures it opens
and later calls fail at once with a clear error (no request, no waiting) until
``reset_timeout`` seconds pass. The breaker is in ``ml.circuit``'s registry, so the worker
running this back end reports its state to operators. Structured output is requested with
``response_format`` ``json_schema`` (honoured by vLLM's server; others may ignore it: parsing
still checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import pybreaker

from ml.circuit import circuit_breaker
from ml.recipe.brief import Brief
from ml.recipe.generator import GenerationOutcome, References
from ml.recipe.llm import CompletionRequest, completion_requests, outcomes_from_texts
from ml.recipe.materials import MaterialBook


def service_address(base_url: str) -> str:
    """`host:port/path` of a URL, without its scheme or any credentials in it."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path.rstrip('/')}"


class BackendUnavailable(RuntimeError):
    """The circuit breaker is open: the server failed repeatedly and is not being called."""


class OpenAICompatibleGenerator:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        materials: MaterialBook,
        *,
        timeout: float = 60.0,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        api_key: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                   headers=headers, transport=transport)  # fmt: skip
        self.breaker = circuit_breaker(f"openai:{service_address(base_url)}",
                                       fail_max=fail_max, reset_timeout=reset_timeout)
        self.model = model
        self.materials = materials
        self.model_version = f"openai:{model}"

    def close(self) -> None:
        self.client.close()

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References] = ()
    ) -> list[GenerationOutcome]:
        requests = completion_requests(briefs, references, self.materials)
        texts: list[str | BaseException] = []
        for request in requests:
            try:
                texts.append(self.breaker.call(self._complete, request))
            except pybreaker.CircuitBreakerError:
                texts.append(BackendUnavailable(
                    f"circuit open for {self.breaker.name}: failing fast after repeated "
                    f"errors; retry after {self.breaker.reset_timeout:g} s"))  # fmt: skip
            except Exception as exc:  # per item: this brief fails, the batch goes on
                texts.append(exc)
        return outcomes_from_texts(requests, texts, self.materials)

    def _complete(self, request: CompletionRequest) -> str:
        response = self.client.post("/v1/chat/completions", json=self._payload(request))
        response.raise_for_status()
        try:
            return str(response.json()["choices"][0]["message"]["content"])
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise RuntimeError(f"malformed chat completion response: {exc!r}") from exc

    def _payload(self, request: CompletionRequest) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": request.prompt}],
            "temperature": 0,
            "seed": request.brief.seed,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "formula", "schema": request.schema, "strict": True},
            },
        }
