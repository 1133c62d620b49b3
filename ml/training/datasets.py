"""Training datasets: the built-in ones generated from the knowledge base, and uploaded
JSONL files validated line by line (`ml.training.uploads`, re-exported here).

Built-in names: `embedding-pairs` (see `ml.training.embedding_pairs`) and `generator-pairs`
(see `ml.training.generator_pairs`).
"""

from __future__ import annotations

from ml.training.examples import BUILTIN_DATASETS, Dataset, DatasetError, Example
from ml.training.uploads import DatasetLimits, validate_jsonl

__all__ = ["BUILTIN_DATASETS", "Dataset", "DatasetError", "DatasetLimits", "Example",
           "builtin_dataset", "validate_jsonl"]


def builtin_dataset(name: str, *, seed: int = 0, limit: int | None = None) -> Dataset:
    """The built-in dataset `name`, generated from the shipped knowledge base (first
    `limit` examples when given). Raises KeyError for an unknown name."""
    if name not in BUILTIN_DATASETS:
        raise KeyError(f"unknown built-in dataset {name!r}; known: {sorted(BUILTIN_DATASETS)}")
    if name == "embedding-pairs":
        from ml.training.embedding_pairs import embedding_pairs

        dataset = embedding_pairs(seed=seed)
    else:
        from ml.training.generator_pairs import generator_pairs

        dataset = generator_pairs(seed=seed, limit=limit)
    return Dataset(dataset.name, dataset.target, dataset.examples[:limit])
