"""Uploaded training datasets: JSONL files validated line by line.

An uploaded file has one JSON object per line with exactly the target's two fields:
`{"query", "positive"}` for `embedding`, `{"prompt", "completion"}` for `generator`.
Blank lines are skipped (but counted: line numbers are the file's). Plain Python, no torch:
the API checks uploads with it before a job exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ml.training.examples import (
    FIELDS,
    MIN_EXAMPLES,
    TARGETS,
    Dataset,
    DatasetError,
    Example,
    Target,
)

MAX_ERRORS = 100
DEFAULT_MAX_CHARS: dict[Target, int] = {"embedding": 2_000, "generator": 16_000}


@dataclass(frozen=True)
class DatasetLimits:
    """`max_chars` bounds every text field; None means `DEFAULT_MAX_CHARS[target]`."""

    max_lines: int = 50_000
    max_chars: int | None = None

    def chars(self, target: Target) -> int:
        return self.max_chars if self.max_chars is not None else DEFAULT_MAX_CHARS[target]


def _decode(raw: str | bytes) -> str | None:
    try:
        return raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return None


# control characters no text holds (tab and line breaks aside): refused in uploaded lines
# ("a\\u0007b" was trained on) and in every string of a JSON body (api.strict_json)
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _is_text(value: str) -> bool:
    """Text every store can keep: no NUL or other control character, no lone surrogate
    (escapes like \\udc80 parse to one)."""
    if CONTROLS.search(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _field_errors(row: Any, target: Target, max_chars: int) -> list[str]:
    if not isinstance(row, dict):
        return [f"expected a JSON object, got {type(row).__name__}"]
    wanted = FIELDS[target]
    article = "an" if target[:1] in "aeiou" else "a"
    errors = [f"unexpected field {key!r} ({article} {target} line has {list(wanted)})"
              for key in row if key not in wanted]
    for key in wanted:
        value = row.get(key)
        if key not in row:
            errors.append(f"missing field {key!r}")
        elif not isinstance(value, str) or not value.strip():
            errors.append(f"field {key!r} must be a non-empty string")
        elif len(value) > max_chars:
            errors.append(f"field {key!r} has {len(value)} characters; the limit is {max_chars}")
        elif not _is_text(value):
            errors.append(f"field {key!r} holds a control character or a lone surrogate, "
                          "which is not text")
    return errors


class _RepeatedKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (Python keeps the last one silently)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _RepeatedKey(f"field {key!r} is given more than once")
        found[key] = value
    return found


def _line_errors(text: str, target: Target, max_chars: int) -> tuple[Example | None, list[str]]:
    try:
        row = json.loads(text, object_pairs_hook=_object)
    except _RepeatedKey as exc:
        return None, [str(exc)]
    except json.JSONDecodeError as exc:
        return None, [f"invalid JSON: {exc.msg} at column {exc.colno}"]
    except RecursionError:
        return None, ["invalid JSON: nested too deeply"]
    except ValueError as exc:  # e.g. an integer literal longer than Python converts
        return None, [f"invalid JSON: {exc}"[:200]]
    errors = _field_errors(row, target, max_chars)
    if errors:
        return None, errors
    source, goal = FIELDS[target]
    return Example(row[source], row[goal]), []


def _refuse_overlong(lines: Iterable[str | bytes], limit: int) -> None:
    """DatasetError at the first line past `limit` lines that are not blank, before any
    line is parsed (a 100,000-line upload was read for seconds before being told); lines
    read from a stream are counted as they are read instead."""
    if not isinstance(lines, Sequence) or len(lines) <= limit:
        return
    seen = 0
    for number, raw in enumerate(lines, start=1):
        if raw.strip():
            seen += 1
            if seen > limit:
                raise DatasetError([(number, f"too many lines: the limit is {limit}")])


def validate_jsonl(lines: Iterable[str | bytes], target: Target, *, name: str = "upload",
                   limits: DatasetLimits | None = None) -> Dataset:
    """A `Dataset` of every line, or `DatasetError` listing `(line_number, message)` for
    each bad line (at most `MAX_ERRORS`), an empty file (line 0) or a file longer than
    `limits.max_lines` (reported at the first line over the limit; reading stops there)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, not {target!r}")
    limits = limits or DatasetLimits()
    _refuse_overlong(lines, limits.max_lines)
    examples: list[Example] = []
    errors: list[tuple[int, str]] = []
    seen = 0
    for number, raw in enumerate(lines, start=1):
        text = _decode(raw)
        if text is not None and not text.strip():
            continue
        seen += 1
        if seen > limits.max_lines:
            errors.append((number, f"too many lines: the limit is {limits.max_lines}"))
            break
        example, problems = (_line_errors(text, target, limits.chars(target)) if text is not None
                             else (None, ["not valid UTF-8"]))
        errors += [(number, problem) for problem in problems]
        if example is not None:
            examples.append(example)
        if len(errors) >= MAX_ERRORS:
            break
    if not examples and not errors:
        errors.append((0, "the file is empty: no examples"))
    elif len(examples) < MIN_EXAMPLES and not errors:
        errors.append((0, f"a training run needs at least {MIN_EXAMPLES} examples, the file "
                          f"has {len(examples)}"))
    if errors:
        raise DatasetError(errors)
    return Dataset(name, target, tuple(examples))
