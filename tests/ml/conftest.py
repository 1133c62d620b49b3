"""Search fixtures: a small hand-written knowledge folder (independent of the shipped data),
fake pipelines (hashing encoder + exact in-memory index) and, for `model` tests, the real
embedding model and a real Qdrant Edge index built once per session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ml.embeddings import Encoder, HashingEncoder
from ml.exact_index import InMemoryIndex
from ml.indexing import write_index
from ml.knowledge import Catalog
from ml.search import SearchPipeline

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _perfume(ident: str, name: str, brand: str, family: str, notes: tuple[str, str, str],
             season: str, gender: str, mood: str, description: str) -> dict[str, Any]:
    top, heart, base = (part.split(", ") for part in notes)
    return {"id": ident, "name": name, "brand": brand, "year": 2020, "family": family,
            "subfamily": None, "top_notes": top, "heart_notes": heart, "base_notes": base,
            "season": season.split(), "gender": gender, "concentration": "edp",
            "mood": mood.split(), "description": description, "source_url": None}


PERFUMES = [
    _perfume("spring-citrus-romance", "Citrus Romance", "Alpha", "citrus",
             ("bergamot, lemon", "rose, peony", "musk"), "spring summer", "feminine",
             "fresh romantic", "A bright zesty citrus over a romantic rose heart."),
    _perfume("spring-peony-veil", "Peony Veil", "Beta", "floral",
             ("pink pepper", "peony, rose", "white musk"), "spring", "feminine",
             "romantic playful", "Dewy peonies and soft roses, light and airy."),
    _perfume("winter-amber-night", "Amber Night", "Gamma", "woody_amber",
             ("cardamom", "amber, labdanum", "sandalwood, vanilla"), "autumn winter", "unisex",
             "warm sensual", "A glowing resinous amber for long cold nights."),
    _perfume("iris-leather-study", "Leather Study", "Delta", "dry_woods",
             ("bergamot", "iris, orris", "leather, suede, cedar"), "autumn winter",
             "masculine", "elegant dark", "Powdery iris on worn leather and cedar."),
    _perfume("ocean-drive", "Ocean Drive", "Alpha", "water",
             ("lemon, marine notes", "lavender", "cedar, musk"), "summer", "masculine",
             "fresh sporty", "Salty sea air and citrus for hot days."),
    _perfume("vanilla-cloud", "Vanilla Cloud", "Beta", "soft_amber",
             ("pear", "vanilla, tonka bean", "praline, musk"), "autumn winter", "feminine",
             "sweet cozy", "A soft gourmand of vanilla and praline."),
    _perfume("rose-noir", "Rose Noir", "Gamma", "floral",
             ("saffron", "rose", "oud, patchouli"), "autumn winter", "unisex",
             "dark mysterious", "A dark rose wrapped in smoky oud."),
    _perfume("green-tea-garden", "Tea Garden", "Delta", "green",
             ("green tea, mint", "jasmine", "cedar"), "spring summer", "unisex", "calm clean",
             "Fresh green tea leaves and a touch of jasmine."),
    _perfume("lavender-barber", "Barber", "Epsilon", "aromatic",
             ("lavender, bergamot", "geranium", "tonka bean, oakmoss"), "spring autumn",
             "masculine", "classic clean", "A classic fougere of lavender and oakmoss."),
    _perfume("oakmoss-chypre", "Chypre Classique", "Epsilon", "mossy_woods",
             ("bergamot", "rose, jasmine", "oakmoss, patchouli"), "autumn", "feminine",
             "elegant classic", "A mossy chypre in the old style."),
    _perfume("incense-chapel", "Chapel", "Zeta", "dry_woods",
             ("pink pepper", "incense, myrrh", "vetiver"), "winter", "unisex",
             "mysterious dark", "Cold stone and incense smoke."),
    _perfume("peach-sorbet", "Peach Sorbet", "Zeta", "fruity",
             ("peach, lychee", "freesia", "musk"), "spring summer", "feminine",
             "playful sweet", "Juicy peach and lychee sorbet."),
    _perfume("spring-neroli-cologne", "Neroli Cologne", "Alpha", "citrus",
             ("neroli, bergamot, petitgrain", "orange blossom", "musk"), "spring summer",
             "unisex", "fresh energetic", "A sparkling neroli cologne."),
    _perfume("tobacco-honey", "Tobacco Honey", "Gamma", "amber",
             ("cinnamon", "tobacco, honey", "vanilla, benzoin"), "autumn winter", "masculine",
             "warm cozy", "Honeyed pipe tobacco by the fire."),
    _perfume("winter-amber-night-intense", "Amber Night Intense", "Gamma", "woody_amber",
             ("cardamom, saffron", "amber, labdanum", "sandalwood, vanilla"), "winter",
             "unisex", "warm sensual", "The same resinous amber, stronger and darker."),
]


def _material(ident: str, name: str, synonyms: str, family: str, position: str,
              descriptors: str) -> dict[str, Any]:
    return {"id": ident, "name": name, "synonyms": synonyms.split(", "), "cas": ["0-00-0"],
            "type": "ncs", "odor_family": family, "descriptors": descriptors.split(", "),
            "note_position": position, "typical_use_pct": [1.0, 5.0], "ifra": None,
            "eu_allergen": None, "eu_banned": False, "source_url": None}


MATERIALS = [
    _material("bergamot-oil", "Bergamot oil", "bergamot", "citrus", "top", "citrus, fresh"),
    _material("rose-absolute", "Rose absolute", "rose", "floral", "heart", "rosy, honeyed"),
    _material("iso-e-super", "Iso E Super", "iso e super", "woody", "base", "woody, velvety"),
    _material("vanillin", "Vanillin", "vanilla", "gourmand", "base", "sweet, vanilla"),
    _material("calone", "Calone", "watermelon ketone", "aquatic", "top", "marine, ozonic"),
]


def write_knowledge(folder: Path, perfumes: list[dict[str, Any]] = PERFUMES,
                    materials: list[dict[str, Any]] = MATERIALS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "perfumes_test.json").write_text(json.dumps(perfumes), encoding="utf-8")
    (folder / "materials.json").write_text(json.dumps(materials), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def knowledge_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_knowledge(tmp_path_factory.mktemp("knowledge"))


@pytest.fixture(scope="session")
def catalog(knowledge_dir: Path) -> Catalog:
    return Catalog.load(knowledge_dir)


def make_pipeline(catalog: Catalog, encoder: Encoder | None = None,
                  **options: Any) -> SearchPipeline:
    encoder = encoder or HashingEncoder()
    index = InMemoryIndex()
    write_index(index, encoder, catalog)
    return SearchPipeline(encoder, index, catalog, **options)


@pytest.fixture
def fake_pipeline(catalog: Catalog) -> SearchPipeline:
    return make_pipeline(catalog)


# ---- model tier: the real model and a real Qdrant index (Qdrant Edge, the default) -----
@pytest.fixture(scope="session")
def real_encoder() -> Encoder:
    from ml.embeddings import SentenceTransformerEncoder

    return SentenceTransformerEncoder()


@pytest.fixture(scope="session")
def qdrant_pipeline(tmp_path_factory: pytest.TempPathFactory, catalog: Catalog,
                    real_encoder: Encoder) -> Iterator[SearchPipeline]:
    from ml.search import build_index, build_pipeline

    path = str(tmp_path_factory.mktemp("qdrant") / "index")
    assert build_index(index_path=path, catalog=catalog, encoder=real_encoder)
    pipeline = build_pipeline(index_path=path, catalog=catalog, encoder=real_encoder)
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    """The shipped catalogue."""
    return Catalog.load()


@pytest.fixture(scope="module")
def pipeline(shipped: Catalog) -> Iterator[SearchPipeline]:
    """The shipped catalogue on a fake pipeline (hashing encoder, exact in-memory index): the
    parsing, planning and ranking of real queries, without the model."""
    encoder, index = HashingEncoder(), InMemoryIndex()
    write_index(index, encoder, shipped)
    found = SearchPipeline(encoder, index, shipped)
    yield found
    found.close()


@pytest.fixture
def pipeline_factory() -> Any:
    """`make_pipeline(catalog, encoder=None, **options)`: a fake pipeline per call."""
    return make_pipeline


@pytest.fixture
def knowledge_writer() -> Any:
    """`write_knowledge(folder, perfumes=..., materials=...)`: a knowledge folder."""
    return write_knowledge


@pytest.fixture
def perfume_rows() -> list[dict[str, Any]]:
    return [dict(row) for row in PERFUMES]
