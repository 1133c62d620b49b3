"""The image, checked without a Docker engine: hadolint passes on the Dockerfile; it builds in
stages from hash-pinned lock files that agree with setup.cfg and runs as an unprivileged user;
the build context leaves out environments, state and secrets."""

from __future__ import annotations

import fnmatch
import re
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.conftest import ROOT, run

pytestmark = pytest.mark.integration

DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
LOCKS = {"cpu": ROOT / "deploy/docker/requirements.lock",
         "gpu": ROOT / "deploy/docker/requirements-gpu.lock"}


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in lines if line and not line.startswith("#")]


def stages() -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for instruction, args in instructions():
        if instruction == "FROM":
            current = []
            found[args.split()[-1]] = current
        else:
            current.append((instruction, args))
    return found


def locked(lock: Path) -> dict[str, str]:
    """name -> version of every pin, each of which must carry a hash."""
    text = lock.read_text()
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})+)",
                      text, re.MULTILINE)
    requirement_lines = re.findall(r"^[A-Za-z0-9]", text, re.MULTILINE)
    assert len(pins) == len(requirement_lines), f"a pin of {lock.name} has no hash"
    return {canonicalize_name(name): version for name, version, _ in pins}


def declared(extra: str | None = None) -> list[Requirement]:
    setup = ConfigParser()
    setup.read(ROOT / "setup.cfg")
    lines = (setup["options.extras_require"][extra] if extra
             else setup["options"]["install_requires"]).splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def test_hadolint_passes_on_the_dockerfile(hadolint: str) -> None:
    result = run([hadolint, "--no-color", str(DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_runtime_images_copy_only_the_virtualenv_and_run_unprivileged() -> None:
    found = stages()
    assert list(found)[-1] == "cpu"  # a plain `docker build` makes the CPU image
    for target in ("cpu", "gpu"):
        steps = found[target]
        copies = [args for instruction, args in steps if instruction == "COPY"]
        assert copies == [f"--from={target}-builder /opt/venv /opt/venv"], target
        users = [args for instruction, args in steps if instruction == "USER"]
        assert users and users[-1].split(":")[0] not in ("root", "0"), target


def test_dependencies_install_from_the_hash_pinned_lock_files_then_the_project() -> None:
    found = stages()
    for target, lock in LOCKS.items():
        runs = " ".join(args for instruction, args in found[f"{target}-builder"]
                        if instruction in ("RUN", "COPY"))
        assert f"deploy/docker/{lock.name}" in runs, target
        assert "--require-hashes --no-deps -r" in runs, target
        assert "pip install --no-deps --no-build-isolation /src && pip check" in runs, target


def test_the_lock_files_satisfy_setup_cfg_and_pin_torch_only_where_they_should() -> None:
    cpu, gpu = locked(LOCKS["cpu"]), locked(LOCKS["gpu"])
    for lock_name, lock, requirements in (("cpu", cpu, declared()),
                                          ("gpu", gpu, declared() + declared("gpu"))):
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            if lock_name == "cpu" and name == "torch":
                continue  # from the PyTorch CPU index, see the Dockerfile
            assert name in lock, f"{requirement} is missing from the {lock_name} lock"
            assert requirement.specifier.contains(lock[name], prereleases=True), \
                f"{lock_name} lock pins {name}=={lock[name]}, setup.cfg wants {requirement}"
    assert "torch" not in cpu and not any(name.startswith("nvidia-") for name in cpu)
    torch = next(r for r in declared() if r.name == "torch")
    assert torch.specifier.contains(gpu["torch"])
    assert re.search(r'TORCH_VERSION=(\S+)', DOCKERFILE.read_text()).group(1) == \
        str(torch.specifier).removeprefix("==")  # type: ignore[union-attr]


def test_compose_builds_the_dockerfiles_targets() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    targets = {s["build"]["target"] for s in compose["services"].values() if "build" in s}
    targets |= {compose[x]["build"]["target"] for x in ("x-app", "x-gpu-app")}
    assert targets == {"cpu", "gpu"} and targets <= set(stages())


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern that matches the path or a parent of it decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    ignored = False
    for pattern in patterns:
        negate, glob = pattern.startswith("!"), pattern.lstrip("!")
        globs = {glob, glob.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(c, g) for c in candidates for g in globs):
            ignored = not negate
    return ignored


def test_the_build_context_leaves_out_environments_state_and_secrets() -> None:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    for kept_out in (".venv", "var", ".git", ".env", "deploy/k8s/secrets/secrets.env",
                     "ml/__pycache__/x.pyc", "var/models/embedding/v1/model.safetensors"):
        assert dockerignored(kept_out, patterns), kept_out
    sources = [path for instruction, args in instructions() if instruction == "COPY"
               and not args.startswith("--from") for path in args.split()[:-1]]
    assert "deploy/docker/requirements.lock" in sources
    for source in sources:
        assert (ROOT / source).exists(), source
        assert not dockerignored(source, patterns), f"{source} is copied but ignored"


def test_the_lock_files_are_made_by_the_lock_script() -> None:
    script = ROOT / "deploy/docker/lock.sh"
    assert script.stat().st_mode & 0o111
    for lock in LOCKS.values():
        assert "deploy/docker/lock.sh" in lock.read_text()[:400], lock.name
        assert Path(lock).name in script.read_text()
