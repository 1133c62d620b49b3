"""Live progress on stderr (rich): a bar with counts per status for a batch (plain lines
when stderr is not a terminal), a status line for a job. Both are fed by the API's event
streams; a batch's, when the API refuses it or it breaks, by polling the batch instead.
stdout stays free for the result (or --json)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.job_views import counts_text
from client import Batch, ClientError, FragranceClient, Job, WaitTimedOut

FINAL = ("succeeded", "failed", "canceled")
T = TypeVar("T")
POLL_S = 2.0  # between two `GET /batches/{id}` (or jobs) once the event stream failed


def follow_batch(client: FragranceClient, batch: Batch, timeout_s: float | None,
                 quiet: bool = False) -> Batch:
    """The batch once completed, showing its progress on stderr (nothing with `quiet`): a
    bar of finished items with counts per status on a terminal, else a plain line each
    time the counts change (a log or a pipe gets whole lines, never a bar cut to 80
    columns). Fed by `batch_updates`; raises WaitTimedOut after `timeout_s`."""
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
        say = functools.partial(progress.console.print, markup=False, highlight=False)
        for latest in batch_updates(client, batch, timeout_s, say):
            progress.update(task, completed=finished(latest),
                            counts=counts_text(latest["counts"]))
    return latest


def _batch_in_lines(client: FragranceClient, batch: Batch, timeout_s: float | None,
                    quiet: bool) -> Batch:
    """One line per change of the counts (none with `quiet`)."""
    shown = ""
    latest = batch
    for latest in batch_updates(client, batch, timeout_s,
                                lambda text: click.echo(text, err=True)):
        line = batch_progress_line(latest)
        if not quiet and line != shown:
            click.echo(line, err=True)
            shown = line
    return latest


def batch_updates(client: FragranceClient, batch: Batch, timeout_s: float | None,
                  say: Callable[[str], None]) -> Iterator[Batch]:
    """The batch each time its counts change, until it is completed: from its event
    stream, or, once the stream is refused for good or breaks (429 too many open streams,
    a proxy that cuts it), from `GET /batches/{id}` every POLL_S, `say`ing so once. The
    batch is accepted by then: a refused stream made `batch submit` exit 1 as if the API
    had refused the batch. Raises WaitTimedOut after `timeout_s`; a failed poll raises."""
    deadline = _deadline(timeout_s)
    latest = batch
    try:
        for latest in client.batch_events(batch["id"], timeout_s=timeout_s):
            yield latest
        return
    except WaitTimedOut:
        raise
    except ClientError as error:
        say(_polling_instead("batch", error))
    yield from _polled(lambda: client.batch(batch["id"]),
                       lambda current: current["status"] == "completed", latest, deadline,
                       f"batch {batch['id']}")


def _deadline(timeout_s: float | None) -> float | None:
    return None if timeout_s is None else time.monotonic() + timeout_s


def _polling_instead(what: str, error: ClientError) -> str:
    """What is said once when a job's or a batch's event stream failed."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return (f"the {what}'s event stream failed ({reason}); asking for the {what} every "
            f"{POLL_S:g} s instead")


def _polled(fetch: Callable[[], T], done: Callable[[T], bool], latest: T,
            deadline: float | None, name: str) -> Iterator[T]:
    """`fetch()` every POLL_S, each answer yielded, until one is `done` (from `latest`,
    the last one seen). Raises WaitTimedOut at `deadline` (monotonic; None: never)."""
    while not done(latest):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            raise WaitTimedOut(f"gave up waiting on {name}")
        time.sleep(POLL_S if left is None else min(POLL_S, left))
        latest = fetch()
        yield latest


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
    `quiet`); once the stream is refused for good or breaks (429 too many open streams),
    from `GET /jobs/{id}` every POLL_S, saying so once: the job was accepted (a refused
    stream made `submit` exit 1 as if it had not). Raises WaitTimedOut after `timeout_s`."""
    deadline = _deadline(timeout_s)
    console = Console(stderr=True, quiet=quiet)
    with console.status(f"job {job_id[:8]}: waiting for events") as status:
        try:
            for event in client.events(job_id, timeout_s=timeout_s):
                status.update(f"job {job_id[:8]}: "
                              f"{status_text(event.event, event.data['data'])}")
            return client.job(job_id)
        except WaitTimedOut:
            raise
        except ClientError as error:
            click.echo(_polling_instead("job", error), err=True)
        job = client.job(job_id)
        for polled in _polled(lambda: client.job(job_id),
                              lambda current: current["status"] in FINAL, job, deadline,
                              f"job {job_id}"):
            job = polled
            status.update(f"job {job_id[:8]}: {job['status']}")
        return job


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
