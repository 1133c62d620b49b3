"""`fragrance batch submit|watch|download|cancel`: a file of briefs in, a progress bar with
counts per status (fed by `GET /batches/{id}/events`), results out as JSONL or CSV (from
`GET /batches/{id}/results`), one line per item in input order."""

from __future__ import annotations

import csv
import json
import os
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import IO, Any

import click

from cli.api_access import Access, ExitCode, with_api
from cli.job_commands import briefs_or_exit
from cli.job_views import batch_exit_code, batch_lines, counts_text
from cli.option_types import RESOURCE_ID, SECONDS, idempotency_key_option
from cli.progress import follow_batch
from client import Batch, BatchResult, ClientError, FragranceClient, WaitTimedOut

CSV_COLUMNS = ("index", "job_id", "status", "result", "error")


def _writable_output(ctx: click.Context, param: click.Parameter,
                     path: Path | None) -> Path | None:
    """An output file that can be written, checked before the API is asked anything: its
    folder exists, and the file (or, for a new file, its folder) is writable."""
    if path is None:
        return None
    if not path.parent.is_dir():
        raise click.BadParameter(f"File '{path}': there is no folder '{path.parent}'.",
                                 ctx, param)
    if not os.access(path if path.exists() else path.parent, os.W_OK):
        raise click.BadParameter(f"File '{path}' is not writable: permission denied.",
                                 ctx, param)
    return path


def _opened_for_writing(path: Path) -> IO[str]:
    """`path` opened for writing; a usage error naming it (exit 2) when it cannot be."""
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise click.BadParameter(f"File '{path}': {exc.strerror or exc}.",
                                 param_hint="'--output' / '-o'") from None


@click.group(help="Batches of recipe briefs: submit a file, follow it, download results.")
def batch() -> None:
    pass


@batch.command("submit", help="Check every brief of PATH (JSONL, or CSV with a header), "
                              "submit them as one batch and follow it with a progress bar. "
                              "Bad lines are listed with their line numbers and nothing is "
                              "sent (exit 2).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@idempotency_key_option("send the same key again to get the same batch (default: a new "
                        "one)")
@click.option("--webhook", default=None, help="URL to receive batch.completed")
@click.option("--no-wait", is_flag=True, help="print the batch and return")
@click.option("--timeout", default=3600.0, show_default=True, type=SECONDS,
              help="seconds to follow it")
@with_api
def batch_submit(access: Access, path: Path, idempotency_key: str | None,
                 webhook: str | None, no_wait: bool, timeout: float) -> None:
    briefs = briefs_or_exit(path)
    options: dict[str, Any] = {"webhook": webhook} if webhook else {}
    with access.client() as client:
        with briefs.refusals_located():
            submitted = client.submit_batch(briefs.briefs, idempotency_key=idempotency_key
                                            or f"cli-{uuid.uuid4()}", **options)
        click.echo(f"batch {submitted['id']}: {submitted['total']} briefs from {path.name}",
                   err=True)
        if no_wait:
            access.emit(submitted, batch_lines)
            return
        _follow(access, client, submitted, timeout)


@batch.command("watch", help="Follow a batch with a progress bar until it completes; exit "
                             "0 if every item succeeded, 1 if one failed, 3 if one was "
                             "canceled.")
@click.argument("batch_id", type=RESOURCE_ID)
@click.option("--timeout", default=3600.0, show_default=True, type=SECONDS,
              help="seconds to follow it")
@with_api
def batch_watch(access: Access, batch_id: str, timeout: float) -> None:
    with access.client() as client:
        _follow(access, client, client.batch(batch_id), timeout)


def _follow(access: Access, client: FragranceClient, current: Batch, timeout: float) -> None:
    """Follow the batch until it completes, print it and exit with its code. A batch
    completed already is only reported (`--timeout 0` said "gave up waiting" beside
    "completed"). The batch is accepted by now, so a failure to follow it prints the batch
    as last seen and says it goes on, never an error alone (read: nothing accepted)."""
    if current["status"] != "completed":
        try:
            current = follow_batch(client, current, timeout, quiet=access.as_json)
        except WaitTimedOut:
            current = _batch_or(client, current)
            if current["status"] != "completed":
                click.echo(f"gave up waiting after {timeout:g} s; the batch goes on",
                           err=True)
        except ClientError as error:
            access.emit(current, batch_lines)
            click.echo(f"Error: batch {current['id']} was accepted and goes on, but "
                       f"following it failed: {error}", err=True)
            sys.exit(ExitCode.FAILED)
    access.emit(current, batch_lines)
    sys.exit(batch_exit_code(current))


def _batch_or(client: FragranceClient, last_seen: Batch) -> Batch:
    """The batch now, or as last seen when the API cannot say."""
    try:
        return client.batch(last_seen["id"])
    except ClientError:
        return last_seen


@batch.command("download", help="Write every item's outcome, one line per item in input "
                                "order: index, job_id, status, and result or error. "
                                "Without -o the lines are stdout; with -o FILE a summary "
                                "goes to stderr, or with --json a JSON summary (batch_id, "
                                "format, output, lines, counts) to stdout. --json needs "
                                "-o: stdout cannot hold both the results and JSON.")
@click.argument("batch_id", type=RESOURCE_ID)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=None, callback=_writable_output, help="a file (default: stdout)")
@with_api
def batch_download(access: Access, batch_id: str, fmt: str, output: Path | None) -> None:
    if access.as_json and output is None:  # CSV (or JSONL and a summary) went to stdout
        raise click.UsageError("--json prints a JSON summary of the file written: give "
                               "-o FILE too (without --json the results go to stdout)")
    with access.client() as client:
        client.batch(batch_id)  # a 404 before any file is written
        if output is None:
            counts = _write(client.batch_results(batch_id), sys.stdout, fmt)
        else:
            with _opened_for_writing(output) as sink:
                counts = _write(client.batch_results(batch_id), sink, fmt)
    summary = {"batch_id": batch_id, "format": fmt, "output": str(output or "-"),
               "lines": sum(counts.values()), "counts": dict(counts)}
    if output is not None:
        click.echo(json.dumps(summary) if access.as_json else
                   f"wrote {summary['lines']} lines to {output}: {counts_text(counts)}",
                   err=not access.as_json)


def _write(lines: Any, sink: IO[str], fmt: str) -> Counter[str]:
    """Write the result lines as JSONL or CSV (result and error as JSON cells)."""
    counts: Counter[str] = Counter()
    writer = csv.writer(sink) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(CSV_COLUMNS)
    for line in lines:
        counts[line["status"]] += 1
        if writer is None:
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
            writer.writerow(_csv_cells(line))
    return counts


def _csv_cells(line: BatchResult) -> list[Any]:
    def cell(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    return [line["index"], line["job_id"], line["status"], cell(line["result"]),
            cell(line["error"])]


@batch.command("cancel", help="Cancel what has not finished; finished items keep results.")
@click.argument("batch_id", type=RESOURCE_ID)
@with_api
def batch_cancel(access: Access, batch_id: str) -> None:
    with access.client() as client:
        access.emit(client.cancel_batch(batch_id), batch_lines)
