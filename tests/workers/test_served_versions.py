"""Warm models per tenant with a fake registry and fake builds: each tenant on its own
version, new versions built in the background while the old one serves, a bad version
never fails a job, a bounded cache evicting the least recently used."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest

from tests.e2e.harness import wait_until
from workers.served_versions import ServedVersions

pytestmark = pytest.mark.unit


@dataclass
class Model:
    version: str | None
    closed: bool = False


@dataclass
class Fakes:
    serving: dict[str, str | None] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)
    built: list[str | None] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    registry_down: bool = False

    def __post_init__(self) -> None:
        self.gate.set()

    def build(self, version: str | None) -> Model:
        self.gate.wait(10)
        self.built.append(version)
        if version in self.broken:
            raise OSError(f"no model files for {version}")
        return Model(version)

    def versions(self, capacity: int = 4) -> ServedVersions[Model]:
        return ServedVersions(self.build, self.resolve, capacity=capacity, refresh_s=0,
                              retry_failed_s=60)

    def resolve(self, tenant: str) -> str | None:
        if self.registry_down:
            raise ConnectionError("database down")
        return self.serving.get(tenant)


def test_each_tenant_runs_on_the_version_that_serves_it() -> None:
    fakes = Fakes(serving={"a": "v1"})
    versions = fakes.versions()
    assert versions.for_tenant("a").version_id == "v1"  # a cold tenant waits for its build
    assert versions.for_tenant("b").version_id is None  # the base model
    assert versions.for_tenant("a").value is versions.for_tenant("a").value  # kept warm
    assert fakes.built == ["v1", None]


def test_a_new_version_is_built_in_the_background_while_the_old_one_serves() -> None:
    fakes = Fakes(serving={"a": "v1"})
    versions = fakes.versions()
    assert versions.for_tenant("a").version_id == "v1"
    fakes.serving["a"], _ = "v2", fakes.gate.clear()
    assert versions.for_tenant("a").version_id == "v1"  # no job waits for the rebuild
    fakes.gate.set()
    wait_until(lambda: versions.for_tenant("a").version_id == "v2", 10, "the swap")
    assert versions.for_tenant("b").version_id is None  # other tenants never noticed


def test_a_version_that_fails_to_load_never_fails_a_job() -> None:
    fakes = Fakes(serving={"a": "bad"}, broken={"bad"})
    versions = fakes.versions()
    assert versions.for_tenant("a").version_id is None  # the base model meanwhile
    assert versions.for_tenant("a").version_id is None
    assert fakes.built.count("bad") == 1  # not retried in a loop
    fakes.serving["a"] = "v2"
    assert versions.for_tenant("a").version_id in (None, "v2")
    wait_until(lambda: versions.for_tenant("a").version_id == "v2", 10, "the good version")


def test_the_cache_keeps_a_bounded_number_of_versions() -> None:
    fakes = Fakes(serving={"a": "v1", "b": "v2", "c": "v3"})
    versions = fakes.versions(capacity=2)
    for tenant in ("a", "b", "c"):
        assert versions.for_tenant(tenant).version_id == fakes.serving[tenant]
    fakes.built.clear()
    assert versions.for_tenant("b").version_id == "v2"
    assert versions.for_tenant("c").version_id == "v3"
    assert fakes.built == []  # both still warm
    assert versions.for_tenant("a").version_id == "v1"  # evicted: built again
    assert fakes.built == ["v1"]


def test_an_unreachable_registry_keeps_the_served_version() -> None:
    fakes = Fakes(serving={"a": "v1"})
    versions = fakes.versions()
    assert versions.for_tenant("a").version_id == "v1"

    fakes.registry_down = True
    assert versions.for_tenant("a").version_id == "v1"


def test_a_version_s_load_is_logged_when_it_starts_and_when_it_is_ready(
        caplog: pytest.LogCaptureFixture) -> None:
    """The log said a version began loading; an index that took 40 s to build never said
    it was done."""
    import logging

    caplog.set_level(logging.INFO, logger="workers.served_versions")
    fakes = Fakes(serving={"a": "v1"})
    fakes.versions().for_tenant("a")
    lines = [r.getMessage() for r in caplog.records if r.name == "workers.served_versions"]
    assert lines[0].endswith("loading version v1")
    assert lines[1].split(": ", 1)[1].startswith("version v1 ready in ")
