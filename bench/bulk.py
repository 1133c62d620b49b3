"""Bulk-loading realistic job rows into PostgreSQL with COPY (for the scale suite)."""

from __future__ import annotations

import io
import json
import random
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

COLUMNS = ("id", "tenant_id", "kind", "status", "progress", "input", "result", "attempts",
           "cancel_requested", "created_at", "updated_at", "started_at", "finished_at")
CHUNK = 100_000


def _row(rng: random.Random, tenants: list[str], start: datetime, span_s: float) -> str:
    created = start + timedelta(seconds=rng.random() * span_s)
    finished = created + timedelta(seconds=rng.random() * 2)
    kind = "search" if rng.random() < 0.8 else "recipe"
    job_input = json.dumps({"query": f"woody amber {rng.randrange(10_000)}", "top_k": 10})
    result = json.dumps({"hits": [{"id": f"p{rng.randrange(600)}", "score": 0.5}] * 3})
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    return "\t".join((str(uuid.UUID(int=rng.getrandbits(128))), rng.choice(tenants), kind,
                      "succeeded", "1", job_input, result, "1", "f", created.strftime(stamp),
                      finished.strftime(stamp), created.strftime(stamp),
                      finished.strftime(stamp))) + "\n"


def load_jobs(engine: Engine, tenants: list[str], count: int, seed: int = 7) -> None:
    """`count` finished jobs spread over 30 days across `tenants`; ANALYZE afterwards."""
    rng = random.Random(seed)
    start, span_s = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30), 30 * 86400.0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for offset in range(0, count, CHUNK):
            buffer = io.StringIO("".join(_row(rng, tenants, start, span_s)
                                         for _ in range(min(CHUNK, count - offset))))
            cursor.copy_expert(f"COPY jobs ({', '.join(COLUMNS)}) FROM STDIN", buffer)
        raw.commit()
    finally:
        raw.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE jobs"))


def sample_ids(engine: Engine, tenant_id: str, count: int) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM jobs WHERE tenant_id = :t ORDER BY random() "
                                 "LIMIT :n"), {"t": tenant_id, "n": count})
        return [row[0] for row in rows]
