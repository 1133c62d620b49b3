"""The catalogue: every `perfumes_*.json` file and `materials.json` of a knowledge folder.

`Catalog.fingerprint` is the sha256 of the files' names and bytes (sorted by name); the
search index stores it and is rebuilt when it changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ml.knowledge.records import Material, Perfume, RecordError

KNOWLEDGE_DIR = Path(__file__).resolve().parent
MATERIALS_FILE = "materials.json"
PERFUME_FILES = "perfumes_*.json"


class CatalogError(ValueError):
    """A knowledge file is missing, not valid JSON, or holds an invalid or duplicate row."""


def catalog_files(directory: Path) -> list[Path]:
    """The data files a catalogue reads from `directory`, sorted by name."""
    files = sorted(directory.glob(PERFUME_FILES))
    materials = directory / MATERIALS_FILE
    return sorted([*files, materials] if materials.is_file() else files)


def fingerprint(files: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CatalogError(f"{path.name}: cannot read the knowledge file ({exc})") from exc
    if not isinstance(rows, list):
        raise CatalogError(f"{path.name}: expected a JSON list of rows")
    return rows


def _unique(records: Sequence[Perfume] | Sequence[Material], what: str) -> None:
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise CatalogError(f"duplicate {what} id {record.id!r}")
        seen.add(record.id)


@dataclass(frozen=True)
class Catalog:
    """Perfumes and materials, immutable; lookups by id through `perfume` / `material`."""

    perfumes: tuple[Perfume, ...]
    materials: tuple[Material, ...]
    fingerprint: str
    files: tuple[str, ...] = ()
    _perfumes: dict[str, Perfume] = field(init=False, repr=False, compare=False)
    _materials: dict[str, Material] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _unique(self.perfumes, "perfume")
        _unique(self.materials, "material")
        object.__setattr__(self, "_perfumes", {p.id: p for p in self.perfumes})
        object.__setattr__(self, "_materials", {m.id: m for m in self.materials})

    def perfume(self, perfume_id: str) -> Perfume:
        """The perfume with this id; raises KeyError when there is none."""
        return self._perfumes[perfume_id]

    def has_perfume(self, perfume_id: str) -> bool:
        return perfume_id in self._perfumes

    def material(self, material_id: str) -> Material:
        """The material with this id; raises KeyError when there is none."""
        return self._materials[material_id]

    def note_vocabulary(self) -> frozenset[str]:
        """Every note name used by a perfume (lower case)."""
        return frozenset(note for perfume in self.perfumes for note in perfume.notes)

    def mood_vocabulary(self) -> frozenset[str]:
        return frozenset(mood for perfume in self.perfumes for mood in perfume.mood)

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Catalog:
        """Read the catalogue from `directory` (default: the shipped `ml/knowledge`).

        Raises CatalogError when no perfume file exists or a file or row is invalid.
        """
        folder = Path(directory) if directory is not None else KNOWLEDGE_DIR
        files = catalog_files(folder)
        if not any(path.name != MATERIALS_FILE for path in files):
            raise CatalogError(f"no {PERFUME_FILES} file in {folder}")
        perfumes: list[Perfume] = []
        materials: list[Material] = []
        try:
            for path in files:
                if path.name == MATERIALS_FILE:
                    materials.extend(Material.from_row(row) for row in _rows(path))
                else:
                    perfumes.extend(Perfume.from_row(row) for row in _rows(path))
        except RecordError as exc:
            raise CatalogError(str(exc)) from exc
        return cls(tuple(perfumes), tuple(materials), fingerprint(files),
                   tuple(path.name for path in files))
