"""Training: datasets, checkpoints and the loops that fine-tune the embedding model and
adapt the generator with LoRA. A plain library (no Celery, no database): a task drives it.

Import the trainers from their modules (`ml.training.embedding`, `ml.training.lora`); this
package's import loads no torch.
"""

from __future__ import annotations

from ml.training.checkpoints import Checkpoint, CheckpointStore
from ml.training.datasets import BUILTIN_DATASETS, DatasetLimits, builtin_dataset, validate_jsonl
from ml.training.examples import Dataset, DatasetError, Example, Target

__all__ = ["BUILTIN_DATASETS", "Checkpoint", "CheckpointStore", "Dataset", "DatasetError",
           "DatasetLimits", "Example", "Target", "builtin_dataset", "validate_jsonl"]
