#!/bin/sh
# Regenerate the image lock files from setup.cfg (run after changing dependencies; commit both).
#   requirements.lock      the CPU image: everything but torch (torch+cpu comes from the PyTorch
#                          CPU index in the Dockerfile), resolved against the CPU torch wheel
#   requirements-gpu.lock  the GPU image: the `gpu` extra, CUDA torch and vllm from PyPI
# Resolves for this machine's Python, which must match the images' (3.11, Linux x86_64), against
# PyPI only (pip's config files are ignored). Hashes pin every file pip may install.
# TORCH_CPU_WHEELS: a folder or index page holding torch==2.13.0+cpu (default: the PyTorch
# CPU index).
set -eu
cd "$(dirname "$0")/../.."
python3 -c 'import sys; assert sys.version_info[:2] == (3, 11), "run with Python 3.11"'
tools="$(mktemp -d)/pip-tools"
python3 -m venv "$tools"
"$tools/bin/pip" install -q "pip-tools>=7.4,<8"
export PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= CUSTOM_COMPILE_COMMAND=deploy/docker/lock.sh
compile() { "$tools/bin/pip-compile" -q --no-config --generate-hashes --strip-extras \
              --all-build-deps --no-emit-find-links --no-emit-index-url "$@" setup.cfg; }
compile --unsafe-package torch -o deploy/docker/requirements.lock \
        --find-links "${TORCH_CPU_WHEELS:-https://download.pytorch.org/whl/cpu/torch/}"
compile --allow-unsafe --extra gpu -o deploy/docker/requirements-gpu.lock
rm -rf "$(dirname "$tools")"
