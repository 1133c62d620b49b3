"""Checking a training dataset at submit time, with the training library's own rules.

`ml.training.uploads` and `ml.training.examples` are plain Python (no torch): the API refuses
a bad upload with one error per bad line before any job exists. The import-linter contract
still forbids torch, even indirectly.
"""

from __future__ import annotations

from typing import Any

from api.problems import InvalidDataset
from api.schemas import TrainingIn
from ml.training.examples import BUILTIN_DATASETS, DatasetError
from ml.training.uploads import DatasetLimits, validate_jsonl

DEFAULT_DATASET = {target: name for name, target in BUILTIN_DATASETS.items()}


def training_input(body: TrainingIn, max_lines: int) -> dict[str, Any]:
    """The job input of a valid request; raises InvalidDataset naming each bad line."""
    payload = body.job_input()
    if body.dataset is not None and body.dataset_lines is not None:
        raise InvalidDataset([_error(0, "dataset", "give `dataset` or `dataset_lines`, not both")])
    if body.dataset_lines is not None:
        try:
            validate_jsonl(body.dataset_lines, body.target,
                           limits=DatasetLimits(max_lines=max_lines))
        except DatasetError as exc:
            raise InvalidDataset([_error(line, "dataset_lines", message)
                                  for line, message in exc.errors]) from None
        return payload
    name = body.dataset or DEFAULT_DATASET[body.target]
    if BUILTIN_DATASETS.get(name) != body.target:
        known = sorted(n for n, t in BUILTIN_DATASETS.items() if t == body.target)
        raise InvalidDataset([_error(0, "dataset", f"no built-in {body.target} dataset "
                                     f"{name!r}; known: {known}")])
    return {**payload, "dataset": name}


def _error(line: int, field: str, message: str) -> dict[str, Any]:
    where = f"{field}.{line - 1}" if line > 0 else field
    return {"line": line, "field": where, "message": message, "type": "invalid_dataset"}
