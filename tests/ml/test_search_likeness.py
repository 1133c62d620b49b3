"""Likeness between perfumes, the wheel, names and editions, and the like-X judging rule."""

from __future__ import annotations

import dataclasses

import pytest

from ml.judging import judge, judge_pair
from ml.knowledge import Catalog
from ml.likeness import WHEEL, Likeness, wheel_proximity, wheel_steps
from ml.names import NameIndex
from ml.tokens import name_tokens

pytestmark = pytest.mark.unit


def test_the_wheel_is_a_circle() -> None:
    assert wheel_steps("floral", "floral") == 0 and wheel_steps("fruity", "floral") == 1
    assert wheel_steps("woods", "citrus") == 4
    assert wheel_proximity("amber", "woody_amber") == pytest.approx(0.85)
    assert wheel_proximity("woods", "citrus") == 0.0


def test_shared_notes_count_and_rare_ones_count_more(catalog: Catalog) -> None:
    likeness = Likeness(catalog.perfumes)
    night = "winter-amber-night"
    assert likeness.notes(night, night) == pytest.approx(1.0)
    assert likeness.notes(night, "winter-amber-night-intense") > likeness.notes(
        night, "tobacco-honey") > likeness.notes(night, "ocean-drive") == 0.0
    # rarer first (vanilla is in four perfumes), the top tier (cardamom) weighs least
    assert likeness.shared_notes(night, "winter-amber-night-intense") == [
        "amber", "labdanum", "sandalwood", "vanilla", "cardamom"]
    assert likeness.score(night, "winter-amber-night-intense", 0.5) > likeness.score(
        night, "tobacco-honey", 0.5)


def test_notes_its_description_names_are_a_perfumes_signature(catalog: Catalog) -> None:
    """Aventus is "a fruity-smoky chypre of pineapple and birch": sharing those weighs
    more than sharing its rose, jasmine and musk (which made 1970s chypres its nearest)."""
    night = catalog.perfume("winter-amber-night")
    described = dataclasses.replace(night, id="described",
                                    description=f"A warm amber of {night.base_notes[0]}.")
    plain = dataclasses.replace(night, id="plain", description="A warm evening amber.")
    signature = night.base_notes[0]
    with_signature = dataclasses.replace(night, id="x", top_notes=(), heart_notes=(),
                                         base_notes=(signature,))
    likeness = Likeness([*catalog.perfumes, described, plain, with_signature])
    assert likeness.notes("described", "x") > likeness.notes("plain", "x")


def test_a_masculine_and_a_feminine_perfume_are_apart(catalog: Catalog) -> None:
    night = catalog.perfume("winter-amber-night")
    his = dataclasses.replace(night, id="his", gender="masculine")
    hers = dataclasses.replace(night, id="hers", gender="feminine")
    theirs = dataclasses.replace(night, id="theirs", gender="unisex")
    likeness = Likeness([*catalog.perfumes, his, hers, theirs])
    assert likeness.score("his", "theirs", 0.5) > likeness.score("his", "hers", 0.5)
    assert likeness.score("hers", "theirs", 0.5) > likeness.score("hers", "his", 0.5)


def test_like_aventus_is_not_a_feminine_chypre_without_its_pineapple_or_birch() -> None:
    catalog = Catalog.load()
    likeness = Likeness(catalog.perfumes)
    aventus = "creed-aventus-2010"
    nearest = sorted((p for p in catalog.perfumes if p.id != aventus),
                     key=lambda p: -likeness.score(aventus, p.id, 0.5))[:3]
    assert "nishane-hacivat-2017" in [p.id for p in nearest]
    assert all(p.gender != "feminine" for p in nearest)


def test_likeness_asks_how_much_of_the_reference_the_other_carries(catalog: Catalog) -> None:
    night = catalog.perfume("winter-amber-night")
    richer = dataclasses.replace(night, id="richer", top_notes=(*night.top_notes, "lemon"))
    likeness = Likeness([*catalog.perfumes, richer])
    # an extra note of the other's own costs nothing; the reference's missing notes do
    assert likeness.notes(night.id, "richer") == pytest.approx(1.0)
    assert likeness.notes("richer", night.id) < 1.0


def test_synonyms_are_one_material_and_the_reference_names_them(catalog: Catalog) -> None:
    night = catalog.perfume("winter-amber-night")
    renamed = dataclasses.replace(night, id="renamed", base_notes=tuple(
        "sandal" if n == "sandalwood" else n for n in night.base_notes))
    likeness = Likeness([*catalog.perfumes, renamed])
    assert likeness.notes(night.id, "renamed") == pytest.approx(1.0)
    assert "sandal" in likeness.shared_notes("renamed", night.id)


def test_distant_families_are_not_alike_however_many_notes_they_share(
        catalog: Catalog) -> None:
    night = catalog.perfume("winter-amber-night")
    twin = dataclasses.replace(night, id="twin-far", family="citrus")
    likeness = Likeness([*catalog.perfumes, twin])
    assert wheel_steps(night.family, "citrus") >= len(WHEEL)
    assert likeness.score(night.id, "twin-far", 1.0) == 0.0
    assert likeness.score(night.id, night.id, 1.0) == pytest.approx(1.0)


def test_editions_share_a_line_and_flankers_only_its_start() -> None:
    names = NameIndex.build(Catalog.load().perfumes)
    assert names.editions("dior-sauvage-eau-de-toilette-2015") == {
        "dior-sauvage-eau-de-toilette-2015", "dior-sauvage-eau-de-parfum-2018",
        "dior-sauvage-elixir-2021"}
    assert "dior-eau-sauvage-1966" not in names.editions("dior-sauvage-eau-de-toilette-2015")
    assert names.editions("ysl-black-opium-2014") == {"ysl-black-opium-2014"}
    assert "chanel-no5-leau-2016" in names.line_members("chanel-no5-parfum-1921")
    assert "chanel-no5-leau-2016" not in names.editions("chanel-no5-parfum-1921")


@pytest.mark.parametrize(("phrase", "perfume"), [
    ("ysl black opium", "ysl-black-opium-2014"), ("black opim", "ysl-black-opium-2014"),
    ("chanel no. 5", "chanel-no5-parfum-1921"), ("Number 5", "chanel-no5-parfum-1921"),
    ("baccarat rouge", "maison-francis-kurkdjian-baccarat-rouge-540-2015"),
    ("terre d hermes", "hermes-terre-dhermes-2006"), ("zorblax nuit", None),
    # a name of generic words counts only with its brand: "aventus for men" was Tom Ford
    # for Men (its "for men" explained more of the phrase than "aventus")
    ("aventus for men", "creed-aventus-2010"),
    ("sauvage for men", "dior-sauvage-eau-de-toilette-2015"),
    ("tom ford for men", "tom-ford-for-men-2007")])
def test_names_resolve_fuzzily(phrase: str, perfume: str | None) -> None:
    assert NameIndex.build(Catalog.load().perfumes).resolve(name_tokens(phrase)) == perfume


def test_the_judging_rule(catalog: Catalog) -> None:
    night = catalog.perfume("winter-amber-night")
    assert judge_pair(night, catalog.perfume("winter-amber-night-intense")) == 3
    honey = dataclasses.replace(catalog.perfume("tobacco-honey"), family="woody_amber")
    assert judge_pair(night, honey) == 0  # one shared note
    shared_three = dataclasses.replace(honey, base_notes=("vanilla", "sandalwood", "amber"))
    assert judge_pair(night, shared_three) == 2
    far = dataclasses.replace(shared_three, family="citrus")
    assert judge_pair(night, far) == 0
    # orris is iris: synonyms are one shared note
    orris = dataclasses.replace(shared_three, heart_notes=("orris",))
    assert judge_pair(dataclasses.replace(night, heart_notes=("iris",)), orris) == 2


def test_nothing_is_judged_like_an_unverified_reference() -> None:
    shipped = Catalog.load()
    unverified = next(p.id for p in shipped.perfumes if not p.verified)
    verified = next(p.id for p in shipped.perfumes if p.verified)
    assert judge(shipped, unverified) == {}
    assert all(shipped.perfume(i).verified for i in judge(shipped, verified))
