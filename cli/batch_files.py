"""Reading a file of briefs (JSONL, CSV with a header, or JSON) and checking every brief
before anything is sent, with the API's own rules: its strict JSON edge (`api.strict_json`:
each key once per object, no NUL or lone surrogate in any string, finite numbers...), which
reads every JSON line as the API reads a body, and its brief validation (`api.briefs`).

CSV cells: empty cells are left out; `notes_include` and `notes_exclude` hold notes
separated by `;`; `seed` is a number. Errors name the file's line (JSONL: the line; CSV:
the line in the file, the header being line 1).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi.exceptions import RequestValidationError

from api.briefs import brief_errors
from api.strict_json import MAX_STRING_CHARS, strict_loads
from client import ApiError

LIST_FIELDS = ("notes_include", "notes_exclude")
INT_FIELDS = ("seed",)
MAX_SHOWN = 20
_BATCH_ITEM_FIELD = re.compile(r"^requests\.(\d+)(?:\.(.*))?$")  # the API's name for brief N


class BriefFileError(ValueError):
    """The file has bad lines; `errors` holds (line, message), in file order."""

    def __init__(self, path: Path, errors: list[tuple[int, str]]) -> None:
        self.path, self.errors = path, errors
        shown = [f"{path.name}:{line}: {message}" for line, message in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            shown.append(f"... and {len(errors) - MAX_SHOWN} more")
        lines = len({line for line, _ in errors})  # a line with two errors is one bad line
        super().__init__(f"{lines} bad line(s) in {path}; nothing was sent\n"
                         + "\n".join(shown))


@dataclass(frozen=True)
class BriefFile:
    """The briefs of a file, in order, and the file line each came from."""

    briefs: list[dict[str, Any]]
    lines: list[int]

    @contextmanager
    def refusals_located(self) -> Iterator[None]:
        """The API's refusal of this file's batch names each brief by its file line."""
        try:
            yield
        except ApiError as error:
            raise located(error, self.lines) from None


def read_briefs(path: Path) -> BriefFile:
    """Every brief of the file, in order. Raises BriefFileError naming each bad line (a
    line that is not JSON, a CSV cell that is not a number, a brief the API refuses)."""
    rows = list(_rows(path))
    errors = [(line, row) for line, row in rows if isinstance(row, str)]
    for line, row in rows:
        if isinstance(row, dict):
            errors += [(line, message) for message in _refusals(row)]
    if not rows:
        errors.append((1, "no briefs in the file"))
    if errors:
        raise BriefFileError(path, sorted(errors, key=lambda error: error[0]))
    kept = [(line, row) for line, row in rows if isinstance(row, dict)]
    return BriefFile([row for _, row in kept], [line for line, _ in kept])


def _refusals(brief: dict[str, Any]) -> list[str]:
    """Why the API would refuse this brief, as the client sends it: first its strict JSON
    edge, then its validation (the API's own order)."""
    try:
        strict_loads(json.dumps(brief))
    except RequestValidationError as exc:
        return [_refusal(loc, message) for loc, message in _edge_offences(exc)]
    return [f"{e['field'] or 'brief'}: {e['message']}" for e in brief_errors(brief)]


def _edge_offences(exc: RequestValidationError) -> list[tuple[tuple[Any, ...], str]]:
    """Each offence the strict JSON edge found: where (below `body`), and its message."""
    return [(tuple(e["loc"][1:]), str(e["msg"])) for e in exc.errors()]


def _refusal(loc: Sequence[Any], message: str) -> str:
    return f"{_field(loc) or 'brief'}: {message}"


def _field(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def located(error: ApiError, lines: Sequence[int]) -> ApiError:
    """`error` with each field error about brief N (`requests.N...`) named by the file line
    that brief came from (`lines[N]`) instead of its place in the request."""
    def moved(entry: dict[str, Any]) -> dict[str, Any]:
        match = _BATCH_ITEM_FIELD.match(str(entry.get("field") or ""))
        if not match or int(match.group(1)) >= len(lines):
            return entry
        return {**entry, "field": match.group(2) or "brief",
                "line": lines[int(match.group(1))]}

    return replace(error, errors=[moved(entry) for entry in error.errors])


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line, brief) or (line, why the line is not a brief)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield raw.count(b"\n", 0, exc.start) + 1, \
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        return
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from _csv_rows(text)
    elif suffix == ".json":
        yield from _json_rows(text)
    else:  # .jsonl, .ndjson and anything else: one JSON object per line
        yield from _jsonl_rows(text)


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each line read by the API's strict JSON edge: a line it refuses (a key given twice,
    a NUL...) yields each of its refusals. Lines end at "\n" only (JSONL's rule; a "\r"
    before it is dropped): `str.splitlines` also broke lines at U+2028, U+2029, U+0085,
    VT and FF, which a JSON string may hold, so valid lines were reported bad and every
    line after them numbered wrong."""
    for line, raw in enumerate(text.split("\n"), 1):
        raw = raw.removesuffix("\r")
        if raw.strip():
            for row in _object_or_refusals(raw):
                yield line, row


def _object_or_refusals(raw: str) -> list[dict[str, Any] | str]:
    try:
        value = strict_loads(raw)
    except RequestValidationError as exc:
        return [_refusal(loc, message) for loc, message in _edge_offences(exc)]
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    return [value if isinstance(value, dict) else "not a JSON object"]


def _json_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """A JSON list of briefs, or `{"requests": [...]}` (the API's body); items count as
    lines 1, 2, ... The file is read by the API's strict JSON edge first: what it refuses
    is named by the item's line."""
    try:
        data = strict_loads(text)
    except RequestValidationError as exc:
        for loc, message in _edge_offences(exc):
            line, within = _item_place(loc)
            yield line, _refusal(within, message)
        return
    except ValueError as exc:
        yield 1, f"not JSON: {exc}"
        return
    items = data.get("requests") if isinstance(data, dict) else data
    if not isinstance(items, list):
        yield 1, 'expected a list of briefs or {"requests": [...]}'
        return
    for index, item in enumerate(items, 1):
        yield index, item if isinstance(item, dict) else "not a JSON object"


def _item_place(loc: tuple[Any, ...]) -> tuple[int, tuple[Any, ...]]:
    """Where a JSON file's offence at `loc` is: the line (item number: its place in the
    list or in `requests`) and the field within that item; line 1 and `loc` itself for
    anything outside an item."""
    inside = loc[1:] if loc[:1] == ("requests",) else loc
    if inside and isinstance(inside[0], int):
        return inside[0] + 1, inside[1:]
    return 1, loc


def _csv_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each row with a cell in it, as a brief. The header's names are read without the
    spaces around them, as cells are (" season " named no field the API knows, and every
    row was blamed for it). A row the csv module cannot read (a cell longer than its
    limit) is a bad line, and the file is read no further."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        yield reader.reader.line_num, _unreadable_csv(exc)
        return
    reader.fieldnames = [name.strip() for name in header]
    repeated = _repeated_columns(reader.fieldnames)
    if repeated:
        yield 1, f"{', '.join(repeated)}: a column may appear only once in the header"
        return
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the DictReader's own line_num is still the last row's
            yield reader.reader.line_num, _unreadable_csv(exc)
            return
        if any((cell or "").strip() for cell in row.values()):
            yield reader.line_num, _csv_brief(row)


def _unreadable_csv(error: csv.Error) -> str:
    """Why the csv module stopped reading (it raised, with a traceback, for a cell over
    its limit of 131,072 characters)."""
    if "field larger than field limit" in str(error):
        return (f"a cell is longer than {csv.field_size_limit():,} characters (the API takes "
                f"at most {MAX_STRING_CHARS:,} in a string); the file was read no further")
    return f"not CSV: {error}; the file was read no further"


def _repeated_columns(names: Sequence[str]) -> list[str]:
    """The header's names given more than once (a row would keep only the last cell)."""
    counts = Counter(names)
    return [name for name, count in counts.items() if count > 1]


def _csv_brief(row: dict[str | None, Any]) -> dict[str, Any] | str:
    if None in row:
        return "more cells than the header has columns"
    brief: dict[str, Any] = {}
    for name, cell in row.items():
        value = (cell or "").strip()
        if not value or name is None:
            continue
        if name in LIST_FIELDS:
            brief[name] = [note.strip() for note in value.split(";") if note.strip()]
        elif name in INT_FIELDS:
            if not value.lstrip("-").isdigit():
                return f"{name}: {value!r} is not a whole number"
            brief[name] = int(value)
        else:
            brief[name] = value
    return brief
