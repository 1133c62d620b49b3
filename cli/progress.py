"""Live progress on stderr (rich): a bar with counts per status for a batch (plain lines
when stderr is not a terminal), a status line for a job. Both are fed by the API's event
streams, not by polling; stdout stays free for the result (or --json)."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.job_views import counts_text
from client import Batch, FragranceClient, Job

FINAL = ("succeeded", "failed", "canceled")


def follow_batch(client: FragranceClient, batch: Batch, timeout_s: float | None,
                 quiet: bool = False) -> Batch:
    """The batch once completed, showing its progress on stderr (nothing with `quiet`): a
    bar of finished items with counts per status on a terminal, else a plain line each
    time the counts change (a log or a pipe gets whole lines, never a bar cut to 80
    columns). Raises WaitTimedOut after `timeout_s`."""
    console = Console(stderr=True, quiet=quiet)
    if quiet or not console.is_terminal:
        return _batch_in_lines(client, batch, timeout_s, quiet)
    return _batch_with_bar(client, batch, timeout_s, console)


def _batch_with_bar(client: FragranceClient, batch: Batch, timeout_s: float | None,
                    console: Console) -> Batch:
    columns = (TextColumn("batch {task.fields[short]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[counts]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("batch", total=batch["total"], short=batch["id"][:8],
                                 counts=counts_text(batch["counts"]))
        latest = batch
        for latest in client.batch_events(batch["id"], timeout_s=timeout_s):
            progress.update(task, completed=finished(latest),
                            counts=counts_text(latest["counts"]))
    return latest


def _batch_in_lines(client: FragranceClient, batch: Batch, timeout_s: float | None,
                    quiet: bool) -> Batch:
    """One line per change of the counts (none with `quiet`)."""
    shown = ""
    latest = batch
    for latest in client.batch_events(batch["id"], timeout_s=timeout_s):
        line = batch_progress_line(latest)
        if not quiet and line != shown:
            click.echo(line, err=True)
            shown = line
    return latest


def batch_progress_line(batch: Batch) -> str:
    """`batch 2d71a9c4: 1/2 finished  queued 0  running 1  succeeded 1  failed 0  ...`"""
    return (f"batch {batch['id'][:8]}: {finished(batch)}/{batch['total']} finished  "
            f"{counts_text(batch['counts'])}")


def finished(batch: Batch) -> int:
    """Items in a final status."""
    return sum(batch["counts"].get(status, 0) for status in FINAL)


def follow_job(client: FragranceClient, job_id: str, timeout_s: float | None,
               quiet: bool = False) -> Job:
    """The job once final, with a live status line from its events (nothing with
    `quiet`). Raises WaitTimedOut after `timeout_s`."""
    console = Console(stderr=True, quiet=quiet)
    with console.status(f"job {job_id[:8]}: waiting for events") as status:
        for event in client.events(job_id, timeout_s=timeout_s):
            status.update(f"job {job_id[:8]}: {status_text(event.event, event.data['data'])}")
    return client.job(job_id)


def status_text(kind: str, data: dict[str, Any]) -> str:
    """One event as the status line shows it: `running 40% step 4/10 loss 0.53`."""
    if kind == "progress":
        text = f"running {float(data.get('progress', 0)):.0%}"
        if "step" in data:
            text += f" step {data['step']}/{data.get('total', '?')}"
        return text + (f" loss {data['loss']:.4f}" if "loss" in data else "")
    if kind == "started":
        return f"running (attempt {data.get('attempt', 1)})"
    return kind
