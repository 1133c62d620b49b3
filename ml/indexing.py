"""Building the vector index from the catalogue, and knowing when it must be rebuilt.

The index stamp joins the catalogue fingerprint, the encoder's model version and
`DOCUMENT_FORMAT`; a build writes every collection and then the stamp, so an interrupted
build leaves no valid stamp and the next `build_index` starts over.
See `ml.vector_index` for the one-process-per-folder rule of the embedded index.
"""

from __future__ import annotations

import logging

from ml.documents import DOCUMENT_FORMAT, KINDS, documents
from ml.embeddings import Encoder, SentenceTransformerEncoder, model_version_for
from ml.knowledge import Catalog
from ml.vector_index import VectorIndex, open_qdrant_index

log = logging.getLogger(__name__)

DEFAULT_INDEX_PATH = "var/qdrant"
BUILDING = "building"


class StaleIndexError(RuntimeError):
    """The index was built from another catalogue or model; run `fragrance index build`."""


def index_stamp(catalog: Catalog, model_version: str) -> str:
    return f"catalog={catalog.fingerprint};model={model_version};format={DOCUMENT_FORMAT}"


def is_current(index: VectorIndex, catalog: Catalog, model_version: str) -> bool:
    return index.stamp() == index_stamp(catalog, model_version)


def write_index(index: VectorIndex, encoder: Encoder, catalog: Catalog) -> None:
    """Replace every collection with the catalogue's documents, then stamp the index."""
    index.set_stamp(BUILDING)
    for kind in KINDS:
        docs = documents(catalog, kind)
        index.reset(kind, encoder.dimension)
        if docs:
            vectors = encoder.encode([doc.text for doc in docs])
            index.upsert(kind, [d.id for d in docs], vectors, [d.payload for d in docs])
    index.set_stamp(index_stamp(catalog, encoder.model_version))
    log.info("search index built: %d perfumes, %d materials", len(catalog.perfumes),
             len(catalog.materials))


def build_index(index_path: str | None = None, qdrant_url: str | None = None,
                force: bool = False, *, model_path: str | None = None,
                catalog: Catalog | None = None, encoder: Encoder | None = None) -> bool:
    """Build the index at `qdrant_url`, else in the folder `index_path` (default
    `var/qdrant`), unless it is current; returns whether it (re)built. The model is loaded
    only when a build is needed. Closes the index (releasing a local folder's lock)."""
    catalog = catalog or Catalog.load()
    version = encoder.model_version if encoder else model_version_for(model_path)
    index = open_qdrant_index(path=index_path or DEFAULT_INDEX_PATH, url=qdrant_url)
    try:
        if not force and is_current(index, catalog, version):
            return False
        write_index(index, encoder or SentenceTransformerEncoder(model_path), catalog)
        return True
    finally:
        index.close()
