from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ml.knowledge import Catalog, CatalogError

pytestmark = pytest.mark.unit


def test_loads_every_perfume_file_and_materials(catalog: Catalog, knowledge_dir: Path,
                                                perfume_rows: list[dict[str, Any]]) -> None:
    assert {p.id for p in catalog.perfumes} == {row["id"] for row in perfume_rows}
    assert len(catalog.materials) == 5
    assert catalog.files == ("materials.json", "perfumes_test.json")
    perfume = catalog.perfume("iris-leather-study")
    assert perfume.notes == ("bergamot", "iris", "orris", "leather", "suede", "cedar")
    assert perfume.season == ("autumn", "winter") and perfume.gender == "masculine"
    assert catalog.material("calone").odor_family == "aquatic"
    assert "tonka bean" in catalog.note_vocabulary()


def test_a_second_perfume_file_is_merged(tmp_path: Path, knowledge_writer: Any,
                                         perfume_rows: list[dict[str, Any]]) -> None:
    folder = knowledge_writer(tmp_path, perfume_rows[:3])
    (folder / "perfumes_niche.json").write_text(json.dumps(perfume_rows[3:5]))
    (folder / "notes.json").write_text("not a catalogue file")
    assert len(Catalog.load(folder).perfumes) == 5


def test_fingerprint_is_stable_and_follows_content(tmp_path: Path, knowledge_writer: Any,
                                                   perfume_rows: list[dict[str, Any]]) -> None:
    first = Catalog.load(knowledge_writer(tmp_path / "a")).fingerprint
    assert Catalog.load(knowledge_writer(tmp_path / "b")).fingerprint == first
    perfume_rows[0]["description"] = "changed"
    assert Catalog.load(knowledge_writer(tmp_path / "c", perfume_rows)).fingerprint != first


def test_invalid_json_names_the_file(tmp_path: Path, knowledge_writer: Any) -> None:
    folder = knowledge_writer(tmp_path)
    (folder / "perfumes_partial.json").write_text('[{"id": "half')
    with pytest.raises(CatalogError, match=r"perfumes_partial\.json"):
        Catalog.load(folder)


def test_duplicate_ids_and_missing_fields_are_rejected(
        tmp_path: Path, knowledge_writer: Any, perfume_rows: list[dict[str, Any]]) -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        Catalog.load(knowledge_writer(tmp_path / "dup", perfume_rows + perfume_rows[:1]))
    del perfume_rows[0]["brand"]
    with pytest.raises(CatalogError, match="brand"):
        Catalog.load(knowledge_writer(tmp_path / "bad", perfume_rows))


def test_a_folder_without_perfumes_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="perfumes_"):
        Catalog.load(tmp_path)


def test_the_shipped_knowledge_base_loads() -> None:
    shipped = Catalog.load()
    assert shipped.perfumes and len(shipped.fingerprint) == 64
