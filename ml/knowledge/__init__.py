"""The shipped knowledge base (perfumes, raw materials, Korean lexicon) and its loaders.

Importing this package reads nothing; `Catalog.load()` reads the JSON files.
"""

from __future__ import annotations

from ml.knowledge.catalog import KNOWLEDGE_DIR, Catalog, CatalogError, catalog_files, fingerprint
from ml.knowledge.records import Material, Perfume, RecordError

__all__ = ["KNOWLEDGE_DIR", "Catalog", "CatalogError", "Material", "Perfume", "RecordError",
           "catalog_files", "fingerprint"]
