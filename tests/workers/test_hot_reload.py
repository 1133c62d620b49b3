"""HotSwap with a fake registry and fake builds: swaps between jobs, falls back, never
fails a job on a bad version, switches back at once on a rollback."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from workers.hot_reload import HotSwap

pytestmark = pytest.mark.unit


@dataclass
class Model:
    version: str | None
    closed: bool = False


@dataclass
class Fakes:
    active: str | None = None
    broken: set[str] = field(default_factory=set)
    built: list[str | None] = field(default_factory=list)

    def build(self, version: str | None) -> Model:
        self.built.append(version)
        if version in self.broken:
            raise OSError(f"no model files for {version}")
        return Model(version)

    def swap(self) -> HotSwap[Model]:
        return HotSwap(self.build, lambda: self.active, interval_s=0,
                       close=lambda model: setattr(model, "closed", True))


def test_a_new_active_version_is_built_and_swapped_in() -> None:
    fakes = Fakes()
    swap = fakes.swap()
    first = swap.start()
    assert first.version_id is None and not swap.check()  # unchanged: nothing built
    held = swap.current.value  # a job in flight holds the old model
    fakes.active = "v1"
    assert swap.check() and swap.current.version_id == "v1"
    assert swap.current.value.version == "v1" and not held.closed
    fakes.active = "v2"
    assert swap.check() and held.closed  # closed one swap later
    assert fakes.built == [None, "v1", "v2"]


def test_a_version_that_fails_to_load_is_skipped_until_the_active_one_changes() -> None:
    fakes = Fakes(active="v1")
    swap = fakes.swap()
    swap.start()
    fakes.active, fakes.broken = "bad", {"bad"}
    assert not swap.check() and swap.current.version_id == "v1"
    assert not swap.check() and fakes.built.count("bad") == 1  # not retried in a loop
    fakes.active = "v2"
    assert swap.check() and swap.current.version_id == "v2"


def test_start_falls_back_to_the_base_model_when_the_active_version_is_broken() -> None:
    fakes = Fakes(active="gone", broken={"gone"})
    swap = fakes.swap()
    assert swap.start().version_id is None


def test_a_rollback_switches_back_without_rebuilding() -> None:
    fakes = Fakes(active="v1")
    swap = fakes.swap()
    swap.start()
    fakes.active = "v2"
    swap.check()
    fakes.active = "v1"
    assert swap.check() and swap.current.version_id == "v1"
    assert fakes.built == ["v1", "v2"] and not swap.current.value.closed


def test_a_rollback_to_the_base_model_switches_back() -> None:
    fakes = Fakes()
    swap = fakes.swap()
    swap.start()
    fakes.active = "v1"
    assert swap.check() and swap.current.version_id == "v1"
    fakes.active = None
    assert swap.check() and swap.current.version_id is None
    assert fakes.built == [None, "v1"]


def test_an_unreachable_registry_keeps_the_served_version() -> None:
    fakes = Fakes(active="v1")
    swap = fakes.swap()
    swap.start()

    def down() -> str | None:
        raise ConnectionError("database down")

    swap._active_id = down  # type: ignore[method-assign]
    assert not swap.check() and swap.current.version_id == "v1"
