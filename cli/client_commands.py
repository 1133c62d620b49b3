"""Client commands: submit jobs and watch them through the HTTP API."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import click
import httpx

from cli.stack import DEV_KEY_FILE

TERMINAL = {"succeeded", "failed", "canceled"}


class ApiClient:
    def __init__(self, base_url: str, api_key: str) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=70,
                                  headers={"Authorization": f"Bearer {api_key}"})

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach the API: {exc}") from exc
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise click.ClickException(f"{response.status_code} {body.get('title')}: "
                                       f"{body.get('detail')} {body.get('errors', '')}")
        return body


pass_client = click.make_pass_decorator(ApiClient)


def _api_key(given: str | None) -> str:
    key = given or os.environ.get("FRAGRANCE_API_KEY")
    if not key and Path(DEV_KEY_FILE).exists():
        key = Path(DEV_KEY_FILE).read_text().strip()
    if not key:
        raise click.UsageError("no API key: pass --api-key or set FRAGRANCE_API_KEY")
    return key


def _client_options(command: Any) -> Any:
    command = click.option("--api-key", default=None, help="default: $FRAGRANCE_API_KEY or "
                           "the development key from `fragrance run`")(command)
    command = click.option("--url", default="http://127.0.0.1:8000", show_default=True,
                           envvar="FRAGRANCE_API_URL")(command)
    return command


def _print(body: dict[str, Any]) -> None:
    click.echo(json.dumps(body, indent=2, ensure_ascii=False))


def wait_for(client: ApiClient, job_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.call("GET", f"/api/v1/jobs/{job_id}")
        if job["status"] in TERMINAL or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


@click.group(help="Submit jobs.")
def submit() -> None:
    pass


@submit.command("search", help="Submit a semantic search and print the finished job.")
@click.argument("query")
@click.option("--top-k", default=10, show_default=True, type=int)
@click.option("--search-type", default="hybrid", show_default=True,
              type=click.Choice(["hybrid", "similarity", "keyword"]))
@click.option("--no-wait", is_flag=True, help="print the queued job and return")
@_client_options
def submit_search(query: str, top_k: int, search_type: str, no_wait: bool, url: str,
                  api_key: str | None) -> None:
    client = ApiClient(url, _api_key(api_key))
    job = client.call("POST", "/api/v1/search/semantic",
                      json={"query": query, "top_k": top_k, "search_type": search_type})
    _print(job if no_wait else wait_for(client, job["id"], 60))


@submit.command("recipe", help="Submit a recipe brief and print the finished job.")
@click.option("--family", "fragrance_family", required=True,
              help="floral, citrus, woody, oriental, chypre, ... or a wheel family")
@click.option("--mood", default="")
@click.option("--intensity", default="moderate", show_default=True,
              type=click.Choice(["light", "moderate", "strong"]))
@click.option("--gender", default="unisex", show_default=True,
              type=click.Choice(["feminine", "masculine", "unisex"]))
@click.option("--season", default=None,
              type=click.Choice(["spring", "summer", "autumn", "winter"]))
@click.option("--include", "notes_include", multiple=True, help="a note to include")
@click.option("--exclude", "notes_exclude", multiple=True, help="a note to leave out")
@click.option("--concentration", default=None,
              type=click.Choice(["parfum", "edp", "edt", "edc"], case_sensitive=False))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--no-wait", is_flag=True, help="print the queued job and return")
@_client_options
def submit_recipe(no_wait: bool, url: str, api_key: str | None, **brief: Any) -> None:
    body = {k: list(v) if isinstance(v, tuple) else v for k, v in brief.items()
            if v not in (None, ())}
    client = ApiClient(url, _api_key(api_key))
    job = client.call("POST", "/api/v1/generate/recipe", json=body)
    _print(job if no_wait else wait_for(client, job["id"], 300))


@submit.command("batch", help="Submit a batch of briefs from a JSON file "
                              "({\"requests\": [...]} or a list) and print the batch.")
@click.argument("path", type=click.File("r", encoding="utf-8"))
@_client_options
def submit_batch(path: Any, url: str, api_key: str | None) -> None:
    try:
        data = json.load(path)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="PATH") from exc
    body = data if isinstance(data, dict) else {"requests": data}
    _print(ApiClient(url, _api_key(api_key)).call("POST", "/api/v1/generate/batch", json=body))


@click.group(help="Read jobs.")
def jobs() -> None:
    pass


@jobs.command("show", help="Print one job.")
@click.argument("job_id")
@_client_options
def jobs_show(job_id: str, url: str, api_key: str | None) -> None:
    _print(ApiClient(url, _api_key(api_key)).call("GET", f"/api/v1/jobs/{job_id}"))


@jobs.command("watch", help="Poll a job until it finishes, then print it.")
@click.argument("job_id")
@click.option("--timeout", default=600, show_default=True, type=float)
@_client_options
def jobs_watch(job_id: str, timeout: float, url: str, api_key: str | None) -> None:
    _print(wait_for(ApiClient(url, _api_key(api_key)), job_id, timeout))


COMMANDS = (submit, jobs)
