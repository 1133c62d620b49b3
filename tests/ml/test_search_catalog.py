from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ml import knowledge
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


SHIPPED = Path(knowledge.__file__).parent


def _evidence() -> dict[str, dict[str, Any]]:
    lines = (SHIPPED / "perfume_evidence.jsonl").read_text("utf-8").splitlines()
    return {row["id"]: row for row in map(json.loads, lines)}


def test_every_verified_perfume_cites_a_page_that_states_its_notes() -> None:
    shipped, evidence = Catalog.load(), _evidence()
    assert set(evidence) <= {p.id for p in shipped.perfumes}
    for perfume in shipped.perfumes:
        if not perfume.verified:
            assert perfume.id not in evidence or evidence[perfume.id]["verdict"] == "unverified"
            continue
        row = evidence[perfume.id]
        assert row["verdict"] in ("verified", "corrected") and row["note"]
        url = perfume.source_url or ""
        assert url == row["sources"][0] and url.startswith(("https://", "http://"))
        assert "/search" not in url and "?query=" not in url


def test_sources_md_states_how_many_rows_are_verified() -> None:
    shipped = Catalog.load()
    verified = sum(p.verified for p in shipped.perfumes)
    corrected = sum(row["verdict"] == "corrected" for row in _evidence().values())
    text = (SHIPPED / "SOURCES.md").read_text("utf-8")
    assert f"**{verified} of the {len(shipped.perfumes)} perfumes are verified**" in text
    assert f"{corrected} of them corrected" in text
    assert "/work/" not in text
