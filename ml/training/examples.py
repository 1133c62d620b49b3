"""Training examples and datasets: what every training loop consumes.

An `Example` is a (source, target) text pair: a search query and the perfume text it should
retrieve (`embedding`), or a prompt and the completion the generator should write
(`generator`). A `Dataset` is an immutable, named, fingerprinted tuple of them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Literal

Target = Literal["embedding", "generator"]
TARGETS: tuple[Target, ...] = ("embedding", "generator")
# A run needs two examples at least (a batch is two); an upload of one was accepted and
# failed in the worker
MIN_EXAMPLES = 2
# The largest batch a run may ask for: a generator's batch of 1,024 sequences of up to
# 1,024 tokens held 11 GB on a 2-core host for minutes, with a cancel waiting for the step
MAX_BATCH_SIZE: dict[str, int] = {"embedding": 512, "generator": 64}

# JSONL field names (source, target) per training target.
FIELDS: dict[Target, tuple[str, str]] = {
    "embedding": ("query", "positive"),
    "generator": ("prompt", "completion"),
}

# Built-in dataset names and the target each trains (built by `ml.training.datasets`).
BUILTIN_DATASETS: dict[str, Target] = {"embedding-pairs": "embedding",
                                       "generator-pairs": "generator"}


class DatasetError(ValueError):
    """A dataset is unusable; `errors` lists `(line_number, message)`, 1-based lines
    (line 0 means the file as a whole)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = list(errors)
        shown = "; ".join(f"line {n}: {m}" for n, m in self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"invalid dataset: {shown}{more}")


@dataclass(frozen=True)
class Example:
    source: str
    target: str


@dataclass(frozen=True)
class Dataset:
    name: str
    target: Target
    examples: tuple[Example, ...]

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def fingerprint(self) -> str:
        """A short content hash: equal datasets have equal fingerprints."""
        digest = hashlib.sha256(self.target.encode())
        for example in self.examples:
            digest.update(json.dumps([example.source, example.target]).encode())
        return digest.hexdigest()[:12]

    def split(self, holdout: int) -> tuple[Dataset, Dataset]:
        """(train, holdout): the last `holdout` examples are held out (0 gives an empty one)."""
        cut = len(self.examples) - max(0, min(holdout, len(self.examples) - 1))
        return (Dataset(self.name, self.target, self.examples[:cut]),
                Dataset(f"{self.name}:holdout", self.target, self.examples[cut:]))
