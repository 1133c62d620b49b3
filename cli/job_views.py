"""Jobs, events and batches as lines a person reads, and the exit code each outcome gets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cli.api_access import ExitCode

STATUSES = ("queued", "running", "succeeded", "failed", "canceled")


def job_exit_code(job: Mapping[str, Any]) -> ExitCode:
    """succeeded 0 · failed 1 (time limit: 4) · canceled 3 · not finished: 4."""
    status = job["status"]
    if status == "succeeded":
        return ExitCode.OK
    if status == "canceled":
        return ExitCode.CANCELED
    if status == "failed":
        timed_out = (job.get("error") or {}).get("type") == "time_limit"
        return ExitCode.TIMED_OUT if timed_out else ExitCode.FAILED
    return ExitCode.TIMED_OUT


def batch_exit_code(batch: Mapping[str, Any]) -> ExitCode:
    """All succeeded 0 · an item failed 1 · an item canceled (none failed) 3 · not
    completed: 4."""
    counts = batch["counts"]
    if batch["status"] != "completed":
        return ExitCode.TIMED_OUT
    if counts.get("failed"):
        return ExitCode.FAILED
    return ExitCode.CANCELED if counts.get("canceled") else ExitCode.OK


def job_lines(job: dict[str, Any]) -> list[str]:
    head = f"{job['kind']} job {job['id']}: {job['status']}"
    if job["status"] == "running":
        head += f" ({job['progress']:.0%}, attempt {job['attempts']})"
        if job.get("cancel_requested"):
            head += "; cancel requested: it stops at its next step"
    lines = [head]
    if job.get("error"):
        lines += error_lines(job["error"])
    result = job.get("result") or {}
    if result:
        lines += RESULT_LINES.get(job["kind"], _raw_result)(result)
    return lines


def error_lines(error: dict[str, Any]) -> list[str]:
    lines = [f"  error: {error.get('type', 'error')}: {error.get('message', '')}"]
    lines += [f"    {e.get('field', '')}: {e.get('message', '')}"
              for e in error.get("errors") or [] if isinstance(e, dict)]
    lines += [f"    {v.get('code', '')}: {v.get('message', '')}"
              for v in error.get("violations") or [] if isinstance(v, dict)]
    return lines


def _search_lines(result: dict[str, Any]) -> list[str]:
    hits = result.get("hits") or []
    lines = [f"  {len(hits)} hits for {result.get('query')!r}"]
    corrected = (result.get("interpreted") or {}).get("corrected") or {}
    if isinstance(corrected, dict) and corrected:
        lines.append("  read " + ", ".join(f"{typed!r} as {read!r}"
                                           for typed, read in corrected.items()))
    if result.get("message"):  # what was ignored, relaxed or not found
        lines.append(f"  {result['message']}")
    for rank, hit in enumerate(hits, 1):
        maker = hit.get("brand") or hit.get("odor_family") or ""
        lines.append(f"  {rank:>2}. {hit.get('name')} - {maker} ({hit.get('score', 0):.3f})")
    return lines


def _recipe_lines(result: dict[str, Any]) -> list[str]:
    formula = result.get("formula") or {}
    validation = result.get("validation") or {}
    lines = [f"  {formula.get('name')} ({formula.get('concentration')}, "
             f"{formula.get('dose_pct')}% in the product): "
             f"{'valid' if validation.get('valid') else 'NOT valid'}"]
    for item in formula.get("ingredients") or []:
        lines.append(f"    {item['pct']:>6.2f}%  {item['position']:<5}  {item['name']}")
    lines += [f"  violation: {v.get('code', '')}: {v.get('message', '')}"
              for v in validation.get("violations") or [] if isinstance(v, dict)]
    lines += [f"  repair: {repair}" for repair in result.get("repairs") or []]
    # how the brief was read, and every requested note the formula holds only a stand-in
    # for or not at all
    lines += [f"  note: {note}" for note in result.get("notes") or []]
    return lines


def _training_lines(result: dict[str, Any]) -> list[str]:
    gate = result.get("gate") or {}
    return [f"  model version {result.get('model_version')} ({result.get('state')}), "
            f"{result.get('steps')} steps, final loss {result.get('final_loss')}",
            f"  promotion gate: {'passed' if gate.get('passed') else 'not passed'}: "
            f"{gate.get('reason', '')}"]


def _raw_result(result: dict[str, Any]) -> list[str]:
    return [f"  result: {sorted(result)}"]


RESULT_LINES = {"search": _search_lines, "recipe": _recipe_lines,
                "training": _training_lines}


def event_line(event: dict[str, Any]) -> str:
    data = ", ".join(f"{key}={value}" for key, value in event["data"].items()
                     if not isinstance(value, dict | list))
    return f"{event['created_at']}  #{event['seq']:<3} {event['type']:<10} {data}"


def batch_lines(batch: dict[str, Any]) -> list[str]:
    return [f"batch {batch['id']}: {batch['status']}, {batch['total']} items",
            "  " + counts_text(batch["counts"])]


def counts_text(counts: dict[str, int]) -> str:
    return "  ".join(f"{status} {counts.get(status, 0)}" for status in STATUSES)


def job_table(jobs: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'id':<36}  {'kind':<8}  {'status':<9}  {'progress':>8}  created"]
    lines += [f"{job['id']:<36}  {job['kind']:<8}  {job['status']:<9}  "
              f"{job['progress']:>8.0%}  {job['created_at']}" for job in jobs]
    return lines
