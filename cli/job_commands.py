"""`fragrance submit search|recipe|batch` and `fragrance jobs show|list|watch|cancel|events`.

Commands that wait, and `jobs show` of a final job, end with the job's exit code
(`cli.job_views.job_exit_code`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cli.api_access import Access, ExitCode, with_api
from cli.batch_files import BriefFile, BriefFileError, read_briefs
from cli.job_views import batch_lines, event_line, job_exit_code, job_lines, job_table
from cli.option_types import EVENT_NUMBER, RESOURCE_ID, SECONDS, BriefWord
from cli.progress import follow_job
from client import TERMINAL, FragranceClient, Job, WaitTimedOut

SUBMIT_WAIT_S = 10.0  # the submit itself waits this long (Prefer: wait), then the events


def finish(access: Access, client: FragranceClient, job: Job, timeout_s: float) -> None:
    """Follow `job` to its end (a live status line), print it, exit with its code."""
    if job["status"] not in ("succeeded", "failed", "canceled"):
        try:
            job = follow_job(client, job["id"], timeout_s, quiet=access.as_json)
        except WaitTimedOut:
            job = client.job(job["id"])
            click.echo(f"gave up waiting after {timeout_s:g} s; the job goes on", err=True)
    access.emit(job, job_lines)
    sys.exit(job_exit_code(job))


MAX_TOP_K = 100  # the API's limit on a search's top_k


@click.group(help="Submit jobs.")
def submit() -> None:
    pass


@submit.command("search", help="Submit a semantic search; print the finished job.")
@click.argument("query")
@click.option("--top-k", default=10, show_default=True, type=click.IntRange(1, MAX_TOP_K),
              help=f"hits to return, 1 to {MAX_TOP_K}")
@click.option("--search-type", default="hybrid", show_default=True,
              type=click.Choice(["hybrid", "similarity", "keyword"], case_sensitive=False))
@click.option("--no-wait", is_flag=True, help="print the queued job and return")
@click.option("--timeout", default=60.0, show_default=True, type=SECONDS,
              help="seconds to wait")
@with_api
def submit_search(access: Access, query: str, top_k: int, search_type: str, no_wait: bool,
                  timeout: float) -> None:
    with access.client() as client:
        job = client.submit_search(query, top_k=top_k, search_type=search_type,
                                   wait_s=0 if no_wait else min(SUBMIT_WAIT_S, timeout))
        if no_wait:
            access.emit(job, job_lines)
            return
        finish(access, client, job, timeout)


@submit.command("recipe", help="Submit a recipe brief; print the finished job.")
@click.option("--family", "fragrance_family", required=True,
              help="floral, citrus, woody, oriental, chypre, ... or a wheel family")
@click.option("--mood", default="")
@click.option("--intensity", default="moderate", show_default=True,
              type=BriefWord("intensity"), help="or a word for one: subtle, intense, 은은한")
@click.option("--gender", default="unisex", show_default=True, type=BriefWord("gender"),
              help="or a word for one: \"for her\", men's, 남성")
@click.option("--season", default=None, type=BriefWord("season"),
              help="or a word for one: fall, 여름; \"year round\" is none in particular")
@click.option("--include", "notes_include", multiple=True, help="a note to include")
@click.option("--exclude", "notes_exclude", multiple=True, help="a note to leave out")
@click.option("--concentration", default=None, type=BriefWord("concentration"),
              help="or its name: \"eau de parfum\", 오 드 퍼퓸")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--no-wait", is_flag=True, help="print the queued job and return")
@click.option("--timeout", default=300.0, show_default=True, type=SECONDS,
              help="seconds to wait")
@with_api
def submit_recipe(access: Access, no_wait: bool, timeout: float, **brief: Any) -> None:
    body = {k: list(v) if isinstance(v, tuple) else v for k, v in brief.items()
            if v not in (None, ())}
    with access.client() as client:
        job = client.submit_recipe(body, wait_s=0 if no_wait else min(SUBMIT_WAIT_S, timeout))
        if no_wait:
            access.emit(job, job_lines)
            return
        finish(access, client, job, timeout)


@submit.command("batch", help="Submit a file of briefs (JSONL, CSV with a header, or JSON) "
                              "as one batch and print it (`fragrance batch submit` follows "
                              "it with a progress bar).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_api
def submit_batch(access: Access, path: Path) -> None:
    briefs = briefs_or_exit(path)
    with access.client() as client, briefs.refusals_located():
        access.emit(client.submit_batch(briefs.briefs), batch_lines)


def briefs_or_exit(path: Path) -> BriefFile:
    """The file's briefs, or its bad lines on stderr and exit 2 (nothing sent)."""
    try:
        return read_briefs(path)
    except BriefFileError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(ExitCode.USAGE)


@click.group(help="Read, follow and cancel jobs.")
def jobs() -> None:
    pass


@jobs.command("show", help="Print one job; exit with its code once it is final (failed 1, "
                           "canceled 3, time limit 4; queued or running: 0).")
@click.argument("job_id", type=RESOURCE_ID)
@with_api
def jobs_show(access: Access, job_id: str) -> None:
    with access.client() as client:
        job = client.job(job_id)
    access.emit(job, job_lines)
    if job["status"] in TERMINAL:
        sys.exit(job_exit_code(job))


@jobs.command("list", help="List your jobs, newest first.")
@click.option("--status", type=click.Choice(["queued", "running", "succeeded", "failed",
                                             "canceled"]))
@click.option("--kind", type=click.Choice(["search", "recipe", "training"]))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@with_api
def jobs_list(access: Access, status: str | None, kind: str | None, limit: int) -> None:
    with access.client() as client:
        listed: list[Job] = []
        for job in client.jobs(status=status, kind=kind, page_size=min(limit, 100)):
            listed.append(job)
            if len(listed) == limit:
                break
    access.emit(listed, job_table)


@jobs.command("watch", help="Follow a job's events with a live status line; print it when "
                            "it is final and exit with its code.")
@click.argument("job_id", type=RESOURCE_ID)
@click.option("--timeout", default=600.0, show_default=True, type=SECONDS,
              help="seconds to wait")
@with_api
def jobs_watch(access: Access, job_id: str, timeout: float) -> None:
    with access.client() as client:
        finish(access, client, client.job(job_id), timeout)


@jobs.command("cancel", help="Cancel a job: queued, it never runs; running, it stops at "
                             "its next checkpoint.")
@click.argument("job_id", type=RESOURCE_ID)
@with_api
def jobs_cancel(access: Access, job_id: str) -> None:
    with access.client() as client:
        access.emit(client.cancel(job_id), job_lines)


@jobs.command("events", help="Print a job's events as they happen, until its final one "
                             "(--json: one JSON object per line).")
@click.argument("job_id", type=RESOURCE_ID)
@click.option("--after", default=0, show_default=True, type=EVENT_NUMBER,
              help="start after this event number")
@with_api
def jobs_events(access: Access, job_id: str, after: int) -> None:
    with access.client() as client:
        for event in client.events(job_id, after=after):
            click.echo(json.dumps(event.data, ensure_ascii=False) if access.as_json
                       else event_line(event.data))
